//! Recursive-descent parser following Jinja2's grammar (precedence, tuple
//! rules, test argument shorthand, slices, assignment targets).

use std::collections::HashMap;
use std::sync::Arc;

use super::ast::*;
use super::constant::Const;
use super::lexer::{Tok, Token};
use super::SyntaxError;

mod expr;

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
