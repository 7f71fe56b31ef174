//! Filters on sequences and mappings: joining, sorting, slicing, grouping.

use super::*;

pub(crate) fn do_join(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
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
    budget::charge(out.len())?;
    Ok(Value::Str(Arc::from(out)))
}

pub(crate) fn do_length(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    args.bind("len", &[])?;
    match input.len() {
        Some(n) if !matches!(input, Value::Loop(_)) => i64::try_from(n)
            .map(Value::Int)
            .map_err(|_| Exc::ssize_overflow()),
        _ => Err(Exc::type_error(format!(
            "object of type '{}' has no len()",
            input.type_name()
        ))),
    }
}

pub(crate) fn do_list(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    args.bind("do_list", &[])?;
    Ok(Value::list(input.iterate()?))
}

pub(crate) fn do_unique(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
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

pub(crate) fn do_sort(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
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
    charge_items(items.len().saturating_mul(getters.len() + 2))?;
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

pub(crate) fn min_or_max(
    _state: &mut State<'_>,
    input: Value,
    args: CallArgs,
    name: &str,
) -> R<Value> {
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

pub(crate) fn do_min(state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    min_or_max(state, input, args, "min")
}

pub(crate) fn do_max(state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    min_or_max(state, input, args, "max")
}

pub(crate) fn do_first(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
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

pub(crate) fn do_last(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
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

pub(crate) fn do_reverse(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
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

pub(crate) fn do_batch(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    let [count, fill] = take2(args.bind("do_batch", &["linecount", "fill_with"])?);
    let count = int_param(count, 1, "batch")?.clamp(1, MAX_ITEMS as i64) as usize;
    let items = input.iterate()?;
    let mut out = Vec::new();
    for chunk in items.chunks(count) {
        let mut chunk = chunk.to_vec();
        if let Some(fill) = fill.as_ref().filter(|f| !matches!(f, Value::None)) {
            charge_items(count)?;
            chunk.resize(count, fill.clone());
        } else {
            charge_items(chunk.len())?;
        }
        out.push(Value::list(chunk));
    }
    Ok(Value::iter("generator", out))
}

pub(crate) fn do_slice(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    let [slices, fill] = take2(args.bind("do_slice", &["slices", "fill_with"])?);
    let slices = int_param(slices, 1, "slice")?;
    if slices <= 0 {
        return Err(Exc::zero_division("integer division or modulo by zero"));
    }
    let slices = slices as usize;
    let items = input.iterate()?;
    charge_items(slices.saturating_add(items.len()))?;
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

pub(crate) fn do_sum(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    let [attribute, start] = take2(args.bind("do_sum", &["attribute", "start"])?);
    let parts = attribute.map(|a| attribute_parts(&a)).unwrap_or_default();
    let mut total = start.unwrap_or(Value::Int(0));
    for item in input.iterate()? {
        let value = get_path(&item, &parts, None)?;
        total = ops::binary(BinOp::Add, &total, &value)?;
    }
    Ok(total)
}

pub(crate) fn do_items(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
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

pub(crate) fn do_dictsort(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    let [case_sensitive, by, reverse] =
        take3(args.bind("do_dictsort", &["case_sensitive", "by", "reverse"])?);
    let case_sensitive = bool_arg(case_sensitive);
    let position = match by.map(|b| b.to_str()).as_deref() {
        None | Some("key") => 0,
        Some("value") => 1,
        Some(_) => {
            return Err(Exc::new(
                ErrorKind::FilterArgument,
                "You can only sort by either \"key\" or \"value\"",
            ))
        }
    };
    let Value::Dict(d) = &input else {
        return Err(Exc::new(
            ErrorKind::AttributeError,
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

pub(crate) fn do_groupby(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
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
