//! JSON Lines: each line an object, its columns typed as pyarrow's JSON
//! reader types them.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields};
use indexmap::IndexMap;

use crate::core::datum::{Datum, Row};
use crate::data::error::DataError;
use crate::data::source::{Column, Schema};
use crate::data::text::json_value::{JsonKind, JsonObject, JsonValue};
use crate::data::text::python_json::{self, PythonJson};
use crate::data::text::records::{Record, RecordReader};
use crate::data::text::sample::{sample_records, Observed};

/// The columns of a JSON Lines file: each one's type unifies its sampled
/// values. Keyed by name: a line may have 100,000 keys.
pub(super) fn infer_schema(reader: &mut RecordReader) -> Result<Schema, DataError> {
    let mut columns: IndexMap<String, Option<DataType>> = IndexMap::new();
    let name = reader.name.clone();
    let warnings = sample_records(reader, |record| {
        match parse_json_object(record, &name)? {
            JsonLine::Serde(object) => observe_columns(&mut columns, &object),
            JsonLine::Python(object) => observe_columns(&mut columns, &object),
        }
        Ok(Observed::Kept)
    })?;
    Ok(Schema {
        columns: columns
            .into_iter()
            .map(|(name, data_type)| Column {
                name,
                data_type,
                feature: None,
            })
            .collect(),
        warnings,
    })
}

fn observe_columns<O: JsonObject>(columns: &mut IndexMap<String, Option<DataType>>, object: &O) {
    for (key, value) in object.entries() {
        let value_type = json_type(value);
        match columns.get_mut(key) {
            Some(known) => {
                *known = known
                    .take()
                    .and_then(|known| value_type.and_then(|new| unify(known, new)));
            }
            None => {
                columns.insert(key.to_string(), value_type);
            }
        }
    }
}

/// A line's object, from whichever parser could read it.
enum JsonLine {
    Serde(serde_json::Map<String, serde_json::Value>),
    Python(IndexMap<String, PythonJson>),
}

/// serde_json reads a line unless it holds what only Python reads
/// (`NaN`, `Infinity`, `1e999`) or what serde_json would read differently
/// (an integer outside `i64`, or `-0`, becomes a float there); those lines are read
/// by Python's rules. A line neither reads is reported with serde_json's
/// message.
fn parse_json_object(record: &Record, name: &Path) -> Result<JsonLine, DataError> {
    let text = record.text.as_str();
    let line_error = |message: String| DataError::Line {
        path: name.to_path_buf(),
        line: record.line,
        message,
    };
    if !python_json::serde_may_misread(text) {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
            return match value {
                serde_json::Value::Object(object) => Ok(JsonLine::Serde(object)),
                other => Err(line_error(not_an_object(&other))),
            };
        }
    }
    match python_json::parse(text) {
        Ok(PythonJson::Object(object)) => Ok(JsonLine::Python(object)),
        Ok(other) => Err(line_error(not_an_object(&other))),
        Err(own) => {
            let message = match serde_json::from_str::<serde::de::IgnoredAny>(text) {
                Err(error) => error.to_string(),
                Ok(_) => own.to_string(),
            };
            Err(line_error(format!("not JSON: {message}")))
        }
    }
}

fn not_an_object<V: JsonValue>(value: &V) -> String {
    let found = match value.kind() {
        JsonKind::Array(_) => "an array",
        JsonKind::Str(_) => "a string",
        JsonKind::Int(_) | JsonKind::BigInt(_) | JsonKind::Float(_) => "a number",
        JsonKind::Bool(_) => "a boolean",
        JsonKind::Null | JsonKind::Object(_) => "null",
    };
    format!("expected a JSON object, found {found}")
}

/// The Arrow type of a JSON value; `None` when its items disagree, or for
/// an integer no Arrow integer holds (it stays Python's `int`).
fn json_type<V: JsonValue>(value: &V) -> Option<DataType> {
    Some(match value.kind() {
        JsonKind::Null => DataType::Null,
        JsonKind::Bool(_) => DataType::Boolean,
        JsonKind::Int(_) => DataType::Int64,
        JsonKind::BigInt(_) => return None,
        JsonKind::Float(_) => DataType::Float64,
        JsonKind::Str(_) => DataType::Utf8,
        JsonKind::Array(items) => {
            let mut item = DataType::Null;
            for value in items {
                item = unify(item, json_type(value)?)?;
            }
            DataType::List(Arc::new(Field::new("item", item, true)))
        }
        JsonKind::Object(object) => {
            let mut fields: Vec<(String, DataType)> = Vec::new();
            for (key, value) in object.entries() {
                fields.push((key.to_string(), json_type(value)?));
            }
            struct_of(fields)
        }
    })
}

fn struct_of(fields: Vec<(String, DataType)>) -> DataType {
    DataType::Struct(Fields::from(
        fields
            .into_iter()
            .map(|(name, data_type)| Field::new(name, data_type, true))
            .collect::<Vec<_>>(),
    ))
}

/// The type holding values of both types, as pyarrow's JSON reader unifies
/// them; `None` when there is none.
fn unify(left: DataType, right: DataType) -> Option<DataType> {
    match (left, right) {
        (DataType::Null, other) | (other, DataType::Null) => Some(other),
        (DataType::Int64, DataType::Float64) | (DataType::Float64, DataType::Int64) => {
            Some(DataType::Float64)
        }
        (DataType::List(left), DataType::List(right)) => {
            let item = unify(left.data_type().clone(), right.data_type().clone())?;
            Some(DataType::List(Arc::new(Field::new("item", item, true))))
        }
        (DataType::Struct(left), DataType::Struct(right)) => {
            let mut fields: IndexMap<String, DataType> = left
                .iter()
                .map(|field| (field.name().clone(), field.data_type().clone()))
                .collect();
            for field in right.iter() {
                match fields.get_mut(field.name()) {
                    Some(known) => {
                        *known = unify(known.clone(), field.data_type().clone())?;
                    }
                    None => {
                        fields.insert(field.name().clone(), field.data_type().clone());
                    }
                }
            }
            Some(struct_of(fields.into_iter().collect()))
        }
        (left, right) if left == right => Some(left),
        _ => None,
    }
}

/// A JSON value shaped by its column's inferred type (see the module docs).
fn conform<V: JsonValue>(value: &V, data_type: Option<&DataType>) -> Datum {
    match (value.kind(), data_type) {
        (JsonKind::Float(float), Some(DataType::Float64)) => Datum::Float(float),
        (JsonKind::Int(int), Some(DataType::Float64)) => Datum::Float(int as f64),
        // A column of floats holds a later huge integer as the nearest float.
        (JsonKind::BigInt(digits), Some(DataType::Float64)) => {
            Datum::Float(digits.parse().unwrap_or(f64::NAN))
        }
        (JsonKind::Array(items), Some(DataType::List(item))) => Datum::List(
            items
                .iter()
                .map(|value| conform(value, Some(item.data_type())))
                .collect(),
        ),
        (JsonKind::Object(object), Some(DataType::Struct(fields))) => {
            let mut entries = Vec::with_capacity(fields.len());
            let mut found = 0;
            for field in fields {
                let value = match object.get(field.name()) {
                    Some(value) => {
                        found += 1;
                        conform(value, Some(field.data_type()))
                    }
                    None => Datum::None,
                };
                entries.push((Arc::from(field.name().as_str()), value));
            }
            push_unknown_keys(
                &mut entries,
                object,
                found,
                fields.iter().map(|field| field.name().as_str()),
            );
            Datum::Dict(entries.into())
        }
        _ => value.to_datum(),
    }
}

pub(super) fn json_row(record: &Record, schema: &Schema, name: &Path) -> Result<Row, DataError> {
    Ok(match parse_json_object(record, name)? {
        JsonLine::Serde(object) => row_of(&object, schema),
        JsonLine::Python(object) => row_of(&object, schema),
    })
}

fn row_of<O: JsonObject>(object: &O, schema: &Schema) -> Row {
    let mut fields = Vec::with_capacity(schema.columns.len());
    let mut found = 0;
    for column in &schema.columns {
        let value = match object.get(&column.name) {
            Some(value) => {
                found += 1;
                conform(value, column.data_type.as_ref())
            }
            None => Datum::None,
        };
        fields.push((Arc::from(column.name.as_str()), value));
    }
    push_unknown_keys(
        &mut fields,
        object,
        found,
        schema.columns.iter().map(|column| column.name.as_str()),
    );
    Row::new(fields)
}

/// Appends the keys of `object` that are not among `known` (of which
/// `found` are in the object), in the object's order. Only an object with
/// keys beyond the known ones pays for a set of the known names, so rows
/// stay linear in their width.
fn push_unknown_keys<'a, O: JsonObject>(
    entries: &mut Vec<(Arc<str>, Datum)>,
    object: &O,
    found: usize,
    known: impl Iterator<Item = &'a str>,
) {
    if found == object.key_count() {
        return;
    }
    let known: HashSet<&str> = known.collect();
    for (key, value) in object.entries() {
        if !known.contains(key) {
            entries.push((Arc::from(key), value.to_datum()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::source::Column;

    #[test]
    fn json_types_unify_like_pyarrow() {
        let int = json_type(&serde_json::json!(1)).expect("typed");
        let float = json_type(&serde_json::json!(1.5)).expect("typed");
        assert_eq!(unify(int.clone(), float), Some(DataType::Float64));
        assert_eq!(unify(int, DataType::Utf8), None);
        let merged = unify(
            json_type(&serde_json::json!({"a": 1})).expect("typed"),
            json_type(&serde_json::json!({"b": "x", "a": null})).expect("typed"),
        )
        .expect("structs merge");
        assert_eq!(
            merged,
            struct_of(vec![
                ("a".into(), DataType::Int64),
                ("b".into(), DataType::Utf8)
            ])
        );
    }

    #[test]
    fn json_rows_list_columns_then_unknown_keys_in_their_order() {
        let schema = Schema {
            columns: vec![
                Column {
                    name: "b".into(),
                    data_type: Some(DataType::Float64),
                    feature: None,
                },
                Column {
                    name: "a".into(),
                    data_type: Some(DataType::Int64),
                    feature: None,
                },
            ],
            warnings: Vec::new(),
        };
        let record = Record {
            line: 1,
            text: r#"{"z": 1, "a": 2, "y": {"k": 1}, "b": 3}"#.into(),
        };
        let row = json_row(&record, &schema, Path::new("t.jsonl")).expect("row");
        let names: Vec<&str> = row.column_names().collect();
        assert_eq!(names, ["b", "a", "z", "y"]);
        assert_eq!(row.get("b"), Some(&Datum::Float(3.0)));
        let record = Record {
            line: 2,
            text: r#"{"a": 2}"#.into(),
        };
        let row = json_row(&record, &schema, Path::new("t.jsonl")).expect("row");
        assert_eq!(row.get("b"), Some(&Datum::None));
        assert_eq!(row.fields.len(), 2);
    }
}
