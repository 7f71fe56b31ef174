//! The headless commands. Each subcommand lives in its own module with a
//! `run(args, out)` that writes its result to `out` and returns an [`Outcome`];
//! `main.rs` maps outcomes and errors to exit codes (0, 1, 2).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub mod apply;
pub mod chat_check;
pub mod chat_template;
pub mod check;
pub mod engine_args;
pub mod eval;
pub mod export;
pub mod fetch;
pub mod fewshot;
pub mod fmt;
pub mod inspect;
pub mod render;
#[cfg(feature = "tui")]
pub mod sample;
pub mod stats;
pub mod target;

/// How a command ended when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1: the command ran and found problems (check findings, files `fmt --check` would change).
    Problems,
}

#[derive(Debug, Parser)]
#[command(
    name = "promptstudio",
    version,
    about = "A terminal studio for PromptSource prompt templates",
    long_about = "A terminal studio for PromptSource prompt templates.\n\n\
        With no command, opens the studio on DIR (default: the current folder when it has \
        templates, else ./sample-data/, else a writable copy of the sample workspace under \
        $XDG_DATA_HOME/promptstudio/sample-data). The commands below run headless on the same engine.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub studio: StudioArgs,
}

#[derive(Debug, Args)]
pub struct StudioArgs {
    /// Workspace folder: templates under it (or its templates/ folder), rows
    /// under its data/<dataset>/<subset or _>/<split>.* files.
    pub dir: Option<PathBuf>,
    /// Templates folder (overrides the workspace's).
    #[arg(long)]
    pub templates: Option<PathBuf>,
    /// Folder holding data/<dataset>/<subset or _>/<split>.* (overrides the
    /// workspace's); the Hugging Face caches are searched after it.
    #[arg(long, value_name = "FOLDER")]
    pub data: Option<PathBuf>,
    /// Colour theme: dark, light, ansi16, or a theme file's name in the config folder.
    #[arg(long)]
    pub theme: Option<String>,
    /// Capture the mouse (click to focus, wheel to scroll).
    #[arg(long)]
    pub mouse: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply templates to rows; JSON Lines on stdout, one object per (template, row).
    Apply(apply::ApplyArgs),
    /// Render one row through one template, readable or as JSON.
    Render(render::RenderArgs),
    /// Lint templates.yaml files: PromptSource's checks, and with --data, renders over rows.
    Check(check::CheckArgs),
    /// Rewrite templates.yaml files in PromptSource's canonical (PyYAML) form.
    Fmt(fmt::FmtArgs),
    /// Collection statistics: datasets, prompts, metrics and languages.
    Stats(stats::StatsArgs),
    /// Show a dataset's schema, row count, a row, and a column summary.
    Inspect(inspect::InspectArgs),
    /// Download a dataset's Parquet files (or, with --model, a model's tokenizer and config files) from the Hugging Face Hub into its cache.
    Fetch(fetch::FetchArgs),
    /// Write prompted datasets (P3 layout, completions or chat messages) for whole splits.
    Export(export::ExportArgs),
    /// Hugging Face chat templates: render a conversation as transformers does.
    ChatTemplate(chat_template::ChatTemplateArgs),
    /// Score answer choices or generate with a model server; metrics per template.
    Eval(eval::EvalArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    match cli.command {
        Some(Command::Apply(args)) => {
            args.engine.install();
            apply::run(&args, out)
        }
        Some(Command::Render(args)) => {
            args.engine.install();
            render::run(&args, out)
        }
        Some(Command::Check(args)) => {
            args.engine.install();
            check::run(&args, out)
        }
        Some(Command::Fmt(args)) => fmt::run(&args, out),
        Some(Command::Stats(args)) => stats::run(&args, out),
        Some(Command::Inspect(args)) => inspect::run(&args, out),
        Some(Command::Fetch(args)) => fetch::run(&args, out),
        Some(Command::Export(args)) => {
            args.engine.install();
            export::run(&args, out)
        }
        Some(Command::ChatTemplate(args)) => chat_template::run(&args, out),
        Some(Command::Eval(args)) => {
            args.engine.install();
            eval::run(&args, out)
        }
        None => run_studio(cli.studio),
    }
}

#[cfg(feature = "tui")]
fn run_studio(args: StudioArgs) -> anyhow::Result<Outcome> {
    crate::tui::run(crate::tui::StudioOptions {
        workspace: default_workspace(args.dir),
        templates: args.templates,
        data: args.data,
        theme: args.theme,
        mouse: args.mouse,
    })?;
    Ok(Outcome::Success)
}

#[cfg(not(feature = "tui"))]
fn run_studio(_args: StudioArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("this build has no studio (built without the `tui` feature); see --help for the headless commands")
}

/// The folder the studio opens without an argument: the current folder when
/// it holds templates, else `sample-data/` below it (so that
/// `cargo run --release` in a fresh clone opens the sample workspace), else
/// a writable copy of the sample workspace built into the binary, under
/// `$XDG_DATA_HOME/promptstudio/` (never the source tree it was built from).
#[cfg(feature = "tui")]
fn default_workspace(dir: Option<PathBuf>) -> PathBuf {
    if let Some(dir) = dir {
        return dir;
    }
    let here = PathBuf::from(".");
    if here.join("templates").is_dir() || here.join("templates.yaml").is_file() {
        return here;
    }
    let checkout = PathBuf::from("sample-data");
    if checkout.join("templates").is_dir() {
        return checkout;
    }
    match sample::sample_dir().map(|dir| sample::unpack(&dir).map_err(|e| (dir, e))) {
        Some(Ok(dir)) => dir,
        Some(Err((dir, error))) => {
            eprintln!(
                "promptstudio: cannot write the sample workspace to {}: {error}",
                dir.display()
            );
            here
        }
        None => here,
    }
}

/// True when the error is a closed stdout (`promptstudio apply ... | head`),
/// which is a normal way for a pipeline to end, not a failure.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
