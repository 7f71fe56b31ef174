//! Where the rows of a (dataset, subset, split) come from: the data layer's
//! sources as the data layer's [`SplitRows`], streamed forward.

use std::ops::Range;

use anyhow::Context;

use std::cell::RefCell;

use crate::core::datum::Row;
use crate::data::source::RowCount;
use crate::data::{RowBatches, Source, SplitRows};

/// Rows the stream decodes at a time; a request takes what it needs and the
/// rest waits for the next one.
const STREAM_BATCH_ROWS: usize = 512;

/// Any source of the data layer (Parquet, Arrow IPC, JSON Lines, CSV...),
/// opened for export; [`DataRows::stream`] reads it.
pub struct DataRows {
    source: Box<dyn Source>,
    rows: usize,
}

impl DataRows {
    /// Wraps `source`, waiting for its row count (text formats count lines
    /// in the background) and decoding only the columns in `read` (by name
    /// after the `-` to `_` rename; `None` for all).
    pub fn new(mut source: Box<dyn Source>, read: Option<&[String]>) -> anyhow::Result<DataRows> {
        let count = source.wait_for_row_count()?;
        let rows = usize::try_from(count).with_context(|| {
            format!(
                "{}: {count} rows do not fit in memory indexes",
                source.name().display()
            )
        })?;
        if let Some(variables) = read {
            let columns = projected_columns(source.schema().column_names(), variables);
            let names: Vec<&str> = columns.iter().map(String::as_str).collect();
            source.set_projection(Some(&names))?;
        }
        Ok(DataRows { source, rows })
    }
}

/// The columns a set of templates needs: those whose renamed name is a
/// variable they read, plus any column PromptSource would refuse
/// (`answer_choices`), so that the refusal still happens. Never empty, so a
/// row still exists for templates that read nothing from it.
fn projected_columns<'a>(
    columns: impl Iterator<Item = &'a str>,
    variables: &[String],
) -> Vec<String> {
    let all: Vec<&str> = columns.collect();
    let mut chosen: Vec<String> = all
        .iter()
        .filter(|column| {
            let renamed = column.replace('-', "_");
            renamed == "answer_choices" || variables.contains(&renamed)
        })
        .map(|column| column.to_string())
        .collect();
    if chosen.is_empty() {
        chosen.extend(all.first().map(|column| column.to_string()));
    }
    chosen
}

impl DataRows {
    /// The rows, read by one reader streaming forward: consecutive requests
    /// (the export's batches) continue where the last one stopped instead of
    /// each seeking into its Parquet row group again, which decoded the
    /// pages around every boundary twice. A request elsewhere (rows passed
    /// over by `--max-rows-per-dataset`) starts a new stream there.
    pub fn stream(&self) -> StreamRows<'_> {
        StreamRows {
            data: self,
            state: RefCell::new(StreamState {
                stream: None,
                position: 0,
                buffered: Vec::new(),
            }),
        }
    }
}

/// See [`DataRows::stream`].
pub struct StreamRows<'a> {
    data: &'a DataRows,
    /// One reader (the export's), so a `RefCell` suffices.
    state: RefCell<StreamState<'a>>,
}

struct StreamState<'a> {
    stream: Option<RowBatches<'a>>,
    /// The row `buffered` starts at.
    position: usize,
    buffered: Vec<Row>,
}

impl SplitRows for StreamRows<'_> {
    fn row_count(&self) -> RowCount {
        RowCount::Exact(self.data.rows as u64)
    }

    fn wait_for_row_count(&self) -> anyhow::Result<usize> {
        Ok(self.data.rows)
    }

    fn rows(&self, range: Range<usize>) -> anyhow::Result<Vec<Row>> {
        let range = range.start..range.end.min(self.data.rows);
        if range.is_empty() {
            return Ok(Vec::new());
        }
        let mut state = self.state.borrow_mut();
        let state = &mut *state;
        if state.stream.is_none() || state.position != range.start {
            let rows = range.start as u64..self.data.rows as u64;
            state.stream = Some(self.data.source.range_batches(rows, STREAM_BATCH_ROWS)?);
            state.position = range.start;
            state.buffered.clear();
        }
        while state.buffered.len() < range.len() {
            match state.stream.as_mut().and_then(Iterator::next) {
                Some(batch) => state.buffered.extend(batch?),
                None => break,
            }
        }
        let taken = range.len().min(state.buffered.len());
        let rows: Vec<Row> = state.buffered.drain(..taken).collect();
        state.position += taken;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_reads_consecutive_and_scattered_ranges_like_the_source() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("rows.jsonl");
        let lines: String = (0..1000)
            .map(|index| format!("{{\"text\": \"row {index}\", \"n\": {index}}}\n"))
            .collect();
        std::fs::write(&path, lines).unwrap();
        let data = DataRows::new(crate::data::open(&path).unwrap(), None).unwrap();
        let reference = crate::data::open(&path).unwrap();
        reference.wait_for_row_count().unwrap();
        let stream = data.stream();
        assert_eq!(stream.row_count(), RowCount::Exact(1000));
        // Consecutive (one stream), a jump ahead, a jump back, the end.
        for range in [0..300, 300..700, 700..701, 900..1000, 100..200, 200..200] {
            let expected = if range.is_empty() {
                Vec::new()
            } else {
                reference
                    .rows(range.start as u64..range.end as u64)
                    .unwrap()
            };
            assert_eq!(stream.rows(range.clone()).unwrap(), expected, "{range:?}");
        }
        // Past the end: fewer rows than asked, which the export reports.
        assert_eq!(stream.rows(990..1010).unwrap().len(), 10);
    }

    #[test]
    fn projection_keeps_read_and_refused_columns() {
        let columns = ["question-X", "label", "unused", "answer-choices"];
        let chosen = projected_columns(
            columns.iter().copied(),
            &["question_X".to_string(), "label".to_string()],
        );
        assert_eq!(chosen, vec!["question-X", "label", "answer-choices"]);
        // A refused column alone is still read, so PromptSource's refusal happens.
        let refused_only = projected_columns(columns.iter().copied(), &[]);
        assert_eq!(refused_only, vec!["answer-choices"]);
        // Templates that read nothing still get rows (of one column).
        let nothing = projected_columns(["text", "label"].iter().copied(), &[]);
        assert_eq!(nothing, vec!["text"]);
    }
}
