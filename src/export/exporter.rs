//! [`Exporter`]: one output folder and its manifest; a split's export in
//! steps (its rows, the templates still to do, their files opened, one pass
//! over the rows, the files finished and recorded).

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context;
use rayon::prelude::*;

use super::chat_text::ChatText;
use super::manifest::{self, Counts, Manifest, OutputEntry, Settings};
use super::pipeline::{OpenOutput, RenderContext, SplitPass};
use super::plan::{ActiveTemplate, PendingOutput};
use super::progress::Progress;
use super::record::{Style, Variant};
use super::shard::Shard;
use super::tokenize::TokenCounter;
use super::writer::{OutputFile, OutputSpec};
use super::{folders, naming, sample, Report, RunOptions, SplitJob, SplitRows};

/// Memory all open Parquet outputs may hold in unflushed row groups.
/// Measured on the ag_news benchmark: 16 MB rather than 64 MB lowers peak
/// RSS by about 50 MB, and the files grow by 0.6%.
const ROW_GROUP_BUDGET_BYTES: usize = 16 << 20;

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
    chat_text: Option<ChatText>,
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
        let pool = worker_pool(options.threads)?;
        Ok(Exporter {
            out: out.to_path_buf(),
            manifest,
            options,
            tokens,
            cancel,
            progress,
            pool,
            report: Report::default(),
            chat_text: None,
        })
    }

    /// Adds the `text` field to style messages records; the settings must
    /// name the template's hash.
    pub fn with_chat_text(mut self, chat_text: ChatText) -> anyhow::Result<Exporter> {
        if self.manifest.settings.chat_template_sha256.is_none()
            || self.manifest.settings.style != Style::Messages
        {
            anyhow::bail!("--chat-template writes the text field of --style messages only");
        }
        self.chat_text = Some(chat_text);
        Ok(self)
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
    pub fn export_split(&mut self, job: &SplitJob, source: &dyn SplitRows) -> anyhow::Result<()> {
        let split_rows = source.row_count().known();
        let rows = self.rows_of_split(split_rows)?;
        let label = match &job.subset {
            Some(subset) => format!("{}/{subset} {}", job.dataset, job.split),
            None => format!("{} {}", job.dataset, job.split),
        };
        let active = self.plan_templates(job, &rows, split_rows);
        if active.is_empty() {
            return Ok(());
        }
        let mut outputs = self.open_outputs(job, &active, &rows, split_rows)?;

        let total_renders: u64 = active
            .iter()
            .map(|entry| entry.selected.as_ref().map_or(rows.len(), Vec::len) as u64)
            .sum();
        self.progress.start(&label, total_renders);
        let settings = &self.manifest.settings;
        let pass = SplitPass {
            label: &label,
            rows,
            active: &active,
            context: RenderContext {
                seed: settings.seed,
                tokens: self.tokens.as_ref(),
                max_input_tokens: settings.max_input_tokens,
                want_token_ids: self.tokens.is_some() && settings.style == Style::P3,
                want_choice_tokens: settings.rank_classification,
                chat_text: self.chat_text.as_ref(),
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
        let finished = self.finish_outputs(outputs);
        self.record_finished(&label, finished)
    }

    /// The rows of a split of `split_rows` rows this export renders (its
    /// shard's), after checking that every row's seed fits 64 bits.
    fn rows_of_split(&self, split_rows: usize) -> anyhow::Result<Range<usize>> {
        let seed = self.manifest.settings.seed;
        let last_seed_offset = u64::try_from(split_rows.saturating_sub(1)).unwrap_or(u64::MAX);
        if seed.checked_add(last_seed_offset).is_none() {
            anyhow::bail!(
                "--seed {seed} is too large: row seeds (seed + row index) would overflow 64 bits"
            );
        }
        Ok(match self.shard()? {
            Some(shard) => shard.rows(split_rows),
            None => 0..split_rows,
        })
    }

    /// The templates with outputs still to write, each with the rows of
    /// `rows` it renders; outputs a previous run completed are noted and
    /// skipped.
    fn plan_templates<'j>(
        &mut self,
        job: &'j SplitJob,
        rows: &Range<usize>,
        split_rows: usize,
    ) -> Vec<ActiveTemplate<'j>> {
        let settings = &self.manifest.settings;
        let pairs: Vec<(&str, &str)> = job
            .templates
            .iter()
            .map(|template| (template.id.as_str(), template.name.as_str()))
            .collect();
        let task_names = naming::unique_task_names(&job.dataset, job.subset.as_deref(), &pairs);
        let keep_per_template = settings
            .max_rows_per_dataset
            .map(|cap| sample::rows_per_template(cap, job.templates.len(), split_rows));
        let (seed, rank_classification) = (settings.seed, settings.rank_classification);

        let mut active = Vec::new();
        for (template, task) in job.templates.iter().zip(&task_names) {
            let mut variants = vec![PendingOutput::new(Variant::Plain, task.clone())];
            if rank_classification && template.has_answer_choices {
                variants.push(PendingOutput::new(
                    Variant::RankClassification,
                    format!("{task}{}", naming::RANK_CLASSIFICATION_SUFFIX),
                ));
            }
            let pending: Vec<PendingOutput> = variants
                .into_iter()
                .filter(|output| !self.already_done(output, &job.split, &template.sha256))
                .collect();
            if pending.is_empty() {
                continue;
            }
            // Rows are drawn over the whole split by P3's task name, so every
            // shard agrees; each keeps those in its range.
            let selected = keep_per_template
                .and_then(|keep| sample::selected_rows(split_rows, keep, seed, task))
                .map(|list| {
                    let from = list.partition_point(|&row| row < rows.start);
                    let to = list.partition_point(|&row| row < rows.end);
                    list[from..to].to_vec()
                });
            active.push(ActiveTemplate {
                template,
                selected,
                pending,
            });
        }
        active
    }

    /// Whether a previous run completed `output` for this template; if so it
    /// is counted and noted as skipped.
    fn already_done(&mut self, output: &PendingOutput, split: &str, template_sha256: &str) -> bool {
        let done = self
            .manifest
            .is_done(&self.out, &output.task, split, template_sha256);
        if done {
            self.report.outputs_skipped += 1;
            self.progress.note(&format!(
                "{}/{split}: already complete, skipped",
                output.task
            ));
        }
        done
    }

    /// Creates the partial file of every pending output and records the
    /// outputs as incomplete in the manifest, so the manifest of an
    /// interrupted run shows what was being written.
    fn open_outputs(
        &mut self,
        job: &SplitJob,
        active: &[ActiveTemplate],
        rows: &Range<usize>,
        split_rows: usize,
    ) -> anyhow::Result<Vec<OpenOutput>> {
        let settings = &self.manifest.settings;
        let shard_part = self.shard()?.map(|shard| (shard.index, shard.count));
        let output_count: usize = active.iter().map(|entry| entry.pending.len()).sum();
        let row_group_bytes = ROW_GROUP_BUDGET_BYTES / output_count.max(1);
        let file_name =
            naming::output_file_name(&job.split, shard_part, settings.format.extension());
        let mut outputs: Vec<OpenOutput> = Vec::with_capacity(output_count);
        for (template_index, entry) in active.iter().enumerate() {
            let template = entry.template;
            let selected_rows = entry.selected.as_ref().map_or(rows.len(), Vec::len) as u64;
            for pending in &entry.pending {
                // A task folder is ours: a link planted in its place would
                // send the output elsewhere.
                folders::no_link(&self.out.join(&pending.task))?;
                let relative = format!("{}/{file_name}", pending.task);
                let spec = OutputSpec {
                    style: settings.style,
                    variant: pending.variant,
                    format: settings.format,
                    with_tokens: self.tokens.is_some(),
                    with_text: self.chat_text.is_some(),
                    template_id: template.id.clone(),
                    template_name: template.name.clone(),
                    dataset: job.dataset.clone(),
                    subset: job.subset.clone(),
                    split: job.split.clone(),
                };
                let file = OutputFile::create(spec, &self.out.join(&relative), row_group_bytes)?;
                outputs.push(OpenOutput {
                    template_index,
                    file,
                    entry: OutputEntry {
                        task: pending.task.clone(),
                        full_task_name: pending.full_task_name.clone(),
                        split: job.split.clone(),
                        variant: pending.variant,
                        dataset: job.dataset.clone(),
                        subset: job.subset.clone(),
                        template_id: template.id.clone(),
                        template_name: template.name.clone(),
                        template_sha256: template.sha256.clone(),
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
        for output in &outputs {
            self.manifest.upsert(output.entry.clone());
        }
        self.manifest.save(&self.out)?;
        Ok(outputs)
    }

    /// Finishes every output file (renaming it from `*.partial`) and returns
    /// the completed manifest entries. Finishing flushes each output's last
    /// row group (compressing it): done side by side, it is no serial tail
    /// after a parallel export.
    fn finish_outputs(&self, outputs: Vec<OpenOutput>) -> Vec<anyhow::Result<OutputEntry>> {
        self.pool.install(|| {
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
        })
    }

    /// Records finished outputs in the manifest and the report, warning
    /// about outputs a template left empty by failing on every row.
    fn record_finished(
        &mut self,
        label: &str,
        finished: Vec<anyhow::Result<OutputEntry>>,
    ) -> anyhow::Result<()> {
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

/// The export's worker threads (`None`: one per core). Every render of an
/// export runs on them, so a setting a render needs from its thread (such as
/// a larger stack) belongs here.
fn worker_pool(threads: Option<usize>) -> anyhow::Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .thread_name(|index| format!("export-{index}"))
        .stack_size(crate::core::jinja::RENDER_STACK_SIZE)
        .build()
        .context("cannot start worker threads")
}
