//! Recursive-descent parser following Jinja2's grammar (precedence, tuple
//! rules, test argument shorthand, slices, assignment targets).

use std::collections::HashMap;
use std::sync::Arc;

use super::ast::*;
use super::lexer::{Tok, Token};
use super::value::Const;
use super::SyntaxError;

pub(crate) struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    pub names: Vec<Arc<str>>,
    name_ids: HashMap<Arc<str>, NameId>,
    /// How many nested blocks and recursive grammar rules (parentheses,
    /// unary operators, `else` chains) the parser is inside: bounded so that
    /// 2,000 parentheses are a syntax error, not a stack overflow.
    depth: u32,
    /// The chat-template environment's extra tags: `break`, `continue`
    /// (`jinja2.ext.loopcontrols`) and `generation` (transformers' `AssistantTracker`).
    pub chat_tags: bool,
}

type PResult<T> = Result<T, SyntaxError>;

impl Parser {
    pub(crate) fn new(tokens: Vec<Token>) -> Parser {
        Parser {
            tokens,
            pos: 0,
            names: Vec::new(),
            name_ids: HashMap::new(),
            depth: 0,
            chat_tags: false,
        }
    }

    /// Enters a recursive rule; the matching [`Parser::leave`] is skipped on
    /// errors, which end the parse anyway.
    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return self.too_deep();
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn too_deep<T>(&self) -> PResult<T> {
        self.fail(format!(
            "the template nests too deeply (more than {MAX_NESTING} levels)"
        ))
    }

    /// Builds an expression node, refusing trees deeper than [`MAX_NESTING`]
    /// (long left-associative chains such as `a.b.c…` or `1+1+…` nest
    /// without recursion in the parser).
    fn node(&self, kind: ExprKind, line: usize) -> PResult<Expr> {
        let node = Expr::new(kind, line);
        if node.height > MAX_NESTING {
            return self.too_deep();
        }
        Ok(node)
    }

    pub(crate) fn intern(&mut self, name: &str) -> NameId {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        let id = self.names.len() as NameId;
        let name: Arc<str> = Arc::from(name);
        self.names.push(name.clone());
        self.name_ids.insert(name, id);
        id
    }

    fn current(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek(&self) -> &Tok {
        &self.current().tok
    }

    fn look(&self) -> &Tok {
        &self.tokens[(self.pos + 1).min(self.tokens.len() - 1)].tok
    }

    fn advance(&mut self) -> Token {
        let token = self.current().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        token
    }

    fn fail<T>(&self, message: impl Into<String>) -> PResult<T> {
        let token = self.current();
        Err(SyntaxError {
            message: message.into(),
            line: token.line,
            column: token.column,
        })
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    fn is_name(&self, name: &str) -> bool {
        matches!(self.peek(), Tok::Name(n) if n == name)
    }

    fn skip_op(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn skip_name(&mut self, name: &str) -> bool {
        if self.is_name(name) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn expect_op(&mut self, op: &str) -> PResult<()> {
        if self.skip_op(op) {
            return Ok(());
        }
        self.unexpected(&format!("'{op}'"))
    }

    fn expect_name_kw(&mut self, name: &str) -> PResult<()> {
        if self.skip_name(name) {
            return Ok(());
        }
        self.unexpected(&format!("'{name}'"))
    }

    fn unexpected<T>(&self, expected: &str) -> PResult<T> {
        if *self.peek() == Tok::Eof {
            return self.fail(format!("unexpected end of template, expected {expected}."));
        }
        self.fail(format!(
            "expected token {expected}, got '{}'",
            self.peek().describe()
        ))
    }

    fn expect_block_end(&mut self) -> PResult<()> {
        if *self.peek() == Tok::BlockEnd {
            self.advance();
            return Ok(());
        }
        self.unexpected("'end of statement block'")
    }

    fn expect_ident(&mut self) -> PResult<String> {
        if let Tok::Name(name) = self.peek() {
            let name = name.clone();
            self.advance();
            return Ok(name);
        }
        self.unexpected("'name'")
    }

    // ----- statements -----

    /// Parses the whole template.
    pub(crate) fn parse_template(&mut self) -> PResult<Vec<Stmt>> {
        let body = self.subparse(&[])?;
        if *self.peek() != Tok::Eof {
            return self.fail("unexpected token after template end");
        }
        Ok(body)
    }

    /// Parses statements until a `{% name %}` in `end_tokens` (left unconsumed,
    /// positioned on the name) or the end of the template.
    fn subparse(&mut self, end_tokens: &[&str]) -> PResult<Vec<Stmt>> {
        let mut body = Vec::new();
        loop {
            let token = self.current().clone();
            match token.tok {
                Tok::Data(text) => {
                    self.advance();
                    body.push(Stmt {
                        kind: StmtKind::Data(Arc::from(text)),
                        line: token.line,
                    });
                }
                Tok::VariableBegin => {
                    self.advance();
                    let expr = self.parse_tuple(false, true, &[], false)?;
                    if *self.peek() != Tok::VariableEnd {
                        return self.unexpected("'end of print statement'");
                    }
                    self.advance();
                    body.push(Stmt {
                        kind: StmtKind::Output(expr),
                        line: token.line,
                    });
                }
                Tok::BlockBegin => {
                    self.advance();
                    if let Tok::Name(name) = self.peek() {
                        if end_tokens.contains(&name.as_str()) {
                            return Ok(body);
                        }
                    }
                    body.push(self.parse_statement(end_tokens)?);
                }
                Tok::Eof => {
                    if !end_tokens.is_empty() {
                        let expected: Vec<String> =
                            end_tokens.iter().map(|t| format!("'{t}'")).collect();
                        return self.fail(format!(
                            "Unexpected end of template. Jinja was looking for the following tags: {}. The innermost block that needs to be closed is '{}'.",
                            expected.join(" or "),
                            block_name_for(end_tokens[0])
                        ));
                    }
                    return Ok(body);
                }
                _ => return self.fail("internal parser state"),
            }
        }
    }

    /// After `subparse` stopped on an end tag: consume it and the block end.
    fn finish_block(&mut self) -> PResult<String> {
        let name = self.expect_ident()?;
        self.expect_block_end()?;
        Ok(name)
    }

    fn parse_statement(&mut self, end_tokens: &[&str]) -> PResult<Stmt> {
        let line = self.current().line;
        let Tok::Name(keyword) = self.peek().clone() else {
            return self.fail("tag name expected");
        };
        self.enter()?;
        let kind = match keyword.as_str() {
            "if" => self.parse_if()?,
            "for" => self.parse_for()?,
            "set" => self.parse_set()?,
            "with" => self.parse_with()?,
            "filter" => self.parse_filter_block()?,
            "macro" => self.parse_macro()?,
            "call" => self.parse_call_block()?,
            "break" | "continue" if self.chat_tags => {
                self.advance();
                self.expect_block_end()?;
                StmtKind::LoopControl(if keyword == "break" {
                    LoopControl::Break
                } else {
                    LoopControl::Continue
                })
            }
            "generation" if self.chat_tags => {
                // AssistantTracker renders the body through a call block: its
                // own scope, text unchanged.
                self.advance();
                self.expect_block_end()?;
                let body = self.subparse(&["endgeneration"])?;
                self.finish_block()?;
                StmtKind::With {
                    assignments: Vec::new(),
                    body,
                }
            }
            "print" => {
                self.advance();
                let expr = self.parse_tuple(false, true, &[], false)?;
                self.expect_block_end()?;
                StmtKind::Output(expr)
            }
            "extends" | "include" | "import" | "from" | "block" => {
                return self.fail(format!(
                    "'{keyword}' needs a template loader, which PromptSource templates do not have"
                ));
            }
            _ => {
                if !end_tokens.is_empty() {
                    let expected: Vec<String> =
                        end_tokens.iter().map(|t| format!("'{t}'")).collect();
                    return self.fail(format!(
                        "Encountered unknown tag '{keyword}'. Jinja was looking for the following tags: {}. The innermost block that needs to be closed is '{}'.",
                        expected.join(" or "),
                        block_name_for(end_tokens[0])
                    ));
                }
                return self.fail(format!("Encountered unknown tag '{keyword}'."));
            }
        };
        self.leave();
        Ok(Stmt { kind, line })
    }

    fn parse_if(&mut self) -> PResult<StmtKind> {
        self.advance();
        let test = self.parse_tuple(false, false, &[], false)?;
        self.expect_block_end()?;
        let body = self.subparse(&["elif", "else", "endif"])?;
        let mut elifs = Vec::new();
        let mut otherwise = Vec::new();
        loop {
            let tag = self.expect_ident()?;
            match tag.as_str() {
                "elif" => {
                    let test = self.parse_tuple(false, false, &[], false)?;
                    self.expect_block_end()?;
                    let body = self.subparse(&["elif", "else", "endif"])?;
                    elifs.push((test, body));
                }
                "else" => {
                    self.expect_block_end()?;
                    otherwise = self.subparse(&["endif"])?;
                    self.finish_block()?;
                    break;
                }
                _ => {
                    self.expect_block_end()?;
                    break;
                }
            }
        }
        Ok(StmtKind::If {
            test,
            body,
            elifs,
            otherwise,
        })
    }

    fn parse_for(&mut self) -> PResult<StmtKind> {
        self.advance();
        let target = self.parse_assign_target(true, false, &["in"], false)?;
        self.expect_name_kw("in")?;
        let iter = self.parse_tuple(false, false, &["recursive"], false)?;
        let filter = if self.skip_name("if") {
            Some(self.parse_expression(true)?)
        } else {
            None
        };
        let recursive = self.skip_name("recursive");
        self.expect_block_end()?;
        let body = self.subparse(&["endfor", "else"])?;
        let otherwise = if self.finish_block()? == "endfor" {
            Vec::new()
        } else {
            let otherwise = self.subparse(&["endfor"])?;
            self.finish_block()?;
            otherwise
        };
        Ok(StmtKind::For {
            target,
            iter,
            body,
            otherwise,
            filter,
            recursive,
        })
    }

    fn parse_set(&mut self) -> PResult<StmtKind> {
        self.advance();
        let target = self.parse_assign_target(true, false, &[], true)?;
        if self.skip_op("=") {
            let value = self.parse_tuple(false, true, &[], false)?;
            self.expect_block_end()?;
            return Ok(StmtKind::Assign { target, value });
        }
        let filter = self.parse_filter_chain(None, false)?;
        self.expect_block_end()?;
        let body = self.subparse(&["endset"])?;
        self.finish_block()?;
        Ok(StmtKind::AssignBlock {
            target,
            filter,
            body,
        })
    }

    fn parse_with(&mut self) -> PResult<StmtKind> {
        self.advance();
        let mut assignments = Vec::new();
        while *self.peek() != Tok::BlockEnd {
            if !assignments.is_empty() {
                self.expect_op(",")?;
            }
            let target = self.parse_assign_target(true, false, &[], false)?;
            self.expect_op("=")?;
            let value = self.parse_expression(true)?;
            assignments.push((target, value));
        }
        self.expect_block_end()?;
        let body = self.subparse(&["endwith"])?;
        self.finish_block()?;
        Ok(StmtKind::With { assignments, body })
    }

    fn parse_filter_block(&mut self) -> PResult<StmtKind> {
        self.advance();
        let Some(filter) = self.parse_filter_chain(None, true)? else {
            return self.unexpected("'name'");
        };
        self.expect_block_end()?;
        let body = self.subparse(&["endfilter"])?;
        self.finish_block()?;
        Ok(StmtKind::FilterBlock { filter, body })
    }

    fn parse_signature(&mut self) -> PResult<(Vec<NameId>, Vec<Expr>)> {
        let mut params = Vec::new();
        let mut defaults = Vec::new();
        self.expect_op("(")?;
        while !self.is_op(")") {
            if !params.is_empty() {
                self.expect_op(",")?;
            }
            let name = self.expect_ident()?;
            params.push(self.intern(&name));
            if self.skip_op("=") {
                defaults.push(self.parse_expression(true)?);
            } else if !defaults.is_empty() {
                return self.fail("non-default argument follows default argument");
            }
        }
        self.expect_op(")")?;
        Ok((params, defaults))
    }

    fn parse_macro(&mut self) -> PResult<StmtKind> {
        self.advance();
        let name = self.expect_ident()?;
        let name = self.intern(&name);
        let (params, defaults) = self.parse_signature()?;
        self.expect_block_end()?;
        let body = self.subparse(&["endmacro"])?;
        self.finish_block()?;
        Ok(StmtKind::Macro(Arc::new(MacroDef {
            name,
            params,
            defaults,
            body,
        })))
    }

    fn parse_call_block(&mut self) -> PResult<StmtKind> {
        self.advance();
        let (params, defaults) = if self.is_op("(") {
            self.parse_signature()?
        } else {
            (Vec::new(), Vec::new())
        };
        let call = self.parse_expression(true)?;
        if !matches!(call.kind, ExprKind::Call { .. }) {
            return self.fail("expected call");
        }
        self.expect_block_end()?;
        let body = self.subparse(&["endcall"])?;
        self.finish_block()?;
        let caller = self.intern("caller");
        Ok(StmtKind::CallBlock {
            call,
            caller: Arc::new(MacroDef {
                name: caller,
                params,
                defaults,
                body,
            }),
        })
    }

    fn parse_assign_target(
        &mut self,
        with_tuple: bool,
        name_only: bool,
        extra_end: &[&str],
        with_namespace: bool,
    ) -> PResult<Target> {
        if with_namespace && matches!(self.look(), Tok::Op(".")) {
            let ns = self.expect_ident()?;
            self.advance();
            let attr = self.expect_ident()?;
            let ns = self.intern(&ns);
            return Ok(Target::NamespaceAttr(ns, Arc::from(attr)));
        }
        if name_only {
            let name = self.expect_ident()?;
            return Ok(Target::Name(self.intern(&name)));
        }
        let line = self.current().line;
        let column = self.current().column;
        let expr = if with_tuple {
            self.parse_tuple(true, true, extra_end, false)?
        } else {
            self.parse_primary()?
        };
        to_target(&expr).ok_or_else(|| SyntaxError {
            message: format!("can't assign to {}", expr_kind_name(&expr)),
            line,
            column,
        })
    }

    // ----- expressions -----

    pub(crate) fn parse_expression(&mut self, with_condexpr: bool) -> PResult<Expr> {
        if with_condexpr {
            self.parse_condexpr()
        } else {
            self.parse_or()
        }
    }

    fn parse_condexpr(&mut self) -> PResult<Expr> {
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

    fn parse_or(&mut self) -> PResult<Expr> {
        let line = self.current().line;
        let mut left = self.parse_and()?;
        while self.skip_name("or") {
            let right = self.parse_and()?;
            left = self.node(ExprKind::Or(Box::new(left), Box::new(right)), line)?;
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> PResult<Expr> {
        let line = self.current().line;
        let mut left = self.parse_not()?;
        while self.skip_name("and") {
            let right = self.parse_not()?;
            left = self.node(ExprKind::And(Box::new(left), Box::new(right)), line)?;
        }
        Ok(left)
    }

    fn parse_not(&mut self) -> PResult<Expr> {
        if self.is_name("not") {
            let line = self.advance().line;
            self.enter()?;
            let inner = self.parse_not()?;
            self.leave();
            return self.node(ExprKind::Unary(UnaryOp::Not, Box::new(inner)), line);
        }
        self.parse_compare()
    }

    fn parse_compare(&mut self) -> PResult<Expr> {
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

    fn binary(&self, op: BinOp, left: Expr, right: Expr, line: usize) -> PResult<Expr> {
        self.node(ExprKind::Binary(op, Box::new(left), Box::new(right)), line)
    }

    fn parse_math1(&mut self) -> PResult<Expr> {
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

    fn parse_concat(&mut self) -> PResult<Expr> {
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

    fn parse_math2(&mut self) -> PResult<Expr> {
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

    fn parse_pow(&mut self) -> PResult<Expr> {
        let line = self.current().line;
        let mut left = self.parse_unary(true)?;
        while self.skip_op("**") {
            let right = self.parse_unary(true)?;
            left = self.binary(BinOp::Pow, left, right, line)?;
        }
        Ok(left)
    }

    fn parse_unary(&mut self, with_filter: bool) -> PResult<Expr> {
        self.enter()?;
        let node = self.parse_unary_inner(with_filter)?;
        self.leave();
        Ok(node)
    }

    fn parse_unary_inner(&mut self, with_filter: bool) -> PResult<Expr> {
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

    fn parse_primary(&mut self) -> PResult<Expr> {
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

    fn is_tuple_end(&self, extra_end: &[&str]) -> bool {
        match self.peek() {
            Tok::VariableEnd | Tok::BlockEnd | Tok::Op(")") => true,
            Tok::Name(n) => extra_end.contains(&n.as_str()),
            _ => false,
        }
    }

    fn parse_tuple(
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

    fn parse_list(&mut self) -> PResult<Expr> {
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

    fn parse_dict(&mut self) -> PResult<Expr> {
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

    fn parse_postfix(&mut self, mut node: Expr) -> PResult<Expr> {
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

    fn parse_filter_expr(&mut self, mut node: Expr) -> PResult<Expr> {
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

    fn parse_subscript(&mut self, node: Expr) -> PResult<Expr> {
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

    fn parse_subscribed(&mut self) -> PResult<Expr> {
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

    fn parse_call_args(&mut self) -> PResult<Args> {
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

    fn parse_call(&mut self, node: Expr) -> PResult<Expr> {
        let line = self.current().line;
        let args = self.parse_call_args()?;
        let kind = ExprKind::Call {
            callee: Box::new(node),
            args,
        };
        self.node(kind, line)
    }

    fn dotted_name(&mut self) -> PResult<String> {
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
    fn parse_filter_chain(
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

    fn parse_filter(&mut self, input: Option<Expr>) -> PResult<Expr> {
        self.expect_op("|")?;
        self.parse_filter_after_pipe(input)
    }

    fn parse_filter_after_pipe(&mut self, input: Option<Expr>) -> PResult<Expr> {
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

    fn parse_test(&mut self, node: Expr) -> PResult<Expr> {
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

fn unreachable_expr(line: usize) -> Expr {
    Expr::new(ExprKind::Const(Const::None), line)
}

fn block_name_for(end_token: &str) -> &str {
    match end_token {
        "elif" | "else" | "endif" => "if",
        "endfor" => "for",
        other => other.strip_prefix("end").unwrap_or(other),
    }
}

fn to_target(expr: &Expr) -> Option<Target> {
    match &expr.kind {
        ExprKind::Name(id) => Some(Target::Name(*id)),
        ExprKind::Tuple(items) => items
            .iter()
            .map(to_target)
            .collect::<Option<Vec<_>>>()
            .map(Target::Tuple),
        _ => None,
    }
}

fn expr_kind_name(expr: &Expr) -> &'static str {
    match &expr.kind {
        ExprKind::Const(_) => "Const",
        ExprKind::List(_) => "List",
        ExprKind::Dict(_) => "Dict",
        ExprKind::GetAttr(..) => "Getattr",
        ExprKind::GetItem(..) => "Getitem",
        ExprKind::Call { .. } => "Call",
        ExprKind::Filter { .. } => "Filter",
        _ => "expression",
    }
}
