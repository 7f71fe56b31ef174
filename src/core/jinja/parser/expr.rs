//! Expressions, by Jinja2's precedence climbing: conditional, `or`, `and`,
//! `not`, comparisons, arithmetic, `~`, unary, primaries and their postfix
//! subscripts, calls, filters and tests.

use super::*;

impl Parser {
    pub(crate) fn parse_expression(&mut self, with_condexpr: bool) -> PResult<Expr> {
        if with_condexpr {
            self.parse_condexpr()
        } else {
            self.parse_or()
        }
    }

    pub(super) fn parse_condexpr(&mut self) -> PResult<Expr> {
        let line = self.current().line;
        let mut expr1 = self.parse_or()?;
        while self.skip_name("if") {
            let test = self.parse_or()?;
            let otherwise = if self.skip_name("else") {
                self.enter()?;
                let otherwise = self.parse_condexpr()?;
                self.leave();
                Some(Box::new(otherwise))
            } else {
                None
            };
            let kind = ExprKind::Cond {
                test: Box::new(test),
                then: Box::new(expr1),
                otherwise,
            };
            expr1 = self.node(kind, line)?;
        }
        Ok(expr1)
    }

    pub(super) fn parse_or(&mut self) -> PResult<Expr> {
        let line = self.current().line;
        let mut left = self.parse_and()?;
        while self.skip_name("or") {
            let right = self.parse_and()?;
            left = self.node(ExprKind::Or(Box::new(left), Box::new(right)), line)?;
        }
        Ok(left)
    }

    pub(super) fn parse_and(&mut self) -> PResult<Expr> {
        let line = self.current().line;
        let mut left = self.parse_not()?;
        while self.skip_name("and") {
            let right = self.parse_not()?;
            left = self.node(ExprKind::And(Box::new(left), Box::new(right)), line)?;
        }
        Ok(left)
    }

    pub(super) fn parse_not(&mut self) -> PResult<Expr> {
        if self.is_name("not") {
            let line = self.advance().line;
            self.enter()?;
            let inner = self.parse_not()?;
            self.leave();
            return self.node(ExprKind::Unary(UnaryOp::Not, Box::new(inner)), line);
        }
        self.parse_compare()
    }

    pub(super) fn parse_compare(&mut self) -> PResult<Expr> {
        let line = self.current().line;
        let expr = self.parse_math1()?;
        let mut ops = Vec::new();
        loop {
            let op = match self.peek() {
                Tok::Op("==") => CmpOp::Eq,
                Tok::Op("!=") => CmpOp::Ne,
                Tok::Op("<") => CmpOp::Lt,
                Tok::Op("<=") => CmpOp::LtEq,
                Tok::Op(">") => CmpOp::Gt,
                Tok::Op(">=") => CmpOp::GtEq,
                Tok::Name(n) if n == "in" => CmpOp::In,
                Tok::Name(n) if n == "not" && matches!(self.look(), Tok::Name(m) if m == "in") => {
                    self.advance();
                    CmpOp::NotIn
                }
                _ => break,
            };
            self.advance();
            ops.push((op, self.parse_math1()?));
        }
        if ops.is_empty() {
            return Ok(expr);
        }
        self.node(ExprKind::Compare(Box::new(expr), ops), line)
    }

    pub(super) fn binary(&self, op: BinOp, left: Expr, right: Expr, line: usize) -> PResult<Expr> {
        self.node(ExprKind::Binary(op, Box::new(left), Box::new(right)), line)
    }

    pub(super) fn parse_math1(&mut self) -> PResult<Expr> {
        let line = self.current().line;
        let mut left = self.parse_concat()?;
        loop {
            let op = match self.peek() {
                Tok::Op("+") => BinOp::Add,
                Tok::Op("-") => BinOp::Sub,
                _ => break,
            };
            self.advance();
            let right = self.parse_concat()?;
            left = self.binary(op, left, right, line)?;
        }
        Ok(left)
    }

    pub(super) fn parse_concat(&mut self) -> PResult<Expr> {
        let line = self.current().line;
        let mut args = vec![self.parse_math2()?];
        while self.skip_op("~") {
            args.push(self.parse_math2()?);
        }
        if args.len() == 1 {
            return Ok(args.pop().unwrap_or_else(|| unreachable_expr(line)));
        }
        self.node(ExprKind::Concat(args), line)
    }

    pub(super) fn parse_math2(&mut self) -> PResult<Expr> {
        let line = self.current().line;
        let mut left = self.parse_pow()?;
        loop {
            let op = match self.peek() {
                Tok::Op("*") => BinOp::Mul,
                Tok::Op("/") => BinOp::Div,
                Tok::Op("//") => BinOp::FloorDiv,
                Tok::Op("%") => BinOp::Mod,
                _ => break,
            };
            self.advance();
            let right = self.parse_pow()?;
            left = self.binary(op, left, right, line)?;
        }
        Ok(left)
    }

    pub(super) fn parse_pow(&mut self) -> PResult<Expr> {
        let line = self.current().line;
        let mut left = self.parse_unary(true)?;
        while self.skip_op("**") {
            let right = self.parse_unary(true)?;
            left = self.binary(BinOp::Pow, left, right, line)?;
        }
        Ok(left)
    }

    pub(super) fn parse_unary(&mut self, with_filter: bool) -> PResult<Expr> {
        self.enter()?;
        let node = self.parse_unary_inner(with_filter)?;
        self.leave();
        Ok(node)
    }

    pub(super) fn parse_unary_inner(&mut self, with_filter: bool) -> PResult<Expr> {
        let line = self.current().line;
        let node = if self.skip_op("-") {
            let inner = self.parse_unary(false)?;
            self.node(ExprKind::Unary(UnaryOp::Neg, Box::new(inner)), line)?
        } else if self.skip_op("+") {
            let inner = self.parse_unary(false)?;
            self.node(ExprKind::Unary(UnaryOp::Pos, Box::new(inner)), line)?
        } else {
            self.parse_primary()?
        };
        let node = self.parse_postfix(node)?;
        if with_filter {
            return self.parse_filter_expr(node);
        }
        Ok(node)
    }

    pub(super) fn parse_primary(&mut self) -> PResult<Expr> {
        let token = self.current().clone();
        let line = token.line;
        let kind = match token.tok {
            Tok::Name(name) => {
                self.advance();
                match name.as_str() {
                    "true" | "True" => ExprKind::Const(Const::Bool(true)),
                    "false" | "False" => ExprKind::Const(Const::Bool(false)),
                    "none" | "None" => ExprKind::Const(Const::None),
                    _ => ExprKind::Name(self.intern(&name)),
                }
            }
            Tok::Str(text) => {
                self.advance();
                let mut text = text;
                while let Tok::Str(more) = self.peek() {
                    text.push_str(more);
                    self.advance();
                }
                ExprKind::Const(Const::Str(Arc::from(text)))
            }
            Tok::Int(n) => {
                self.advance();
                ExprKind::Const(Const::Int(n))
            }
            Tok::Float(f) => {
                self.advance();
                ExprKind::Const(Const::Float(f))
            }
            Tok::Op("(") => {
                self.advance();
                let expr = self.parse_tuple(false, true, &[], true)?;
                self.expect_op(")")?;
                return Ok(expr);
            }
            Tok::Op("[") => return self.parse_list(),
            Tok::Op("{") => return self.parse_dict(),
            other => {
                return self.fail(format!("unexpected '{}'", other.describe()));
            }
        };
        self.node(kind, line)
    }

    pub(super) fn is_tuple_end(&self, extra_end: &[&str]) -> bool {
        match self.peek() {
            Tok::VariableEnd | Tok::BlockEnd | Tok::Op(")") => true,
            Tok::Name(n) => extra_end.contains(&n.as_str()),
            _ => false,
        }
    }

    pub(super) fn parse_tuple(
        &mut self,
        simplified: bool,
        with_condexpr: bool,
        extra_end: &[&str],
        explicit_parentheses: bool,
    ) -> PResult<Expr> {
        let line = self.current().line;
        let mut args = Vec::new();
        let mut is_tuple = false;
        loop {
            if !args.is_empty() {
                self.expect_op(",")?;
            }
            if self.is_tuple_end(extra_end) {
                break;
            }
            let item = if simplified {
                self.parse_primary()?
            } else {
                self.parse_expression(with_condexpr)?
            };
            args.push(item);
            if self.is_op(",") {
                is_tuple = true;
            } else {
                break;
            }
        }
        if !is_tuple {
            if let Some(single) = args.pop() {
                return Ok(single);
            }
            if !explicit_parentheses {
                return self.fail(format!(
                    "Expected an expression, got '{}'",
                    self.peek().describe()
                ));
            }
        }
        self.node(ExprKind::Tuple(args), line)
    }

    pub(super) fn parse_list(&mut self) -> PResult<Expr> {
        let line = self.advance().line;
        let mut items = Vec::new();
        while !self.is_op("]") {
            if !items.is_empty() {
                self.expect_op(",")?;
            }
            if self.is_op("]") {
                break;
            }
            items.push(self.parse_expression(true)?);
        }
        self.expect_op("]")?;
        self.node(ExprKind::List(items), line)
    }

    pub(super) fn parse_dict(&mut self) -> PResult<Expr> {
        let line = self.advance().line;
        let mut items = Vec::new();
        while !self.is_op("}") {
            if !items.is_empty() {
                self.expect_op(",")?;
            }
            if self.is_op("}") {
                break;
            }
            let key = self.parse_expression(true)?;
            self.expect_op(":")?;
            let value = self.parse_expression(true)?;
            items.push((key, value));
        }
        self.expect_op("}")?;
        self.node(ExprKind::Dict(items), line)
    }

    pub(super) fn parse_postfix(&mut self, mut node: Expr) -> PResult<Expr> {
        loop {
            if self.is_op(".") || self.is_op("[") {
                node = self.parse_subscript(node)?;
            } else if self.is_op("(") {
                node = self.parse_call(node)?;
            } else {
                return Ok(node);
            }
        }
    }

    pub(super) fn parse_filter_expr(&mut self, mut node: Expr) -> PResult<Expr> {
        loop {
            if self.is_op("|") {
                node = self.parse_filter(Some(node))?;
            } else if self.is_name("is") {
                node = self.parse_test(node)?;
            } else if self.is_op("(") {
                node = self.parse_call(node)?;
            } else {
                return Ok(node);
            }
        }
    }

    pub(super) fn parse_subscript(&mut self, node: Expr) -> PResult<Expr> {
        let token = self.advance();
        let line = token.line;
        if token.tok == Tok::Op(".") {
            let attr = self.current().clone();
            self.advance();
            return match attr.tok {
                Tok::Name(name) => {
                    self.node(ExprKind::GetAttr(Box::new(node), Arc::from(name)), line)
                }
                Tok::Int(n) => {
                    let index = self.node(ExprKind::Const(Const::Int(n)), line)?;
                    self.node(ExprKind::GetItem(Box::new(node), Box::new(index)), line)
                }
                _ => Err(SyntaxError {
                    message: "expected name or number".to_string(),
                    line: attr.line,
                    column: attr.column,
                }),
            };
        }
        let mut args = Vec::new();
        while !self.is_op("]") {
            if !args.is_empty() {
                self.expect_op(",")?;
                if self.is_op("]") {
                    break;
                }
            }
            args.push(self.parse_subscribed()?);
        }
        self.expect_op("]")?;
        let arg = if args.len() == 1 {
            args.pop().unwrap_or_else(|| unreachable_expr(line))
        } else {
            self.node(ExprKind::Tuple(args), line)?
        };
        self.node(ExprKind::GetItem(Box::new(node), Box::new(arg)), line)
    }

    pub(super) fn parse_subscribed(&mut self) -> PResult<Expr> {
        let line = self.current().line;
        let mut parts: Vec<Option<Box<Expr>>> = Vec::new();
        if self.is_op(":") {
            self.advance();
            parts.push(None);
        } else {
            let node = self.parse_expression(true)?;
            if !self.is_op(":") {
                return Ok(node);
            }
            self.advance();
            parts.push(Some(Box::new(node)));
        }
        if self.is_op(":") {
            parts.push(None);
        } else if !self.is_op("]") && !self.is_op(",") {
            parts.push(Some(Box::new(self.parse_expression(true)?)));
        } else {
            parts.push(None);
        }
        if self.skip_op(":") {
            if !self.is_op("]") && !self.is_op(",") {
                parts.push(Some(Box::new(self.parse_expression(true)?)));
            } else {
                parts.push(None);
            }
        } else {
            parts.push(None);
        }
        let step = parts.pop().flatten();
        let stop = parts.pop().flatten();
        let start = parts.pop().flatten();
        self.node(ExprKind::Slice(start, stop, step), line)
    }

    pub(super) fn parse_call_args(&mut self) -> PResult<Args> {
        self.expect_op("(")?;
        let mut args = Args::default();
        let mut require_comma = false;
        while !self.is_op(")") {
            if require_comma {
                self.expect_op(",")?;
                if self.is_op(")") {
                    break;
                }
            }
            if self.skip_op("*") {
                if args.star.is_some() || args.star_star.is_some() {
                    return self.fail("Invalid argument syntax");
                }
                args.star = Some(Box::new(self.parse_expression(true)?));
            } else if self.skip_op("**") {
                if args.star_star.is_some() {
                    return self.fail("Invalid argument syntax");
                }
                args.star_star = Some(Box::new(self.parse_expression(true)?));
            } else if matches!(self.peek(), Tok::Name(_)) && matches!(self.look(), Tok::Op("=")) {
                if args.star_star.is_some() {
                    return self.fail("Invalid argument syntax");
                }
                let key = self.expect_ident()?;
                self.advance();
                let value = self.parse_expression(true)?;
                args.keyword.push((Arc::from(key), value));
            } else {
                if args.star.is_some() || args.star_star.is_some() || !args.keyword.is_empty() {
                    return self.fail("Invalid argument syntax");
                }
                args.positional.push(self.parse_expression(true)?);
            }
            require_comma = true;
        }
        self.expect_op(")")?;
        Ok(args)
    }

    pub(super) fn parse_call(&mut self, node: Expr) -> PResult<Expr> {
        let line = self.current().line;
        let args = self.parse_call_args()?;
        let kind = ExprKind::Call {
            callee: Box::new(node),
            args,
        };
        self.node(kind, line)
    }

    pub(super) fn dotted_name(&mut self) -> PResult<String> {
        let mut name = self.expect_ident()?;
        while self.is_op(".") {
            self.advance();
            name.push('.');
            name.push_str(&self.expect_ident()?);
        }
        Ok(name)
    }

    /// `| name(args)` repeated (Jinja2's `parse_filter`); with `start_inline`
    /// the first filter has no leading pipe, as in `{% filter upper %}`.
    pub(super) fn parse_filter_chain(
        &mut self,
        input: Option<Expr>,
        start_inline: bool,
    ) -> PResult<Option<Expr>> {
        let mut node = input;
        let mut inline = start_inline;
        while inline || self.is_op("|") {
            if !inline {
                self.advance();
            }
            inline = false;
            node = Some(self.parse_filter_after_pipe(node)?);
        }
        Ok(node)
    }

    pub(super) fn parse_filter(&mut self, input: Option<Expr>) -> PResult<Expr> {
        self.expect_op("|")?;
        self.parse_filter_after_pipe(input)
    }

    pub(super) fn parse_filter_after_pipe(&mut self, input: Option<Expr>) -> PResult<Expr> {
        let line = self.current().line;
        let name = self.dotted_name()?;
        let args = if self.is_op("(") {
            self.parse_call_args()?
        } else {
            Args::default()
        };
        let kind = ExprKind::Filter {
            input: input.map(Box::new),
            name: Arc::from(name),
            args,
        };
        self.node(kind, line)
    }

    pub(super) fn parse_test(&mut self, node: Expr) -> PResult<Expr> {
        let line = self.advance().line;
        let negated = self.skip_name("not");
        let name = self.dotted_name()?;
        let args = if self.is_op("(") {
            self.parse_call_args()?
        } else if matches!(
            self.peek(),
            Tok::Name(_) | Tok::Str(_) | Tok::Int(_) | Tok::Float(_) | Tok::Op("(" | "[" | "{")
        ) && !(self.is_name("else") || self.is_name("or") || self.is_name("and"))
        {
            if self.is_name("is") {
                return self.fail("You cannot chain multiple tests with is");
            }
            let arg = self.parse_primary()?;
            let arg = self.parse_postfix(arg)?;
            Args {
                positional: vec![arg],
                ..Args::default()
            }
        } else {
            Args::default()
        };
        let kind = ExprKind::Test {
            input: Box::new(node),
            name: Arc::from(name),
            args,
        };
        let test = self.node(kind, line)?;
        if negated {
            return self.node(ExprKind::Unary(UnaryOp::Not, Box::new(test)), line);
        }
        Ok(test)
    }
}
