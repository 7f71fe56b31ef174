//! One pass over a split: rows read batch by batch on the calling thread,
//! rendered on the pool, counted, and handed to the output lanes.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use rayon::prelude::*;

use crate::core::datum::Row;

use super::lanes::{Backlog, Lane};
use super::manifest::OutputEntry;
use super::plan::{batch_ranges, ActiveTemplate, BatchPlan, BATCH_BYTES};
use super::progress::Progress;
use super::record::{self, Example, RowOutcome, SharedChoices, Tokens};
use super::tallies::{BatchRender, ChunkTally};
use super::tokenize::TokenCounter;
use super::writer::OutputFile;
use super::{Interrupted, RowRenderer, SplitRows};

/// Most rows one render task handles; small enough to balance the cores.
pub(super) const RENDER_CHUNK_ROWS: usize = 64;

/// Render tasks a batch is cut into, at least, when its rows are few.
pub(super) const RENDER_TASKS_PER_BATCH: usize = 32;

/// Rendered text that may wait for its writer before the next batch is
/// rendered: about one batch, so that the workers render a batch while
/// they write the one before.
pub(super) const WRITE_BACKLOG_BYTES: usize = BATCH_BYTES;

pub(super) struct OpenOutput {
    pub(super) template_index: usize,
    pub(super) file: OutputFile,
    /// Its manifest entry, counts filled in as batches are written.
    pub(super) entry: OutputEntry,
}

/// One pass over a split's rows for its active templates.
pub(super) struct SplitPass<'a> {
    pub(super) label: &'a str,
    pub(super) rows: Range<usize>,
    pub(super) active: &'a [ActiveTemplate<'a>],
    pub(super) context: RenderContext<'a>,
    pub(super) strict: bool,
}

impl SplitPass<'_> {
    /// Reads the rows batch by batch on this thread while the pool renders
    /// the previous batch and writes the ones before it (the data source
    /// need not be `Send`); checks for Ctrl-C between batches.
    ///
    /// Each output is written by a lane: its batches in order, one at a
    /// time, on whichever worker is free. Rendering and writing therefore
    /// overlap with no barrier per batch, which an output-per-task write
    /// phase had (7 outputs on 2 threads left one idle while the other
    /// compressed a page).
    pub(super) fn run(
        &self,
        pool: &rayon::ThreadPool,
        cancel: &AtomicBool,
        progress: &mut Progress,
        outputs: &mut [OpenOutput],
        source: &dyn SplitRows,
    ) -> anyhow::Result<()> {
        let mut entries = Vec::with_capacity(outputs.len());
        let mut lanes = Vec::with_capacity(outputs.len());
        for output in outputs.iter_mut() {
            entries.push((output.template_index, &mut output.entry));
            lanes.push(Lane::new(&mut output.file));
        }
        let backlog = Backlog::new(WRITE_BACKLOG_BYTES);
        let passed = pool.in_place_scope(|scope| {
            let result = self.feed(
                scope,
                cancel,
                progress,
                &mut entries,
                &lanes,
                &backlog,
                source,
            );
            if result.is_err() {
                // Queued writes of a failed export are of no use.
                lanes.iter().for_each(Lane::abandon);
            }
            result
        });
        passed?;
        lanes.iter().find_map(Lane::take_error).map_or(Ok(()), Err)
    }

    /// The reading loop of [`SplitPass::run`]: one render in flight on the
    /// pool while this thread reads the next batch, then its records are
    /// handed to the lanes.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn feed<'scope>(
        &'scope self,
        scope: &rayon::Scope<'scope>,
        cancel: &AtomicBool,
        progress: &mut Progress,
        entries: &mut [(usize, &mut OutputEntry)],
        lanes: &'scope [Lane<'scope>],
        backlog: &'scope Backlog,
        source: &dyn SplitRows,
    ) -> anyhow::Result<()> {
        let mut plan = BatchPlan::new(self.rows.clone(), self.active.len());
        let next_batch = |plan: &mut BatchPlan| {
            plan.next_where(|batch| self.active.iter().any(|entry| entry.wants_any(batch)))
        };
        let mut read = |range: Range<usize>| {
            source
                .rows(range.clone())
                .with_context(|| read_error(self.label, &range))
                .map(|rows| (range, rows))
        };
        let (sender, receiver) = std::sync::mpsc::channel();
        let mut next = next_batch(&mut plan).map(&mut read).transpose()?;
        while let Some((range, batch_rows)) = next.take() {
            if cancel.load(Ordering::SeqCst) {
                return Err(Interrupted.into());
            }
            if batch_rows.len() != range.len() {
                anyhow::bail!(
                    "{}: the data source gave {} rows for rows {}..{}",
                    self.label,
                    batch_rows.len(),
                    range.start,
                    range.end
                );
            }
            plan.learn(&batch_rows);
            backlog.wait_for_room();
            if let Some(error) = lanes.iter().find_map(Lane::take_error) {
                return Err(error);
            }
            let sender = sender.clone();
            scope.spawn(move |_| {
                // The receiver outlives every render: it waits for this one.
                let _ = sender.send(self.render_batch(&range, &batch_rows));
            });
            let following = next_batch(&mut plan).map(&mut read);
            let rendered = receiver
                .recv()
                .context("a render task ended without its result")??;
            progress.advance(rendered.renders);
            self.hand_over(scope, rendered, entries, lanes, backlog);
            next = following.transpose()?;
        }
        Ok(())
    }

    /// Renders one batch for every active template on the pool and gathers
    /// each template's kept rows in row order.
    pub(super) fn render_batch(
        &self,
        batch: &Range<usize>,
        rows: &[Row],
    ) -> anyhow::Result<BatchRender> {
        let (active, context, strict, label) =
            (self.active, &self.context, self.strict, self.label);
        // A task is a few rows through every template, not one template over
        // many rows: the threads then share no row, and the reference counts
        // of a row's values stay in one core's cache (measured on 10M rows:
        // 2 threads went from 1.48x to 1.66x the speed of one).
        let chunk_rows = batch
            .len()
            .div_ceil(RENDER_TASKS_PER_BATCH)
            .clamp(1, RENDER_CHUNK_ROWS);
        let tasks: Vec<Range<usize>> = batch_ranges(batch.clone(), chunk_rows).collect();
        let tallied: Vec<Vec<ChunkTally>> = tasks
            .par_iter()
            .map(|task| {
                active
                    .iter()
                    .map(|entry| {
                        let mut tally = ChunkTally::default();
                        for row_index in entry.rows_in(task) {
                            let row = &rows[row_index - batch.start];
                            let outcome = context.outcome(
                                entry.template.renderer,
                                row_index,
                                row,
                                &mut tally.shared_choices,
                            );
                            tally.note(row_index, outcome, strict);
                        }
                        tally
                    })
                    .collect()
            })
            .collect();

        BatchRender::gather(tallied, active.len()).map_err(|(template_index, failure)| {
            let name = &active[template_index].template.name;
            anyhow::anyhow!("{label}: template {name:?} {failure} (--strict)")
        })
    }

    /// Counts a rendered batch into the manifest entries and queues its
    /// records on each output's lane.
    pub(super) fn hand_over<'scope>(
        &'scope self,
        scope: &rayon::Scope<'scope>,
        rendered: BatchRender,
        entries: &mut [(usize, &mut OutputEntry)],
        lanes: &'scope [Lane<'scope>],
        backlog: &'scope Backlog,
    ) {
        for ((template_index, entry), lane) in entries.iter_mut().zip(lanes) {
            let batch = &rendered.templates[*template_index];
            batch.count_into(entry);
            backlog.add(batch.bytes);
            if lane.push(Arc::clone(&batch.examples), batch.bytes) {
                scope.spawn(move |_| lane.drain(backlog));
            }
        }
    }
}

pub(super) fn read_error(label: &str, range: &Range<usize>) -> String {
    format!("{label}: cannot read rows {}..{}", range.start, range.end)
}

pub(super) struct RenderContext<'a> {
    pub(super) seed: u64,
    pub(super) tokens: Option<&'a TokenCounter>,
    pub(super) max_input_tokens: Option<usize>,
    pub(super) want_token_ids: bool,
    pub(super) want_choice_tokens: bool,
    pub(super) chat_text: Option<&'a super::chat_text::ChatText>,
}

impl RenderContext<'_> {
    pub(super) fn outcome(
        &self,
        renderer: &dyn RowRenderer,
        row_index: usize,
        row: &Row,
        shared_choices: &mut SharedChoices,
    ) -> RowOutcome {
        // Checked in `export_split`: seed + the split's last row fits.
        let seed = self.seed.wrapping_add(row_index as u64);
        let rendered = match renderer.render(row, seed) {
            Ok(rendered) => rendered,
            Err(message) => return RowOutcome::Error(message),
        };
        let mut example = match record::classify(row_index, rendered, shared_choices) {
            RowOutcome::Kept(example) => example,
            other => return other,
        };
        if let Some(chat) = self.chat_text {
            match chat.render(&example.input, &example.target) {
                Ok(text) => {
                    if let Some(counter) = self.tokens {
                        match counter.count_without_special_tokens(&text) {
                            Ok(count) => example.text_tokens = Some(count),
                            Err(message) => return RowOutcome::Error(message),
                        }
                    }
                    example.text = Some(text);
                }
                Err(message) => return RowOutcome::Error(message),
            }
        }
        let Some(counter) = self.tokens else {
            return RowOutcome::Kept(example);
        };
        match self.tokenize(counter, &example) {
            Ok(tokens) => {
                if self
                    .max_input_tokens
                    .is_some_and(|limit| tokens.input.len() > limit)
                {
                    return RowOutcome::TooLong;
                }
                if self.want_token_ids {
                    example.tokens = Some(tokens);
                }
                RowOutcome::Kept(example)
            }
            Err(message) => RowOutcome::Error(message),
        }
    }

    pub(super) fn tokenize(
        &self,
        counter: &TokenCounter,
        example: &Example,
    ) -> Result<Tokens, String> {
        let input = counter.ids(&example.input)?;
        if !self.want_token_ids {
            return Ok(Tokens {
                input,
                ..Tokens::default()
            });
        }
        let target = counter.ids(&example.target)?;
        let choices = match (&example.answer_choices, self.want_choice_tokens) {
            (Some(choices), true) => choices
                .iter()
                .map(|choice| counter.ids(choice))
                .collect::<Result<_, _>>()?,
            _ => Vec::new(),
        };
        Ok(Tokens {
            input,
            target,
            choices,
        })
    }
}
