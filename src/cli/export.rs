//! `promptstudio export`: prompted datasets (P3/T0 or fine-tuning records)
//! from a templates collection and local data; `--merge` gathers shards.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::{target, Outcome};
use crate::core::catalog::Catalog;
use crate::core::chat::ChatTemplate;
use crate::core::template::{DatasetTemplates, Template};
use crate::data::resolve::{Found, Resolver};
use crate::export::chat_text::ChatText;
use crate::export::fewshot::FewshotRenderer;
use crate::export::manifest::{FewshotSettings, Settings};
use crate::export::progress::{Progress, ProgressMode};
use crate::export::record::Style;
use crate::export::sources::DataRows;
use crate::export::tokenize::TokenCounter;
use crate::export::writer::OutputFormat;
use crate::export::{
    merge, variables_read, Exporter, Report, RowRenderer, RunOptions, SplitJob, TemplateJob,
};
use crate::workspace::FolderWorkspace;

#[derive(Debug, Clone, Args)]
#[command(
    about = "Apply templates to every row of datasets and write prompted datasets (P3 layout)"
)]
pub struct ExportArgs {
    /// Templates folder (a tree of templates.yaml files). Default: the
    /// workspace's templates/ folder, else the workspace.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,

    /// Dataset to export, as NAME or NAME/SUBSET (repeatable).
    #[arg(long, value_name = "NAME[/SUBSET]", conflicts_with = "all")]
    pub dataset: Vec<String>,

    /// Export every (dataset, subset) of the collection that has local data.
    #[arg(long)]
    pub all: bool,

    /// Workspace folder: rows are found by name in its data/<dataset>/<subset or _>/
    /// folder, then in the Hugging Face Hub cache and the datasets cache.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub workspace: PathBuf,

    /// Split to export (repeatable); default: every split found.
    #[arg(long, value_name = "SPLIT")]
    pub split: Vec<String>,

    /// Output folder (created if needed); holds one folder per task and manifest.json.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    #[arg(long, value_enum, default_value_t = FormatArg::Parquet)]
    pub format: FormatArg,

    /// p3: T0's fields; completion: prompt/completion; messages: user and assistant turns.
    #[arg(long, value_enum, default_value_t = StyleArg::P3)]
    pub style: StyleArg,

    /// Only these templates, by name or id (repeatable).
    #[arg(long = "template", value_name = "NAME_OR_ID")]
    pub templates_selected: Vec<String>,

    /// Row i of a split is rendered with seed SEED + i.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Also write, for templates with answer choices, one record per choice
    /// (task name suffixed _score_eval, as in P3).
    #[arg(long)]
    pub rank_classification: bool,

    /// Cap rows per (dataset, subset), spread over its templates as T0 did.
    #[arg(long, value_name = "N")]
    pub max_rows_per_dataset: Option<usize>,

    /// Split every split's rows into N contiguous shards (as datasets' Dataset.shard).
    #[arg(long, value_name = "N", requires = "shard_index")]
    pub num_shards: Option<usize>,

    /// The shard this process exports, from 0 to N-1.
    #[arg(long, value_name = "I", requires = "num_shards")]
    pub shard_index: Option<usize>,

    /// A Hugging Face tokenizer.json: adds `inputs`/`targets` token ids (style p3).
    #[arg(long, value_name = "FILE")]
    pub tokenizer: Option<PathBuf>,

    /// Drop rows whose input has more tokens than this (needs --tokenizer).
    #[arg(long, value_name = "N", requires = "tokenizer")]
    pub max_input_tokens: Option<usize>,

    /// Fail (exit 2) on the first row whose render errors or is blank, instead of
    /// counting and skipping it.
    #[arg(long)]
    pub strict: bool,

    /// Worker threads (default: one per core). The output is the same for any count.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,

    #[command(flatten)]
    pub fewshot: super::fewshot::FewshotArgs,

    /// With --style messages: add a `text` field, the conversation rendered
    /// by this chat template without a generation prompt (as TRL's SFT
    /// trainer reads it), and with --tokenizer its token count `text_tokens`.
    /// A .jinja file, a tokenizer_config.json, a model folder, or ORG/NAME
    /// in the Hugging Face cache.
    #[arg(long, value_name = "PATH|ORG/NAME")]
    pub chat_template: Option<String>,

    /// Which of a tokenizer_config.json's named templates (default: "default").
    #[arg(long, value_name = "NAME", requires = "chat_template")]
    pub chat_template_name: Option<String>,

    /// Merge the shard folders DIR... into --out instead of exporting.
    #[arg(long, value_name = "DIR", num_args = 1.., conflicts_with_all = ["dataset", "all"])]
    pub merge: Vec<PathBuf>,
    #[command(flatten)]
    pub engine: super::engine_args::EngineArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Parquet,
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StyleArg {
    P3,
    Completion,
    Messages,
}

/// Turns a template into something that renders rows: the engine in
/// production, a stand-in in tests of this module.
pub type Compile<'a> = &'a dyn Fn(&Template) -> anyhow::Result<Box<dyn RowRenderer>>;

/// What `export` did.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportOutcome {
    pub report: Report,
}

/// `promptstudio export`, with the studio's engine.
///
/// The exit status never depends on where shard boundaries fall: an export
/// that ran and wrote complete outputs exits 0, rows that failed are counted
/// in the manifest and warned about (a template that failed on every row of
/// a one-row shard is no different from one row failing among many), and
/// `--strict` turns any failed or blank row into an error (exit 2). A
/// scheduler's "run the merge after every shard succeeded" then works.
pub fn run(args: &ExportArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    execute(args, out, &crate::export::engine::compile)?;
    Ok(Outcome::Success)
}

/// Runs `export` with `compile` turning templates into renderers. SIGINT and
/// SIGTERM (Ctrl-C, a cluster preempting the job) stop it between batches,
/// leaving finished outputs and no partial file; a second Ctrl-C exits at once.
pub fn execute(
    args: &ExportArgs,
    out: &mut dyn Write,
    compile: Compile,
) -> anyhow::Result<ExportOutcome> {
    if !args.merge.is_empty() {
        let manifest = merge::merge(&args.merge, &args.out)?;
        writeln!(
            out,
            "merged {} shards into {}: {} outputs",
            args.merge.len(),
            args.out.display(),
            manifest.outputs.len()
        )?;
        return Ok(ExportOutcome {
            report: Report::default(),
        });
    }
    if args.dataset.is_empty() && !args.all {
        anyhow::bail!("say which datasets to export: --dataset NAME[/SUBSET] or --all");
    }
    if args.chat_template.is_some() && args.style != StyleArg::Messages {
        anyhow::bail!("--chat-template adds the text field of --style messages only");
    }
    if args.tokenizer.is_some()
        && args.style != StyleArg::P3
        && args.max_input_tokens.is_none()
        && args.chat_template.is_none()
    {
        anyhow::bail!(
            "--tokenizer adds token ids to --style p3 (or text_tokens to --style messages with --chat-template); otherwise it serves --max-input-tokens"
        );
    }
    let chat_text = args
        .chat_template
        .as_deref()
        .map(|spec| chat_text(spec, args.chat_template_name.as_deref()))
        .transpose()?;
    if args.threads == Some(0) {
        anyhow::bail!("--threads must be at least 1");
    }
    if let (Some(count), Some(index)) = (args.num_shards, args.shard_index) {
        crate::export::shard::Shard::new(index, count)?;
    }
    let workspace = FolderWorkspace::new(&args.workspace, args.templates.clone(), None);
    let catalog = target::load_catalog(&workspace.templates_root)?;
    let files = select_files(&catalog, args)?;
    let resolver = workspace.resolver();

    let tokens = args
        .tokenizer
        .as_deref()
        .map(TokenCounter::load)
        .transpose()?;
    let settings = Settings {
        style: match args.style {
            StyleArg::P3 => Style::P3,
            StyleArg::Completion => Style::Completion,
            StyleArg::Messages => Style::Messages,
        },
        format: match args.format {
            FormatArg::Parquet => OutputFormat::Parquet,
            FormatArg::Jsonl => OutputFormat::Jsonl,
        },
        seed: args.seed,
        rank_classification: args.rank_classification,
        max_rows_per_dataset: args.max_rows_per_dataset,
        tokenizer_sha256: tokens.as_ref().map(|counter| counter.sha256().to_string()),
        max_input_tokens: args.max_input_tokens,
        num_shards: args.num_shards.unwrap_or(1),
        shard_index: args.shard_index,
        chat_template_sha256: chat_text.as_ref().map(|(_, sha)| sha.clone()),
        fewshot: args.fewshot.num_fewshot.map(|shots| FewshotSettings {
            shots,
            seed: args.fewshot.fewshot_seed,
            split: args.fewshot.fewshot_split.clone(),
        }),
    };

    let cancel = Arc::new(AtomicBool::new(false));
    let _signals = SignalGuard::install(&cancel)?;
    let mut exporter = Exporter::open(
        &args.out,
        settings,
        RunOptions {
            strict: args.strict,
            threads: args.threads,
        },
        tokens,
        cancel,
        Progress::new(ProgressMode::detect(args.quiet)),
    )?;
    if let Some((chat_text, _)) = chat_text {
        exporter = exporter.with_chat_text(chat_text)?;
    }

    let mut exported_any = false;
    for file in &files {
        let chosen = chosen_templates(file, &args.templates_selected, args.all)?;
        if chosen.is_empty() {
            continue;
        }
        let splits = splits_for(resolver, file, args)?;
        if splits.is_empty() {
            continue;
        }
        let mut renderers = Vec::with_capacity(chosen.len());
        for template in &chosen {
            let renderer = compile(template).with_context(|| {
                format!(
                    "{}: template '{}' ({}) does not compile",
                    file.path.display(),
                    &*template.name,
                    &*template.id
                )
            })?;
            renderers.push(renderer);
        }
        // Decode only the columns some template reads.
        let variables = variables_read(&renderers);
        for found in splits {
            let with_demos = fewshot_renderers(args, resolver, &found, &renderers)?;
            let split_renderers: Vec<&dyn RowRenderer> = if with_demos.is_empty() {
                renderers.iter().map(|renderer| renderer.as_ref()).collect()
            } else {
                with_demos
                    .iter()
                    .map(|renderer| renderer as &dyn RowRenderer)
                    .collect()
            };
            let job = SplitJob {
                dataset: file.dataset.clone(),
                subset: file.subset.clone(),
                split: found.split.clone(),
                templates: chosen
                    .iter()
                    .zip(&split_renderers)
                    .map(|(template, renderer)| TemplateJob::new(template, *renderer))
                    .collect(),
            };
            let source = DataRows::new(found.open()?, variables.as_deref())?;
            exporter.export_split(&job, &source.stream())?;
            for renderer in &with_demos {
                renderer.check()?;
            }
            exported_any = true;
        }
    }
    if !exported_any {
        anyhow::bail!(
            "nothing to export: no rows found for the chosen datasets and splits \
             (looked in {}, {} and {})",
            resolver.workspace.join("data").display(),
            resolver.hub_cache.display(),
            resolver.datasets_cache.display()
        );
    }
    let report = exporter.finish();
    let totals = &report.rows;
    writeln!(
        out,
        "{} outputs written, {} already complete; {} records from {} rows ({} errors, {} blank, {} too long skipped) in {}",
        report.outputs_written,
        report.outputs_skipped,
        report.records,
        totals.selected_rows,
        totals.errors,
        totals.blank,
        totals.too_long,
        args.out.display()
    )?;
    for failing in &report.failing_outputs {
        writeln!(out, "warning: {failing}")?;
    }
    if report.blank_outputs > 0 {
        writeln!(
            out,
            "note: {} outputs have no record because every row rendered a blank input or target \
             (usual for unlabeled test splits)",
            report.blank_outputs
        )?;
    }
    Ok(ExportOutcome { report })
}

/// `--chat-template`, compiled, and the SHA-256 of its text (for the manifest).
fn chat_text(spec: &str, name: Option<&str>) -> anyhow::Result<(ChatText, String)> {
    let prepared = super::chat_template::TemplateArgs {
        chat_template: spec.to_string(),
        chat_template_name: name.map(str::to_string),
        bos_token: None,
        eos_token: None,
        now: None,
    }
    .prepare(false)?;
    let template = ChatTemplate::compile(&prepared.source.text)
        .map_err(|error| anyhow::anyhow!("{}: {error}", prepared.source.origin.display()))?;
    let sha = crate::export::tokenize::hex_sha256(prepared.source.text.as_bytes());
    Ok((ChatText::new(template, prepared.options), sha))
}

/// With `--num-fewshot`, each template's renderer with the split's rows'
/// demonstrations (from `--fewshot-split`, else the split itself); else none.
fn fewshot_renderers<'a>(
    args: &ExportArgs,
    resolver: &Resolver,
    found: &Found,
    renderers: &'a [Box<dyn RowRenderer>],
) -> anyhow::Result<Vec<FewshotRenderer<'a>>> {
    if args.fewshot.num_fewshot.is_none() {
        return Ok(Vec::new());
    }
    let pool = match &args.fewshot.fewshot_split {
        Some(split) => {
            let spec = match &found.subset {
                Some(subset) => format!("{}/{subset}", found.dataset),
                None => found.dataset.clone(),
            };
            resolver.resolve(&spec, Some(split))?
        }
        None => found.clone(),
    };
    let same_split = pool.split == found.split;
    renderers
        .iter()
        .map(|renderer| {
            let source = pool.open()?;
            let rows = target::row_count(source.as_ref())?;
            let plan = args
                .fewshot
                .plan(rows, same_split)
                .context("--num-fewshot is set")?;
            Ok(FewshotRenderer::new(
                renderer.as_ref(),
                args.seed,
                plan,
                source,
            ))
        })
        .collect()
}

/// The (dataset, subset) files to export, found as `apply` finds them.
fn select_files(catalog: &Catalog, args: &ExportArgs) -> anyhow::Result<Vec<DatasetTemplates>> {
    if args.all {
        return Ok(catalog.files.clone());
    }
    args.dataset
        .iter()
        .map(|spec| target::find_dataset(catalog, spec))
        .collect()
}

/// The templates to export from a file. With `--all`, a `--template` that a
/// file lacks only means that file has nothing to export.
fn chosen_templates<'t>(
    file: &'t DatasetTemplates,
    wanted: &[String],
    all: bool,
) -> anyhow::Result<Vec<&'t Template>> {
    if all && !wanted.is_empty() {
        return Ok(file
            .templates
            .iter()
            .filter(|template| {
                wanted
                    .iter()
                    .any(|name_or_id| *name_or_id == *template.name || *name_or_id == *template.id)
            })
            .collect());
    }
    target::select_templates(file, wanted)
}

/// The splits to export for a file. With `--dataset`, asking for data that
/// is not there is an error; with `--all` such pairs are skipped.
fn splits_for(
    resolver: &Resolver,
    file: &DatasetTemplates,
    args: &ExportArgs,
) -> anyhow::Result<Vec<Found>> {
    let spec = match &file.subset {
        Some(subset) => format!("{}/{subset}", file.dataset),
        None => file.dataset.clone(),
    };
    let available = resolver.splits(&spec);
    if available.is_empty() {
        if args.all {
            return Ok(Vec::new());
        }
        // The resolver's own message lists the places it looked.
        resolver.resolve(&spec, None)?;
        anyhow::bail!("no data for dataset {spec}");
    }
    if args.split.is_empty() {
        return Ok(available);
    }
    let mut chosen = Vec::new();
    for split in &args.split {
        match available.iter().find(|found| found.split == *split) {
            Some(found) => chosen.push(found.clone()),
            None if args.all => {}
            None => anyhow::bail!(
                "dataset {spec} has no split '{split}' (found: {})",
                available
                    .iter()
                    .map(|found| found.split.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    Ok(chosen)
}

/// SIGINT/SIGTERM handlers for the duration of an export, removed on drop so
/// the rest of the process keeps the default behaviour.
struct SignalGuard {
    ids: Vec<signal_hook::SigId>,
}

impl SignalGuard {
    fn install(cancel: &Arc<AtomicBool>) -> anyhow::Result<SignalGuard> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let mut ids = Vec::new();
        for signal in [SIGINT, SIGTERM] {
            // Registered first, so it sees the flag before the second
            // handler sets it: a second signal exits at once.
            ids.push(
                signal_hook::flag::register_conditional_shutdown(signal, 130, cancel.clone())
                    .context("cannot install the Ctrl-C handler")?,
            );
            ids.push(
                signal_hook::flag::register(signal, cancel.clone())
                    .context("cannot install the Ctrl-C handler")?,
            );
        }
        Ok(SignalGuard { ids })
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}
