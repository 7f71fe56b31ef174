//! The Python value model templates compute with: Python's types, `str()` and
//! `repr()`, truthiness, equality, ordering and dict hashing. Containers are
//! shared by reference and mutable, as in Python (`xs.append(x)` is seen by
//! every name bound to `xs`).

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::Arc;

use indexmap::IndexMap;

use super::error::Exc;
use crate::core::datum::Datum;
use crate::core::py::float::float_repr;
pub(crate) use crate::core::py::strings::is_python_space;
use crate::core::py::strings::str_repr;

/// Most items a render materialises at once (a list, a range or a string
/// turned into a list); beyond this a template is exploding.
pub(crate) const MAX_ITEMS: usize = 16 << 20;

/// A compile-time constant: what Jinja2's optimizer may fold an expression
/// into. Unlike [`Value`] it is thread-safe, so compiled templates can be shared.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Const {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    List(Arc<[Const]>),
    Tuple(Arc<[Const]>),
    Dict(Arc<[(Const, Const)]>),
    Range(PyRange),
}

/// Python's `range` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PyRange {
    pub start: i64,
    pub stop: i64,
    pub step: i64,
}

impl PyRange {
    pub(crate) fn len(&self) -> usize {
        let (lo, hi, step) = if self.step > 0 {
            (self.start as i128, self.stop as i128, self.step as i128)
        } else {
            (self.stop as i128, self.start as i128, -(self.step as i128))
        };
        if lo >= hi {
            0
        } else {
            ((hi - lo - 1) / step + 1) as usize
        }
    }

    /// The item at `index < len()`; always within `start..stop`, so it fits.
    pub(crate) fn get(&self, index: usize) -> i64 {
        (self.start as i128 + self.step as i128 * index as i128) as i64
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ViewKind {
    Keys,
    Values,
    Items,
}

/// Why a value is undefined; turned into Jinja2's message only when needed.
#[derive(Debug, Clone)]
pub(crate) enum UndefinedReason {
    /// A name that is not defined: `'x' is undefined`.
    Name(Arc<str>),
    /// `obj.name` missing: `'dict object' has no attribute 'name'`.
    Attribute { owner: String, name: Arc<str> },
    /// `obj[key]` missing with a non-string key: `list object has no element 1`.
    Element { owner: String, key_repr: String },
    /// A fixed message, e.g. `No first item, sequence was empty.`
    Hint(String),
    /// An attribute the chat-template sandbox hides: renders as nothing,
    /// and using it raises `SecurityError` with this message.
    Unsafe(String),
}

impl UndefinedReason {
    pub(crate) fn message(&self) -> String {
        match self {
            UndefinedReason::Name(name) => format!("{} is undefined", str_repr(name)),
            UndefinedReason::Attribute { owner, name } => {
                format!("{} has no attribute {}", str_repr(owner), str_repr(name))
            }
            UndefinedReason::Element { owner, key_repr } => {
                format!("{owner} has no element {key_repr}")
            }
            UndefinedReason::Hint(hint) | UndefinedReason::Unsafe(hint) => hint.clone(),
        }
    }
}

pub(crate) type Dict = IndexMap<HashKey, (Value, Value)>;

/// Nesting of lists, tuples and dicts `repr` descends into (Python's own
/// recursion limit stops it near 1,000).
pub(crate) const MAX_VALUE_DEPTH: usize = 1_000;

/// A function value: globals, bound methods, macros and the helpers `loop`,
/// `cycler` and `joiner` hand out.
#[derive(Debug)]
pub(crate) enum Func {
    Global(&'static str),
    /// `receiver.name`, looked up from the receiver's Python type.
    Method(Value, &'static str),
    Macro(Rc<super::eval::MacroValue>),
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

    /// Python's `str(value)`; Undefined prints as nothing.
    pub(crate) fn to_str(&self) -> Arc<str> {
        match self {
            Value::Str(s) => s.clone(),
            Value::Opaque { str, .. } => str.clone(),
            other => {
                let mut out = String::new();
                other.write_str(&mut out);
                Arc::from(out)
            }
        }
    }

    /// Appends Python's `str(value)` to `out`.
    pub(crate) fn write_str(&self, out: &mut String) {
        match self {
            Value::Undefined(_) => {}
            Value::Str(s) => out.push_str(s),
            Value::Opaque { str, .. } => out.push_str(str),
            Value::Namespace(d) => {
                out.push_str("<Namespace ");
                write_dict(&d.borrow(), out, &mut Vec::new());
                out.push('>');
            }
            other => other.write_repr(out, &mut Vec::new()),
        }
    }

    pub(crate) fn repr(&self) -> String {
        let mut out = String::new();
        self.write_repr(&mut out, &mut Vec::new());
        out
    }

    /// Appends Python's `repr(value)`; `seen` guards against containers that
    /// contain themselves (Python prints `[...]`).
    fn write_repr(&self, out: &mut String, seen: &mut Vec<usize>) {
        if seen.len() >= MAX_VALUE_DEPTH
            && matches!(self, Value::List(_) | Value::Tuple(_) | Value::Dict(_))
        {
            // Python raises RecursionError about here; `str()` cannot fail,
            // so the deeper part is elided rather than overflow the stack.
            out.push_str("...");
            return;
        }
        match self {
            Value::Undefined(_) => out.push_str("Undefined"),
            Value::None => out.push_str("None"),
            Value::Bool(true) => out.push_str("True"),
            Value::Bool(false) => out.push_str("False"),
            Value::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Float(f) => out.push_str(&float_repr(*f)),
            Value::Str(s) => out.push_str(&str_repr(s)),
            Value::Bytes(b) => out.push_str(&bytes_repr(b)),
            Value::Opaque { repr, .. } => out.push_str(repr),
            Value::List(items) => {
                let id = Rc::as_ptr(items) as *const () as usize;
                if seen.contains(&id) {
                    out.push_str("[...]");
                    return;
                }
                seen.push(id);
                out.push('[');
                write_items(&items.borrow(), out, seen);
                out.push(']');
                seen.pop();
            }
            Value::Tuple(items) => {
                // Tuples cannot contain themselves; 0 only counts the depth.
                seen.push(0);
                out.push('(');
                write_items(items, out, seen);
                if items.len() == 1 {
                    out.push(',');
                }
                out.push(')');
                seen.pop();
            }
            Value::Dict(d) => {
                let id = Rc::as_ptr(d) as *const () as usize;
                if seen.contains(&id) {
                    out.push_str("{...}");
                    return;
                }
                seen.push(id);
                write_dict(&d.borrow(), out, seen);
                seen.pop();
            }
            Value::Range(r) => {
                if r.step == 1 {
                    let _ = write!(out, "range({}, {})", r.start, r.stop);
                } else {
                    let _ = write!(out, "range({}, {}, {})", r.start, r.stop, r.step);
                }
            }
            Value::View(kind, d) => {
                let d = d.borrow();
                let (name, items): (&str, Vec<Value>) = match kind {
                    ViewKind::Keys => ("dict_keys", d.values().map(|(k, _)| k.clone()).collect()),
                    ViewKind::Values => {
                        ("dict_values", d.values().map(|(_, v)| v.clone()).collect())
                    }
                    ViewKind::Items => (
                        "dict_items",
                        d.values()
                            .map(|(k, v)| Value::tuple(vec![k.clone(), v.clone()]))
                            .collect(),
                    ),
                };
                out.push_str(name);
                out.push_str("([");
                write_items(&items, out, seen);
                out.push_str("])");
            }
            Value::Namespace(_) => out.push_str("<jinja2.utils.Namespace object>"),
            Value::Func(func) => match func.as_ref() {
                Func::Global(name) => {
                    let _ = write!(out, "<built-in function {name}>");
                }
                Func::Method(recv, name) => {
                    let _ = write!(
                        out,
                        "<built-in method {name} of {} object>",
                        recv.type_name()
                    );
                }
                Func::Macro(m) => {
                    let _ = write!(out, "<Macro '{}'>", m.name);
                }
                Func::LoopCycle(_) | Func::LoopChanged(_) => {
                    out.push_str("<bound method of LoopContext>")
                }
            },
            Value::Loop(state) => {
                let _ = write!(
                    out,
                    "<LoopContext {}/{}>",
                    state.index0.get() + 1,
                    state.length
                );
            }
            Value::Cycler(_) => out.push_str("<jinja2.utils.Cycler object>"),
            Value::Joiner(_) => out.push_str("<jinja2.utils.Joiner object>"),
            Value::Iter(kind, _) => {
                let _ = write!(out, "<{kind} object>");
            }
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
                            "RecursionError",
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
                return Err(super::filters::ssize_overflow());
            }
            if len > MAX_ITEMS {
                return Err(Exc::limit(format!(
                    "iterating over {len} items is more than a render may hold ({MAX_ITEMS})"
                )));
            }
            super::budget::charge_items(len)?;
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

fn write_items(items: &[Value], out: &mut String, seen: &mut Vec<usize>) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        item.write_repr(out, seen);
    }
}

fn write_dict(dict: &Dict, out: &mut String, seen: &mut Vec<usize>) {
    out.push('{');
    for (i, (key, value)) in dict.values().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        key.write_repr(out, seen);
        out.push_str(": ");
        value.write_repr(out, seen);
    }
    out.push('}');
}

fn bytes_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from("b");
    out.push(quote);
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if b as char == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push(quote);
    out
}

thread_local! {
    /// Nesting of containers `py_eq` and `py_cmp` are inside.
    static COMPARE_DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Python's error for comparing values nested past its recursion limit.
fn compare_too_deep() -> Exc {
    Exc::new(
        "RecursionError",
        "maximum recursion depth exceeded in comparison",
    )
}

/// Runs one level of a container comparison, or None past
/// [`MAX_VALUE_DEPTH`] (Python would raise `RecursionError`).
fn nested_compare<T>(compare: impl FnOnce() -> T) -> Option<T> {
    let depth = COMPARE_DEPTH.with(Cell::get);
    if depth >= MAX_VALUE_DEPTH {
        return None;
    }
    COMPARE_DEPTH.with(|d| d.set(depth + 1));
    let result = compare();
    COMPARE_DEPTH.with(|d| d.set(depth));
    Some(result)
}

/// Python `==`. Never fails; values of unrelated types are unequal.
pub(crate) fn py_eq(a: &Value, b: &Value) -> bool {
    use Value::*;
    if matches!(
        (a, b),
        (List(_), List(_)) | (Tuple(_), Tuple(_)) | (Dict(_), Dict(_))
    ) {
        // `==` cannot fail here: the evaluator raises the error once the
        // operation that compared returns.
        return nested_compare(|| py_eq_values(a, b)).unwrap_or_else(|| {
            super::budget::fail_later(compare_too_deep());
            false
        });
    }
    py_eq_values(a, b)
}

fn py_eq_values(a: &Value, b: &Value) -> bool {
    use Value::*;
    match (a, b) {
        (Undefined(_), Undefined(_)) => true,
        (None, None) => true,
        (Bool(_) | Int(_) | Float(_), Bool(_) | Int(_) | Float(_)) => num_eq(a, b),
        (Str(x), Str(y)) => x == y,
        (Bytes(x), Bytes(y)) => x == y,
        (List(x), List(y)) => Rc::ptr_eq(x, y) || seq_eq(&x.borrow(), &y.borrow()),
        (Tuple(x), Tuple(y)) => seq_eq(x, y),
        (Dict(x), Dict(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.iter()
                    .all(|(k, (_, v))| y.get(k).is_some_and(|(_, w)| py_eq(v, w)))
        }
        (Range(x), Range(y)) => {
            let (lx, ly) = (x.len(), y.len());
            lx == ly && (lx == 0 || (x.start == y.start && (lx == 1 || x.step == y.step)))
        }
        (Opaque { repr: x, .. }, Opaque { repr: y, .. }) => x == y,
        (Namespace(x), Namespace(y)) => Rc::ptr_eq(x, y),
        (Func(x), Func(y)) => Rc::ptr_eq(x, y),
        (Loop(x), Loop(y)) => Rc::ptr_eq(x, y),
        (View(k1, x), View(k2, y)) => k1 == k2 && Rc::ptr_eq(x, y),
        _ => false,
    }
}

fn seq_eq(x: &[Value], y: &[Value]) -> bool {
    x.len() == y.len() && x.iter().zip(y).all(|(a, b)| py_eq(a, b))
}

fn num_eq(a: &Value, b: &Value) -> bool {
    match (as_int(a), as_int(b)) {
        (Some(x), Some(y)) => x == y,
        _ => as_f64(a) == as_f64(b),
    }
}

pub(crate) fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Bool(b) => Some(*b as i64),
        Value::Int(n) => Some(*n),
        _ => None,
    }
}

pub(crate) fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Bool(b) => Some(*b as i64 as f64),
        Value::Int(n) => Some(*n as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// Python's ordering for `<`-style comparisons; `op` names the operator in
/// the `TypeError` for unrelated types.
pub(crate) fn py_cmp(a: &Value, b: &Value, op: &str) -> Result<std::cmp::Ordering, Exc> {
    if matches!(
        (a, b),
        (Value::List(_), Value::List(_)) | (Value::Tuple(_), Value::Tuple(_))
    ) {
        return nested_compare(|| py_cmp_values(a, b, op))
            .unwrap_or_else(|| Err(compare_too_deep()));
    }
    py_cmp_values(a, b, op)
}

fn py_cmp_values(a: &Value, b: &Value, op: &str) -> Result<std::cmp::Ordering, Exc> {
    use std::cmp::Ordering;
    use Value::*;
    let incomparable = || {
        Exc::type_error(format!(
            "'{op}' not supported between instances of '{}' and '{}'",
            a.type_name(),
            b.type_name()
        ))
    };
    match (a, b) {
        (Undefined(u), _) | (_, Undefined(u)) => Err(Exc::undefined(u)),
        (Bool(_) | Int(_) | Float(_), Bool(_) | Int(_) | Float(_)) => {
            if let (Some(x), Some(y)) = (as_int(a), as_int(b)) {
                return Ok(x.cmp(&y));
            }
            let (x, y) = (as_f64(a).unwrap_or(0.0), as_f64(b).unwrap_or(0.0));
            // NaN compares false every way; Equal makes `<` and `>` false.
            Ok(x.partial_cmp(&y).unwrap_or(Ordering::Equal))
        }
        (Str(x), Str(y)) => Ok(x.as_ref().cmp(y.as_ref())),
        (Bytes(x), Bytes(y)) => Ok(x.as_ref().cmp(y.as_ref())),
        (List(x), List(y)) => seq_cmp(&x.borrow(), &y.borrow(), op),
        (Tuple(x), Tuple(y)) => seq_cmp(x, y, op),
        _ => Err(incomparable()),
    }
}

fn seq_cmp(x: &[Value], y: &[Value], op: &str) -> Result<std::cmp::Ordering, Exc> {
    for (a, b) in x.iter().zip(y) {
        if !py_eq(a, b) {
            return py_cmp(a, b, op);
        }
    }
    Ok(x.len().cmp(&y.len()))
}

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
