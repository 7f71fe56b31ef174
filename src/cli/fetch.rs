//! `promptstudio fetch`: a dataset's Parquet files (or, with `--model`, a
//! model's tokenizer, chat template and configuration files) from the
//! Hugging Face Hub into the standard cache, where the other commands (and
//! Python) find them.

use std::io::{IsTerminal, Write};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Outcome;
use crate::data::hub::{self, FetchProgress, FetchRequest, HubSettings};
use crate::data::resolve::interpretations;

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// The dataset: `name`, `org/name`, `name/subset` or `org/name/subset`.
    #[arg(required_unless_present = "model")]
    pub dataset: Option<String>,
    /// A model (`org/name`) instead of a dataset: fetches only its
    /// tokenizer_config.json, tokenizer.json, special_tokens_map.json,
    /// chat_template.jinja, generation_config.json and config.json (those it
    /// has; never weights).
    #[arg(long, value_name = "ORG/NAME", conflicts_with_all = ["dataset", "split"])]
    pub model: Option<String>,
    /// Only this split (default: every split of the subset).
    #[arg(long)]
    pub split: Option<String>,
    /// A branch, tag or commit of the dataset repository (default: main).
    #[arg(long)]
    pub revision: Option<String>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: &FetchArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let settings = HubSettings::from_env();
    let mut progress = ByteProgress::new(!args.quiet && std::io::stderr().is_terminal());
    if let Some(model) = &args.model {
        let fetched = hub::fetch_model(&settings, model, args.revision.as_deref(), &mut progress);
        progress.finish();
        let fetched = fetched?;
        writeln!(
            out,
            "{model} at {} ({} downloaded, {} already cached)",
            fetched.revision,
            fetched.downloaded,
            fetched.paths.len() - fetched.downloaded
        )?;
        for path in &fetched.paths {
            writeln!(out, "    {}", path.display())?;
        }
        return Ok(Outcome::Success);
    }
    let Some(dataset) = &args.dataset else {
        anyhow::bail!("fetch needs a dataset or --model ORG/NAME");
    };
    // `a/b` is either the repo `a/b` or the subset `b` of `a`: try each reading
    // in turn and report every failure if none works.
    let mut failures = Vec::new();
    for (dataset, subset) in interpretations(dataset) {
        let request = FetchRequest {
            dataset: &dataset,
            subset: subset.as_deref(),
            split: args.split.as_deref(),
            revision: args.revision.as_deref(),
        };
        match hub::fetch(&settings, &request, &mut progress) {
            Ok(fetched) => {
                progress.finish();
                writeln!(
                    out,
                    "{}{} at {} ({} downloaded, {} already cached)",
                    dataset,
                    subset
                        .as_deref()
                        .map(|s| format!("/{s}"))
                        .unwrap_or_default(),
                    fetched.revision,
                    fetched.downloaded,
                    fetched
                        .splits
                        .iter()
                        .map(|split| split.paths.len())
                        .sum::<usize>()
                        - fetched.downloaded
                )?;
                for split in &fetched.splits {
                    writeln!(out, "  {}:", split.split)?;
                    for path in &split.paths {
                        writeln!(out, "    {}", path.display())?;
                    }
                }
                return Ok(Outcome::Success);
            }
            Err(error) => failures.push(error.to_string()),
        }
    }
    progress.finish();
    anyhow::bail!("{}", failures.join("\n  and: "))
}

/// A byte-count progress bar on stderr, only when it is a terminal.
struct ByteProgress {
    bar: Option<ProgressBar>,
}

impl ByteProgress {
    fn new(visible: bool) -> Self {
        let bar = visible.then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        ByteProgress { bar }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl FetchProgress for ByteProgress {
    fn file_started(&mut self, name: &str, size: u64, index: usize, count: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(size);
            bar.set_position(0);
            bar.set_message(format!("{}/{} {name}", index + 1, count));
        }
    }

    fn advanced(&mut self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    fn file_finished(&mut self) {}
}
