//! Python's `json.dumps` as the two environments call it: PromptSource's
//! `tojson` (Jinja2's filter, `sort_keys=True`) and the chat templates'
//! `tojson` with its keyword arguments.

use std::sync::Arc;

use super::error::{ErrorKind, Exc};
use super::value::*;
use crate::core::py::float::float_repr;

type R<T> = Result<T, Exc>;

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `json.dumps(value, sort_keys=True)` as Jinja2's `tojson` configures it.
pub(crate) fn to_json(
    value: &Value,
    out: &mut String,
    indent: Option<usize>,
    level: usize,
) -> R<()> {
    if level > MAX_VALUE_DEPTH {
        // Python's `json` stops at its recursion limit; so does the stack here.
        return Err(Exc::new(
            ErrorKind::RecursionError,
            "maximum recursion depth exceeded while encoding a JSON object",
        ));
    }
    let newline = |out: &mut String, level: usize| {
        if let Some(width) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(width * level));
        }
    };
    let item_sep = if indent.is_some() { "," } else { ", " };
    match value {
        Value::None => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::Float(f) => out.push_str(&json_float(*f)),
        Value::Str(s) => json_string(s, out),
        Value::List(_) | Value::Tuple(_) => {
            let items = value.iterate()?;
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, level + 1);
                to_json(item, out, indent, level + 1)?;
            }
            if !items.is_empty() {
                newline(out, level);
            }
            out.push(']');
        }
        Value::Dict(d) => {
            let mut entries: Vec<(String, Value)> = Vec::new();
            for (k, v) in d.borrow().values() {
                entries.push((json_key(k)?, v.clone()));
            }
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, level + 1);
                json_string(k, out);
                out.push_str(": ");
                to_json(v, out, indent, level + 1)?;
            }
            if !entries.is_empty() {
                newline(out, level);
            }
            out.push('}');
        }
        other => {
            return Err(Exc::type_error(format!(
                "Object of type {} is not JSON serializable",
                other.type_name()
            )))
        }
    }
    Ok(())
}

/// A float as Python's `json` writes it (`NaN`, `Infinity`, else `repr`);
/// shared by PromptSource's `tojson` and the chat templates' `json.dumps`.
pub(crate) fn json_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        float_repr(f)
    }
}

/// A dict key as Python's `json` turns it into an object key.
pub(crate) fn json_key(key: &Value) -> Result<String, Exc> {
    Ok(match key {
        Value::Str(s) => s.to_string(),
        Value::None => "null".to_string(),
        Value::Bool(b) => if *b { "true" } else { "false" }.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Float(f) => json_float(*f),
        other => {
            return Err(Exc::type_error(format!(
                "keys must be str, int, float, bool or None, not {}",
                other.type_name()
            )))
        }
    })
}

/// Python's `textwrap.wrap` with Jinja2's settings (no tab expansion, no
/// whitespace replacement, hyphen breaking only between words).
pub(crate) struct JsonOptions {
    pub ensure_ascii: bool,
    pub indent: Option<String>,
    pub item_sep: Arc<str>,
    pub key_sep: Arc<str>,
    pub sort_keys: bool,
}

/// Python's `json` nests no deeper than its recursion limit.
const MAX_JSON_DEPTH: usize = 1000;

/// A newline and `level` indents, charged to the render's memory budget: a
/// template chooses both the indent and the nesting.
fn newline(options: &JsonOptions, level: usize, out: &mut String) -> R<()> {
    if let Some(indent) = &options.indent {
        super::budget::charge(indent.len().saturating_mul(level).saturating_add(1))?;
        out.push('\n');
        for _ in 0..level {
            out.push_str(indent);
        }
    }
    Ok(())
}

pub(crate) fn dump(value: &Value, options: &JsonOptions, level: usize, out: &mut String) -> R<()> {
    if level > MAX_JSON_DEPTH {
        return Err(Exc::new(
            ErrorKind::RecursionError,
            "maximum recursion depth exceeded while encoding a JSON object",
        ));
    }
    match value {
        Value::None => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::Float(f) => out.push_str(&json_float(*f)),
        Value::Str(s) => json_string_ascii(s, options.ensure_ascii, out),
        Value::List(_) | Value::Tuple(_) => {
            let items = value.iterate()?;
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&options.item_sep);
                }
                newline(options, level + 1, out)?;
                dump(item, options, level + 1, out)?;
            }
            newline(options, level, out)?;
            out.push(']');
        }
        Value::Dict(d) => {
            let mut entries: Vec<(Value, Value)> = d.borrow().values().cloned().collect();
            if entries.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            if options.sort_keys {
                let mut failed = None;
                entries.sort_by(|a, b| {
                    py_cmp(&a.0, &b.0, "<").unwrap_or_else(|e| {
                        failed.get_or_insert(e);
                        std::cmp::Ordering::Equal
                    })
                });
                if let Some(error) = failed {
                    return Err(error);
                }
            }
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(&options.item_sep);
                }
                newline(options, level + 1, out)?;
                let key = json_key(k)?;
                json_string_ascii(&key, options.ensure_ascii, out);
                out.push_str(&options.key_sep);
                dump(v, options, level + 1, out)?;
            }
            newline(options, level, out)?;
            out.push('}');
        }
        other => {
            return Err(Exc::type_error(format!(
                "Object of type {} is not JSON serializable",
                other.type_name()
            )))
        }
    }
    Ok(())
}

/// `json.encoder.py_encode_basestring(_ascii)`.
fn json_string_ascii(text: &str, ensure_ascii: bool, out: &mut String) {
    use std::fmt::Write as _;
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (ensure_ascii && (c as u32) > 0x7e) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_as_python() {
        let mut out = String::new();
        json_string_ascii("é<\u{1}\"😀", false, &mut out);
        assert_eq!(out, "\"é<\\u0001\\\"😀\"");
        out.clear();
        json_string_ascii("é😀", true, &mut out);
        assert_eq!(out, "\"\\u00e9\\ud83d\\ude00\"");
    }
}
