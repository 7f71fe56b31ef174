//! PromptSource's own filters (`choice`, `most_frequent`, `highlight`) and
//! Jinja2's `random`, which draw from the render's generator.

use super::*;

pub(crate) fn do_random(state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    args.bind("do_random", &[])?;
    let items = sequence_for_choice(&input)?;
    match state.rng.choice_index(items.len()) {
        Some(i) => pick(&input, &items, i),
        None => Ok(Value::hint("No random item, sequence was empty.")),
    }
}

pub(crate) fn do_choice(state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
    args.bind("choice", &["choices"])?;
    choose(state, &input)
}

pub(crate) fn do_most_frequent(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
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

pub(crate) fn do_highlight(_state: &mut State<'_>, input: Value, args: CallArgs) -> R<Value> {
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
            .ok_or_else(|| Exc::new(ErrorKind::KeyError, index.to_string()));
    }
    Ok(items[index].clone())
}

/// PromptSource's `choice`: Python's `random.choice(seq)`.
pub(crate) fn choose(state: &mut State<'_>, input: &Value) -> R<Value> {
    let items = sequence_for_choice(input)?;
    match state.rng.choice_index(items.len()) {
        Some(i) => pick(input, &items, i),
        None => Err(Exc::new(
            ErrorKind::IndexError,
            "Cannot choose from an empty sequence",
        )),
    }
}
