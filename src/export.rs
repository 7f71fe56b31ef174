//! Prompted datasets at P3 scale: every selected template applied to every
//! row of a split, written as P3/T0 or fine-tuning records.
//!
//! # Rules
//! - **Layout.** One output per (dataset, subset, template, split):
//!   `<out>/<task>/<split>.<parquet|jsonl>`, with the task named as P3 names
//!   it ([`naming`]); a shard writes `<split>-<i>-of-<n>.<ext>` instead.
//!   `<out>/manifest.json` describes every output ([`manifest`]).
//! - **Rendering.** Each row goes through the same apply function as the
//!   studio and `apply`. Row `i` of a split (its index in the whole split,
//!   whatever the shard) is rendered with seed `seed + i` (`--seed`, default
//!   0), so random templates vary from row to row yet any row can be
//!   reproduced alone with `apply --seed <seed + i>`.
//! - **Kept rows.** As in P3, a row is kept when its render is exactly
//!   `input ||| target` with both non-empty; errors and blank renders are
//!   counted and skipped ([`record::classify`]), or fail the export with
//!   `--strict`. With `--max-input-tokens`, longer inputs are counted and
//!   skipped.
//! - **Cap.** `--max-rows-per-dataset` follows T0 ([`sample`]).
//! - **Determinism.** Rows are read in batches sized from the data alone
//!   (`BatchPlan`), rendered on all cores and written in row order: the
//!   bytes do not depend on the thread count.
//! - **Resume.** Files are written as `*.partial` and renamed when complete;
//!   the manifest is saved after every split, and a rerun skips outputs whose
//!   entry is complete for the same template.

pub mod engine;
pub mod folders;
pub mod manifest;
pub mod merge;
pub mod naming;
pub mod progress;
pub mod record;
pub mod sample;
pub mod shard;
pub mod sources;
pub mod tokenize;
pub mod writer;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use rayon::prelude::*;

use crate::core::datum::{Datum, Row};
use crate::core::template::Template;
use manifest::{Counts, Manifest, OutputEntry, RowError, Settings, KEPT_ERROR_MESSAGES};
use progress::Progress;
use record::{Example, Outcome, Rendered, SharedChoices, Style, Tokens, Variant};
use shard::Shard;
use tokenize::TokenCounter;
use writer::{OutputFile, OutputSpec};

/// Most rows read, rendered and written together.
const BATCH_ROWS: usize = 2048;
/// About the memory one batch may take: its rows and their renders for
/// every template. Long documents (multi_news, ~11 KB a row) get batches of
/// a few hundred rows; short rows (ag_news) get [`BATCH_ROWS`].
const BATCH_BYTES: usize = 16 << 20;
/// Rows of the first batch of a split, read to measure the rows' size.
const FIRST_BATCH_ROWS: usize = 64;
/// Most rows one render task handles; small enough to balance the cores.
const RENDER_CHUNK_ROWS: usize = 64;
/// Render tasks a batch is cut into, at least, when its rows are few.
const RENDER_TASKS_PER_BATCH: usize = 32;
/// Memory all open Parquet outputs may hold in unflushed row groups.
/// Measured on the ag_news benchmark: 16 MB rather than 64 MB lowers peak
/// RSS by about 50 MB, and the files grow by 0.6%.
const ROW_GROUP_BUDGET_BYTES: usize = 16 << 20;
/// Rendered text that may wait for its writer before the next batch is
/// rendered: about one batch, so that the workers render a batch while
/// they write the one before.
const WRITE_BACKLOG_BYTES: usize = BATCH_BYTES;

/// Rows of one split, from the data layer.
pub trait RowSource {
    fn num_rows(&self) -> usize;
    /// Rows `range` of the split, in order.
    fn read_rows(&mut self, range: Range<usize>) -> anyhow::Result<Vec<Row>>;
}

/// One template, compiled once, applied to rows from any thread.
pub trait RowRenderer: Send + Sync {
    /// `Template.apply` and the row's answer choices for a row and seed; an
    /// error is the engine's message (with the template line).
    fn render(&self, row: &Row, seed: u64) -> Result<Rendered, String>;

    /// The row fields the template reads, by their names after
    /// PromptSource's `-` to `_` rename, when known: the reader then decodes
    /// only those columns. `None` reads every column.
    fn variables(&self) -> Option<Vec<String>> {
        None
    }
}

/// The row fields a set of renderers reads (see [`RowRenderer::variables`]),
/// or `None` if any of them cannot say.
pub fn variables_read(renderers: &[Box<dyn RowRenderer>]) -> Option<Vec<String>> {
    let mut names: Vec<String> = renderers
        .iter()
        .map(|renderer| renderer.variables())
        .collect::<Option<Vec<Vec<String>>>>()?
        .concat();
    names.sort();
    names.dedup();
    Some(names)
}

/// A template to export.
pub struct TemplateJob<'a> {
    pub id: String,
    pub name: String,
    /// See [`template_sha256`].
    pub sha256: String,
    /// Whether the template has an answer_choices expression (it then gets
    /// a rank-classification output when asked).
    pub has_answer_choices: bool,
    pub renderer: &'a dyn RowRenderer,
}

impl<'a> TemplateJob<'a> {
    /// The job for `template` rendered by `renderer`.
    pub fn new(template: &Template, renderer: &'a dyn RowRenderer) -> TemplateJob<'a> {
        TemplateJob {
            id: template.id.to_string(),
            name: template.name.to_string(),
            sha256: template_sha256(&template.jinja, template.answer_choices.as_deref()),
            has_answer_choices: template.answer_choices.is_some(),
            renderer,
        }
    }
}

/// The templates of one (dataset, subset) applied to one split.
pub struct SplitJob<'a> {
    pub dataset: String,
    pub subset: Option<String>,
    pub split: String,
    pub templates: Vec<TemplateJob<'a>>,
}

/// Identifies a template's content in the manifest: SHA-256 of its jinja,
/// a NUL, and its answer_choices expression (if any).
pub fn template_sha256(jinja: &str, answer_choices: Option<&str>) -> String {
    let mut bytes = Vec::with_capacity(jinja.len() + 1);
    bytes.extend_from_slice(jinja.as_bytes());
    if let Some(choices) = answer_choices {
        bytes.push(0);
        bytes.extend_from_slice(choices.as_bytes());
    }
    tokenize::hex_sha256(&bytes)
}

/// Options that change how the export runs, not what it writes.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Fail on the first render error or blank render.
    pub strict: bool,
    /// Worker threads; `None` for one per core.
    pub threads: Option<usize>,
}

/// What an export did, for the closing summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub outputs_written: usize,
    /// Outputs a previous run had completed.
    pub outputs_skipped: usize,
    /// Row accounting summed over the plain outputs (a rank-classification
    /// output sees the same rows again).
    pub rows: Counts,
    /// Records written, all outputs.
    pub records: u64,
    /// Outputs left with no record because the template failed: one line
    /// each, with the first error.
    pub failing_outputs: Vec<String>,
    /// Outputs left with no record because every row rendered blank (or too
    /// long): normal for unlabeled test splits, whose targets are empty.
    pub blank_outputs: usize,
}

/// Why an export stopped early.
#[derive(Debug, thiserror::Error)]
#[error("export interrupted: finished outputs are kept; run the same command again to resume")]
pub struct Interrupted;

/// Writes outputs into one folder and keeps its manifest.
pub struct Exporter {
    out: PathBuf,
    manifest: Manifest,
    options: RunOptions,
    tokens: Option<TokenCounter>,
    cancel: Arc<AtomicBool>,
    progress: Progress,
    pool: rayon::ThreadPool,
    report: Report,
}

impl Exporter {
    /// Opens (or creates) the output folder. A folder already holding an
    /// export made with other settings is refused.
    pub fn open(
        out: &Path,
        settings: Settings,
        options: RunOptions,
        tokens: Option<TokenCounter>,
        cancel: Arc<AtomicBool>,
        progress: Progress,
    ) -> anyhow::Result<Exporter> {
        if settings.rank_classification && settings.style != Style::P3 {
            anyhow::bail!(
                "--rank-classification writes P3 records: use it with --style p3 (not {})",
                settings.style
            );
        }
        if settings.tokenizer_sha256.is_some() != tokens.is_some() {
            anyhow::bail!("the tokenizer and its hash in the settings disagree");
        }
        if settings.max_input_tokens.is_some() && tokens.is_none() {
            anyhow::bail!("--max-input-tokens needs --tokenizer to count tokens");
        }
        folders::check_out_folder(out)?;
        std::fs::create_dir_all(out)
            .with_context(|| format!("cannot create output folder {}", out.display()))?;
        let manifest = match Manifest::load(out)? {
            Some(existing) => {
                check_writable(out)?;
                if let Some(difference) =
                    manifest::settings_difference(&existing.settings, &settings)
                {
                    anyhow::bail!(
                        "{} holds an export made with other settings ({difference}); \
                         use another --out folder or remove that one",
                        out.display()
                    );
                }
                existing
            }
            None => {
                // Written before any task folder, so a folder this export
                // wrote into is always recognised as one (see
                // `folders::check_out_folder`), even after a kill.
                let fresh = Manifest::new(settings);
                fresh
                    .save(out)
                    .with_context(|| format!("output folder {} is not writable", out.display()))?;
                fresh
            }
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(options.threads.unwrap_or(0))
            .thread_name(|index| format!("export-{index}"))
            .build()
            .context("cannot start worker threads")?;
        Ok(Exporter {
            out: out.to_path_buf(),
            manifest,
            options,
            tokens,
            cancel,
            progress,
            pool,
            report: Report::default(),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.manifest.settings
    }

    fn shard(&self) -> anyhow::Result<Option<Shard>> {
        let settings = &self.manifest.settings;
        settings
            .shard_index
            .map(|index| Shard::new(index, settings.num_shards))
            .transpose()
    }

    /// Exports one split for the job's templates, skipping outputs a previous
    /// run completed.
    pub fn export_split(
        &mut self,
        job: &SplitJob,
        source: &mut dyn RowSource,
    ) -> anyhow::Result<()> {
        let settings = self.manifest.settings.clone();
        let split_rows = source.num_rows();
        let shard = self.shard()?;
        let rows = match shard {
            Some(shard) => shard.rows(split_rows),
            None => 0..split_rows,
        };
        let last_seed_offset = u64::try_from(split_rows.saturating_sub(1)).unwrap_or(u64::MAX);
        if settings.seed.checked_add(last_seed_offset).is_none() {
            anyhow::bail!(
                "--seed {} is too large: row seeds (seed + row index) would overflow 64 bits",
                settings.seed
            );
        }
        let label = match &job.subset {
            Some(subset) => format!("{}/{subset} {}", job.dataset, job.split),
            None => format!("{} {}", job.dataset, job.split),
        };
        let pairs: Vec<(&str, &str)> = job
            .templates
            .iter()
            .map(|template| (template.id.as_str(), template.name.as_str()))
            .collect();
        let task_names = naming::unique_task_names(&job.dataset, job.subset.as_deref(), &pairs);
        let keep_per_template = settings
            .max_rows_per_dataset
            .map(|cap| sample::rows_per_template(cap, job.templates.len(), split_rows));

        let mut active: Vec<ActiveTemplate> = Vec::new();
        for (template, task) in job.templates.iter().zip(&task_names) {
            let mut variants = vec![(Variant::Plain, task.clone())];
            if settings.rank_classification && template.has_answer_choices {
                variants.push((
                    Variant::RankClassification,
                    format!("{task}{}", naming::RANK_CLASSIFICATION_SUFFIX),
                ));
            }
            let pending: Vec<PendingOutput> = variants
                .into_iter()
                .map(|(variant, full_name)| PendingOutput::new(variant, full_name))
                .filter(
                    |PendingOutput {
                         task: output_task, ..
                     }| {
                        let done = self.manifest.is_done(
                            &self.out,
                            output_task,
                            &job.split,
                            &template.sha256,
                        );
                        if done {
                            self.report.outputs_skipped += 1;
                            self.progress.note(&format!(
                                "{output_task}/{}: already complete, skipped",
                                job.split
                            ));
                        }
                        !done
                    },
                )
                .collect();
            if pending.is_empty() {
                continue;
            }
            let selected = keep_per_template
                .and_then(|keep| sample::selected_rows(split_rows, keep, settings.seed, task));
            let selected_in_shard = match &selected {
                Some(list) => {
                    let from = list.partition_point(|&row| row < rows.start);
                    let to = list.partition_point(|&row| row < rows.end);
                    Some(list[from..to].to_vec())
                }
                None => None,
            };
            active.push(ActiveTemplate {
                template,
                selected: selected_in_shard,
                pending,
            });
        }
        if active.is_empty() {
            return Ok(());
        }

        let shard_part = shard.map(|shard| (shard.index, shard.count));
        let output_count: usize = active.iter().map(|entry| entry.pending.len()).sum();
        let row_group_bytes = ROW_GROUP_BUDGET_BYTES / output_count.max(1);
        let mut outputs: Vec<OpenOutput> = Vec::with_capacity(output_count);
        for (template_index, entry) in active.iter().enumerate() {
            for PendingOutput {
                variant,
                task,
                full_task_name,
            } in &entry.pending
            {
                let file_name =
                    naming::output_file_name(&job.split, shard_part, settings.format.extension());
                let relative = format!("{task}/{file_name}");
                let spec = OutputSpec {
                    style: settings.style,
                    variant: *variant,
                    format: settings.format,
                    with_tokens: self.tokens.is_some(),
                    template_id: entry.template.id.clone(),
                    template_name: entry.template.name.clone(),
                    dataset: job.dataset.clone(),
                    subset: job.subset.clone(),
                    split: job.split.clone(),
                };
                let file = OutputFile::create(spec, &self.out.join(&relative), row_group_bytes)?;
                let selected_rows = entry.selected.as_ref().map_or(rows.len(), Vec::len) as u64;
                outputs.push(OpenOutput {
                    template_index,
                    file,
                    entry: OutputEntry {
                        task: task.clone(),
                        full_task_name: full_task_name.clone(),
                        split: job.split.clone(),
                        variant: *variant,
                        dataset: job.dataset.clone(),
                        subset: job.subset.clone(),
                        template_id: entry.template.id.clone(),
                        template_name: entry.template.name.clone(),
                        template_sha256: entry.template.sha256.clone(),
                        split_rows: split_rows as u64,
                        files: vec![relative],
                        counts: Counts {
                            shard_rows: rows.len() as u64,
                            selected_rows,
                            not_selected: rows.len() as u64 - selected_rows,
                            ..Counts::default()
                        },
                        first_errors: Vec::new(),
                        complete: false,
                    },
                });
            }
        }
        // Recorded as incomplete while in flight, so the manifest of an
        // interrupted run shows what was being written.
        for output in &outputs {
            self.manifest.upsert(output.entry.clone());
        }
        self.manifest.save(&self.out)?;

        let total_renders: u64 = active
            .iter()
            .map(|entry| entry.selected.as_ref().map_or(rows.len(), Vec::len) as u64)
            .sum();
        self.progress.start(&label, total_renders);
        let pass = SplitPass {
            label: &label,
            rows: rows.clone(),
            active: &active,
            context: RenderContext {
                seed: settings.seed,
                tokens: self.tokens.as_ref(),
                max_input_tokens: settings.max_input_tokens,
                want_token_ids: self.tokens.is_some() && settings.style == Style::P3,
                want_choice_tokens: settings.rank_classification,
            },
            strict: self.options.strict,
        };
        pass.run(
            &self.pool,
            &self.cancel,
            &mut self.progress,
            &mut outputs,
            source,
        )?;

        // Finishing flushes each output's last row group (compressing it):
        // done side by side, it is no serial tail after a parallel export.
        let finished: Vec<anyhow::Result<OutputEntry>> = self.pool.install(|| {
            outputs
                .into_par_iter()
                .map(|output| {
                    let OpenOutput {
                        file, mut entry, ..
                    } = output;
                    entry.counts.records = file.records();
                    file.finish()?;
                    entry.complete = true;
                    Ok(entry)
                })
                .collect()
        });
        let mut summary = Counts::default();
        for entry in finished {
            let entry = entry?;
            let counts = &entry.counts;
            let name = format!("{}/{}", entry.task, entry.split);
            if counts.records == 0 && counts.selected_rows > 0 {
                match entry.first_errors.first() {
                    Some(error) => {
                        let warning = format!(
                            "{name}: no record from {} rows, {} of them failed (row {}: {})",
                            counts.selected_rows, counts.errors, error.row, error.message
                        );
                        self.progress.note(&format!("warning: {warning}"));
                        self.report.failing_outputs.push(warning);
                    }
                    None => self.report.blank_outputs += 1,
                }
            }
            if entry.variant == Variant::Plain {
                summary.add(counts);
                self.report.rows.add(counts);
            }
            self.report.records += counts.records;
            self.report.outputs_written += 1;
            self.manifest.upsert(entry);
        }
        self.manifest.save(&self.out)?;
        self.progress.finish(&format!(
            "{label}: {} rows kept, {} errors, {} blank, {} too long",
            summary.kept, summary.errors, summary.blank, summary.too_long
        ));
        Ok(())
    }

    /// Ends the export and returns what it did.
    pub fn finish(self) -> Report {
        self.report
    }
}

/// Checks early that files can be created in `folder`, so an unwritable
/// output folder is reported before any work.
fn check_writable(folder: &Path) -> anyhow::Result<()> {
    let probe = folder.join(".promptstudio-write-test");
    std::fs::write(&probe, b"")
        .with_context(|| format!("output folder {} is not writable", folder.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

fn read_error(label: &str, range: &Range<usize>) -> String {
    format!("{label}: cannot read rows {}..{}", range.start, range.end)
}

/// `range` cut into consecutive pieces of `size` rows.
fn batch_ranges(range: Range<usize>, size: usize) -> impl Iterator<Item = Range<usize>> {
    let end = range.end;
    range
        .step_by(size.max(1))
        .map(move |start| start..(start + size).min(end))
}

/// Cuts a split's rows into batches of about [`BATCH_BYTES`]: each batch's
/// row count follows from the average size of the rows read in the batch
/// before (the first is small, to measure). It depends on the data only, so
/// the batches, and the bytes written, are the same for any thread count.
struct BatchPlan {
    next_start: usize,
    end: usize,
    batch_rows: usize,
    /// Copies of a row's text a batch holds: the row and one render per
    /// template.
    copies: usize,
}

impl BatchPlan {
    fn new(rows: Range<usize>, templates: usize) -> BatchPlan {
        BatchPlan {
            next_start: rows.start,
            end: rows.end,
            batch_rows: FIRST_BATCH_ROWS,
            copies: templates + 1,
        }
    }

    /// The next batch `wanted` accepts; the others are passed over.
    fn next_where(&mut self, wanted: impl Fn(&Range<usize>) -> bool) -> Option<Range<usize>> {
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
    fn learn(&mut self, rows: &[Row]) {
        if rows.is_empty() {
            return;
        }
        let bytes: usize = rows.iter().map(row_bytes).sum();
        let per_row = (bytes / rows.len()).max(1) * self.copies;
        self.batch_rows = (BATCH_BYTES / per_row).clamp(1, BATCH_ROWS);
    }
}

/// Roughly the memory a row takes, text and bookkeeping.
fn row_bytes(row: &Row) -> usize {
    fn datum_bytes(datum: &Datum) -> usize {
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

/// One pass over a split's rows for its active templates.
struct SplitPass<'a> {
    label: &'a str,
    rows: Range<usize>,
    active: &'a [ActiveTemplate<'a>],
    context: RenderContext<'a>,
    strict: bool,
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
    fn run(
        &self,
        pool: &rayon::ThreadPool,
        cancel: &AtomicBool,
        progress: &mut Progress,
        outputs: &mut [OpenOutput],
        source: &mut dyn RowSource,
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
    fn feed<'scope>(
        &'scope self,
        scope: &rayon::Scope<'scope>,
        cancel: &AtomicBool,
        progress: &mut Progress,
        entries: &mut [(usize, &mut OutputEntry)],
        lanes: &'scope [Lane<'scope>],
        backlog: &'scope Backlog,
        source: &mut dyn RowSource,
    ) -> anyhow::Result<()> {
        let mut plan = BatchPlan::new(self.rows.clone(), self.active.len());
        let next_batch = |plan: &mut BatchPlan| {
            plan.next_where(|batch| self.active.iter().any(|entry| entry.wants_any(batch)))
        };
        let mut read = |range: Range<usize>| {
            source
                .read_rows(range.clone())
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
    fn render_batch(&self, batch: &Range<usize>, rows: &[Row]) -> anyhow::Result<BatchRender> {
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
        // Each task tallies its own outcomes, so what stays serial below is
        // adding up counts and moving lists, not records.
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

        let mut renders = 0u64;
        let mut templates: Vec<TemplateBatch> = (0..active.len())
            .map(|_| TemplateBatch::default())
            .collect();
        let mut examples: Vec<Vec<Vec<Example>>> = vec![Vec::new(); active.len()];
        for task in tallied {
            for (template_index, tally) in task.into_iter().enumerate() {
                if let Some(failure) = tally.strict_failure {
                    let name = &active[template_index].template.name;
                    anyhow::bail!("{label}: template {name:?} {failure} (--strict)");
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

    /// Counts a rendered batch into the manifest entries and queues its
    /// records on each output's lane.
    fn hand_over<'scope>(
        &'scope self,
        scope: &rayon::Scope<'scope>,
        rendered: BatchRender,
        entries: &mut [(usize, &mut OutputEntry)],
        lanes: &'scope [Lane<'scope>],
        backlog: &'scope Backlog,
    ) {
        for ((template_index, entry), lane) in entries.iter_mut().zip(lanes) {
            let batch = &rendered.templates[*template_index];
            let tally = &batch.counts;
            entry.counts.errors += tally.errors;
            entry.counts.blank += tally.blank;
            entry.counts.too_long += tally.too_long;
            match entry.variant {
                Variant::Plain => entry.counts.kept += tally.kept,
                Variant::RankClassification => {
                    let with_choices = batch
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
                .extend(batch.errors.iter().take(room).cloned());
            backlog.add(batch.bytes);
            if lane.push(Arc::clone(&batch.examples), batch.bytes) {
                scope.spawn(move |_| lane.drain(backlog));
            }
        }
    }
}

/// One batch rendered: what each active template gave.
struct BatchRender {
    renders: u64,
    templates: Vec<TemplateBatch>,
}

#[derive(Default)]
struct TemplateBatch {
    counts: Counts,
    errors: Vec<RowError>,
    /// Kept rows in row order, shared by the template's outputs (plain and
    /// rank classification).
    examples: Arc<Vec<Vec<Example>>>,
    /// Roughly the memory `examples` holds.
    bytes: usize,
}

/// Roughly the memory one kept row holds (its text and bookkeeping; shared
/// answer choices are not counted again).
fn record_bytes(example: &Example) -> usize {
    const OVERHEAD: usize = 96;
    let tokens = example.tokens.as_ref().map_or(0, |tokens| {
        4 * (tokens.input.len()
            + tokens.target.len()
            + tokens.choices.iter().map(Vec::len).sum::<usize>())
    });
    OVERHEAD + example.input.len() + example.target.len() + tokens
}

/// Writes one output's batches in order, one at a time, on the pool.
struct Lane<'o> {
    queue: std::sync::Mutex<LaneQueue>,
    /// Only the task draining the queue writes; the lock is never contended.
    file: std::sync::Mutex<&'o mut OutputFile>,
    error: std::sync::Mutex<Option<anyhow::Error>>,
}

#[derive(Default)]
struct LaneQueue {
    /// Batches with their size for the backlog.
    batches: std::collections::VecDeque<(Arc<Vec<Vec<Example>>>, usize)>,
    /// A task is draining the queue.
    draining: bool,
    /// The export failed: drop instead of writing.
    abandoned: bool,
}

impl<'o> Lane<'o> {
    fn new(file: &'o mut OutputFile) -> Lane<'o> {
        Lane {
            queue: std::sync::Mutex::new(LaneQueue::default()),
            file: std::sync::Mutex::new(file),
            error: std::sync::Mutex::new(None),
        }
    }

    /// Queues a batch; true when the caller must start a task to drain the
    /// queue (none is running).
    fn push(&self, batch: Arc<Vec<Vec<Example>>>, bytes: usize) -> bool {
        let mut queue = lock(&self.queue);
        queue.batches.push_back((batch, bytes));
        !std::mem::replace(&mut queue.draining, true)
    }

    /// Writes queued batches until the queue is empty.
    fn drain(&self, backlog: &Backlog) {
        let _unblock_on_panic = PanicGuard(backlog);
        loop {
            let (batch, bytes) = {
                let mut queue = lock(&self.queue);
                match queue.batches.pop_front() {
                    Some(item) if !queue.abandoned => item,
                    Some((_, bytes)) => {
                        backlog.remove(bytes);
                        continue;
                    }
                    None => {
                        queue.draining = false;
                        return;
                    }
                }
            };
            let written = lock(&self.file).write(&batch);
            // The last lane to write a batch frees it, on a worker rather
            // than on the reading thread.
            drop(batch);
            backlog.remove(bytes);
            if let Err(error) = written {
                lock(&self.error).get_or_insert(error);
                self.abandon();
            }
        }
    }

    fn abandon(&self) {
        lock(&self.queue).abandoned = true;
    }

    fn take_error(&self) -> Option<anyhow::Error> {
        lock(&self.error).take()
    }
}

/// Wakes the reader for good if a write task panics, so the export ends
/// (rayon re-raises the panic) instead of waiting for room forever.
struct PanicGuard<'b>(&'b Backlog);

impl Drop for PanicGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            *lock(&self.0.queued) = 0;
            self.0.drained.notify_all();
        }
    }
}

/// A poisoned lock only means another task panicked; rayon re-raises that
/// panic at the end of the scope, so the data is still fine to use here.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Records queued for writing, across lanes, in bytes; the reader waits
/// while there are more than the limit, so memory stays bounded when writing
/// is slower than rendering.
struct Backlog {
    queued: std::sync::Mutex<usize>,
    drained: std::sync::Condvar,
    limit: usize,
}

impl Backlog {
    fn new(limit: usize) -> Backlog {
        Backlog {
            queued: std::sync::Mutex::new(0),
            drained: std::sync::Condvar::new(),
            limit,
        }
    }

    fn add(&self, bytes: usize) {
        *lock(&self.queued) += bytes;
    }

    fn remove(&self, bytes: usize) {
        let mut queued = lock(&self.queued);
        *queued = queued.saturating_sub(bytes);
        drop(queued);
        self.drained.notify_one();
    }

    fn wait_for_room(&self) {
        let mut queued = lock(&self.queued);
        while *queued > self.limit {
            queued = self
                .drained
                .wait(queued)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

/// One template's outcomes over a few rows, tallied where they were rendered.
#[derive(Default)]
struct ChunkTally {
    renders: u64,
    examples: Vec<Example>,
    counts: Counts,
    errors: Vec<RowError>,
    /// With `--strict`, the first row that failed, described.
    strict_failure: Option<String>,
    shared_choices: SharedChoices,
}

impl ChunkTally {
    fn note(&mut self, row_index: usize, outcome: Outcome, strict: bool) {
        if self.strict_failure.is_some() {
            return;
        }
        self.renders += 1;
        match outcome {
            Outcome::Kept(example) => {
                self.counts.kept += 1;
                self.examples.push(example);
            }
            Outcome::Error(message) => {
                if strict {
                    self.strict_failure = Some(format!("failed on row {row_index}: {message}"));
                }
                self.counts.errors += 1;
                self.errors.push(RowError {
                    row: row_index as u64,
                    message,
                });
            }
            Outcome::Blank => {
                if strict {
                    self.strict_failure =
                        Some(format!("gives a blank input or target on row {row_index}"));
                }
                self.counts.blank += 1;
            }
            Outcome::TooLong => self.counts.too_long += 1,
        }
    }
}

struct ActiveTemplate<'a> {
    template: &'a TemplateJob<'a>,
    /// Sorted rows of this shard the template keeps; `None` for all.
    selected: Option<Vec<usize>>,
    pending: Vec<PendingOutput>,
}

/// An output still to write.
struct PendingOutput {
    variant: Variant,
    /// Its folder's name.
    task: String,
    /// P3's task name, when the folder's is a shortened form of it.
    full_task_name: Option<String>,
}

impl PendingOutput {
    fn new(variant: Variant, full_name: String) -> PendingOutput {
        let task = naming::bounded_task_name(&full_name);
        PendingOutput {
            variant,
            full_task_name: (task != full_name).then_some(full_name),
            task,
        }
    }
}

impl ActiveTemplate<'_> {
    /// The rows of `batch` this template renders.
    fn rows_in<'s>(&'s self, batch: &Range<usize>) -> Box<dyn Iterator<Item = usize> + 's> {
        match &self.selected {
            None => Box::new(batch.clone()),
            Some(list) => {
                let from = list.partition_point(|&row| row < batch.start);
                let to = list.partition_point(|&row| row < batch.end);
                Box::new(list[from..to].iter().copied())
            }
        }
    }

    fn wants_any(&self, batch: &Range<usize>) -> bool {
        self.rows_in(batch).next().is_some()
    }
}

struct OpenOutput {
    template_index: usize,
    file: OutputFile,
    /// Its manifest entry, counts filled in as batches are written.
    entry: OutputEntry,
}

struct RenderContext<'a> {
    seed: u64,
    tokens: Option<&'a TokenCounter>,
    max_input_tokens: Option<usize>,
    want_token_ids: bool,
    want_choice_tokens: bool,
}

impl RenderContext<'_> {
    fn outcome(
        &self,
        renderer: &dyn RowRenderer,
        row_index: usize,
        row: &Row,
        shared_choices: &mut SharedChoices,
    ) -> Outcome {
        // Checked in `export_split`: seed + the split's last row fits.
        let seed = self.seed.wrapping_add(row_index as u64);
        let rendered = match renderer.render(row, seed) {
            Ok(rendered) => rendered,
            Err(message) => return Outcome::Error(message),
        };
        let mut example = match record::classify(row_index, rendered, shared_choices) {
            Outcome::Kept(example) => example,
            other => return other,
        };
        let Some(counter) = self.tokens else {
            return Outcome::Kept(example);
        };
        match self.tokenize(counter, &example) {
            Ok(tokens) => {
                if self
                    .max_input_tokens
                    .is_some_and(|limit| tokens.input.len() > limit)
                {
                    return Outcome::TooLong;
                }
                if self.want_token_ids {
                    example.tokens = Some(tokens);
                }
                Outcome::Kept(example)
            }
            Err(message) => Outcome::Error(message),
        }
    }

    fn tokenize(&self, counter: &TokenCounter, example: &Example) -> Result<Tokens, String> {
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

#[cfg(test)]
mod tests;
