//! The model in the loop: the preview's model section (one row scored or
//! generated, by a key or on every row change) and the batch view's
//! evaluation of the first N rows. Requests leave as [`Effect::Model`];
//! answers come back as [`Event::Model`](crate::app::Event::Model), and
//! a generation number drops the answers to requests since replaced.

use crate::app::model_state::*;
use crate::app::state::*;
use crate::app::{App, BATCH_PAGE};
use crate::export::record::SharedChoices;
use crate::model::job::{self, Prepared};
use crate::model::run::{Mode, RowResult, Settings};
use crate::model::summary::Tally;

impl App {
    /// Runs the model on the preview's row now, or as soon as its render arrives.
    pub(super) fn model_run(&mut self) {
        if !self.model_usable() {
            return;
        }
        if self.current.is_none() {
            return self.notify_error("No prompt open");
        }
        if self.preview.pending() {
            self.model.wanted = true;
            return;
        }
        self.model_run_preview();
    }

    pub(super) fn model_toggle_auto(&mut self) {
        self.model.auto = !self.model.auto;
        if self.model.auto {
            self.notify("The model runs on every row change");
            if self.model.row.is_none() {
                self.model_run();
            }
        } else {
            self.notify("The model runs when asked");
        }
    }

    fn model_usable(&mut self) -> bool {
        match &self.model.status {
            ModelStatus::Misconfigured(message) => {
                let message = format!("Model: {message}");
                self.notify_error(message);
                false
            }
            ModelStatus::Unconfigured => {
                self.notify_error("The model configuration is still being read");
                false
            }
            _ => true,
        }
    }

    /// Called for every preview request: a changed text or row makes the
    /// model section's answer stale (cancelled), and a row change runs the
    /// model again when it runs on every row.
    pub(in crate::app) fn model_preview_requested(
        &mut self,
        template: &crate::core::template::Template,
    ) {
        let key = RowKey {
            text: TemplateText::of(template),
            split: self.preview.current_split().map(|s| s.name.clone()),
            row: self.preview.row,
            seed: self.preview.seed,
        };
        let previous = self.model.previewing.replace(key.clone());
        if let Some(row) = &self.model.row {
            if row.key != key {
                if row.running() {
                    self.effects.push(Effect::Model(ModelRequest::CancelRow));
                }
                self.model.row = None;
                self.model.generation += 1;
            }
        }
        let moved = previous.as_ref().is_some_and(|previous| {
            (&previous.split, previous.row, previous.seed) != (&key.split, key.row, key.seed)
                && previous.text == key.text
        });
        if previous
            .as_ref()
            .is_some_and(|previous| previous.text != key.text)
        {
            self.model.wanted = false;
        }
        if moved && self.model.auto {
            self.model.wanted = true;
        }
    }

    /// The preview's newest render arrived.
    pub(in crate::app) fn model_preview_arrived(&mut self) {
        if self.model.wanted && !self.preview.pending() {
            self.model.wanted = false;
            self.model_run_preview();
        }
    }

    fn model_run_preview(&mut self) {
        let Some(template) = self.current_template().cloned() else {
            return;
        };
        let Some(result) = &self.preview.result else {
            return;
        };
        let rendered = match &result.outcome {
            Ok(rendered) => Ok(rendered.clone()),
            Err(PreviewError::Render(diagnostic)) => Err(diagnostic.to_string()),
            Err(PreviewError::Template(_)) => {
                return self.notify_error("The template does not compile: nothing to send")
            }
            Err(PreviewError::Data(_)) => return self.notify_error("No row to send"),
        };
        let Some(key) = self.model.previewing.clone() else {
            return;
        };
        let mode = job::auto_mode(&template);
        let prepared = job::prepare(key.row, rendered, mode, &mut SharedChoices::default());
        if self.model.row.as_ref().is_some_and(|row| row.running()) {
            self.effects.push(Effect::Model(ModelRequest::CancelRow));
        }
        self.model.generation += 1;
        let generation = self.model.generation;
        if let Prepared::Job(job) = &prepared {
            self.model_contacting();
            self.effects.push(Effect::Model(ModelRequest::Row {
                generation,
                job: job.clone(),
                settings: self.model_settings(mode),
            }));
        }
        self.model.row = Some(RowEval {
            generation,
            key,
            mode,
            prepared,
            streamed: String::new(),
            result: None,
            failure: None,
        });
    }

    fn model_settings(&self, mode: Mode) -> Settings {
        Settings {
            mode,
            seed: Some(self.preview.seed),
            ..Settings::default()
        }
    }

    fn model_contacting(&mut self) {
        if matches!(
            self.model.status,
            ModelStatus::Idle | ModelStatus::Unreachable(_)
        ) {
            self.model.status = ModelStatus::Connecting;
        }
    }

    /// Evaluates the current template on the first N rows of the split.
    pub(super) fn model_batch(&mut self) {
        if !self.model_usable() {
            return;
        }
        let (Some(template), Some(split)) = (
            self.current_template().cloned(),
            self.preview.current_split().cloned(),
        ) else {
            return self.notify_error("Evaluating needs a prompt and rows");
        };
        if self
            .model
            .batch
            .as_ref()
            .is_some_and(|batch| !batch.finished)
        {
            self.effects.push(Effect::Model(ModelRequest::CancelBatch));
        }
        let mode = job::auto_mode(&template);
        let text = TemplateText::of(&template);
        let rows = self.model.eval_rows;
        let seed = self.preview.seed;
        let previous = self
            .model
            .history
            .iter()
            .rev()
            .find(|record| {
                record.text.id == text.id
                    && record.text != text
                    && record.split == split.name
                    && (record.seed, record.mode, record.rows) == (seed, mode, rows)
            })
            .map(|record| record.summary.clone());
        // Without one, the saved text, if the cache has its answers.
        let saved = self
            .current_file()
            .and_then(|file| file.on_disk.as_ref())
            .and_then(|disk| disk.template_by_id(&text.id))
            .filter(|saved| previous.is_none() && TemplateText::of(saved) != text)
            .filter(|saved| job::auto_mode(saved) == mode)
            .map(|saved| Box::new(saved.clone()));
        self.model.batch_generation += 1;
        let generation = self.model.batch_generation;
        self.model.batch = Some(BatchEval {
            generation,
            text,
            split: split.name.clone(),
            seed,
            mode,
            rows,
            jobs: Vec::new(),
            done: 0,
            tally: Tally::new(mode, &template.metadata.metrics),
            wrong: Vec::new(),
            finished: false,
            failure: None,
            previous_source: previous.as_ref().map(|_| PreviousSource::Session),
            previous,
        });
        self.model_contacting();
        self.effects.push(Effect::Model(ModelRequest::Batch {
            generation,
            template: Box::new(template),
            split,
            rows,
            data_epoch: self.data_epoch,
            settings: self.model_settings(mode),
            saved,
        }));
    }

    /// Moves the batch view's selection to the next row the model got wrong.
    pub(super) fn next_wrong_row(&mut self) {
        let Some(batch) = &self.model.batch else {
            return self.notify_error("No evaluation yet (e evaluates the first rows)");
        };
        let current = self.batch.offset + self.batch.selected;
        let mut rows: Vec<usize> = batch.wrong.iter().map(|wrong| wrong.row).collect();
        rows.sort_unstable();
        let Some(&row) = rows
            .iter()
            .find(|&&row| row > current)
            .or_else(|| rows.first())
        else {
            return self.notify("The model got no row wrong");
        };
        let offset = row / BATCH_PAGE * BATCH_PAGE;
        self.batch.selected = row % BATCH_PAGE;
        if offset != self.batch.offset {
            self.batch.offset = offset;
            self.request_batch(false);
        }
    }

    pub(super) fn model_event(&mut self, event: ModelEvent) {
        match event {
            ModelEvent::Configured {
                endpoint,
                model,
                eval_rows,
            } => {
                self.model.endpoint = Some(endpoint);
                self.model.model = model;
                self.model.eval_rows = eval_rows;
                self.model.status = ModelStatus::Idle;
            }
            ModelEvent::Misconfigured(message) => {
                self.model.status = ModelStatus::Misconfigured(message)
            }
            // The model's name is known; whether the server answers, the
            // first answer says.
            ModelEvent::Connected { model } => self.model.model = Some(model),
            ModelEvent::Failed {
                generation,
                batch,
                status,
            } => {
                let message = match &status {
                    ModelStatus::Unreachable(message)
                    | ModelStatus::CannotScore(message)
                    | ModelStatus::Misconfigured(message) => message.clone(),
                    other => other.label().to_string(),
                };
                self.model.status = status;
                if batch {
                    if let Some(eval) = self.model_batch_of(generation) {
                        eval.failure = Some(message);
                        eval.finished = true;
                    }
                } else if let Some(row) = self.model_row_of(generation) {
                    row.failure = Some(message);
                }
            }
            ModelEvent::BatchError {
                generation,
                message,
            } => {
                if let Some(eval) = self.model_batch_of(generation) {
                    eval.failure = Some(message);
                    eval.finished = true;
                    // Nothing was sent: the server is as unknown as before.
                    if self.model.status == ModelStatus::Connecting {
                        self.model.status = ModelStatus::Idle;
                    }
                }
            }
            ModelEvent::RowText { generation, piece } => {
                self.model_answered();
                if let Some(row) = self.model_row_of(generation) {
                    row.streamed.push_str(&piece);
                }
            }
            ModelEvent::RowDone { generation, result } => {
                self.model_answered();
                if let Some(row) = self.model_row_of(generation) {
                    row.result = Some(result);
                }
            }
            ModelEvent::BatchJobs {
                generation,
                jobs,
                skipped,
            } => {
                if let Some(eval) = self.model_batch_of(generation) {
                    eval.jobs = jobs;
                    for _ in 0..skipped {
                        eval.tally.skip();
                    }
                }
            }
            ModelEvent::BatchRow {
                generation,
                index,
                result,
            } => {
                self.model_answered();
                if let Some(eval) = self.model_batch_of(generation) {
                    if let Some(job) = eval.jobs.get(index) {
                        eval.tally.add(job, &result);
                        eval.done += 1;
                        if let Some(wrong) = wrong_row(eval.mode, job, &result) {
                            eval.wrong.push(wrong);
                        }
                    }
                }
            }
            ModelEvent::BatchPrevious {
                generation,
                summary,
            } => {
                if let Some(eval) = self.model_batch_of(generation) {
                    if eval.previous.is_none() {
                        eval.previous = Some(summary);
                        eval.previous_source = Some(PreviousSource::SavedInCache);
                    }
                }
            }
            ModelEvent::BatchDone { generation } => {
                let Some(eval) = self.model_batch_of(generation) else {
                    return;
                };
                eval.finished = true;
                eval.wrong.sort_by_key(|wrong| wrong.row);
                let record = EvalRecord {
                    text: eval.text.clone(),
                    split: eval.split.clone(),
                    seed: eval.seed,
                    mode: eval.mode,
                    rows: eval.rows,
                    summary: eval.summary(),
                };
                self.model.history.push(record);
            }
        }
    }

    /// A server that answered is reachable; one that cannot score still cannot.
    fn model_answered(&mut self) {
        if matches!(
            self.model.status,
            ModelStatus::Idle | ModelStatus::Connecting | ModelStatus::Unreachable(_)
        ) {
            self.model.status = ModelStatus::Connected;
        }
    }

    fn model_row_of(&mut self, generation: u64) -> Option<&mut RowEval> {
        self.model
            .row
            .as_mut()
            .filter(|row| row.generation == generation)
    }

    fn model_batch_of(&mut self, generation: u64) -> Option<&mut BatchEval> {
        self.model
            .batch
            .as_mut()
            .filter(|batch| batch.generation == generation && !batch.finished)
    }
}

/// The row as the batch view lists it when the model got it wrong: acc's
/// pick (rank) or a completion that is not an exact match (generation).
fn wrong_row(mode: Mode, job: &crate::model::run::Job, result: &RowResult) -> Option<WrongRow> {
    if let Some(error) = &result.error {
        return Some(WrongRow {
            row: job.row,
            answer: format!("error: {error}"),
            target: job.target.clone(),
        });
    }
    let answer = match mode {
        Mode::Rank if result.pred_index != job.gold => result
            .pred_index
            .and_then(|pick| job.choices.get(pick))
            .cloned()
            .unwrap_or_default(),
        Mode::Generate if result.exact_match != Some(1.0) => {
            result.completion.clone().unwrap_or_default()
        }
        _ => return None,
    };
    Some(WrongRow {
        row: job.row,
        answer,
        target: job.target.clone(),
    })
}
