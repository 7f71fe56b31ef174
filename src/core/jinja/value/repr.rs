//! Python's `str()` and `repr()` of values.

use std::fmt::Write as _;
use std::sync::Arc;

use super::*;

impl Value {
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
