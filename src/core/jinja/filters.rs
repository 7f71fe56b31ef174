//! Jinja2's built-in filters (3.1 semantics) and PromptSource's `choice`,
//! `most_frequent` and `highlight`.

use std::collections::HashSet;
use std::sync::Arc;

use super::error::Exc;
use super::eval::{CallArgs, State, MAX_OUTPUT_BYTES};
use super::format::percent_format;
use super::methods::sort_values;
use super::ops;
use super::predicates;
use super::value::*;
use crate::core::py::float::{float_repr, parse_python_float, parse_python_int, round_half_even};
use crate::core::py::strings::{self as pystr, is_python_space, str_repr};

type R<T> = Result<T, Exc>;

/// Filters Jinja2 never folds at compile time: they take the render context.
pub(crate) fn needs_context(name: &str) -> bool {
    matches!(
        name,
        "random" | "map" | "select" | "reject" | "selectattr" | "rejectattr"
    )
}

pub(crate) fn exists(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "abs",
        "attr",
        "batch",
        "capitalize",
        "center",
        "count",
        "d",
        "default",
        "dictsort",
        "e",
        "escape",
        "filesizeformat",
        "first",
        "float",
        "forceescape",
        "format",
        "groupby",
        "indent",
        "int",
        "join",
        "last",
        "length",
        "list",
        "lower",
        "items",
        "map",
        "min",
        "max",
        "pprint",
        "random",
        "reject",
        "rejectattr",
        "replace",
        "reverse",
        "round",
        "safe",
        "select",
        "selectattr",
        "slice",
        "sort",
        "string",
        "striptags",
        "sum",
        "title",
        "trim",
        "truncate",
        "unique",
        "upper",
        "urlencode",
        "wordcount",
        "wordwrap",
        "xmlattr",
        "tojson",
        "choice",
        "most_frequent",
        "highlight",
    ];
    NAMES.contains(&name)
}

fn bool_arg(value: Option<Value>) -> bool {
    value.is_some_and(|v| v.truthy())
}

/// Python's error for a length past `sys.maxsize` (a huge `range`).
pub(crate) fn ssize_overflow() -> Exc {
    Exc::new(
        "OverflowError",
        "Python int too large to convert to C ssize_t",
    )
}

fn int_param(value: Option<Value>, default: i64, what: &str) -> R<i64> {
    match value {
        None => Ok(default),
        Some(v) => match &v {
            Value::Int(_) | Value::Bool(_) => Ok(as_int(&v).unwrap_or(default)),
            Value::Undefined(u) => Err(Exc::undefined(u)),
            other => Err(Exc::type_error(format!(
                "{what}: '{}' object cannot be interpreted as an integer",
                other.type_name()
            ))),
        },
    }
}

fn lower_if_str(value: Value) -> Value {
    match &value {
        Value::Str(s) => Value::Str(Arc::from(pystr::lower(s))),
        _ => value,
    }
}

/// `_prepare_attribute_parts`: `"a.0.b"` -> `a`, `0`, `b`.
fn attribute_parts(attribute: &Value) -> Vec<Value> {
    match attribute {
        Value::Str(s) => s
            .split('.')
            .map(|part| {
                if !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()) {
                    part.parse()
                        .map(Value::Int)
                        .unwrap_or_else(|_| Value::str(part))
                } else {
                    Value::str(part)
                }
            })
            .collect(),
        Value::None => Vec::new(),
        other => vec![other.clone()],
    }
}

fn get_path(item: &Value, parts: &[Value], default: Option<&Value>) -> R<Value> {
    let mut value = item.clone();
    for part in parts {
        value = ops::getitem(&value, part)?;
        if let (Some(default), true) = (default, value.is_undefined()) {
            value = default.clone();
        }
    }
    Ok(value)
}

fn to_python_int(value: &Value) -> Option<i64> {
    match value {
        Value::Int(_) | Value::Bool(_) => as_int(value),
        Value::Float(f) if f.is_finite() => Some(f.trunc() as i64),
        _ => None,
    }
}

fn do_int(value: &Value, default: Value, base: i64) -> R<Value> {
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

fn do_float(value: &Value, default: Value) -> R<Value> {
    Ok(match value {
        Value::Undefined(u) => return Err(Exc::undefined(u)),
        Value::Str(s) => parse_python_float(s).map(Value::Float).unwrap_or(default),
        other => as_f64(other).map(Value::Float).unwrap_or(default),
    })
}

fn do_round(value: &Value, precision: i64, method: &str) -> R<Value> {
    if !matches!(method, "common" | "ceil" | "floor") {
        return Err(Exc::new(
            "FilterArgumentError",
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

/// Jinja2's `truncate` (length 255, killwords off, end `...`, leeway 5).
fn do_truncate(s: &Arc<str>, length: i64, killwords: bool, end: &str, leeway: i64) -> R<Value> {
    let end_len = char_len(end) as i64;
    if length < end_len {
        return Err(Exc::new(
            "AssertionError",
            format!("expected length >= {end_len}, got {length}"),
        ));
    }
    if leeway < 0 {
        return Err(Exc::new(
            "AssertionError",
            format!("expected leeway >= 0, got {leeway}"),
        ));
    }
    // Fast path: a byte count within the limit bounds the char count too.
    let limit = length.saturating_add(leeway);
    if (s.len() as i64) <= limit || (char_len(s) as i64) <= limit {
        return Ok(Value::Str(s.clone()));
    }
    let keep = (length - end_len) as usize;
    let cut = s.char_indices().nth(keep).map_or(s.len(), |(i, _)| i);
    let head = &s[..cut];
    let mut out = if killwords {
        head.to_string()
    } else {
        match head.rfind(' ') {
            Some(at) => head[..at].to_string(),
            None => head.to_string(),
        }
    };
    out.push_str(end);
    Ok(Value::Str(Arc::from(out)))
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn striptags(text: &str) -> String {
    let mut cleaned = String::with_capacity(text.len());
    let mut rest = text;
    // Comments first, then tags, as markupsafe does.
    while let Some(start) = rest.find("<!--") {
        match rest[start..].find("-->") {
            Some(end) => {
                cleaned.push_str(&rest[..start]);
                rest = &rest[start + end + 3..];
            }
            None => break,
        }
    }
    cleaned.push_str(rest);
    let mut stripped = String::with_capacity(cleaned.len());
    let mut rest = cleaned.as_str();
    while let Some(start) = rest.find('<') {
        match rest[start..].find('>') {
            Some(end) => {
                stripped.push_str(&rest[..start]);
                rest = &rest[start + end + 1..];
            }
            None => break,
        }
    }
    stripped.push_str(rest);
    let unescaped = stripped
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    pystr::split(&unescaped, None, -1)
        .unwrap_or_default()
        .join(" ")
}

fn url_quote(value: &Value, for_qs: bool) -> String {
    let text = value.to_str();
    let mut out = String::new();
    for b in text.bytes() {
        let safe = b.is_ascii_alphanumeric()
            || matches!(b, b'_' | b'.' | b'-' | b'~')
            || (!for_qs && b == b'/');
        if safe {
            out.push(b as char);
        } else if for_qs && b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

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
fn to_json(value: &Value, out: &mut String, indent: Option<usize>, level: usize) -> R<()> {
    if level > MAX_VALUE_DEPTH {
        // Python's `json` stops at its recursion limit; so does the stack here.
        return Err(Exc::new(
            "RecursionError",
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
pub(super) fn json_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        float_repr(f)
    }
}

/// A dict key as Python's `json` turns it into an object key.
pub(super) fn json_key(key: &Value) -> Result<String, Exc> {
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
fn wrap_line(line: &str, width: usize, break_long: bool) -> Vec<String> {
    // Alternating runs of whitespace and non-whitespace, as textwrap chunks them.
    let mut chunks: Vec<String> = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in line.char_indices() {
        let space = is_python_space(c);
        if in_space.is_some_and(|s| s != space) {
            chunks.push(line[start..i].to_string());
            start = i;
        }
        in_space = Some(space);
    }
    if start < line.len() {
        chunks.push(line[start..].to_string());
    }
    chunks.reverse();
    let is_blank = |c: &str| c.trim_matches(is_python_space).is_empty();
    let mut lines = Vec::new();
    while !chunks.is_empty() {
        let mut current: Vec<String> = Vec::new();
        let mut current_len = 0;
        if !lines.is_empty() && chunks.last().is_some_and(|c| is_blank(c)) {
            chunks.pop();
        }
        while let Some(chunk) = chunks.last() {
            let len = char_len(chunk);
            if current_len + len > width {
                break;
            }
            current_len += len;
            current.extend(chunks.pop());
        }
        if chunks.last().is_some_and(|c| char_len(c) > width) {
            if break_long {
                let room = width.saturating_sub(current_len).max(1);
                let chunk = chunks.pop().unwrap_or_default();
                let split = chunk
                    .char_indices()
                    .nth(room)
                    .map_or(chunk.len(), |(i, _)| i);
                current.push(chunk[..split].to_string());
                chunks.push(chunk[split..].to_string());
            } else if current.is_empty() {
                current.extend(chunks.pop());
            }
        }
        if current.last().is_some_and(|c| is_blank(c)) {
            current.pop();
        }
        if !current.is_empty() {
            lines.push(current.concat());
        }
    }
    lines
}

/// Applies filter `name`.
pub(crate) fn apply(state: &mut State<'_>, name: &str, input: Value, args: CallArgs) -> R<Value> {
    if state.folding && needs_context(name) {
        return Err(Exc::runtime("filter needs the render context"));
    }
    state.burn(1)?;
    if state.program.mode == super::Mode::ChatTemplate {
        if let Some(result) = super::chat_env::filter(state, name, &input, &args) {
            return result;
        }
    }
    match name {
        "string" => {
            args.bind("soft_str", &[])?;
            Ok(match input {
                Value::Str(_) => input,
                other => Value::Str(other.to_str()),
            })
        }
        "truncate" => {
            let text = match &input {
                Value::Str(s) => s.clone(),
                other => other.to_str(),
            };
            // PromptSource rewrites every `{{ }}` to end in `truncate(2048)`:
            // keep that call free of argument binding.
            if let ([Value::Int(length)], true) =
                (args.positional.as_slice(), args.keyword.is_empty())
            {
                return do_truncate(&text, *length, false, "...", 5);
            }
            let [length, killwords, end, leeway] =
                take4(args.bind("do_truncate", &["length", "killwords", "end", "leeway"])?);
            let length = int_param(length, 255, "truncate")?;
            let killwords = bool_arg(killwords);
            let end = end.map_or_else(|| Arc::from("..."), |v| v.to_str());
            let leeway = match leeway {
                None | Some(Value::None) => 5,
                Some(v) => int_param(Some(v), 5, "truncate")?,
            };
            do_truncate(&text, length, killwords, &end, leeway)
        }
        "join" => {
            let [sep, attribute] = take2(args.bind("do_join", &["d", "attribute"])?);
            let sep = sep.map_or_else(|| Arc::from(""), |v| v.to_str());
            let items = input.iterate()?;
            let parts = attribute.map(|a| attribute_parts(&a));
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&sep);
                }
                match &parts {
                    Some(parts) => get_path(item, parts, None)?.write_str(&mut out),
                    None => item.write_str(&mut out),
                }
                if out.len() > MAX_OUTPUT_BYTES {
                    return Err(Exc::limit("join result too large"));
                }
            }
            super::budget::charge(out.len())?;
            Ok(Value::Str(Arc::from(out)))
        }
        "replace" => {
            let [old, new, count] = take3(args.bind("do_replace", &["old", "new", "count"])?);
            let (Some(old), Some(new)) = (old, new) else {
                return Err(Exc::type_error(
                    "do_replace() missing required positional arguments: 'old' and 'new'",
                ));
            };
            let count = match count {
                None | Some(Value::None) => -1,
                Some(v) => int_param(Some(v), -1, "replace")?,
            };
            let text = input.to_str();
            let (old, new) = (old.to_str(), new.to_str());
            let out = if count < 0 {
                text.replace(old.as_ref(), &new)
            } else {
                text.replacen(old.as_ref(), &new, count as usize)
            };
            if out.len() > MAX_OUTPUT_BYTES {
                return Err(Exc::limit("replace result too large"));
            }
            Ok(Value::Str(Arc::from(out)))
        }
        "length" | "count" => {
            args.bind("len", &[])?;
            match input.len() {
                Some(n) if !matches!(input, Value::Loop(_)) => i64::try_from(n)
                    .map(Value::Int)
                    .map_err(|_| ssize_overflow()),
                _ => Err(Exc::type_error(format!(
                    "object of type '{}' has no len()",
                    input.type_name()
                ))),
            }
        }
        "default" | "d" => {
            let [default, boolean] = take2(args.bind("do_default", &["default_value", "boolean"])?);
            let boolean = bool_arg(boolean);
            if input.is_undefined() || (boolean && !input.truthy()) {
                return Ok(default.unwrap_or_else(|| Value::str("")));
            }
            Ok(input)
        }
        "int" => {
            let [default, base] = take2(args.bind("do_int", &["default", "base"])?);
            let base = int_param(base, 10, "int")?;
            do_int(&input, default.unwrap_or(Value::Int(0)), base)
        }
        "float" => {
            let [default] = take1(args.bind("do_float", &["default"])?);
            do_float(&input, default.unwrap_or(Value::Float(0.0)))
        }
        "list" => {
            args.bind("do_list", &[])?;
            Ok(Value::list(input.iterate()?))
        }
        "lower" => {
            args.bind("do_lower", &[])?;
            Ok(Value::Str(Arc::from(pystr::lower(&input.to_str()))))
        }
        "upper" => {
            args.bind("do_upper", &[])?;
            Ok(Value::Str(Arc::from(pystr::upper(&input.to_str()))))
        }
        "capitalize" => {
            args.bind("do_capitalize", &[])?;
            Ok(Value::Str(Arc::from(pystr::capitalize(&input.to_str()))))
        }
        "title" => {
            args.bind("do_title", &[])?;
            Ok(Value::Str(Arc::from(jinja_title(&input.to_str()))))
        }
        "trim" => {
            let [chars] = take1(args.bind("do_trim", &["chars"])?);
            let text = input.to_str();
            let out = match chars {
                None | Some(Value::None) => text.trim_matches(is_python_space).to_string(),
                Some(chars) => {
                    let set = chars.to_str();
                    text.trim_matches(|c| set.contains(c)).to_string()
                }
            };
            Ok(Value::Str(Arc::from(out)))
        }
        "map" => filter_map(state, input, args),
        "select" | "reject" | "selectattr" | "rejectattr" => select_or_reject(
            state,
            input,
            args,
            name.starts_with("select"),
            name.ends_with("attr"),
        ),
        "unique" => {
            let [case_sensitive, attribute] =
                take2(args.bind("do_unique", &["case_sensitive", "attribute"])?);
            let case_sensitive = bool_arg(case_sensitive);
            let parts = attribute.map(|a| attribute_parts(&a)).unwrap_or_default();
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for item in input.iterate()? {
                let mut key = get_path(&item, &parts, None)?;
                if !case_sensitive {
                    key = lower_if_str(key);
                }
                if seen.insert(key.hash_key()?) {
                    out.push(item);
                }
            }
            Ok(Value::iter("generator", out))
        }
        "sort" => {
            let [reverse, case_sensitive, attribute] =
                take3(args.bind("do_sort", &["reverse", "case_sensitive", "attribute"])?);
            let reverse = bool_arg(reverse);
            let case_sensitive = bool_arg(case_sensitive);
            let getters: Vec<Vec<Value>> = match &attribute {
                Some(Value::Str(s)) => s
                    .split(',')
                    .map(|a| attribute_parts(&Value::str(a)))
                    .collect(),
                Some(other) => vec![attribute_parts(other)],
                None => vec![Vec::new()],
            };
            let mut items = input.iterate()?;
            // The sort keys: one small list per item.
            super::budget::charge_items(items.len().saturating_mul(getters.len() + 2))?;
            sort_values(
                &mut items,
                |item| {
                    let keys = getters
                        .iter()
                        .map(|parts| {
                            let key = get_path(item, parts, None)?;
                            Ok(if case_sensitive {
                                key
                            } else {
                                lower_if_str(key)
                            })
                        })
                        .collect::<R<Vec<_>>>()?;
                    Ok(Value::list(keys))
                },
                reverse,
            )?;
            Ok(Value::list(items))
        }
        "min" | "max" => {
            let [case_sensitive, attribute] = take2(args.bind(
                if name == "min" { "do_min" } else { "do_max" },
                &["case_sensitive", "attribute"],
            )?);
            let case_sensitive = bool_arg(case_sensitive);
            let parts = attribute.map(|a| attribute_parts(&a)).unwrap_or_default();
            let items = input.iterate()?;
            if items.is_empty() {
                return Ok(Value::hint("No aggregated item, sequence was empty."));
            }
            let mut best = 0;
            let key_of = |item: &Value| -> R<Value> {
                let key = get_path(item, &parts, None)?;
                Ok(if case_sensitive {
                    key
                } else {
                    lower_if_str(key)
                })
            };
            let mut best_key = key_of(&items[0])?;
            for (i, item) in items.iter().enumerate().skip(1) {
                let key = key_of(item)?;
                let ordering = py_cmp(&key, &best_key, if name == "min" { "<" } else { ">" })?;
                let better = if name == "min" {
                    ordering == std::cmp::Ordering::Less
                } else {
                    ordering == std::cmp::Ordering::Greater
                };
                if better {
                    best = i;
                    best_key = key;
                }
            }
            Ok(items[best].clone())
        }
        "first" => {
            args.bind("do_first", &[])?;
            // Python takes the first item of the iterator: a range of any
            // size is not made concrete.
            if let Value::Range(r) = &input {
                if r.len() > 0 {
                    return Ok(Value::Int(r.start));
                }
            }
            Ok(input
                .iterate()?
                .into_iter()
                .next()
                .unwrap_or_else(|| Value::hint("No first item, sequence was empty.")))
        }
        "last" => {
            args.bind("do_last", &[])?;
            // Python's `reversed()`: sequences and dicts only.
            if !matches!(
                input,
                Value::List(_)
                    | Value::Tuple(_)
                    | Value::Str(_)
                    | Value::Bytes(_)
                    | Value::Range(_)
                    | Value::Dict(_)
                    | Value::View(..)
                    | Value::Undefined(_)
            ) {
                return Err(Exc::type_error(format!(
                    "'{}' object is not reversible",
                    input.type_name()
                )));
            }
            Ok(input
                .iterate()?
                .pop()
                .unwrap_or_else(|| Value::hint("No last item, sequence was empty.")))
        }
        "reverse" => {
            args.bind("do_reverse", &[])?;
            match &input {
                Value::Str(s) => Ok(Value::Str(Arc::from(s.chars().rev().collect::<String>()))),
                _ => {
                    let mut items = input.iterate()?;
                    items.reverse();
                    Ok(match input {
                        Value::List(_) => Value::iter("list_reverseiterator", items),
                        _ => Value::list(items),
                    })
                }
            }
        }
        "round" => {
            let [precision, method] = take2(args.bind("do_round", &["precision", "method"])?);
            let precision = int_param(precision, 0, "round")?;
            let method = method.map_or_else(|| Arc::from("common"), |m| m.to_str());
            do_round(&input, precision, &method)
        }
        "abs" => {
            args.bind("abs", &[])?;
            match input {
                Value::Int(n) => n
                    .checked_abs()
                    .map(Value::Int)
                    .ok_or_else(|| Exc::new("OverflowError", "integer overflow")),
                Value::Bool(b) => Ok(Value::Int(b as i64)),
                Value::Float(f) => Ok(Value::Float(f.abs())),
                other => Err(Exc::type_error(format!(
                    "bad operand type for abs(): '{}'",
                    other.type_name()
                ))),
            }
        }
        "format" => {
            if !args.positional.is_empty() && !args.keyword.is_empty() {
                return Err(Exc::new(
                    "FilterArgumentError",
                    "can't handle positional and keyword arguments at the same time",
                ));
            }
            let values = if args.keyword.is_empty() {
                Value::tuple(args.positional)
            } else {
                let mut dict = Dict::new();
                for (k, v) in args.keyword {
                    dict_insert(&mut dict, HashKey::Str(k.clone()), Value::Str(k), v);
                }
                Value::dict(dict)
            };
            percent_format(&input.to_str(), &values).map(|s| Value::Str(Arc::from(s)))
        }
        "random" => {
            args.bind("do_random", &[])?;
            let items = sequence_for_choice(&input)?;
            match state.rng.choice_index(items.len()) {
                Some(i) => pick(&input, &items, i),
                None => Ok(Value::hint("No random item, sequence was empty.")),
            }
        }
        "choice" => {
            args.bind("choice", &["choices"])?;
            choose(state, &input)
        }
        "most_frequent" => {
            args.bind("most_frequent", &[])?;
            if !input.truthy() {
                return Ok(Value::None);
            }
            let mut counts: indexmap::IndexMap<HashKey, (Value, usize)> = indexmap::IndexMap::new();
            for item in input.iterate()? {
                let hash = item.hash_key()?;
                counts.entry(hash).or_insert((item, 0)).1 += 1;
            }
            let max = counts.values().map(|(_, n)| *n).max().unwrap_or(0);
            Ok(Value::list(
                counts
                    .into_values()
                    .filter(|(_, n)| *n == max)
                    .map(|(v, _)| v)
                    .collect(),
            ))
        }
        "highlight" => {
            args.bind("highlight", &[])?;
            let Value::Str(text) = &input else {
                return Err(Exc::type_error(format!(
                    "can only concatenate str (not \"{}\") to str",
                    input.type_name()
                )));
            };
            Ok(Value::Str(Arc::from(format!(
                "<span style='color: #F08080'>{text}</span>"
            ))))
        }
        "wordcount" => {
            args.bind("do_wordcount", &[])?;
            let text = input.to_str();
            let mut count = 0;
            let mut in_word = false;
            for c in text.chars() {
                let word = c.is_alphanumeric() || c == '_';
                if word && !in_word {
                    count += 1;
                }
                in_word = word;
            }
            Ok(Value::Int(count))
        }
        "center" => {
            let [width] = take1(args.bind("do_center", &["width"])?);
            let width = int_param(width, 80, "center")?;
            super::methods::call(
                state,
                &Value::Str(input.to_str()),
                "center",
                CallArgs::positional(vec![Value::Int(width)]),
            )
        }
        "indent" => {
            let [width, first, blank] =
                take3(args.bind("do_indent", &["width", "first", "blank"])?);
            let indention = match width {
                Some(Value::Str(ref s)) => s.to_string(),
                other => {
                    let width = int_param(other, 4, "indent")?;
                    if width > 4096 {
                        return Err(Exc::limit("indent width too large"));
                    }
                    " ".repeat(width.max(0) as usize)
                }
            };
            let text = format!("{}\n", input.to_str());
            let lines = super::methods::call(
                state,
                &Value::Str(Arc::from(text)),
                "splitlines",
                CallArgs::default(),
            )?
            .iterate()?;
            let lines: Vec<String> = lines.iter().map(|l| l.to_str().to_string()).collect();
            let mut out = if bool_arg(blank) {
                lines.join(&format!("\n{indention}"))
            } else {
                let mut out = lines.first().cloned().unwrap_or_default();
                for line in lines.iter().skip(1) {
                    out.push('\n');
                    if !line.is_empty() {
                        out.push_str(&indention);
                    }
                    out.push_str(line);
                }
                out
            };
            if bool_arg(first) {
                out = format!("{indention}{out}");
            }
            Ok(Value::Str(Arc::from(out)))
        }
        "striptags" => {
            args.bind("do_striptags", &[])?;
            Ok(Value::Str(Arc::from(striptags(&input.to_str()))))
        }
        "batch" => {
            let [count, fill] = take2(args.bind("do_batch", &["linecount", "fill_with"])?);
            let count = int_param(count, 1, "batch")?.clamp(1, MAX_ITEMS as i64) as usize;
            let items = input.iterate()?;
            let mut out = Vec::new();
            for chunk in items.chunks(count) {
                let mut chunk = chunk.to_vec();
                if let Some(fill) = fill.as_ref().filter(|f| !matches!(f, Value::None)) {
                    super::budget::charge_items(count)?;
                    chunk.resize(count, fill.clone());
                } else {
                    super::budget::charge_items(chunk.len())?;
                }
                out.push(Value::list(chunk));
            }
            Ok(Value::iter("generator", out))
        }
        "slice" => {
            let [slices, fill] = take2(args.bind("do_slice", &["slices", "fill_with"])?);
            let slices = int_param(slices, 1, "slice")?;
            if slices <= 0 {
                return Err(Exc::zero_division("integer division or modulo by zero"));
            }
            let slices = slices as usize;
            let items = input.iterate()?;
            super::budget::charge_items(slices.saturating_add(items.len()))?;
            let per = items.len() / slices;
            let extra = items.len() % slices;
            let mut offset = 0;
            let mut out = Vec::new();
            for n in 0..slices {
                let start = offset + n * per;
                if n < extra {
                    offset += 1;
                }
                let end = offset + (n + 1) * per;
                let mut part = items[start.min(items.len())..end.min(items.len())].to_vec();
                if let Some(fill) = fill.as_ref().filter(|f| !matches!(f, Value::None)) {
                    if n >= extra {
                        part.push(fill.clone());
                    }
                }
                out.push(Value::list(part));
            }
            Ok(Value::iter("generator", out))
        }
        "sum" => {
            let [attribute, start] = take2(args.bind("do_sum", &["attribute", "start"])?);
            let parts = attribute.map(|a| attribute_parts(&a)).unwrap_or_default();
            let mut total = start.unwrap_or(Value::Int(0));
            for item in input.iterate()? {
                let value = get_path(&item, &parts, None)?;
                total = ops::binary(super::ast::BinOp::Add, &total, &value)?;
            }
            Ok(total)
        }
        "items" => {
            args.bind("do_items", &[])?;
            match &input {
                Value::Undefined(_) => Ok(Value::iter("generator", Vec::new())),
                Value::Dict(d) => Ok(Value::iter(
                    "generator",
                    Value::View(ViewKind::Items, d.clone()).iterate()?,
                )),
                _ => Err(Exc::type_error("Can only get item pairs from a mapping.")),
            }
        }
        "dictsort" => {
            let [case_sensitive, by, reverse] =
                take3(args.bind("do_dictsort", &["case_sensitive", "by", "reverse"])?);
            let case_sensitive = bool_arg(case_sensitive);
            let position = match by.map(|b| b.to_str()).as_deref() {
                None | Some("key") => 0,
                Some("value") => 1,
                Some(_) => {
                    return Err(Exc::new(
                        "FilterArgumentError",
                        "You can only sort by either \"key\" or \"value\"",
                    ))
                }
            };
            let Value::Dict(d) = &input else {
                return Err(Exc::new(
                    "AttributeError",
                    format!("'{}' object has no attribute 'items'", input.type_name()),
                ));
            };
            let mut items = Value::View(ViewKind::Items, d.clone()).iterate()?;
            sort_values(
                &mut items,
                |pair| {
                    let key = match pair {
                        Value::Tuple(kv) => kv[position].clone(),
                        other => other.clone(),
                    };
                    Ok(if case_sensitive {
                        key
                    } else {
                        lower_if_str(key)
                    })
                },
                bool_arg(reverse),
            )?;
            Ok(Value::list(items))
        }
        "tojson" => {
            let [indent] = take1(args.bind("do_tojson", &["indent"])?);
            let indent = match indent {
                None | Some(Value::None) => None,
                Some(v) => Some(int_param(Some(v), 0, "tojson")?.max(0) as usize),
            };
            let mut out = String::new();
            to_json(&input, &mut out, indent, 0)?;
            let out = out
                .replace('<', "\\u003c")
                .replace('>', "\\u003e")
                .replace('&', "\\u0026")
                .replace('\'', "\\u0027");
            Ok(Value::Str(Arc::from(out)))
        }
        "urlencode" => {
            args.bind("do_urlencode", &[])?;
            let pairs = match &input {
                Value::Str(_) => return Ok(Value::Str(Arc::from(url_quote(&input, false)))),
                Value::Dict(d) => Value::View(ViewKind::Items, d.clone()).iterate()?,
                other => match other.iterate() {
                    Ok(items) => items,
                    Err(_) => return Ok(Value::Str(Arc::from(url_quote(other, false)))),
                },
            };
            let mut parts = Vec::new();
            for pair in pairs {
                let kv = pair.iterate()?;
                if kv.len() != 2 {
                    return Err(Exc::value_error("too many values to unpack (expected 2)"));
                }
                parts.push(format!(
                    "{}={}",
                    url_quote(&kv[0], true),
                    url_quote(&kv[1], true)
                ));
            }
            Ok(Value::Str(Arc::from(parts.join("&"))))
        }
        "wordwrap" => {
            let [width, break_long, wrapstring, _hyphens] = take4(args.bind(
                "do_wordwrap",
                &[
                    "width",
                    "break_long_words",
                    "wrapstring",
                    "break_on_hyphens",
                ],
            )?);
            let width = int_param(width, 79, "wordwrap")?;
            let break_long = break_long.is_none_or(|v| v.truthy());
            let wrapstring = match wrapstring {
                None | Some(Value::None) => Arc::from("\n"),
                Some(v) => v.to_str(),
            };
            let text = input.to_str();
            let lines =
                super::methods::call(state, &Value::Str(text), "splitlines", CallArgs::default())?
                    .iterate()?;
            // textwrap checks the width each time it wraps a line.
            if width <= 0 && !lines.is_empty() {
                return Err(Exc::value_error(format!(
                    "invalid width {width} (must be > 0)"
                )));
            }
            let width = width as usize;
            let wrapped: Vec<String> = lines
                .iter()
                .map(|line| wrap_line(&line.to_str(), width, break_long).join(&wrapstring))
                .collect();
            Ok(Value::Str(Arc::from(wrapped.join(&wrapstring))))
        }
        "escape" | "e" | "forceescape" => {
            args.bind("escape", &[])?;
            Ok(Value::Str(Arc::from(html_escape(&input.to_str()))))
        }
        "safe" => {
            args.bind("do_mark_safe", &[])?;
            Ok(Value::Str(input.to_str()))
        }
        "attr" => {
            let [attribute] = take1(args.bind("do_attr", &["name"])?);
            let attribute = attribute
                .map(|a| a.to_str())
                .unwrap_or_else(|| Arc::from(""));
            if let Value::Undefined(u) = &input {
                return Err(Exc::undefined(u));
            }
            if super::methods::lookup(&input, &attribute).is_some()
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
        "xmlattr" => {
            let [autospace] = take1(args.bind("do_xmlattr", &["autospace"])?);
            let Value::Dict(d) = &input else {
                return Err(Exc::new(
                    "AttributeError",
                    format!("'{}' object has no attribute 'items'", input.type_name()),
                ));
            };
            let mut items = Vec::new();
            for (k, v) in d.borrow().values() {
                if matches!(v, Value::None | Value::Undefined(_)) {
                    continue;
                }
                let key = k.to_str();
                if key
                    .chars()
                    .any(|c| is_python_space(c) || matches!(c, '/' | '>' | '='))
                {
                    return Err(Exc::value_error(format!(
                        "Invalid character in attribute name: {}",
                        k.repr()
                    )));
                }
                items.push(format!(
                    "{}=\"{}\"",
                    html_escape(&key),
                    html_escape(&v.to_str())
                ));
            }
            let mut out = items.join(" ");
            if autospace.is_none_or(|v| v.truthy()) && !out.is_empty() {
                out.insert(0, ' ');
            }
            Ok(Value::Str(Arc::from(out)))
        }
        "filesizeformat" => {
            let [binary] = take1(args.bind("do_filesizeformat", &["binary"])?);
            let bytes = match do_float(&input, Value::None)? {
                Value::Float(f) => f,
                _ => {
                    return Err(Exc::value_error(format!(
                        "could not convert string to float: {}",
                        input.repr()
                    )))
                }
            };
            let binary = bool_arg(binary);
            let base = if binary { 1024.0 } else { 1000.0 };
            let prefixes = if binary {
                ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
            } else {
                ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
            };
            if bytes == 1.0 {
                return Ok(Value::str("1 Byte"));
            }
            if bytes < base {
                return Ok(Value::Str(Arc::from(format!(
                    "{} Bytes",
                    bytes.trunc() as i64
                ))));
            }
            let mut text = String::new();
            for (i, prefix) in prefixes.iter().enumerate() {
                let unit = base.powi(i as i32 + 2);
                text = format!("{:.1} {prefix}", base * bytes / unit);
                if bytes < unit {
                    break;
                }
            }
            Ok(Value::Str(Arc::from(text)))
        }
        "pprint" => {
            args.bind("do_pprint", &[])?;
            Ok(Value::Str(Arc::from(input.repr())))
        }
        "groupby" => {
            let [attribute, default, case_sensitive] =
                take3(args.bind("do_groupby", &["attribute", "default", "case_sensitive"])?);
            let parts = attribute.map(|a| attribute_parts(&a)).unwrap_or_default();
            let case_sensitive = bool_arg(case_sensitive);
            let mut items = input.iterate()?;
            let key_of = |item: &Value| -> R<Value> {
                let key = get_path(item, &parts, default.as_ref())?;
                Ok(if case_sensitive {
                    key
                } else {
                    lower_if_str(key)
                })
            };
            sort_values(&mut items, key_of, false)?;
            let mut groups: Vec<(Value, Vec<Value>)> = Vec::new();
            for item in items {
                let key = key_of(&item)?;
                match groups.last_mut() {
                    Some((last, members)) if py_eq(last, &key) => members.push(item),
                    _ => groups.push((key, vec![item])),
                }
            }
            let mut out = Vec::new();
            for (key, members) in groups {
                let shown = if case_sensitive {
                    key
                } else {
                    get_path(&members[0], &parts, default.as_ref())?
                };
                out.push(Value::tuple(vec![shown, Value::list(members)]));
            }
            Ok(Value::list(out))
        }
        _ => Err(Exc::new(
            "TemplateRuntimeError",
            format!("No filter named {} found.", str_repr(name)),
        )),
    }
}

/// Jinja2's `title` filter: capitalises after `-`, whitespace and opening brackets.
fn jinja_title(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at_word_start = true;
    for c in text.chars() {
        let separator = c == '-' || is_python_space(c) || matches!(c, '(' | '{' | '[' | '<');
        if separator {
            out.push(c);
            at_word_start = true;
        } else if at_word_start {
            out.extend(c.to_uppercase());
            at_word_start = false;
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The items `random.choice` indexes into: Python indexes `seq[i]`, so a dict
/// is looked up by integer key.
fn sequence_for_choice(input: &Value) -> R<Vec<Value>> {
    match input {
        Value::Undefined(_) => Ok(Vec::new()),
        Value::List(_)
        | Value::Tuple(_)
        | Value::Str(_)
        | Value::Range(_)
        | Value::Dict(_)
        | Value::Bytes(_) => input.iterate(),
        other => Err(Exc::type_error(format!(
            "object of type '{}' has no len()",
            other.type_name()
        ))),
    }
}

fn pick(input: &Value, items: &[Value], index: usize) -> R<Value> {
    if let Value::Dict(d) = input {
        let key = Value::Int(index as i64);
        return d
            .borrow()
            .get(&key.hash_key()?)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| Exc::new("KeyError", index.to_string()));
    }
    Ok(items[index].clone())
}

/// PromptSource's `choice`: Python's `random.choice(seq)`.
pub(crate) fn choose(state: &mut State<'_>, input: &Value) -> R<Value> {
    let items = sequence_for_choice(input)?;
    match state.rng.choice_index(items.len()) {
        Some(i) => pick(input, &items, i),
        None => Err(Exc::new(
            "IndexError",
            "Cannot choose from an empty sequence",
        )),
    }
}

fn filter_map(state: &mut State<'_>, input: Value, mut args: CallArgs) -> R<Value> {
    // Jinja2 maps nothing over a false value (None, empty), without an error.
    if !input.truthy() {
        return Ok(Value::iter("generator", Vec::new()));
    }
    let items = input.iterate()?;
    if args.positional.is_empty() && args.keyword.iter().any(|(k, _)| k.as_ref() == "attribute") {
        let mut attribute = None;
        let mut default = None;
        for (k, v) in args.keyword {
            match k.as_ref() {
                "attribute" => attribute = Some(v),
                "default" => default = Some(v),
                other => {
                    return Err(Exc::new(
                        "FilterArgumentError",
                        format!("Unexpected keyword argument {}", str_repr(other)),
                    ))
                }
            }
        }
        let parts = attribute.map(|a| attribute_parts(&a)).unwrap_or_default();
        let default = default.filter(|d| !matches!(d, Value::None));
        let out = items
            .iter()
            .map(|item| get_path(item, &parts, default.as_ref()))
            .collect::<R<Vec<_>>>()?;
        return Ok(Value::iter("generator", out));
    }
    if args.positional.is_empty() {
        return Err(Exc::new(
            "FilterArgumentError",
            "map requires a filter argument",
        ));
    }
    let name = args.positional.remove(0).to_str();
    if !exists(&name) {
        return Err(Exc::new(
            "TemplateRuntimeError",
            format!("No filter named {} found.", str_repr(&name)),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let call = CallArgs {
            positional: args.positional.clone(),
            keyword: args.keyword.clone(),
        };
        out.push(apply(state, &name, item, call)?);
    }
    Ok(Value::iter("generator", out))
}

fn select_or_reject(
    state: &mut State<'_>,
    input: Value,
    mut args: CallArgs,
    keep: bool,
    by_attribute: bool,
) -> R<Value> {
    if !input.truthy() {
        return Ok(Value::iter("generator", Vec::new()));
    }
    let parts = if by_attribute {
        if args.positional.is_empty() {
            return Err(Exc::new(
                "FilterArgumentError",
                "Missing parameter for attribute name",
            ));
        }
        attribute_parts(&args.positional.remove(0))
    } else {
        Vec::new()
    };
    let test = if args.positional.is_empty() {
        None
    } else {
        Some(args.positional.remove(0).to_str())
    };
    let mut out = Vec::new();
    for item in input.iterate()? {
        let subject = get_path(&item, &parts, None)?;
        let passed = match &test {
            Some(name) => {
                let call = CallArgs {
                    positional: args.positional.clone(),
                    keyword: args.keyword.clone(),
                };
                predicates::apply(state, name, &subject, call)?
            }
            None => subject.truthy(),
        };
        if passed == keep {
            out.push(item);
        }
    }
    Ok(Value::iter("generator", out))
}

/// Jinja2's `lipsum` global: random lorem ipsum paragraphs.
pub(crate) fn lipsum(state: &mut State<'_>, args: CallArgs) -> R<Value> {
    const WORDS: &[&str] = &[
        "a",
        "ac",
        "accumsan",
        "ad",
        "adipiscing",
        "aenean",
        "aliquam",
        "aliquet",
        "amet",
        "ante",
        "aptent",
        "arcu",
        "at",
        "auctor",
        "augue",
        "bibendum",
        "blandit",
        "class",
        "commodo",
        "condimentum",
        "congue",
        "consectetuer",
        "consequat",
        "conubia",
        "convallis",
        "cras",
        "cubilia",
        "cum",
        "curabitur",
        "curae",
        "cursus",
        "dapibus",
        "diam",
        "dictum",
        "dictumst",
        "dignissim",
        "dis",
        "dolor",
        "donec",
        "dui",
        "duis",
        "egestas",
        "eget",
        "eleifend",
        "elementum",
        "elit",
        "enim",
        "erat",
        "eros",
        "est",
        "et",
        "etiam",
        "eu",
        "euismod",
        "facilisi",
        "facilisis",
        "fames",
        "faucibus",
        "felis",
        "fermentum",
        "feugiat",
        "fringilla",
        "fusce",
        "gravida",
        "habitant",
        "habitasse",
        "hac",
        "hendrerit",
        "hymenaeos",
        "iaculis",
        "id",
        "imperdiet",
        "in",
        "inceptos",
        "integer",
        "interdum",
        "ipsum",
        "justo",
        "lacinia",
        "lacus",
        "laoreet",
        "lectus",
        "leo",
        "libero",
        "ligula",
        "litora",
        "lobortis",
        "lorem",
        "luctus",
        "maecenas",
        "magna",
        "magnis",
        "malesuada",
        "massa",
        "mattis",
        "mauris",
        "metus",
        "mi",
        "molestie",
        "mollis",
        "montes",
        "morbi",
        "mus",
        "nam",
        "nascetur",
        "natoque",
        "nec",
        "neque",
        "netus",
        "nibh",
        "nisi",
        "nisl",
        "non",
        "nonummy",
        "nostra",
        "nulla",
        "nullam",
        "nunc",
        "odio",
        "orci",
        "ornare",
        "parturient",
        "pede",
        "pellentesque",
        "penatibus",
        "per",
        "pharetra",
        "phasellus",
        "placerat",
        "platea",
        "porta",
        "porttitor",
        "posuere",
        "potenti",
        "praesent",
        "pretium",
        "primis",
        "proin",
        "pulvinar",
        "purus",
        "quam",
        "quis",
        "quisque",
        "rhoncus",
        "ridiculus",
        "risus",
        "rutrum",
        "sagittis",
        "sapien",
        "scelerisque",
        "sed",
        "sem",
        "semper",
        "senectus",
        "sit",
        "sociis",
        "sociosqu",
        "sodales",
        "sollicitudin",
        "suscipit",
        "suspendisse",
        "taciti",
        "tellus",
        "tempor",
        "tempus",
        "tincidunt",
        "torquent",
        "tortor",
        "tristique",
        "turpis",
        "ullamcorper",
        "ultrices",
        "ultricies",
        "urna",
        "ut",
        "varius",
        "vehicula",
        "vel",
        "velit",
        "venenatis",
        "vestibulum",
        "vitae",
        "vivamus",
        "viverra",
        "volutpat",
        "vulputate",
    ];
    let [n, html, min, max] =
        take4(args.bind("generate_lorem_ipsum", &["n", "html", "min", "max"])?);
    let n = int_param(n, 5, "lipsum")?.clamp(0, 1000);
    let html = html.is_none_or(|v| v.truthy());
    let min = int_param(min, 20, "lipsum")?.clamp(1, 10_000) as u64;
    let max = int_param(max, 100, "lipsum")?.clamp(min as i64, 10_000) as u64;
    let mut paragraphs = Vec::new();
    for _ in 0..n {
        let rng = &mut *state.rng;
        let count = min + rng.randbelow(max - min + 1);
        let mut words = Vec::new();
        let mut capitalize_next = true;
        for i in 0..count {
            let mut word = WORDS[rng.randbelow(WORDS.len() as u64) as usize].to_string();
            if capitalize_next {
                word = pystr::capitalize(&word);
                capitalize_next = false;
            }
            if i + 1 < count && rng.randbelow(10) == 0 {
                word.push(if rng.randbelow(2) == 0 { ',' } else { '.' });
                capitalize_next = word.ends_with('.');
            }
            words.push(word);
        }
        let mut text = words.join(" ");
        if !text.ends_with('.') {
            text.push('.');
        }
        paragraphs.push(if html { format!("<p>{text}</p>") } else { text });
    }
    Ok(Value::Str(Arc::from(paragraphs.join(if html {
        "\n"
    } else {
        "\n\n"
    }))))
}

fn take1(v: Vec<Option<Value>>) -> [Option<Value>; 1] {
    let mut it = v.into_iter();
    [it.next().flatten()]
}

fn take2(v: Vec<Option<Value>>) -> [Option<Value>; 2] {
    let mut it = v.into_iter();
    [it.next().flatten(), it.next().flatten()]
}

fn take3(v: Vec<Option<Value>>) -> [Option<Value>; 3] {
    let mut it = v.into_iter();
    [
        it.next().flatten(),
        it.next().flatten(),
        it.next().flatten(),
    ]
}

fn take4(v: Vec<Option<Value>>) -> [Option<Value>; 4] {
    let mut it = v.into_iter();
    [
        it.next().flatten(),
        it.next().flatten(),
        it.next().flatten(),
        it.next().flatten(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jinja_title_differs_from_str_title() {
        assert_eq!(
            jinja_title("they're here-now (ok)"),
            "They're Here-Now (Ok)"
        );
    }

    #[test]
    fn striptags_collapses_whitespace() {
        assert_eq!(
            striptags("Main &raquo;\t<em>About</em> <!-- x -->"),
            "Main &raquo; About"
        );
    }
}
