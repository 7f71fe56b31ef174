//! One view of a parsed JSON value, whichever parser read it: serde_json
//! for the common line, [`PythonJson`] for the lines only Python reads
//! (`NaN`, `Infinity`, `1e999`, integers outside `i64`). Typing and rows
//! are written once against this view.

use std::borrow::Cow;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::core::datum::Datum;
use crate::data::text::python_json::PythonJson;

/// What a JSON value is, borrowed from either parser's tree.
pub(super) enum JsonKind<'a, V: JsonValue> {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer outside `i64`, as its decimal digits.
    BigInt(Cow<'a, str>),
    Float(f64),
    Str(&'a str),
    Array(&'a [V]),
    Object(&'a V::Object),
}

pub(super) trait JsonValue: Sized {
    type Object: JsonObject<Value = Self>;

    fn kind(&self) -> JsonKind<'_, Self>;

    /// The value as Python's `json.loads` gives it.
    fn to_datum(&self) -> Datum {
        match self.kind() {
            JsonKind::Null => Datum::None,
            JsonKind::Bool(flag) => Datum::Bool(flag),
            JsonKind::Int(int) => Datum::Int(int),
            // An `int` Python prints in full, inside a container too.
            JsonKind::BigInt(digits) => Datum::Display {
                str: Arc::from(digits.as_ref()),
                repr: Arc::from(digits.as_ref()),
            },
            JsonKind::Float(float) => Datum::Float(float),
            JsonKind::Str(text) => Datum::str(text),
            JsonKind::Array(items) => Datum::List(items.iter().map(Self::to_datum).collect()),
            JsonKind::Object(object) => Datum::Dict(
                object
                    .entries()
                    .map(|(key, value)| (Arc::from(key), value.to_datum()))
                    .collect(),
            ),
        }
    }
}

pub(super) trait JsonObject {
    type Value: JsonValue;

    fn key_count(&self) -> usize;

    fn get(&self, key: &str) -> Option<&Self::Value>;

    /// The entries in the order of the line.
    fn entries(&self) -> impl Iterator<Item = (&str, &Self::Value)>;
}

impl JsonValue for serde_json::Value {
    type Object = serde_json::Map<String, serde_json::Value>;

    fn kind(&self) -> JsonKind<'_, Self> {
        use serde_json::Value;
        match self {
            Value::Null => JsonKind::Null,
            Value::Bool(flag) => JsonKind::Bool(*flag),
            Value::Number(number) => match (number.as_i64(), number.as_u64()) {
                (Some(int), _) => JsonKind::Int(int),
                (None, Some(big)) => JsonKind::BigInt(Cow::Owned(big.to_string())),
                (None, None) => JsonKind::Float(number.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(text) => JsonKind::Str(text),
            Value::Array(items) => JsonKind::Array(items),
            Value::Object(object) => JsonKind::Object(object),
        }
    }
}

impl JsonObject for serde_json::Map<String, serde_json::Value> {
    type Value = serde_json::Value;

    fn key_count(&self) -> usize {
        self.len()
    }

    fn get(&self, key: &str) -> Option<&serde_json::Value> {
        serde_json::Map::get(self, key)
    }

    fn entries(&self) -> impl Iterator<Item = (&str, &serde_json::Value)> {
        self.iter().map(|(key, value)| (key.as_str(), value))
    }
}

impl JsonValue for PythonJson {
    type Object = IndexMap<String, PythonJson>;

    fn kind(&self) -> JsonKind<'_, Self> {
        match self {
            PythonJson::Null => JsonKind::Null,
            PythonJson::Bool(flag) => JsonKind::Bool(*flag),
            PythonJson::Int(int) => JsonKind::Int(*int),
            PythonJson::BigInt(digits) => JsonKind::BigInt(Cow::Borrowed(digits)),
            PythonJson::Float(float) => JsonKind::Float(*float),
            PythonJson::Str(text) => JsonKind::Str(text),
            PythonJson::Array(items) => JsonKind::Array(items),
            PythonJson::Object(object) => JsonKind::Object(object),
        }
    }
}

impl JsonObject for IndexMap<String, PythonJson> {
    type Value = PythonJson;

    fn key_count(&self) -> usize {
        self.len()
    }

    fn get(&self, key: &str) -> Option<&PythonJson> {
        IndexMap::get(self, key)
    }

    fn entries(&self) -> impl Iterator<Item = (&str, &PythonJson)> {
        self.iter().map(|(key, value)| (key.as_str(), value))
    }
}
