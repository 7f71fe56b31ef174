//! Dropping values without recursion.

use super::*;

/// Values nest as deeply as a template's loops make them (`{% set ns.x =
/// [ns.x] %}` 100,000 times): dropping them one level per call would
/// overflow the stack, so the last owner of a container takes its items out
/// and drops them from a list, in a loop.
impl Drop for Value {
    // Inlined so that dropping a scalar (most values a render makes) costs a
    // tag test, not a call: the iterative walk cost ~20% of an apply when
    // every drop went through it.
    #[inline]
    fn drop(&mut self) {
        if matches!(
            self,
            Value::List(_)
                | Value::Tuple(_)
                | Value::Dict(_)
                | Value::Namespace(_)
                | Value::View(..)
                | Value::Iter(..)
        ) {
            drop_container(self);
        }
    }
}

/// Empties a container this value is the last owner of without recursion,
/// so values nested 100,000 deep do not overflow the stack when dropped.
#[inline(never)]
fn drop_container(value: &mut Value) {
    let Some(mut pending) = take_items(value) else {
        return;
    };
    while let Some(mut value) = pending.pop() {
        if let Some(items) = take_items(&mut value) {
            pending.extend(items);
        }
    }
}

/// The items of a container this value is the last owner of, when any of
/// them is itself a container (else plain dropping is shallow and cheaper).
fn take_items(value: &mut Value) -> Option<Vec<Value>> {
    let nests = |v: &Value| {
        matches!(
            v,
            Value::List(_)
                | Value::Tuple(_)
                | Value::Dict(_)
                | Value::Namespace(_)
                | Value::Iter(..)
        )
    };
    match value {
        Value::List(items) => {
            let items = Rc::get_mut(items)?.get_mut();
            items.iter().any(nests).then(|| std::mem::take(items))
        }
        Value::Tuple(items) => {
            let items = Rc::get_mut(items)?;
            items.iter().any(nests).then(|| {
                items
                    .iter_mut()
                    .map(|v| std::mem::replace(v, Value::None))
                    .collect()
            })
        }
        Value::Dict(d) | Value::Namespace(d) | Value::View(_, d) => {
            let d = Rc::get_mut(d)?.get_mut();
            d.values().any(|(k, v)| nests(k) || nests(v)).then(|| {
                std::mem::take(d)
                    .into_values()
                    .flat_map(|(k, v)| [k, v])
                    .collect()
            })
        }
        Value::Iter(_, items) => {
            let items = Rc::get_mut(items)?.get_mut();
            items.as_slice().iter().any(nests).then(|| items.collect())
        }
        _ => None,
    }
}
