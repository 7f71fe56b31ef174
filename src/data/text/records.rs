//! Records of a text file read from any byte offset: a JSON Lines record is
//! a non-blank line, a CSV record one or more lines (a quoted field may
//! hold line breaks).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::data::error::DataError;

/// A record (line, or CSV record) longer than this is refused: reading it
/// would need that much memory at once. 100 MB cells fit.
pub const MAX_RECORD_BYTES: u64 = 256 << 20;

/// One record and the line it starts on.
pub(super) struct Record {
    pub(super) line: u64,
    pub(super) text: String,
}

/// Reads records one after the other from a byte offset.
pub(super) struct RecordReader {
    reader: BufReader<File>,
    pub(super) name: PathBuf,
    /// CSV: a record goes on past a line break inside quotes.
    quoted_line_breaks: bool,
    /// Bytes consumed from the start of the file.
    pub(super) offset: u64,
    /// Line number (1-based) of the next line.
    pub(super) line: u64,
    buffer: Vec<u8>,
    /// Records returned so far, and whether the end of the file was met.
    pub(super) records_read: u64,
    pub(super) at_end: bool,
}

impl RecordReader {
    pub(super) fn new(
        file: File,
        name: &Path,
        quoted_line_breaks: bool,
        offset: u64,
        line: u64,
    ) -> RecordReader {
        RecordReader {
            reader: BufReader::with_capacity(64 << 10, file),
            name: name.to_path_buf(),
            quoted_line_breaks,
            offset,
            line,
            buffer: Vec::new(),
            records_read: 0,
            at_end: false,
        }
    }

    pub(super) fn seek_to_start(&mut self) -> Result<(), DataError> {
        self.reader
            .seek(SeekFrom::Start(self.offset))
            .map_err(|error| DataError::io(&self.name, error))?;
        Ok(())
    }

    pub(super) fn skip_bom(&mut self) -> Result<(), DataError> {
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

    pub(super) fn next_record(&mut self) -> Result<Option<Record>, DataError> {
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
                if !self.quoted_line_breaks {
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
