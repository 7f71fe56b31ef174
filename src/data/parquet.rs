//! Parquet files, read lazily.
//!
//! Opening reads only the footer (schema, row groups, offset index), so a
//! multi-GB file opens in milliseconds. Row N decodes only the pages of its
//! row group that hold it: the row group is picked from the footer's row
//! counts, and a `RowSelection` together with the offset index lets the
//! reader skip the other pages.

use std::fs::File;
use std::io::{BufReader, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_schema::SchemaRef;
use bytes::Bytes;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder, RowSelection, RowSelector,
};
use parquet::arrow::ProjectionMask;
use parquet::file::metadata::PageIndexPolicy;
use parquet::file::reader::{ChunkReader, Length};

use crate::core::datum::Row;
use crate::data::error::DataError;
use crate::data::source::{Format, RowBatches, RowCount, Schema, Source};
use crate::data::value::{batch_rows, CellError};

const FORMAT: &str = "Parquet";

/// Rows decoded per batch when streaming; small enough that a batch of long
/// texts stays a few MB.
pub const DEFAULT_BATCH_ROWS: usize = 1024;

/// Reads every row of a (small) Parquet file, each exactly as
/// `datasets.Dataset(pyarrow.parquet.read_table(path))[i]` yields it.
pub fn read_rows(path: &Path) -> Result<Vec<Row>, DataError> {
    let file = ParquetFile::open(path)?;
    let mut rows = Vec::new();
    for batch in file.batches(DEFAULT_BATCH_ROWS)? {
        rows.extend(batch?);
    }
    Ok(rows)
}

/// An open Parquet file: its footer, and the rows on demand.
#[derive(Debug)]
pub struct ParquetFile {
    path: PathBuf,
    file: PositionedFile,
    metadata: ArrowReaderMetadata,
    /// Row number at which each row group starts, plus the total at the end.
    row_group_starts: Vec<u64>,
    /// Root column indices read, in schema order; `None` reads them all.
    projection: Option<Vec<usize>>,
    /// Names of the columns read, shared by every row.
    names: Vec<Arc<str>>,
    schema: Schema,
}

impl ParquetFile {
    pub fn open(path: &Path) -> Result<ParquetFile, DataError> {
        let file = PositionedFile(Arc::new(
            File::open(path).map_err(|error| DataError::io(path, error))?,
        ));
        // Only the offset index helps find a row's page; the column index
        // (min/max statistics) would cost reading for nothing.
        let options = ArrowReaderOptions::new()
            .with_offset_index_policy(PageIndexPolicy::Optional)
            .with_column_index_policy(PageIndexPolicy::Skip);
        let metadata = ArrowReaderMetadata::load(&file, options)
            .map_err(|error| DataError::format(path, FORMAT, error))?;
        let mut row_group_starts = Vec::with_capacity(metadata.metadata().num_row_groups() + 1);
        let mut total = 0u64;
        for (group_index, row_group) in metadata.metadata().row_groups().iter().enumerate() {
            // The parquet crate asserts these when it reads the chunk.
            for (column_index, column) in row_group.columns().iter().enumerate() {
                let start = column
                    .dictionary_page_offset()
                    .unwrap_or(column.data_page_offset());
                if start < 0 || column.compressed_size() < 0 {
                    return Err(DataError::format(
                        path,
                        FORMAT,
                        format!(
                            "row group {group_index}, column {column_index}: a negative offset or size"
                        ),
                    ));
                }
            }
            row_group_starts.push(total);
            let rows = u64::try_from(row_group.num_rows()).map_err(|_| {
                DataError::format(path, FORMAT, "a row group has a negative row count")
            })?;
            total = total.checked_add(rows).ok_or_else(|| {
                DataError::format(path, FORMAT, "the row groups' row counts overflow")
            })?;
        }
        row_group_starts.push(total);
        let names = metadata
            .schema()
            .fields()
            .iter()
            .map(|field| Arc::from(field.name().as_str()))
            .collect();
        let schema = Schema::from_arrow(metadata.schema(), None);
        Ok(ParquetFile {
            path: path.to_path_buf(),
            file,
            metadata,
            row_group_starts,
            projection: None,
            names,
            schema,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The Arrow schema of the whole file (all columns), with its metadata.
    pub fn arrow_schema(&self) -> &SchemaRef {
        self.metadata.schema()
    }

    /// The `huggingface` key of the schema metadata, as `datasets` wrote it.
    pub fn huggingface_metadata(&self) -> Option<&str> {
        self.arrow_schema()
            .metadata()
            .get("huggingface")
            .map(String::as_str)
    }

    pub fn num_rows(&self) -> u64 {
        self.row_group_starts.last().copied().unwrap_or(0)
    }

    pub fn num_row_groups(&self) -> usize {
        self.row_group_starts.len().saturating_sub(1)
    }

    /// Reads only the named columns from now on (in the file's order);
    /// `None` reads them all again.
    pub fn set_projection(&mut self, columns: Option<&[&str]>) -> Result<(), DataError> {
        let schema = self.metadata.schema().clone();
        let Some(columns) = columns else {
            self.projection = None;
            self.names = schema
                .fields()
                .iter()
                .map(|field| Arc::from(field.name().as_str()))
                .collect();
            return Ok(());
        };
        let mut indices = Vec::with_capacity(columns.len());
        for column in columns {
            let index = schema
                .index_of(column)
                .map_err(|_| DataError::UnknownColumn {
                    path: self.path.clone(),
                    column: column.to_string(),
                    available: schema
                        .fields()
                        .iter()
                        .map(|field| field.name().as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            indices.push(index);
        }
        indices.sort_unstable();
        indices.dedup();
        self.names = indices
            .iter()
            .map(|&index| Arc::from(schema.field(index).name().as_str()))
            .collect();
        self.projection = Some(indices);
        Ok(())
    }

    /// Row `index`, decoding only the pages that hold it.
    pub fn row(&self, index: u64) -> Result<Row, DataError> {
        let mut rows = self.rows(index..index.saturating_add(1))?;
        rows.pop().ok_or(DataError::RowOutOfRange {
            path: self.path.clone(),
            row: index,
            len: self.num_rows(),
        })
    }

    /// Rows `range` (clamped to the file), reading only their row groups.
    pub fn rows(&self, range: Range<u64>) -> Result<Vec<Row>, DataError> {
        let wanted = range.end.min(self.num_rows()).saturating_sub(range.start);
        let mut rows = Vec::with_capacity(to_usize(wanted));
        for batch in self.range_batches(range, DEFAULT_BATCH_ROWS)? {
            rows.extend(batch?);
        }
        Ok(rows)
    }

    /// Rows `range` (clamped to the file) as batches of at most `batch_rows`
    /// rows, with one reader over just their row groups: each page is decoded
    /// once however many batches the range is read in.
    pub fn range_batches(
        &self,
        range: Range<u64>,
        batch_rows: usize,
    ) -> Result<Batches<'_>, DataError> {
        let len = self.num_rows();
        if range.start >= len {
            return Err(DataError::RowOutOfRange {
                path: self.path.clone(),
                row: range.start,
                len,
            });
        }
        let end = range.end.min(len);
        let builder = self.builder();
        let builder = if range.start >= end {
            builder.with_row_groups(Vec::new())
        } else {
            // Row groups are sorted by start: the first holding `start` is
            // the last one starting at or before it.
            let first = self
                .row_group_starts
                .partition_point(|&start| start <= range.start)
                - 1;
            let last = self.row_group_starts.partition_point(|&start| start < end) - 1;
            let groups_start = self.row_group_starts[first];
            let groups_end = self.row_group_starts[last + 1];
            let selection = RowSelection::from(vec![
                RowSelector::skip(to_usize(range.start - groups_start)),
                RowSelector::select(to_usize(end - range.start)),
                RowSelector::skip(to_usize(groups_end - end)),
            ]);
            builder
                .with_row_groups((first..=last).collect())
                .with_row_selection(selection)
        };
        let reader = builder
            .with_batch_size(to_usize(end.saturating_sub(range.start)).clamp(1, batch_rows.max(1)))
            .build()
            .map_err(|error| DataError::format(&self.path, FORMAT, error))?;
        Ok(Batches {
            file: self,
            reader,
            next_row: range.start,
            failed: false,
        })
    }

    /// Every row, as batches of at most `batch_rows` rows, decoded as they
    /// are consumed (memory stays one batch).
    pub fn batches(&self, batch_rows: usize) -> Result<Batches<'_>, DataError> {
        let reader = self
            .builder()
            .with_batch_size(batch_rows.max(1))
            .build()
            .map_err(|error| DataError::format(&self.path, FORMAT, error))?;
        Ok(Batches {
            file: self,
            reader,
            next_row: 0,
            failed: false,
        })
    }

    fn builder(&self) -> ParquetRecordBatchReaderBuilder<PositionedFile> {
        let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(
            self.file.clone(),
            self.metadata.clone(),
        );
        match &self.projection {
            Some(indices) => {
                let mask = ProjectionMask::roots(builder.parquet_schema(), indices.iter().copied());
                builder.with_projection(mask)
            }
            None => builder,
        }
    }

    fn cell_error(&self, first_row: u64, error: CellError) -> DataError {
        DataError::Value {
            path: self.path.clone(),
            row: first_row + error.row_in_batch as u64,
            column: error.column,
            message: error.message,
        }
    }

    pub(crate) fn names(&self) -> &[Arc<str>] {
        &self.names
    }
}

/// A file read with positional reads. The parquet crate's own `File`
/// reader clones the handle and seeks, and clones share one offset, so two
/// threads reading rows of the same file would move each other's position.
#[derive(Debug, Clone)]
struct PositionedFile(Arc<File>);

/// Reads from a position of a [`PositionedFile`] onwards.
struct ReadAt {
    file: Arc<File>,
    position: u64,
}

impl Read for ReadAt {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = read_at(&self.file, buffer, self.position)?;
        self.position += read as u64;
        Ok(read)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buffer: &mut [u8], position: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buffer, position)
}

#[cfg(windows)]
fn read_at(file: &File, buffer: &mut [u8], position: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buffer, position)
}

impl Length for PositionedFile {
    fn len(&self) -> u64 {
        self.0
            .metadata()
            .map(|metadata| metadata.len())
            .unwrap_or(0)
    }
}

impl ChunkReader for PositionedFile {
    type T = BufReader<ReadAt>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(BufReader::new(ReadAt {
            file: self.0.clone(),
            position: start,
        }))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let mut buffer = vec![0u8; length];
        let mut reader = ReadAt {
            file: self.0.clone(),
            position: start,
        };
        reader.read_exact(&mut buffer).map_err(|error| {
            parquet::errors::ParquetError::EOF(format!(
                "expected {length} bytes at offset {start}: {error}"
            ))
        })?;
        Ok(buffer.into())
    }
}

/// Row counts come from a file that was opened on this machine; a row group
/// larger than memory could never be read anyway, so saturate.
fn to_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// Rows of a Parquet file, a batch at a time.
pub struct Batches<'a> {
    file: &'a ParquetFile,
    reader: ParquetRecordBatchReader,
    next_row: u64,
    /// The reader panicked: its state is unknown, so nothing more is read.
    failed: bool,
}

impl Iterator for Batches<'_> {
    type Item = Result<Vec<Row>, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        // The parquet crate panics on some corrupt pages (a data page
        // without its header: parquet 60 `column/page.rs`); a damaged file
        // must be an error naming it, never the end of the process.
        let next = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.reader.next()));
        let batch = match next {
            Ok(None) => return None,
            Ok(Some(Ok(batch))) => batch,
            Err(_) => {
                self.failed = true;
                return Some(Err(DataError::format(
                    &self.file.path,
                    FORMAT,
                    format!("near row {}: the file is corrupt", self.next_row),
                )));
            }
            Ok(Some(Err(error))) => {
                return Some(Err(DataError::format(
                    &self.file.path,
                    FORMAT,
                    format!("near row {}: {error}", self.next_row),
                )))
            }
        };
        let first_row = self.next_row;
        self.next_row += batch.num_rows() as u64;
        Some(
            batch_rows(&batch, self.file.names())
                .map_err(|error| self.file.cell_error(first_row, error)),
        )
    }
}

impl Source for ParquetFile {
    fn name(&self) -> &Path {
        &self.path
    }

    fn format(&self) -> Format {
        Format::Parquet
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn row_count(&self) -> RowCount {
        RowCount::Exact(self.num_rows())
    }

    fn wait_for_row_count(&self) -> Result<u64, DataError> {
        Ok(self.num_rows())
    }

    fn row(&self, index: u64) -> Result<Row, DataError> {
        ParquetFile::row(self, index)
    }

    fn rows(&self, range: Range<u64>) -> Result<Vec<Row>, DataError> {
        ParquetFile::rows(self, range)
    }

    fn batches(&self, batch_rows: usize) -> Result<RowBatches<'_>, DataError> {
        Ok(Box::new(ParquetFile::batches(self, batch_rows)?))
    }

    fn range_batches(
        &self,
        range: Range<u64>,
        batch_rows: usize,
    ) -> Result<RowBatches<'_>, DataError> {
        Ok(Box::new(ParquetFile::range_batches(
            self, range, batch_rows,
        )?))
    }

    fn set_projection(&mut self, columns: Option<&[&str]>) -> Result<(), DataError> {
        ParquetFile::set_projection(self, columns)
    }
}
