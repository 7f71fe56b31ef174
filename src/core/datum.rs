//! Row values as the Hugging Face `datasets` library yields them.
//!
//! `Datum` is the boundary between the data layer (which builds it from Arrow,
//! JSON or CSV) and the template engine (which turns it into its own mutable
//! Python-like values for every `apply`). Keeping it plain and immutable lets
//! rows cross threads and be shared between templates without copying text.

use std::sync::Arc;

/// One value of a row, shaped like the Python object `datasets` returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    /// Python `None`: a null cell.
    None,
    Bool(bool),
    /// Python `int`. ClassLabel columns arrive as their integer (test splits use -1).
    Int(i64),
    /// Python `float`. float32 columns are widened exactly as pyarrow does.
    Float(f64),
    Str(Arc<str>),
    /// Python `bytes` (binary columns).
    Bytes(Arc<[u8]>),
    /// Python `list` (Arrow lists; a `Sequence` of scalars).
    List(Arc<[Datum]>),
    /// Python `dict` with keys in schema order (Arrow structs; a `Sequence` of a
    /// dict arrives as a dict of lists, as `datasets` yields it).
    Dict(Arc<[(Arc<str>, Datum)]>),
    /// A value Python would show through its own `str()`, e.g. `datetime.date`
    /// (`2020-01-31`) or `decimal.Decimal`. `repr` is what it shows inside a container.
    Display {
        str: Arc<str>,
        repr: Arc<str>,
    },
}

/// A row: the top-level fields in column order, with their original names
/// (the hyphen rename is PromptSource's and happens in the engine).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    pub fields: Vec<(Arc<str>, Datum)>,
}

impl Row {
    pub fn new(fields: Vec<(Arc<str>, Datum)>) -> Self {
        Row { fields }
    }

    pub fn get(&self, name: &str) -> Option<&Datum> {
        self.fields
            .iter()
            .find(|(key, _)| key.as_ref() == name)
            .map(|(_, value)| value)
    }

    pub fn column_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(key, _)| key.as_ref())
    }
}

impl Datum {
    pub fn str(text: &str) -> Datum {
        Datum::Str(Arc::from(text))
    }

    /// Converts parsed JSON into the value `datasets` would yield for it
    /// (objects keep their key order; integers that fit stay ints).
    pub fn from_json(value: &serde_json::Value) -> Datum {
        match value {
            serde_json::Value::Null => Datum::None,
            serde_json::Value::Bool(flag) => Datum::Bool(*flag),
            serde_json::Value::Number(number) => match number.as_i64() {
                Some(int) => Datum::Int(int),
                None => Datum::Float(number.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(text) => Datum::str(text),
            serde_json::Value::Array(items) => {
                Datum::List(items.iter().map(Datum::from_json).collect())
            }
            serde_json::Value::Object(map) => Datum::Dict(
                map.iter()
                    .map(|(key, value)| (Arc::from(key.as_str()), Datum::from_json(value)))
                    .collect(),
            ),
        }
    }
}
