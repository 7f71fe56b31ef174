//! Python's `==` and ordering between values, bounded by Python's recursion
//! limit for nested containers.

use std::cell::Cell;

use super::*;

thread_local! {
    /// Nesting of containers `py_eq` and `py_cmp` are inside.
    static COMPARE_DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Python's error for comparing values nested past its recursion limit.
fn compare_too_deep() -> Exc {
    Exc::new(
        ErrorKind::RecursionError,
        "maximum recursion depth exceeded in comparison",
    )
}

/// Runs one level of a container comparison, or None past
/// [`MAX_VALUE_DEPTH`] (Python would raise `RecursionError`).
fn nested_compare<T>(compare: impl FnOnce() -> T) -> Option<T> {
    let depth = COMPARE_DEPTH.with(Cell::get);
    if depth >= MAX_VALUE_DEPTH {
        return None;
    }
    COMPARE_DEPTH.with(|d| d.set(depth + 1));
    let result = compare();
    COMPARE_DEPTH.with(|d| d.set(depth));
    Some(result)
}

/// Python `==`. Never fails; values of unrelated types are unequal.
pub(crate) fn py_eq(a: &Value, b: &Value) -> bool {
    use Value::*;
    if matches!(
        (a, b),
        (List(_), List(_)) | (Tuple(_), Tuple(_)) | (Dict(_), Dict(_))
    ) {
        // `==` cannot fail here: the evaluator raises the error once the
        // operation that compared returns.
        return nested_compare(|| py_eq_values(a, b)).unwrap_or_else(|| {
            crate::core::jinja::budget::fail_later(compare_too_deep());
            false
        });
    }
    py_eq_values(a, b)
}

fn py_eq_values(a: &Value, b: &Value) -> bool {
    use Value::*;
    match (a, b) {
        (Undefined(_), Undefined(_)) => true,
        (None, None) => true,
        (Bool(_) | Int(_) | Float(_), Bool(_) | Int(_) | Float(_)) => num_eq(a, b),
        (Str(x), Str(y)) => x == y,
        (Bytes(x), Bytes(y)) => x == y,
        (List(x), List(y)) => Rc::ptr_eq(x, y) || seq_eq(&x.borrow(), &y.borrow()),
        (Tuple(x), Tuple(y)) => seq_eq(x, y),
        (Dict(x), Dict(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.iter()
                    .all(|(k, (_, v))| y.get(k).is_some_and(|(_, w)| py_eq(v, w)))
        }
        (Range(x), Range(y)) => {
            let (lx, ly) = (x.len(), y.len());
            lx == ly && (lx == 0 || (x.start == y.start && (lx == 1 || x.step == y.step)))
        }
        (Opaque { repr: x, .. }, Opaque { repr: y, .. }) => x == y,
        (Namespace(x), Namespace(y)) => Rc::ptr_eq(x, y),
        (Func(x), Func(y)) => Rc::ptr_eq(x, y),
        (Loop(x), Loop(y)) => Rc::ptr_eq(x, y),
        (View(k1, x), View(k2, y)) => k1 == k2 && Rc::ptr_eq(x, y),
        _ => false,
    }
}

fn seq_eq(x: &[Value], y: &[Value]) -> bool {
    x.len() == y.len() && x.iter().zip(y).all(|(a, b)| py_eq(a, b))
}

fn num_eq(a: &Value, b: &Value) -> bool {
    match (as_int(a), as_int(b)) {
        (Some(x), Some(y)) => x == y,
        _ => as_f64(a) == as_f64(b),
    }
}

pub(crate) fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Bool(b) => Some(*b as i64),
        Value::Int(n) => Some(*n),
        _ => None,
    }
}

pub(crate) fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Bool(b) => Some(*b as i64 as f64),
        Value::Int(n) => Some(*n as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// Python's ordering for `<`-style comparisons; `op` names the operator in
/// the `TypeError` for unrelated types.
pub(crate) fn py_cmp(a: &Value, b: &Value, op: &str) -> Result<std::cmp::Ordering, Exc> {
    if matches!(
        (a, b),
        (Value::List(_), Value::List(_)) | (Value::Tuple(_), Value::Tuple(_))
    ) {
        return nested_compare(|| py_cmp_values(a, b, op))
            .unwrap_or_else(|| Err(compare_too_deep()));
    }
    py_cmp_values(a, b, op)
}

fn py_cmp_values(a: &Value, b: &Value, op: &str) -> Result<std::cmp::Ordering, Exc> {
    use std::cmp::Ordering;
    use Value::*;
    let incomparable = || {
        Exc::type_error(format!(
            "'{op}' not supported between instances of '{}' and '{}'",
            a.type_name(),
            b.type_name()
        ))
    };
    match (a, b) {
        (Undefined(u), _) | (_, Undefined(u)) => Err(Exc::undefined(u)),
        (Bool(_) | Int(_) | Float(_), Bool(_) | Int(_) | Float(_)) => {
            if let (Some(x), Some(y)) = (as_int(a), as_int(b)) {
                return Ok(x.cmp(&y));
            }
            let (x, y) = (as_f64(a).unwrap_or(0.0), as_f64(b).unwrap_or(0.0));
            // NaN compares false every way; Equal makes `<` and `>` false.
            Ok(x.partial_cmp(&y).unwrap_or(Ordering::Equal))
        }
        (Str(x), Str(y)) => Ok(x.as_ref().cmp(y.as_ref())),
        (Bytes(x), Bytes(y)) => Ok(x.as_ref().cmp(y.as_ref())),
        (List(x), List(y)) => seq_cmp(&x.borrow(), &y.borrow(), op),
        (Tuple(x), Tuple(y)) => seq_cmp(x, y, op),
        _ => Err(incomparable()),
    }
}

fn seq_cmp(x: &[Value], y: &[Value], op: &str) -> Result<std::cmp::Ordering, Exc> {
    for (a, b) in x.iter().zip(y) {
        if !py_eq(a, b) {
            return py_cmp(a, b, op);
        }
    }
    Ok(x.len().cmp(&y.len()))
}
