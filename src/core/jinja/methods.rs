//! Python methods templates call on values: `str`, `list`, `dict`, `tuple`,
//! `range` and Jinja2's `cycler`. List and dict methods mutate in place.

use std::cmp::Ordering;
use std::sync::Arc;

use super::budget::MAX_OUTPUT_BYTES;
use super::error::{ErrorKind, Exc};
use super::format::str_format;
use super::state::{CallArgs, State};
use super::value::*;
use crate::core::py::strings::{self as pystr, str_repr};

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

/// How CPython names an argument's type in "must be str, not ..." errors
/// (`None` rather than `NoneType`).
fn arg_type(value: &Value) -> &'static str {
    match value {
        Value::None => "None",
        other => other.type_name(),
    }
}

fn str_arg<'v>(value: &'v Value, what: &str) -> R<&'v Arc<str>> {
    match value {
        Value::Str(s) => Ok(s),
        other => Err(Exc::type_error(format!(
            "{what} must be str, not {}",
            arg_type(other)
        ))),
    }
}

/// An optional str argument; `error` builds CPython's message from the
/// offending type's name.
fn opt_str_arg(value: Option<&Value>, error: impl Fn(&str) -> String) -> R<Option<&Arc<str>>> {
    match value {
        None | Some(Value::None) => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s)),
        Some(other) => Err(Exc::type_error(error(other.type_name()))),
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

fn strs(items: Vec<&str>) -> Value {
    Value::list(items.into_iter().map(Value::str).collect())
}

fn opt_int(value: Option<&Value>) -> R<Option<i64>> {
    match value {
        None | Some(Value::None) => Ok(None),
        Some(v) => int_arg(Some(v), 0).map(Some),
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

/// The result as a `Value`, reusing `s` when the text did not change.
fn same_or_new(s: &Arc<str>, out: &str) -> Value {
    if out.len() == s.len() {
        Value::Str(s.clone())
    } else {
        Value::str(out)
    }
}

fn call_str(state: &mut State<'_>, s: &Arc<str>, name: &str, args: CallArgs) -> R<Value> {
    let p = |i: usize| args.positional.get(i);
    Ok(match name {
        "split" | "rsplit" => {
            let bound = args.bind(name, &["sep", "maxsplit"])?;
            let sep = opt_str_arg(bound[0].as_ref(), |t| {
                format!("must be str or None, not {t}")
            })?
            .cloned();
            let maxsplit = int_arg(bound[1].as_ref(), -1)?;
            let parts = if name == "split" {
                pystr::split(s, sep.as_deref(), maxsplit)?
            } else {
                pystr::rsplit(s, sep.as_deref(), maxsplit)?
            };
            state.burn(parts.len() as u64)?;
            strs(parts)
        }
        "strip" | "lstrip" | "rstrip" => {
            arity(name, &args, 0, 1)?;
            let chars = opt_str_arg(p(0), |_| format!("{name} arg must be None or str"))?
                .map(|c| c.as_ref());
            let out = match name {
                "strip" => pystr::strip(s, chars),
                "lstrip" => pystr::lstrip(s, chars),
                _ => pystr::rstrip(s, chars),
            };
            same_or_new(s, out)
        }
        "lower" => Value::Str(Arc::from(pystr::lower(s))),
        "upper" => Value::Str(Arc::from(pystr::upper(s))),
        "casefold" => Value::Str(Arc::from(pystr::casefold(s))),
        "swapcase" => Value::Str(Arc::from(pystr::swapcase(s))),
        "capitalize" => Value::Str(Arc::from(pystr::capitalize(s))),
        "title" => Value::Str(Arc::from(pystr::title(s))),
        "replace" => {
            arity(name, &args, 2, 3)?;
            let old = str_arg(&args.positional[0], "replace() argument 1")?;
            let new = str_arg(&args.positional[1], "replace() argument 2")?;
            let count = int_arg(p(2), -1)?;
            // Check the size before building: `'x'.replace('', 'yyyy')` and
            // friends can multiply a long text.
            let occurrences = if old.is_empty() {
                char_len(s) + 1
            } else {
                pystr::count(s, old, None, None)
            };
            let occurrences = if count >= 0 {
                occurrences.min(count as usize)
            } else {
                occurrences
            };
            if s.len()
                .saturating_add(occurrences.saturating_mul(new.len()))
                > MAX_OUTPUT_BYTES
            {
                return Err(Exc::limit("str.replace result too large"));
            }
            super::budget::charge(s.len() + occurrences.saturating_mul(new.len()))?;
            Value::Str(Arc::from(pystr::replace(s, old, new, count)?))
        }
        "startswith" | "endswith" => {
            arity(name, &args, 1, 3)?;
            let (start, end) = (opt_int(p(1))?, opt_int(p(2))?);
            let test = |affix: &str| {
                if name == "startswith" {
                    pystr::startswith(s, affix, start, end)
                } else {
                    pystr::endswith(s, affix, start, end)
                }
            };
            match &args.positional[0] {
                Value::Str(affix) => Value::Bool(test(affix)),
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
            let Value::Str(sub) = &args.positional[0] else {
                // Unlike `replace`, CPython's search methods say `NoneType`.
                return Err(Exc::type_error(format!(
                    "must be str, not {}",
                    args.positional[0].type_name()
                )));
            };
            let (start, end) = (opt_int(p(1))?, opt_int(p(2))?);
            match name {
                "find" => Value::Int(pystr::find(s, sub, start, end)),
                "rfind" => Value::Int(pystr::rfind(s, sub, start, end)),
                "index" => Value::Int(pystr::index(s, sub, start, end)? as i64),
                "rindex" => Value::Int(pystr::rindex(s, sub, start, end)? as i64),
                _ => Value::Int(pystr::count(s, sub, start, end) as i64),
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
                if out.len() > MAX_OUTPUT_BYTES {
                    return Err(Exc::limit("str.join result too large"));
                }
            }
            Value::Str(Arc::from(out))
        }
        "format" => Value::Str(Arc::from(str_format(s, &args.positional, &args.keyword)?)),
        "isdigit" => Value::Bool(pystr::isdigit(s)),
        "isdecimal" => Value::Bool(pystr::isdecimal(s)),
        "isnumeric" => Value::Bool(pystr::isnumeric(s)),
        "isalpha" => Value::Bool(pystr::isalpha(s)),
        "isalnum" => Value::Bool(pystr::isalnum(s)),
        "isspace" => Value::Bool(pystr::isspace(s)),
        "isupper" => Value::Bool(pystr::isupper(s)),
        "islower" => Value::Bool(pystr::islower(s)),
        "istitle" => Value::Bool(pystr::istitle(s)),
        "splitlines" => {
            let keepends = args.bind(name, &["keepends"])?[0]
                .as_ref()
                .is_some_and(Value::truthy);
            strs(pystr::splitlines(s, keepends))
        }
        "zfill" | "center" | "ljust" | "rjust" => {
            arity(name, &args, 1, if name == "zfill" { 1 } else { 2 })?;
            let width = int_arg(p(0), 0)?;
            if width > MAX_OUTPUT_BYTES as i64 {
                return Err(Exc::limit("padding width too large"));
            }
            super::budget::charge(width.max(0) as usize)?;
            let out = match name {
                "zfill" => pystr::zfill(s, width),
                "center" => pystr::center(s, width, fill_char(p(1))?),
                "ljust" => pystr::ljust(s, width, fill_char(p(1))?),
                _ => pystr::rjust(s, width, fill_char(p(1))?),
            };
            same_or_new(s, &out?)
        }
        "partition" | "rpartition" => {
            arity(name, &args, 1, 1)?;
            let sep = str_arg(&args.positional[0], "partition separator")?;
            let (a, b, c) = if name == "partition" {
                pystr::partition(s, sep)?
            } else {
                pystr::rpartition(s, sep)?
            };
            Value::tuple(vec![Value::str(a), Value::str(b), Value::str(c)])
        }
        "removeprefix" | "removesuffix" => {
            arity(name, &args, 1, 1)?;
            let affix = str_arg(&args.positional[0], name)?;
            let out = if name == "removeprefix" {
                s.strip_prefix(affix.as_ref())
            } else {
                s.strip_suffix(affix.as_ref())
            };
            same_or_new(s, out.unwrap_or(s))
        }
        "expandtabs" => {
            let size = int_arg(args.bind(name, &["tabsize"])?[0].as_ref(), 8)?;
            Value::Str(Arc::from(pystr::expandtabs(s, size)?))
        }
        _ => {
            return Err(Exc::new(
                ErrorKind::AttributeError,
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
            super::value::charge_items(items.len())?;
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
                return Err(Exc::new(ErrorKind::IndexError, "pop from empty list"));
            }
            let len = items.len() as i64;
            let i = int_arg(p(0), -1)?;
            let at = if i < 0 { i + len } else { i };
            if !(0..len).contains(&at) {
                return Err(Exc::new(ErrorKind::IndexError, "pop index out of range"));
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
                        .map(|pair| match &pair {
                            Value::Tuple(kv) => kv[1].clone(),
                            _ => pair,
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
                ErrorKind::AttributeError,
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
                (None, None) => {
                    return Err(Exc::new(ErrorKind::KeyError, args.positional[0].repr()))
                }
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
            None => {
                return Err(Exc::new(
                    ErrorKind::KeyError,
                    "'popitem(): dictionary is empty'",
                ))
            }
        },
        _ => {
            return Err(Exc::new(
                ErrorKind::AttributeError,
                format!("'dict' object has no attribute '{name}'"),
            ))
        }
    })
}

/// Calls method `name` (from [`lookup`]) on `recv`.
pub(crate) fn call(state: &mut State<'_>, recv: &Value, name: &str, args: CallArgs) -> R<Value> {
    if state.program.mode == super::Mode::ChatTemplate {
        super::chat_env::check_immutable(recv, name)?;
    }
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
                return Err(Exc::new(
                    ErrorKind::ZeroDivisionError,
                    "integer modulo by zero",
                ));
            }
            let at = cycler.position.get();
            cycler.position.set((at + 1) % cycler.items.len());
            Ok(cycler.items[at].clone())
        }
        other => Err(Exc::new(
            ErrorKind::AttributeError,
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
    fn sort_reports_incomparable_items() {
        let mut items = vec![Value::Int(1), Value::str("a")];
        let err = sort_values(&mut items, |v| Ok(v.clone()), false).expect_err("fails");
        assert_eq!(
            err.message,
            "'<' not supported between instances of 'str' and 'int'"
        );
    }
}
