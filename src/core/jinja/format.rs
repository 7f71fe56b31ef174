//! Python's `%`-formatting (`"%s and %d" % (a, b)`, the `format` filter) and
//! the basics of `str.format`.

use std::sync::Arc;

use super::budget::MAX_OUTPUT_BYTES;
use super::error::{ErrorKind, Exc};
use super::value::*;
use crate::core::py::float::{format_exponent, format_general, FloatStyle};
use crate::core::py::percent::{percent_format as py_percent_format, PercentArgs, PyArg};
use crate::core::py::strings::str_repr;

type R<T> = Result<T, Exc>;

/// The value as `core::py::percent` sees it: scalars as themselves, other
/// values through their `str()` and `repr()`.
fn percent_arg(value: &Value) -> PyArg {
    match value {
        Value::None => PyArg::None,
        Value::Bool(b) => PyArg::Bool(*b),
        Value::Int(n) => PyArg::Int(*n),
        Value::Float(f) => PyArg::Float(*f),
        Value::Str(s) => PyArg::Str(s.to_string()),
        Value::Dict(d) => PyArg::Dict {
            entries: d
                .borrow()
                .values()
                .filter_map(|(k, v)| match k {
                    Value::Str(key) => Some((key.to_string(), percent_arg(v))),
                    _ => None,
                })
                .collect(),
            str: value.to_str().to_string(),
            repr: value.repr(),
        },
        other => PyArg::Object {
            type_name: other.type_name().to_string(),
            str: other.to_str().to_string(),
            repr: other.repr(),
            // Types with `__getitem__`, which Python's `%` treats as mappings.
            subscriptable: matches!(
                other,
                Value::List(_)
                    | Value::Tuple(_)
                    | Value::Range(_)
                    | Value::Bytes(_)
                    | Value::Undefined(_)
            ),
        },
    }
}

/// A width or precision of a format spec; digits past `sys.maxsize` are
/// Python's "Too many decimal digits" error, not a zero.
fn spec_number(digits: &str) -> R<Option<usize>> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(digits.parse().ok());
    }
    match digits.parse::<i64>() {
        Ok(n) => Ok(Some(n as usize)),
        Err(_) => Err(Exc::value_error("Too many decimal digits in format string")),
    }
}

/// Python's `format % args`.
pub(crate) fn percent_format(format: &str, args: &Value) -> R<String> {
    if format.len() > MAX_OUTPUT_BYTES {
        return Err(Exc::limit("format string too large"));
    }
    let args = match args {
        Value::Tuple(items) => PercentArgs::Tuple(items.iter().map(percent_arg).collect()),
        other => PercentArgs::Single(percent_arg(other)),
    };
    Ok(py_percent_format(format, args)?)
}

/// `str.format` with automatic/explicit positional and keyword fields and
/// simple specs (fill, align, width, precision, `d`/`f`/`s`).
pub(crate) fn str_format(format: &str, args: &[Value], kwargs: &[(Arc<str>, Value)]) -> R<String> {
    let mut out = String::new();
    let mut auto = 0usize;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '}' => return Err(Exc::value_error("Single '}' encountered in format string")),
            '{' => {
                let mut field = String::new();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '}' {
                        closed = true;
                        break;
                    }
                    field.push(c);
                }
                if !closed {
                    return Err(Exc::value_error("Single '{' encountered in format string"));
                }
                let (name, spec) = field.split_once(':').unwrap_or((&field, ""));
                let (name, conversion) = name.split_once('!').unwrap_or((name, ""));
                let value = if name.is_empty() {
                    let v = args.get(auto).cloned().ok_or_else(|| {
                        Exc::new(
                            ErrorKind::IndexError,
                            format!(
                                "Replacement index {auto} out of range for positional args tuple"
                            ),
                        )
                    })?;
                    auto += 1;
                    v
                } else if let Ok(i) = name.parse::<usize>() {
                    args.get(i).cloned().ok_or_else(|| {
                        Exc::new(
                            ErrorKind::IndexError,
                            format!("Replacement index {i} out of range for positional args tuple"),
                        )
                    })?
                } else {
                    kwargs
                        .iter()
                        .find(|(k, _)| k.as_ref() == name)
                        .map(|(_, v)| v.clone())
                        .ok_or_else(|| Exc::new(ErrorKind::KeyError, str_repr(name)))?
                };
                let text = match conversion {
                    "r" | "a" => value.repr(),
                    _ => format_spec(&value, spec)?,
                };
                out.push_str(&text);
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

fn format_spec(value: &Value, spec: &str) -> R<String> {
    if spec.is_empty() {
        return Ok(value.to_str().to_string());
    }
    let mut chars: Vec<char> = spec.chars().collect();
    let mut fill = ' ';
    let mut align = None;
    if chars.len() >= 2 && matches!(chars[1], '<' | '>' | '^') {
        fill = chars[0];
        align = Some(chars[1]);
        chars.drain(..2);
    } else if !chars.is_empty() && matches!(chars[0], '<' | '>' | '^') {
        align = Some(chars[0]);
        chars.remove(0);
    }
    let rest: String = chars.into_iter().collect();
    let kind = rest.chars().last().filter(|c| c.is_ascii_alphabetic());
    let numbers = kind.map_or(rest.as_str(), |_| &rest[..rest.len() - 1]);
    let (width, precision) = match numbers.split_once('.') {
        Some((w, p)) => (spec_number(w)?.unwrap_or(0), spec_number(p)?),
        None => (spec_number(numbers)?.unwrap_or(0), None),
    };
    if width > MAX_OUTPUT_BYTES || precision.unwrap_or(0) > MAX_OUTPUT_BYTES {
        return Err(Exc::limit("format width or precision too large"));
    }
    super::budget::charge(width.max(precision.unwrap_or(0)))?;
    let body = match (kind, value) {
        (Some('f' | 'F'), v) => format!(
            "{:.*}",
            precision.unwrap_or(6),
            as_f64(v).ok_or_else(|| Exc::value_error(
                "Unknown format code 'f' for object of type 'str'"
            ))?
        ),
        (Some('e'), v) => format_exponent(
            as_f64(v).unwrap_or(0.0),
            precision.unwrap_or(6),
            FloatStyle::default(),
        ),
        (Some('d'), v) => as_int(v).map(|n| n.to_string()).ok_or_else(|| {
            Exc::value_error(format!(
                "Unknown format code 'd' for object of type '{}'",
                v.type_name()
            ))
        })?,
        (None, Value::Float(f)) if precision.is_some() => {
            format_general(*f, precision.unwrap_or(6), FloatStyle::default())
        }
        (_, v) => {
            let text = v.to_str().to_string();
            match precision {
                Some(p) => text.chars().take(p).collect(),
                None => text,
            }
        }
    };
    let len = char_len(&body);
    if len >= width {
        return Ok(body);
    }
    let padding = width - len;
    let default_right = matches!(value, Value::Int(_) | Value::Float(_));
    let fill_str = |n: usize| fill.to_string().repeat(n);
    Ok(
        match align.unwrap_or(if default_right { '>' } else { '<' }) {
            '<' => body + &fill_str(padding),
            '>' => fill_str(padding) + &body,
            _ => fill_str(padding / 2) + &body + &fill_str(padding - padding / 2),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_formatting_matches_python() {
        let args = Value::tuple(vec![
            Value::Float(3.25159),
            Value::Int(7),
            Value::Int(255),
            Value::Float(12345.678),
            Value::Float(0.0001),
            Value::Int(1234567),
            Value::str("a"),
            Value::Int(65),
            Value::Int(3),
            Value::Int(-42),
        ]);
        assert_eq!(
            percent_format("%5.1f|%-4d|%x|%e|%g|%g|%r|%c|%%|%+d|%05d", &args).expect("formats"),
            "  3.3|7   |ff|1.234568e+04|0.0001|1.23457e+06|'a'|A|%|+3|-0042"
        );
        let err = percent_format("%s %s", &Value::tuple(vec![Value::Int(1)])).expect_err("fails");
        assert_eq!(err.message, "not enough arguments for format string");
        let err = percent_format("%d", &Value::str("x")).expect_err("fails");
        assert_eq!(err.message, "%d format: a real number is required, not str");
    }

    #[test]
    fn float_repr_used_for_s() {
        assert_eq!(
            percent_format("%s", &Value::Float(2.0)).expect("formats"),
            "2.0"
        );
    }
}
