//! Python's `%`-formatting (`"%s and %d" % (a, b)`, the `format` filter) and
//! the basics of `str.format`.

use std::sync::Arc;

use super::error::Exc;
use super::value::*;
use crate::core::py::float::{format_exponent, format_fixed, format_general, FloatStyle};
use crate::core::py::strings::str_repr;

type R<T> = Result<T, Exc>;

struct Spec {
    left: bool,
    sign: bool,
    space: bool,
    zero: bool,
    alternate: bool,
    width: usize,
    precision: Option<usize>,
}

fn pad(body: String, spec: &Spec, numeric: bool) -> String {
    let len = char_len(&body);
    if len >= spec.width {
        return body;
    }
    let fill = spec.width - len;
    if spec.left {
        return body + &" ".repeat(fill);
    }
    if spec.zero && numeric {
        let (sign, digits) = match body.chars().next() {
            Some(c @ ('-' | '+' | ' ')) => (c.to_string(), body[1..].to_string()),
            _ => (String::new(), body),
        };
        return sign + &"0".repeat(fill) + &digits;
    }
    " ".repeat(fill) + &body
}

fn signed(body: String, negative: bool, spec: &Spec) -> String {
    if negative {
        format!("-{body}")
    } else if spec.sign {
        format!("+{body}")
    } else if spec.space {
        format!(" {body}")
    } else {
        body
    }
}

fn number_arg(value: &Value, conversion: char) -> R<f64> {
    match value {
        Value::Int(_) | Value::Bool(_) | Value::Float(_) => Ok(as_f64(value).unwrap_or(0.0)),
        other => Err(Exc::type_error(format!(
            "%{conversion} format: a real number is required, not {}",
            other.type_name()
        ))),
    }
}

fn int_arg(value: &Value, conversion: char) -> R<i64> {
    match value {
        Value::Int(_) | Value::Bool(_) => Ok(as_int(value).unwrap_or(0)),
        Value::Float(f) if conversion == 'd' || conversion == 'i' || conversion == 'u' => {
            Ok(f.trunc() as i64)
        }
        Value::Float(_) => Err(Exc::type_error(format!(
            "%{conversion} format: an integer is required, not float"
        ))),
        other => Err(Exc::type_error(format!(
            "%{conversion} format: {} is required, not {}",
            if matches!(conversion, 'd' | 'i' | 'u') {
                "a real number"
            } else {
                "an integer"
            },
            other.type_name()
        ))),
    }
}

fn convert(conversion: char, value: &Value, spec: &Spec) -> R<String> {
    Ok(match conversion {
        's' | 'r' | 'a' => {
            let mut text = if conversion == 's' {
                value.to_str().to_string()
            } else {
                value.repr()
            };
            if let Some(p) = spec.precision {
                text = text.chars().take(p).collect();
            }
            pad(text, spec, false)
        }
        'd' | 'i' | 'u' => {
            let n = int_arg(value, conversion)?;
            let mut digits = n.unsigned_abs().to_string();
            if let Some(p) = spec.precision {
                while digits.len() < p {
                    digits.insert(0, '0');
                }
            }
            pad(signed(digits, n < 0, spec), spec, true)
        }
        'x' | 'X' | 'o' => {
            let n = int_arg(value, conversion)?;
            let magnitude = n.unsigned_abs();
            let mut digits = match conversion {
                'x' => format!("{magnitude:x}"),
                'X' => format!("{magnitude:X}"),
                _ => format!("{magnitude:o}"),
            };
            if spec.alternate {
                digits = format!(
                    "{}{digits}",
                    match conversion {
                        'x' => "0x",
                        'X' => "0X",
                        _ => "0o",
                    }
                );
            }
            pad(signed(digits, n < 0, spec), spec, true)
        }
        'f' | 'F' | 'e' | 'E' | 'g' | 'G' => {
            let f = number_arg(value, conversion)?;
            let style = FloatStyle {
                alternate: spec.alternate,
                upper: conversion.is_ascii_uppercase(),
            };
            let precision = spec.precision.unwrap_or(6);
            let magnitude = f.abs();
            let body = match conversion {
                'f' | 'F' => format_fixed(magnitude, precision, style),
                'e' | 'E' => format_exponent(magnitude, precision, style),
                _ => format_general(magnitude, precision, style),
            };
            pad(
                signed(body, f.is_sign_negative() && !f.is_nan(), spec),
                spec,
                true,
            )
        }
        'c' => {
            let c = match value {
                Value::Int(n) => char::from_u32(*n as u32)
                    .ok_or_else(|| Exc::new("OverflowError", "%c arg not in range(0x110000)"))?,
                Value::Str(s) if char_len(s) == 1 => s.chars().next().unwrap_or(' '),
                _ => return Err(Exc::type_error("%c requires int or char")),
            };
            pad(c.to_string(), spec, false)
        }
        other => {
            return Err(Exc::value_error(format!(
                "unsupported format character '{other}' (0x{:x})",
                other as u32
            )))
        }
    })
}

/// Python's `format % args`.
pub(crate) fn percent_format(format: &str, args: &Value) -> R<String> {
    let positional: Vec<Value> = match args {
        Value::Tuple(items) => items.to_vec(),
        other => vec![other.clone()],
    };
    let mapping = match args {
        Value::Dict(d) => Some(d.clone()),
        _ => None,
    };
    let mut next = 0usize;
    let mut used_mapping = false;
    let mut out = String::with_capacity(format.len());
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut key: Option<String> = None;
        if chars.peek() == Some(&'(') {
            chars.next();
            let mut depth = 1;
            let mut name = String::new();
            for c in chars.by_ref() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                name.push(c);
            }
            key = Some(name);
        }
        let mut spec = Spec {
            left: false,
            sign: false,
            space: false,
            zero: false,
            alternate: false,
            width: 0,
            precision: None,
        };
        while let Some(&flag) = chars.peek() {
            match flag {
                '-' => spec.left = true,
                '+' => spec.sign = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.alternate = true,
                _ => break,
            }
            chars.next();
        }
        let take_arg = |next: &mut usize| -> R<Value> {
            let value = positional
                .get(*next)
                .cloned()
                .ok_or_else(|| Exc::type_error("not enough arguments for format string"))?;
            *next += 1;
            Ok(value)
        };
        if chars.peek() == Some(&'*') {
            chars.next();
            spec.width = as_int(&take_arg(&mut next)?).unwrap_or(0).max(0) as usize;
        } else {
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                spec.width = spec.width * 10 + d as usize;
                chars.next();
            }
        }
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut precision = 0usize;
            if chars.peek() == Some(&'*') {
                chars.next();
                precision = as_int(&take_arg(&mut next)?).unwrap_or(0).max(0) as usize;
            } else {
                while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                    precision = precision * 10 + d as usize;
                    chars.next();
                }
            }
            spec.precision = Some(precision);
        }
        while matches!(chars.peek(), Some('h' | 'l' | 'L')) {
            chars.next();
        }
        let Some(conversion) = chars.next() else {
            return Err(Exc::value_error("incomplete format"));
        };
        if conversion == '%' {
            out.push('%');
            continue;
        }
        let value = match &key {
            Some(name) => {
                let Some(map) = &mapping else {
                    return Err(Exc::type_error("format requires a mapping"));
                };
                used_mapping = true;
                let hash = HashKey::Str(Arc::from(name.as_str()));
                map.borrow()
                    .get(&hash)
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| Exc::new("KeyError", str_repr(name)))?
            }
            None => take_arg(&mut next)?,
        };
        out.push_str(&convert(conversion, &value, &spec)?);
    }
    if !used_mapping && next < positional.len() && mapping.is_none() {
        return Err(Exc::type_error(
            "not all arguments converted during string formatting",
        ));
    }
    Ok(out)
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
                            "IndexError",
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
                            "IndexError",
                            format!("Replacement index {i} out of range for positional args tuple"),
                        )
                    })?
                } else {
                    kwargs
                        .iter()
                        .find(|(k, _)| k.as_ref() == name)
                        .map(|(_, v)| v.clone())
                        .ok_or_else(|| Exc::new("KeyError", str_repr(name)))?
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
        Some((w, p)) => (w.parse().unwrap_or(0usize), p.parse::<usize>().ok()),
        None => (numbers.parse().unwrap_or(0usize), None),
    };
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
            Value::Float(3.14159),
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
            "  3.1|7   |ff|1.234568e+04|0.0001|1.23457e+06|'a'|A|%|+3|-0042"
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
