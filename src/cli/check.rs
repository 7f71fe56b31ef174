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

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// templates.yaml files or folders to search for them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Also render every template over the rows of this file (Parquet, Arrow,
    /// JSON Lines, CSV) and check variables against its columns.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Which dataset --data belongs to (NAME or NAME/SUBSET), when PATHS hold several.
    #[arg(long)]
    pub dataset: Option<String>,
    /// With --data: only these rows (START..END).
    #[arg(long)]
    pub rows: Option<String>,
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

    if let Some(data) = &args.data {
        let file = match &args.dataset {
            Some(spec) => target::find_dataset(&catalog, spec)?,
            None if catalog.files.len() == 1 => catalog.files[0].clone(),
            None => bail!(
                "--data needs one dataset, but the paths hold {} templates.yaml files: name one with --dataset",
                catalog.files.len()
            ),
        };
        let source = crate::data::open(data)?;
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
        let mut index = range.start;
        if !range.is_empty() {
            for batch in source.range_batches(range.start as u64..range.end as u64, 4096)? {
                for row in batch? {
                    checker.check(index, &row);
                    index += 1;
                }
            }
        }
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
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        for finding in &findings {
            writeln!(out, "{finding}")?;
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
