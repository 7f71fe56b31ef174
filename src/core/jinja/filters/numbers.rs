//! Filters on numbers, and the few that pick a value (`default`, `attr`).

use super::*;

pub(crate) fn do_default(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    let [default, boolean] = take2(args.bind("do_default", &["default_value", "boolean"])?);
    let boolean = bool_arg(boolean);
    if input.is_undefined() || (boolean && !input.truthy()) {
        return Ok(default.unwrap_or_else(|| Value::str("")));
    }
    Ok(input)
}

pub(crate) fn do_int(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    let [default, base] = take2(args.bind("do_int", &["default", "base"])?);
    let base = int_param(base, 10, "int")?;
    int_value(&input, default.unwrap_or(Value::Int(0)), base)
}

pub(crate) fn do_float(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    let [default] = take1(args.bind("do_float", &["default"])?);
    float_value(&input, default.unwrap_or(Value::Float(0.0)))
}

pub(crate) fn do_round(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    let [precision, method] = take2(args.bind("do_round", &["precision", "method"])?);
    let precision = int_param(precision, 0, "round")?;
    let method = method.map_or_else(|| Arc::from("common"), |m| m.to_str());
    round_value(&input, precision, &method)
}

pub(crate) fn do_abs(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    args.bind("abs", &[])?;
    match input {
        Value::Int(n) => n
            .checked_abs()
            .map(Value::Int)
            .ok_or_else(|| Exc::new(ErrorKind::OverflowError, "integer overflow")),
        Value::Bool(b) => Ok(Value::Int(b as i64)),
        Value::Float(f) => Ok(Value::Float(f.abs())),
        other => Err(Exc::type_error(format!(
            "bad operand type for abs(): '{}'",
            other.type_name()
        ))),
    }
}

pub(crate) fn do_attr(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    let [attribute] = take1(args.bind("do_attr", &["name"])?);
    let attribute = attribute
        .map(|a| a.to_str())
        .unwrap_or_else(|| Arc::from(""));
    if let Value::Undefined(u) = &input {
        return Err(Exc::undefined(u));
    }
    if methods::lookup(&input, &attribute).is_some()
        || matches!(
            input,
            Value::Loop(_) | Value::Namespace(_) | Value::Range(_)
        )
    {
        return ops::getattr(&input, &attribute);
    }
    Ok(Value::undefined(UndefinedReason::Attribute {
        owner: input.object_type_repr(),
        name: attribute,
    }))
}

fn to_python_int(value: &Value) -> Option<i64> {
    match value {
        Value::Int(_) | Value::Bool(_) => as_int(value),
        Value::Float(f) if f.is_finite() => Some(f.trunc() as i64),
        _ => None,
    }
}

fn int_value(value: &Value, default: Value, base: i64) -> R<Value> {
    if let Value::Undefined(u) = value {
        return Err(Exc::undefined(u));
    }
    if let Value::Str(s) = value {
        if let Some(n) = parse_python_int(s, base as u32) {
            return Ok(Value::Int(n));
        }
        return Ok(match parse_python_float(s) {
            Some(f) if f.is_finite() => Value::Int(f.trunc() as i64),
            _ => default,
        });
    }
    Ok(to_python_int(value).map(Value::Int).unwrap_or(default))
}

pub(super) fn float_value(value: &Value, default: Value) -> R<Value> {
    Ok(match value {
        Value::Undefined(u) => return Err(Exc::undefined(u)),
        Value::Str(s) => parse_python_float(s).map(Value::Float).unwrap_or(default),
        other => as_f64(other).map(Value::Float).unwrap_or(default),
    })
}

fn round_value(value: &Value, precision: i64, method: &str) -> R<Value> {
    if !matches!(method, "common" | "ceil" | "floor") {
        return Err(Exc::new(
            ErrorKind::FilterArgument,
            "method must be common, ceil or floor",
        ));
    }
    let number = match value {
        Value::Int(_) | Value::Bool(_) | Value::Float(_) => value,
        other => {
            return Err(Exc::type_error(format!(
                "type {} doesn't define __round__ method",
                other.type_name()
            )))
        }
    };
    if method == "common" {
        return Ok(match number {
            Value::Float(f) => {
                Value::Float(round_half_even(*f, precision.clamp(-400, 400) as i32)?)
            }
            other => {
                let n = as_int(other).unwrap_or(0);
                if precision >= 0 {
                    Value::Int(n)
                } else {
                    Value::Int(round_half_even(n as f64, precision.clamp(-400, 400) as i32)? as i64)
                }
            }
        });
    }
    let x = as_f64(number).unwrap_or(0.0);
    let scale = 10f64.powi(precision.clamp(-308, 308) as i32);
    let scaled = x * scale;
    let whole = if method == "ceil" {
        scaled.ceil()
    } else {
        scaled.floor()
    };
    Ok(Value::Float(whole / scale))
}
