//! `promptstudio check`: lint templates.yaml files.

use std::io::Write;
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use serde_json::json;

use super::target;
use super::Outcome;
use crate::core::catalog::Catalog;
use crate::core::check::{self, Finding, Severity};
use crate::core::template::DatasetTemplates;
use crate::data::Source;
use crate::workspace::{enclosing_workspace, FolderWorkspace};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// templates.yaml files or folders to search for them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Also render every template over the rows of this file (Parquet, Arrow,
    /// JSON Lines, CSV) and check variables against its columns.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Which dataset --data belongs to (NAME or NAME/SUBSET), when PATHS hold
    /// several. Without --data, its rows are found by name as `render` finds
    /// them (the workspace's data/, then the Hugging Face caches).
    #[arg(long)]
    pub dataset: Option<String>,
    /// With --dataset and no --data: the split (default: validation, else a
    /// validation-like split, else train, else test).
    #[arg(long)]
    pub split: Option<String>,
    /// With --dataset and no --data: the workspace whose data/ holds the rows
    /// (default: the folder holding the checked templates/ folder, else the
    /// current folder).
    #[arg(long)]
    pub workspace: Option<PathBuf>,
    /// With --data: only these rows (START..END).
    #[arg(long)]
    pub rows: Option<String>,
    /// With --data: count input tokens with this tokenizer.json (a file, a
    /// model folder or ORG/NAME in the cache), no special tokens added, and
    /// show each template's token-length histogram.
    #[arg(long, value_name = "PATH|ORG/NAME", requires = "data")]
    pub tokenizer: Option<String>,
    /// With --tokenizer: report rows whose input has more tokens than N (exit 1).
    #[arg(long, value_name = "N", requires = "tokenizer")]
    pub max_input_tokens: Option<usize>,
    /// Print findings as one JSON object.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub engine: super::engine_args::EngineArgs,
}

pub fn run(args: &CheckArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let mut catalog: Option<Catalog> = None;
    for path in &args.paths {
        if !path.exists() {
            bail!("{} does not exist", path.display());
        }
        let found = Catalog::discover(path);
        match &mut catalog {
            None => catalog = Some(found),
            Some(all) => {
                all.files.extend(found.files);
                all.errors.extend(found.errors);
            }
        }
    }
    let catalog = catalog.expect("clap requires at least one path");
    if catalog.files.is_empty() && catalog.errors.is_empty() {
        bail!("no templates.yaml found under the given paths");
    }
    let mut findings = check::check_catalog(&catalog);
    let mut input_tokens = Vec::new();

    if let Some((file, source)) = rows_to_check(args, &catalog)? {
        let range =
            target::parse_row_range(args.rows.as_deref(), target::row_count(source.as_ref())?)?;
        let columns: Vec<String> = source
            .schema()
            .columns
            .iter()
            .map(|column| column.name.clone())
            .collect();
        // Streamed a batch at a time: a split of any size is checked in the
        // memory of one batch.
        let mut checker = check::RowChecker::new(&file, &columns);
        if let Some(spec) = &args.tokenizer {
            let max = args.max_input_tokens;
            let counter = crate::core::chat::tokens::TokenCounter::load(
                spec,
                &crate::data::resolve::hub_cache(),
            )
            .map_err(|e| anyhow::anyhow!(e))?;
            checker = checker.with_token_budget(check::TokenBudget { counter, max });
        }
        let mut index = range.start;
        if !range.is_empty() {
            for batch in source.range_batches(range.start as u64..range.end as u64, 4096)? {
                for row in batch? {
                    checker.check(index, &row);
                    index += 1;
                }
            }
        }
        input_tokens = checker
            .input_token_summaries()
            .into_iter()
            .map(|(template, summary)| {
                (template.name.to_string(), template.id.to_string(), summary)
            })
            .collect();
        findings.extend(checker.finish());
    }

    findings.sort_by(|a, b| {
        (&a.path, a.line, &a.template_name, b.severity).cmp(&(
            &b.path,
            b.line,
            &b.template_name,
            a.severity,
        ))
    });
    let errors = count(&findings, Severity::Error);
    let warnings = count(&findings, Severity::Warning);
    let templates: usize = catalog.files.iter().map(|file| file.templates.len()).sum();
    if args.json {
        let report = json!({
            "files": catalog.files.len() + catalog.errors.len(),
            "templates": templates,
            "errors": errors,
            "warnings": warnings,
            "findings": findings,
        });
        let mut report = report;
        if args.tokenizer.is_some() {
            report["input_tokens"] = input_tokens
                .iter()
                .map(|(name, id, summary)| {
                    json!({"template_name": name, "template_id": id, "summary": summary})
                })
                .collect();
        }
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        for finding in &findings {
            writeln!(out, "{finding}")?;
        }
        for (name, _, summary) in &input_tokens {
            write!(out, "input tokens of template '{name}', {}", summary.text())?;
        }
        writeln!(
            out,
            "checked {} in {}: {}, {}",
            plural(templates, "template"),
            plural(catalog.files.len() + catalog.errors.len(), "file"),
            plural(errors, "error"),
            plural(warnings, "warning"),
        )?;
    }
    Ok(if errors > 0 {
        Outcome::Problems
    } else {
        Outcome::Success
    })
}

/// The templates file and rows that `--data` or `--dataset` name, if any.
fn rows_to_check(
    args: &CheckArgs,
    catalog: &Catalog,
) -> anyhow::Result<Option<(DatasetTemplates, Box<dyn Source>)>> {
    let file = match (&args.dataset, &args.data) {
        (None, None) => return Ok(None),
        (Some(spec), _) => target::find_dataset(catalog, spec)?,
        (None, Some(_)) if catalog.files.len() == 1 => catalog.files[0].clone(),
        (None, Some(_)) => bail!(
            "--data needs one dataset, but the paths hold {} templates.yaml files: name one with --dataset",
            catalog.files.len()
        ),
    };
    let source = match &args.data {
        Some(data) => crate::data::open(data)?,
        None => {
            let root = match &args.workspace {
                Some(root) => root.clone(),
                None => args
                    .paths
                    .iter()
                    .find_map(|path| enclosing_workspace(path))
                    .unwrap_or_else(|| PathBuf::from(".")),
            };
            FolderWorkspace::new(&root, None, None)
                .rows_of(&file, args.split.as_deref())?
                .open()?
        }
    };
    Ok(Some((file, source)))
}

fn count(findings: &[Finding], severity: Severity) -> usize {
    findings
        .iter()
        .filter(|finding| finding.severity == severity)
        .count()
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
