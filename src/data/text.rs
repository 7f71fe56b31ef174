//! JSON Lines and CSV/TSV, readable at once however large the file.
//!
//! Opening reads only a sample of the first records (to infer the columns),
//! so the first rows show immediately. A background thread then walks the
//! file once and records where every 64th record starts; row N waits until
//! the walk has passed it, seeks to the nearest checkpoint and reads forward
//! at most 63 records. The row count is known when the walk ends.
//!
//! Records: a JSON Lines record is a non-blank line. A CSV record is one or
//! more lines (a quoted field may hold line breaks: a record ends at a line
//! break outside quotes, i.e. after an even number of `"`); blank lines are
//! skipped, the first record is the header.
//!
//! Types are inferred from the first 1,000 records (or 16 MB), as `datasets`
//! would load them (pyarrow's JSON reader, pandas' CSV reader):
//! - JSON Lines: each column's type unifies its sampled values (null fits
//!   any type, int and float make float, objects merge their keys in order
//!   of first appearance); values that disagree leave the type unknown and
//!   are kept as they are. Rows list the columns in that order, a missing
//!   key is `None`, an int in a float column is a float, and keys first seen
//!   after the sample come last. Lines are JSON as Python's `json` reads
//!   it: `NaN`, `Infinity`, `-Infinity` and `1e999` are floats, and an
//!   integer outside `i64` is Python's `int` (no Arrow type: kept as is).
//! - CSV/TSV: an empty field and pandas' missing markers (`NA`, `NaN`,
//!   `null`, `None`, `N/A`, ...) are `None`. A column is int when every other
//!   sampled value is an integer (float if it also has missing values, as
//!   pandas does), float when every value is a number, bool when every value
//!   is `True`/`False` (any case), else text. A later value that does not fit
//!   its column's type stays text. A record with more or fewer fields than
//!   the header is an error naming its line.

mod csv;
mod json_value;
mod jsonl;
mod line_index;
mod python_json;
mod records;
mod sample;

use std::collections::HashSet;
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::core::datum::Row;
use crate::data::error::DataError;
use crate::data::source::{Format, RowBatches, RowCount, Schema, Source};
use line_index::{build_index, Checkpoint, LineIndex, STRIDE};
pub use records::MAX_RECORD_BYTES;
use records::{Record, RecordReader};
use sample::SAMPLE_RECORDS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat {
    JsonLines,
    Csv,
    Tsv,
}

impl TextFormat {
    fn is_csv(self) -> bool {
        matches!(self, TextFormat::Csv | TextFormat::Tsv)
    }

    fn delimiter(self) -> u8 {
        match self {
            TextFormat::Tsv => b'\t',
            _ => b',',
        }
    }
}

/// A JSON Lines or CSV/TSV file.
pub struct TextSource {
    /// What messages call the source (`<stdin>` for standard input).
    name: PathBuf,
    /// The file actually read.
    file_path: PathBuf,
    format: TextFormat,
    schema: Schema,
    /// CSV: the column names from the header, in order.
    header: Vec<Arc<str>>,
    /// Byte offset of the first data record (after a BOM and a CSV header).
    data_start: u64,
    /// Line number (1-based) of the first data record's line.
    data_start_line: u64,
    index: Arc<LineIndex>,
    /// The record count, when sampling the columns read the whole file.
    counted_at_open: Option<u64>,
    projection: Option<HashSet<String>>,
    /// Standard input is copied to this file, removed when the source is.
    spool: Option<PathBuf>,
}

impl TextSource {
    pub fn open(path: &Path, format: TextFormat) -> Result<TextSource, DataError> {
        TextSource::open_as(path, path, format, None)
    }

    /// Copies standard input to a temporary file (memory stays bounded
    /// whatever is piped in) and reads it as JSON Lines.
    pub fn from_stdin() -> Result<TextSource, DataError> {
        let name = PathBuf::from("<stdin>");
        let spool =
            std::env::temp_dir().join(format!("promptstudio-stdin-{}.jsonl", uuid::Uuid::new_v4()));
        let copy = || -> std::io::Result<()> {
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&spool)?;
            std::io::copy(&mut std::io::stdin().lock(), &mut out)?;
            Ok(())
        };
        if let Err(error) = copy() {
            let _ = std::fs::remove_file(&spool);
            return Err(DataError::io(&name, error));
        }
        TextSource::open_as(&spool, &name, TextFormat::JsonLines, Some(spool.clone())).inspect_err(
            |_| {
                let _ = std::fs::remove_file(&spool);
            },
        )
    }

    fn open_as(
        file_path: &Path,
        name: &Path,
        format: TextFormat,
        spool: Option<PathBuf>,
    ) -> Result<TextSource, DataError> {
        let file = File::open(file_path).map_err(|error| DataError::io(name, error))?;
        let mut reader = RecordReader::new(
            file.try_clone()
                .map_err(|error| DataError::io(name, error))?,
            name,
            format.is_csv(),
            0,
            1,
        );
        reader.skip_bom()?;
        let header = if format.is_csv() {
            match reader.next_record()? {
                Some(record) => csv::header_names(&csv::split_csv(
                    &record.text,
                    format.delimiter(),
                    name,
                    record.line,
                )?),
                None => Vec::new(),
            }
        } else {
            Vec::new()
        };
        let data_start = reader.offset;
        let data_start_line = reader.line;
        let records_before_sample = reader.records_read;
        let schema = match format {
            TextFormat::JsonLines => jsonl::infer_schema(&mut reader)?,
            TextFormat::Csv | TextFormat::Tsv => {
                csv::infer_schema(&mut reader, &header, format.delimiter())?
            }
        };
        // A file the sample read to its end is counted already: its count
        // is exact from the start, before the background walk confirms it.
        let counted_at_open = reader
            .at_end
            .then_some(reader.records_read - records_before_sample);
        let index = Arc::new(LineIndex::new());
        let indexer_file = file
            .try_clone()
            .map_err(|error| DataError::io(name, error))?;
        let indexer_index = index.clone();
        let csv = format.is_csv();
        std::thread::Builder::new()
            .name("promptstudio-line-index".to_string())
            .spawn(move || {
                build_index(
                    indexer_file,
                    data_start,
                    data_start_line,
                    csv,
                    &indexer_index,
                )
            })
            .map_err(|error| DataError::io(name, error))?;
        Ok(TextSource {
            name: name.to_path_buf(),
            file_path: file_path.to_path_buf(),
            format,
            schema,
            header,
            data_start,
            data_start_line,
            index,
            counted_at_open,
            projection: None,
            spool,
        })
    }

    /// Waits until record `index` is indexed; its checkpoint and how many
    /// records to skip after it, or `None` past the end.
    fn locate(&self, index: u64) -> Result<Option<(Checkpoint, u64)>, DataError> {
        let mut state = self.index.lock();
        loop {
            if state.records > index {
                let checkpoint = state.checkpoints[(index / STRIDE) as usize];
                return Ok(Some((checkpoint, index % STRIDE)));
            }
            if let Some(error) = &state.error {
                return Err(DataError::io(
                    &self.name,
                    std::io::Error::other(format!("indexing stopped: {error}")),
                ));
            }
            if state.done {
                return Ok(None);
            }
            state = self.index.wait(state);
        }
    }

    fn reader_at(&self, offset: u64, line: u64) -> Result<RecordReader, DataError> {
        // A fresh handle per read, so concurrent reads never share an offset.
        let file = File::open(&self.file_path).map_err(|error| DataError::io(&self.name, error))?;
        let mut reader = RecordReader::new(file, &self.name, self.format.is_csv(), offset, line);
        reader.seek_to_start()?;
        Ok(reader)
    }

    fn parse(&self, record: &Record) -> Result<Row, DataError> {
        let row = match self.format {
            TextFormat::JsonLines => jsonl::json_row(record, &self.schema, &self.name)?,
            TextFormat::Csv | TextFormat::Tsv => csv::csv_row(
                record,
                &self.header,
                &self.schema,
                self.format.delimiter(),
                &self.name,
            )?,
        };
        Ok(match &self.projection {
            None => row,
            Some(columns) => Row::new(
                row.fields
                    .into_iter()
                    .filter(|(name, _)| columns.contains(name.as_ref()))
                    .collect(),
            ),
        })
    }

    fn len_so_far(&self) -> (u64, bool) {
        let state = self.index.lock();
        match (state.done, self.counted_at_open) {
            (false, Some(records)) if state.error.is_none() => (records, true),
            _ => (state.records, state.done),
        }
    }
}

impl Drop for TextSource {
    fn drop(&mut self) {
        self.index.cancel();
        if let Some(spool) = &self.spool {
            let _ = std::fs::remove_file(spool);
        }
    }
}

impl Source for TextSource {
    fn name(&self) -> &Path {
        &self.name
    }

    fn format(&self) -> Format {
        match self.format {
            TextFormat::JsonLines => Format::JsonLines,
            TextFormat::Csv => Format::Csv,
            TextFormat::Tsv => Format::Tsv,
        }
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn row_count(&self) -> RowCount {
        match self.len_so_far() {
            (records, true) => RowCount::Exact(records),
            (records, false) => RowCount::AtLeast(records),
        }
    }

    fn wait_for_row_count(&self) -> Result<u64, DataError> {
        let mut state = self.index.lock();
        while !state.done {
            state = self.index.wait(state);
        }
        match &state.error {
            Some(error) => Err(DataError::io(
                &self.name,
                std::io::Error::other(format!("counting rows stopped: {error}")),
            )),
            None => Ok(state.records),
        }
    }

    fn row(&self, index: u64) -> Result<Row, DataError> {
        let mut rows = self.rows(index..index.saturating_add(1))?;
        rows.pop().ok_or_else(|| DataError::RowOutOfRange {
            path: self.name.clone(),
            row: index,
            len: self.len_so_far().0,
        })
    }

    fn rows(&self, range: Range<u64>) -> Result<Vec<Row>, DataError> {
        let Some((checkpoint, skip)) = self.locate(range.start)? else {
            return Err(DataError::RowOutOfRange {
                path: self.name.clone(),
                row: range.start,
                len: self.len_so_far().0,
            });
        };
        let mut reader = self.reader_at(checkpoint.offset, checkpoint.line)?;
        for _ in 0..skip {
            reader.next_record()?;
        }
        let mut rows = Vec::new();
        for _ in range.start..range.end {
            match reader.next_record()? {
                Some(record) => rows.push(self.parse(&record)?),
                None => break,
            }
        }
        Ok(rows)
    }

    fn batches(&self, batch_rows: usize) -> Result<RowBatches<'_>, DataError> {
        let file = File::open(&self.file_path).map_err(|error| DataError::io(&self.name, error))?;
        let mut reader = RecordReader::new(
            file,
            &self.name,
            self.format.is_csv(),
            self.data_start,
            self.data_start_line,
        );
        reader.seek_to_start()?;
        let batch_rows = batch_rows.max(1);
        let mut finished = false;
        Ok(Box::new(std::iter::from_fn(move || {
            if finished {
                return None;
            }
            let mut rows = Vec::with_capacity(batch_rows.min(SAMPLE_RECORDS));
            while rows.len() < batch_rows {
                let record = match reader.next_record() {
                    Ok(Some(record)) => record,
                    Ok(None) => {
                        finished = true;
                        break;
                    }
                    Err(error) => {
                        finished = true;
                        return Some(Err(error));
                    }
                };
                match self.parse(&record) {
                    Ok(row) => rows.push(row),
                    Err(error) => {
                        finished = true;
                        return Some(Err(error));
                    }
                }
            }
            (!rows.is_empty()).then_some(Ok(rows))
        })))
    }

    fn set_projection(&mut self, columns: Option<&[&str]>) -> Result<(), DataError> {
        if let Some(columns) = columns {
            self.schema.check_projection(&self.name, columns)?;
        }
        self.projection =
            columns.map(|columns| columns.iter().map(|column| column.to_string()).collect());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_the_sample_reads_to_its_end_is_counted_at_open() {
        let dir = tempfile::tempdir().expect("temp");
        let small = dir.path().join("small.jsonl");
        std::fs::write(&small, "{\"a\": 1}\n\n{\"a\": 2}\n  \n{\"a\": 3}").expect("written");
        let source = TextSource::open(&small, TextFormat::JsonLines).expect("opens");
        assert_eq!(source.counted_at_open, Some(3));
        assert_eq!(source.row_count(), RowCount::Exact(3));
        let csv = dir.path().join("small.csv");
        std::fs::write(&csv, "a,b\n1,\"x\ny\"\n2,z\n").expect("written");
        let source = TextSource::open(&csv, TextFormat::Csv).expect("opens");
        assert_eq!(source.counted_at_open, Some(2));
        let big = dir.path().join("big.jsonl");
        let lines = "{\"a\": 1}\n".repeat(SAMPLE_RECORDS + 1);
        std::fs::write(&big, lines).expect("written");
        let source = TextSource::open(&big, TextFormat::JsonLines).expect("opens");
        assert_eq!(source.counted_at_open, None);
        assert_eq!(source.wait_for_row_count().expect("counted"), 1001);
    }
}
