//! `promptstudio stats`: PromptSource's helicopter view, in numbers.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::target;
use super::Outcome;
use crate::core::stats::collection_stats;

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// A templates folder (or one templates.yaml).
    pub path: PathBuf,
    /// Print the numbers as JSON, with a per-subset breakdown.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &StatsArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let catalog = target::load_catalog(&args.path)?;
    let stats = collection_stats(&catalog);
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &stats)?;
        writeln!(out)?;
        return Ok(Outcome::Success);
    }
    writeln!(out, "datasets                     {:>6}", stats.datasets)?;
    writeln!(out, "subsets (templates.yaml)     {:>6}", stats.subsets)?;
    writeln!(out, "prompts                      {:>6}", stats.prompts)?;
    writeln!(
        out,
        "original-task prompts        {:>6}",
        stats.original_task_prompts
    )?;
    writeln!(
        out,
        "prompts with answer choices  {:>6}",
        stats.prompts_with_answer_choices
    )?;
    writeln!(out, "\nmetrics (prompts)")?;
    let mut metrics: Vec<_> = stats.metrics.iter().collect();
    metrics.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (metric, count) in metrics {
        writeln!(out, "  {metric:<26} {count:>6}")?;
    }
    writeln!(out, "\nlanguages (prompts)")?;
    let mut languages: Vec<_> = stats.languages.iter().collect();
    languages.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (language, count) in languages {
        writeln!(out, "  {language:<26} {count:>6}")?;
    }
    Ok(Outcome::Success)
}
