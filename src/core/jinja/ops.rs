//! Python operators and Jinja2's attribute/item lookup rules.

use std::rc::Rc;
use std::sync::Arc;

use super::ast::{BinOp, CmpOp, UnaryOp};
use super::budget::MAX_OUTPUT_BYTES;
use super::error::{ErrorKind, Exc};
use super::format::percent_format;
use super::methods;
use super::value::*;

type R<T> = Result<T, Exc>;

fn undefined_owner(obj: &Value, name: &Arc<str>) -> Value {
    Value::undefined(UndefinedReason::Attribute {
        owner: obj.object_type_repr(),
        name: name.clone(),
    })
}

/// Attributes that are not methods (`loop.index`, `ns.x`, `range.start`).
fn plain_attribute(obj: &Value, name: &str) -> Option<Value> {
    match obj {
        Value::Loop(state) => {
            let i = state.index0.get();
            let len = state.length;
            Some(match name {
                "index0" => Value::Int(i as i64),
                "index" => Value::Int(i as i64 + 1),
                "revindex0" => Value::Int((len - i - 1) as i64),
                "revindex" => Value::Int((len - i) as i64),
                "first" => Value::Bool(i == 0),
                "last" => Value::Bool(i + 1 == len),
                "length" => Value::Int(len as i64),
                "depth0" => Value::Int(state.depth0 as i64),
                "depth" => Value::Int(state.depth0 as i64 + 1),
                "previtem" => match i.checked_sub(1) {
                    Some(p) => state.items[p].clone(),
                    None => Value::hint("there is no previous item"),
                },
                "nextitem" => match state.items.get(i + 1) {
                    Some(v) => v.clone(),
                    None => Value::hint("there is no next item"),
                },
                "cycle" => Value::Func(Rc::new(Func::LoopCycle(state.clone()))),
                "changed" => Value::Func(Rc::new(Func::LoopChanged(state.clone()))),
                _ => return None,
            })
        }
        Value::Namespace(dict) => dict
            .borrow()
            .get(&HashKey::Str(Arc::from(name)))
            .map(|(_, v)| v.clone()),
        Value::Range(r) => match name {
            "start" => Some(Value::Int(r.start)),
            "stop" => Some(Value::Int(r.stop)),
            "step" => Some(Value::Int(r.step)),
            _ => None,
        },
        Value::Cycler(c) if name == "current" => Some(
            c.items
                .get(c.position.get())
                .cloned()
                .unwrap_or(Value::None),
        ),
        Value::Int(n) => match name {
            "real" | "numerator" => Some(Value::Int(*n)),
            "imag" => Some(Value::Int(0)),
            "denominator" => Some(Value::Int(1)),
            _ => None,
        },
        Value::Float(f) => match name {
            "real" => Some(Value::Float(*f)),
            "imag" => Some(Value::Float(0.0)),
            _ => None,
        },
        _ => None,
    }
}

/// Python-level attribute lookup only (methods and plain attributes).
fn python_attribute(obj: &Value, name: &str) -> Option<Value> {
    if let Some(method) = methods::lookup(obj, name) {
        return Some(Value::Func(Rc::new(Func::Method(obj.clone(), method))));
    }
    plain_attribute(obj, name)
}

/// Jinja2's `environment.getattr`: attribute first, then item.
pub(crate) fn getattr(obj: &Value, name: &Arc<str>) -> R<Value> {
    if let Value::Undefined(reason) = obj {
        return Err(Exc::undefined(reason));
    }
    if let Some(value) = python_attribute(obj, name) {
        return Ok(value);
    }
    if let Value::Dict(dict) = obj {
        if let Some((_, v)) = dict.borrow().get(&HashKey::Str(name.clone())) {
            return Ok(v.clone());
        }
    }
    Ok(undefined_owner(obj, name))
}

/// Python's `obj[index]` for sequences; None when out of range.
fn sequence_index(obj: &Value, index: i64) -> Option<Value> {
    // In i128: a range may hold more than i64::MAX items.
    let fix = |len: usize| -> Option<usize> {
        let (index, len) = (index as i128, len as i128);
        let i = if index < 0 { index + len } else { index };
        (0..len).contains(&i).then_some(i as usize)
    };
    match obj {
        Value::List(items) => {
            let items = items.borrow();
            fix(items.len()).map(|i| items[i].clone())
        }
        Value::Tuple(items) => fix(items.len()).map(|i| items[i].clone()),
        Value::Str(s) => {
            if s.is_ascii() {
                fix(s.len()).map(|i| Value::str(&s[i..i + 1]))
            } else {
                let len = s.chars().count();
                let i = fix(len)?;
                s.chars()
                    .nth(i)
                    .map(|c| Value::Str(Arc::from(c.to_string())))
            }
        }
        Value::Bytes(b) => fix(b.len()).map(|i| Value::Int(b[i] as i64)),
        Value::Range(r) => fix(r.len()).map(|i| Value::Int(r.get(i))),
        _ => None,
    }
}

/// Jinja2's `environment.getitem`: item first, then (for string keys) attribute.
pub(crate) fn getitem(obj: &Value, key: &Value) -> R<Value> {
    if let Value::Undefined(reason) = obj {
        return Err(Exc::undefined(reason));
    }
    match obj {
        Value::Dict(dict) => {
            if let Ok(hash) = key.hash_key() {
                if let Some((_, v)) = dict.borrow().get(&hash) {
                    return Ok(v.clone());
                }
            }
        }
        Value::List(_) | Value::Tuple(_) | Value::Str(_) | Value::Bytes(_) | Value::Range(_) => {
            if let Some(index) = as_int(key) {
                if let Some(v) = sequence_index(obj, index) {
                    return Ok(v);
                }
            }
        }
        _ => {}
    }
    if let Value::Str(name) = key {
        if let Some(value) = python_attribute(obj, name) {
            return Ok(value);
        }
        return Ok(undefined_owner(obj, name));
    }
    Ok(Value::undefined(UndefinedReason::Element {
        owner: obj.object_type_repr(),
        key_repr: key.repr(),
    }))
}

fn slice_bound(value: &Value) -> Result<Option<i64>, ()> {
    match value {
        Value::None => Ok(None),
        Value::Int(n) => Ok(Some(*n)),
        Value::Bool(b) => Ok(Some(*b as i64)),
        _ => Err(()),
    }
}

/// Python's `slice(start, stop, step).indices(len)` and the number of
/// indices it selects.
fn slice_bounds(
    len: usize,
    start: Option<i64>,
    stop: Option<i64>,
    step: i64,
) -> (i128, i128, i128, usize) {
    let len = len as i128;
    let step = step as i128;
    let (lower, upper) = if step > 0 { (0, len) } else { (-1, len - 1) };
    let clamp = |bound: Option<i64>, default: i128| match bound {
        None => default,
        Some(b) if b < 0 => (b as i128 + len).max(lower),
        Some(b) => (b as i128).min(upper),
    };
    let start = clamp(start, if step < 0 { upper } else { lower });
    let stop = clamp(stop, if step < 0 { lower } else { upper });
    let count = if step > 0 && start < stop {
        (stop - start - 1) / step + 1
    } else if step < 0 && start > stop {
        (start - stop - 1) / -step + 1
    } else {
        0
    };
    (start, stop, step, count as usize)
}

/// The indices `slice(start, stop, step)` selects from a sequence of `len`,
/// computed lazily: a slice of `range(10**18)` must not list its indices.
fn slice_indices(
    len: usize,
    start: Option<i64>,
    stop: Option<i64>,
    step: i64,
) -> impl DoubleEndedIterator<Item = usize> + ExactSizeIterator {
    let (start, _, step, count) = slice_bounds(len, start, stop, step);
    (0..count).map(move |k| (start + step * k as i128) as usize)
}

/// `obj[start:stop:step]`. Jinja2 compiles slices to plain Python
/// subscripts, bypassing its lenient `getitem`, so errors propagate.
pub(crate) fn slice(obj: &Value, start: &Value, stop: &Value, step: &Value) -> R<Value> {
    match obj {
        Value::Undefined(reason) => return Err(Exc::undefined(reason)),
        Value::List(_) | Value::Tuple(_) | Value::Str(_) | Value::Bytes(_) | Value::Range(_) => {}
        Value::Dict(_) => return Err(Exc::type_error("unhashable type: 'slice'")),
        other => {
            return Err(Exc::type_error(format!(
                "'{}' object is not subscriptable",
                other.type_name()
            )))
        }
    }
    let (Ok(lo), Ok(hi), Ok(st)) = (slice_bound(start), slice_bound(stop), slice_bound(step))
    else {
        return Err(Exc::type_error(
            "slice indices must be integers or None or have an __index__ method",
        ));
    };
    let st = st.unwrap_or(1);
    if st == 0 {
        return Err(Exc::value_error("slice step cannot be zero"));
    }
    Ok(match obj {
        Value::List(items) => {
            let items = items.borrow();
            let picked = slice_indices(items.len(), lo, hi, st);
            super::value::charge_items(picked.len())?;
            Value::list(picked.map(|i| items[i].clone()).collect())
        }
        Value::Tuple(items) => {
            let picked = slice_indices(items.len(), lo, hi, st);
            super::value::charge_items(picked.len())?;
            Value::tuple(picked.map(|i| items[i].clone()).collect())
        }
        Value::Str(s) => {
            if s.is_ascii() {
                if st == 1 {
                    let mut picked = slice_indices(s.len(), lo, hi, 1);
                    super::budget::charge(picked.len())?;
                    match (picked.next(), picked.next_back()) {
                        (Some(a), Some(b)) => Value::str(&s[a..=b]),
                        (Some(a), None) => Value::str(&s[a..=a]),
                        _ => Value::str(""),
                    }
                } else {
                    let bytes = s.as_bytes();
                    let picked = slice_indices(s.len(), lo, hi, st);
                    super::budget::charge(picked.len())?;
                    Value::Str(Arc::from(
                        picked.map(|i| bytes[i] as char).collect::<String>(),
                    ))
                }
            } else {
                super::budget::charge(s.len().saturating_mul(4))?;
                let chars: Vec<char> = s.chars().collect();
                let picked = slice_indices(chars.len(), lo, hi, st);
                Value::Str(Arc::from(picked.map(|i| chars[i]).collect::<String>()))
            }
        }
        Value::Bytes(b) => {
            let picked = slice_indices(b.len(), lo, hi, st);
            super::budget::charge(picked.len())?;
            Value::Bytes(picked.map(|i| b[i]).collect::<Vec<u8>>().into())
        }
        Value::Range(r) => {
            // As CPython's `compute_slice`: the slice's own bounds mapped
            // through the range, which stays a range.
            let (lo, hi, st, _) = slice_bounds(r.len(), lo, hi, st);
            let at = |i: i128| i64::try_from(r.start as i128 + i * r.step as i128);
            let (Ok(start), Ok(stop), Ok(step)) =
                (at(lo), at(hi), i64::try_from(st * r.step as i128))
            else {
                return Err(overflow());
            };
            Value::Range(PyRange { start, stop, step })
        }
        other => {
            return Err(Exc::type_error(format!(
                "'{}' object is not subscriptable",
                other.type_name()
            )))
        }
    })
}

pub(crate) fn unary(op: UnaryOp, value: &Value) -> R<Value> {
    if op == UnaryOp::Not {
        return Ok(Value::Bool(!value.truthy()));
    }
    let symbol = if op == UnaryOp::Neg { "-" } else { "+" };
    match value {
        Value::Undefined(reason) => Err(Exc::undefined(reason)),
        Value::Int(_) | Value::Bool(_) => {
            let n = as_int(value).unwrap_or(0);
            if op == UnaryOp::Neg {
                n.checked_neg().map(Value::Int).ok_or_else(overflow)
            } else {
                Ok(Value::Int(n))
            }
        }
        Value::Float(f) => Ok(Value::Float(if op == UnaryOp::Neg { -f } else { *f })),
        other => Err(Exc::type_error(format!(
            "bad operand type for unary {symbol}: '{}'",
            other.type_name()
        ))),
    }
}

fn overflow() -> Exc {
    Exc::new(
        ErrorKind::OverflowError,
        "integer result does not fit in 64 bits (Python ints are unbounded)",
    )
}

fn unsupported(symbol: &str, a: &Value, b: &Value) -> Exc {
    Exc::type_error(format!(
        "unsupported operand type(s) for {symbol}: '{}' and '{}'",
        a.type_name(),
        b.type_name()
    ))
}

fn is_number(v: &Value) -> bool {
    matches!(v, Value::Int(_) | Value::Bool(_) | Value::Float(_))
}

fn repeat_count(n: i64, unit: usize) -> R<usize> {
    let count = n.max(0) as usize;
    if unit.saturating_mul(count) > MAX_OUTPUT_BYTES {
        return Err(Exc::limit(format!(
            "repeating a sequence {n} times would exceed {} MiB",
            MAX_OUTPUT_BYTES >> 20
        )));
    }
    super::budget::charge(unit.saturating_mul(count))?;
    Ok(count)
}

fn repeat(seq: &Value, n: i64) -> R<Value> {
    Ok(match seq {
        Value::Str(s) => Value::Str(Arc::from(s.repeat(repeat_count(n, s.len())?))),
        Value::List(items) => {
            let items = items.borrow();
            let count = repeat_count(n, items.len() * (MAX_OUTPUT_BYTES / MAX_ITEMS))?;
            Value::list(
                items
                    .iter()
                    .cloned()
                    .cycle()
                    .take(items.len() * count)
                    .collect(),
            )
        }
        Value::Tuple(items) => {
            let count = repeat_count(n, items.len() * (MAX_OUTPUT_BYTES / MAX_ITEMS))?;
            Value::tuple(
                items
                    .iter()
                    .cloned()
                    .cycle()
                    .take(items.len() * count)
                    .collect(),
            )
        }
        _ => return Err(Exc::runtime("not a sequence")),
    })
}

fn float_floor_div(a: f64, b: f64) -> f64 {
    let rem = a % b;
    let mut div = (a - rem) / b;
    if rem != 0.0 && ((b < 0.0) != (rem < 0.0)) {
        div -= 1.0;
    }
    if div == 0.0 {
        return 0.0f64.copysign(a / b);
    }
    let floor = div.floor();
    if div - floor > 0.5 {
        floor + 1.0
    } else {
        floor
    }
}

fn float_mod(a: f64, b: f64) -> f64 {
    let mut rem = a % b;
    if rem != 0.0 {
        if (b < 0.0) != (rem < 0.0) {
            rem += b;
        }
    } else {
        rem = 0.0f64.copysign(b);
    }
    rem
}

pub(crate) fn binary(op: BinOp, a: &Value, b: &Value) -> R<Value> {
    if op == BinOp::Mod {
        if let Value::Str(fmt) = a {
            return percent_format(fmt, b).map(|s| Value::Str(Arc::from(s)));
        }
    }
    if let Value::Undefined(reason) = a {
        return Err(Exc::undefined(reason));
    }
    if let Value::Undefined(reason) = b {
        return Err(Exc::undefined(reason));
    }
    match op {
        BinOp::Add => add(a, b),
        BinOp::Sub => arith(a, b, "-", i64::checked_sub, |x, y| x - y),
        BinOp::Mul => {
            if let (Some(n), true) = (
                as_int(b),
                matches!(a, Value::Str(_) | Value::List(_) | Value::Tuple(_)),
            ) {
                return repeat(a, n);
            }
            if let (Some(n), true) = (
                as_int(a),
                matches!(b, Value::Str(_) | Value::List(_) | Value::Tuple(_)),
            ) {
                return repeat(b, n);
            }
            if matches!(a, Value::Str(_) | Value::List(_) | Value::Tuple(_)) && is_number(b) {
                return Err(Exc::type_error(format!(
                    "can't multiply sequence by non-int of type '{}'",
                    b.type_name()
                )));
            }
            arith(a, b, "*", i64::checked_mul, |x, y| x * y)
        }
        BinOp::Div => {
            if !(is_number(a) && is_number(b)) {
                return Err(unsupported("/", a, b));
            }
            let (x, y) = (as_f64(a).unwrap_or(0.0), as_f64(b).unwrap_or(0.0));
            if y == 0.0 {
                return Err(Exc::zero_division("division by zero"));
            }
            Ok(Value::Float(x / y))
        }
        BinOp::FloorDiv => {
            if let (Some(x), Some(y)) = (as_int(a), as_int(b)) {
                if y == 0 {
                    return Err(Exc::zero_division("integer division or modulo by zero"));
                }
                let q = x.checked_div(y).ok_or_else(overflow)?;
                let floor = if x % y != 0 && ((x < 0) != (y < 0)) {
                    q - 1
                } else {
                    q
                };
                return Ok(Value::Int(floor));
            }
            if !(is_number(a) && is_number(b)) {
                return Err(unsupported("//", a, b));
            }
            let (x, y) = (as_f64(a).unwrap_or(0.0), as_f64(b).unwrap_or(0.0));
            if y == 0.0 {
                return Err(Exc::zero_division("float floor division by zero"));
            }
            Ok(Value::Float(float_floor_div(x, y)))
        }
        BinOp::Mod => {
            if let (Some(x), Some(y)) = (as_int(a), as_int(b)) {
                if y == 0 {
                    return Err(Exc::zero_division("integer modulo by zero"));
                }
                let r = x.checked_rem(y).ok_or_else(overflow)?;
                return Ok(Value::Int(if r != 0 && ((r < 0) != (y < 0)) {
                    r + y
                } else {
                    r
                }));
            }
            if !(is_number(a) && is_number(b)) {
                return Err(unsupported("%", a, b));
            }
            let (x, y) = (as_f64(a).unwrap_or(0.0), as_f64(b).unwrap_or(0.0));
            if y == 0.0 {
                return Err(Exc::zero_division("float modulo"));
            }
            Ok(Value::Float(float_mod(x, y)))
        }
        BinOp::Pow => {
            if let (Some(x), Some(y)) = (as_int(a), as_int(b)) {
                if y >= 0 {
                    let exp = u32::try_from(y).map_err(|_| overflow())?;
                    return x.checked_pow(exp).map(Value::Int).ok_or_else(overflow);
                }
                if x == 0 {
                    return Err(Exc::zero_division(
                        "0.0 cannot be raised to a negative power",
                    ));
                }
                return Ok(Value::Float((x as f64).powf(y as f64)));
            }
            if !(is_number(a) && is_number(b)) {
                return Err(unsupported("** or pow()", a, b));
            }
            let (x, y) = (as_f64(a).unwrap_or(0.0), as_f64(b).unwrap_or(0.0));
            if x == 0.0 && y < 0.0 {
                return Err(Exc::zero_division(
                    "0.0 cannot be raised to a negative power",
                ));
            }
            Ok(Value::Float(x.powf(y)))
        }
    }
}

fn arith(
    a: &Value,
    b: &Value,
    symbol: &str,
    int_op: fn(i64, i64) -> Option<i64>,
    float_op: fn(f64, f64) -> f64,
) -> R<Value> {
    if let (Some(x), Some(y)) = (as_int(a), as_int(b)) {
        return int_op(x, y).map(Value::Int).ok_or_else(overflow);
    }
    if is_number(a) && is_number(b) {
        return Ok(Value::Float(float_op(
            as_f64(a).unwrap_or(0.0),
            as_f64(b).unwrap_or(0.0),
        )));
    }
    Err(unsupported(symbol, a, b))
}

/// Lists are capped like output: each item costs at least a pointer or two.
fn check_items(count: usize) -> R<()> {
    if count > MAX_ITEMS {
        return Err(Exc::limit(format!("a list of {count} items is too large")));
    }
    Ok(())
}

fn add(a: &Value, b: &Value) -> R<Value> {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => {
            if x.len() + y.len() > MAX_OUTPUT_BYTES {
                return Err(Exc::limit("string concatenation grew too large"));
            }
            super::budget::charge(x.len() + y.len())?;
            let mut s = String::with_capacity(x.len() + y.len());
            s.push_str(x);
            s.push_str(y);
            Ok(Value::Str(Arc::from(s)))
        }
        (Value::List(x), Value::List(y)) => {
            check_items(x.borrow().len() + y.borrow().len())?;
            super::value::charge_items(x.borrow().len() + y.borrow().len())?;
            let mut items = x.borrow().clone();
            items.extend(y.borrow().iter().cloned());
            Ok(Value::list(items))
        }
        (Value::Tuple(x), Value::Tuple(y)) => {
            check_items(x.len() + y.len())?;
            super::value::charge_items(x.len() + y.len())?;
            Ok(Value::tuple(x.iter().chain(y.iter()).cloned().collect()))
        }
        (Value::Str(_) | Value::List(_) | Value::Tuple(_), other) => Err(Exc::type_error(format!(
            "can only concatenate {} (not \"{}\") to {}",
            a.type_name(),
            other.type_name(),
            a.type_name()
        ))),
        _ => arith(a, b, "+", i64::checked_add, |x, y| x + y),
    }
}

/// Python's `item in container`.
pub(crate) fn contains(container: &Value, item: &Value) -> R<bool> {
    match container {
        Value::Str(s) => match item {
            Value::Str(needle) => Ok(s.contains(needle.as_ref())),
            Value::Undefined(reason) => Err(Exc::undefined(reason)),
            other => Err(Exc::type_error(format!(
                "'in <string>' requires string as left operand, not {}",
                other.type_name()
            ))),
        },
        Value::List(items) => Ok(items.borrow().iter().any(|v| py_eq(v, item))),
        Value::Tuple(items) => Ok(items.iter().any(|v| py_eq(v, item))),
        Value::Dict(d) | Value::View(ViewKind::Keys, d) => {
            Ok(d.borrow().contains_key(&item.hash_key()?))
        }
        Value::Range(r) => Ok(match item {
            Value::Int(_) | Value::Bool(_) | Value::Float(_) => {
                (0..r.len()).any(|i| py_eq(&Value::Int(r.get(i)), item))
            }
            _ => false,
        }),
        Value::Undefined(_) | Value::View(..) | Value::Bytes(_) | Value::Loop(_) => {
            Ok(container.iterate()?.iter().any(|v| py_eq(v, item)))
        }
        other => Err(Exc::type_error(format!(
            "argument of type '{}' is not iterable",
            other.type_name()
        ))),
    }
}

pub(crate) fn compare(op: CmpOp, a: &Value, b: &Value) -> R<bool> {
    use std::cmp::Ordering::*;
    Ok(match op {
        CmpOp::Eq => py_eq(a, b),
        CmpOp::Ne => !py_eq(a, b),
        CmpOp::Lt => py_cmp(a, b, "<")? == Less,
        CmpOp::LtEq => py_cmp(a, b, "<=")? != Greater && !is_nan_pair(a, b),
        CmpOp::Gt => py_cmp(a, b, ">")? == Greater,
        CmpOp::GtEq => py_cmp(a, b, ">=")? != Less && !is_nan_pair(a, b),
        CmpOp::In => contains(b, a)?,
        CmpOp::NotIn => !contains(b, a)?,
    })
}

fn is_nan_pair(a: &Value, b: &Value) -> bool {
    matches!(a, Value::Float(f) if f.is_nan()) || matches!(b, Value::Float(f) if f.is_nan())
}
