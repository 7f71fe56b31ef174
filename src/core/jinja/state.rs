//! The state of one render, and the arguments of a call: what the
//! evaluator, the filters, tests, globals and methods all work on.

use std::sync::Arc;

use super::ast::{NameId, MAX_NESTING};
use super::error::Exc;
use super::value::*;
use super::Program;
use crate::core::py::random::PyRandom;

/// Evaluation steps one render may take before it is stopped.
pub(crate) const DEFAULT_FUEL: u64 = 50_000_000;
pub(crate) use super::budget::MAX_OUTPUT_BYTES;

/// Nested evaluations (statements and expression nodes) a render may be
/// inside at once. A parsed tree is at most [`MAX_NESTING`] blocks holding
/// expressions at most [`MAX_NESTING`] nodes deep, so this only stops
/// runaway recursive macros, before they overflow the stack.
pub(crate) const MAX_RENDER_DEPTH: u32 = 4 * MAX_NESTING;

/// Where names not set by the template come from (the row, `answer_choices`).
pub(crate) trait Context {
    fn lookup(&self, name: &str) -> Option<Value>;

    /// The wall-clock time `strftime_now` formats: the machine's local time
    /// unless the render froze it.
    fn now(&self) -> super::clock::WallTime {
        super::clock::WallTime::local_now()
    }
}

/// A context with no variables (constant folding, fixed answer choices).
pub(crate) struct EmptyContext;

impl Context for EmptyContext {
    fn lookup(&self, _name: &str) -> Option<Value> {
        None
    }
}

pub(crate) struct State<'a> {
    pub(crate) program: &'a Program,
    pub(crate) context: &'a dyn Context,
    /// Per-name cache of context/global lookups: a row value is converted once
    /// per render, and mutations made through one name are seen by all.
    /// Empty until the first lookup: the folder makes a `State` per
    /// foldable node, which must not cost one slot per name of the template.
    pub(crate) resolved: Vec<Option<Value>>,
    /// Template-set variables, innermost last.
    pub(crate) locals: Vec<(NameId, Value)>,
    /// Start of the current scope in `locals`.
    pub(crate) frame_start: usize,
    /// Values of the compile-time `choice` draws for this render.
    pub(crate) drawn: &'a [Option<Const>],
    pub(crate) rng: &'a mut PyRandom,
    pub(crate) fuel: u64,
    /// Set while constant folding: names are unknown, context filters refuse.
    pub(crate) folding: bool,
    /// Byte ranges of the top-level output written by `{{ }}`, when tracked.
    pub(crate) spans: Option<Vec<std::ops::Range<usize>>>,
    /// How many block captures (`{% set %}` blocks, filter blocks, macros)
    /// are rendering into a buffer other than the output.
    pub(crate) capture_depth: usize,
    /// Current nesting of `exec` and `eval` calls (see [`MAX_RENDER_DEPTH`]).
    pub(crate) depth: u32,
    /// Chat mode: the top level's variables, for late-bound macros.
    pub(crate) top_level: Vec<(NameId, Value)>,
    /// Macro calls in progress.
    pub(crate) macro_depth: usize,
}

pub(crate) type R<T> = Result<T, Exc>;

/// Evaluated call arguments.
#[derive(Default, Debug)]
pub(crate) struct CallArgs {
    pub positional: Vec<Value>,
    pub keyword: Vec<(Arc<str>, Value)>,
}

impl CallArgs {
    pub(crate) fn positional(values: Vec<Value>) -> CallArgs {
        CallArgs {
            positional: values,
            keyword: Vec::new(),
        }
    }

    /// Binds to a Python signature `func(params...)`; returns one slot per
    /// parameter. `func` names the function in `TypeError` messages.
    pub(crate) fn bind(self, func: &str, params: &[&str]) -> R<Vec<Option<Value>>> {
        if self.positional.len() > params.len() {
            return Err(Exc::type_error(format!(
                "{func}() takes {} positional arguments but {} were given",
                params.len(),
                self.positional.len()
            )));
        }
        let mut slots: Vec<Option<Value>> = Vec::with_capacity(params.len());
        let given = self.positional.len();
        slots.extend(self.positional.into_iter().map(Some));
        slots.resize(params.len(), None);
        for (key, value) in self.keyword {
            match params.iter().position(|p| *p == key.as_ref()) {
                Some(i) if i < given => {
                    return Err(Exc::type_error(format!(
                        "{func}() got multiple values for argument '{key}'"
                    )))
                }
                Some(i) => slots[i] = Some(value),
                None => {
                    return Err(Exc::type_error(format!(
                        "{func}() got an unexpected keyword argument '{key}'"
                    )))
                }
            }
        }
        Ok(slots)
    }

    pub(crate) fn no_keywords(&self, func: &str) -> R<()> {
        if let Some((key, _)) = self.keyword.first() {
            return Err(Exc::type_error(format!(
                "{func}() takes no keyword arguments (got '{key}')"
            )));
        }
        Ok(())
    }
}

impl<'a> State<'a> {
    pub(crate) fn new(
        program: &'a Program,
        context: &'a dyn Context,
        drawn: &'a [Option<Const>],
        rng: &'a mut PyRandom,
    ) -> State<'a> {
        State {
            program,
            context,
            resolved: Vec::new(),
            locals: Vec::new(),
            frame_start: 0,
            drawn,
            rng,
            fuel: DEFAULT_FUEL,
            folding: false,
            spans: None,
            capture_depth: 0,
            depth: 0,
            top_level: Vec::new(),
            macro_depth: 0,
        }
    }

    pub(crate) fn burn(&mut self, steps: u64) -> R<()> {
        if self.fuel < steps {
            return Err(Exc::limit(
                "the template took too many evaluation steps (infinite or exploding loop?)",
            ));
        }
        self.fuel -= steps;
        Ok(())
    }

    pub(crate) fn context(&self) -> &dyn Context {
        self.context
    }

    pub(crate) fn name(&self, id: NameId) -> &Arc<str> {
        &self.program.names[id as usize]
    }
}
