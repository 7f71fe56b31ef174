//! Python floats as text: `repr()`/`str()`, `round()`, the `%`-style
//! fixed/exponent/general layouts, and `float()`/`int()` parsing of strings.
//!
//! Rust's float formatting is exact (shortest round-trip digits for `{:e}`,
//! correctly rounded with ties to even for a precision), which is what
//! CPython's `dtoa` computes too; only the layout around the digits differs.

use super::strings::{decimal_value, is_python_space, str_repr};
use super::PyError;

/// CPython's limits beyond which `round(x, n)` returns `x` unchanged, or a
/// zero of `x`'s sign, without computing anything.
const ROUND_NDIGITS_MAX: i32 = 323;
const ROUND_NDIGITS_MIN: i32 = -308;

/// The shortest decimal digits that round-trip to `magnitude` (no leading
/// or trailing zeros, except `"0"` for zero) and the exponent of the first
/// digit: `magnitude = 0.d1d2... * 10^(exponent + 1)`.
fn shortest_digits(magnitude: f64) -> (String, i32) {
    let scientific = format!("{magnitude:e}");
    split_scientific(&scientific)
}

/// Splits Rust's `{:e}` output (`1.2345e-7`) into digits and exponent.
fn split_scientific(scientific: &str) -> (String, i32) {
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    (digits, exponent.parse().unwrap_or(0))
}

/// `e+16`, `e-07`: CPython writes at least two exponent digits and a sign.
fn push_exponent(out: &mut String, marker: char, exponent: i32) {
    out.push(marker);
    out.push(if exponent < 0 { '-' } else { '+' });
    out.push_str(&format!("{:02}", exponent.unsigned_abs()));
}

fn non_finite(x: f64, upper: bool) -> &'static str {
    match (x.is_nan(), x.is_sign_negative(), upper) {
        (true, _, false) => "nan",
        (true, _, true) => "NAN",
        (false, false, false) => "inf",
        (false, false, true) => "INF",
        (false, true, false) => "-inf",
        (false, true, true) => "-INF",
    }
}

/// Places the decimal point in `digits` whose first digit has decimal
/// exponent `exponent`, padding with zeros on either side as needed.
fn push_positional(out: &mut String, digits: &str, exponent: i32) {
    let point = exponent + 1;
    if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', point.unsigned_abs() as usize));
        out.push_str(digits);
        return;
    }
    let point = point as usize;
    if point >= digits.len() {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', point - digits.len()));
    } else {
        out.push_str(&digits[..point]);
        out.push('.');
        out.push_str(&digits[point..]);
    }
}

/// `repr(x)` and `str(x)`: the shortest round-trip digits, positional for
/// exponents -4..16 (always with a fractional part: `100.0`), scientific
/// otherwise (`1e+16`, `1.5e-07`); `nan`, `inf`, `-inf`.
pub fn float_repr(x: f64) -> String {
    if !x.is_finite() {
        return non_finite(x, false).to_owned();
    }
    let (digits, exponent) = shortest_digits(x.abs());
    let mut out = String::with_capacity(digits.len() + 8);
    if x.is_sign_negative() {
        out.push('-');
    }
    if (-4..16).contains(&exponent) {
        push_positional(&mut out, &digits, exponent);
        if exponent + 1 >= digits.len() as i32 {
            out.push_str(".0");
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        push_exponent(&mut out, 'e', exponent);
    }
    out
}

/// `round(x, ndigits)`: the exact binary value rounded to `ndigits` decimal
/// places with ties to even (so `round(2.675, 2) == 2.67`, since 2.675 is
/// really 2.67499999...), then read back as the nearest float. Non-finite
/// values come back unchanged; a result too large to represent is Python's
/// `OverflowError`.
pub fn round_half_even(x: f64, ndigits: i32) -> Result<f64, PyError> {
    if !x.is_finite() || ndigits > ROUND_NDIGITS_MAX {
        return Ok(x);
    }
    if ndigits < ROUND_NDIGITS_MIN {
        return Ok(0.0 * x);
    }
    let decimal = if ndigits >= 0 {
        format!("{x:.prec$}", prec = ndigits as usize)
    } else {
        round_integer_digits(x, ndigits.unsigned_abs() as usize)
    };
    let rounded: f64 = decimal.parse().unwrap_or(f64::NAN);
    if rounded.is_infinite() {
        return Err(PyError::new(
            "OverflowError",
            "rounded value too large to represent",
        ));
    }
    Ok(rounded)
}

/// `x` rounded to a multiple of `10^places`, ties to even, as decimal text.
fn round_integer_digits(x: f64, places: usize) -> String {
    let integer = format!("{:.0}", x.abs().trunc());
    let has_fraction = x.fract() != 0.0;
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if integer.len() < places {
        // Below half of 10^places (its digit count is places + 1): zero.
        return format!("{sign}0");
    }
    let (kept, dropped) = integer.split_at(integer.len() - places);
    let first_dropped = dropped.as_bytes().first().copied().unwrap_or(b'0');
    let rest_nonzero = has_fraction || dropped.bytes().skip(1).any(|digit| digit != b'0');
    let last_kept_odd = kept
        .as_bytes()
        .last()
        .is_some_and(|digit| (digit - b'0') % 2 == 1);
    let round_up = match first_dropped.cmp(&b'5') {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => rest_nonzero || last_kept_odd,
    };
    let mut digits: Vec<u8> = kept.bytes().collect();
    if round_up {
        increment_decimal(&mut digits);
    }
    let mut out = String::with_capacity(sign.len() + digits.len() + places);
    out.push_str(sign);
    if digits.is_empty() {
        out.push('0');
    } else {
        out.extend(digits.iter().map(|&digit| char::from(digit)));
        out.extend(std::iter::repeat_n('0', places));
    }
    out
}

/// Adds one to a decimal digit string in place (an empty string becomes "1").
fn increment_decimal(digits: &mut Vec<u8>) {
    for digit in digits.iter_mut().rev() {
        if *digit == b'9' {
            *digit = b'0';
        } else {
            *digit += 1;
            return;
        }
    }
    digits.insert(0, b'1');
}

/// `round(x)` with no digits, as a float holding the integer Python returns
/// (ties to even); infinities and NaN are the errors Python raises.
pub fn round_to_integer(x: f64) -> Result<f64, PyError> {
    if x.is_nan() {
        return Err(PyError::value_error("cannot convert float NaN to integer"));
    }
    if x.is_infinite() {
        return Err(PyError::new(
            "OverflowError",
            "cannot convert float infinity to integer",
        ));
    }
    let rounded = x.round_ties_even();
    // Python's int has no negative zero.
    Ok(if rounded == 0.0 { 0.0 } else { rounded })
}

/// Sign and layout options shared by the `%`-style float conversions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FloatStyle {
    /// `#`: always write the decimal point; keep trailing zeros for `g`.
    pub alternate: bool,
    /// `E`, `F`, `G`: upper-case exponent marker and `INF`/`NAN`.
    pub upper: bool,
}

fn push_fraction_point_if_needed(out: &mut String, style: FloatStyle) {
    if style.alternate && !out.contains('.') {
        out.push('.');
    }
}

/// `'%.{precision}f' % x` without sign flags or padding: `-` only for
/// negative values (including `-0.0`).
pub fn format_fixed(x: f64, precision: usize, style: FloatStyle) -> String {
    if !x.is_finite() {
        return non_finite(x, style.upper).to_owned();
    }
    let mut out = format!("{x:.precision$}");
    push_fraction_point_if_needed(&mut out, style);
    out
}

/// `'%.{precision}e' % x`: one digit, the fraction, then `e+NN`.
pub fn format_exponent(x: f64, precision: usize, style: FloatStyle) -> String {
    if !x.is_finite() {
        return non_finite(x, style.upper).to_owned();
    }
    let scientific = format!("{:.precision$e}", x.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let mut out = String::with_capacity(mantissa.len() + 6);
    if x.is_sign_negative() {
        out.push('-');
    }
    out.push_str(mantissa);
    push_fraction_point_if_needed(&mut out, style);
    push_exponent(
        &mut out,
        if style.upper { 'E' } else { 'e' },
        exponent.parse().unwrap_or(0),
    );
    out
}

/// `'%.{precision}g' % x`: `precision` significant digits (0 counts as 1),
/// positional when the exponent is in -4..precision, else scientific;
/// trailing zeros removed unless `#`.
pub fn format_general(x: f64, precision: usize, style: FloatStyle) -> String {
    if !x.is_finite() {
        return non_finite(x, style.upper).to_owned();
    }
    let significant = precision.max(1);
    let scientific = format!("{:.prec$e}", x.abs(), prec = significant - 1);
    let (mut digits, exponent) = split_scientific(&scientific);
    if style.alternate {
        // `#` keeps every requested digit; the value zero has them all too.
        digits.truncate(significant);
    } else {
        let kept = digits.trim_end_matches('0').len().max(1);
        digits.truncate(kept);
    }
    let mut out = String::with_capacity(digits.len() + 8);
    if x.is_sign_negative() {
        out.push('-');
    }
    let significant = i32::try_from(significant).unwrap_or(i32::MAX);
    if exponent < -4 || exponent >= significant {
        out.push_str(&digits[..1]);
        if digits.len() > 1 || style.alternate {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        push_exponent(&mut out, if style.upper { 'E' } else { 'e' }, exponent);
    } else {
        push_positional(&mut out, &digits, exponent);
        push_fraction_point_if_needed(&mut out, style);
    }
    out
}

/// Python's first step of `float()`/`int()` on text: Unicode whitespace
/// and decimal digits become ASCII (a character that is neither stays
/// as is and the parse then fails on it), then surrounding whitespace goes.
fn to_ascii_number(text: &str) -> Option<String> {
    let mut ascii = String::with_capacity(text.len());
    for c in text.chars() {
        if is_python_space(c) {
            ascii.push(' ');
        } else if let Some(value) = decimal_value(c) {
            ascii.push(char::from_digit(value, 10)?);
        } else if c.is_ascii() {
            ascii.push(c);
        } else {
            return None;
        }
    }
    Some(ascii.trim_matches(' ').to_owned())
}

/// Removes the underscores Python allows in numbers: each one must sit
/// between two digits of `is_digit`.
fn remove_underscores(text: &str, is_digit: impl Fn(u8) -> bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    for (index, &byte) in bytes.iter().enumerate() {
        if byte == b'_' {
            let before = index.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(index + 1).copied();
            if !before.is_some_and(&is_digit) || !after.is_some_and(&is_digit) {
                return None;
            }
        } else {
            out.push(char::from(byte));
        }
    }
    Some(out)
}

/// `float(text)`: surrounding whitespace ignored, `_` between digits,
/// `inf`/`infinity`/`nan` in any case with an optional sign, Unicode
/// decimal digits. `None` where Python raises `ValueError`
/// ([`float_from_str`] gives that error).
pub fn parse_python_float(text: &str) -> Option<f64> {
    let ascii = to_ascii_number(text)?;
    let plain = remove_underscores(&ascii, |byte| byte.is_ascii_digit())?;
    let unsigned = plain.trim_start_matches(['+', '-']);
    if plain.len() - unsigned.len() > 1 {
        return None;
    }
    let special = unsigned.to_ascii_lowercase();
    if matches!(special.as_str(), "inf" | "infinity" | "nan") {
        return plain.parse().ok();
    }
    // What remains must be a decimal literal, whose grammar Rust's parser
    // shares with Python's; restricting the characters keeps it that way
    // whatever other spellings Rust's parser accepts.
    if !unsigned
        .bytes()
        .all(|byte| byte.is_ascii_digit() || matches!(byte, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    plain.parse().ok()
}

/// `float(text)` with Python's error.
pub fn float_from_str(text: &str) -> Result<f64, PyError> {
    parse_python_float(text).ok_or_else(|| {
        PyError::value_error(format!(
            "could not convert string to float: {}",
            str_repr(text)
        ))
    })
}

/// `int(text, base)` for a result that fits in `i64`: surrounding
/// whitespace, a sign, `_` between digits (and after a base prefix), the
/// prefixes `0x`/`0o`/`0b` with base 0 or the matching base, and base 0
/// rejecting leading zeros as Python literals do. `None` where Python raises
/// `ValueError`, and for values outside `i64` ([`int_from_str`] tells which).
pub fn parse_python_int(text: &str, base: u32) -> Option<i64> {
    int_from_str(text, base).ok()
}

/// `int(text, base)` with Python's errors; a valid literal outside `i64`
/// is an `OverflowError` (Python's own ints would hold it).
pub fn int_from_str(text: &str, base: u32) -> Result<i64, PyError> {
    if base == 1 || base > 36 {
        return Err(PyError::value_error(
            "int() base must be >= 2 and <= 36, or 0",
        ));
    }
    let invalid = || {
        // CPython cuts the repr at 200 characters (`%.200R`).
        let repr: String = str_repr(text).chars().take(200).collect();
        PyError::value_error(format!(
            "invalid literal for int() with base {base}: {repr}"
        ))
    };
    let (negative, magnitude) = int_magnitude(text, base).ok_or_else(invalid)?;
    let value = if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    };
    value.ok_or_else(|| PyError::new("OverflowError", "Python int too large to convert to C long"))
}

/// The sign and magnitude of a valid `int()` literal; a magnitude beyond
/// `u64` saturates, which the caller reports as an overflow.
fn int_magnitude(text: &str, base: u32) -> Option<(bool, u64)> {
    let ascii = to_ascii_number(text)?;
    let (negative, unsigned) = match ascii.as_bytes().first() {
        Some(b'-') => (true, &ascii[1..]),
        Some(b'+') => (false, &ascii[1..]),
        _ => (false, ascii.as_str()),
    };
    let lower = unsigned.to_ascii_lowercase();
    let prefix_base = match lower.get(..2) {
        Some("0x") => Some(16),
        Some("0o") => Some(8),
        Some("0b") => Some(2),
        _ => None,
    };
    let (digit_base, digits) = match prefix_base {
        // After a prefix one underscore may come first ("0x_1f").
        Some(prefixed) if base == 0 || base == prefixed => {
            let digits = &lower[2..];
            (prefixed, digits.strip_prefix('_').unwrap_or(digits))
        }
        _ if base == 0 => (10, lower.as_str()),
        _ => (base, lower.as_str()),
    };
    let plain = remove_underscores(digits, |byte| char::from(byte).is_digit(digit_base))?;
    if plain.is_empty() || !plain.chars().all(|c| c.is_digit(digit_base)) {
        return None;
    }
    // Base 0 reads Python literals, where a decimal number may not start
    // with 0 unless it is all zeros (`int('010', 0)` fails, `int('00', 0)` is 0).
    let decimal_literal = base == 0 && prefix_base.is_none();
    if decimal_literal && plain.starts_with('0') && plain.bytes().any(|byte| byte != b'0') {
        return None;
    }
    let magnitude = u64::from_str_radix(&plain, digit_base).unwrap_or(u64::MAX);
    Some((negative, magnitude))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::py::fixture::{replay, Case};
    use serde_json::{json, Value};

    /// Applies a `%`-spec such as `%#.6g` recorded in the fixture.
    fn format_spec(x: f64, spec: &str) -> String {
        let alternate = spec.contains('#');
        let conversion = spec.chars().last().unwrap_or('f');
        let precision = spec
            .trim_start_matches(['%', '#', '.'])
            .trim_end_matches(conversion)
            .parse()
            .unwrap_or(6);
        let style = FloatStyle {
            alternate,
            upper: conversion.is_ascii_uppercase(),
        };
        match conversion.to_ascii_lowercase() {
            'f' => format_fixed(x, precision, style),
            'e' => format_exponent(x, precision, style),
            _ => format_general(x, precision, style),
        }
    }

    fn bits(x: f64) -> Value {
        json!(x.to_bits())
    }

    fn run(case: &Case) -> Option<Result<Value, PyError>> {
        let value = match case.function.as_str() {
            "repr" => Ok(json!(float_repr(case.float(0)))),
            "round" => {
                let ndigits = i32::try_from(case.int(1)).unwrap_or(i32::MAX);
                round_half_even(case.float(0), ndigits).map(bits)
            }
            "round_int" => round_to_integer(case.float(0)).map(bits),
            "format" => Ok(json!(format_spec(case.float(0), case.str(1)))),
            "parse_float" => float_from_str(case.str(0)).map(bits),
            "parse_int" => {
                let base = u32::try_from(case.int(1)).unwrap_or(u32::MAX);
                int_from_str(case.str(0), base).map(|value| json!(value))
            }
            _ => return None,
        };
        Some(value)
    }

    #[test]
    fn every_recorded_call_matches_cpython() {
        replay(include_str!("../../../tests/fixtures/py/float.jsonl"), run);
    }

    #[test]
    fn documented_examples() {
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(1.5e-7), "1.5e-07");
        assert_eq!(float_repr(100.0), "100.0");
        assert_eq!(float_repr(-0.0), "-0.0");
        assert_eq!(round_half_even(2.675, 2), Ok(2.67));
        assert_eq!(round_half_even(0.5, 0), Ok(0.0));
        assert_eq!(round_half_even(1.5, 0), Ok(2.0));
        assert_eq!(round_half_even(1250.0, -2), Ok(1200.0));
        assert_eq!(round_half_even(1250.5, -2), Ok(1300.0));
        assert_eq!(parse_python_float(" 1_000.5 "), Some(1000.5));
        assert_eq!(parse_python_int("0x_1f", 0), Some(31));
        assert_eq!(parse_python_int("010", 0), None);
    }
}
