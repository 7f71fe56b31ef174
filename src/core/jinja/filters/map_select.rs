//! `map`, `select`, `reject`, `selectattr` and `rejectattr`: filters that
//! call other filters or tests on every item.

use super::*;

pub(crate) fn do_select(state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    select_or_reject(state, input, args, true, false)
}

pub(crate) fn do_reject(state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    select_or_reject(state, input, args, false, false)
}

pub(crate) fn do_selectattr(state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    select_or_reject(state, input, args, true, true)
}

pub(crate) fn do_rejectattr(state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    select_or_reject(state, input, args, false, true)
}

pub(crate) fn do_map(state: &mut State<'_>, input: Value, mut args: CallArgs) -> R<Value> {
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
                        ErrorKind::FilterArgument,
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
            ErrorKind::FilterArgument,
            "map requires a filter argument",
        ));
    }
    let name = args.positional.remove(0).to_str();
    if !state.has_filter(&name) {
        return Err(Exc::new(
            ErrorKind::Runtime,
            format!("No filter named {} found.", str_repr(&name)),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let call = CallArgs {
            positional: args.positional.clone(),
            keyword: args.keyword.clone(),
        };
        out.push(state.call_filter(&name, item, call)?);
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
                ErrorKind::FilterArgument,
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
                state.call_test(name, &subject, call)?
            }
            None => subject.truthy(),
        };
        if passed == keep {
            out.push(item);
        }
    }
    Ok(Value::iter("generator", out))
}
