//! A Jinja2-compatible template engine with Python value semantics, built to
//! render PromptSource templates exactly as Jinja2 3.1 does under Python:
//! Python's `str()`, mutable lists and dicts, Jinja2's undefined rules and
//! messages, its constant folding (which decides when `choice` draws random
//! numbers) and Python's Mersenne Twister.
//!
//! [`Program`] is a compiled template: thread-safe, compiled once and
//! rendered many times.

mod ast;
mod budget;
pub(crate) mod chat_env;
mod clock;
mod constant;
mod error;
mod eval;
mod filters;
mod fold;
mod format;
mod globals;
mod json;
mod lexer;
mod lipsum;
mod methods;
mod ops;
mod parser;
mod predicates;
mod registry;
mod state;
mod undeclared;
mod value;

#[cfg(test)]
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::core::py::random::PyRandom;
use crate::core::py::strings::str_repr;
use ast::{Args, Expr, ExprKind, NameId, Stmt, StmtKind};
pub(crate) use error::{ErrorKind as ExcKind, Exc};
pub(crate) use state::{Context, EmptyContext};
pub(crate) use value::{Const, Value};

/// Stack every thread that compiles or renders templates must have: the
/// deepest tree the parser accepts ([`ast::MAX_NESTING`] levels), walked by
/// the parser, folder, evaluator and `Drop`, and the deepest recursion the
/// evaluator allows, measured in a debug build with room to spare.
pub const RENDER_STACK_SIZE: usize = 32 << 20;

pub use budget::DEFAULT_MEMORY_BUDGET;

/// Settings of the engine that Jinja2 does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Bytes one compile or render may allocate (lists, strings, dicts the
    /// template builds) before it fails with `RenderLimitExceeded`.
    pub memory_budget: usize,
}

/// The memory budget [`Options::default`] gives: [`DEFAULT_MEMORY_BUDGET`]
/// unless the process chose another (the command line's `--memory-budget`).
static DEFAULT_BUDGET: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(DEFAULT_MEMORY_BUDGET);

/// Sets the memory budget of every template compiled from now on with
/// default options, on any thread.
pub fn set_default_memory_budget(bytes: usize) {
    DEFAULT_BUDGET.store(bytes, std::sync::atomic::Ordering::Relaxed);
}

impl Default for Options {
    fn default() -> Options {
        Options {
            memory_budget: DEFAULT_BUDGET.load(std::sync::atomic::Ordering::Relaxed),
        }
    }
}

/// A template that failed to compile (Jinja2's `TemplateSyntaxError` and
/// `TemplateAssertionError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (line {}, column {})",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for SyntaxError {}

/// Which Jinja2 environment a template is compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// PromptSource's: Jinja2's defaults plus `zip`, `choice`, `most_frequent`, `highlight`.
    #[default]
    PromptSource,
    /// transformers' chat-template environment: an immutable sandbox with
    /// `trim_blocks`, `lstrip_blocks`, loop controls, `{% generation %}`, its
    /// own `tojson`, `raise_exception` and `strftime_now` (see `chat_env`).
    ChatTemplate,
}

/// A compiled template.
#[derive(Debug)]
pub struct Program {
    pub(crate) mode: Mode,
    body: Vec<Stmt>,
    names: Vec<Arc<str>>,
    /// `choice` filters Jinja2 folds at compile time, in folding order.
    draw_sites: Vec<Expr>,
    loop_name: Option<NameId>,
    varargs_name: Option<NameId>,
    kwargs_name: Option<NameId>,
    caller_name: Option<NameId>,
    options: Options,
}

impl Program {
    /// Compiles a template source with Jinja2's default settings.
    pub fn compile(source: &str) -> Result<Program, SyntaxError> {
        Program::compile_with(source, Options::default())
    }

    /// Compiles with the engine's own settings; they hold for every render.
    pub fn compile_with(source: &str, options: Options) -> Result<Program, SyntaxError> {
        Program::compile_in_with(source, Mode::PromptSource, options)
    }

    /// Compiles a template for the environment `mode`.
    pub fn compile_in(source: &str, mode: Mode) -> Result<Program, SyntaxError> {
        Program::compile_in_with(source, mode, Options::default())
    }

    /// Compiles a template for the environment `mode` with the engine's own
    /// settings.
    pub fn compile_in_with(
        source: &str,
        mode: Mode,
        options: Options,
    ) -> Result<Program, SyntaxError> {
        let _budget = budget::Scope::enter(options.memory_budget);
        let source = lexer::normalize_source(source);
        let chat = mode == Mode::ChatTemplate;
        let lex = lexer::LexOptions {
            trim_blocks: chat,
            lstrip_blocks: chat,
        };
        let tokens = if chat {
            lexer::tokenize_with(&source, lex)?
        } else {
            lexer::tokenize(&source)?
        };
        let mut parser = parser::Parser::new(tokens);
        parser.chat_tags = chat;
        let body = parser.parse_template()?;
        check_filters_and_tests(&body, false)?;
        reject_recursive_loops(&body)?;
        let names = parser.names;
        let find = |name: &str| {
            names
                .iter()
                .position(|n| n.as_ref() == name)
                .map(|i| i as NameId)
        };
        let mut program = Program {
            mode,
            body: Vec::new(),
            loop_name: find("loop"),
            varargs_name: find("varargs"),
            kwargs_name: find("kwargs"),
            caller_name: find("caller"),
            names,
            draw_sites: Vec::new(),
            options,
        };
        let mut body = body;
        let sites = {
            let mut folder = fold::Folder::new(&program);
            folder.fold_body(&mut body);
            folder.sites
        };
        program.body = body;
        program.draw_sites = sites;
        Ok(program)
    }

    /// Whether compiling this template in Jinja2 draws random numbers.
    pub fn draws_at_compile_time(&self) -> bool {
        !self.draw_sites.is_empty()
    }

    /// Whether rendering may draw random numbers (a `choice` or `random`
    /// filter left for render time, `lipsum`, or a filter named by a string).
    pub fn may_draw_at_render(&self) -> bool {
        self.names.iter().any(|n| n.as_ref() == "lipsum")
            || self.draws_at_compile_time()
            || mentions_random(&self.body)
    }

    /// Performs the random draws Jinja2 makes while compiling, in order.
    pub(crate) fn draw(&self, rng: &mut PyRandom) -> Vec<Option<Const>> {
        if self.draw_sites.is_empty() {
            return Vec::new();
        }
        let _budget = budget::Scope::enter(self.options.memory_budget);
        let mut drawn: Vec<Option<Const>> = Vec::with_capacity(self.draw_sites.len());
        for site in &self.draw_sites {
            let ExprKind::Filter {
                input: Some(input), ..
            } = &site.kind
            else {
                drawn.push(None);
                continue;
            };
            let sequence = {
                let mut state = state::State::new(self, &EmptyContext, &drawn, rng);
                state.folding = true;
                state.eval(input)
            };
            let picked = sequence.ok().and_then(|sequence| {
                let mut state = state::State::new(self, &EmptyContext, &drawn, rng);
                filters::promptsource::choose(&mut state, &sequence).ok()
            });
            drawn.push(picked.and_then(|v| v.to_const()));
        }
        drawn
    }

    /// Renders with the given variables and the values drawn by
    /// [`Program::draw`]. With `spans`, records the byte ranges of `out`
    /// written by `{{ }}` expressions.
    pub(crate) fn render(
        &self,
        context: &dyn Context,
        drawn: &[Option<Const>],
        rng: &mut PyRandom,
        out: &mut String,
        spans: Option<&mut Vec<std::ops::Range<usize>>>,
    ) -> Result<(), Exc> {
        let _budget = budget::Scope::enter(self.options.memory_budget);
        let mut state = state::State::new(self, context, drawn, rng);
        if spans.is_some() {
            state.spans = Some(Vec::new());
        }
        let mut result = state.render_body(&self.body, out);
        if let (Ok(()), Some(error)) = (&result, budget::take_deferred()) {
            result = Err(error);
        }
        if let (Some(target), Some(found)) = (spans, state.spans.take()) {
            *target = found;
        }
        result
    }

    /// Names the template reads from its context, as Jinja2's
    /// `meta.find_undeclared_variables` reports them (PromptSource's
    /// environment globals excluded).
    pub fn undeclared_variables(&self) -> Vec<String> {
        undeclared::find(&self.body, &self.names)
    }
}

/// Jinja2 rejects unknown filters and tests at compile time, except inside
/// conditional branches, where the error waits for the branch to run.
fn check_filters_and_tests(body: &[Stmt], conditional: bool) -> Result<(), SyntaxError> {
    for stmt in body {
        let line = stmt.line;
        let exprs: Vec<&Expr> = match &stmt.kind {
            StmtKind::Data(_) | StmtKind::LoopControl(_) => Vec::new(),
            StmtKind::Output(e) => vec![e],
            StmtKind::If {
                test,
                body,
                elifs,
                otherwise,
            } => {
                check_expr(test, conditional, line)?;
                check_filters_and_tests(body, true)?;
                for (test, body) in elifs {
                    check_expr(test, true, line)?;
                    check_filters_and_tests(body, true)?;
                }
                check_filters_and_tests(otherwise, true)?;
                Vec::new()
            }
            StmtKind::For {
                iter,
                body,
                otherwise,
                filter,
                ..
            } => {
                check_filters_and_tests(body, conditional)?;
                check_filters_and_tests(otherwise, conditional)?;
                let mut exprs = vec![iter];
                exprs.extend(filter.iter());
                exprs
            }
            StmtKind::Assign { value, .. } => vec![value],
            StmtKind::AssignBlock { filter, body, .. } => {
                check_filters_and_tests(body, conditional)?;
                filter.iter().collect()
            }
            StmtKind::With { assignments, body } => {
                check_filters_and_tests(body, conditional)?;
                assignments.iter().map(|(_, e)| e).collect()
            }
            StmtKind::FilterBlock { filter, body } => {
                check_filters_and_tests(body, conditional)?;
                vec![filter]
            }
            StmtKind::Macro(def) => {
                check_filters_and_tests(&def.body, conditional)?;
                def.defaults.iter().collect()
            }
            StmtKind::CallBlock { call, caller } => {
                check_filters_and_tests(&caller.body, conditional)?;
                vec![call]
            }
        };
        for e in exprs {
            check_expr(e, conditional, line)?;
        }
    }
    Ok(())
}

fn check_args(args: &Args, conditional: bool, line: usize) -> Result<(), SyntaxError> {
    args.exprs()
        .try_for_each(|e| check_expr(e, conditional, line))
}

fn check_expr(expr: &Expr, conditional: bool, line: usize) -> Result<(), SyntaxError> {
    let fail = |what: &str, name: &str| SyntaxError {
        message: format!("No {what} named {}.", str_repr(name)),
        line: expr.line.max(line),
        column: 1,
    };
    match &expr.kind {
        ExprKind::Const(_) | ExprKind::Name(_) => Ok(()),
        ExprKind::List(items) | ExprKind::Tuple(items) | ExprKind::Concat(items) => items
            .iter()
            .try_for_each(|e| check_expr(e, conditional, line)),
        ExprKind::Dict(pairs) => pairs.iter().try_for_each(|(k, v)| {
            check_expr(k, conditional, line)?;
            check_expr(v, conditional, line)
        }),
        ExprKind::GetAttr(obj, _) | ExprKind::Unary(_, obj) => check_expr(obj, conditional, line),
        ExprKind::GetItem(a, b)
        | ExprKind::Binary(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b) => {
            check_expr(a, conditional, line)?;
            check_expr(b, conditional, line)
        }
        ExprKind::Slice(a, b, c) => [a, b, c]
            .into_iter()
            .flatten()
            .try_for_each(|e| check_expr(e, conditional, line)),
        ExprKind::Compare(first, rest) => {
            check_expr(first, conditional, line)?;
            rest.iter()
                .try_for_each(|(_, e)| check_expr(e, conditional, line))
        }
        ExprKind::Cond {
            test,
            then,
            otherwise,
        } => {
            check_expr(test, conditional, line)?;
            check_expr(then, true, line)?;
            otherwise
                .as_deref()
                .map_or(Ok(()), |e| check_expr(e, true, line))
        }
        ExprKind::Filter { input, name, args } => {
            if let Some(input) = input {
                check_expr(input, conditional, line)?;
            }
            if !conditional && !registry::filter_exists(name) {
                return Err(fail("filter", name));
            }
            check_args(args, conditional, line)
        }
        ExprKind::Test { input, name, args } => {
            check_expr(input, conditional, line)?;
            if !conditional && !registry::test_exists(name) {
                return Err(fail("test", name));
            }
            check_args(args, conditional, line)
        }
        ExprKind::Call { callee, args } => {
            check_expr(callee, conditional, line)?;
            check_args(args, conditional, line)
        }
        ExprKind::Drawn { fallback, .. } => check_expr(fallback, conditional, line),
    }
}

/// Whether any expression names a random filter, directly or as a string
/// handed to `map` (conservative: any such string counts).
fn mentions_random(body: &[Stmt]) -> bool {
    let mut found = false;
    ast::walk_exprs(body, &mut |expr| {
        found |= match &expr.kind {
            ExprKind::Filter { name, .. } => matches!(name.as_ref(), "random" | "choice"),
            ExprKind::Const(Const::Str(text)) => matches!(text.as_ref(), "random" | "choice"),
            _ => false,
        };
    });
    found
}

fn reject_recursive_loops(body: &[Stmt]) -> Result<(), SyntaxError> {
    for stmt in body {
        let nested: Vec<&[Stmt]> = match &stmt.kind {
            StmtKind::For {
                recursive: true, ..
            } => {
                return Err(SyntaxError {
                    message: "recursive for loops are not supported".to_string(),
                    line: stmt.line,
                    column: 1,
                })
            }
            StmtKind::For {
                body, otherwise, ..
            } => vec![body, otherwise],
            StmtKind::If {
                body,
                elifs,
                otherwise,
                ..
            } => {
                let mut all: Vec<&[Stmt]> = vec![body, otherwise];
                all.extend(elifs.iter().map(|(_, b)| b.as_slice()));
                all
            }
            StmtKind::AssignBlock { body, .. }
            | StmtKind::With { body, .. }
            | StmtKind::FilterBlock { body, .. } => vec![body],
            StmtKind::Macro(def) => vec![&def.body],
            StmtKind::CallBlock { caller, .. } => vec![&caller.body],
            _ => Vec::new(),
        };
        for body in nested {
            reject_recursive_loops(body)?;
        }
    }
    Ok(())
}

/// A context backed by a map of names to values.
#[cfg(test)]
pub(crate) struct MapContext {
    pub values: HashMap<Arc<str>, Value>,
}

#[cfg(test)]
impl Context for MapContext {
    fn lookup(&self, name: &str) -> Option<Value> {
        self.values.get(name).cloned()
    }
}

/// Renders `source` with `vars` (a convenience for tests and one-off renders).
#[cfg(test)]
pub(crate) fn render_str(
    source: &str,
    vars: &[(&str, Value)],
    seed: Option<u64>,
) -> Result<String, String> {
    render_str_in(Mode::PromptSource, source, vars, seed)
}

/// [`render_str`] for the environment `mode`.
#[cfg(test)]
pub(crate) fn render_str_in(
    mode: Mode,
    source: &str,
    vars: &[(&str, Value)],
    seed: Option<u64>,
) -> Result<String, String> {
    let program = Program::compile_in(source, mode)
        .map_err(|e| format!("TemplateSyntaxError: {}", e.message))?;
    let mut rng = seed.map_or_else(PyRandom::from_entropy, PyRandom::from_seed);
    let drawn = program.draw(&mut rng);
    let context = MapContext {
        values: vars
            .iter()
            .map(|(k, v)| (Arc::from(*k), v.clone()))
            .collect(),
    };
    let mut out = String::new();
    program
        .render(&context, &drawn, &mut rng, &mut out, None)
        .map_err(|e| format!("{}: {}", e.kind, e.message))?;
    Ok(out)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod limit_tests;
