//! Filters on text: case, whitespace, escaping, wrapping, formatting.

use super::numbers::float_value;
use super::*;

pub(crate) fn do_string(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    args.bind("soft_str", &[])?;
    Ok(match input {
        Value::Str(_) => input,
        other => Value::Str(other.to_str()),
    })
}

pub(crate) fn do_truncate(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    let text = match &input {
        Value::Str(s) => s.clone(),
        other => other.to_str(),
    };
    // PromptSource rewrites every `{{ }}` to end in `truncate(2048)`:
    // keep that call free of argument binding.
    if let ([Value::Int(length)], true) = (args.positional.as_slice(), args.keyword.is_empty()) {
        return truncate_text(&text, *length, false, "...", 5);
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
    truncate_text(&text, length, killwords, &end, leeway)
}

pub(crate) fn do_replace(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
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

pub(crate) fn do_lower(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    args.bind("do_lower", &[])?;
    Ok(Value::Str(Arc::from(pystr::lower(&input.to_str()))))
}

pub(crate) fn do_upper(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    args.bind("do_upper", &[])?;
    Ok(Value::Str(Arc::from(pystr::upper(&input.to_str()))))
}

pub(crate) fn do_capitalize(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    args.bind("do_capitalize", &[])?;
    Ok(Value::Str(Arc::from(pystr::capitalize(&input.to_str()))))
}

pub(crate) fn do_title(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    args.bind("do_title", &[])?;
    Ok(Value::Str(Arc::from(jinja_title(&input.to_str()))))
}

pub(crate) fn do_trim(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
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

pub(crate) fn do_format(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    if !args.positional.is_empty() && !args.keyword.is_empty() {
        return Err(Exc::new(
            ErrorKind::FilterArgument,
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

pub(crate) fn do_wordcount(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
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

pub(crate) fn do_center(state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    let [width] = take1(args.bind("do_center", &["width"])?);
    let width = int_param(width, 80, "center")?;
    methods::call(
        state,
        &Value::Str(input.to_str()),
        "center",
        CallArgs::positional(vec![Value::Int(width)]),
    )
}

pub(crate) fn do_indent(state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    let [width, first, blank] = take3(args.bind("do_indent", &["width", "first", "blank"])?);
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
    let lines = methods::call(
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

pub(crate) fn do_striptags(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    args.bind("do_striptags", &[])?;
    Ok(Value::Str(Arc::from(strip_tags(&input.to_str()))))
}

pub(crate) fn do_tojson(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
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

pub(crate) fn do_urlencode(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
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

pub(crate) fn do_wordwrap(state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
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
        methods::call(state, &Value::Str(text), "splitlines", CallArgs::default())?.iterate()?;
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

pub(crate) fn do_escape(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    args.bind("escape", &[])?;
    Ok(Value::Str(Arc::from(html_escape(&input.to_str()))))
}

pub(crate) fn do_safe(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    args.bind("do_mark_safe", &[])?;
    Ok(Value::Str(input.to_str()))
}

pub(crate) fn do_xmlattr(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    let [autospace] = take1(args.bind("do_xmlattr", &["autospace"])?);
    let Value::Dict(d) = &input else {
        return Err(Exc::new(
            ErrorKind::AttributeError,
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

pub(crate) fn do_filesizeformat(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    let [binary] = take1(args.bind("do_filesizeformat", &["binary"])?);
    let bytes = match float_value(&input, Value::None)? {
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

pub(crate) fn do_pprint(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    args.bind("do_pprint", &[])?;
    Ok(Value::Str(Arc::from(input.repr())))
}

/// Jinja2's `truncate` (length 255, killwords off, end `...`, leeway 5).
fn truncate_text(s: &Arc<str>, length: i64, killwords: bool, end: &str, leeway: i64) -> R<Value> {
    let end_len = char_len(end) as i64;
    if length < end_len {
        return Err(Exc::new(
            ErrorKind::AssertionError,
            format!("expected length >= {end_len}, got {length}"),
        ));
    }
    if leeway < 0 {
        return Err(Exc::new(
            ErrorKind::AssertionError,
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

fn strip_tags(text: &str) -> String {
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
            strip_tags("Main &raquo;\t<em>About</em> <!-- x -->"),
            "Main &raquo; About"
        );
    }
}
