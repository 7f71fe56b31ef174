//! `promptstudio apply`: every selected template over a range of rows, as
//! JSON Lines in the conformance corpus' shape.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use rayon::prelude::*;
use serde::Serialize;

use super::fewshot::DemoPool;
use super::target;
use super::Outcome;
use crate::core::apply::{ApplyOptions, CompiledTemplate, RenderError};
use crate::core::datum::Row;
use crate::core::fewshot::{self, Demonstration};
use crate::core::template::Template;

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Templates folder (a tree of templates.yaml files) or one templates.yaml.
    #[arg(long)]
    pub templates: Option<PathBuf>,
    /// Dataset as NAME or NAME/SUBSET, as the templates.yaml names it.
    #[arg(long)]
    pub dataset: String,
    #[command(flatten)]
    pub rows_from: target::DataArgs,
    /// Only these templates (name or id); repeatable. Default: all of the dataset's.
    #[arg(long = "template")]
    pub templates_wanted: Vec<String>,
    /// Seed Python's random generator with N before each call, as PromptSource's
    /// reference outputs do; without it, draws are fresh.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Do not truncate rendered row values to 2048 characters.
    #[arg(long)]
    pub no_truncate: bool,
    /// Row range START..END (0-based, END exclusive; either side may be omitted).
    #[arg(long)]
    pub rows: Option<String>,
    #[command(flatten)]
    pub fewshot: super::fewshot::FewshotArgs,
    #[command(flatten)]
    pub engine: super::engine_args::EngineArgs,
}

/// One line of output.
#[derive(Serialize)]
struct ApplyRecord<'a> {
    dataset: &'a str,
    subset: Option<&'a str>,
    template_id: &'a str,
    template_name: &'a str,
    row: usize,
    parts: Option<Vec<String>>,
    answer_choices: Option<Vec<String>>,
    error: Option<ErrorRecord>,
    #[serde(flatten)]
    fewshot: Option<FewshotRecord>,
}

/// With `--num-fewshot`: the demonstrations' rows and the assembled input
/// (`None` when the row's own render failed).
#[derive(Serialize)]
struct FewshotRecord {
    fewshot_rows: Vec<usize>,
    prompt: Option<String>,
}

#[derive(Serialize)]
struct ErrorRecord {
    #[serde(rename = "type")]
    kind: String,
    message: String,
}

impl From<RenderError> for ErrorRecord {
    fn from(error: RenderError) -> Self {
        ErrorRecord {
            kind: error.kind,
            message: error.message,
        }
    }
}

/// Rows are read and rendered in chunks: rendering runs on every core while
/// the output keeps the (template, row) order, so the bytes never depend on
/// the thread count.
const CHUNK_ROWS: usize = 2048;

pub fn run(args: &ApplyArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let catalog = target::load_catalog(&args.rows_from.templates_root(args.templates.as_ref()))?;
    let file = target::find_dataset(&catalog, &args.dataset)?;
    let selected = target::select_templates(&file, &args.templates_wanted)?;
    let compiled: Vec<(&Template, CompiledTemplate)> = selected
        .into_iter()
        .map(|template| {
            CompiledTemplate::compile(template)
                .map(|compiled| (template, compiled))
                .map_err(|error| {
                    anyhow::anyhow!(
                        "{}: template '{}': {error}",
                        file.path.display(),
                        template.name
                    )
                })
        })
        .collect::<anyhow::Result<_>>()?;

    let source = args.rows_from.open(&file)?;
    let rows = target::parse_row_range(args.rows.as_deref(), target::row_count(source.as_ref())?)?;
    let options = ApplyOptions {
        truncate: !args.no_truncate,
        seed: args.seed,
        track_spans: false,
    };
    let context = RecordContext {
        dataset: &file.dataset,
        subset: file.subset.as_deref(),
        options: &options,
        fewshot: None,
    };

    // Templates are the outer loop (the output is ordered by template, then
    // row), so each template reads the rows once, sequentially.
    for (template, compiled) in &compiled {
        let pool = demo_pool(args, &file, compiled, &options)?;
        if rows.is_empty() {
            break;
        }
        let context = RecordContext {
            fewshot: pool.as_ref(),
            ..context
        };
        let mut index = rows.start;
        for batch in source.range_batches(rows.start as u64..rows.end as u64, CHUNK_ROWS)? {
            let batch = batch?;
            let lines: Vec<Vec<u8>> = batch
                .par_iter()
                .enumerate()
                .map(|(offset, row)| context.line(template, compiled, index + offset, row))
                .collect::<Result<_, _>>()?;
            if let Some(pool) = &pool {
                pool.check()?;
            }
            for line in &lines {
                out.write_all(line)?;
            }
            index += batch.len();
        }
    }
    Ok(Outcome::Success)
}

/// The demonstrations of `compiled`'s rows, rendered as the rows are.
fn demo_pool<'a>(
    args: &ApplyArgs,
    file: &crate::core::template::DatasetTemplates,
    compiled: &'a CompiledTemplate,
    options: &'a ApplyOptions,
) -> anyhow::Result<Option<DemoPool<'a>>> {
    args.fewshot.demo_pool(
        &args.rows_from,
        file,
        Box::new(move |j, row| {
            let applied = compiled.apply(row, options).ok()?;
            Demonstration::from_parts(j, &applied.parts)
        }),
    )
}

#[derive(Clone, Copy)]
struct RecordContext<'a> {
    dataset: &'a str,
    subset: Option<&'a str>,
    options: &'a ApplyOptions,
    fewshot: Option<&'a DemoPool<'a>>,
}

impl RecordContext<'_> {
    fn line(
        &self,
        template: &Template,
        compiled: &CompiledTemplate,
        index: usize,
        row: &Row,
    ) -> serde_json::Result<Vec<u8>> {
        let applied = compiled.render(row, self.options);
        // A row whose render fails still shows its answer choices, as the
        // reference records them.
        let answer_choices = match &applied {
            Ok(applied) => Ok(applied.answer_choices.clone()),
            Err(_) => compiled.answer_choices(row, self.options),
        };
        let (parts, error) = match applied {
            Ok(applied) => (Some(applied.parts), None),
            Err(error) => (None, Some(ErrorRecord::from(error))),
        };
        let fewshot = self.fewshot.map(|pool| {
            let demos = pool.demonstrations(index);
            FewshotRecord {
                fewshot_rows: demos.iter().map(|demo| demo.row).collect(),
                prompt: parts.as_ref().map(|parts| {
                    fewshot::join(
                        &demos,
                        parts.first().map_or("", String::as_str),
                        fewshot::DEFAULT_TARGET_DELIMITER,
                    )
                }),
            }
        });
        let record = ApplyRecord {
            dataset: self.dataset,
            subset: self.subset,
            template_id: &template.id,
            template_name: &template.name,
            row: index,
            parts,
            answer_choices: answer_choices.unwrap_or(None),
            error,
            fewshot,
        };
        let mut line = serde_json::to_vec(&record)?;
        line.push(b'\n');
        Ok(line)
    }
}
