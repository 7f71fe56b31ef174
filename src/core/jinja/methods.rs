//! Python methods templates call on values: `str`, `list`, `dict`, `tuple`,
//! `range` and Jinja2's `cycler`. List and dict methods mutate in place.

use std::cmp::Ordering;
use std::sync::Arc;

use super::error::Exc;
use super::eval::{CallArgs, State};
use super::format::str_format;
use super::pyshim::str_repr;
use super::value::*;

type R<T> = Result<T, Exc>;

const STR_METHODS: &[&str] = &[
    "split",
    "rsplit",
    "strip",
    "lstrip",
    "rstrip",
    "lower",
    "upper",
    "capitalize",
    "title",
    "replace",
    "startswith",
    "endswith",
    "find",
    "rfind",
    "index",
    "rindex",
    "count",
    "join",
    "format",
    "isdigit",
    "isalpha",
    "isalnum",
    "isspace",
    "isupper",
    "islower",
    "istitle",
    "isnumeric",
    "isdecimal",
    "splitlines",
    "zfill",
    "center",
    "ljust",
    "rjust",
    "partition",
    "rpartition",
    "casefold",
    "swapcase",
    "removeprefix",
    "removesuffix",
    "expandtabs",
];
const LIST_METHODS: &[&str] = &[
    "append", "extend", "insert", "pop", "remove", "index", "count", "sort", "reverse", "copy",
    "clear",
];
const DICT_METHODS: &[&str] = &[
    "items",
    "keys",
    "values",
    "get",
    "update",
    "pop",
    "setdefault",
    "copy",
    "clear",
    "popitem",
];
const SEQ_METHODS: &[&str] = &["index", "count"];
const CYCLER_METHODS: &[&str] = &["next", "reset"];

/// The method `name` of `obj`'s Python type, if it has one we implement.
pub(crate) fn lookup(obj: &Value, name: &str) -> Option<&'static str> {
    let table = match obj {
        Value::Str(_) => STR_METHODS,
        Value::List(_) => LIST_METHODS,
        Value::Dict(_) => DICT_METHODS,
        Value::Tuple(_) | Value::Range(_) => SEQ_METHODS,
        Value::Cycler(_) => CYCLER_METHODS,
        _ => return None,
    };
    table.iter().find(|m| **m == name).copied()
}

fn arity(name: &str, args: &CallArgs, min: usize, max: usize) -> R<()> {
    args.no_keywords(name)?;
    let n = args.positional.len();
    if n < min || n > max {
        return Err(Exc::type_error(if min == max {
            format!(
                "{name}() takes exactly {min} argument{} ({n} given)",
                if min == 1 { "" } else { "s" }
            )
        } else if n < min {
            format!("{name}() takes at least {min} argument ({n} given)")
        } else {
            format!("{name}() takes at most {max} arguments ({n} given)")
        }));
    }
    Ok(())
}

fn str_arg<'v>(value: &'v Value, what: &str) -> R<&'v Arc<str>> {
    match value {
        Value::Str(s) => Ok(s),
        other => Err(Exc::type_error(format!(
            "{what} must be str, not {}",
            other.type_name()
        ))),
    }
}

fn opt_str_arg<'v>(value: Option<&'v Value>, what: &str) -> R<Option<&'v Arc<str>>> {
    match value {
        None | Some(Value::None) => Ok(None),
        Some(v) => str_arg(v, what).map(Some),
    }
}

fn int_arg(value: Option<&Value>, default: i64) -> R<i64> {
    match value {
        None | Some(Value::None) => Ok(default),
        Some(v) => as_int(v).ok_or_else(|| {
            Exc::type_error(format!(
                "'{}' object cannot be interpreted as an integer",
                v.type_name()
            ))
        }),
    }
}

fn strs(items: Vec<String>) -> Value {
    Value::list(
        items
            .into_iter()
            .map(|s| Value::Str(Arc::from(s)))
            .collect(),
    )
}

/// Python's `str.split(sep, maxsplit)`.
pub(crate) fn py_split(s: &str, sep: Option<&str>, maxsplit: i64) -> R<Vec<String>> {
    let mut out = Vec::new();
    match sep {
        Some("") => return Err(Exc::value_error("empty separator")),
        Some(sep) => {
            let mut rest = s;
            while maxsplit < 0 || (out.len() as i64) < maxsplit {
                match rest.find(sep) {
                    Some(at) => {
                        out.push(rest[..at].to_string());
                        rest = &rest[at + sep.len()..];
                    }
                    None => break,
                }
            }
            out.push(rest.to_string());
        }
        None => {
            let mut rest = s.trim_start_matches(py_isspace);
            while !rest.is_empty() {
                if maxsplit >= 0 && out.len() as i64 >= maxsplit {
                    out.push(rest.trim_end_matches(py_isspace).to_string());
                    break;
                }
                let end = rest.find(py_isspace).unwrap_or(rest.len());
                out.push(rest[..end].to_string());
                rest = rest[end..].trim_start_matches(py_isspace);
            }
        }
    }
    Ok(out)
}

fn py_rsplit(s: &str, sep: Option<&str>, maxsplit: i64) -> R<Vec<String>> {
    if maxsplit < 0 {
        return py_split(s, sep, maxsplit);
    }
    let mut out = Vec::new();
    match sep {
        Some("") => return Err(Exc::value_error("empty separator")),
        Some(sep) => {
            let mut rest = s;
            while (out.len() as i64) < maxsplit {
                match rest.rfind(sep) {
                    Some(at) => {
                        out.push(rest[at + sep.len()..].to_string());
                        rest = &rest[..at];
                    }
                    None => break,
                }
            }
            out.push(rest.to_string());
        }
        None => {
            let mut rest = s.trim_end_matches(py_isspace);
            while !rest.is_empty() {
                if out.len() as i64 >= maxsplit {
                    out.push(rest.trim_start_matches(py_isspace).to_string());
                    break;
                }
                let start = rest.rfind(py_isspace).map_or(0, |i| {
                    i + rest[i..].chars().next().map_or(1, char::len_utf8)
                });
                out.push(rest[start..].to_string());
                rest = rest[..start].trim_end_matches(py_isspace);
            }
        }
    }
    out.reverse();
    Ok(out)
}

fn strip<'s>(s: &'s str, chars: Option<&str>, left: bool, right: bool) -> &'s str {
    let mut out = s;
    match chars {
        None => {
            if left {
                out = out.trim_start_matches(py_isspace);
            }
            if right {
                out = out.trim_end_matches(py_isspace);
            }
        }
        Some(set) => {
            let in_set = |c: char| set.contains(c);
            if left {
                out = out.trim_start_matches(in_set);
            }
            if right {
                out = out.trim_end_matches(in_set);
            }
        }
    }
    out
}

fn is_cased(c: char) -> bool {
    c.is_lowercase() || c.is_uppercase()
}

/// Python's `str.title()`: a cased character after a cased one is lowered,
/// any other is upper-cased (so `they're` becomes `They'Re`).
pub(crate) fn py_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut previous_cased = false;
    for c in s.chars() {
        if previous_cased {
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_uppercase());
        }
        previous_cased = is_cased(c);
    }
    out
}

/// Python's `str.capitalize()`.
pub(crate) fn py_capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.as_str().to_lowercase().chars())
            .collect(),
        None => String::new(),
    }
}

fn char_index(s: &str, byte: usize) -> i64 {
    if s.is_ascii() {
        byte as i64
    } else {
        s[..byte].chars().count() as i64
    }
}

/// Byte range of the char range `[start, end)` (Python slice semantics).
fn byte_window(s: &str, start: Option<&Value>, end: Option<&Value>) -> R<(usize, usize)> {
    let len = char_len(s) as i64;
    let norm = |v: i64| if v < 0 { (v + len).max(0) } else { v.min(len) };
    let start = norm(int_arg(start, 0)?);
    let end = norm(int_arg(end, len)?);
    let to_byte = |ci: i64| -> usize {
        if s.is_ascii() {
            ci as usize
        } else {
            s.char_indices()
                .nth(ci as usize)
                .map_or(s.len(), |(b, _)| b)
        }
    };
    Ok((to_byte(start), to_byte(end.max(start))))
}

fn splitlines(s: &str, keepends: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut line_start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let is_break = matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !is_break {
            continue;
        }
        let mut end = i + c.len_utf8();
        if c == '\r' {
            if let Some(&(_, '\n')) = iter.peek() {
                iter.next();
                end += 1;
            }
        }
        out.push(
            if keepends {
                &s[line_start..end]
            } else {
                &s[line_start..i]
            }
            .to_string(),
        );
        line_start = end;
    }
    if line_start < s.len() {
        out.push(s[line_start..].to_string());
    }
    out
}

fn justify(s: &str, width: i64, fill: char, how: char) -> String {
    let len = char_len(s) as i64;
    if width <= len {
        return s.to_string();
    }
    let total = (width - len) as usize;
    let fills = |n: usize| fill.to_string().repeat(n);
    match how {
        '<' => format!("{s}{}", fills(total)),
        '>' => format!("{}{s}", fills(total)),
        _ => {
            // CPython gives the odd fill character to the left only when the
            // width is odd too.
            let left = total / 2 + (total & width as usize & 1);
            format!("{}{s}{}", fills(left), fills(total - left))
        }
    }
}

fn fill_char(value: Option<&Value>) -> R<char> {
    match value {
        None => Ok(' '),
        Some(Value::Str(s)) if char_len(s) == 1 => Ok(s.chars().next().unwrap_or(' ')),
        Some(_) => Err(Exc::type_error(
            "The fill character must be exactly one character long",
        )),
    }
}

fn call_str(state: &mut State<'_>, s: &Arc<str>, name: &str, args: CallArgs) -> R<Value> {
    let p = |i: usize| args.positional.get(i);
    Ok(match name {
        "split" | "rsplit" => {
            let bound = args.bind(name, &["sep", "maxsplit"])?;
            let sep = opt_str_arg(bound[0].as_ref(), "must be str or None")?.cloned();
            let maxsplit = int_arg(bound[1].as_ref(), -1)?;
            let parts = if name == "split" {
                py_split(s, sep.as_deref(), maxsplit)?
            } else {
                py_rsplit(s, sep.as_deref(), maxsplit)?
            };
            state.burn(parts.len() as u64)?;
            strs(parts)
        }
        "strip" | "lstrip" | "rstrip" => {
            arity(name, &args, 0, 1)?;
            let chars = opt_str_arg(p(0), "strip arg")?;
            let out = strip(
                s,
                chars.map(|c| c.as_ref()),
                name != "rstrip",
                name != "lstrip",
            );
            if out.len() == s.len() {
                Value::Str(s.clone())
            } else {
                Value::str(out)
            }
        }
        "lower" => Value::Str(Arc::from(s.to_lowercase())),
        "upper" => Value::Str(Arc::from(s.to_uppercase())),
        "casefold" => Value::Str(Arc::from(s.to_lowercase())),
        "swapcase" => Value::Str(Arc::from(
            s.chars()
                .flat_map(|c| -> Vec<char> {
                    if c.is_uppercase() {
                        c.to_lowercase().collect()
                    } else {
                        c.to_uppercase().collect()
                    }
                })
                .collect::<String>(),
        )),
        "capitalize" => Value::Str(Arc::from(py_capitalize(s))),
        "title" => Value::Str(Arc::from(py_title(s))),
        "replace" => {
            arity(name, &args, 2, 3)?;
            let old = str_arg(&args.positional[0], "replace() argument 1")?;
            let new = str_arg(&args.positional[1], "replace() argument 2")?;
            let count = int_arg(p(2), -1)?;
            let out = if count < 0 {
                s.replace(old.as_ref(), new)
            } else {
                s.replacen(old.as_ref(), new, count as usize)
            };
            if out.len() > super::eval::MAX_OUTPUT_BYTES {
                return Err(Exc::limit("str.replace result too large"));
            }
            Value::Str(Arc::from(out))
        }
        "startswith" | "endswith" => {
            arity(name, &args, 1, 3)?;
            let (a, b) = byte_window(s, p(1), p(2))?;
            let window = &s[a..b];
            let test = |prefix: &str| {
                if name == "startswith" {
                    window.starts_with(prefix)
                } else {
                    window.ends_with(prefix)
                }
            };
            match &args.positional[0] {
                Value::Str(prefix) => Value::Bool(test(prefix)),
                Value::Tuple(items) => {
                    let mut found = false;
                    for item in items.iter() {
                        if test(str_arg(item, "tuple for startswith")?) {
                            found = true;
                            break;
                        }
                    }
                    Value::Bool(found)
                }
                other => {
                    return Err(Exc::type_error(format!(
                        "{name} first arg must be str or a tuple of str, not {}",
                        other.type_name()
                    )))
                }
            }
        }
        "find" | "rfind" | "index" | "rindex" | "count" => {
            arity(name, &args, 1, 3)?;
            let sub = match &args.positional[0] {
                Value::Str(sub) => sub.clone(),
                other => {
                    return Err(Exc::type_error(format!(
                        "must be str, not {}",
                        other.type_name()
                    )))
                }
            };
            let (a, b) = byte_window(s, p(1), p(2))?;
            let window = &s[a..b];
            if name == "count" {
                let n = if sub.is_empty() {
                    char_len(window) + 1
                } else {
                    window.matches(sub.as_ref()).count()
                };
                return Ok(Value::Int(n as i64));
            }
            let found = if name.starts_with('r') {
                window.rfind(sub.as_ref())
            } else {
                window.find(sub.as_ref())
            };
            match found {
                Some(at) => Value::Int(char_index(s, a + at)),
                None if name.ends_with("find") => Value::Int(-1),
                None => return Err(Exc::value_error("substring not found")),
            }
        }
        "join" => {
            arity(name, &args, 1, 1)?;
            let items = args.positional[0].iterate()?;
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                let Value::Str(text) = item else {
                    return Err(Exc::type_error(format!(
                        "sequence item {i}: expected str instance, {} found",
                        item.type_name()
                    )));
                };
                if i > 0 {
                    out.push_str(s);
                }
                out.push_str(text);
                if out.len() > super::eval::MAX_OUTPUT_BYTES {
                    return Err(Exc::limit("str.join result too large"));
                }
            }
            Value::Str(Arc::from(out))
        }
        "format" => Value::Str(Arc::from(str_format(s, &args.positional, &args.keyword)?)),
        "isdigit" | "isdecimal" | "isnumeric" => {
            Value::Bool(!s.is_empty() && s.chars().all(|c| c.is_numeric()))
        }
        "isalpha" => Value::Bool(!s.is_empty() && s.chars().all(char::is_alphabetic)),
        "isalnum" => Value::Bool(!s.is_empty() && s.chars().all(char::is_alphanumeric)),
        "isspace" => Value::Bool(!s.is_empty() && s.chars().all(py_isspace)),
        "isupper" => {
            Value::Bool(s.chars().any(char::is_uppercase) && !s.chars().any(char::is_lowercase))
        }
        "islower" => {
            Value::Bool(s.chars().any(char::is_lowercase) && !s.chars().any(char::is_uppercase))
        }
        "istitle" => Value::Bool(s.chars().any(is_cased) && py_title(s) == s.as_ref()),
        "splitlines" => {
            let keepends = args.bind(name, &["keepends"])?[0]
                .as_ref()
                .is_some_and(Value::truthy);
            strs(splitlines(s, keepends))
        }
        "zfill" => {
            arity(name, &args, 1, 1)?;
            let width = int_arg(p(0), 0)?;
            let len = char_len(s) as i64;
            if width <= len {
                Value::Str(s.clone())
            } else {
                let zeros = "0".repeat((width - len) as usize);
                let out = match s.chars().next() {
                    Some(sign @ ('+' | '-')) => format!("{sign}{zeros}{}", &s[1..]),
                    _ => format!("{zeros}{s}"),
                };
                Value::Str(Arc::from(out))
            }
        }
        "center" | "ljust" | "rjust" => {
            arity(name, &args, 1, 2)?;
            let width = int_arg(p(0), 0)?;
            if width > super::eval::MAX_OUTPUT_BYTES as i64 {
                return Err(Exc::limit("padding width too large"));
            }
            let fill = fill_char(p(1))?;
            let how = match name {
                "center" => '^',
                "ljust" => '<',
                _ => '>',
            };
            Value::Str(Arc::from(justify(s, width, fill, how)))
        }
        "partition" | "rpartition" => {
            arity(name, &args, 1, 1)?;
            let sep = str_arg(&args.positional[0], "partition separator")?;
            if sep.is_empty() {
                return Err(Exc::value_error("empty separator"));
            }
            let found = if name == "partition" {
                s.find(sep.as_ref())
            } else {
                s.rfind(sep.as_ref())
            };
            let parts = match found {
                Some(at) => [&s[..at], sep.as_ref(), &s[at + sep.len()..]],
                None if name == "partition" => [s.as_ref(), "", ""],
                None => ["", "", s.as_ref()],
            };
            Value::tuple(parts.iter().map(|p| Value::str(p)).collect())
        }
        "removeprefix" | "removesuffix" => {
            arity(name, &args, 1, 1)?;
            let affix = str_arg(&args.positional[0], name)?;
            let out = if name == "removeprefix" {
                s.strip_prefix(affix.as_ref())
            } else {
                s.strip_suffix(affix.as_ref())
            };
            Value::str(out.unwrap_or(s))
        }
        "expandtabs" => {
            let size = int_arg(args.bind(name, &["tabsize"])?[0].as_ref(), 8)?.max(0) as usize;
            let mut out = String::new();
            let mut column = 0;
            for c in s.chars() {
                match c {
                    '\t' => {
                        if size > 0 {
                            let n = size - column % size;
                            out.push_str(&" ".repeat(n));
                            column += n;
                        }
                    }
                    '\n' | '\r' => {
                        out.push(c);
                        column = 0;
                    }
                    _ => {
                        out.push(c);
                        column += 1;
                    }
                }
            }
            Value::Str(Arc::from(out))
        }
        _ => {
            return Err(Exc::new(
                "AttributeError",
                format!("'str' object has no attribute '{name}'"),
            ))
        }
    })
}

/// Sorts like Python's `list.sort` (stable; a failed comparison is an error).
pub(crate) fn sort_values(
    items: &mut [Value],
    key: impl Fn(&Value) -> R<Value>,
    reverse: bool,
) -> R<()> {
    let keys = items.iter().map(&key).collect::<R<Vec<_>>>()?;
    let mut order: Vec<usize> = (0..items.len()).collect();
    let mut error = None;
    order.sort_by(|&a, &b| {
        if error.is_some() {
            return Ordering::Equal;
        }
        let (x, y) = if reverse {
            (&keys[b], &keys[a])
        } else {
            (&keys[a], &keys[b])
        };
        match py_cmp(x, y, "<") {
            Ok(ordering) => ordering,
            Err(e) => {
                error = Some(e);
                Ordering::Equal
            }
        }
    });
    if let Some(e) = error {
        return Err(e);
    }
    let sorted: Vec<Value> = order.iter().map(|&i| items[i].clone()).collect();
    items.clone_from_slice(&sorted);
    Ok(())
}

fn seq_index(items: &[Value], args: &CallArgs, what: &str) -> R<Value> {
    arity("index", args, 1, 3)?;
    let len = items.len() as i64;
    let norm = |v: i64| if v < 0 { (v + len).max(0) } else { v.min(len) };
    let start = norm(int_arg(args.positional.get(1), 0)?) as usize;
    let end = norm(int_arg(args.positional.get(2), len)?) as usize;
    let needle = &args.positional[0];
    for (i, item) in items.iter().enumerate().take(end).skip(start) {
        if py_eq(item, needle) {
            return Ok(Value::Int(i as i64));
        }
    }
    Err(Exc::value_error(if what == "list" {
        format!("{} is not in list", needle.repr())
    } else {
        format!("{what}.index(x): x not in {what}")
    }))
}

fn call_list(
    state: &mut State<'_>,
    list: &std::rc::Rc<std::cell::RefCell<Vec<Value>>>,
    name: &str,
    args: CallArgs,
) -> R<Value> {
    let p = |i: usize| args.positional.get(i);
    Ok(match name {
        "append" => {
            arity("list.append", &args, 1, 1)?;
            let item = args.positional[0].clone();
            list.borrow_mut().push(item);
            Value::None
        }
        "extend" => {
            arity("list.extend", &args, 1, 1)?;
            let items = args.positional[0].iterate()?;
            state.burn(items.len() as u64)?;
            list.borrow_mut().extend(items);
            Value::None
        }
        "insert" => {
            arity("insert", &args, 2, 2)?;
            let mut items = list.borrow_mut();
            let len = items.len() as i64;
            let i = int_arg(p(0), 0)?;
            let at = if i < 0 { (i + len).max(0) } else { i.min(len) } as usize;
            items.insert(at, args.positional[1].clone());
            Value::None
        }
        "pop" => {
            arity("pop", &args, 0, 1)?;
            let mut items = list.borrow_mut();
            if items.is_empty() {
                return Err(Exc::new("IndexError", "pop from empty list"));
            }
            let len = items.len() as i64;
            let i = int_arg(p(0), -1)?;
            let at = if i < 0 { i + len } else { i };
            if !(0..len).contains(&at) {
                return Err(Exc::new("IndexError", "pop index out of range"));
            }
            items.remove(at as usize)
        }
        "remove" => {
            arity("list.remove", &args, 1, 1)?;
            let mut items = list.borrow_mut();
            match items.iter().position(|v| py_eq(v, &args.positional[0])) {
                Some(at) => {
                    items.remove(at);
                    Value::None
                }
                None => return Err(Exc::value_error("list.remove(x): x not in list")),
            }
        }
        "index" => {
            let items = list.borrow().clone();
            seq_index(&items, &args, "list")?
        }
        "count" => {
            arity("list.count", &args, 1, 1)?;
            let n = list
                .borrow()
                .iter()
                .filter(|v| py_eq(v, &args.positional[0]))
                .count();
            Value::Int(n as i64)
        }
        "sort" => {
            let bound = args.bind("sort", &["key", "reverse"])?;
            let reverse = bound[1].as_ref().is_some_and(Value::truthy);
            let mut items = list.borrow().clone();
            match bound[0].clone() {
                Some(key) if !matches!(key, Value::None) => {
                    let keys = items
                        .iter()
                        .map(|v| state.call_value(&key, CallArgs::positional(vec![v.clone()])))
                        .collect::<R<Vec<_>>>()?;
                    let mut pairs: Vec<Value> = keys
                        .into_iter()
                        .zip(items)
                        .map(|(k, v)| Value::tuple(vec![k, v]))
                        .collect();
                    sort_values(
                        &mut pairs,
                        |pair| match pair {
                            Value::Tuple(kv) => Ok(kv[0].clone()),
                            other => Ok(other.clone()),
                        },
                        reverse,
                    )?;
                    items = pairs
                        .into_iter()
                        .map(|pair| match pair {
                            Value::Tuple(kv) => kv[1].clone(),
                            other => other,
                        })
                        .collect();
                }
                _ => sort_values(&mut items, |v| Ok(v.clone()), reverse)?,
            }
            *list.borrow_mut() = items;
            Value::None
        }
        "reverse" => {
            list.borrow_mut().reverse();
            Value::None
        }
        "copy" => Value::list(list.borrow().clone()),
        "clear" => {
            list.borrow_mut().clear();
            Value::None
        }
        _ => {
            return Err(Exc::new(
                "AttributeError",
                format!("'list' object has no attribute '{name}'"),
            ))
        }
    })
}

/// `dict.update` / `dict(...)`: a mapping or an iterable of pairs, then keywords.
pub(crate) fn update_dict(
    dict: &mut Dict,
    source: Option<&Value>,
    keywords: Vec<(Arc<str>, Value)>,
) -> R<()> {
    match source {
        None => {}
        Some(Value::Dict(other)) => {
            let entries: Vec<_> = other
                .borrow()
                .iter()
                .map(|(h, kv)| (h.clone(), kv.clone()))
                .collect();
            for (hash, (k, v)) in entries {
                dict_insert(dict, hash, k, v);
            }
        }
        Some(other) => {
            for (i, pair) in other.iterate()?.into_iter().enumerate() {
                let pair = pair.iterate().map_err(|_| {
                    Exc::type_error(format!(
                        "cannot convert dictionary update sequence element #{i} to a sequence"
                    ))
                })?;
                if pair.len() != 2 {
                    return Err(Exc::value_error(format!(
                        "dictionary update sequence element #{i} has length {}; 2 is required",
                        pair.len()
                    )));
                }
                let hash = pair[0].hash_key()?;
                dict_insert(dict, hash, pair[0].clone(), pair[1].clone());
            }
        }
    }
    for (k, v) in keywords {
        dict_insert(dict, HashKey::Str(k.clone()), Value::Str(k), v);
    }
    Ok(())
}

fn call_dict(dict: &std::rc::Rc<std::cell::RefCell<Dict>>, name: &str, args: CallArgs) -> R<Value> {
    let p = |i: usize| args.positional.get(i);
    Ok(match name {
        "items" | "keys" | "values" => {
            arity(name, &args, 0, 0)?;
            let kind = match name {
                "items" => ViewKind::Items,
                "keys" => ViewKind::Keys,
                _ => ViewKind::Values,
            };
            Value::View(kind, dict.clone())
        }
        "get" => {
            arity("get", &args, 1, 2)?;
            let hash = args.positional[0].hash_key()?;
            dict.borrow()
                .get(&hash)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| p(1).cloned().unwrap_or(Value::None))
        }
        "update" => {
            if args.positional.len() > 1 {
                return Err(Exc::type_error(format!(
                    "update expected at most 1 argument, got {}",
                    args.positional.len()
                )));
            }
            let source = args.positional.first().cloned();
            // Build into a copy so `d.update(d)` does not alias the borrow.
            let mut updated = dict.borrow().clone();
            update_dict(&mut updated, source.as_ref(), args.keyword)?;
            *dict.borrow_mut() = updated;
            Value::None
        }
        "pop" => {
            arity("pop", &args, 1, 2)?;
            let hash = args.positional[0].hash_key()?;
            let removed = dict.borrow_mut().shift_remove(&hash);
            match (removed, p(1)) {
                (Some((_, v)), _) => v,
                (None, Some(default)) => default.clone(),
                (None, None) => return Err(Exc::new("KeyError", args.positional[0].repr())),
            }
        }
        "setdefault" => {
            arity("setdefault", &args, 1, 2)?;
            let key = args.positional[0].clone();
            let hash = key.hash_key()?;
            let mut d = dict.borrow_mut();
            if let Some((_, v)) = d.get(&hash) {
                v.clone()
            } else {
                let value = p(1).cloned().unwrap_or(Value::None);
                d.insert(hash, (key, value.clone()));
                value
            }
        }
        "copy" => Value::dict(dict.borrow().clone()),
        "clear" => {
            dict.borrow_mut().clear();
            Value::None
        }
        "popitem" => match dict.borrow_mut().pop() {
            Some((_, (k, v))) => Value::tuple(vec![k, v]),
            None => return Err(Exc::new("KeyError", "'popitem(): dictionary is empty'")),
        },
        _ => {
            return Err(Exc::new(
                "AttributeError",
                format!("'dict' object has no attribute '{name}'"),
            ))
        }
    })
}

/// Calls method `name` (from [`lookup`]) on `recv`.
pub(crate) fn call(state: &mut State<'_>, recv: &Value, name: &str, args: CallArgs) -> R<Value> {
    match recv {
        Value::Str(s) => call_str(state, s, name, args),
        Value::List(list) => call_list(state, list, name, args),
        Value::Dict(dict) => call_dict(dict, name, args),
        Value::Tuple(_) | Value::Range(_) => {
            let items = recv.iterate()?;
            if name == "index" {
                return seq_index(&items, &args, recv.type_name());
            }
            arity("count", &args, 1, 1)?;
            Ok(Value::Int(
                items
                    .iter()
                    .filter(|v| py_eq(v, &args.positional[0]))
                    .count() as i64,
            ))
        }
        Value::Cycler(cycler) => {
            if name == "reset" {
                cycler.position.set(0);
                return Ok(Value::None);
            }
            if cycler.items.is_empty() {
                return Err(Exc::new("ZeroDivisionError", "integer modulo by zero"));
            }
            let at = cycler.position.get();
            cycler.position.set((at + 1) % cycler.items.len());
            Ok(cycler.items[at].clone())
        }
        other => Err(Exc::new(
            "AttributeError",
            format!(
                "'{}' object has no attribute {}",
                other.type_name(),
                str_repr(name)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_follows_python_whitespace_rules() {
        assert_eq!(
            py_split("  a b\t\nc  ", None, -1).expect("splits"),
            ["a", "b", "c"]
        );
        assert_eq!(
            py_split("  a b c  ", None, 1).expect("splits"),
            ["a", "b c"]
        );
        assert_eq!(
            py_split("a,,b", Some(","), -1).expect("splits"),
            ["a", "", "b"]
        );
        assert_eq!(py_rsplit("a b c", None, 1).expect("splits"), ["a b", "c"]);
        assert!(py_split("", None, -1).expect("splits").is_empty());
    }

    #[test]
    fn title_and_capitalize_follow_python() {
        assert_eq!(py_title("they're bill's 1st"), "They'Re Bill'S 1St");
        assert_eq!(py_capitalize("hELLO world"), "Hello world");
    }

    #[test]
    fn center_matches_cpython_parity() {
        // python3 -c "print(repr('ab'.center(5, '*')), repr('abc'.center(6, '*')))"
        assert_eq!(justify("ab", 5, '*', '^'), "**ab*");
        assert_eq!(justify("abc", 6, '*', '^'), "*abc**");
    }
}
