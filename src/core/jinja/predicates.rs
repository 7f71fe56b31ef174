//! Jinja2's tests (`x is defined`, `x is divisibleby 3`, ...), one function
//! each; `registry` names them.

use super::ast::CmpOp;
use super::error::Exc;
use super::ops;
use super::state::{CallArgs, State};
use super::value::*;

use super::state::R;

fn one_arg(name: &str, args: CallArgs) -> R<Value> {
    let mut bound = args.bind(name, &["other"])?;
    bound.pop().flatten().ok_or_else(|| {
        Exc::type_error(format!(
            "test_{name}() missing 1 required positional argument"
        ))
    })
}

fn int_value(value: &Value, what: &str) -> R<i64> {
    match value {
        Value::Undefined(u) => Err(Exc::undefined(u)),
        Value::Int(_) | Value::Bool(_) => Ok(as_int(value).unwrap_or(0)),
        other => Err(Exc::type_error(format!(
            "unsupported operand type(s) for %: '{}' and '{what}'",
            other.type_name()
        ))),
    }
}

/// Tests that only look at the value's type or truth.
macro_rules! value_test {
    ($($name:ident => |$value:ident| $body:expr;)*) => {
        $(
            pub(crate) fn $name(
                _state: &mut State<'_>,
                _called: &str,
                $value: &Value,
                _args: CallArgs,
            ) -> R<bool> {
                Ok($body)
            }
        )*
    };
}

value_test! {
    defined => |value| !value.is_undefined();
    undefined => |value| value.is_undefined();
    none => |value| matches!(value, Value::None);
    boolean => |value| matches!(value, Value::Bool(_));
    false_ => |value| matches!(value, Value::Bool(false));
    true_ => |value| matches!(value, Value::Bool(true));
    integer => |value| matches!(value, Value::Int(_));
    float => |value| matches!(value, Value::Float(_));
    number => |value| matches!(value, Value::Int(_) | Value::Float(_) | Value::Bool(_));
    string => |value| matches!(value, Value::Str(_));
    mapping => |value| matches!(value, Value::Dict(_));
    sequence => |value| matches!(
        value,
        Value::Str(_)
            | Value::List(_)
            | Value::Tuple(_)
            | Value::Dict(_)
            | Value::Range(_)
            | Value::Bytes(_)
            | Value::Undefined(_)
    );
    iterable => |value| value.iterate().is_ok() && !matches!(value, Value::Opaque { .. });
    callable => |value| matches!(value, Value::Func(_) | Value::Joiner(_));
    escaped => |_value| false;
    lower => |value| {
        let s = value.to_str();
        s.chars().any(char::is_lowercase) && !s.chars().any(char::is_uppercase)
    };
    upper => |value| {
        let s = value.to_str();
        s.chars().any(char::is_uppercase) && !s.chars().any(char::is_lowercase)
    };
}

pub(crate) fn odd(
    _state: &mut State<'_>,
    _called: &str,
    value: &Value,
    _args: CallArgs,
) -> R<bool> {
    Ok(int_value(value, "int")?.rem_euclid(2) == 1)
}

pub(crate) fn even(
    _state: &mut State<'_>,
    _called: &str,
    value: &Value,
    _args: CallArgs,
) -> R<bool> {
    Ok(int_value(value, "int")?.rem_euclid(2) == 0)
}

pub(crate) fn divisibleby(
    _state: &mut State<'_>,
    called: &str,
    value: &Value,
    args: CallArgs,
) -> R<bool> {
    let divisor = one_arg(called, args)?;
    let n = int_value(value, divisor.type_name())?;
    let d = int_value(&divisor, value.type_name())?;
    if d == 0 {
        return Err(Exc::zero_division("integer modulo by zero"));
    }
    Ok(n.rem_euclid(d) == 0)
}

pub(crate) fn sameas(
    _state: &mut State<'_>,
    called: &str,
    value: &Value,
    args: CallArgs,
) -> R<bool> {
    let other = one_arg(called, args)?;
    Ok(match (value, &other) {
        (Value::None, Value::None) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::List(a), Value::List(b)) => std::rc::Rc::ptr_eq(a, b),
        (Value::Dict(a), Value::Dict(b)) => std::rc::Rc::ptr_eq(a, b),
        (Value::Int(a), Value::Int(b)) => a == b && (-5..=256).contains(a),
        (Value::Str(a), Value::Str(b)) => std::sync::Arc::ptr_eq(a, b),
        _ => false,
    })
}

pub(crate) fn in_(_state: &mut State<'_>, called: &str, value: &Value, args: CallArgs) -> R<bool> {
    let container = one_arg(called, args)?;
    ops::contains(&container, value)
}

/// The comparison tests (each under the names Jinja2 gives it).
macro_rules! compare_test {
    ($($name:ident => $op:ident;)*) => {
        $(
            pub(crate) fn $name(
                _state: &mut State<'_>,
                called: &str,
                value: &Value,
                args: CallArgs,
            ) -> R<bool> {
                ops::compare(CmpOp::$op, value, &one_arg(called, args)?)
            }
        )*
    };
}

compare_test! {
    eq => Eq;
    ne => Ne;
    gt => Gt;
    ge => GtEq;
    lt => Lt;
    le => LtEq;
}
