//! Jinja2's tests (`x is defined`, `x is divisibleby 3`, ...).

use super::ast::CmpOp;
use super::error::Exc;
use super::eval::{CallArgs, State};
use super::ops;
use super::value::*;

type R<T> = Result<T, Exc>;

pub(crate) fn exists(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "odd",
        "even",
        "divisibleby",
        "defined",
        "undefined",
        "filter",
        "test",
        "none",
        "boolean",
        "false",
        "true",
        "integer",
        "float",
        "lower",
        "upper",
        "string",
        "mapping",
        "number",
        "sequence",
        "iterable",
        "callable",
        "sameas",
        "escaped",
        "in",
        "==",
        "eq",
        "equalto",
        "!=",
        "ne",
        ">",
        "gt",
        "greaterthan",
        "ge",
        ">=",
        "<",
        "lt",
        "lessthan",
        "<=",
        "le",
    ];
    NAMES.contains(&name)
}

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

/// Applies test `name` to `value`.
pub(crate) fn apply(state: &mut State<'_>, name: &str, value: &Value, args: CallArgs) -> R<bool> {
    state.burn(1)?;
    Ok(match name {
        "defined" => !value.is_undefined(),
        "undefined" => value.is_undefined(),
        "none" => matches!(value, Value::None),
        "boolean" => matches!(value, Value::Bool(_)),
        "false" => matches!(value, Value::Bool(false)),
        "true" => matches!(value, Value::Bool(true)),
        "integer" => matches!(value, Value::Int(_)),
        "float" => matches!(value, Value::Float(_)),
        "number" => matches!(value, Value::Int(_) | Value::Float(_) | Value::Bool(_)),
        "string" => matches!(value, Value::Str(_)),
        "mapping" => matches!(value, Value::Dict(_)),
        "sequence" => matches!(
            value,
            Value::Str(_)
                | Value::List(_)
                | Value::Tuple(_)
                | Value::Dict(_)
                | Value::Range(_)
                | Value::Bytes(_)
                | Value::Undefined(_)
        ),
        "iterable" => value.iterate().is_ok() && !matches!(value, Value::Opaque { .. }),
        "callable" => matches!(value, Value::Func(_) | Value::Joiner(_)),
        "escaped" => false,
        "lower" => {
            let s = value.to_str();
            s.chars().any(char::is_lowercase) && !s.chars().any(char::is_uppercase)
        }
        "upper" => {
            let s = value.to_str();
            s.chars().any(char::is_uppercase) && !s.chars().any(char::is_lowercase)
        }
        "odd" | "even" => {
            let n = int_value(value, "int")?;
            (n.rem_euclid(2) == 1) == (name == "odd")
        }
        "divisibleby" => {
            let divisor = one_arg(name, args)?;
            let n = int_value(value, divisor.type_name())?;
            let d = int_value(&divisor, value.type_name())?;
            if d == 0 {
                return Err(Exc::zero_division("integer modulo by zero"));
            }
            n.rem_euclid(d) == 0
        }
        "sameas" => {
            let other = one_arg(name, args)?;
            match (value, &other) {
                (Value::None, Value::None) => true,
                (Value::Bool(a), Value::Bool(b)) => a == b,
                (Value::List(a), Value::List(b)) => std::rc::Rc::ptr_eq(a, b),
                (Value::Dict(a), Value::Dict(b)) => std::rc::Rc::ptr_eq(a, b),
                (Value::Int(a), Value::Int(b)) => a == b && (-5..=256).contains(a),
                (Value::Str(a), Value::Str(b)) => std::sync::Arc::ptr_eq(a, b),
                _ => false,
            }
        }
        "filter" => super::filters::exists(&value.to_str()),
        "test" => exists(&value.to_str()),
        "in" => {
            let container = one_arg(name, args)?;
            ops::contains(&container, value)?
        }
        "==" | "eq" | "equalto" => ops::compare(CmpOp::Eq, value, &one_arg(name, args)?)?,
        "!=" | "ne" => ops::compare(CmpOp::Ne, value, &one_arg(name, args)?)?,
        ">" | "gt" | "greaterthan" => ops::compare(CmpOp::Gt, value, &one_arg(name, args)?)?,
        ">=" | "ge" => ops::compare(CmpOp::GtEq, value, &one_arg(name, args)?)?,
        "<" | "lt" | "lessthan" => ops::compare(CmpOp::Lt, value, &one_arg(name, args)?)?,
        "<=" | "le" => ops::compare(CmpOp::LtEq, value, &one_arg(name, args)?)?,
        _ => {
            return Err(Exc::new(
                "TemplateRuntimeError",
                format!(
                    "No test named {} found.",
                    crate::core::py::strings::str_repr(name)
                ),
            ))
        }
    })
}
