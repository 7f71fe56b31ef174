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
//!   after the sample come last.
//! - CSV/TSV: an empty field and pandas' missing markers (`NA`, `NaN`,
//!   `null`, `None`, `N/A`, ...) are `None`. A column is int when every other
//!   sampled value is an integer (float if it also has missing values, as
//!   pandas does), float when every value is a number, bool when every value
//!   is `True`/`False` (any case), else text. A later value that does not fit
//!   its column's type stays text. A record with more or fewer fields than
//!   the header is an error naming its line.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use arrow_schema::{DataType, Field, Fields};
use indexmap::IndexMap;

use crate::core::datum::{Datum, Row};
use crate::data::error::DataError;
use crate::data::source::{Column, Format, RowBatches, RowCount, Schema, Source};

/// A record (line, or CSV record) longer than this is refused: reading it
/// would need that much memory at once. 100 MB cells fit.
pub const MAX_RECORD_BYTES: u64 = 256 << 20;

/// Records sampled to infer the columns.
const SAMPLE_RECORDS: usize = 1000;
/// Bytes sampled to infer the columns (after at least one record).
const SAMPLE_BYTES: u64 = 16 << 20;
/// One checkpoint every this many records.
const STRIDE: u64 = 64;
/// Bytes the indexer reads at a time.
const INDEX_CHUNK: usize = 1 << 20;

/// pandas' default missing-value markers (`read_csv(na_values=...)`).
const CSV_MISSING: &[&str] = &[
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

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

/// Where a record starts: its byte offset and (1-based) line number.
#[derive(Debug, Clone, Copy)]
struct Checkpoint {
    offset: u64,
    line: u64,
}

#[derive(Default)]
struct IndexState {
    /// Where records 0, STRIDE, 2*STRIDE... start.
    checkpoints: Vec<Checkpoint>,
    records: u64,
    done: bool,
    error: Option<String>,
}

struct LineIndex {
    state: Mutex<IndexState>,
    changed: Condvar,
    cancelled: AtomicBool,
}

impl LineIndex {
    fn lock(&self) -> std::sync::MutexGuard<'_, IndexState> {
        // A panicking indexer leaves consistent state (it only appends).
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
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
            format,
            0,
            1,
        );
        reader.skip_bom()?;
        let header = if format.is_csv() {
            match reader.next_record()? {
                Some(record) => header_names(&split_csv(
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
        let schema = infer_schema(&mut reader, format, &header)?;
        // A file the sample read to its end is counted already: its count
        // is exact from the start, before the background walk confirms it.
        let counted_at_open = reader
            .at_end
            .then_some(reader.records_read - records_before_sample);
        let index = Arc::new(LineIndex {
            state: Mutex::new(IndexState::default()),
            changed: Condvar::new(),
            cancelled: AtomicBool::new(false),
        });
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
            state = self
                .index
                .changed
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    fn reader_at(&self, offset: u64, line: u64) -> Result<RecordReader, DataError> {
        // A fresh handle per read, so concurrent reads never share an offset.
        let file = File::open(&self.file_path).map_err(|error| DataError::io(&self.name, error))?;
        let mut reader = RecordReader::new(file, &self.name, self.format, offset, line);
        reader.seek_to_start()?;
        Ok(reader)
    }

    fn parse(&self, record: &Record) -> Result<Row, DataError> {
        let row = match self.format {
            TextFormat::JsonLines => json_row(record, &self.schema, &self.name)?,
            TextFormat::Csv | TextFormat::Tsv => csv_row(
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
        self.index.cancelled.store(true, Ordering::Relaxed);
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
            state = self
                .index
                .changed
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
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
            self.format,
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

/// One record and the line it starts on.
struct Record {
    line: u64,
    text: String,
}

/// Reads records one after the other from a byte offset.
struct RecordReader {
    reader: BufReader<File>,
    name: PathBuf,
    format: TextFormat,
    /// Bytes consumed from the start of the file.
    offset: u64,
    /// Line number (1-based) of the next line.
    line: u64,
    buffer: Vec<u8>,
    /// Records returned so far, and whether the end of the file was met.
    records_read: u64,
    at_end: bool,
}

impl RecordReader {
    fn new(file: File, name: &Path, format: TextFormat, offset: u64, line: u64) -> RecordReader {
        RecordReader {
            reader: BufReader::with_capacity(64 << 10, file),
            name: name.to_path_buf(),
            format,
            offset,
            line,
            buffer: Vec::new(),
            records_read: 0,
            at_end: false,
        }
    }

    fn seek_to_start(&mut self) -> Result<(), DataError> {
        self.reader
            .seek(SeekFrom::Start(self.offset))
            .map_err(|error| DataError::io(&self.name, error))?;
        Ok(())
    }

    fn skip_bom(&mut self) -> Result<(), DataError> {
        self.seek_to_start()?;
        let head = self
            .reader
            .fill_buf()
            .map_err(|error| DataError::io(&self.name, error))?;
        if head.starts_with(b"\xEF\xBB\xBF") {
            self.reader.consume(3);
            self.offset += 3;
        }
        Ok(())
    }

    /// Reads one physical line (with its `\n`) into the buffer, refusing
    /// lines that would exceed [`MAX_RECORD_BYTES`] with what is buffered.
    fn read_line(&mut self, record_line: u64) -> Result<usize, DataError> {
        let room = MAX_RECORD_BYTES.saturating_sub(self.buffer.len() as u64) + 1;
        let read = (&mut self.reader)
            .take(room)
            .read_until(b'\n', &mut self.buffer)
            .map_err(|error| DataError::io(&self.name, error))?;
        if self.buffer.len() as u64 > MAX_RECORD_BYTES {
            return Err(DataError::TooLarge {
                path: self.name.clone(),
                message: format!(
                    "line {record_line}: a record longer than {} MB",
                    MAX_RECORD_BYTES >> 20
                ),
            });
        }
        self.offset += read as u64;
        Ok(read)
    }

    fn next_record(&mut self) -> Result<Option<Record>, DataError> {
        loop {
            self.buffer.clear();
            let start_line = self.line;
            let mut quotes = 0usize;
            let mut read_any = false;
            loop {
                let before = self.buffer.len();
                let read = self.read_line(start_line)?;
                if read == 0 {
                    break;
                }
                read_any = true;
                self.line += 1;
                if !self.format.is_csv() {
                    break;
                }
                quotes += self.buffer[before..].iter().filter(|&&b| b == b'"').count();
                if quotes.is_multiple_of(2) {
                    break;
                }
            }
            if !read_any {
                self.at_end = true;
                return Ok(None);
            }
            if self.buffer.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            while matches!(self.buffer.last(), Some(b'\n' | b'\r')) {
                self.buffer.pop();
            }
            let text = String::from_utf8(std::mem::take(&mut self.buffer)).map_err(|error| {
                DataError::Line {
                    path: self.name.clone(),
                    line: start_line,
                    message: format!("not UTF-8 text: {}", error.utf8_error()),
                }
            })?;
            self.records_read += 1;
            return Ok(Some(Record {
                line: start_line,
                text,
            }));
        }
    }
}

/// Walks the file once, publishing checkpoints as it goes.
fn build_index(mut file: File, start: u64, start_line: u64, csv: bool, index: &LineIndex) {
    /// Marks the walk finished however it ends, so that no reader waits
    /// forever on an indexer that stopped early.
    struct Finish<'a>(&'a LineIndex);
    impl Drop for Finish<'_> {
        fn drop(&mut self) {
            let mut state = self.0.lock();
            if !state.done && state.error.is_none() && std::thread::panicking() {
                state.error = Some("the line indexer stopped unexpectedly".to_string());
            }
            state.done = true;
            drop(state);
            self.0.changed.notify_all();
        }
    }
    let _finish = Finish(index);
    let outcome = (|| -> Result<(), String> {
        file.seek(SeekFrom::Start(start))
            .map_err(|error| error.to_string())?;
        let mut chunk = vec![0u8; INDEX_CHUNK];
        let mut offset = start;
        let mut line = start_line;
        let mut record_start = Checkpoint {
            offset: start,
            line: start_line,
        };
        let mut record_has_content = false;
        let mut in_quotes = false;
        let mut records = 0u64;
        let mut pending = Vec::new();
        loop {
            if index.cancelled.load(Ordering::Relaxed) {
                return Ok(());
            }
            let read = file.read(&mut chunk).map_err(|error| error.to_string())?;
            if read == 0 {
                break;
            }
            // Jump from one byte that matters (a line break; a quote in
            // CSV) to the next; in between only whether the record has any
            // content matters, which the first non-blank byte settles.
            let bytes = &chunk[..read];
            let mut position = 0;
            while position < bytes.len() {
                let next = bytes[position..]
                    .iter()
                    .position(|&byte| byte == b'\n' || (csv && byte == b'"'));
                let end = next.map_or(bytes.len(), |found| position + found);
                if !record_has_content {
                    record_has_content = bytes[position..end]
                        .iter()
                        .any(|byte| !byte.is_ascii_whitespace());
                }
                if next.is_none() {
                    break;
                }
                match bytes[end] {
                    b'\n' if !in_quotes => {
                        if record_has_content {
                            if records.is_multiple_of(STRIDE) {
                                pending.push(record_start);
                            }
                            records += 1;
                        }
                        line += 1;
                        record_start = Checkpoint {
                            offset: offset + end as u64 + 1,
                            line,
                        };
                        record_has_content = false;
                    }
                    b'\n' => line += 1,
                    _ => {
                        in_quotes = !in_quotes;
                        record_has_content = true;
                    }
                }
                position = end + 1;
            }
            offset += read as u64;
            let mut state = index.lock();
            state.checkpoints.append(&mut pending);
            state.records = records;
            drop(state);
            index.changed.notify_all();
        }
        if record_has_content {
            if records.is_multiple_of(STRIDE) {
                pending.push(record_start);
            }
            records += 1;
        }
        let mut state = index.lock();
        state.checkpoints.append(&mut pending);
        state.records = records;
        Ok(())
    })();
    if let Err(error) = outcome {
        index.lock().error = Some(error);
    }
}

fn infer_schema(
    reader: &mut RecordReader,
    format: TextFormat,
    header: &[Arc<str>],
) -> Result<Schema, DataError> {
    let start_offset = reader.offset;
    match format {
        TextFormat::JsonLines => {
            // Keyed by name: a line may have 100,000 keys.
            let mut columns: IndexMap<String, Option<DataType>> = IndexMap::new();
            let mut warnings = Vec::new();
            let mut sampled = 0;
            while sampled < SAMPLE_RECORDS
                && (sampled == 0 || reader.offset - start_offset < SAMPLE_BYTES)
            {
                let record = match reader.next_record() {
                    Ok(Some(record)) => record,
                    Ok(None) => break,
                    Err(error) if sampled > 0 => {
                        warnings.push(error.to_string());
                        break;
                    }
                    Err(error) => return Err(error),
                };
                let object = match parse_json_object(&record, &reader.name) {
                    Ok(object) => object,
                    // The rows before a bad line stay readable; reading the
                    // bad one reports it. Only a bad first record stops here.
                    Err(error) if sampled > 0 => {
                        warnings.push(error.to_string());
                        break;
                    }
                    Err(error) => return Err(error),
                };
                for (key, value) in &object {
                    let value_type = json_type(value);
                    match columns.get_mut(key) {
                        Some(known) => {
                            *known = known
                                .take()
                                .and_then(|known| value_type.and_then(|new| unify(known, new)));
                        }
                        None => {
                            columns.insert(key.clone(), value_type);
                        }
                    }
                }
                sampled += 1;
            }
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
        TextFormat::Csv | TextFormat::Tsv => {
            let mut kinds = vec![CsvKind::default(); header.len()];
            let mut warnings = Vec::new();
            let mut sampled = 0;
            while sampled < SAMPLE_RECORDS
                && (sampled == 0 || reader.offset - start_offset < SAMPLE_BYTES)
            {
                let record = match reader.next_record() {
                    Ok(Some(record)) => record,
                    Ok(None) => break,
                    Err(error) if sampled > 0 => {
                        warnings.push(error.to_string());
                        break;
                    }
                    Err(error) => return Err(error),
                };
                let Ok(fields) =
                    split_csv(&record.text, format.delimiter(), &reader.name, record.line)
                else {
                    break;
                };
                for (kind, field) in kinds.iter_mut().zip(&fields) {
                    kind.observe(field);
                }
                sampled += 1;
            }
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
    }
}

fn parse_json_object(
    record: &Record,
    name: &Path,
) -> Result<serde_json::Map<String, serde_json::Value>, DataError> {
    match serde_json::from_str::<serde_json::Value>(&record.text) {
        Ok(serde_json::Value::Object(object)) => Ok(object),
        Ok(other) => Err(DataError::Line {
            path: name.to_path_buf(),
            line: record.line,
            message: format!(
                "expected a JSON object, found {}",
                match other {
                    serde_json::Value::Array(_) => "an array",
                    serde_json::Value::String(_) => "a string",
                    serde_json::Value::Number(_) => "a number",
                    serde_json::Value::Bool(_) => "a boolean",
                    _ => "null",
                }
            ),
        }),
        Err(error) => Err(DataError::Line {
            path: name.to_path_buf(),
            line: record.line,
            message: format!("not JSON: {error}"),
        }),
    }
}

/// The Arrow type of a JSON value; `None` when its items disagree.
fn json_type(value: &serde_json::Value) -> Option<DataType> {
    use serde_json::Value;
    Some(match value {
        Value::Null => DataType::Null,
        Value::Bool(_) => DataType::Boolean,
        Value::Number(number) if number.is_i64() => DataType::Int64,
        Value::Number(_) => DataType::Float64,
        Value::String(_) => DataType::Utf8,
        Value::Array(items) => {
            let mut item = DataType::Null;
            for value in items {
                item = unify(item, json_type(value)?)?;
            }
            DataType::List(Arc::new(Field::new("item", item, true)))
        }
        Value::Object(object) => {
            let mut fields: Vec<(String, DataType)> = Vec::new();
            for (key, value) in object {
                fields.push((key.clone(), json_type(value)?));
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
fn conform(value: &serde_json::Value, data_type: Option<&DataType>) -> Datum {
    use serde_json::Value;
    match (value, data_type) {
        (Value::Number(number), Some(DataType::Float64)) => {
            Datum::Float(number.as_f64().unwrap_or(f64::NAN))
        }
        (Value::Array(items), Some(DataType::List(item))) => Datum::List(
            items
                .iter()
                .map(|value| conform(value, Some(item.data_type())))
                .collect(),
        ),
        (Value::Object(object), Some(DataType::Struct(fields))) => {
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
        (value, _) => Datum::from_json(value),
    }
}

fn json_row(record: &Record, schema: &Schema, name: &Path) -> Result<Row, DataError> {
    let object = parse_json_object(record, name)?;
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
        &object,
        found,
        schema.columns.iter().map(|column| column.name.as_str()),
    );
    Ok(Row::new(fields))
}

/// Appends the keys of `object` that are not among `known` (of which
/// `found` are in the object), in the object's order. Only an object with
/// keys beyond the known ones pays for a set of the known names, so rows
/// stay linear in their width.
fn push_unknown_keys<'a>(
    entries: &mut Vec<(Arc<str>, Datum)>,
    object: &serde_json::Map<String, serde_json::Value>,
    found: usize,
    known: impl Iterator<Item = &'a str>,
) {
    if found == object.len() {
        return;
    }
    let known: HashSet<&str> = known.collect();
    for (key, value) in object {
        if !known.contains(key.as_str()) {
            entries.push((Arc::from(key.as_str()), Datum::from_json(value)));
        }
    }
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

fn csv_row(
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
fn split_csv(text: &str, delimiter: u8, name: &Path, line: u64) -> Result<Vec<String>, DataError> {
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
fn header_names(fields: &[String]) -> Vec<Arc<str>> {
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
