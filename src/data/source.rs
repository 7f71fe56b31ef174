//! One abstraction over every dataset format: a [`Source`] has a schema
//! (Arrow types and Hugging Face features), a row count (possibly still being
//! counted for text formats), random access to rows, streaming batches, and
//! a projection to the columns a caller needs.
//!
//! [`open`] picks the reader from the path: a Parquet file or folder of
//! shards, an Arrow IPC file (the `datasets` cache) or `save_to_disk` folder,
//! JSON Lines, CSV/TSV, or `-` for JSON Lines on standard input.

use std::ops::Range;
use std::path::{Path, PathBuf};

use arrow_schema::DataType;

use crate::core::datum::Row;
use crate::data::arrow_ipc;
use crate::data::error::DataError;
use crate::data::features::{Feature, Features};
use crate::data::parquet::ParquetFile;
use crate::data::text::{TextFormat, TextSource};

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

/// Opens a dataset file or folder, choosing the reader from the extension
/// or, failing that, the content. `-` reads JSON Lines from standard input.
pub fn open(path: &Path) -> Result<Box<dyn Source>, DataError> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(TextSource::from_stdin()?));
    }
    let metadata = std::fs::metadata(path).map_err(|error| DataError::io(path, error))?;
    if metadata.is_dir() {
        return open_folder(path);
    }
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("parquet" | "pq") => Ok(Box::new(ParquetFile::open(path)?)),
        Some("arrow" | "ipc" | "feather" | "arrows") => Ok(Box::new(arrow_ipc::open(path)?)),
        Some("jsonl" | "ndjson" | "json") => {
            Ok(Box::new(TextSource::open(path, TextFormat::JsonLines)?))
        }
        Some("csv") => Ok(Box::new(TextSource::open(path, TextFormat::Csv)?)),
        Some("tsv" | "tab") => Ok(Box::new(TextSource::open(path, TextFormat::Tsv)?)),
        _ => open_by_content(path),
    }
}

fn open_by_content(path: &Path) -> Result<Box<dyn Source>, DataError> {
    use std::io::Read;
    let mut head = [0u8; 8];
    let mut file = std::fs::File::open(path).map_err(|error| DataError::io(path, error))?;
    let read = file
        .read(&mut head)
        .map_err(|error| DataError::io(path, error))?;
    let head = &head[..read];
    if head.starts_with(b"PAR1") {
        Ok(Box::new(ParquetFile::open(path)?))
    } else if head.starts_with(b"ARROW1") || head.starts_with(&[0xff, 0xff, 0xff, 0xff]) {
        Ok(Box::new(arrow_ipc::open(path)?))
    } else if head
        .iter()
        .find(|byte| !byte.is_ascii_whitespace())
        .is_some_and(|&byte| byte == b'{')
    {
        Ok(Box::new(TextSource::open(path, TextFormat::JsonLines)?))
    } else {
        Ok(Box::new(TextSource::open(path, TextFormat::Csv)?))
    }
}

/// A folder: a `DatasetDict` (its default split), a `save_to_disk` split, or
/// shards of Parquet or Arrow files.
fn open_folder(folder: &Path) -> Result<Box<dyn Source>, DataError> {
    if folder.join("dataset_dict.json").is_file() {
        let splits = dataset_dict_splits(folder)?;
        let split = default_split(splits.iter().map(String::as_str))
            .ok_or_else(|| DataError::format(folder, "dataset_dict.json", "it lists no splits"))?;
        return open_folder(&folder.join(split));
    }
    if folder.join("state.json").is_file() {
        return arrow_ipc::open_saved_split(folder);
    }
    let parquet = files_with_extension(folder, &["parquet"])?;
    if !parquet.is_empty() {
        return open_parquet_shards(&parquet);
    }
    let arrow = files_with_extension(folder, &["arrow"])?;
    if !arrow.is_empty() {
        return arrow_ipc::open_shards(&arrow, None);
    }
    Err(DataError::format(
        folder,
        "dataset folder",
        "it holds no dataset_dict.json, state.json, .parquet or .arrow files",
    ))
}

/// Parquet shards in name order (`train-00000-of-00003.parquet`, `0000.parquet`).
pub fn open_parquet_shards(files: &[PathBuf]) -> Result<Box<dyn Source>, DataError> {
    match files {
        [] => Err(DataError::NotFound {
            name: String::new(),
            message: "no Parquet files".to_string(),
        }),
        [single] => Ok(Box::new(ParquetFile::open(single)?)),
        _ => {
            let parts = files
                .iter()
                .map(|file| ParquetFile::open(file).map(|file| Box::new(file) as Box<dyn Source>))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Box::new(Shards::new(parts)?))
        }
    }
}

/// The splits a `dataset_dict.json` lists.
pub fn dataset_dict_splits(folder: &Path) -> Result<Vec<String>, DataError> {
    let path = folder.join("dataset_dict.json");
    let text = std::fs::read_to_string(&path).map_err(|error| DataError::io(&path, error))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|error| DataError::format(&path, "dataset_dict.json", error))?;
    Ok(value
        .get("splits")
        .and_then(serde_json::Value::as_array)
        .map(|splits| {
            splits
                .iter()
                .filter_map(|split| split.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
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

/// Files directly in `folder` with one of `extensions`, sorted by name.
pub(crate) fn files_with_extension(
    folder: &Path,
    extensions: &[&str],
) -> Result<Vec<PathBuf>, DataError> {
    let entries = std::fs::read_dir(folder).map_err(|error| DataError::io(folder, error))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|error| DataError::io(folder, error))?.path();
        let matches = path
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| extensions.contains(&extension));
        if matches && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
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
