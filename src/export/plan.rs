//! What a split's export does before any row is read: which templates
//! still have outputs to write and which of the shard's rows each renders
//! ([`ActiveTemplate`]), and how the rows are cut into batches
//! ([`BatchPlan`]).

use std::ops::Range;

use crate::core::datum::{Datum, Row};

use super::record::Variant;
use super::{naming, TemplateJob};

/// Most rows read, rendered and written together.
pub(super) const BATCH_ROWS: usize = 2048;

/// About the memory one batch may take: its rows and their renders for
/// every template. Long documents (multi_news, ~11 KB a row) get batches of
/// a few hundred rows; short rows (ag_news) get [`BATCH_ROWS`].
pub(super) const BATCH_BYTES: usize = 16 << 20;

/// Rows of the first batch of a split, read to measure the rows' size.
pub(super) const FIRST_BATCH_ROWS: usize = 64;

pub(super) struct ActiveTemplate<'a> {
    pub(super) template: &'a TemplateJob<'a>,
    /// Sorted rows of this shard the template keeps; `None` for all.
    pub(super) selected: Option<Vec<usize>>,
    pub(super) pending: Vec<PendingOutput>,
}

impl ActiveTemplate<'_> {
    /// The rows of `batch` this template renders.
    pub(super) fn rows_in<'s>(
        &'s self,
        batch: &Range<usize>,
    ) -> Box<dyn Iterator<Item = usize> + 's> {
        match &self.selected {
            None => Box::new(batch.clone()),
            Some(list) => {
                let from = list.partition_point(|&row| row < batch.start);
                let to = list.partition_point(|&row| row < batch.end);
                Box::new(list[from..to].iter().copied())
            }
        }
    }

    pub(super) fn wants_any(&self, batch: &Range<usize>) -> bool {
        self.rows_in(batch).next().is_some()
    }
}

/// An output still to write.
pub(super) struct PendingOutput {
    pub(super) variant: Variant,
    /// Its folder's name.
    pub(super) task: String,
    /// P3's task name, when the folder's is a shortened form of it.
    pub(super) full_task_name: Option<String>,
}

impl PendingOutput {
    pub(super) fn new(variant: Variant, full_name: String) -> PendingOutput {
        let task = naming::bounded_task_name(&full_name);
        PendingOutput {
            variant,
            full_task_name: (task != full_name).then_some(full_name),
            task,
        }
    }
}

/// `range` cut into consecutive pieces of `size` rows.
pub(super) fn batch_ranges(range: Range<usize>, size: usize) -> impl Iterator<Item = Range<usize>> {
    let end = range.end;
    range
        .step_by(size.max(1))
        .map(move |start| start..(start + size).min(end))
}

/// Cuts a split's rows into batches of about [`BATCH_BYTES`]: each batch's
/// row count follows from the average size of the rows read in the batch
/// before (the first is small, to measure). It depends on the data only, so
/// the batches, and the bytes written, are the same for any thread count.
pub(super) struct BatchPlan {
    pub(super) next_start: usize,
    pub(super) end: usize,
    pub(super) batch_rows: usize,
    /// Copies of a row's text a batch holds: the row and one render per
    /// template.
    pub(super) copies: usize,
}

impl BatchPlan {
    pub(super) fn new(rows: Range<usize>, templates: usize) -> BatchPlan {
        BatchPlan {
            next_start: rows.start,
            end: rows.end,
            batch_rows: FIRST_BATCH_ROWS,
            copies: templates + 1,
        }
    }

    /// The next batch `wanted` accepts; the others are passed over.
    pub(super) fn next_where(
        &mut self,
        wanted: impl Fn(&Range<usize>) -> bool,
    ) -> Option<Range<usize>> {
        while self.next_start < self.end {
            let batch = self.next_start..(self.next_start + self.batch_rows).min(self.end);
            self.next_start = batch.end;
            if wanted(&batch) {
                return Some(batch);
            }
        }
        None
    }

    /// Sizes the batches after `rows` on their average size.
    pub(super) fn learn(&mut self, rows: &[Row]) {
        if rows.is_empty() {
            return;
        }
        let bytes: usize = rows.iter().map(row_bytes).sum();
        let per_row = (bytes / rows.len()).max(1) * self.copies;
        self.batch_rows = (BATCH_BYTES / per_row).clamp(1, BATCH_ROWS);
    }
}

/// Roughly the memory a row takes, text and bookkeeping.
pub(super) fn row_bytes(row: &Row) -> usize {
    pub(super) fn datum_bytes(datum: &Datum) -> usize {
        const VALUE: usize = 24;
        VALUE
            + match datum {
                Datum::Str(text) => text.len(),
                Datum::Bytes(bytes) => bytes.len(),
                Datum::List(items) => items.iter().map(datum_bytes).sum(),
                Datum::Dict(fields) => fields
                    .iter()
                    .map(|(key, value)| key.len() + datum_bytes(value))
                    .sum(),
                Datum::Display { str, repr } => str.len() + repr.len(),
                Datum::None | Datum::Bool(_) | Datum::Int(_) | Datum::Float(_) => 0,
            }
    }
    row.fields.iter().map(|(_, value)| datum_bytes(value)).sum()
}
