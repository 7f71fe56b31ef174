//! The tree-walking evaluator: Jinja2's runtime semantics (scoping, lookups,
//! undefined values, loops) over the Python value model, with fuel and output
//! limits so a hostile template cannot hang or exhaust memory.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use super::ast::*;
use super::error::Exc;
use super::ops;
use super::value::*;
use super::{filters, methods, predicates, Program};
use crate::core::py::random::PyRandom;
use crate::core::py::strings::str_repr;

/// Evaluation steps one render may take before it is stopped.
pub(crate) const DEFAULT_FUEL: u64 = 50_000_000;
/// Largest output (and largest single string or list) a render may build.
pub(crate) const MAX_OUTPUT_BYTES: usize = 256 << 20;

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
    fn now(&self) -> super::chat_env::WallTime {
        super::chat_env::WallTime::local_now()
    }
}

/// A context with no variables (constant folding, fixed answer choices).
pub(crate) struct EmptyContext;

impl Context for EmptyContext {
    fn lookup(&self, _name: &str) -> Option<Value> {
        None
    }
}

#[derive(Debug)]
pub(crate) struct MacroValue {
    pub name: Arc<str>,
    pub def: Arc<MacroDef>,
    /// Variables visible where the macro was defined.
    pub captured: Vec<(NameId, Value)>,
    /// The `caller` of a `{% call %}` block.
    pub caller: Option<Value>,
    /// A `{% macro %}` sees its own name in its body (so it can recurse, as
    /// in Jinja2, where the name is a closure over the defining scope); a
    /// `{% call %}` block's body is named `caller` and must see the outer one.
    pub sees_itself: bool,
    /// Chat mode, defined at the top level: sees the top level's variables
    /// as they are when it is called (Jinja2's generated code reads them
    /// through late-binding closures), so it can call itself or read a
    /// namespace set after it.
    pub late_bound: bool,
}

pub(crate) struct State<'a> {
    pub program: &'a Program,
    context: &'a dyn Context,
    /// Per-name cache of context/global lookups: a row value is converted once
    /// per render, and mutations made through one name are seen by all.
    /// Empty until the first lookup: the folder makes a `State` per
    /// foldable node, which must not cost one slot per name of the template.
    resolved: Vec<Option<Value>>,
    /// Template-set variables, innermost last.
    locals: Vec<(NameId, Value)>,
    /// Start of the current scope in `locals`.
    frame_start: usize,
    /// Values of the compile-time `choice` draws for this render.
    drawn: &'a [Option<Const>],
    pub rng: &'a mut PyRandom,
    fuel: u64,
    /// Set while constant folding: names are unknown, context filters refuse.
    pub folding: bool,
    /// Byte ranges of the top-level output written by `{{ }}`, when tracked.
    pub spans: Option<Vec<std::ops::Range<usize>>>,
    /// How many block captures (`{% set %}` blocks, filter blocks, macros)
    /// are rendering into a buffer other than the output.
    capture_depth: usize,
    /// Current nesting of `exec` and `eval` calls (see [`MAX_RENDER_DEPTH`]).
    depth: u32,
    /// Chat mode: the top level's variables, for late-bound macros.
    top_level: Vec<(NameId, Value)>,
    /// Macro calls in progress.
    macro_depth: usize,
}

type R<T> = Result<T, Exc>;

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

    fn lookup(&mut self, id: NameId) -> R<Value> {
        if let Some((_, value)) = self.locals.iter().rev().find(|(n, _)| *n == id) {
            return Ok(value.clone());
        }
        if self.folding {
            return Err(Exc::runtime("not constant"));
        }
        if self.resolved.is_empty() {
            self.resolved = vec![None; self.program.names.len()];
        }
        if let Some(value) = &self.resolved[id as usize] {
            return Ok(value.clone());
        }
        let name = self.program.names[id as usize].clone();
        let value = self
            .context
            .lookup(&name)
            .or_else(|| match self.program.mode {
                super::Mode::PromptSource => global(&name),
                super::Mode::ChatTemplate => super::chat_env::global(&name),
            })
            .unwrap_or_else(|| Value::undefined(UndefinedReason::Name(name)));
        self.resolved[id as usize] = Some(value.clone());
        Ok(value)
    }

    fn at_chat_top_level(&self) -> bool {
        self.program.mode == super::Mode::ChatTemplate
            && self.frame_start == 0
            && self.macro_depth == 0
    }

    fn assign_name(&mut self, id: NameId, value: Value) {
        if self.at_chat_top_level() {
            match self.top_level.iter_mut().find(|(n, _)| *n == id) {
                Some(slot) => slot.1 = value.clone(),
                None => self.top_level.push((id, value.clone())),
            }
        }
        let start = self.frame_start;
        if let Some(slot) = self.locals[start..].iter_mut().find(|(n, _)| *n == id) {
            slot.1 = value;
        } else {
            self.locals.push((id, value));
        }
    }

    fn assign(&mut self, target: &Target, value: Value) -> R<()> {
        match target {
            Target::Name(id) => self.assign_name(*id, value),
            Target::Tuple(targets) => {
                let items = value.iterate()?;
                if items.len() != targets.len() {
                    return Err(if items.len() > targets.len() {
                        Exc::value_error(format!(
                            "too many values to unpack (expected {})",
                            targets.len()
                        ))
                    } else {
                        Exc::value_error(format!(
                            "not enough values to unpack (expected {}, got {})",
                            targets.len(),
                            items.len()
                        ))
                    });
                }
                for (target, item) in targets.iter().zip(items) {
                    self.assign(target, item)?;
                }
            }
            Target::NamespaceAttr(ns, attr) => {
                let Value::Namespace(dict) = &self.lookup(*ns)? else {
                    return Err(Exc::runtime(
                        "cannot assign attribute on non-namespace object",
                    ));
                };
                dict_insert(
                    &mut dict.borrow_mut(),
                    HashKey::Str(attr.clone()),
                    Value::Str(attr.clone()),
                    value,
                );
            }
        }
        Ok(())
    }

    // ----- statements -----

    pub(crate) fn render_body(&mut self, body: &[Stmt], out: &mut String) -> R<()> {
        for stmt in body {
            self.exec(stmt, out).map_err(|mut e| {
                e.line.get_or_insert(stmt.line);
                e
            })?;
        }
        Ok(())
    }

    fn write(&mut self, out: &mut String, value: &Value) -> R<()> {
        value.write_str(out);
        if out.len() > MAX_OUTPUT_BYTES {
            return Err(Exc::limit(format!(
                "the output grew past {} MiB",
                MAX_OUTPUT_BYTES >> 20
            )));
        }
        Ok(())
    }

    /// Counts one level of recursion; the caller undoes it with `depth -= 1`.
    #[inline(always)]
    fn descend(&mut self) -> R<()> {
        if self.depth >= MAX_RENDER_DEPTH {
            return Err(nested_too_deep());
        }
        self.depth += 1;
        Ok(())
    }

    #[inline(always)]
    fn exec(&mut self, stmt: &Stmt, out: &mut String) -> R<()> {
        self.descend()?;
        let result = self.exec_node(stmt, out);
        self.depth -= 1;
        result
    }

    fn exec_node(&mut self, stmt: &Stmt, out: &mut String) -> R<()> {
        self.burn(1)?;
        match &stmt.kind {
            StmtKind::Data(text) => {
                out.push_str(text);
                if out.len() > MAX_OUTPUT_BYTES {
                    return Err(Exc::limit("the output grew too large"));
                }
            }
            StmtKind::Output(expr) => {
                let value = self.eval(expr)?;
                let start = out.len();
                self.write(out, &value)?;
                if let (Some(spans), 0) = (&mut self.spans, self.capture_depth) {
                    if out.len() > start {
                        spans.push(start..out.len());
                    }
                }
            }
            StmtKind::If {
                test,
                body,
                elifs,
                otherwise,
            } => {
                if self.eval(test)?.truthy() {
                    return self.render_body(body, out);
                }
                for (test, body) in elifs {
                    if self.eval(test)?.truthy() {
                        return self.render_body(body, out);
                    }
                }
                self.render_body(otherwise, out)?;
            }
            StmtKind::For {
                target,
                iter,
                body,
                otherwise,
                filter,
                ..
            } => self.exec_for(target, iter, body, otherwise, filter.as_ref(), out)?,
            StmtKind::Assign { target, value } => {
                let value = self.eval(value)?;
                self.assign(target, value)?;
            }
            StmtKind::AssignBlock {
                target,
                filter,
                body,
            } => {
                let text = self.capture(body)?;
                let mut value = Value::Str(Arc::from(text));
                if let Some(filter) = filter {
                    value = self.eval_filter_chain(filter, value)?;
                }
                self.assign(target, value)?;
            }
            StmtKind::With { assignments, body } => {
                let values = assignments
                    .iter()
                    .map(|(_, e)| self.eval(e))
                    .collect::<R<Vec<_>>>()?;
                let saved = self.push_frame();
                let result = (|| {
                    for ((target, _), value) in assignments.iter().zip(values) {
                        self.assign(target, value)?;
                    }
                    self.render_body(body, out)
                })();
                self.pop_frame(saved);
                result?;
            }
            StmtKind::FilterBlock { filter, body } => {
                let text = self.capture(body)?;
                let value = self.eval_filter_chain(filter, Value::Str(Arc::from(text)))?;
                self.write(out, &value)?;
            }
            StmtKind::Macro(def) => {
                let value = self.make_macro(def, None, true);
                self.assign_name(def.name, value);
            }
            StmtKind::CallBlock { call, caller } => {
                let caller_value = self.make_macro(caller, None, false);
                let ExprKind::Call { callee, args } = &call.kind else {
                    return Err(Exc::runtime("call block without a call"));
                };
                let callee = self.eval(callee)?;
                let mut args = self.eval_args(args)?;
                args.keyword.push((Arc::from("caller"), caller_value));
                let value = self.call_value(&callee, args)?;
                self.write(out, &value)?;
            }
            StmtKind::LoopControl(control) => return Err(super::chat_env::loop_signal(*control)),
        }
        Ok(())
    }

    /// Renders `body` into a fresh buffer.
    fn capture(&mut self, body: &[Stmt]) -> R<String> {
        let mut text = String::new();
        self.capture_depth += 1;
        let result = self.render_body(body, &mut text);
        self.capture_depth -= 1;
        result.map(|()| text)
    }

    fn push_frame(&mut self) -> usize {
        let saved = self.frame_start;
        self.frame_start = self.locals.len();
        saved
    }

    fn pop_frame(&mut self, saved: usize) {
        self.locals.truncate(self.frame_start);
        self.frame_start = saved;
    }

    fn exec_for(
        &mut self,
        target: &Target,
        iter: &Expr,
        body: &[Stmt],
        otherwise: &[Stmt],
        filter: Option<&Expr>,
        out: &mut String,
    ) -> R<()> {
        let iterable = self.eval(iter)?;
        if let Value::Range(r) = &iterable {
            self.burn(r.len() as u64)?;
        }
        let mut items = iterable.iterate()?;
        self.burn(items.len() as u64)?;
        if let Some(filter) = filter {
            if self.program.loop_name.is_none() {
                return self.exec_filtered_for(target, items, filter, body, otherwise, out);
            }
            // `loop.length` and friends need the filtered items up front.
            // Jinja2 filters lazily, so this differs only when the body
            // changes what the filter sees.
            let saved = self.push_frame();
            let mut kept = Vec::with_capacity(items.len());
            let mut result = Ok(());
            for item in items {
                if let Err(e) = self.assign(target, item.clone()) {
                    result = Err(e);
                    break;
                }
                match self.eval(filter) {
                    Ok(v) if v.truthy() => kept.push(item),
                    Ok(_) => {}
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
                self.locals.truncate(self.frame_start);
            }
            self.pop_frame(saved);
            result?;
            items = kept;
        }
        if items.is_empty() {
            return self.render_body(otherwise, out);
        }
        let loop_id = self.program.loop_name;
        // `loop.depth` only grows in recursive loops, which are not supported.
        let loop_state = loop_id.map(|_| {
            Rc::new(LoopState {
                index0: Cell::new(0),
                length: items.len(),
                items: Rc::from(items.clone()),
                depth0: 0,
                last_changed: RefCell::new(None),
            })
        });
        let saved = self.push_frame();
        let mut result = Ok(());
        for (index, item) in items.into_iter().enumerate() {
            self.locals.truncate(self.frame_start);
            if let (Some(id), Some(state)) = (loop_id, &loop_state) {
                state.index0.set(index);
                self.locals.push((id, Value::Loop(state.clone())));
            }
            if let Err(e) = self.assign(target, item) {
                result = Err(e);
                break;
            }
            if let Err(e) = self.render_body(body, out) {
                match super::chat_env::caught_loop_signal(&e) {
                    Some(LoopControl::Continue) => continue,
                    Some(LoopControl::Break) => break,
                    None => {}
                }
                result = Err(e);
                break;
            }
        }
        self.pop_frame(saved);
        result
    }

    /// `{% for x in xs if test %}` without `loop`: as in Jinja2, each item is
    /// tested right before its turn, so the body can change what later tests see.
    fn exec_filtered_for(
        &mut self,
        target: &Target,
        items: Vec<Value>,
        filter: &Expr,
        body: &[Stmt],
        otherwise: &[Stmt],
        out: &mut String,
    ) -> R<()> {
        let saved = self.push_frame();
        let mut ran = false;
        let mut result: R<()> = Ok(());
        for item in items {
            self.locals.truncate(self.frame_start);
            let step = (|| -> R<()> {
                self.assign(target, item)?;
                if self.eval(filter)?.truthy() {
                    ran = true;
                    self.render_body(body, out)?;
                }
                Ok(())
            })();
            if let Err(e) = step {
                match super::chat_env::caught_loop_signal(&e) {
                    Some(LoopControl::Continue) => continue,
                    Some(LoopControl::Break) => break,
                    None => {}
                }
                result = Err(e);
                break;
            }
        }
        self.pop_frame(saved);
        result?;
        if !ran {
            self.render_body(otherwise, out)?;
        }
        Ok(())
    }

    fn make_macro(
        &mut self,
        def: &Arc<MacroDef>,
        caller: Option<Value>,
        sees_itself: bool,
    ) -> Value {
        Value::Func(Rc::new(Func::Macro(Rc::new(MacroValue {
            name: self.name(def.name).clone(),
            def: def.clone(),
            captured: self.locals.clone(),
            caller,
            sees_itself,
            late_bound: self.at_chat_top_level(),
        }))))
    }

    fn call_macro(&mut self, mac: &Rc<MacroValue>, mut args: CallArgs) -> R<Value> {
        let def = &mac.def;
        let program = self.program;
        let mut caller = mac.caller.clone();
        if let Some(pos) = args
            .keyword
            .iter()
            .position(|(k, _)| k.as_ref() == "caller")
        {
            caller = Some(args.keyword.remove(pos).1);
        }
        let params = def.params.len();
        let uses_varargs = program.varargs_name.is_some();
        if args.positional.len() > params && !uses_varargs {
            return Err(Exc::type_error(format!(
                "macro '{}' takes not more than {} argument(s)",
                mac.name, params
            )));
        }
        let base = if mac.late_bound {
            self.top_level.clone()
        } else {
            mac.captured.clone()
        };
        let saved_locals = std::mem::replace(&mut self.locals, base);
        self.macro_depth += 1;
        let saved_start = self.frame_start;
        if mac.sees_itself {
            let itself = Value::Func(Rc::new(Func::Macro(mac.clone())));
            self.locals.push((def.name, itself));
        }
        self.frame_start = self.locals.len();
        let result = (|| {
            let mut positional = args.positional.into_iter();
            let first_default = params - def.defaults.len();
            let mut keyword = args.keyword;
            for (i, &param) in def.params.iter().enumerate() {
                let name = self.name(param).clone();
                let value = if let Some(v) = positional.next() {
                    v
                } else if let Some(pos) = keyword.iter().position(|(k, _)| *k == name) {
                    keyword.remove(pos).1
                } else if i >= first_default {
                    self.eval(&def.defaults[i - first_default])?
                } else {
                    Value::hint(&format!("parameter {} was not provided", str_repr(&name)))
                };
                self.assign_name(param, value);
            }
            if let Some(id) = program.varargs_name {
                self.assign_name(id, Value::tuple(positional.collect()));
            }
            if let Some(id) = program.kwargs_name {
                let mut dict = Dict::new();
                for (k, v) in keyword.drain(..) {
                    dict_insert(&mut dict, HashKey::Str(k.clone()), Value::Str(k), v);
                }
                self.assign_name(id, Value::dict(dict));
            } else if let Some((k, _)) = keyword.first() {
                return Err(Exc::type_error(format!(
                    "macro '{}' takes no keyword argument '{}'",
                    mac.name, k
                )));
            }
            if let (Some(id), Some(caller)) = (program.caller_name, caller) {
                self.assign_name(id, caller);
            }
            let text = self.capture(&def.body)?;
            Ok(Value::Str(Arc::from(text)))
        })();
        self.locals = saved_locals;
        self.frame_start = saved_start;
        self.macro_depth -= 1;
        result
    }

    // ----- expressions -----

    #[inline(always)]
    pub(crate) fn eval(&mut self, expr: &Expr) -> R<Value> {
        self.descend()?;
        let result = self.eval_node(expr);
        self.depth -= 1;
        result
    }

    fn eval_node(&mut self, expr: &Expr) -> R<Value> {
        self.burn(1)?;
        match &expr.kind {
            ExprKind::Const(c) => Ok(Value::from_const(c)),
            ExprKind::Name(id) => self.lookup(*id),
            ExprKind::List(items) => {
                super::budget::charge_items(items.len())?;
                let values = items.iter().map(|e| self.eval(e)).collect::<R<Vec<_>>>()?;
                Ok(Value::list(values))
            }
            ExprKind::Tuple(items) => {
                let values = items.iter().map(|e| self.eval(e)).collect::<R<Vec<_>>>()?;
                Ok(Value::tuple(values))
            }
            ExprKind::Dict(items) => {
                super::budget::charge_items(2 * items.len())?;
                let mut dict = Dict::with_capacity(items.len());
                for (k, v) in items {
                    let key = self.eval(k)?;
                    let value = self.eval(v)?;
                    let hash = key.hash_key()?;
                    dict_insert(&mut dict, hash, key, value);
                }
                Ok(Value::dict(dict))
            }
            ExprKind::GetAttr(obj, name) => {
                let obj = self.eval(obj)?;
                if self.program.mode == super::Mode::ChatTemplate {
                    if let Some(hidden) = super::chat_env::unsafe_attribute(&obj, name) {
                        return Ok(hidden);
                    }
                }
                ops::getattr(&obj, name)
            }
            ExprKind::GetItem(obj, key) => {
                let obj = self.eval(obj)?;
                if let ExprKind::Slice(start, stop, step) = &key.kind {
                    let bounds = [start, stop, step].map(|b| b.as_deref());
                    let mut values = [Value::None, Value::None, Value::None];
                    for (slot, bound) in values.iter_mut().zip(bounds) {
                        if let Some(bound) = bound {
                            *slot = self.eval(bound)?;
                        }
                    }
                    let [start, stop, step] = values;
                    return ops::slice(&obj, &start, &stop, &step);
                }
                let key = self.eval(key)?;
                ops::getitem(&obj, &key)
            }
            ExprKind::Slice(..) => Err(Exc::runtime("slice outside of a subscript")),
            ExprKind::Unary(op, inner) => {
                let value = self.eval(inner)?;
                ops::unary(*op, &value)
            }
            ExprKind::Binary(op, left, right) => {
                let left = self.eval(left)?;
                let right = self.eval(right)?;
                ops::binary(*op, &left, &right)
            }
            ExprKind::And(left, right) => {
                let left = self.eval(left)?;
                if !left.truthy() {
                    return Ok(left);
                }
                self.eval(right)
            }
            ExprKind::Or(left, right) => {
                let left = self.eval(left)?;
                if left.truthy() {
                    return Ok(left);
                }
                self.eval(right)
            }
            ExprKind::Concat(parts) => {
                let mut text = String::new();
                for part in parts {
                    let value = self.eval(part)?;
                    let before = text.len();
                    value.write_str(&mut text);
                    super::budget::charge(text.len() - before)?;
                    if text.len() > MAX_OUTPUT_BYTES {
                        return Err(Exc::limit("string concatenation grew too large"));
                    }
                }
                Ok(Value::Str(Arc::from(text)))
            }
            ExprKind::Compare(first, rest) => {
                let mut left = self.eval(first)?;
                for (op, right) in rest {
                    let right = self.eval(right)?;
                    if !raise_deferred(ops::compare(*op, &left, &right))? {
                        return Ok(Value::Bool(false));
                    }
                    left = right;
                }
                Ok(Value::Bool(true))
            }
            ExprKind::Cond {
                test,
                then,
                otherwise,
            } => {
                if self.eval(test)?.truthy() {
                    self.eval(then)
                } else if let Some(otherwise) = otherwise {
                    self.eval(otherwise)
                } else {
                    Ok(Value::hint(&format!(
                        "the inline if-expression on line {} evaluated to false and no else section was defined.",
                        expr.line
                    )))
                }
            }
            ExprKind::Filter { input, name, args } => {
                let input = match input {
                    Some(input) => self.eval(input)?,
                    None => Value::Str(Arc::from("")),
                };
                let args = self.eval_args(args)?;
                raise_deferred(filters::apply(self, name, input, args))
            }
            ExprKind::Test { input, name, args } => {
                let input = self.eval(input)?;
                let args = self.eval_args(args)?;
                raise_deferred(predicates::apply(self, name, &input, args).map(Value::Bool))
            }
            ExprKind::Call { callee, args } => {
                if let ExprKind::GetAttr(obj, name) = &callee.kind {
                    let obj = self.eval(obj)?;
                    if let Some(method) = methods::lookup(&obj, name) {
                        let args = self.eval_args(args)?;
                        return raise_deferred(methods::call(self, &obj, method, args));
                    }
                    let callee = ops::getattr(&obj, name)?;
                    let args = self.eval_args(args)?;
                    return raise_deferred(self.call_value(&callee, args));
                }
                let callee = self.eval(callee)?;
                let args = self.eval_args(args)?;
                raise_deferred(self.call_value(&callee, args))
            }
            ExprKind::Drawn { site, fallback } => match self.drawn.get(*site) {
                Some(Some(value)) => Ok(Value::from_const(value)),
                _ => self.eval(fallback),
            },
        }
    }

    /// Applies a `{% set x | f %}` / `{% filter f %}` chain to the block's text.
    fn eval_filter_chain(&mut self, filter: &Expr, body: Value) -> R<Value> {
        let ExprKind::Filter { input, name, args } = &filter.kind else {
            return Err(Exc::runtime("expected a filter"));
        };
        let input = match input {
            Some(inner) => self.eval_filter_chain(inner, body)?,
            None => body,
        };
        let args = self.eval_args(args)?;
        raise_deferred(filters::apply(self, name, input, args))
    }

    pub(crate) fn eval_args(&mut self, args: &Args) -> R<CallArgs> {
        let mut out = CallArgs {
            positional: Vec::with_capacity(args.positional.len()),
            keyword: Vec::with_capacity(args.keyword.len()),
        };
        for e in &args.positional {
            out.positional.push(self.eval(e)?);
        }
        for (k, e) in &args.keyword {
            out.keyword.push((k.clone(), self.eval(e)?));
        }
        if let Some(star) = &args.star {
            out.positional.extend(self.eval(star)?.iterate()?);
        }
        if let Some(star_star) = &args.star_star {
            match &self.eval(star_star)? {
                Value::Dict(d) => {
                    for (k, v) in d.borrow().values() {
                        out.keyword.push((k.to_str(), v.clone()));
                    }
                }
                other => {
                    return Err(Exc::type_error(format!(
                        "argument after ** must be a mapping, not {}",
                        other.type_name()
                    )))
                }
            }
        }
        Ok(out)
    }

    pub(crate) fn call_value(&mut self, callee: &Value, args: CallArgs) -> R<Value> {
        match callee {
            Value::Undefined(reason) => Err(Exc::undefined(reason)),
            Value::Func(func) => match func.as_ref() {
                Func::Global(name) => call_global(self, name, args),
                Func::Method(recv, name) => methods::call(self, recv, name, args),
                Func::Macro(mac) => {
                    let mac = mac.clone();
                    self.call_macro(&mac, args)
                }
                Func::LoopCycle(state) => {
                    if args.positional.is_empty() {
                        return Err(Exc::type_error("no items for cycling given"));
                    }
                    let i = state.index0.get() % args.positional.len();
                    Ok(args.positional[i].clone())
                }
                Func::LoopChanged(state) => {
                    let mut last = state.last_changed.borrow_mut();
                    let changed = match &*last {
                        Some(prev) => {
                            prev.len() != args.positional.len()
                                || prev.iter().zip(&args.positional).any(|(a, b)| !py_eq(a, b))
                        }
                        None => true,
                    };
                    if changed {
                        *last = Some(args.positional);
                    }
                    Ok(Value::Bool(changed))
                }
            },
            Value::Joiner(joiner) => {
                if joiner.1.get() {
                    Ok(Value::Str(joiner.0.clone()))
                } else {
                    joiner.1.set(true);
                    Ok(Value::str(""))
                }
            }
            other => Err(Exc::type_error(format!(
                "'{}' object is not callable",
                other.type_name()
            ))),
        }
    }
}

/// The environment's globals (Jinja2's defaults plus PromptSource's `zip`).
#[cold]
fn nested_too_deep() -> Exc {
    Exc::limit(format!(
        "the template nested deeper than {MAX_RENDER_DEPTH} levels while rendering (a macro calling itself without end?)"
    ))
}

/// `result`, or the error a comparison inside it could not raise (see
/// [`super::budget::fail_later`]): checked after the operations that compare
/// values, not at every step.
#[inline]
fn raise_deferred<T>(result: R<T>) -> R<T> {
    match super::budget::take_deferred() {
        Some(error) if result.is_ok() => Err(error),
        _ => result,
    }
}

fn global(name: &str) -> Option<Value> {
    let name: &'static str = match name {
        "range" => "range",
        "zip" => "zip",
        "namespace" => "namespace",
        "dict" => "dict",
        "lipsum" => "lipsum",
        "cycler" => "cycler",
        "joiner" => "joiner",
        _ => return None,
    };
    Some(Value::Func(Rc::new(Func::Global(name))))
}

fn int_arg(value: &Value) -> R<i64> {
    match value {
        Value::Int(n) => Ok(*n),
        Value::Bool(b) => Ok(*b as i64),
        Value::Undefined(u) => Err(Exc::undefined(u)),
        other => Err(Exc::type_error(format!(
            "'{}' object cannot be interpreted as an integer",
            other.type_name()
        ))),
    }
}

fn call_global(state: &mut State<'_>, name: &str, args: CallArgs) -> R<Value> {
    match name {
        "range" => {
            args.no_keywords("range")?;
            let ints = args.positional.iter().map(int_arg).collect::<R<Vec<_>>>()?;
            let (start, stop, step) = match ints.as_slice() {
                [stop] => (0, *stop, 1),
                [start, stop] => (*start, *stop, 1),
                [start, stop, step] => (*start, *stop, *step),
                [] => return Err(Exc::type_error("range expected at least 1 argument, got 0")),
                _ => {
                    return Err(Exc::type_error(format!(
                        "range expected at most 3 arguments, got {}",
                        ints.len()
                    )))
                }
            };
            if step == 0 {
                return Err(Exc::value_error("range() arg 3 must not be zero"));
            }
            Ok(Value::Range(PyRange { start, stop, step }))
        }
        "zip" => {
            args.no_keywords("zip")?;
            let lists = args
                .positional
                .iter()
                .map(Value::iterate)
                .collect::<R<Vec<_>>>()?;
            let len = lists.iter().map(Vec::len).min().unwrap_or(0);
            state.burn(len as u64)?;
            let mut columns: Vec<_> = lists.into_iter().map(Vec::into_iter).collect();
            let rows = (0..len)
                .map(|_| Value::tuple(columns.iter_mut().filter_map(Iterator::next).collect()))
                .collect();
            Ok(Value::iter("zip", rows))
        }
        "namespace" | "dict" => {
            let mut dict = Dict::new();
            for value in &args.positional {
                match value {
                    Value::Dict(d) => {
                        for (h, (k, v)) in d.borrow().iter() {
                            dict_insert(&mut dict, h.clone(), k.clone(), v.clone());
                        }
                    }
                    other => {
                        for pair in other.iterate()? {
                            let pair = pair.iterate()?;
                            if pair.len() != 2 {
                                return Err(Exc::value_error(format!(
                                    "dictionary update sequence element #0 has length {}; 2 is required",
                                    pair.len()
                                )));
                            }
                            let hash = pair[0].hash_key()?;
                            dict_insert(&mut dict, hash, pair[0].clone(), pair[1].clone());
                        }
                    }
                }
            }
            for (k, v) in args.keyword {
                dict_insert(&mut dict, HashKey::Str(k.clone()), Value::Str(k), v);
            }
            let cell = Rc::new(RefCell::new(dict));
            Ok(if name == "dict" {
                Value::Dict(cell)
            } else {
                Value::Namespace(cell)
            })
        }
        "cycler" => Ok(Value::Cycler(Rc::new(Cycler {
            items: args.positional,
            position: Cell::new(0),
        }))),
        "joiner" => {
            let sep = args
                .bind("joiner", &["sep"])?
                .pop()
                .flatten()
                .map_or_else(|| Arc::from(", "), |v| v.to_str());
            Ok(Value::Joiner(Rc::new((sep, Cell::new(false)))))
        }
        "lipsum" => filters::lipsum(state, args),
        "raise_exception" | "strftime_now" => super::chat_env::call_global(state, name, args),
        _ => Err(Exc::runtime(format!("unknown global {name}"))),
    }
}
