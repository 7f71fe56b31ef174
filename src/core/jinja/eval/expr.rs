//! Expressions: names, literals, operators, filters, tests and calls.

use std::sync::Arc;

use super::raise_deferred;
use crate::core::jinja::ast::*;
use crate::core::jinja::budget::MAX_OUTPUT_BYTES;
use crate::core::jinja::error::Exc;
use crate::core::jinja::state::*;
use crate::core::jinja::value::*;
use crate::core::jinja::{budget, chat_env, methods, ops, Mode};

impl State<'_> {
    #[inline(always)]
    pub(crate) fn eval(&mut self, expr: &Expr) -> R<Value> {
        self.descend()?;
        let result = self.eval_node(expr);
        self.depth -= 1;
        result
    }

    pub(super) fn eval_node(&mut self, expr: &Expr) -> R<Value> {
        self.burn(1)?;
        match &expr.kind {
            ExprKind::Const(c) => Ok(Value::from_const(c)),
            ExprKind::Name(id) => self.lookup(*id),
            ExprKind::List(items) => {
                charge_items(items.len())?;
                let values = items.iter().map(|e| self.eval(e)).collect::<R<Vec<_>>>()?;
                Ok(Value::list(values))
            }
            ExprKind::Tuple(items) => {
                let values = items.iter().map(|e| self.eval(e)).collect::<R<Vec<_>>>()?;
                Ok(Value::tuple(values))
            }
            ExprKind::Dict(items) => {
                charge_items(2 * items.len())?;
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
                if self.program.mode == Mode::ChatTemplate {
                    if let Some(hidden) = chat_env::unsafe_attribute(&obj, name) {
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
                    budget::charge(text.len() - before)?;
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
                raise_deferred(self.call_filter(name, input, args))
            }
            ExprKind::Test { input, name, args } => {
                let input = self.eval(input)?;
                let args = self.eval_args(args)?;
                raise_deferred(self.call_test(name, &input, args).map(Value::Bool))
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
    pub(super) fn eval_filter_chain(&mut self, filter: &Expr, body: Value) -> R<Value> {
        let ExprKind::Filter { input, name, args } = &filter.kind else {
            return Err(Exc::runtime("expected a filter"));
        };
        let input = match input {
            Some(inner) => self.eval_filter_chain(inner, body)?,
            None => body,
        };
        let args = self.eval_args(args)?;
        raise_deferred(self.call_filter(name, input, args))
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
                Func::Global(name) => self.call_global(name, args),
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
