//! `promptstudio render`: one row through one template, for a person (Input /
//! Target / Answer choices) or as one JSON object.

use std::io::Write;
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use serde_json::json;

use super::target;
use super::Outcome;
use crate::core::apply::{ApplyOptions, CompiledTemplate};
use crate::core::fewshot;

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Templates folder (a tree of templates.yaml files) or one templates.yaml.
    #[arg(long)]
    pub templates: Option<PathBuf>,
    /// Dataset as NAME or NAME/SUBSET, as the templates.yaml names it.
    #[arg(long)]
    pub dataset: String,
    /// Template name or id.
    #[arg(long)]
    pub template: String,
    #[command(flatten)]
    pub rows_from: target::DataArgs,
    /// Row number (0-based).
    #[arg(long, default_value_t = 0)]
    pub row: usize,
    /// Seed Python's random generator with N before rendering.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Do not truncate rendered row values to 2048 characters.
    #[arg(long)]
    pub no_truncate: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// With --json, add `input_tokens` / `target_tokens` counted with this
    /// tokenizer.json (a file, a model folder or ORG/NAME in the cache), no
    /// special tokens added.
    #[arg(long, value_name = "PATH|ORG/NAME")]
    pub tokenizer: Option<String>,
    #[command(flatten)]
    pub fewshot: super::fewshot::FewshotArgs,
    #[command(flatten)]
    pub engine: super::engine_args::EngineArgs,
}

pub fn run(args: &RenderArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let catalog = target::load_catalog(&args.rows_from.templates_root(args.templates.as_ref()))?;
    let file = target::find_dataset(&catalog, &args.dataset)?;
    let template = target::select_templates(&file, std::slice::from_ref(&args.template))?[0];
    let compiled = CompiledTemplate::compile(template).map_err(|error| {
        anyhow::anyhow!(
            "{}: template '{}': {error}",
            file.path.display(),
            template.name
        )
    })?;
    let source = args.rows_from.open(&file)?;
    let len = target::row_count(source.as_ref())?;
    if args.row >= len {
        bail!(
            "{}: row {} is out of range (the data has {len} rows)",
            source.name().display(),
            args.row
        );
    }
    let row = source.row(args.row as u64)?;
    let options = ApplyOptions {
        truncate: !args.no_truncate,
        seed: args.seed,
        track_spans: false,
    };
    let applied = compiled.render(&row, &options);
    let fewshot = match args.fewshot.num_fewshot {
        Some(_) => Some(demonstrations(args, &file, &compiled, &options)?),
        None => None,
    };
    let prompt = match (&fewshot, &applied) {
        (Some(demos), Ok(applied)) => Some(fewshot::join(
            demos,
            applied.parts.first().map_or("", String::as_str),
            fewshot::DEFAULT_TARGET_DELIMITER,
        )),
        _ => None,
    };
    let counter = match &args.tokenizer {
        Some(spec) => Some(
            crate::core::chat::tokens::TokenCounter::load(spec, &crate::data::resolve::hub_cache())
                .map_err(|e| anyhow::anyhow!(e))?,
        ),
        None => None,
    };

    if args.json {
        let value = match &applied {
            Ok(applied) => json!({
                "dataset": file.dataset,
                "subset": file.subset,
                "template_id": template.id,
                "template_name": template.name,
                "row": args.row,
                "parts": applied.parts,
                "answer_choices": applied.answer_choices,
                "error": null,
            }),
            Err(error) => json!({
                "dataset": file.dataset,
                "subset": file.subset,
                "template_id": template.id,
                "template_name": template.name,
                "row": args.row,
                "parts": null,
                "answer_choices": null,
                "error": {"type": error.kind, "message": error.message},
            }),
        };
        let mut value = value;
        if let Some(demos) = &fewshot {
            value["fewshot_rows"] = json!(demos.iter().map(|d| d.row).collect::<Vec<_>>());
            value["prompt"] = json!(prompt);
        }
        if let (Some(counter), Ok(applied)) = (&counter, &applied) {
            let count = |text: &str| counter.count(text).map_err(|e| anyhow::anyhow!(e));
            let input = applied.parts.first().map_or(Ok(0), |p| count(p))?;
            let target = applied
                .parts
                .get(1..)
                .unwrap_or(&[])
                .iter()
                .map(|p| count(p))
                .sum::<anyhow::Result<usize>>()?;
            value["input_tokens"] = json!(input);
            value["target_tokens"] = json!(target);
        }
        serde_json::to_writer(&mut *out, &value)?;
        writeln!(out)?;
        if applied.is_ok() {
            return Ok(Outcome::Success);
        }
    }

    let applied = match applied {
        Ok(applied) => applied,
        Err(error) => {
            let at = error
                .line
                .map(|line| format!(" (line {line})"))
                .unwrap_or_default();
            bail!(
                "template '{}' on row {}: {}: {}{at}",
                template.name,
                args.row,
                error.kind,
                error.message
            );
        }
    };
    let input = applied.parts.first().map(String::as_str).unwrap_or("");
    let targets = applied.parts.get(1..).unwrap_or(&[]);
    if let (Some(demos), Some(prompt)) = (&fewshot, &prompt) {
        let rows: Vec<String> = demos.iter().map(|d| d.row.to_string()).collect();
        writeln!(
            out,
            "Few-shot prompt ({} demonstrations: rows {}):",
            demos.len(),
            if rows.is_empty() {
                "none".to_string()
            } else {
                rows.join(", ")
            }
        )?;
        write_indented(out, prompt)?;
        writeln!(out)?;
    }
    writeln!(out, "Input:")?;
    if input.is_empty() && targets.is_empty() {
        writeln!(out, "  (blank result)")?;
    } else {
        write_indented(out, input)?;
    }
    writeln!(out, "\nTarget:")?;
    if targets.is_empty() {
        writeln!(out, "  (none)")?;
    }
    for part in targets {
        write_indented(out, part)?;
    }
    if let Some(choices) = &applied.answer_choices {
        writeln!(out, "\nAnswer choices:")?;
        for choice in choices {
            let marker = if targets.iter().any(|target| target.trim() == choice) {
                "*"
            } else {
                "-"
            };
            writeln!(out, "  {marker} {choice}")?;
        }
    }
    Ok(Outcome::Success)
}

/// The row's few-shot demonstrations, each rendered as the row itself is.
fn demonstrations(
    args: &RenderArgs,
    file: &crate::core::template::DatasetTemplates,
    compiled: &CompiledTemplate,
    options: &ApplyOptions,
) -> anyhow::Result<Vec<fewshot::Demonstration>> {
    let pool = args.fewshot.demo_pool(
        &args.rows_from,
        file,
        Box::new(|j, row| {
            let applied = compiled.apply(row, options).ok()?;
            fewshot::Demonstration::from_parts(j, &applied.parts)
        }),
    )?;
    let Some(pool) = pool else {
        return Ok(Vec::new());
    };
    let demos = pool.demonstrations(args.row);
    pool.check()?;
    Ok(demos)
}

fn write_indented(out: &mut dyn Write, text: &str) -> std::io::Result<()> {
    for line in text.lines() {
        writeln!(out, "  {line}")?;
    }
    Ok(())
}
