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

//!
//! # Parts
//! [`Exporter`] (`exporter.rs`) runs a split in steps: `plan.rs` decides the
//! templates still to do, their rows and the batches; `pipeline.rs` reads,
//! renders and hands batches over; `lanes.rs` writes each output in order
//! with a bounded backlog; `tallies.rs` counts what became of the rows.
//! [`manifest`], [`merge`], [`folders`] (paths that stay inside), [`naming`],
//! [`writer`] and [`record`] are what lands on disk.

pub mod chat_text;
pub mod engine;
pub mod fewshot;
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

mod exporter;
mod lanes;
mod pipeline;
mod plan;
mod tallies;

pub use exporter::Exporter;

use crate::core::apply::Rendered;
use crate::core::datum::Row;
use crate::core::template::Template;
use manifest::Counts;

// Rows of one split: the data layer's trait, which the studio reads too.
use crate::data::SplitRows;

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

#[cfg(test)]
mod tests;
