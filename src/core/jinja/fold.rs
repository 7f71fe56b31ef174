//! Jinja2's optimizer: constant folding, bottom-up in node field order.
//!
//! Folding matters beyond speed: Jinja2 folds `["a", "b"] | choice` while
//! compiling, so the draw happens at compile time, before anything renders,
//! even in branches that never run. Such filters become draw sites
//! ([`ExprKind::Drawn`]); the sites are drawn at the start of every render in
//! the order Jinja2's optimizer would have met them.

use super::ast::*;
use super::registry;
use super::state::{EmptyContext, State};
use super::Program;
use crate::core::py::random::PyRandom;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// Folded into a constant.
    Const,
    /// Constant apart from compile-time draws: evaluated per render.
    Drawn,
    /// Depends on the render.
    Dynamic,
}

pub(crate) struct Folder<'p> {
    program: &'p Program,
    pub sites: Vec<Expr>,
}

impl<'p> Folder<'p> {
    pub(crate) fn new(program: &'p Program) -> Folder<'p> {
        Folder {
            program,
            sites: Vec::new(),
        }
    }

    pub(crate) fn fold_body(&mut self, body: &mut [Stmt]) {
        for stmt in body {
            self.fold_stmt(stmt);
        }
    }

    fn fold_stmt(&mut self, stmt: &mut Stmt) {
        match &mut stmt.kind {
            StmtKind::Data(_) | StmtKind::LoopControl(_) => {}
            StmtKind::Output(expr) => {
                self.fold(expr);
            }
            StmtKind::If {
                test,
                body,
                elifs,
                otherwise,
            } => {
                self.fold(test);
                self.fold_body(body);
                for (test, body) in elifs {
                    self.fold(test);
                    self.fold_body(body);
                }
                self.fold_body(otherwise);
            }
            StmtKind::For {
                iter,
                body,
                otherwise,
                filter,
                ..
            } => {
                self.fold(iter);
                self.fold_body(body);
                self.fold_body(otherwise);
                if let Some(filter) = filter {
                    self.fold(filter);
                }
            }
            StmtKind::Assign { value, .. } => {
                self.fold(value);
            }
            StmtKind::AssignBlock { filter, body, .. } => {
                if let Some(filter) = filter {
                    self.fold(filter);
                }
                self.fold_body(body);
            }
            StmtKind::With { assignments, body } => {
                for (_, value) in assignments {
                    self.fold(value);
                }
                self.fold_body(body);
            }
            StmtKind::FilterBlock { filter, body } => {
                self.fold_body(body);
                self.fold(filter);
            }
            StmtKind::Macro(def) => {
                let mut folded = (**def).clone();
                for default in &mut folded.defaults {
                    self.fold(default);
                }
                self.fold_body(&mut folded.body);
                *def = std::sync::Arc::new(folded);
            }
            StmtKind::CallBlock { call, caller } => {
                self.fold(call);
                let mut folded = (**caller).clone();
                for default in &mut folded.defaults {
                    self.fold(default);
                }
                self.fold_body(&mut folded.body);
                *caller = std::sync::Arc::new(folded);
            }
        }
    }

    fn fold_args(&mut self, args: &mut Args) -> Kind {
        let mut kind = Kind::Const;
        for e in args.exprs_mut() {
            kind = kind.max(self.fold(e));
        }
        kind
    }

    fn fold_opt(&mut self, e: &mut Option<Box<Expr>>) -> Kind {
        e.as_deref_mut().map_or(Kind::Const, |e| self.fold(e))
    }

    /// Folds `expr` in place and says what it became.
    fn fold(&mut self, expr: &mut Expr) -> Kind {
        let children = match &mut expr.kind {
            ExprKind::Const(_) => return Kind::Const,
            ExprKind::Name(_) => return Kind::Dynamic,
            ExprKind::Drawn { .. } => return Kind::Drawn,
            ExprKind::List(items) | ExprKind::Tuple(items) | ExprKind::Concat(items) => {
                let mut kind = Kind::Const;
                for item in items {
                    kind = kind.max(self.fold(item));
                }
                kind
            }
            ExprKind::Dict(pairs) => {
                let mut kind = Kind::Const;
                for (k, v) in pairs {
                    kind = kind.max(self.fold(k));
                    kind = kind.max(self.fold(v));
                }
                kind
            }
            ExprKind::GetAttr(obj, _) => self.fold(obj),
            ExprKind::GetItem(obj, key) => {
                let a = self.fold(obj);
                a.max(self.fold(key))
            }
            ExprKind::Slice(start, stop, step) => {
                // A slice object is not a safe constant; only its parts fold.
                let kind = self
                    .fold_opt(start)
                    .max(self.fold_opt(stop))
                    .max(self.fold_opt(step));
                return kind;
            }
            ExprKind::Unary(_, inner) => self.fold(inner),
            ExprKind::Binary(_, left, right)
            | ExprKind::And(left, right)
            | ExprKind::Or(left, right) => {
                let a = self.fold(left);
                a.max(self.fold(right))
            }
            ExprKind::Compare(first, rest) => {
                let mut kind = self.fold(first);
                for (_, operand) in rest {
                    kind = kind.max(self.fold(operand));
                }
                kind
            }
            ExprKind::Cond {
                test,
                then,
                otherwise,
            } => {
                let a = self.fold(test);
                let b = self.fold(then);
                a.max(b).max(self.fold_opt(otherwise))
            }
            ExprKind::Filter { input, name, args } => {
                let input_kind = match input.as_deref_mut() {
                    Some(input) => self.fold(input),
                    // Filter blocks: the input is the rendered body.
                    None => Kind::Dynamic,
                };
                let kind = input_kind.max(self.fold_args(args));
                if kind == Kind::Dynamic
                    || registry::filter_needs_context(name)
                    || !registry::filter_exists(name)
                {
                    return Kind::Dynamic;
                }
                if name.as_ref() == "choice" {
                    return self.make_site(expr);
                }
                kind
            }
            ExprKind::Test { input, args, .. } => {
                let a = self.fold(input);
                a.max(self.fold_args(args))
            }
            ExprKind::Call { callee, args } => {
                self.fold(callee);
                self.fold_args(args);
                return Kind::Dynamic;
            }
        };
        match children {
            Kind::Const => self.try_fold(expr),
            other => other,
        }
    }

    /// Turns a foldable `choice` filter into a draw site.
    fn make_site(&mut self, expr: &mut Expr) -> Kind {
        let site = self.sites.len();
        let placeholder = Expr::new(ExprKind::Const(super::value::Const::None), expr.line);
        let original = std::mem::replace(expr, placeholder);
        self.sites.push(original.clone());
        *expr = Expr::new(
            ExprKind::Drawn {
                site,
                fallback: Box::new(original),
            },
            expr.line,
        );
        Kind::Drawn
    }

    /// Evaluates a node whose children are constants; keeps it when that
    /// fails or gives a value Jinja2 would not inline.
    fn try_fold(&mut self, expr: &mut Expr) -> Kind {
        // Folding never draws (choice filters become draw sites), so the
        // generator is never started.
        let mut rng = PyRandom::from_seed(0);
        let value = {
            let mut state = State::new(self.program, &EmptyContext, &[], &mut rng);
            state.folding = true;
            state.eval(expr)
        };
        match value.ok().and_then(|v| v.to_const()) {
            Some(constant) => {
                expr.kind = ExprKind::Const(constant);
                Kind::Const
            }
            None => Kind::Dynamic,
        }
    }
}
