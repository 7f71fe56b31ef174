//! What transformers' chat-template environment adds to or changes in
//! Jinja2's defaults (`render_jinja_template` in
//! `transformers.utils.chat_template_utils`): the immutable sandbox's refusal
//! of mutating methods, loop controls, `tojson` as `json.dumps` with its
//! keyword arguments, and the globals `raise_exception` and `strftime_now`.
//! The rest of the engine branches here only when a program was compiled in
//! [`super::Mode::ChatTemplate`].

use std::sync::Arc;

use super::ast::LoopControl;
use super::error::{ErrorKind, Exc};
use super::json::{dump, JsonOptions};
use super::state::{CallArgs, State};
use super::value::{dict_insert, Dict, HashKey, UndefinedReason, Value};
use crate::core::py::strings::str_repr;

type R<T> = Result<T, Exc>;

/// `{% break %}` / `{% continue %}` travel up to their loop as errors of
/// their own kinds: every scope on the way already unwinds on an error, so
/// the signals need no second return path through the evaluator.
pub(crate) fn loop_signal(control: LoopControl) -> Exc {
    Exc::new(
        match control {
            LoopControl::Break => ErrorKind::LoopBreak,
            LoopControl::Continue => ErrorKind::LoopContinue,
        },
        "'break' or 'continue' outside a loop",
    )
}

pub(crate) fn caught_loop_signal(error: &Exc) -> Option<LoopControl> {
    match error.kind {
        ErrorKind::LoopBreak => Some(LoopControl::Break),
        ErrorKind::LoopContinue => Some(LoopControl::Continue),
        _ => None,
    }
}

/// A loop signal that escaped every loop is a template error (Python
/// refuses to compile a `break` outside a loop).
pub(crate) fn is_stray_loop_signal(error: &Exc) -> bool {
    caught_loop_signal(error).is_some()
}

/// transformers' `raise_exception(message)`: fails the render with it.
pub(crate) fn raise_exception(_state: &mut State<'_>, args: CallArgs) -> R<Value> {
    let [message] = take(args.bind("raise_exception", &["message"])?);
    let Some(message) = message else {
        return Err(Exc::type_error(
            "raise_exception() missing 1 required positional argument: 'message'",
        ));
    };
    Err(Exc::new(ErrorKind::Template, message.to_str().to_string()))
}

/// transformers' `strftime_now(format)`: the render's wall-clock time.
pub(crate) fn strftime_now(state: &mut State<'_>, args: CallArgs) -> R<Value> {
    let [format] = take(args.bind("strftime_now", &["format"])?);
    let format = match &format {
        Some(Value::Str(s)) => s.clone(),
        Some(other) => {
            return Err(Exc::type_error(format!(
                "strftime() argument 1 must be str, not {}",
                other.type_name()
            )))
        }
        None => {
            return Err(Exc::type_error(
                "strftime_now() missing 1 required positional argument: 'format'",
            ))
        }
    };
    let now = state.context().now();
    Ok(Value::Str(Arc::from(strftime(&format, &now))))
}

fn take<const N: usize>(slots: Vec<Option<Value>>) -> [Option<Value>; N] {
    let mut out: [Option<Value>; N] = std::array::from_fn(|_| None);
    for (slot, value) in out.iter_mut().zip(slots) {
        *slot = value;
    }
    out
}

/// `ImmutableSandboxedEnvironment` refuses the methods that modify a list
/// or dict (its `modifies_known_mutable`).
pub(crate) fn check_immutable(recv: &Value, name: &str) -> R<()> {
    let mutating = match recv {
        Value::List(_) => matches!(
            name,
            "append" | "clear" | "pop" | "reverse" | "insert" | "sort" | "extend" | "remove"
        ),
        Value::Dict(_) => matches!(name, "clear" | "pop" | "popitem" | "setdefault" | "update"),
        _ => false,
    };
    if mutating {
        return Err(Exc::new(
            ErrorKind::Security,
            format!(
                "access to attribute {} of {} object is unsafe.",
                str_repr(name),
                str_repr(recv.type_name())
            ),
        ));
    }
    Ok(())
}

/// `obj.name` as the sandbox's `getattr` hides it: mutating methods and
/// private attributes (a namespace's `_x`, any `__dunder__`) become an
/// undefined that renders as nothing and raises `SecurityError` when used.
pub(crate) fn unsafe_attribute(obj: &Value, name: &str) -> Option<Value> {
    let private =
        name.starts_with("__") || (name.starts_with('_') && matches!(obj, Value::Namespace(_)));
    if !private && check_immutable(obj, name).is_ok() {
        return None;
    }
    let type_name = match obj {
        Value::Namespace(_) => "Namespace",
        other => other.type_name(),
    };
    Some(Value::undefined(UndefinedReason::Unsafe(format!(
        "access to attribute {} of {} object is unsafe.",
        str_repr(name),
        str_repr(type_name)
    ))))
}

/// transformers' `tojson(x, ensure_ascii=False, indent=None, separators=None,
/// sort_keys=False)`: `json.dumps` with those arguments, no HTML escaping.
pub(crate) fn tojson(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    let [ensure_ascii, indent, separators, sort_keys] = take(args.bind(
        "tojson",
        &["ensure_ascii", "indent", "separators", "sort_keys"],
    )?);
    let indent = match &indent {
        None | Some(Value::None) => None,
        Some(Value::Str(s)) => Some(s.to_string()),
        Some(Value::Int(n)) => {
            let width = usize::try_from(*n).unwrap_or(0);
            super::budget::charge(width)?;
            Some(" ".repeat(width))
        }
        Some(Value::Bool(b)) => Some(" ".repeat(*b as usize)),
        Some(other) => {
            return Err(Exc::type_error(format!(
                "can't multiply sequence by non-int of type '{}'",
                other.type_name()
            )))
        }
    };
    let (item_sep, key_sep): (Arc<str>, Arc<str>) = match separators {
        None | Some(Value::None) => (
            Arc::from(if indent.is_some() { "," } else { ", " }),
            Arc::from(": "),
        ),
        Some(pair) => {
            let pair = pair.iterate()?;
            let [item, key] = pair.as_slice() else {
                return Err(Exc::value_error(format!(
                    "{} values to unpack (expected 2)",
                    if pair.len() > 2 {
                        "too many"
                    } else {
                        "not enough"
                    }
                )));
            };
            (item.to_str(), key.to_str())
        }
    };
    let options = JsonOptions {
        ensure_ascii: ensure_ascii.is_some_and(|v| v.truthy()),
        indent,
        item_sep,
        key_sep,
        sort_keys: sort_keys.is_some_and(|v| v.truthy()),
    };
    let mut out = String::new();
    dump(&input, &options, 0, &mut out)?;
    Ok(Value::Str(Arc::from(out)))
}

/// A list value (for values built outside the engine, e.g. from JSON).
pub(crate) fn list_from(items: Vec<Value>) -> Value {
    Value::list(items)
}

/// A dict value with string keys, in the given order.
pub(crate) fn dict_from_pairs(pairs: impl Iterator<Item = (Arc<str>, Value)>) -> Value {
    let mut dict = Dict::new();
    for (key, value) in pairs {
        dict_insert(&mut dict, HashKey::Str(key.clone()), Value::Str(key), value);
    }
    Value::dict(dict)
}

pub use super::clock::{strftime, WallTime};
