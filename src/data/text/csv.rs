//! CSV and TSV: a header, then records typed as pandas' `read_csv` types
//! them.

use std::path::Path;
use std::sync::Arc;

use arrow_schema::DataType;

use crate::core::datum::{Datum, Row};
use crate::data::error::DataError;
use crate::data::source::{Column, Schema};
use crate::data::text::records::{Record, RecordReader};
use crate::data::text::sample::{sample_records, Observed};

/// pandas' default missing-value markers (`read_csv(na_values=...)`).
const CSV_MISSING: &[&str] = &[
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// The columns of a CSV file: the header's names, each typed by its
/// sampled values. A record that does not split ends the sample quietly:
/// reading its row reports it.
pub(super) fn infer_schema(
    reader: &mut RecordReader,
    header: &[Arc<str>],
    delimiter: u8,
) -> Result<Schema, DataError> {
    let mut kinds = vec![CsvKind::default(); header.len()];
    let name = reader.name.clone();
    let warnings = sample_records(reader, |record| {
        let Ok(fields) = split_csv(&record.text, delimiter, &name, record.line) else {
            return Ok(Observed::Stop);
        };
        for (kind, field) in kinds.iter_mut().zip(&fields) {
            kind.observe(field);
        }
        Ok(Observed::Kept)
    })?;
    Ok(Schema {
        columns: header
            .iter()
            .zip(kinds)
            .map(|(name, kind)| Column {
                name: name.to_string(),
                data_type: Some(kind.data_type()),
                feature: None,
            })
            .collect(),
        warnings,
    })
}

/// What the sampled values of a CSV column allow it to be.
#[derive(Debug, Clone, Copy)]
struct CsvKind {
    all_int: bool,
    all_float: bool,
    all_bool: bool,
    any_value: bool,
    any_missing: bool,
}

impl Default for CsvKind {
    fn default() -> Self {
        CsvKind {
            all_int: true,
            all_float: true,
            all_bool: true,
            any_value: false,
            any_missing: false,
        }
    }
}

impl CsvKind {
    fn observe(&mut self, field: &str) {
        if is_csv_missing(field) {
            self.any_missing = true;
            return;
        }
        self.any_value = true;
        self.all_int &= field.trim().parse::<i64>().is_ok();
        self.all_float &= parse_csv_float(field).is_some();
        self.all_bool &= parse_csv_bool(field).is_some();
    }

    fn data_type(self) -> DataType {
        if !self.any_value {
            // pandas reads an all-empty column as float NaN, which becomes
            // None: any type would do, text is the least surprising.
            return DataType::Utf8;
        }
        if self.all_int && !self.any_missing {
            DataType::Int64
        } else if self.all_int || self.all_float {
            DataType::Float64
        } else if self.all_bool && !self.any_missing {
            DataType::Boolean
        } else {
            DataType::Utf8
        }
    }
}

fn is_csv_missing(field: &str) -> bool {
    CSV_MISSING.contains(&field)
}

fn parse_csv_float(field: &str) -> Option<f64> {
    let trimmed = field.trim();
    // Rust accepts "inf"/"infinity"/"nan" in any case, as pandas does for
    // its numeric columns; anything else must look like a number.
    trimmed.parse::<f64>().ok()
}

fn parse_csv_bool(field: &str) -> Option<bool> {
    match field.trim() {
        "True" | "TRUE" | "true" => Some(true),
        "False" | "FALSE" | "false" => Some(false),
        _ => None,
    }
}

fn csv_value(field: &str, data_type: Option<&DataType>) -> Datum {
    if is_csv_missing(field) {
        return Datum::None;
    }
    let parsed = match data_type {
        Some(DataType::Int64) => field.trim().parse::<i64>().ok().map(Datum::Int),
        Some(DataType::Float64) => parse_csv_float(field).map(Datum::Float),
        Some(DataType::Boolean) => parse_csv_bool(field).map(Datum::Bool),
        _ => None,
    };
    parsed.unwrap_or_else(|| Datum::str(field))
}

pub(super) fn csv_row(
    record: &Record,
    header: &[Arc<str>],
    schema: &Schema,
    delimiter: u8,
    name: &Path,
) -> Result<Row, DataError> {
    let fields = split_csv(&record.text, delimiter, name, record.line)?;
    if fields.len() != header.len() {
        return Err(DataError::Line {
            path: name.to_path_buf(),
            line: record.line,
            message: format!(
                "{} fields where the header has {}",
                fields.len(),
                header.len()
            ),
        });
    }
    Ok(Row::new(
        header
            .iter()
            .zip(&schema.columns)
            .zip(&fields)
            .map(|((name, column), field)| {
                (name.clone(), csv_value(field, column.data_type.as_ref()))
            })
            .collect(),
    ))
}

/// Splits one CSV record (RFC 4180: `"` quotes, `""` inside quotes).
pub(super) fn split_csv(
    text: &str,
    delimiter: u8,
    name: &Path,
    line: u64,
) -> Result<Vec<String>, DataError> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let delimiter = char::from(delimiter);
    let mut in_quotes = false;
    let mut at_field_start = true;
    while let Some(ch) = chars.next() {
        if in_quotes {
            if ch == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(ch);
            }
        } else if ch == '"' && at_field_start {
            in_quotes = true;
            at_field_start = false;
        } else if ch == delimiter {
            fields.push(std::mem::take(&mut field));
            at_field_start = true;
        } else {
            field.push(ch);
            at_field_start = false;
        }
    }
    if in_quotes {
        return Err(DataError::Line {
            path: name.to_path_buf(),
            line,
            message: "a quoted field is never closed".to_string(),
        });
    }
    fields.push(field);
    Ok(fields)
}

/// Column names as pandas makes them: empty ones are `Unnamed: i`,
/// repeated ones get `.1`, `.2`...
pub(super) fn header_names(fields: &[String]) -> Vec<Arc<str>> {
    let mut names: Vec<String> = Vec::with_capacity(fields.len());
    for (index, field) in fields.iter().enumerate() {
        let base = if field.is_empty() {
            format!("Unnamed: {index}")
        } else {
            field.clone()
        };
        let mut name = base.clone();
        let mut copy = 0;
        while names.contains(&name) {
            copy += 1;
            name = format!("{base}.{copy}");
        }
        names.push(name);
    }
    names.into_iter().map(Arc::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_follow_rfc_4180() {
        let unclosed = split_csv(r#"a,"b"#, b',', Path::new("t.csv"), 7);
        let message = unclosed.expect_err("an unclosed quote").to_string();
        assert_eq!(message, "t.csv: line 7: a quoted field is never closed");
        let fields = split_csv(r#"a,"b,c","say ""hi""","#, b',', Path::new("t.csv"), 1)
            .expect("valid record");
        assert_eq!(fields, ["a", "b,c", "say \"hi\"", ""]);
    }

    #[test]
    fn header_names_are_made_unique_as_pandas_does() {
        let names = header_names(&["a".into(), "".into(), "a".into()]);
        let names: Vec<&str> = names.iter().map(|name| name.as_ref()).collect();
        assert_eq!(names, ["a", "Unnamed: 1", "a.1"]);
    }

    #[test]
    fn csv_kinds_follow_pandas() {
        let kind = |values: &[&str]| {
            let mut kind = CsvKind::default();
            values.iter().for_each(|value| kind.observe(value));
            kind.data_type()
        };
        assert_eq!(kind(&["1", "2"]), DataType::Int64);
        assert_eq!(kind(&["1", ""]), DataType::Float64);
        assert_eq!(kind(&["1", "2.5"]), DataType::Float64);
        assert_eq!(kind(&["True", "false"]), DataType::Boolean);
        assert_eq!(kind(&["1", "x"]), DataType::Utf8);
    }
}
