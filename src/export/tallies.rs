//! Counting what became of the rows: per render task ([`ChunkTally`]), per
//! batch and template ([`TemplateBatch`]).

use std::sync::Arc;

use super::manifest::{Counts, OutputEntry, RowError, KEPT_ERROR_MESSAGES};
use super::record::{self, Example, RowOutcome, SharedChoices, Variant};

/// One batch rendered: what each active template gave.
pub(super) struct BatchRender {
    pub(super) renders: u64,
    pub(super) templates: Vec<TemplateBatch>,
}

#[derive(Default)]
pub(super) struct TemplateBatch {
    pub(super) counts: Counts,
    pub(super) errors: Vec<RowError>,
    /// Kept rows in row order, shared by the template's outputs (plain and
    /// rank classification).
    pub(super) examples: Arc<Vec<Vec<Example>>>,
    /// Roughly the memory `examples` holds.
    pub(super) bytes: usize,
}

/// Roughly the memory one kept row holds (its text and bookkeeping; shared
/// answer choices are not counted again).
pub(super) fn record_bytes(example: &Example) -> usize {
    const OVERHEAD: usize = 96;
    let tokens = example.tokens.as_ref().map_or(0, |tokens| {
        4 * (tokens.input.len()
            + tokens.target.len()
            + tokens.choices.iter().map(Vec::len).sum::<usize>())
    });
    OVERHEAD + example.input.len() + example.target.len() + tokens
}

/// One template's outcomes over a few rows, tallied where they were rendered.
#[derive(Default)]
pub(super) struct ChunkTally {
    pub(super) renders: u64,
    pub(super) examples: Vec<Example>,
    pub(super) counts: Counts,
    pub(super) errors: Vec<RowError>,
    /// With `--strict`, the first row that failed, described.
    pub(super) strict_failure: Option<String>,
    pub(super) shared_choices: SharedChoices,
}

impl ChunkTally {
    pub(super) fn note(&mut self, row_index: usize, outcome: RowOutcome, strict: bool) {
        if self.strict_failure.is_some() {
            return;
        }
        self.renders += 1;
        match outcome {
            RowOutcome::Kept(example) => {
                self.counts.kept += 1;
                self.examples.push(example);
            }
            RowOutcome::Error(message) => {
                if strict {
                    self.strict_failure = Some(format!("failed on row {row_index}: {message}"));
                }
                self.counts.errors += 1;
                self.errors.push(RowError {
                    row: row_index as u64,
                    message,
                });
            }
            RowOutcome::Blank => {
                if strict {
                    self.strict_failure =
                        Some(format!("gives a blank input or target on row {row_index}"));
                }
                self.counts.blank += 1;
            }
            RowOutcome::TooLong => self.counts.too_long += 1,
        }
    }
}

impl BatchRender {
    /// Adds up the tallies of a batch's render tasks (in row order, one
    /// tally per active template each). Each task tallied its own outcomes,
    /// so what stays serial here is adding up counts and moving lists, not
    /// records. With `--strict`, the first failure: the template's index
    /// and the failure described.
    pub(super) fn gather(
        tallied: Vec<Vec<ChunkTally>>,
        template_count: usize,
    ) -> Result<BatchRender, (usize, String)> {
        let mut renders = 0u64;
        let mut templates: Vec<TemplateBatch> = (0..template_count)
            .map(|_| TemplateBatch::default())
            .collect();
        let mut examples: Vec<Vec<Vec<Example>>> = vec![Vec::new(); template_count];
        for task in tallied {
            for (template_index, tally) in task.into_iter().enumerate() {
                if let Some(failure) = tally.strict_failure {
                    return Err((template_index, failure));
                }
                renders += tally.renders;
                let template = &mut templates[template_index];
                let counts = &mut template.counts;
                counts.kept += tally.counts.kept;
                counts.errors += tally.counts.errors;
                counts.blank += tally.counts.blank;
                counts.too_long += tally.counts.too_long;
                template.errors.extend(tally.errors);
                if !tally.examples.is_empty() {
                    examples[template_index].push(tally.examples);
                }
            }
        }
        for (template, kept) in templates.iter_mut().zip(examples) {
            template.bytes = kept.iter().flatten().map(record_bytes).sum();
            template.examples = Arc::new(kept);
        }
        Ok(BatchRender { renders, templates })
    }
}

impl TemplateBatch {
    /// Counts this batch into an output's manifest entry: a
    /// rank-classification output keeps only the rows with answer choices.
    pub(super) fn count_into(&self, entry: &mut OutputEntry) {
        let tally = &self.counts;
        entry.counts.errors += tally.errors;
        entry.counts.blank += tally.blank;
        entry.counts.too_long += tally.too_long;
        match entry.variant {
            Variant::Plain => entry.counts.kept += tally.kept,
            Variant::RankClassification => {
                let with_choices = self
                    .examples
                    .iter()
                    .flatten()
                    .filter(|example| record::has_choices(example))
                    .count() as u64;
                entry.counts.kept += with_choices;
                entry.counts.no_choices += tally.kept - with_choices;
            }
        }
        let room = KEPT_ERROR_MESSAGES.saturating_sub(entry.first_errors.len());
        entry
            .first_errors
            .extend(self.errors.iter().take(room).cloned());
    }
}
