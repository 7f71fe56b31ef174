//! One abstraction over every dataset format: a [`Source`] has a schema
//! (Arrow types and Hugging Face features), a row count (possibly still being
//! counted for text formats), random access to rows, streaming batches, and
//! a projection to the columns a caller needs.
//!
//! [`crate::data::open()`] (in `open.rs`) picks the reader for a path.

use std::ops::Range;
use std::path::Path;

use arrow_schema::DataType;

use crate::core::datum::Row;
use crate::data::error::DataError;
use crate::data::features::{Feature, Features};

/// A dataset's rows, lazily.
pub trait Source: Send {
    /// What to call the source in messages: its path, or `<stdin>`.
    fn name(&self) -> &Path;

    fn format(&self) -> Format;

    /// Every column of the source (a projection only changes the rows).
    fn schema(&self) -> &Schema;

    /// The number of rows, which text formats count in the background.
    fn row_count(&self) -> RowCount;

    /// Blocks until the row count is known.
    fn wait_for_row_count(&self) -> Result<u64, DataError>;

    /// Row `index` (0-based).
    fn row(&self, index: u64) -> Result<Row, DataError>;

    /// Rows in `range`, clamped to the end of the source; an error when the
    /// range starts past the end.
    fn rows(&self, range: Range<u64>) -> Result<Vec<Row>, DataError>;

    /// Every row in order, `batch_rows` at a time, decoded as consumed so
    /// that memory stays one batch.
    fn batches(&self, batch_rows: usize) -> Result<RowBatches<'_>, DataError>;

    /// Rows in `range` (clamped like [`Source::rows`]), `batch_rows` at a
    /// time. Sources whose random access decodes more than the rows asked
    /// for (Parquet pages) read the range with one reader instead.
    fn range_batches(
        &self,
        range: Range<u64>,
        batch_rows: usize,
    ) -> Result<RowBatches<'_>, DataError> {
        let batch_rows = batch_rows.max(1) as u64;
        let mut next = range.start;
        // `rows` clamps to the end of the source, so a short batch is the
        // last; the first is read here so that a start past the end is an
        // error from this call, as Parquet's is.
        let read = move |next: &mut u64| {
            let asked = *next..next.saturating_add(batch_rows).min(range.end);
            let wanted = asked.end - asked.start;
            let result = self.rows(asked);
            match &result {
                Ok(rows) if (rows.len() as u64) < wanted => *next = range.end,
                Ok(rows) => *next += rows.len() as u64,
                Err(_) => *next = range.end,
            }
            result
        };
        let mut pending = Some(read(&mut next)?).filter(|rows| !rows.is_empty());
        Ok(Box::new(std::iter::from_fn(move || {
            if let Some(rows) = pending.take() {
                return Some(Ok(rows));
            }
            if next >= range.end {
                return None;
            }
            let result = read(&mut next);
            // Past the first batch, running off the end is the end.
            if matches!(&result, Ok(rows) if rows.is_empty())
                || matches!(&result, Err(DataError::RowOutOfRange { .. }))
            {
                return None;
            }
            Some(result)
        })))
    }

    /// Reads only the named columns from now on, in the source's column
    /// order; `None` reads every column again.
    fn set_projection(&mut self, columns: Option<&[&str]>) -> Result<(), DataError>;
}

/// Batches of rows from [`Source::batches`].
pub type RowBatches<'a> = Box<dyn Iterator<Item = Result<Vec<Row>, DataError>> + 'a>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Parquet,
    /// Arrow IPC, stream or file format.
    Arrow,
    JsonLines,
    Csv,
    Tsv,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Parquet => "Parquet",
            Format::Arrow => "Arrow IPC",
            Format::JsonLines => "JSON Lines",
            Format::Csv => "CSV",
            Format::Tsv => "TSV",
        })
    }
}

/// How many rows a source has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowCount {
    Exact(u64),
    /// Still counting: at least this many.
    AtLeast(u64),
}

/// The columns of a source.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    pub columns: Vec<Column>,
    /// Problems that did not stop the source from opening, e.g. features
    /// metadata that could not be parsed.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    /// The Arrow type; for JSON Lines and CSV the inferred one, `None` when
    /// the sampled values disagree (they are then kept as they are).
    pub data_type: Option<DataType>,
    /// The Hugging Face feature, when the source declares features.
    pub feature: Option<Feature>,
}

impl Schema {
    /// Columns of an Arrow schema, with the features of its `huggingface`
    /// metadata (or of `fallback_features`, e.g. a `dataset_info.json`).
    pub fn from_arrow(
        schema: &arrow_schema::Schema,
        fallback_features: Option<Features>,
    ) -> Schema {
        let mut warnings = Vec::new();
        let features = match schema.metadata().get("huggingface") {
            Some(json) => match Features::from_schema_metadata(json) {
                Ok(features) => Some(features),
                Err(error) => {
                    warnings.push(format!("the `huggingface` metadata is unreadable: {error}"));
                    fallback_features
                }
            },
            None => fallback_features,
        };
        let columns = schema
            .fields()
            .iter()
            .map(|field| Column {
                name: field.name().clone(),
                data_type: Some(field.data_type().clone()),
                feature: features
                    .as_ref()
                    .and_then(|features| features.get(field.name()))
                    .cloned(),
            })
            .collect();
        Schema { columns, warnings }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }

    pub fn column_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|column| column.name.as_str())
    }

    /// The error for a projection naming a column this schema lacks.
    pub(crate) fn check_projection(&self, path: &Path, columns: &[&str]) -> Result<(), DataError> {
        for column in columns {
            if self.column(column).is_none() {
                return Err(DataError::UnknownColumn {
                    path: path.to_path_buf(),
                    column: column.to_string(),
                    available: self.column_names().collect::<Vec<_>>().join(", "),
                });
            }
        }
        Ok(())
    }
}

/// The split to show when none is asked for, as the corpus chose them:
/// `validation`, else another validation-like split (`validation_*`,
/// `valid`, `dev`), else `train`, else `test`, else the first.
pub fn default_split<'a>(splits: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let splits: Vec<&str> = splits.into_iter().collect();
    let find = |wanted: &dyn Fn(&str) -> bool| splits.iter().copied().find(|split| wanted(split));
    find(&|split| split == "validation")
        .or_else(|| {
            find(&|split| {
                split.starts_with("validation") || split.starts_with("valid") || split == "dev"
            })
        })
        .or_else(|| find(&|split| split == "train"))
        .or_else(|| find(&|split| split == "test"))
        .or_else(|| splits.first().copied())
}

/// Sources with the same columns read one after the other, as one.
pub struct Shards {
    parts: Vec<Box<dyn Source>>,
    /// Row at which each part starts, plus the total at the end.
    starts: Vec<u64>,
}

impl Shards {
    /// Every part must know its row count and have the first part's columns.
    pub fn new(parts: Vec<Box<dyn Source>>) -> Result<Shards, DataError> {
        let mut starts = Vec::with_capacity(parts.len() + 1);
        let mut total = 0u64;
        let first_columns: Vec<&str> = parts
            .first()
            .map(|part| part.schema().column_names().collect())
            .unwrap_or_default();
        for part in &parts {
            let columns: Vec<&str> = part.schema().column_names().collect();
            if columns != first_columns {
                return Err(DataError::format(
                    part.name(),
                    "shard",
                    format!(
                        "its columns ({}) differ from the first shard's ({})",
                        columns.join(", "),
                        first_columns.join(", ")
                    ),
                ));
            }
            starts.push(total);
            total += part.wait_for_row_count()?;
        }
        starts.push(total);
        Ok(Shards { parts, starts })
    }

    fn total(&self) -> u64 {
        self.starts.last().copied().unwrap_or(0)
    }

    /// The part holding row `index` and the row's index within it.
    fn locate(&self, index: u64) -> Option<(usize, u64)> {
        if index >= self.total() {
            return None;
        }
        let part = self.starts.partition_point(|&start| start <= index) - 1;
        Some((part, index - self.starts[part]))
    }
}

impl Source for Shards {
    fn name(&self) -> &Path {
        self.parts
            .first()
            .map(|part| part.name())
            .unwrap_or(Path::new(""))
    }

    fn format(&self) -> Format {
        self.parts
            .first()
            .map(|part| part.format())
            .unwrap_or(Format::Parquet)
    }

    fn schema(&self) -> &Schema {
        static EMPTY: Schema = Schema {
            columns: Vec::new(),
            warnings: Vec::new(),
        };
        self.parts
            .first()
            .map(|part| part.schema())
            .unwrap_or(&EMPTY)
    }

    fn row_count(&self) -> RowCount {
        RowCount::Exact(self.total())
    }

    fn wait_for_row_count(&self) -> Result<u64, DataError> {
        Ok(self.total())
    }

    fn row(&self, index: u64) -> Result<Row, DataError> {
        let (part, local) = self.locate(index).ok_or_else(|| DataError::RowOutOfRange {
            path: self.name().to_path_buf(),
            row: index,
            len: self.total(),
        })?;
        self.parts[part].row(local)
    }

    fn rows(&self, range: Range<u64>) -> Result<Vec<Row>, DataError> {
        let (mut part, mut local) =
            self.locate(range.start)
                .ok_or_else(|| DataError::RowOutOfRange {
                    path: self.name().to_path_buf(),
                    row: range.start,
                    len: self.total(),
                })?;
        let end = range.end.min(self.total());
        let mut rows = Vec::new();
        let mut next = range.start;
        while next < end && part < self.parts.len() {
            let take = (end - next).min(self.starts[part + 1] - next);
            rows.extend(self.parts[part].rows(local..local + take)?);
            next += take;
            part += 1;
            local = 0;
        }
        Ok(rows)
    }

    fn batches(&self, batch_rows: usize) -> Result<RowBatches<'_>, DataError> {
        let mut iterators = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            iterators.push(part.batches(batch_rows)?);
        }
        Ok(Box::new(iterators.into_iter().flatten()))
    }

    fn set_projection(&mut self, columns: Option<&[&str]>) -> Result<(), DataError> {
        for part in &mut self.parts {
            part.set_projection(columns)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_split_prefers_validation_then_train_then_test() {
        assert_eq!(
            default_split(["train", "validation", "test"]),
            Some("validation")
        );
        assert_eq!(
            default_split(["train", "validation_matched"]),
            Some("validation_matched")
        );
        assert_eq!(default_split(["test", "dev"]), Some("dev"));
        assert_eq!(default_split(["test", "train"]), Some("train"));
        assert_eq!(default_split(["test", "other"]), Some("test"));
        assert_eq!(default_split(["b", "a"]), Some("b"));
        assert_eq!(default_split([]), None);
    }
}
