//! `promptstudio inspect`: what a dataset holds, without loading it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;
use serde_json::{json, Map, Value};

use super::Outcome;
use crate::data::features::CellFormat;
use crate::data::inspect;
use crate::data::source::RowCount;
use crate::data::{DataError, Source};
use crate::workspace::FolderWorkspace;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A data file or folder (Parquet, Arrow IPC, JSON Lines, CSV/TSV; `-` for
    /// JSON Lines on stdin), or a dataset NAME[/SUBSET] found in the workspace,
    /// the Hugging Face Hub cache or the datasets cache.
    pub target: String,
    /// The split, when the dataset is found by name.
    #[arg(long)]
    pub split: Option<String>,
    /// Workspace folder searched for `data/<dataset>/<subset or _>/<split>.*`.
    #[arg(long, default_value = ".")]
    pub workspace: PathBuf,
    /// Show row N (0-based) instead of the first row.
    #[arg(long)]
    pub row: Option<u64>,
    /// Show only the schema and the row count.
    #[arg(long, conflicts_with_all = ["row", "summary"])]
    pub schema: bool,
    /// Also summarise every column (types, nulls, string and list lengths,
    /// labels) in one streaming pass over the rows.
    #[arg(long)]
    pub summary: bool,
    /// With --summary: only the first N rows.
    #[arg(long, requires = "summary")]
    pub limit: Option<u64>,
    /// With --summary: the token lengths of every text column in this
    /// tokenizer's tokens (a tokenizer.json, a model folder, or ORG/NAME in
    /// the Hugging Face cache), no special tokens added.
    #[arg(long, value_name = "PATH|ORG/NAME", requires = "summary")]
    pub tokenizer: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Show long text in full instead of cut at 200 characters.
    #[arg(long)]
    pub full: bool,
}

pub fn run(args: &InspectArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let source = open_target(args)?;
    let count = settled_row_count(source.as_ref());
    let mut report = Map::new();
    report.insert("source".into(), json!(source.name().display().to_string()));
    report.insert("format".into(), json!(source.format().to_string()));
    report.insert(
        "row_count".into(),
        match count {
            RowCount::Exact(rows) => json!(rows),
            RowCount::AtLeast(_) => Value::Null,
        },
    );
    let schema = source.schema();
    if !args.json {
        writeln!(
            out,
            "{} ({}, {})",
            source.name().display(),
            source.format(),
            inspect::row_count_text(count)
        )?;
    }
    let show_schema = args.schema || args.row.is_none();
    if show_schema {
        if args.json {
            report.insert("schema".into(), inspect::schema_json(schema));
        } else {
            writeln!(out, "\n{}", inspect::schema_text(schema).trim_end())?;
        }
    }
    if !args.schema {
        let index = args.row.unwrap_or(0);
        let no_rows = || anyhow::anyhow!("{} has no rows", source.name().display());
        if let RowCount::Exact(rows) = count {
            if rows == 0 {
                return Err(no_rows());
            }
            if index >= rows {
                bail!(
                    "{}: row {index} is out of range (it has {rows} rows)",
                    source.name().display()
                );
            }
        }
        let row = match source.row(index) {
            // Counted only now (a text file still being indexed above).
            Err(DataError::RowOutOfRange { len: 0, .. }) => return Err(no_rows()),
            other => other?,
        };
        if args.json {
            report.insert("row_index".into(), json!(index));
            report.insert("row".into(), inspect::row_json(&row));
        } else {
            let format = if args.full {
                CellFormat {
                    max_chars: usize::MAX,
                    max_items: usize::MAX,
                }
            } else {
                CellFormat::default()
            };
            writeln!(out, "\nrow {index}")?;
            write!(out, "{}", inspect::row_text(&row, schema, &format))?;
        }
    }
    if args.summary {
        let summary = inspect::summarize(source.as_ref(), args.limit, &mut |_| {})?;
        let tokens = match &args.tokenizer {
            Some(spec) => Some(column_token_lengths(source.as_ref(), spec, args.limit)?),
            None => None,
        };
        if args.json {
            report.insert("summary".into(), serde_json::to_value(&summary)?);
            if let Some(tokens) = &tokens {
                let columns: Map<String, Value> = tokens
                    .iter()
                    .map(|(name, summary)| Ok((name.clone(), serde_json::to_value(summary)?)))
                    .collect::<Result<_, serde_json::Error>>()?;
                report.insert("token_lengths".into(), Value::Object(columns));
            }
        } else {
            writeln!(out, "\n{}", inspect::summary_text(&summary).trim_end())?;
            for (name, summary) in tokens.iter().flatten() {
                write!(out, "\ntokens of column '{name}', {}", summary.text())?;
            }
        }
    }
    if args.json {
        serde_json::to_writer(&mut *out, &Value::Object(report))?;
        writeln!(out)?;
    }
    Ok(Outcome::Success)
}

/// Token lengths of each column holding text (`str` values), over the
/// rows `--summary` reads, in column order of first appearance.
fn column_token_lengths(
    source: &dyn Source,
    spec: &str,
    limit: Option<u64>,
) -> anyhow::Result<Vec<(String, crate::core::token_lengths::TokenSummary)>> {
    use crate::core::datum::Datum;
    use crate::core::token_lengths::TokenLengths;
    let counter =
        crate::core::chat::tokens::TokenCounter::load(spec, &crate::data::resolve::hub_cache())
            .map_err(|message| anyhow::anyhow!("--tokenizer {spec}: {message}"))?;
    let mut columns: Vec<(String, TokenLengths)> = Vec::new();
    let mut rows = 0u64;
    'batches: for batch in source.batches(1024)? {
        for row in batch? {
            if limit.is_some_and(|limit| rows >= limit) {
                break 'batches;
            }
            rows += 1;
            for (name, value) in row.fields.iter() {
                let Datum::Str(text) = value else {
                    continue;
                };
                let tokens = counter.count(text).map_err(|message| {
                    anyhow::anyhow!("row {}, column '{name}': {message}", rows - 1)
                })?;
                match columns
                    .iter_mut()
                    .find(|(column, _)| column == name.as_ref())
                {
                    Some((_, lengths)) => lengths.add(tokens),
                    None => {
                        let mut lengths = TokenLengths::default();
                        lengths.add(tokens);
                        columns.push((name.to_string(), lengths));
                    }
                }
            }
        }
    }
    Ok(columns
        .into_iter()
        .filter_map(|(name, lengths)| Some((name, lengths.summary()?)))
        .collect())
}

/// A path when it exists (or is `-`), else a dataset name.
fn open_target(args: &InspectArgs) -> anyhow::Result<Box<dyn Source>> {
    let path = Path::new(&args.target);
    if args.target == "-" || path.exists() {
        if args.split.is_some() {
            bail!(
                "--split applies to a dataset found by name, not to the file {}",
                path.display()
            );
        }
        return Ok(crate::data::open(path)?);
    }
    let found = FolderWorkspace::new(&args.workspace, None, None)
        .find_rows(&args.target, args.split.as_deref())?;
    Ok(found.open()?)
}

/// The row count, given a moment to arrive: a small text file is counted in
/// far less than this, so it shows its exact count, while a big one still
/// shows its first rows at once, with the count so far.
fn settled_row_count(source: &dyn Source) -> RowCount {
    const PATIENCE: Duration = Duration::from_millis(20);
    let deadline = Instant::now() + PATIENCE;
    loop {
        let count = source.row_count();
        if matches!(count, RowCount::Exact(_)) || Instant::now() >= deadline {
            return count;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(target: &Path) -> InspectArgs {
        InspectArgs {
            target: target.display().to_string(),
            split: None,
            workspace: PathBuf::from("."),
            row: None,
            schema: false,
            summary: false,
            limit: None,
            tokenizer: None,
            json: false,
            full: false,
        }
    }

    #[test]
    fn an_empty_file_says_it_has_no_rows() {
        let dir = tempfile::tempdir().expect("temp");
        for name in ["empty.jsonl", "empty.csv", "blank.jsonl", "header_only.csv"] {
            let path = dir.path().join(name);
            let content = match name {
                "blank.jsonl" => "\n  \n",
                "header_only.csv" => "a,b\n",
                _ => "",
            };
            std::fs::write(&path, content).expect("written");
            let error = run(&args(&path), &mut Vec::new()).expect_err("no rows");
            assert_eq!(error.to_string(), format!("{} has no rows", path.display()));
            let mut schema_only = args(&path);
            schema_only.schema = true;
            let mut out = Vec::new();
            run(&schema_only, &mut out).expect("the schema of an empty file");
            let out = String::from_utf8(out).expect("text");
            assert!(out.contains("0 rows"), "{out}");
        }
    }
}
