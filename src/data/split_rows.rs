//! [`SplitRows`]: the rows of one split as the studio and `export` read
//! them, by 0-based index. A [`Source`] answers for its file (schema,
//! batches, projection) and is `Send` but not `Sync`; [`SharedSource`]
//! makes one readable from many threads (the studio's workers), `export`
//! streams one forward, and tests fill the trait with rows held in memory.

use std::ops::Range;
use std::sync::Mutex;

use crate::core::datum::Row;
use crate::data::error::DataError;
use crate::data::features::Feature;
use crate::data::source::{RowCount, Source};

/// The rows of one split.
pub trait SplitRows {
    /// How many rows, as far as known: text formats count in the background.
    fn row_count(&self) -> RowCount;

    /// Blocks until the rows are counted.
    fn wait_for_row_count(&self) -> anyhow::Result<usize>;

    /// Rows `range`, clamped to the split (empty past its end). A text
    /// source still counting waits until the walk has passed the range.
    fn rows(&self, range: Range<usize>) -> anyhow::Result<Vec<Row>>;

    /// Row `index`; an error past the end.
    fn row(&self, index: usize) -> anyhow::Result<Row> {
        self.rows(index..index.saturating_add(1))?
            .pop()
            .ok_or_else(|| anyhow::anyhow!("no row {index}"))
    }

    /// The Hugging Face features of the columns that declare one.
    fn features(&self) -> Vec<(String, Feature)> {
        Vec::new()
    }
}

impl RowCount {
    /// The rows known so far (all of them once counted).
    pub fn known(self) -> usize {
        match self {
            RowCount::Exact(rows) | RowCount::AtLeast(rows) => {
                usize::try_from(rows).unwrap_or(usize::MAX)
            }
        }
    }

    /// Whether the count is final.
    pub fn is_exact(self) -> bool {
        matches!(self, RowCount::Exact(_))
    }
}

/// A data-layer source shared by threads. Reads are short (one row, or one
/// block of a scan), so a mutex costs little.
pub struct SharedSource {
    source: Mutex<Box<dyn Source>>,
    features: Vec<(String, Feature)>,
}

impl SharedSource {
    pub fn new(source: Box<dyn Source>) -> SharedSource {
        let features = source
            .schema()
            .columns
            .iter()
            .filter_map(|column| Some((column.name.clone(), column.feature.clone()?)))
            .collect();
        SharedSource {
            source: Mutex::new(source),
            features,
        }
    }

    fn with<T>(&self, read: impl FnOnce(&dyn Source) -> anyhow::Result<T>) -> anyhow::Result<T> {
        let source = self
            .source
            .lock()
            .map_err(|_| anyhow::anyhow!("a reader of this split crashed"))?;
        read(source.as_ref())
    }
}

impl SplitRows for SharedSource {
    fn row_count(&self) -> RowCount {
        self.with(|source| Ok(source.row_count()))
            .unwrap_or(RowCount::Exact(0))
    }

    fn wait_for_row_count(&self) -> anyhow::Result<usize> {
        // Polled rather than waited for under the lock, so that reads of
        // the rows counted so far go on meanwhile.
        loop {
            match self.with(|source| Ok(source.row_count()))? {
                RowCount::Exact(rows) => return Ok(usize::try_from(rows).unwrap_or(usize::MAX)),
                RowCount::AtLeast(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
            }
        }
    }

    fn rows(&self, range: Range<usize>) -> anyhow::Result<Vec<Row>> {
        if range.is_empty() {
            return Ok(Vec::new());
        }
        self.with(
            |source| match source.rows(range.start as u64..range.end as u64) {
                Err(DataError::RowOutOfRange { .. }) => Ok(Vec::new()),
                read => Ok(read?),
            },
        )
    }

    fn features(&self) -> Vec<(String, Feature)> {
        self.features.clone()
    }
}
