//! Arrow IPC files: the Hugging Face `datasets` cache (`<name>-<split>.arrow`,
//! stream format) and `save_to_disk` folders (`state.json`,
//! `dataset_info.json`, `data-*.arrow`). The file format (`ARROW1` magic)
//! is read the same way, as it wraps a stream.
//!
//! Opening scans the message headers only, skipping the bodies, which gives
//! each record batch's offset and row count; row N then decodes only its
//! batch (the schema message, any dictionaries, and that batch's bytes fed
//! to a stream reader). The last decoded batch is kept, so neighbouring rows
//! are cheap.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;
use arrow_ipc::reader::StreamReader;
use arrow_ipc::MessageHeader;
use arrow_schema::SchemaRef;

use crate::core::datum::Row;
use crate::data::error::DataError;
use crate::data::features::Features;
use crate::data::source::{Format, RowBatches, RowCount, Schema, Shards, Source};
use crate::data::value::batch_rows;

mod validate;

const FORMAT: &str = "Arrow IPC";

/// Message metadata (a flatbuffer, mostly the schema) larger than this is
/// refused rather than allocated: a 5,000-column schema is well under 1 MB.
const MAX_METADATA_BYTES: u64 = 64 << 20;

/// A byte range of the file holding one whole IPC message.
#[derive(Debug, Clone, Copy)]
struct MessageSpan {
    offset: u64,
    len: u64,
    /// Where the flatbuffer header lies within the message (after the
    /// length prefix), and so where the body starts.
    header: (u64, u64),
}

#[derive(Debug)]
struct BatchEntry {
    span: MessageSpan,
    rows: u64,
    /// How many dictionary messages precede this batch.
    dictionaries_before: usize,
}

/// One Arrow IPC file.
pub struct ArrowFile {
    path: PathBuf,
    file: Mutex<File>,
    schema_message: Vec<u8>,
    dictionaries: Vec<MessageSpan>,
    batches: Vec<BatchEntry>,
    /// Row at which each batch starts, plus the total at the end.
    starts: Vec<u64>,
    arrow_schema: SchemaRef,
    schema: Schema,
    projection: Option<Vec<usize>>,
    names: Vec<Arc<str>>,
    last_batch: Mutex<Option<(usize, RecordBatch)>>,
}

/// Opens one Arrow IPC file.
pub fn open(path: &Path) -> Result<ArrowFile, DataError> {
    ArrowFile::open(path, None)
}

/// A `save_to_disk` split folder: its `state.json` names the data files and
/// `dataset_info.json` holds the features.
pub fn open_saved_split(folder: &Path) -> Result<Box<dyn Source>, DataError> {
    let state_path = folder.join("state.json");
    let text =
        std::fs::read_to_string(&state_path).map_err(|error| DataError::io(&state_path, error))?;
    let state: serde_json::Value = serde_json::from_str(&text)
        .map_err(|error| DataError::format(&state_path, "state.json", error))?;
    let files: Vec<PathBuf> = state
        .get("_data_files")
        .and_then(serde_json::Value::as_array)
        .map(|files| {
            files
                .iter()
                .filter_map(|file| file.get("filename").and_then(serde_json::Value::as_str))
                .map(|name| folder.join(name))
                .collect()
        })
        .unwrap_or_default();
    if files.is_empty() {
        return Err(DataError::format(
            &state_path,
            "state.json",
            "`_data_files` lists no files",
        ));
    }
    let info_path = folder.join("dataset_info.json");
    let features = match std::fs::read_to_string(&info_path) {
        Ok(text) => {
            Some(
                Features::from_dataset_info(&text).map_err(|message| DataError::Features {
                    path: info_path.clone(),
                    message,
                })?,
            )
        }
        Err(_) => None,
    };
    open_shards(&files, features)
}

/// Arrow files read one after the other, with features from elsewhere
/// (a `dataset_info.json`) when their metadata has none.
pub fn open_shards(
    files: &[PathBuf],
    features: Option<Features>,
) -> Result<Box<dyn Source>, DataError> {
    let mut parts = files
        .iter()
        .map(|file| ArrowFile::open(file, features.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    if parts.len() == 1 {
        if let Some(single) = parts.pop() {
            return Ok(Box::new(single));
        }
    }
    let parts = parts
        .into_iter()
        .map(|part| Box::new(part) as Box<dyn Source>)
        .collect();
    Ok(Box::new(Shards::new(parts)?))
}

impl ArrowFile {
    fn open(path: &Path, fallback_features: Option<Features>) -> Result<ArrowFile, DataError> {
        let mut file = File::open(path).map_err(|error| DataError::io(path, error))?;
        let file_len = file
            .metadata()
            .map_err(|error| DataError::io(path, error))?
            .len();
        let (start, end) = stream_region(path, &mut file, file_len)?;
        let layout = scan(path, &mut file, start, end)?;
        let arrow_schema = StreamReader::try_new(Cursor::new(&layout.schema_message), None)
            .map_err(|error| DataError::format(path, FORMAT, error))?
            .schema();
        let schema = Schema::from_arrow(&arrow_schema, fallback_features);
        let mut starts = Vec::with_capacity(layout.batches.len() + 1);
        let mut total = 0u64;
        for batch in &layout.batches {
            starts.push(total);
            total = total.saturating_add(batch.rows);
        }
        starts.push(total);
        let names = names_of(&arrow_schema, None);
        Ok(ArrowFile {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            schema_message: layout.schema_message,
            dictionaries: layout.dictionaries,
            batches: layout.batches,
            starts,
            arrow_schema,
            schema,
            projection: None,
            names,
            last_batch: Mutex::new(None),
        })
    }

    pub fn num_rows(&self) -> u64 {
        self.starts.last().copied().unwrap_or(0)
    }

    /// Decodes batch `index` (projected), reusing the last one decoded.
    fn batch(&self, index: usize) -> Result<RecordBatch, DataError> {
        if let Ok(last) = self.last_batch.lock() {
            if let Some((cached, batch)) = last.as_ref() {
                if *cached == index {
                    return Ok(batch.clone());
                }
            }
        }
        let entry = &self.batches[index];
        let first_row = self.starts[index];
        let decode_error = |error: &dyn std::fmt::Display| {
            DataError::format(
                &self.path,
                FORMAT,
                format!("the batch starting at row {first_row}: {error}"),
            )
        };
        let mut message = self.schema_message.clone();
        for span in self.dictionaries[..entry.dictionaries_before]
            .iter()
            .chain([&entry.span])
        {
            let bytes = self.read_span(*span)?;
            let (header_start, header_end) = span.header;
            validate::check_message(
                &bytes[header_start as usize..header_end as usize],
                span.len - header_end,
                &self.arrow_schema,
            )
            .map_err(|error| decode_error(&error))?;
            message.extend(bytes);
        }
        let mut reader = StreamReader::try_new(Cursor::new(message), self.projection.clone())
            .map_err(|error| decode_error(&error))?;
        let batch = reader
            .next()
            .ok_or_else(|| {
                DataError::format(
                    &self.path,
                    FORMAT,
                    format!("the batch starting at row {first_row} is missing"),
                )
            })?
            .map_err(|error| decode_error(&error))?;
        if let Ok(mut last) = self.last_batch.lock() {
            *last = Some((index, batch.clone()));
        }
        Ok(batch)
    }

    fn read_span(&self, span: MessageSpan) -> Result<Vec<u8>, DataError> {
        let mut file = self.file.lock().map_err(|_| {
            DataError::format(
                &self.path,
                FORMAT,
                "a reader panicked while holding the file",
            )
        })?;
        let mut bytes = vec![0u8; usize::try_from(span.len).unwrap_or(usize::MAX)];
        file.seek(SeekFrom::Start(span.offset))
            .and_then(|_| file.read_exact(&mut bytes))
            .map_err(|error| DataError::io(&self.path, error))?;
        Ok(bytes)
    }

    fn rows_of_batch(&self, index: usize, within: Range<usize>) -> Result<Vec<Row>, DataError> {
        let batch = self.batch(index)?;
        let within = within.start.min(batch.num_rows())..within.end.min(batch.num_rows());
        let slice = batch.slice(within.start, within.len());
        batch_rows(&slice, &self.names).map_err(|error| DataError::Value {
            path: self.path.clone(),
            row: self.starts[index] + (within.start + error.row_in_batch) as u64,
            column: error.column,
            message: error.message,
        })
    }
}

fn names_of(schema: &SchemaRef, projection: Option<&[usize]>) -> Vec<Arc<str>> {
    let fields = schema.fields();
    match projection {
        Some(indices) => indices
            .iter()
            .map(|&index| Arc::from(fields[index].name().as_str()))
            .collect(),
        None => fields
            .iter()
            .map(|field| Arc::from(field.name().as_str()))
            .collect(),
    }
}

/// The byte range holding the stream: all of a stream file, or between the
/// magic and the footer of a file-format file.
fn stream_region(path: &Path, file: &mut File, file_len: u64) -> Result<(u64, u64), DataError> {
    let mut magic = [0u8; 6];
    let read = file
        .read(&mut magic)
        .map_err(|error| DataError::io(path, error))?;
    if read == 6 && &magic == b"ARROW1" {
        if file_len < 8 + 10 {
            return Err(DataError::format(path, FORMAT, "the file is truncated"));
        }
        let mut tail = [0u8; 10];
        file.seek(SeekFrom::Start(file_len - 10))
            .and_then(|_| file.read_exact(&mut tail))
            .map_err(|error| DataError::io(path, error))?;
        if &tail[4..] != b"ARROW1" {
            return Err(DataError::format(
                path,
                FORMAT,
                "the file is truncated (no closing ARROW1 magic)",
            ));
        }
        let footer_len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
        let end = (file_len - 10)
            .checked_sub(footer_len)
            .filter(|&end| end >= 8)
            .ok_or_else(|| DataError::format(path, FORMAT, "the footer length is impossible"))?;
        Ok((first_message(path, file, end)?, end))
    } else {
        Ok((0, file_len))
    }
}

/// Where the first message of a file-format file starts: after the magic
/// and its padding, which the format sets at 2 bytes (to 8) but arrow-rs
/// writers extend with zeros to their alignment (64 bytes by default).
fn first_message(path: &Path, file: &mut File, end: u64) -> Result<u64, DataError> {
    const START: u64 = 8;
    const MAX_ALIGNMENT: u64 = 64;
    // The padding, and the first word after the longest padding.
    let mut padding = vec![0u8; (end.min(MAX_ALIGNMENT + 8) - START) as usize];
    file.seek(SeekFrom::Start(START))
        .and_then(|_| file.read_exact(&mut padding))
        .map_err(|error| DataError::io(path, error))?;
    let zero_words = padding
        .chunks_exact(8)
        .take_while(|word| word.iter().all(|&byte| byte == 0))
        .count();
    // All zeros up to the limit is no padding but a damaged file: the scan
    // then reports its end-of-stream marker before any schema.
    if zero_words * 8 == padding.len() {
        return Ok(START);
    }
    Ok(START + 8 * zero_words as u64)
}

struct Layout {
    schema_message: Vec<u8>,
    dictionaries: Vec<MessageSpan>,
    batches: Vec<BatchEntry>,
}

/// Walks the message headers between `start` and `end`, skipping bodies.
fn scan(path: &Path, file: &mut File, start: u64, end: u64) -> Result<Layout, DataError> {
    let truncated = |offset: u64| {
        DataError::format(
            path,
            FORMAT,
            format!("truncated or corrupt at byte {offset}"),
        )
    };
    let mut offset = start;
    let mut schema_message = None;
    let mut dictionaries = Vec::new();
    let mut batches = Vec::new();
    while offset + 4 <= end {
        file.seek(SeekFrom::Start(offset))
            .map_err(|error| DataError::io(path, error))?;
        let mut word = [0u8; 4];
        file.read_exact(&mut word).map_err(|_| truncated(offset))?;
        // Current writers put a 0xFFFFFFFF continuation marker before the
        // length; pre-1.0 streams start with the length itself.
        let (prefix, meta_len) = if word == [0xff; 4] {
            file.read_exact(&mut word).map_err(|_| truncated(offset))?;
            (8u64, u64::from(u32::from_le_bytes(word)))
        } else {
            (4u64, u64::from(u32::from_le_bytes(word)))
        };
        if meta_len == 0 {
            break;
        }
        if meta_len > MAX_METADATA_BYTES || offset + prefix + meta_len > end {
            return Err(truncated(offset));
        }
        let mut meta = vec![0u8; meta_len as usize];
        file.read_exact(&mut meta).map_err(|_| truncated(offset))?;
        let message = arrow_ipc::root_as_message(&meta).map_err(|error| {
            DataError::format(
                path,
                FORMAT,
                format!("bad message header at byte {offset}: {error}"),
            )
        })?;
        let body_len = u64::try_from(message.bodyLength()).map_err(|_| truncated(offset))?;
        let len = prefix + meta_len + body_len;
        if offset + len > end {
            return Err(truncated(offset));
        }
        let span = MessageSpan {
            offset,
            len,
            header: (prefix, prefix + meta_len),
        };
        match message.header_type() {
            MessageHeader::Schema => {
                let mut bytes = Vec::with_capacity((prefix + meta_len) as usize);
                if prefix == 8 {
                    bytes.extend_from_slice(&[0xff; 4]);
                }
                bytes.extend_from_slice(&(meta_len as u32).to_le_bytes());
                bytes.extend_from_slice(&meta);
                schema_message = Some(bytes);
            }
            MessageHeader::DictionaryBatch => dictionaries.push(span),
            MessageHeader::RecordBatch => {
                let rows = message
                    .header_as_record_batch()
                    .map(|batch| batch.length())
                    .and_then(|rows| u64::try_from(rows).ok())
                    .ok_or_else(|| truncated(offset))?;
                batches.push(BatchEntry {
                    span,
                    rows,
                    dictionaries_before: dictionaries.len(),
                });
            }
            _ => {}
        }
        offset += len;
    }
    let schema_message = schema_message.ok_or_else(|| {
        DataError::format(path, FORMAT, "no schema message: not an Arrow IPC file")
    })?;
    Ok(Layout {
        schema_message,
        dictionaries,
        batches,
    })
}

impl Source for ArrowFile {
    fn name(&self) -> &Path {
        &self.path
    }

    fn format(&self) -> Format {
        Format::Arrow
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
        let mut rows = self.rows(index..index.saturating_add(1))?;
        rows.pop().ok_or(DataError::RowOutOfRange {
            path: self.path.clone(),
            row: index,
            len: self.num_rows(),
        })
    }

    fn rows(&self, range: Range<u64>) -> Result<Vec<Row>, DataError> {
        let len = self.num_rows();
        if range.start >= len {
            return Err(DataError::RowOutOfRange {
                path: self.path.clone(),
                row: range.start,
                len,
            });
        }
        let end = range.end.min(len);
        let mut rows = Vec::new();
        let mut next = range.start;
        while next < end {
            let batch = self.starts.partition_point(|&start| start <= next) - 1;
            let batch_start = self.starts[batch];
            let batch_end = self.starts[batch + 1].min(end);
            rows.extend(self.rows_of_batch(
                batch,
                (next - batch_start) as usize..(batch_end - batch_start) as usize,
            )?);
            next = batch_end;
        }
        Ok(rows)
    }

    fn batches(&self, batch_rows: usize) -> Result<RowBatches<'_>, DataError> {
        let batch_rows = batch_rows.max(1) as u64;
        let len = self.num_rows();
        let starts = (0..len).step_by(batch_rows as usize);
        Ok(Box::new(starts.map(move |start| {
            self.rows(start..(start + batch_rows).min(len))
        })))
    }

    fn set_projection(&mut self, columns: Option<&[&str]>) -> Result<(), DataError> {
        let indices = match columns {
            None => None,
            Some(columns) => {
                self.schema.check_projection(&self.path, columns)?;
                let mut indices: Vec<usize> = columns
                    .iter()
                    .filter_map(|column| self.arrow_schema.index_of(column).ok())
                    .collect();
                indices.sort_unstable();
                indices.dedup();
                Some(indices)
            }
        };
        self.names = names_of(&self.arrow_schema, indices.as_deref());
        self.projection = indices;
        if let Ok(mut last) = self.last_batch.lock() {
            *last = None;
        }
        Ok(())
    }
}
