//! The Python value model templates compute with: Python's types, `str()` and
//! `repr()`, truthiness, equality, ordering and dict hashing. Containers are
//! shared by reference and mutable, as in Python (`xs.append(x)` is seen by
//! every name bound to `xs`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use indexmap::IndexMap;

use super::ast::{MacroDef, NameId};
pub(crate) use super::constant::{Const, PyRange};
pub(crate) use super::error::UndefinedReason;
use super::error::{ErrorKind, Exc};
use crate::core::datum::Datum;
use crate::core::py::float::float_repr;
use crate::core::py::strings::str_repr;

mod compare;
mod drop;
mod repr;

pub(crate) use compare::{as_f64, as_int, py_cmp, py_eq};

/// Most items a render materialises at once (a list, a range or a string
/// turned into a list); beyond this a template is exploding.
pub(crate) const MAX_ITEMS: usize = 16 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ViewKind {
    Keys,
    Values,
    Items,
}

pub(crate) type Dict = IndexMap<HashKey, (Value, Value)>;

/// Nesting of lists, tuples and dicts `repr` descends into (Python's own
/// recursion limit stops it near 1,000).
pub(crate) const MAX_VALUE_DEPTH: usize = 1_000;

/// A `{% macro %}` or `{% call %}` body as a value.
#[derive(Debug)]
pub(crate) struct MacroValue {
    pub name: Arc<str>,
    pub def: Arc<MacroDef>,
    /// Variables visible where the macro was defined.
    pub captured: Vec<(NameId, Value)>,
    /// The `caller` of a `{% call %}` block.
    pub caller: Option<Value>,
    /// A `{% macro %}` sees its own name in its body (so it can recurse, as
    /// in Jinja2, where the name is a closure over the defining scope); a
    /// `{% call %}` block's body is named `caller` and must see the outer one.
    pub sees_itself: bool,
    /// Chat mode, defined at the top level: sees the top level's variables
    /// as they are when it is called (Jinja2's generated code reads them
    /// through late-binding closures), so it can call itself or read a
    /// namespace set after it.
    pub late_bound: bool,
}

/// A function value: globals, bound methods, macros and the helpers `loop`,
/// `cycler` and `joiner` hand out.
#[derive(Debug)]
pub(crate) enum Func {
    Global(&'static str),
    /// `receiver.name`, looked up from the receiver's Python type.
    Method(Value, &'static str),
    Macro(Rc<MacroValue>),
    LoopCycle(Rc<LoopState>),
    LoopChanged(Rc<LoopState>),
}

/// What `loop` exposes inside a `for`.
#[derive(Debug)]
pub(crate) struct LoopState {
    pub index0: Cell<usize>,
    pub length: usize,
    pub items: Rc<[Value]>,
    pub depth0: usize,
    pub last_changed: RefCell<Option<Vec<Value>>>,
}

#[derive(Debug)]
pub(crate) struct Cycler {
    pub items: Vec<Value>,
    pub position: Cell<usize>,
}

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Undefined(Rc<UndefinedReason>),
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    Bytes(Arc<[u8]>),
    List(Rc<RefCell<Vec<Value>>>),
    Tuple(Rc<[Value]>),
    Dict(Rc<RefCell<Dict>>),
    Range(PyRange),
    View(ViewKind, Rc<RefCell<Dict>>),
    /// Jinja2's `namespace()`: attributes assignable with `{% set ns.x %}`.
    Namespace(Rc<RefCell<Dict>>),
    /// A row value shown through its own `str()`/`repr()` (dates, decimals).
    Opaque {
        str: Arc<str>,
        repr: Arc<str>,
    },
    Func(Rc<Func>),
    Loop(Rc<LoopState>),
    Cycler(Rc<Cycler>),
    Joiner(Rc<(Arc<str>, Cell<bool>)>),
    /// A one-shot Python iterator (`generator` from `map`/`select`, `zip`,
    /// `list_reverseiterator`): always true, no `len()`, consumed by iteration.
    Iter(&'static str, Rc<RefCell<std::vec::IntoIter<Value>>>),
}

/// A dict key, hashed and compared as Python does: `1`, `1.0` and `True` are
/// one key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum HashKey {
    None,
    Int(i64),
    Float(u64),
    Str(Arc<str>),
    Bytes(Arc<[u8]>),
    Tuple(Box<[HashKey]>),
    Range(i64, i64, i64),
    Other(String),
    /// Objects hashed by identity: the address of their shared allocation.
    Identity(usize),
}

impl Value {
    pub(crate) fn str(text: &str) -> Value {
        Value::Str(Arc::from(text))
    }

    pub(crate) fn undefined(reason: UndefinedReason) -> Value {
        Value::Undefined(Rc::new(reason))
    }

    pub(crate) fn hint(message: &str) -> Value {
        Value::undefined(UndefinedReason::Hint(message.to_string()))
    }

    pub(crate) fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(items)))
    }

    pub(crate) fn iter(kind: &'static str, items: Vec<Value>) -> Value {
        Value::Iter(kind, Rc::new(RefCell::new(items.into_iter())))
    }

    pub(crate) fn tuple(items: Vec<Value>) -> Value {
        Value::Tuple(Rc::from(items))
    }

    pub(crate) fn dict(dict: Dict) -> Value {
        Value::Dict(Rc::new(RefCell::new(dict)))
    }

    pub(crate) fn is_undefined(&self) -> bool {
        matches!(self, Value::Undefined(_))
    }

    /// Python's name for the value's type (as in `TypeError` messages).
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Undefined(_) => "Undefined",
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Dict(_) => "dict",
            Value::Range(_) => "range",
            Value::View(ViewKind::Keys, _) => "dict_keys",
            Value::View(ViewKind::Values, _) => "dict_values",
            Value::View(ViewKind::Items, _) => "dict_items",
            Value::Namespace(_) => "Namespace",
            Value::Opaque { .. } => "object",
            Value::Func(func) => match func.as_ref() {
                Func::Macro(_) => "Macro",
                Func::Method(..) => "builtin_function_or_method",
                _ => "function",
            },
            Value::Loop(_) => "LoopContext",
            Value::Cycler(_) => "Cycler",
            Value::Joiner(_) => "Joiner",
            Value::Iter(kind, _) => kind,
        }
    }

    /// Jinja2's `object_type_repr`, used in undefined messages.
    pub(crate) fn object_type_repr(&self) -> String {
        match self {
            Value::None => "None".to_string(),
            Value::Namespace(_) => "jinja2.utils.Namespace object".to_string(),
            Value::Loop(_) => "jinja2.runtime.LoopContext object".to_string(),
            Value::Undefined(_) => "jinja2.runtime.Undefined object".to_string(),
            Value::Cycler(_) => "jinja2.utils.Cycler object".to_string(),
            Value::Joiner(_) => "jinja2.utils.Joiner object".to_string(),
            other => format!("{} object", other.type_name()),
        }
    }

    pub(crate) fn truthy(&self) -> bool {
        match self {
            Value::Undefined(_) | Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(n) => *n != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Bytes(b) => !b.is_empty(),
            Value::List(items) => !items.borrow().is_empty(),
            Value::Tuple(items) => !items.is_empty(),
            Value::Dict(d) | Value::View(_, d) => !d.borrow().is_empty(),
            Value::Range(r) => r.len() > 0,
            _ => true,
        }
    }

    /// The dict key for this value, or Python's `unhashable type` error.
    pub(crate) fn hash_key(&self) -> Result<HashKey, Exc> {
        self.hash_key_within(MAX_VALUE_DEPTH)
    }

    /// [`Value::hash_key`] for tuples nested at most `depth` deep (Python's
    /// recursion limit; also what keeps the stack from overflowing).
    fn hash_key_within(&self, depth: usize) -> Result<HashKey, Exc> {
        Ok(match self {
            Value::None => HashKey::None,
            Value::Bool(b) => HashKey::Int(*b as i64),
            Value::Int(n) => HashKey::Int(*n),
            Value::Float(f) => {
                if f.fract() == 0.0 && f.abs() < 9.2e18 {
                    HashKey::Int(*f as i64)
                } else {
                    HashKey::Float(f.to_bits())
                }
            }
            Value::Str(s) => HashKey::Str(s.clone()),
            Value::Bytes(b) => HashKey::Bytes(b.clone()),
            Value::Tuple(items) => HashKey::Tuple(
                items
                    .iter()
                    .map(|item| match depth.checked_sub(1) {
                        Some(depth) => item.hash_key_within(depth),
                        None => Err(Exc::new(
                            ErrorKind::RecursionError,
                            "maximum recursion depth exceeded while calling a Python object",
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?
                    .into_boxed_slice(),
            ),
            Value::Range(r) => HashKey::Range(r.start, r.stop, r.step),
            Value::Opaque { repr, .. } => HashKey::Other(repr.to_string()),
            Value::Undefined(_) => HashKey::Other("Undefined".to_string()),
            Value::List(_) | Value::Dict(_) | Value::View(..) | Value::Namespace(_) => {
                return Err(Exc::type_error(format!(
                    "unhashable type: '{}'",
                    self.type_name()
                )))
            }
            // Python hashes these by identity.
            Value::Func(rc) => HashKey::Identity(Rc::as_ptr(rc) as *const () as usize),
            Value::Loop(rc) => HashKey::Identity(Rc::as_ptr(rc) as *const () as usize),
            Value::Cycler(rc) => HashKey::Identity(Rc::as_ptr(rc) as *const () as usize),
            Value::Joiner(rc) => HashKey::Identity(Rc::as_ptr(rc) as *const () as usize),
            Value::Iter(_, rc) => HashKey::Identity(Rc::as_ptr(rc) as *const () as usize),
        })
    }

    /// Python's `len()`, or None when the type has no length.
    pub(crate) fn len(&self) -> Option<usize> {
        match self {
            Value::Undefined(_) => Some(0),
            Value::Str(s) => Some(char_len(s)),
            Value::Bytes(b) => Some(b.len()),
            Value::List(items) => Some(items.borrow().len()),
            Value::Tuple(items) => Some(items.len()),
            Value::Dict(d) | Value::View(_, d) => Some(d.borrow().len()),
            Value::Range(r) => Some(r.len()),
            Value::Loop(l) => Some(l.length),
            _ => None,
        }
    }

    pub(crate) fn from_const(c: &Const) -> Value {
        match c {
            Const::None => Value::None,
            Const::Bool(b) => Value::Bool(*b),
            Const::Int(n) => Value::Int(*n),
            Const::Float(f) => Value::Float(*f),
            Const::Str(s) => Value::Str(s.clone()),
            Const::List(items) => Value::list(items.iter().map(Value::from_const).collect()),
            Const::Tuple(items) => Value::tuple(items.iter().map(Value::from_const).collect()),
            Const::Dict(items) => {
                let mut dict = Dict::with_capacity(items.len());
                for (k, v) in items.iter() {
                    let key = Value::from_const(k);
                    if let Ok(hash) = key.hash_key() {
                        dict_insert(&mut dict, hash, key, Value::from_const(v));
                    }
                }
                Value::dict(dict)
            }
            Const::Range(r) => Value::Range(*r),
        }
    }

    /// Jinja2's `has_safe_repr` plus the conversion: the values its optimizer
    /// is allowed to fold into the compiled template.
    pub(crate) fn to_const(&self) -> Option<Const> {
        Some(match self {
            Value::None => Const::None,
            Value::Bool(b) => Const::Bool(*b),
            Value::Int(n) => Const::Int(*n),
            Value::Float(f) => Const::Float(*f),
            Value::Str(s) => Const::Str(s.clone()),
            Value::Range(r) => Const::Range(*r),
            Value::List(items) => Const::List(
                items
                    .borrow()
                    .iter()
                    .map(Value::to_const)
                    .collect::<Option<Vec<_>>>()?
                    .into(),
            ),
            Value::Tuple(items) => Const::Tuple(
                items
                    .iter()
                    .map(Value::to_const)
                    .collect::<Option<Vec<_>>>()?
                    .into(),
            ),
            Value::Dict(d) => Const::Dict(
                d.borrow()
                    .values()
                    .map(|(k, v)| Some((k.to_const()?, v.to_const()?)))
                    .collect::<Option<Vec<_>>>()?
                    .into(),
            ),
            _ => return None,
        })
    }

    /// A fresh Python value for a row field (PromptSource deep-copies rows).
    pub(crate) fn from_datum(datum: &Datum) -> Value {
        match datum {
            Datum::None => Value::None,
            Datum::Bool(b) => Value::Bool(*b),
            Datum::Int(n) => Value::Int(*n),
            Datum::Float(f) => Value::Float(*f),
            Datum::Str(s) => Value::Str(s.clone()),
            Datum::Bytes(b) => Value::Bytes(b.clone()),
            Datum::List(items) => Value::list(items.iter().map(Value::from_datum).collect()),
            Datum::Dict(fields) => {
                let mut dict = Dict::with_capacity(fields.len());
                for (key, value) in fields.iter() {
                    dict.insert(
                        HashKey::Str(key.clone()),
                        (Value::Str(key.clone()), Value::from_datum(value)),
                    );
                }
                Value::dict(dict)
            }
            Datum::Display { str, repr } => Value::Opaque {
                str: str.clone(),
                repr: repr.clone(),
            },
        }
    }

    /// The items of an iterable, as Python's `iter()` yields them.
    pub(crate) fn iterate(&self) -> Result<Vec<Value>, Exc> {
        if let Some(len) = self.len() {
            if len > i64::MAX as usize {
                return Err(Exc::ssize_overflow());
            }
            if len > MAX_ITEMS {
                return Err(Exc::limit(format!(
                    "iterating over {len} items is more than a render may hold ({MAX_ITEMS})"
                )));
            }
            charge_items(len)?;
        }
        Ok(match self {
            Value::Undefined(_) => Vec::new(),
            Value::Str(s) => s
                .chars()
                .map(|c| Value::Str(Arc::from(c.to_string())))
                .collect(),
            Value::Bytes(b) => b.iter().map(|&x| Value::Int(x as i64)).collect(),
            Value::List(items) => items.borrow().clone(),
            Value::Tuple(items) => items.to_vec(),
            Value::Dict(d) => d.borrow().values().map(|(k, _)| k.clone()).collect(),
            Value::View(kind, d) => d
                .borrow()
                .values()
                .map(|(k, v)| match kind {
                    ViewKind::Keys => k.clone(),
                    ViewKind::Values => v.clone(),
                    ViewKind::Items => Value::tuple(vec![k.clone(), v.clone()]),
                })
                .collect(),
            Value::Range(r) => (0..r.len()).map(|i| Value::Int(r.get(i))).collect(),
            Value::Loop(l) => l.items.to_vec(),
            Value::Iter(_, rest) => rest.borrow_mut().by_ref().collect(),
            Value::Namespace(_) | Value::Cycler(_) | Value::Joiner(_) => {
                return Err(Exc::type_error(format!(
                    "'{}' object is not iterable",
                    self.type_name()
                )))
            }
            other => {
                return Err(Exc::type_error(format!(
                    "'{}' object is not iterable",
                    other.type_name()
                )))
            }
        })
    }
}

/// Inserts keeping the first key object, as Python's dict does on overwrite.
pub(crate) fn dict_insert(dict: &mut Dict, hash: HashKey, key: Value, value: Value) {
    match dict.get_mut(&hash) {
        Some(slot) => slot.1 = value,
        None => {
            dict.insert(hash, (key, value));
        }
    }
}

pub(crate) fn char_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Charges a list, tuple or dict of `count` values about to be made.
pub(crate) fn charge_items(count: usize) -> Result<(), Exc> {
    super::budget::charge(count.saturating_mul(std::mem::size_of::<Value>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_print_like_python() {
        let list = Value::list(vec![Value::str("a'b"), Value::str("c"), Value::Float(2.0)]);
        assert_eq!(&*list.to_str(), r#"["a'b", 'c', 2.0]"#);
        assert_eq!(&*Value::tuple(vec![Value::Int(1)]).to_str(), "(1,)");
        assert_eq!(
            &*Value::Range(PyRange {
                start: 0,
                stop: 3,
                step: 1
            })
            .to_str(),
            "range(0, 3)"
        );
    }

    #[test]
    fn numeric_keys_collapse() {
        let mut dict = Dict::new();
        for (key, value) in [
            (Value::Int(1), 2),
            (Value::Float(1.0), 3),
            (Value::Bool(true), 4),
        ] {
            let hash = key.hash_key().expect("hashable");
            dict_insert(&mut dict, hash, key, Value::Int(value));
        }
        assert_eq!(&*Value::dict(dict).to_str(), "{1: 4}");
    }

    #[test]
    fn comparing_unrelated_types_is_a_type_error() {
        let err = py_cmp(&Value::Int(1), &Value::str("a"), "<").expect_err("must fail");
        assert_eq!(
            err.message,
            "'<' not supported between instances of 'int' and 'str'"
        );
        assert!(py_eq(&Value::Int(1), &Value::Float(1.0)));
        assert!(py_eq(&Value::Bool(true), &Value::Int(1)));
    }
}
