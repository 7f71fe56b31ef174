//! Where the rows of a (dataset, subset, split) come from: the data layer's
//! sources behind [`RowSource`].

use std::ops::Range;

use anyhow::Context;

use super::RowSource;
use crate::core::datum::Row;
use crate::data::Source;

/// Any source of the data layer (Parquet, Arrow IPC, JSON Lines, CSV...),
/// read in row ranges.
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

impl RowSource for DataRows {
    fn num_rows(&self) -> usize {
        self.rows
    }

    fn read_rows(&mut self, range: Range<usize>) -> anyhow::Result<Vec<Row>> {
        if range.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.source.rows(range.start as u64..range.end as u64)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
