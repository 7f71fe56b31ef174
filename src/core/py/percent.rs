//! Python's `%`-formatting of strings (`"%s is %d%%" % (name, n)`), with
//! CPython 3.11's parsing order, conversions, padding rules and errors.
//!
//! The caller maps its own values onto [`PyArg`]; text conversions of
//! containers (`str()`/`repr()` of a list or dict) are the caller's, since
//! only it knows how its values print.

use super::float::{float_repr, format_exponent, format_fixed, format_general, FloatStyle};
use super::strings::{ascii_escape, str_repr};
use super::{PyError, MAX_RESULT_BYTES};

/// One value on the right of `%`.
#[derive(Debug, Clone, PartialEq)]
pub enum PyArg {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A `dict`: `%(key)s` looks its string keys up (other keys are left
    /// out by the caller and so are missing).
    Dict {
        entries: Vec<(String, PyArg)>,
        str: String,
        repr: String,
    },
    /// Any other value (list, tuple inside a tuple, ...), printed through
    /// its `str()` and `repr()`. `subscriptable` marks values Python treats
    /// as mappings for `%` (lists and other types with `__getitem__`): with
    /// one of them, unused arguments are not an error, and `%(key)s` fails
    /// on the subscript.
    Object {
        type_name: String,
        str: String,
        repr: String,
        subscriptable: bool,
    },
}

impl PyArg {
    fn type_name(&self) -> &str {
        match self {
            PyArg::None => "NoneType",
            PyArg::Bool(_) => "bool",
            PyArg::Int(_) => "int",
            PyArg::Float(_) => "float",
            PyArg::Str(_) => "str",
            PyArg::Dict { .. } => "dict",
            PyArg::Object { type_name, .. } => type_name,
        }
    }

    /// `str(value)`.
    fn to_str(&self) -> String {
        match self {
            PyArg::None => "None".to_owned(),
            PyArg::Bool(true) => "True".to_owned(),
            PyArg::Bool(false) => "False".to_owned(),
            PyArg::Int(value) => value.to_string(),
            PyArg::Float(value) => float_repr(*value),
            PyArg::Str(text) => text.clone(),
            PyArg::Dict { str, .. } | PyArg::Object { str, .. } => str.clone(),
        }
    }

    /// `repr(value)`.
    fn to_repr(&self) -> String {
        match self {
            PyArg::Str(text) => str_repr(text),
            PyArg::Dict { repr, .. } | PyArg::Object { repr, .. } => repr.clone(),
            other => other.to_str(),
        }
    }

    /// Python treats the right operand as a mapping when it is not a tuple
    /// or a str but has `__getitem__`.
    fn is_mapping(&self) -> bool {
        match self {
            PyArg::Dict { .. } => true,
            PyArg::Object { subscriptable, .. } => *subscriptable,
            _ => false,
        }
    }

    /// `mapping[key]` for `%(key)s`.
    fn lookup(&self, key: &str) -> Result<&PyArg, PyError> {
        match self {
            PyArg::Dict { entries, .. } => entries
                .iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value)
                .ok_or_else(|| PyError::new("KeyError", str_repr(key))),
            other => Err(PyError::type_error(format!(
                "{} indices must be integers or slices, not str",
                other.type_name()
            ))),
        }
    }
}

/// The right operand of `%`.
#[derive(Debug, Clone, PartialEq)]
pub enum PercentArgs {
    /// `format % (a, b, ...)`: one value per conversion, in order.
    Tuple(Vec<PyArg>),
    /// `format % value` for any value that is not a tuple, including a dict
    /// for `%(key)s` conversions.
    Single(PyArg),
}

/// Where the next conversion takes its value from: CPython swaps the tuple
/// for the looked-up value after every `%(key)`.
enum Source<'a> {
    Tuple { items: &'a [PyArg], next: usize },
    One { value: &'a PyArg, used: bool },
}

impl<'a> Source<'a> {
    fn next(&mut self) -> Result<&'a PyArg, PyError> {
        let value = match self {
            Source::Tuple { items, next } => {
                let value = items.get(*next);
                *next += 1;
                value
            }
            Source::One { value, used } => (!std::mem::replace(used, true)).then_some(*value),
        };
        value.ok_or_else(|| PyError::type_error("not enough arguments for format string"))
    }

    fn has_unused(&self) -> bool {
        match self {
            Source::Tuple { items, next } => *next < items.len(),
            Source::One { used, .. } => !used,
        }
    }
}

#[derive(Default)]
struct Spec {
    left_justify: bool,
    sign_plus: bool,
    sign_blank: bool,
    alternate: bool,
    zero_pad: bool,
    width: usize,
    precision: Option<usize>,
}

fn incomplete() -> PyError {
    PyError::value_error("incomplete format")
}

fn too_big(what: &str) -> PyError {
    PyError::value_error(format!("{what} too big"))
}

/// Reads a run of decimal digits starting with `first`, stopping before
/// the first non-digit.
fn read_number(
    first: char,
    chars: &mut Chars<'_>,
    limit: usize,
    what: &str,
) -> Result<usize, PyError> {
    let mut value = first.to_digit(10).map_or(0, |digit| digit as usize);
    while let Some(&(_, c)) = chars.peek() {
        let Some(digit) = c.to_digit(10) else { break };
        value = value
            .checked_mul(10)
            .and_then(|value| value.checked_add(digit as usize))
            .filter(|&value| value <= limit)
            .ok_or_else(|| too_big(what))?;
        chars.next();
    }
    Ok(value)
}

fn star_argument(source: &mut Source<'_>) -> Result<i64, PyError> {
    match source.next()? {
        PyArg::Int(value) => Ok(*value),
        PyArg::Bool(value) => Ok(i64::from(*value)),
        _ => Err(PyError::type_error("* wants int")),
    }
}

/// Widths and precisions that would build results over the size limit are
/// refused up front instead of allocated.
fn check_padding(amount: usize) -> Result<usize, PyError> {
    if amount > MAX_RESULT_BYTES {
        Err(PyError::memory_error())
    } else {
        Ok(amount)
    }
}

type Chars<'a> = std::iter::Peekable<std::iter::Enumerate<std::str::Chars<'a>>>;

/// The next character of a conversion spec with its code point index; the
/// format ending inside a spec is Python's "incomplete format".
fn spec_char(chars: &mut Chars<'_>) -> Result<(usize, char), PyError> {
    chars.next().ok_or_else(incomplete)
}

/// `format % args`.
pub fn percent_format(format: &str, args: PercentArgs) -> Result<String, PyError> {
    let (mut source, mapping) = match &args {
        PercentArgs::Tuple(items) => (Source::Tuple { items, next: 0 }, None),
        PercentArgs::Single(value) => (
            Source::One { value, used: false },
            value.is_mapping().then_some(value),
        ),
    };
    let mut out = String::with_capacity(format.len() + 16);
    let mut chars: Chars<'_> = format.chars().enumerate().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut current = spec_char(&mut chars)?;
        if current.1 == '%' {
            out.push('%');
            continue;
        }
        if current.1 == '(' {
            let mapping =
                mapping.ok_or_else(|| PyError::type_error("format requires a mapping"))?;
            let key = read_key(&mut chars)?;
            source = Source::One {
                value: mapping.lookup(&key)?,
                used: false,
            };
            current = spec_char(&mut chars)?;
        }
        let mut spec = Spec::default();
        loop {
            match current.1 {
                '-' => spec.left_justify = true,
                '+' => spec.sign_plus = true,
                ' ' => spec.sign_blank = true,
                '#' => spec.alternate = true,
                '0' => spec.zero_pad = true,
                _ => break,
            }
            current = spec_char(&mut chars)?;
        }
        if current.1 == '*' {
            let width = star_argument(&mut source)?;
            if width < 0 {
                spec.left_justify = true;
            }
            spec.width =
                check_padding(usize::try_from(width.unsigned_abs()).unwrap_or(usize::MAX))?;
            current = spec_char(&mut chars)?;
        } else if current.1.is_ascii_digit() {
            let width = read_number(current.1, &mut chars, isize::MAX as usize, "width")?;
            spec.width = check_padding(width)?;
            current = spec_char(&mut chars)?;
        }
        if current.1 == '.' {
            current = spec_char(&mut chars)?;
            if current.1 == '*' {
                let precision = i32::try_from(star_argument(&mut source)?).map_err(|_| {
                    PyError::new("OverflowError", "Python int too large to convert to C int")
                })?;
                // A negative precision from `*` counts as zero.
                spec.precision = Some(check_padding(usize::try_from(precision).unwrap_or(0))?);
                current = spec_char(&mut chars)?;
            } else if current.1.is_ascii_digit() {
                let precision = read_number(current.1, &mut chars, i32::MAX as usize, "precision")?;
                spec.precision = Some(check_padding(precision)?);
                current = spec_char(&mut chars)?;
            } else {
                spec.precision = Some(0);
            }
        }
        // C's length modifiers mean nothing to Python and are skipped.
        if matches!(current.1, 'h' | 'l' | 'L') {
            current = spec_char(&mut chars)?;
        }
        // CPython fetches the value before it looks at the conversion, so a
        // missing argument is reported before an unknown conversion.
        let value = source.next()?;
        let (index, conversion) = current;
        convert(&mut out, conversion, index, &spec, value)?;
    }
    if mapping.is_none() && source.has_unused() {
        return Err(PyError::type_error(
            "not all arguments converted during string formatting",
        ));
    }
    Ok(out)
}

/// The key of `%(key)s`, up to the `)` that balances the opening one.
fn read_key(chars: &mut Chars<'_>) -> Result<String, PyError> {
    let mut key = String::new();
    let mut depth = 1usize;
    loop {
        let (_, c) = chars
            .next()
            .ok_or_else(|| PyError::value_error("incomplete format key"))?;
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            return Ok(key);
        }
        key.push(c);
    }
}

fn convert(
    out: &mut String,
    conversion: char,
    index: usize,
    spec: &Spec,
    value: &PyArg,
) -> Result<(), PyError> {
    match conversion {
        's' | 'r' | 'a' => {
            let text = match conversion {
                's' => value.to_str(),
                'r' => value.to_repr(),
                _ => ascii_escape(&value.to_repr()),
            };
            let text: String = match spec.precision {
                Some(precision) => text.chars().take(precision).collect(),
                None => text,
            };
            pad_text(out, &text, spec);
        }
        'c' => {
            let character = match value {
                PyArg::Int(code) => char_argument(*code)?,
                PyArg::Bool(flag) => char_argument(i64::from(*flag))?,
                PyArg::Str(text) if text.chars().count() == 1 => {
                    text.chars().next().unwrap_or_default()
                }
                _ => return Err(PyError::type_error("%c requires int or char")),
            };
            pad_text(out, character.encode_utf8(&mut [0; 4]), spec);
        }
        'd' | 'i' | 'u' | 'o' | 'x' | 'X' => {
            let (negative, digits) = integer_digits(conversion, value)?;
            let mut body = String::new();
            if let Some(precision) = spec.precision {
                body.extend(std::iter::repeat_n(
                    '0',
                    precision.saturating_sub(digits.len()),
                ));
            }
            body.push_str(&digits);
            let prefix = match conversion {
                'o' if spec.alternate => "0o",
                'x' if spec.alternate => "0x",
                'X' if spec.alternate => "0X",
                _ => "",
            };
            pad_number(out, negative, prefix, &body, spec);
        }
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
            let number = match value {
                PyArg::Float(number) => *number,
                PyArg::Int(number) => *number as f64,
                PyArg::Bool(flag) => f64::from(u8::from(*flag)),
                other => {
                    return Err(PyError::type_error(format!(
                        "must be real number, not {}",
                        other.type_name()
                    )))
                }
            };
            let style = FloatStyle {
                alternate: spec.alternate,
                upper: conversion.is_ascii_uppercase(),
            };
            let precision = spec.precision.unwrap_or(6);
            let text = match conversion.to_ascii_lowercase() {
                'e' => format_exponent(number, precision, style),
                'f' => format_fixed(number, precision, style),
                _ => format_general(number, precision, style),
            };
            let (negative, magnitude) = match text.strip_prefix('-') {
                Some(magnitude) => (true, magnitude),
                None => (false, text.as_str()),
            };
            pad_number(out, negative, "", magnitude, spec);
        }
        _ => {
            let shown = if (' '..='~').contains(&conversion) || conversion == '\x1f' {
                conversion
            } else {
                '?'
            };
            return Err(PyError::value_error(format!(
                "unsupported format character '{shown}' (0x{:x}) at index {index}",
                u32::from(conversion)
            )));
        }
    }
    Ok(())
}

fn char_argument(code: i64) -> Result<char, PyError> {
    let code = u32::try_from(code)
        .ok()
        .filter(|&code| code < 0x11_0000)
        .ok_or_else(|| PyError::new("OverflowError", "%c arg not in range(0x110000)"))?;
    // Python strings can hold lone surrogates; Rust strings cannot.
    char::from_u32(code).ok_or_else(|| {
        PyError::value_error(format!(
            "%c of a surrogate code point (0x{code:x}) cannot be represented"
        ))
    })
}

/// The sign and digits of an integer conversion. `%d`/`%i`/`%u` accept
/// floats (truncated, like `int()`); `%o`/`%x`/`%X` want integers.
fn integer_digits(conversion: char, value: &PyArg) -> Result<(bool, String), PyError> {
    let integer = match value {
        PyArg::Int(number) => *number,
        PyArg::Bool(flag) => i64::from(*flag),
        PyArg::Float(number) if matches!(conversion, 'd' | 'i' | 'u') => {
            if number.is_nan() {
                return Err(PyError::value_error("cannot convert float NaN to integer"));
            }
            if number.is_infinite() {
                return Err(PyError::new(
                    "OverflowError",
                    "cannot convert float infinity to integer",
                ));
            }
            let truncated = number.trunc();
            if truncated == 0.0 {
                return Ok((false, "0".to_owned()));
            }
            // Exact digits of the integral float, beyond i64 if need be.
            return Ok((truncated < 0.0, format!("{:.0}", truncated.abs())));
        }
        other => {
            let required = if matches!(conversion, 'o' | 'x' | 'X') {
                "an integer"
            } else {
                "a real number"
            };
            return Err(PyError::type_error(format!(
                "%{conversion} format: {required} is required, not {}",
                other.type_name()
            )));
        }
    };
    let magnitude = integer.unsigned_abs();
    let digits = match conversion {
        'o' => format!("{magnitude:o}"),
        'x' => format!("{magnitude:x}"),
        'X' => format!("{magnitude:X}"),
        _ => magnitude.to_string(),
    };
    Ok((integer < 0, digits))
}

fn char_count(text: &str) -> usize {
    text.chars().count()
}

/// Strings and `%c`: padded with spaces whatever the `0` flag says.
fn pad_text(out: &mut String, text: &str, spec: &Spec) {
    let padding = spec.width.saturating_sub(char_count(text));
    if !spec.left_justify {
        out.extend(std::iter::repeat_n(' ', padding));
    }
    out.push_str(text);
    if spec.left_justify {
        out.extend(std::iter::repeat_n(' ', padding));
    }
}

/// Numbers: the sign (`-`, or `+`/space by flag) and the `#` prefix go
/// before zero padding but after space padding; left justification pads
/// with spaces on the right.
fn pad_number(out: &mut String, negative: bool, prefix: &str, body: &str, spec: &Spec) {
    let sign = if negative {
        "-"
    } else if spec.sign_plus {
        "+"
    } else if spec.sign_blank {
        " "
    } else {
        ""
    };
    let length = sign.len() + prefix.len() + char_count(body);
    let padding = spec.width.saturating_sub(length);
    if spec.left_justify {
        out.push_str(sign);
        out.push_str(prefix);
        out.push_str(body);
        out.extend(std::iter::repeat_n(' ', padding));
    } else if spec.zero_pad {
        out.push_str(sign);
        out.push_str(prefix);
        out.extend(std::iter::repeat_n('0', padding));
        out.push_str(body);
    } else {
        out.extend(std::iter::repeat_n(' ', padding));
        out.push_str(sign);
        out.push_str(prefix);
        out.push_str(body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::py::fixture::{replay, Case};
    use serde_json::{json, Value};

    fn text(value: &Value, key: &str) -> String {
        value[key].as_str().unwrap_or_default().to_owned()
    }

    /// The fixture's tagged form of a Python value (see `encode_arg` in
    /// scripts/gen_py_fixtures.py).
    fn decode_arg(value: &Value) -> PyArg {
        if let Some(flag) = value.get("bool") {
            PyArg::Bool(flag.as_bool().unwrap_or_default())
        } else if let Some(number) = value.get("int") {
            PyArg::Int(number.as_i64().unwrap_or_default())
        } else if let Some(bits) = value.get("float") {
            PyArg::Float(f64::from_bits(bits.as_u64().unwrap_or_default()))
        } else if let Some(string) = value.get("str").filter(|_| value.get("repr").is_none()) {
            PyArg::Str(string.as_str().unwrap_or_default().to_owned())
        } else if let Some(Value::Array(entries)) = value.get("dict") {
            PyArg::Dict {
                entries: entries
                    .iter()
                    .map(|entry| {
                        (
                            entry[0].as_str().unwrap_or_default().to_owned(),
                            decode_arg(&entry[1]),
                        )
                    })
                    .collect(),
                str: text(value, "str"),
                repr: text(value, "repr"),
            }
        } else if value.get("object").is_some() {
            PyArg::Object {
                type_name: text(value, "object"),
                str: text(value, "str"),
                repr: text(value, "repr"),
                subscriptable: value["subscriptable"].as_bool().unwrap_or_default(),
            }
        } else {
            PyArg::None
        }
    }

    fn run(case: &Case) -> Option<Result<Value, PyError>> {
        if case.function != "percent" {
            return None;
        }
        let spec = &case.args[1];
        let args = match (spec.get("tuple"), spec.get("single")) {
            (Some(Value::Array(items)), _) => {
                PercentArgs::Tuple(items.iter().map(decode_arg).collect())
            }
            (_, Some(single)) => PercentArgs::Single(decode_arg(single)),
            _ => return None,
        };
        Some(percent_format(case.str(0), args).map(|text| json!(text)))
    }

    #[test]
    fn every_recorded_call_matches_cpython() {
        replay(
            include_str!("../../../tests/fixtures/py/percent.jsonl"),
            run,
        );
    }

    #[test]
    fn documented_examples() {
        let args = PercentArgs::Tuple(vec![PyArg::Str("rain".into()), PyArg::Int(80)]);
        assert_eq!(
            percent_format("%s is %d%%", args),
            Ok("rain is 80%".to_owned())
        );
        let error = percent_format("%d", PercentArgs::Single(PyArg::Str("x".into())));
        assert_eq!(
            error,
            Err(PyError::type_error(
                "%d format: a real number is required, not str"
            ))
        );
    }

    #[test]
    fn huge_widths_are_refused_not_allocated() {
        let error = percent_format("%999999999999d", PercentArgs::Single(PyArg::Int(1)));
        assert_eq!(error.map_err(|error| error.kind), Err("MemoryError"));
    }
}
