//! PyYAML's implicit resolution of plain scalars (YAML 1.1 rules, not 1.2's):
//! which type a plain scalar loads as, and so which strings the writer must
//! quote (`'yes'`, `'1.0'`, `'null'`, `''`, `'2020-01-31'`, ...).
//!
//! PyYAML does this with regular expressions chosen by the first character;
//! these are hand-written matchers for the same languages. A trailing line
//! break, which Python's `$` would tolerate, never reaches them: plain scalars
//! cannot end with one, and the writer never writes multi-line text plain.

/// The type PyYAML gives a plain scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Implicit {
    Str,
    Null,
    Bool,
    Int,
    Float,
    Timestamp,
    /// `<<`, PyYAML's merge key.
    Merge,
    /// `=`, the YAML 1.1 "value" key, which PyYAML cannot construct.
    ValueKey,
}

/// What PyYAML's resolver makes of `text` written as a plain scalar.
pub(crate) fn resolve_plain(text: &str) -> Implicit {
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else {
        return Implicit::Null;
    };
    // The first character selects the candidate resolvers, in PyYAML's
    // registration order: bool, float, int, merge, null, timestamp, value.
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' if is_bool(text) => {
            Implicit::Bool
        }
        b'-' | b'+' | b'0'..=b'9' | b'.' if is_float(bytes) => Implicit::Float,
        b'-' | b'+' | b'0'..=b'9' if is_int(bytes) => Implicit::Int,
        b'<' if text == "<<" => Implicit::Merge,
        b'~' | b'n' | b'N' if matches!(text, "~" | "null" | "Null" | "NULL") => Implicit::Null,
        b'0'..=b'9' if is_timestamp(bytes) => Implicit::Timestamp,
        b'=' if text == "=" => Implicit::ValueKey,
        _ => Implicit::Str,
    }
}

fn is_bool(text: &str) -> bool {
    matches!(
        text,
        "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// `Some(value)` for the YAML 1.1 booleans PyYAML knows.
pub(crate) fn bool_value(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" => Some(true),
        "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// Advances over `[0-9_]*` (or the given digit class) and returns the new position.
fn skip_while(bytes: &[u8], mut pos: usize, accept: impl Fn(u8) -> bool) -> usize {
    while pos < bytes.len() && accept(bytes[pos]) {
        pos += 1;
    }
    pos
}

fn digit_or_underscore(b: u8) -> bool {
    b.is_ascii_digit() || b == b'_'
}

fn skip_sign(bytes: &[u8]) -> usize {
    usize::from(matches!(bytes.first(), Some(b'-' | b'+')))
}

/// `[eE][-+][0-9]+` at `pos`, to the end. PyYAML requires the exponent's sign.
fn exponent_to_end(bytes: &[u8], pos: usize) -> bool {
    if pos == bytes.len() {
        return true;
    }
    if !matches!(bytes[pos], b'e' | b'E') || !matches!(bytes.get(pos + 1), Some(b'-' | b'+')) {
        return false;
    }
    let digits = pos + 2;
    let end = skip_while(bytes, digits, |b| b.is_ascii_digit());
    end > digits && end == bytes.len()
}

/// `(?::[0-5]?[0-9])+` at `pos`: the sexagesimal groups of `1:20:30`.
/// Returns the position after the groups, or `None` if there is not at least one.
fn sexagesimal_groups(bytes: &[u8], mut pos: usize) -> Option<usize> {
    let mut groups = 0;
    while bytes.get(pos) == Some(&b':') {
        let digits = skip_while(bytes, pos + 1, |b| b.is_ascii_digit());
        // `[0-5]?[0-9]`: one digit, or two with the first at most 5.
        let ok = match digits - (pos + 1) {
            1 => true,
            2 => bytes[pos + 1] <= b'5',
            _ => false,
        };
        if !ok {
            // A third digit could still be the start of nothing valid: the
            // regex would backtrack to a shorter group and then fail at the
            // leftover digit, so this is not a group sequence we accept.
            break;
        }
        pos = digits;
        groups += 1;
    }
    (groups > 0).then_some(pos)
}

fn is_float(bytes: &[u8]) -> bool {
    let start = skip_sign(bytes);
    let rest = &bytes[start..];
    // `[-+]?\.(inf|Inf|INF)` and `\.(nan|NaN|NAN)` (no sign for nan).
    if matches!(rest, b".inf" | b".Inf" | b".INF") {
        return true;
    }
    if start == 0 && matches!(rest, b".nan" | b".NaN" | b".NAN") {
        return true;
    }
    // `\.[0-9][0-9_]*(exponent)?`, unsigned.
    if start == 0 && bytes.first() == Some(&b'.') {
        if !bytes.get(1).is_some_and(u8::is_ascii_digit) {
            return false;
        }
        let end = skip_while(bytes, 2, digit_or_underscore);
        return exponent_to_end(bytes, end);
    }
    // `[-+]?[0-9][0-9_]*` then either `\.[0-9_]*(exponent)?` or the
    // sexagesimal form `(:[0-5]?[0-9])+\.[0-9_]*`.
    if !bytes.get(start).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let int_end = skip_while(bytes, start + 1, digit_or_underscore);
    if bytes.get(int_end) == Some(&b'.') {
        let frac_end = skip_while(bytes, int_end + 1, digit_or_underscore);
        return exponent_to_end(bytes, frac_end);
    }
    if let Some(after) = sexagesimal_groups(bytes, int_end) {
        if bytes.get(after) == Some(&b'.') {
            let frac_end = skip_while(bytes, after + 1, digit_or_underscore);
            return frac_end == bytes.len();
        }
    }
    false
}

fn is_int(bytes: &[u8]) -> bool {
    let start = skip_sign(bytes);
    let rest = &bytes[start..];
    match rest {
        [] => false,
        [b'0', b'b', tail @ ..] => {
            !tail.is_empty() && tail.iter().all(|&b| matches!(b, b'0' | b'1' | b'_'))
        }
        [b'0', b'x', tail @ ..] => {
            !tail.is_empty() && tail.iter().all(|&b| b.is_ascii_hexdigit() || b == b'_')
        }
        [b'0'] => true,
        [b'0', tail @ ..] => tail.iter().all(|&b| matches!(b, b'0'..=b'7' | b'_')),
        [b'1'..=b'9', ..] => {
            let end = skip_while(bytes, start + 1, digit_or_underscore);
            end == bytes.len() || sexagesimal_groups(bytes, end) == Some(bytes.len())
        }
        _ => false,
    }
}

/// `Some(value)` for a plain scalar PyYAML resolves as an int, converted as
/// PyYAML's constructor does (underscores dropped, `0b`, `0x`, leading-zero
/// octal, base 60). `None` also when it does not fit an `i128`.
pub(crate) fn int_value(text: &str) -> Option<i128> {
    let cleaned: String = text.chars().filter(|&c| c != '_').collect();
    let (negative, digits) = match cleaned.as_bytes().first() {
        Some(b'-') => (true, &cleaned[1..]),
        Some(b'+') => (false, &cleaned[1..]),
        _ => (false, cleaned.as_str()),
    };
    let magnitude = if digits == "0" {
        0
    } else if let Some(bin) = digits.strip_prefix("0b") {
        i128::from_str_radix(bin, 2).ok()?
    } else if let Some(hex) = digits.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix('0') {
        i128::from_str_radix(oct, 8).ok()?
    } else if digits.contains(':') {
        digits.split(':').try_fold(0i128, |acc, part| {
            acc.checked_mul(60)?.checked_add(part.parse::<i128>().ok()?)
        })?
    } else {
        digits.parse::<i128>().ok()?
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// The value of a plain scalar PyYAML resolves as a float.
pub(crate) fn float_value(text: &str) -> Option<f64> {
    let cleaned: String = text
        .chars()
        .filter(|&c| c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    let (sign, body) = match cleaned.as_bytes().first() {
        Some(b'-') => (-1.0, &cleaned[1..]),
        Some(b'+') => (1.0, &cleaned[1..]),
        _ => (1.0, cleaned.as_str()),
    };
    let magnitude = if body == ".inf" {
        f64::INFINITY
    } else if body == ".nan" {
        f64::NAN
    } else if body.contains(':') {
        let mut value = 0.0;
        for part in body.split(':') {
            value = value * 60.0 + part.parse::<f64>().ok()?;
        }
        value
    } else {
        body.parse::<f64>().ok()?
    };
    Some(sign * magnitude)
}

fn is_timestamp(bytes: &[u8]) -> bool {
    let digits = |from: usize, to: usize| {
        bytes
            .get(from..to)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    // `YYYY-MM-DD` on its own.
    if bytes.len() == 10
        && digits(0, 4)
        && bytes[4] == b'-'
        && digits(5, 7)
        && bytes[7] == b'-'
        && digits(8, 10)
    {
        return true;
    }
    // `YYYY-M(M)-D(D)` then `T`/`t` or blanks, `H(H):MM:SS`, optional
    // fraction, optional blanks and `Z` or `±H(H)(:MM)`.
    let mut pos = 0;
    let one_or_two_digits = |pos: &mut usize| {
        let end = skip_while(bytes, *pos, |b| b.is_ascii_digit());
        let n = end - *pos;
        *pos = end;
        (1..=2).contains(&n)
    };
    if !digits(0, 4) || bytes.get(4) != Some(&b'-') {
        return false;
    }
    pos += 5;
    if !one_or_two_digits(&mut pos) || bytes.get(pos) != Some(&b'-') {
        return false;
    }
    pos += 1;
    if !one_or_two_digits(&mut pos) {
        return false;
    }
    match bytes.get(pos) {
        Some(b'T' | b't') => pos += 1,
        Some(b' ' | b'\t') => pos = skip_while(bytes, pos, |b| b == b' ' || b == b'\t'),
        _ => return false,
    }
    if !one_or_two_digits(&mut pos) || bytes.get(pos) != Some(&b':') {
        return false;
    }
    pos += 1;
    if !digits(pos, pos + 2) || bytes.get(pos + 2) != Some(&b':') || !digits(pos + 3, pos + 5) {
        return false;
    }
    pos += 5;
    if bytes.get(pos) == Some(&b'.') {
        pos = skip_while(bytes, pos + 1, |b| b.is_ascii_digit());
    }
    if pos == bytes.len() {
        return true;
    }
    pos = skip_while(bytes, pos, |b| b == b' ' || b == b'\t');
    match bytes.get(pos) {
        Some(b'Z') => pos + 1 == bytes.len(),
        Some(b'-' | b'+') => {
            pos += 1;
            if !one_or_two_digits(&mut pos) {
                return false;
            }
            if pos == bytes.len() {
                return true;
            }
            bytes.get(pos) == Some(&b':') && digits(pos + 1, pos + 3) && pos + 3 == bytes.len()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_scalars_resolve_as_pyyaml_does() {
        let cases = [
            ("", Implicit::Null),
            ("~", Implicit::Null),
            ("null", Implicit::Null),
            ("nULL", Implicit::Str),
            ("yes", Implicit::Bool),
            ("Off", Implicit::Bool),
            ("y", Implicit::Str),
            ("1.0", Implicit::Float),
            ("1.", Implicit::Float),
            (".5", Implicit::Float),
            ("-.inf", Implicit::Float),
            ("-.nan", Implicit::Str),
            ("1e5", Implicit::Str),
            ("1.0e5", Implicit::Str),
            ("1.0e+5", Implicit::Float),
            ("190:20:30.15", Implicit::Float),
            ("1_000", Implicit::Int),
            ("0b101", Implicit::Int),
            ("0x1F", Implicit::Int),
            ("017", Implicit::Int),
            ("08", Implicit::Str),
            ("0", Implicit::Int),
            ("+12", Implicit::Int),
            ("190:20:30", Implicit::Int),
            ("1:60", Implicit::Str),
            ("2001-12-14", Implicit::Timestamp),
            ("2001-12-14t21:59:43.10-05:00", Implicit::Timestamp),
            ("2001-12-14 21:59:43.10 Z", Implicit::Timestamp),
            ("2001-1-1", Implicit::Str),
            ("<<", Implicit::Merge),
            ("=", Implicit::ValueKey),
            ("en", Implicit::Str),
        ];
        for (text, expected) in cases {
            assert_eq!(resolve_plain(text), expected, "{text:?}");
        }
    }

    #[test]
    fn values_are_converted_as_pyyaml_constructs_them() {
        assert_eq!(int_value("0b1_01"), Some(5));
        assert_eq!(int_value("-0x1F"), Some(-31));
        assert_eq!(int_value("017"), Some(15));
        assert_eq!(int_value("1:30"), Some(90));
        assert_eq!(float_value("1_0.5"), Some(10.5));
        assert_eq!(float_value("-.INF"), Some(f64::NEG_INFINITY));
        assert_eq!(float_value("1:30.5"), Some(90.5));
        assert_eq!(bool_value("ON"), Some(true));
    }
}
