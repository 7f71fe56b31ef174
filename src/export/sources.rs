//! Where the rows of a (dataset, subset, split) come from: the data layer's
//! sources behind [`SplitRows`].

use std::ops::Range;

use anyhow::Context;

use super::SplitRows;
use crate::core::datum::Row;
use crate::data::{RowBatches, Source};

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
            stream: None,
            position: 0,
            buffered: Vec::new(),
        }
    }
}

/// See [`DataRows::stream`].
pub struct StreamRows<'a> {
    data: &'a DataRows,
    stream: Option<RowBatches<'a>>,
    /// The row `buffered` starts at.
    position: usize,
    buffered: Vec<Row>,
}

impl SplitRows for StreamRows<'_> {
    fn num_rows(&self) -> usize {
        self.data.rows
    }

    fn read_rows(&mut self, range: Range<usize>) -> anyhow::Result<Vec<Row>> {
        if range.is_empty() {
            return Ok(Vec::new());
        }
        if self.stream.is_none() || self.position != range.start {
            let rows = range.start as u64..self.data.rows as u64;
            self.stream = Some(self.data.source.range_batches(rows, STREAM_BATCH_ROWS)?);
            self.position = range.start;
            self.buffered.clear();
        }
        while self.buffered.len() < range.len() {
            match self.stream.as_mut().and_then(Iterator::next) {
                Some(batch) => self.buffered.extend(batch?),
                None => break,
            }
        }
        let taken = range.len().min(self.buffered.len());
        let rows: Vec<Row> = self.buffered.drain(..taken).collect();
        self.position += taken;
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
        let mut stream = data.stream();
        assert_eq!(stream.num_rows(), 1000);
        // Consecutive (one stream), a jump ahead, a jump back, the end.
        for range in [0..300, 300..700, 700..701, 900..1000, 100..200, 200..200] {
            let expected = if range.is_empty() {
                Vec::new()
            } else {
                reference
                    .rows(range.start as u64..range.end as u64)
                    .unwrap()
            };
            assert_eq!(
                stream.read_rows(range.clone()).unwrap(),
                expected,
                "{range:?}"
            );
        }
        // Past the end: fewer rows than asked, which the export reports.
        assert_eq!(stream.read_rows(990..1010).unwrap().len(), 10);
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
