//! The studio's model in the loop: the state of the model section of the
//! preview (one row scored or generated) and of the batch evaluation (the
//! first N rows of the split), the requests the app sends to the model
//! worker and the events it answers with. The numbers come from
//! `crate::model` (its jobs, run and tally): nothing is computed twice.

use std::sync::Arc;

use crate::core::template::Template;
use crate::model::job::Prepared;
use crate::model::run::{Job, Mode, RowResult, Settings};
use crate::model::summary::{Summary, Tally};

use super::backend::SplitRef;

/// What the studio knows of the model server.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ModelStatus {
    /// Its configuration is being read.
    #[default]
    Unconfigured,
    /// Configured, not asked anything yet.
    Idle,
    /// The first request is on its way.
    Connecting,
    Connected,
    /// Connection refused, timed out, or the key refused (the message says which).
    Unreachable(String),
    /// The server gives no prompt log-probabilities: generation only.
    CannotScore(String),
    /// The `[model]` configuration is wrong.
    Misconfigured(String),
}

impl ModelStatus {
    /// One word or two for the header.
    pub fn label(&self) -> &'static str {
        match self {
            ModelStatus::Unconfigured => "reading configuration",
            ModelStatus::Idle => "not contacted",
            ModelStatus::Connecting => "connecting",
            ModelStatus::Connected => "connected",
            ModelStatus::Unreachable(_) => "unreachable",
            ModelStatus::CannotScore(_) => "cannot score",
            ModelStatus::Misconfigured(_) => "misconfigured",
        }
    }

    pub fn is_problem(&self) -> bool {
        matches!(
            self,
            ModelStatus::Unreachable(_)
                | ModelStatus::CannotScore(_)
                | ModelStatus::Misconfigured(_)
        )
    }
}

/// What the preview shows: a template's text on a row of a split with a seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowKey {
    pub text: TemplateText,
    pub split: Option<String>,
    pub row: usize,
    pub seed: u64,
}

/// The model section of the preview: one row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowEval {
    pub generation: u64,
    pub key: RowKey,
    pub mode: Mode,
    /// The job sent, or why the row is not sent.
    pub prepared: Prepared,
    /// The completion so far, while it streams.
    pub streamed: String,
    /// The finished result.
    pub result: Option<RowResult>,
    /// Why the request failed as a whole (unreachable, cannot score).
    pub failure: Option<String>,
}

impl RowEval {
    pub fn running(&self) -> bool {
        matches!(self.prepared, Prepared::Job(_)) && self.result.is_none() && self.failure.is_none()
    }
}

/// The text of a template that an evaluation measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateText {
    pub id: String,
    pub jinja: Arc<str>,
    pub answer_choices: Option<Arc<str>>,
}

impl TemplateText {
    pub fn of(template: &Template) -> TemplateText {
        TemplateText {
            id: template.id.to_string(),
            jinja: template.jinja.clone(),
            answer_choices: template.answer_choices.clone(),
        }
    }
}

/// A row the model got wrong, for the batch view.
#[derive(Debug, Clone, PartialEq)]
pub struct WrongRow {
    pub row: usize,
    /// The model's pick or completion.
    pub answer: String,
    pub target: String,
}

/// One batch evaluation of the current template.
#[derive(Debug, Clone)]
pub struct BatchEval {
    pub generation: u64,
    pub text: TemplateText,
    pub split: String,
    pub seed: u64,
    pub mode: Mode,
    /// Rows asked for (the first N of the split, fewer if it is shorter).
    pub rows: usize,
    /// The jobs sent, once the rows are rendered.
    pub jobs: Vec<Job>,
    pub done: usize,
    pub tally: Tally,
    pub wrong: Vec<WrongRow>,
    pub finished: bool,
    pub failure: Option<String>,
    /// The evaluation of this template's previous text, to compare with.
    pub previous: Option<Summary>,
    pub previous_source: Option<PreviousSource>,
}

/// Where the numbers an evaluation is compared with come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviousSource {
    /// This template's last other text evaluated since the studio started.
    Session,
    /// The text saved on disk, every row's answer found in the response cache.
    SavedInCache,
}

impl BatchEval {
    pub fn summary(&self) -> Summary {
        self.tally.summary()
    }

    /// Rows rendered and answered (or skipped) so far, of all asked for.
    pub fn progress(&self) -> (usize, usize) {
        let total = self.jobs.len() + self.tally.skipped;
        (
            self.done + self.tally.skipped,
            total.max(self.rows.min(total.max(1))),
        )
    }
}

/// A finished evaluation, kept so that the next text of the same template
/// can show its change.
#[derive(Debug, Clone)]
pub struct EvalRecord {
    pub text: TemplateText,
    pub split: String,
    pub seed: u64,
    pub mode: Mode,
    pub rows: usize,
    pub summary: Summary,
}

#[derive(Debug, Clone, Default)]
pub struct ModelState {
    pub status: ModelStatus,
    pub endpoint: Option<String>,
    /// The configured model, then the one the server named.
    pub model: Option<String>,
    /// Rows a batch evaluation takes.
    pub eval_rows: usize,
    /// Run the model on every row change.
    pub auto: bool,
    pub generation: u64,
    /// The preview's row to run once its render arrives (row change with `auto`).
    pub wanted: bool,
    /// What the preview was last asked for.
    pub previewing: Option<RowKey>,
    pub row: Option<RowEval>,
    pub batch_generation: u64,
    pub batch: Option<BatchEval>,
    /// Finished evaluations, oldest first.
    pub history: Vec<EvalRecord>,
}

/// Work for the model worker.
#[derive(Debug, Clone)]
pub enum ModelRequest {
    /// Score or generate one row already rendered (the preview's).
    Row {
        generation: u64,
        job: Job,
        settings: Settings,
    },
    /// Render the first `rows` rows of `split` and evaluate them.
    Batch {
        generation: u64,
        template: Box<Template>,
        split: SplitRef,
        rows: usize,
        data_epoch: u64,
        settings: Settings,
        /// The saved text of the template, evaluated from the response
        /// cache alone to compare with (when the session has no other text).
        saved: Option<Box<Template>>,
    },
    CancelRow,
    CancelBatch,
}

/// The model worker's answers.
#[derive(Debug, Clone)]
pub enum ModelEvent {
    /// The configuration was read (no request sent yet).
    Configured {
        endpoint: String,
        model: Option<String>,
        eval_rows: usize,
    },
    Misconfigured(String),
    /// A request reached the server, which serves `model`.
    Connected {
        model: String,
    },
    /// A whole request failed: the server is unreachable, refuses the key,
    /// or cannot score.
    Failed {
        generation: u64,
        batch: bool,
        status: ModelStatus,
    },
    /// The batch could not start for a reason of its own (its rows could
    /// not be read, its template does not compile): the server is not in question.
    BatchError {
        generation: u64,
        message: String,
    },
    RowText {
        generation: u64,
        piece: String,
    },
    RowDone {
        generation: u64,
        result: RowResult,
    },
    /// The batch's rows are rendered: these are sent, `skipped` are not.
    BatchJobs {
        generation: u64,
        jobs: Vec<Job>,
        skipped: usize,
    },
    BatchRow {
        generation: u64,
        index: usize,
        result: RowResult,
    },
    BatchDone {
        generation: u64,
    },
    /// The saved text's numbers, every answer found in the response cache.
    BatchPrevious {
        generation: u64,
        summary: Summary,
    },
}
