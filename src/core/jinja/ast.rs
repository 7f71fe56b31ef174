//! The template tree. Children are kept in the field order of Jinja2's
//! `nodes.py`, because the constant folder visits them in that order and the
//! order decides which random draw lands where.

use std::sync::Arc;

use super::value::Const;

/// Index into the template's interned names.
pub(crate) type NameId = u32;

#[derive(Debug, Clone)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub line: usize,
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
}
