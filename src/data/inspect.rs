//! What `promptstudio inspect` shows, as data: the schema with features, the
//! row count, a row (readable or JSON), and a column summary computed in one
//! streaming pass whose memory does not grow with the number of rows.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{json, Value};

use crate::core::datum::{Datum, Row};
use crate::data::error::DataError;
use crate::data::features::{format_cell, CellFormat, Feature};
use crate::data::source::{RowCount, Schema, Source};

/// The schema, one line per column: name, Arrow type, feature.
pub fn schema_text(schema: &Schema) -> String {
    let width = schema
        .columns
        .iter()
        .map(|column| column.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for column in &schema.columns {
        let data_type = column
            .data_type
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_else(|| "mixed".to_string());
        let _ = write!(out, "{:width$}  {data_type}", column.name);
        if let Some(feature) = &column.feature {
            let _ = write!(out, "  {}", feature.describe());
        }
        out.push('\n');
    }
    for warning in &schema.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    out
}

/// The schema as JSON: `[{"name", "type", "feature"}]`.
pub fn schema_json(schema: &Schema) -> Value {
    Value::Array(
        schema
            .columns
            .iter()
            .map(|column| {
                json!({
                    "name": column.name,
                    "type": column.data_type.as_ref().map(ToString::to_string),
                    "feature": column.feature.as_ref().map(Feature::describe),
                })
            })
            .collect(),
    )
}

/// `1,234 rows`, or `at least 1,234 rows (still counting)`.
pub fn row_count_text(count: RowCount) -> String {
    match count {
        RowCount::Exact(rows) => format!("{} rows", thousands(rows)),
        RowCount::AtLeast(rows) => format!("at least {} rows (still counting)", thousands(rows)),
    }
}

fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A row for a human: one `column: value` line per field, with features
/// applied (ClassLabel names, elided text, binary sizes).
pub fn row_text(row: &Row, schema: &Schema, format: &CellFormat) -> String {
    let width = row
        .fields
        .iter()
        .map(|(name, _)| name.chars().count())
        .max()
        .unwrap_or(0);
    // By name, as a row may have 100,000 columns.
    let features: HashMap<&str, &Feature> = schema
        .columns
        .iter()
        .filter_map(|column| Some((column.name.as_str(), column.feature.as_ref()?)))
        .collect();
    let mut out = String::new();
    for (name, value) in &row.fields {
        let feature = features.get(name.as_ref()).copied();
        let _ = writeln!(
            out,
            "{name:width$}  {}",
            format_cell(value, feature, format)
        );
    }
    out
}

/// A row as a JSON object (keys in column order). Python objects without a
/// JSON form become their `str()`; bytes become `{"$bytes": "<hex>"}`;
/// NaN and infinities, which JSON lacks, become `"nan"`, `"inf"`, `"-inf"`.
pub fn row_json(row: &Row) -> Value {
    Value::Object(
        row.fields
            .iter()
            .map(|(name, value)| (name.to_string(), datum_json(value)))
            .collect(),
    )
}

pub fn datum_json(datum: &Datum) -> Value {
    match datum {
        Datum::None => Value::Null,
        Datum::Bool(flag) => Value::Bool(*flag),
        Datum::Int(value) => Value::from(*value),
        Datum::Float(value) => serde_json::Number::from_f64(*value)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(crate::data::features::python_float_repr(*value))),
        Datum::Str(text) => Value::String(text.to_string()),
        Datum::Bytes(bytes) => {
            let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
            json!({ "$bytes": hex })
        }
        Datum::List(items) => Value::Array(items.iter().map(datum_json).collect()),
        Datum::Dict(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, value)| (key.to_string(), datum_json(value)))
                .collect(),
        ),
        Datum::Display { str, .. } => Value::String(str.to_string()),
    }
}

/// Statistics of one column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnSummary {
    pub name: String,
    /// Values seen, by Python type name (`str`, `int`, `float`, `bool`,
    /// `list`, `dict`, `bytes`, other class names shown as `object`).
    pub types: Vec<(String, u64)>,
    pub nulls: u64,
    /// Lengths in characters of the `str` values.
    pub string_lengths: Option<LengthStats>,
    /// Item counts of the `list` values.
    pub list_lengths: Option<LengthStats>,
    /// For ClassLabel columns: how often each label occurs (`-1` and labels
    /// outside the names are counted under `other`).
    pub labels: Option<Vec<(String, u64)>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LengthStats {
    pub min: u64,
    pub max: u64,
    pub mean: f64,
}

/// The summary of a source (or of its first `rows` rows).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub rows: u64,
    pub columns: Vec<ColumnSummary>,
}

#[derive(Default)]
struct LengthAccumulator {
    count: u64,
    total: u128,
    min: u64,
    max: u64,
}

impl LengthAccumulator {
    fn add(&mut self, length: u64) {
        self.min = if self.count == 0 {
            length
        } else {
            self.min.min(length)
        };
        self.max = self.max.max(length);
        self.total += u128::from(length);
        self.count += 1;
    }

    fn stats(&self) -> Option<LengthStats> {
        (self.count > 0).then(|| LengthStats {
            min: self.min,
            max: self.max,
            mean: self.total as f64 / self.count as f64,
        })
    }
}

struct ColumnAccumulator {
    name: String,
    label_names: Option<Vec<String>>,
    types: Vec<(&'static str, u64)>,
    nulls: u64,
    strings: LengthAccumulator,
    lists: LengthAccumulator,
    labels: Vec<u64>,
    other_labels: u64,
}

impl ColumnAccumulator {
    fn add(&mut self, value: &Datum) {
        let type_name = match value {
            Datum::None => {
                self.nulls += 1;
                return;
            }
            Datum::Bool(_) => "bool",
            Datum::Int(label) => {
                if let Some(names) = &self.label_names {
                    match usize::try_from(*label)
                        .ok()
                        .filter(|&index| index < names.len())
                    {
                        Some(index) => self.labels[index] += 1,
                        None => self.other_labels += 1,
                    }
                }
                "int"
            }
            Datum::Float(_) => "float",
            Datum::Str(text) => {
                self.strings.add(text.chars().count() as u64);
                "str"
            }
            Datum::Bytes(_) => "bytes",
            Datum::List(items) => {
                self.lists.add(items.len() as u64);
                "list"
            }
            Datum::Dict(_) => "dict",
            Datum::Display { .. } => "object",
        };
        match self.types.iter_mut().find(|(name, _)| *name == type_name) {
            Some((_, count)) => *count += 1,
            None => self.types.push((type_name, 1)),
        }
    }

    fn finish(self) -> ColumnSummary {
        let labels = self.label_names.map(|names| {
            let mut labels: Vec<(String, u64)> = names.into_iter().zip(self.labels).collect();
            if self.other_labels > 0 {
                labels.push(("other".to_string(), self.other_labels));
            }
            labels
        });
        ColumnSummary {
            name: self.name,
            types: self
                .types
                .into_iter()
                .map(|(name, count)| (name.to_string(), count))
                .collect(),
            nulls: self.nulls,
            string_lengths: self.strings.stats(),
            list_lengths: self.lists.stats(),
            labels,
        }
    }
}

/// ClassLabel tallies are kept only up to this many names, so a label set of
/// millions cannot make the summary large.
const MAX_TALLIED_LABELS: usize = 1000;

/// Summarises every column in one pass over at most `limit` rows, calling
/// `progress` with the rows done after each batch.
pub fn summarize(
    source: &dyn Source,
    limit: Option<u64>,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, DataError> {
    let schema = source.schema();
    let mut columns: Vec<ColumnAccumulator> = schema
        .columns
        .iter()
        .map(|column| {
            let label_names = match &column.feature {
                Some(Feature::ClassLabel { names }) if names.len() <= MAX_TALLIED_LABELS => {
                    Some(names.clone())
                }
                _ => None,
            };
            ColumnAccumulator {
                name: column.name.clone(),
                labels: vec![0; label_names.as_ref().map_or(0, Vec::len)],
                label_names,
                types: Vec::new(),
                nulls: 0,
                strings: LengthAccumulator::default(),
                lists: LengthAccumulator::default(),
                other_labels: 0,
            }
        })
        .collect();
    let mut rows = 0u64;
    'batches: for batch in source.batches(1024)? {
        for row in batch? {
            if limit.is_some_and(|limit| rows >= limit) {
                break 'batches;
            }
            for (field_index, (name, value)) in row.fields.iter().enumerate() {
                // Fields come in schema order unless projected or a JSON
                // line has extra keys: try the same index before searching.
                let position = match columns.get(field_index) {
                    Some(column) if column.name == name.as_ref() => Some(field_index),
                    _ => columns
                        .iter()
                        .position(|column| column.name == name.as_ref()),
                };
                match position {
                    Some(index) => columns[index].add(value),
                    None => {
                        let mut column = ColumnAccumulator {
                            name: name.to_string(),
                            label_names: None,
                            types: Vec::new(),
                            nulls: rows,
                            strings: LengthAccumulator::default(),
                            lists: LengthAccumulator::default(),
                            labels: Vec::new(),
                            other_labels: 0,
                        };
                        column.add(value);
                        columns.push(column);
                    }
                }
            }
            rows += 1;
        }
        progress(rows);
    }
    Ok(Summary {
        rows,
        columns: columns.into_iter().map(ColumnAccumulator::finish).collect(),
    })
}

/// The summary as a table for a human.
pub fn summary_text(summary: &Summary) -> String {
    let mut out = format!("{} rows summarised\n", thousands(summary.rows));
    for column in &summary.columns {
        let types: Vec<String> = column
            .types
            .iter()
            .map(|(name, count)| format!("{name} {}", thousands(*count)))
            .collect();
        let _ = write!(
            out,
            "{}: {}; nulls {}",
            column.name,
            if types.is_empty() {
                "no values".to_string()
            } else {
                types.join(", ")
            },
            thousands(column.nulls)
        );
        if let Some(lengths) = column.string_lengths {
            let _ = write!(
                out,
                "; text length min {} mean {:.1} max {}",
                lengths.min, lengths.mean, lengths.max
            );
        }
        if let Some(lengths) = column.list_lengths {
            let _ = write!(
                out,
                "; list length min {} mean {:.1} max {}",
                lengths.min, lengths.mean, lengths.max
            );
        }
        if let Some(labels) = &column.labels {
            let shown: Vec<String> = labels
                .iter()
                .map(|(name, count)| format!("{name} {}", thousands(*count)))
                .collect();
            let _ = write!(out, "; labels {}", shown.join(", "));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(10_000_000), "10,000,000");
    }

    #[test]
    fn json_has_a_form_for_every_value() {
        let row = Row::new(vec![
            ("nan".into(), Datum::Float(f64::NAN)),
            (
                "bytes".into(),
                Datum::Bytes(std::sync::Arc::from(&b"\x01\xff"[..])),
            ),
            (
                "date".into(),
                Datum::Display {
                    str: "2020-01-31".into(),
                    repr: "datetime.date(2020, 1, 31)".into(),
                },
            ),
        ]);
        assert_eq!(
            row_json(&row),
            json!({"nan": "nan", "bytes": {"$bytes": "01ff"}, "date": "2020-01-31"})
        );
    }
}
