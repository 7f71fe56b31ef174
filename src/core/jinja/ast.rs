//! The template tree. Children are kept in the field order of Jinja2's
//! `nodes.py`, because the constant folder visits them in that order and the
//! order decides which random draw lands where.

use std::sync::Arc;

use super::constant::Const;

/// Index into the template's interned names.
pub(crate) type NameId = u32;

#[derive(Debug, Clone)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub line: usize,
    /// Levels of nodes from here down to the deepest leaf (a leaf is 1): the
    /// parser refuses trees past [`MAX_NESTING`], which bounds the stack of
    /// every recursive walk, including `Drop`.
    pub height: u32,
}

/// Deepest nesting of blocks, or of expression nodes, a template may have:
/// far above any real template, low enough that every recursive walk of the
/// tree fits in [`super::RENDER_STACK_SIZE`].
pub(crate) const MAX_NESTING: u32 = 256;

impl Expr {
    pub(crate) fn new(kind: ExprKind, line: usize) -> Expr {
        let mut below = 0;
        for_each_child(&kind, &mut |child| below = below.max(child.height));
        Expr {
            kind,
            line,
            height: below.saturating_add(1),
        }
    }
}

/// Calls `visit` on the direct children of a node (not their children).
fn for_each_child(kind: &ExprKind, visit: &mut dyn FnMut(&Expr)) {
    match kind {
        ExprKind::Const(_) | ExprKind::Name(_) => {}
        ExprKind::List(items) | ExprKind::Tuple(items) | ExprKind::Concat(items) => {
            items.iter().for_each(visit)
        }
        ExprKind::Dict(pairs) => pairs.iter().for_each(|(k, v)| {
            visit(k);
            visit(v);
        }),
        ExprKind::GetAttr(inner, _) | ExprKind::Unary(_, inner) => visit(inner),
        ExprKind::GetItem(a, b)
        | ExprKind::Binary(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b) => {
            visit(a);
            visit(b);
        }
        ExprKind::Slice(a, b, c) => [a, b, c].into_iter().flatten().for_each(|e| visit(e)),
        ExprKind::Compare(first, rest) => {
            visit(first);
            rest.iter().for_each(|(_, e)| visit(e));
        }
        ExprKind::Cond {
            test,
            then,
            otherwise,
        } => {
            visit(test);
            visit(then);
            if let Some(e) = otherwise {
                visit(e);
            }
        }
        ExprKind::Filter { input, args, .. } => {
            if let Some(input) = input {
                visit(input);
            }
            args.exprs().for_each(visit);
        }
        ExprKind::Test { input, args, .. } => {
            visit(input);
            args.exprs().for_each(visit);
        }
        ExprKind::Call { callee, args } => {
            visit(callee);
            args.exprs().for_each(visit);
        }
        ExprKind::Drawn { fallback, .. } => visit(fallback),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnaryOp {
    Not,
    Neg,
    Pos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    LtEq,
    Gt,
    GtEq,
    In,
    NotIn,
}

/// Arguments of a call, filter or test, as Jinja2 parses them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Args {
    pub positional: Vec<Expr>,
    pub keyword: Vec<(Arc<str>, Expr)>,
    pub star: Option<Box<Expr>>,
    pub star_star: Option<Box<Expr>>,
}

impl Args {
    pub(crate) fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.positional
            .iter()
            .chain(self.keyword.iter().map(|(_, e)| e))
            .chain(self.star.as_deref())
            .chain(self.star_star.as_deref())
    }

    pub(crate) fn exprs_mut(&mut self) -> impl Iterator<Item = &mut Expr> {
        self.positional
            .iter_mut()
            .chain(self.keyword.iter_mut().map(|(_, e)| e))
            .chain(self.star.as_deref_mut())
            .chain(self.star_star.as_deref_mut())
    }
}

#[derive(Debug, Clone)]
pub(crate) enum ExprKind {
    Const(Const),
    Name(NameId),
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    GetAttr(Box<Expr>, Arc<str>),
    GetItem(Box<Expr>, Box<Expr>),
    /// `[start:stop:step]`; only valid as the argument of `GetItem`.
    Slice(Option<Box<Expr>>, Option<Box<Expr>>, Option<Box<Expr>>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Concat(Vec<Expr>),
    Compare(Box<Expr>, Vec<(CmpOp, Expr)>),
    Cond {
        test: Box<Expr>,
        then: Box<Expr>,
        otherwise: Option<Box<Expr>>,
    },
    /// `input | name(args)`; `input` is None in `{% filter %}` and `{% set x | f %}`.
    Filter {
        input: Option<Box<Expr>>,
        name: Arc<str>,
        args: Args,
    },
    Test {
        input: Box<Expr>,
        name: Arc<str>,
        args: Args,
    },
    Call {
        callee: Box<Expr>,
        args: Args,
    },
    /// A `choice` filter Jinja2 would fold at compile time: its value is drawn
    /// once per apply, in site order, before anything renders. `fallback` is
    /// the original filter, evaluated when the compile-time draw failed.
    Drawn {
        site: usize,
        fallback: Box<Expr>,
    },
}

#[derive(Debug, Clone)]
pub(crate) enum Target {
    Name(NameId),
    Tuple(Vec<Target>),
    /// `ns.attr` in `{% set ns.attr = ... %}`.
    NamespaceAttr(NameId, Arc<str>),
}

#[derive(Debug, Clone)]
pub(crate) struct MacroDef {
    pub name: NameId,
    pub params: Vec<NameId>,
    /// Defaults of the last `defaults.len()` parameters.
    pub defaults: Vec<Expr>,
    pub body: Vec<Stmt>,
}

#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    pub kind: StmtKind,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum StmtKind {
    Data(Arc<str>),
    Output(Expr),
    If {
        test: Expr,
        body: Vec<Stmt>,
        elifs: Vec<(Expr, Vec<Stmt>)>,
        otherwise: Vec<Stmt>,
    },
    For {
        target: Target,
        iter: Expr,
        body: Vec<Stmt>,
        otherwise: Vec<Stmt>,
        filter: Option<Expr>,
        recursive: bool,
    },
    Assign {
        target: Target,
        value: Expr,
    },
    /// `{% set x | filters %}body{% endset %}`: the innermost filter has no input.
    AssignBlock {
        target: Target,
        filter: Option<Expr>,
        body: Vec<Stmt>,
    },
    With {
        assignments: Vec<(Target, Expr)>,
        body: Vec<Stmt>,
    },
    FilterBlock {
        filter: Expr,
        body: Vec<Stmt>,
    },
    Macro(Arc<MacroDef>),
    CallBlock {
        call: Expr,
        caller: Arc<MacroDef>,
    },
    /// `{% break %}` / `{% continue %}` (the `loopcontrols` extension; chat templates only).
    LoopControl(LoopControl),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoopControl {
    Break,
    Continue,
}

/// Calls `visit` on every expression of `body`, nested ones included.
pub(crate) fn walk_exprs(body: &[Stmt], visit: &mut dyn FnMut(&Expr)) {
    for stmt in body {
        match &stmt.kind {
            StmtKind::Data(_) | StmtKind::LoopControl(_) => {}
            StmtKind::Output(e) => walk_expr(e, visit),
            StmtKind::If {
                test,
                body,
                elifs,
                otherwise,
            } => {
                walk_expr(test, visit);
                walk_exprs(body, visit);
                for (test, body) in elifs {
                    walk_expr(test, visit);
                    walk_exprs(body, visit);
                }
                walk_exprs(otherwise, visit);
            }
            StmtKind::For {
                iter,
                body,
                otherwise,
                filter,
                ..
            } => {
                walk_expr(iter, visit);
                walk_exprs(body, visit);
                walk_exprs(otherwise, visit);
                if let Some(filter) = filter {
                    walk_expr(filter, visit);
                }
            }
            StmtKind::Assign { value, .. } => walk_expr(value, visit),
            StmtKind::AssignBlock { filter, body, .. } => {
                if let Some(filter) = filter {
                    walk_expr(filter, visit);
                }
                walk_exprs(body, visit);
            }
            StmtKind::With { assignments, body } => {
                for (_, value) in assignments {
                    walk_expr(value, visit);
                }
                walk_exprs(body, visit);
            }
            StmtKind::FilterBlock { filter, body } => {
                walk_expr(filter, visit);
                walk_exprs(body, visit);
            }
            StmtKind::Macro(def) => {
                def.defaults.iter().for_each(|e| walk_expr(e, visit));
                walk_exprs(&def.body, visit);
            }
            StmtKind::CallBlock { call, caller } => {
                walk_expr(call, visit);
                caller.defaults.iter().for_each(|e| walk_expr(e, visit));
                walk_exprs(&caller.body, visit);
            }
        }
    }
}

/// Calls `visit` on `expr` and every expression inside it.
pub(crate) fn walk_expr(expr: &Expr, visit: &mut dyn FnMut(&Expr)) {
    visit(expr);
    for_each_child(&expr.kind, &mut |child| walk_expr(child, visit));
}
