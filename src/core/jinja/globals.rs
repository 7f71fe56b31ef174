//! Jinja2's default globals (`range`, `dict`, `namespace`, `cycler`,
//! `joiner`; `lipsum` has its own file) and PromptSource's `zip`, one
//! function each; `registry` names them.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use super::error::Exc;
use super::state::{CallArgs, State, R};
use super::value::*;

pub(crate) fn range(_state: &mut State<'_>, args: CallArgs) -> R<Value> {
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

pub(crate) fn zip(state: &mut State<'_>, args: CallArgs) -> R<Value> {
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

fn namespace_or_dict(args: CallArgs, name: &str) -> R<Value> {
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

pub(crate) fn namespace(_state: &mut State<'_>, args: CallArgs) -> R<Value> {
    namespace_or_dict(args, "namespace")
}

pub(crate) fn dict(_state: &mut State<'_>, args: CallArgs) -> R<Value> {
    namespace_or_dict(args, "dict")
}

pub(crate) fn cycler(_state: &mut State<'_>, args: CallArgs) -> R<Value> {
    Ok(Value::Cycler(Rc::new(Cycler {
        items: args.positional,
        position: Cell::new(0),
    })))
}

pub(crate) fn joiner(_state: &mut State<'_>, args: CallArgs) -> R<Value> {
    let sep = args
        .bind("joiner", &["sep"])?
        .pop()
        .flatten()
        .map_or_else(|| Arc::from(", "), |v| v.to_str());
    Ok(Value::Joiner(Rc::new((sep, Cell::new(false)))))
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
