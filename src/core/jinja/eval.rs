//! The tree-walking evaluator: Jinja2's runtime semantics (scoping, lookups,
//! undefined values, loops) over the Python value model, with fuel and output
//! limits so a hostile template cannot hang or exhaust memory. Statements
//! here, expressions in `expr`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use super::ast::*;
use super::error::Exc;
use super::state::*;
use super::value::*;
use crate::core::py::strings::str_repr;

mod expr;

impl State<'_> {
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
            .or_else(|| super::registry::global_value(self.program.mode, &name))
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
}

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
pub(super) fn raise_deferred<T>(result: R<T>) -> R<T> {
    match super::budget::take_deferred() {
        Some(error) if result.is_ok() => Err(error),
        _ => result,
    }
}
