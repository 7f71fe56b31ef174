//! Jinja2's built-in filters (3.1 semantics) and PromptSource's `choice`,
//! `most_frequent` and `highlight`, one function each, grouped by what they
//! work on; `registry` names them. This file holds what they share.

use std::collections::HashSet;
use std::sync::Arc;

use super::ast::BinOp;
use super::budget::{self, MAX_OUTPUT_BYTES};
use super::error::{ErrorKind, Exc};
use super::format::percent_format;
use super::json::to_json;
use super::methods::{self, sort_values};
use super::ops;
use super::state::{CallArgs, State};
use super::value::*;
use crate::core::py::float::{parse_python_float, parse_python_int, round_half_even};
use crate::core::py::strings::{self as pystr, is_python_space, str_repr};

pub(super) use super::state::R;

pub(super) mod map_select;
pub(super) mod numbers;
pub(super) mod promptsource;
pub(super) mod sequences;
pub(super) mod strings;

fn bool_arg(value: Option<Value>) -> bool {
    value.is_some_and(|v| v.truthy())
}

pub(crate) fn int_param(value: Option<Value>, default: i64, what: &str) -> R<i64> {
    match value {
        None => Ok(default),
        Some(v) => match &v {
            Value::Int(_) | Value::Bool(_) => Ok(as_int(&v).unwrap_or(default)),
            Value::Undefined(u) => Err(Exc::undefined(u)),
            other => Err(Exc::type_error(format!(
                "{what}: '{}' object cannot be interpreted as an integer",
                other.type_name()
            ))),
        },
    }
}

fn lower_if_str(value: Value) -> Value {
    match &value {
        Value::Str(s) => Value::Str(Arc::from(pystr::lower(s))),
        _ => value,
    }
}

/// `_prepare_attribute_parts`: `"a.0.b"` -> `a`, `0`, `b`.
fn attribute_parts(attribute: &Value) -> Vec<Value> {
    match attribute {
        Value::Str(s) => s
            .split('.')
            .map(|part| {
                if !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()) {
                    part.parse()
                        .map(Value::Int)
                        .unwrap_or_else(|_| Value::str(part))
                } else {
                    Value::str(part)
                }
            })
            .collect(),
        Value::None => Vec::new(),
        other => vec![other.clone()],
    }
}

fn get_path(item: &Value, parts: &[Value], default: Option<&Value>) -> R<Value> {
    let mut value = item.clone();
    for part in parts {
        value = ops::getitem(&value, part)?;
        if let (Some(default), true) = (default, value.is_undefined()) {
            value = default.clone();
        }
    }
    Ok(value)
}

fn take1(v: Vec<Option<Value>>) -> [Option<Value>; 1] {
    let mut it = v.into_iter();
    [it.next().flatten()]
}

fn take2(v: Vec<Option<Value>>) -> [Option<Value>; 2] {
    let mut it = v.into_iter();
    [it.next().flatten(), it.next().flatten()]
}

fn take3(v: Vec<Option<Value>>) -> [Option<Value>; 3] {
    let mut it = v.into_iter();
    [
        it.next().flatten(),
        it.next().flatten(),
        it.next().flatten(),
    ]
}

pub(crate) fn take4(v: Vec<Option<Value>>) -> [Option<Value>; 4] {
    let mut it = v.into_iter();
    [
        it.next().flatten(),
        it.next().flatten(),
        it.next().flatten(),
        it.next().flatten(),
    ]
}
