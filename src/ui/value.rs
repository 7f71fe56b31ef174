//! How row values look in the raw-row view: Python's `repr` for nested
//! values (what a PromptSource user saw in the app's `st.write(example)`),
//! plain text for top-level strings so long text can wrap.

use crate::core::datum::Datum;

/// A top-level value: strings as they are, everything else as Python shows it.
pub fn display(value: &Datum) -> String {
    match value {
        Datum::Str(text) => text.to_string(),
        Datum::Display { str, .. } => str.to_string(),
        other => repr(other),
    }
}

/// A short summary for a collapsed container: `[…] 3 items`, `{…} 2 keys`.
pub fn summary(value: &Datum) -> Option<String> {
    match value {
        Datum::List(items) => Some(format!("[…] {} item{}", items.len(), plural(items.len()))),
        Datum::Dict(entries) => Some(format!(
            "{{…}} {} key{}",
            entries.len(),
            plural(entries.len())
        )),
        _ => None,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Python's `repr` of a value.
pub fn repr(value: &Datum) -> String {
    let mut out = String::new();
    write_repr(value, &mut out);
    out
}

fn write_repr(value: &Datum, out: &mut String) {
    match value {
        Datum::None => out.push_str("None"),
        Datum::Bool(true) => out.push_str("True"),
        Datum::Bool(false) => out.push_str("False"),
        Datum::Int(n) => out.push_str(&n.to_string()),
        Datum::Float(x) => out.push_str(&float_repr(*x)),
        Datum::Str(text) => write_str_repr(text, out),
        Datum::Bytes(bytes) => {
            out.push_str("b'");
            for &b in bytes.iter() {
                match b {
                    b'\\' => out.push_str("\\\\"),
                    b'\'' => out.push_str("\\'"),
                    b'\n' => out.push_str("\\n"),
                    b'\r' => out.push_str("\\r"),
                    b'\t' => out.push_str("\\t"),
                    0x20..=0x7e => out.push(b as char),
                    _ => out.push_str(&format!("\\x{b:02x}")),
                }
            }
            out.push('\'');
        }
        Datum::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(item, out);
            }
            out.push(']');
        }
        Datum::Dict(entries) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str_repr(key, out);
                out.push_str(": ");
                write_repr(item, out);
            }
            out.push('}');
        }
        Datum::Display { repr, .. } => out.push_str(repr),
    }
}

/// Python quotes with `'` unless the text has a `'` and no `"`.
fn write_str_repr(text: &str, out: &mut String) {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// Python's float repr: shortest round-trip digits, `.0` on integral
/// values, exponent form outside 1e-4..1e16.
fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let magnitude = x.abs();
    if magnitude != 0.0 && !(1e-4..1e16).contains(&magnitude) {
        let text = format!("{x:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let exponent: i32 = exponent.parse().unwrap_or(0);
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    let text = format!("{x}");
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn reprs_look_like_python() {
        let dict = Datum::Dict(Arc::from(vec![
            (
                Arc::from("text"),
                Datum::List(Arc::from(vec![Datum::str("it's"), Datum::str("a\nb")])),
            ),
            (
                Arc::from("start"),
                Datum::List(Arc::from(vec![Datum::Int(3), Datum::Float(2.0)])),
            ),
            (Arc::from("ok"), Datum::Bool(true)),
            (Arc::from("none"), Datum::None),
        ]));
        assert_eq!(
            repr(&dict),
            r#"{'text': ["it's", 'a\nb'], 'start': [3, 2.0], 'ok': True, 'none': None}"#
        );
        assert_eq!(float_repr(1e20), "1e+20");
        assert_eq!(float_repr(0.1), "0.1");
        assert_eq!(float_repr(1.5e-7), "1.5e-07");
        assert_eq!(display(&Datum::str("plain 'text'")), "plain 'text'");
        assert_eq!(summary(&dict).as_deref(), Some("{…} 4 keys"));
    }
}
