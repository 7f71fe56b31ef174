//! The background walk that records where every 64th record starts, so
//! that row N is a seek to the nearest checkpoint and at most 63 records
//! read forward.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};

/// One checkpoint every this many records.
pub(super) const STRIDE: u64 = 64;
/// Bytes the indexer reads at a time.
const INDEX_CHUNK: usize = 1 << 20;

/// Where a record starts: its byte offset and (1-based) line number.
#[derive(Debug, Clone, Copy)]
pub(super) struct Checkpoint {
    pub(super) offset: u64,
    pub(super) line: u64,
}

#[derive(Default)]
pub(super) struct IndexState {
    /// Where records 0, STRIDE, 2*STRIDE... start.
    pub(super) checkpoints: Vec<Checkpoint>,
    pub(super) records: u64,
    pub(super) done: bool,
    pub(super) error: Option<String>,
}

pub(super) struct LineIndex {
    state: Mutex<IndexState>,
    changed: Condvar,
    cancelled: AtomicBool,
}

impl LineIndex {
    pub(super) fn new() -> LineIndex {
        LineIndex {
            state: Mutex::new(IndexState::default()),
            changed: Condvar::new(),
            cancelled: AtomicBool::new(false),
        }
    }

    /// Blocks until the walk publishes more (or ends).
    pub(super) fn wait<'a>(
        &'a self,
        state: std::sync::MutexGuard<'a, IndexState>,
    ) -> std::sync::MutexGuard<'a, IndexState> {
        self.changed
            .wait(state)
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stops the walk at its next chunk.
    pub(super) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, IndexState> {
        // A panicking indexer leaves consistent state (it only appends).
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Walks the file once, publishing checkpoints as it goes.
pub(super) fn build_index(
    mut file: File,
    start: u64,
    start_line: u64,
    csv: bool,
    index: &LineIndex,
) {
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
