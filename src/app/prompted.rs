//! The prompted-dataset view (PromptSource's "Prompted dataset viewer"):
//! every prompt of the dataset applied to the current row, one under the
//! other. Rendering leaves the UI thread as [`Effect::PromptedRow`] and
//! comes back as [`Event::Prompted`].
//!
//! [`Effect::PromptedRow`]: super::Effect::PromptedRow
//! [`Event::Prompted`]: super::Event::Prompted

use std::sync::Arc;

use super::backend::{Diagnostic, Engine, Rendered, SplitRef};
use crate::core::template::Template;
use crate::data::SplitRows;

/// Asks for every prompt of a file over one row.
#[derive(Debug, Clone)]
pub struct PromptedRequest {
    pub generation: u64,
    pub templates: Vec<Template>,
    pub split: SplitRef,
    pub row: usize,
    pub seed: u64,
    pub data_epoch: u64,
}

/// A prompt's name and its render on the row.
pub type PromptOutcome = (String, Result<Rendered, Diagnostic>);

/// Each prompt's render (by name), or why the row could not be read.
#[derive(Debug, Clone)]
pub struct PromptedResult {
    pub generation: u64,
    pub row: usize,
    pub outcomes: Result<Vec<PromptOutcome>, String>,
}

#[derive(Debug, Default)]
pub struct PromptedState {
    /// The newest request; older answers are dropped.
    pub generation: u64,
    /// What the newest request was for: (row, split name, the prompts).
    pub requested_for: Option<(usize, String, Vec<Template>)>,
    pub result: Option<PromptedResult>,
    pub scroll: usize,
}

impl PromptedRequest {
    /// Renders every prompt on the row; may be slow, so never on the UI thread.
    pub fn perform(
        self,
        engine: &dyn Engine,
        source: Arc<dyn SplitRows + Send + Sync>,
    ) -> PromptedResult {
        let outcomes = source
            .row(self.row)
            .map_err(|error| format!("row {}: {error:#}", self.row))
            .map(|row| {
                self.templates
                    .iter()
                    .map(|template| {
                        let rendered = engine
                            .compile(template)
                            .and_then(|compiled| compiled.apply(&row, Some(self.seed), false));
                        (template.name.to_string(), rendered)
                    })
                    .collect()
            });
        PromptedResult {
            generation: self.generation,
            row: self.row,
            outcomes,
        }
    }
}
