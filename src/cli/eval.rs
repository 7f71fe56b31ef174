//! `promptstudio eval`: a dataset's templates applied to its rows (exactly as
//! `apply --seed N` applies them) and sent to a model server; rank
//! classification over the answer choices or generation, with
//! lm-evaluation-harness' metrics per template.

mod records;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde_json::{json, Value};

use super::fewshot::DemoPool;
use super::target;
use super::Outcome;
use crate::core::chat::{ChatTemplate, Conversation, RenderOptions};
use crate::core::fewshot;
use crate::core::template::{DatasetTemplates, Template};
use crate::data::resolve::Resolver;
use crate::export::engine::EngineRenderer;
use crate::export::progress::{Progress, ProgressMode};
use crate::export::record::SharedChoices;
use crate::export::RowRenderer;
use crate::model::cache::{self, ResponseCache};
use crate::model::client::RetryPolicy;
use crate::model::config::{self, ModelSettings};
use crate::model::job::{self, Prepared};
use crate::model::run::{Evaluator, Job, Mode, Settings};
use crate::model::summary::{Summary, Tally};
use records::{Entry, OrderedWriter};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Rank classification when the template has answer choices, else generation.
    Auto,
    Rank,
    Generate,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
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
    /// Row range START..END (0-based, END exclusive; either side may be omitted).
    #[arg(long, conflicts_with = "limit")]
    pub rows: Option<String>,
    /// The first N rows.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Rows are rendered as `apply --seed N` renders them (and N is the
    /// generation requests' seed), so that reruns are identical and cached.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, value_enum, default_value_t = ModeArg::Auto)]
    pub mode: ModeArg,
    /// Text between the input and each answer choice when scoring.
    #[arg(long, default_value = " ")]
    pub target_delimiter: String,
    /// Most tokens a generation may produce.
    #[arg(long, default_value_t = 64)]
    pub max_tokens: u32,
    /// A stop sequence for generation; repeatable.
    #[arg(long = "stop", value_name = "STR")]
    pub stop: Vec<String>,
    /// Generate through /chat/completions, the input as one user message.
    #[arg(long)]
    pub chat: bool,
    /// The server's base URL (default: [model] endpoint, $OPENAI_BASE_URL, http://127.0.0.1:8000/v1).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The model name (default: [model] model, else the first the server lists).
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// The environment variable holding the API key (default: OPENAI_API_KEY).
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// Most requests in flight (default 16).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Seconds a request may take (default 120).
    #[arg(long, value_name = "S")]
    pub timeout: Option<f64>,
    /// Neither read nor write the response cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Write one JSON object per (template, row) to FILE (JSON Lines).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Score and generate with the prompt this chat template makes of the
    /// input (a .jinja file, a tokenizer_config.json, a model folder, or
    /// ORG/NAME in the Hugging Face cache), as lm-evaluation-harness'
    /// --apply_chat_template: generation prompt on, no target delimiter,
    /// and `add_special_tokens: false` sent with every request.
    #[arg(long, value_name = "PATH|ORG/NAME", conflicts_with = "chat")]
    pub chat_template: Option<String>,
    /// Which of a tokenizer_config.json's named templates (default: "default").
    #[arg(long, value_name = "NAME", requires = "chat_template")]
    pub chat_template_name: Option<String>,
    #[command(flatten)]
    pub fewshot: super::fewshot::FewshotArgs,
    #[command(flatten)]
    pub engine: super::engine_args::EngineArgs,
}

const RENDER_BATCH_ROWS: usize = 2048;

pub fn run(args: &EvalArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let catalog = target::load_catalog(&args.rows_from.templates_root(args.templates.as_ref()))?;
    let file = target::find_dataset(&catalog, &args.dataset)?;
    let selected = target::select_templates(&file, &args.templates_wanted)?;
    let source = args.rows_from.open(&file)?;
    let mut rows =
        target::parse_row_range(args.rows.as_deref(), target::row_count(source.as_ref())?)?;
    if let Some(limit) = args.limit {
        rows.end = rows.end.min(rows.start.saturating_add(limit));
    }

    let env = |name: &str| std::env::var(name).ok();
    let connection = config::resolve(
        ModelSettings {
            endpoint: args.endpoint.clone(),
            model: args.model.clone(),
            api_key_env: args.api_key_env.clone(),
            concurrency: args.concurrency,
            timeout_s: args.timeout,
            ..ModelSettings::default()
        },
        Some(&args.rows_from.workspace),
        &env,
    )?;
    let cache = if args.no_cache {
        None
    } else {
        let path = cache::default_path(&env)
            .context("no cache folder: set XDG_CACHE_HOME or HOME, or pass --no-cache")?;
        Some(ResponseCache::open(&path)?)
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let _signals = SignalFlag::install(&cancel)?;
    let evaluator = Evaluator::connect(&connection, RetryPolicy::default(), cache, &cancel)?;

    let mut out_file = match &args.out {
        Some(path) => Some(BufWriter::new(
            File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => None,
    };
    let chat_template = match &args.chat_template {
        Some(spec) => Some(ChatPrompt::load(spec, args.chat_template_name.as_deref())?),
        None => None,
    };
    let target_delimiter = match chat_template {
        // lm-evaluation-harness sets the delimiter empty with a chat template:
        // the generation prompt ends where the answer starts.
        Some(_) => String::new(),
        None => args.target_delimiter.clone(),
    };
    let mut progress = Progress::new(ProgressMode::detect(false)).counting("rows");
    let mut reports = Vec::new();
    for template in &selected {
        let mode = match args.mode {
            ModeArg::Rank => Mode::Rank,
            ModeArg::Generate => Mode::Generate,
            ModeArg::Auto => job::auto_mode(template),
        };
        let renderer = EngineRenderer::new(
            crate::core::apply::CompiledTemplate::compile(template).map_err(|error| {
                anyhow::anyhow!(
                    "{}: template '{}': {error}",
                    file.path.display(),
                    template.name
                )
            })?,
        );
        let pool = demo_pool(args, &file, &renderer)?;
        let assemble = |row: usize, input: String| -> Result<String, String> {
            let demos = pool
                .as_ref()
                .map(|pool| pool.demonstrations(row))
                .unwrap_or_default();
            match &chat_template {
                Some(chat) => chat.render(&fewshot::messages(&demos, &input)),
                None if pool.is_some() => Ok(fewshot::join(&demos, &input, &target_delimiter)),
                None => Ok(input),
            }
        };
        let (entries, jobs) = render_entries(
            &renderer,
            source.as_ref(),
            rows.clone(),
            args.seed,
            mode,
            &assemble,
        )?;
        if let Some(pool) = &pool {
            pool.check()?;
        }
        let settings = Settings {
            mode,
            target_delimiter: target_delimiter.clone(),
            max_tokens: args.max_tokens,
            stop: args.stop.clone(),
            seed: Some(args.seed),
            chat: args.chat,
            add_special_tokens: chat_template.as_ref().map(|_| false),
        };
        let mut tally = Tally::new(mode, &template.metadata.metrics);
        let mut writer = OrderedWriter::new(&entries, &jobs, template, mode);
        progress.start(
            &format!("{} · {} ({mode})", args.dataset, template.name),
            jobs.len() as u64,
        );
        let outcome = evaluator.run(
            &jobs,
            &settings,
            connection.concurrency,
            &cancel,
            &mut |index, result| {
                tally.add(&jobs[index], &result);
                progress.advance(1);
                if let Some(out_file) = out_file.as_mut() {
                    // A write error shows again at the final flush.
                    let _ = writer.push(index, result, out_file);
                }
            },
        );
        for entry in &entries {
            if matches!(entry, Entry::Skipped { .. }) {
                tally.skip();
            }
        }
        if let Some(out_file) = out_file.as_mut() {
            writer.finish(out_file)?;
            out_file.flush()?;
        }
        let summary = tally.summary();
        progress.finish(&format!(
            "{} · {}: {} scored, {} skipped, {} errors",
            args.dataset, template.name, summary.scored, summary.skipped, summary.errors
        ));
        outcome.with_context(|| {
            format!(
                "evaluating template '{}' with {} at {}",
                template.name,
                evaluator.model(),
                evaluator.endpoint()
            )
        })?;
        reports.push((*template, summary));
    }

    if args.json {
        let templates: Vec<Value> = reports
            .iter()
            .map(|(template, summary)| template_json(template, summary))
            .collect();
        let object = json!({
            "endpoint": evaluator.endpoint(),
            "model": evaluator.model(),
            "dataset": file.dataset,
            "subset": file.subset,
            "split": split_name(args, &file),
            "num_fewshot": args.fewshot.num_fewshot,
            "fewshot_seed": args.fewshot.num_fewshot.map(|_| args.fewshot.fewshot_seed),
            "fewshot_split": args.fewshot.fewshot_split,
            "chat_template": chat_template.as_ref().map(|chat| chat.origin.display().to_string()),
            "templates": templates,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&object)?)?;
    } else {
        writeln!(
            out,
            "model {} at {}",
            evaluator.model(),
            evaluator.endpoint()
        )?;
        for (template, summary) in &reports {
            write_table(out, template, summary)?;
        }
    }
    Ok(Outcome::Success)
}

/// The split evaluated: `--split`, else the one found by name (none for `--data` alone).
fn split_name(args: &EvalArgs, file: &DatasetTemplates) -> Option<String> {
    if args.rows_from.split.is_some() || args.rows_from.data.is_some() {
        return args.rows_from.split.clone();
    }
    let spec = match &file.subset {
        Some(subset) => format!("{}/{subset}", file.dataset),
        None => file.dataset.clone(),
    };
    Resolver::from_env(&args.rows_from.workspace)
        .resolve(&spec, None)
        .ok()
        .map(|found| found.split)
}

/// Renders the rows of `range` and sorts them into jobs and skipped rows.
fn render_entries(
    renderer: &EngineRenderer,
    source: &dyn crate::data::Source,
    range: std::ops::Range<usize>,
    seed: u64,
    mode: Mode,
    assemble: &dyn Fn(usize, String) -> Result<String, String>,
) -> anyhow::Result<(Vec<Entry>, Vec<Job>)> {
    let mut entries = Vec::with_capacity(range.len());
    let mut jobs = Vec::with_capacity(range.len());
    if range.is_empty() {
        return Ok((entries, jobs));
    }
    let mut index = range.start;
    let mut shared = SharedChoices::default();
    for batch in source.range_batches(range.start as u64..range.end as u64, RENDER_BATCH_ROWS)? {
        for row in batch? {
            let entry = match job::prepare(index, renderer.render(&row, seed), mode, &mut shared) {
                // Few-shot demonstrations go in front of a row that is sent;
                // a row that cannot have its K demonstrations is skipped.
                Prepared::Job(mut job) => match assemble(index, std::mem::take(&mut job.input)) {
                    Ok(input) => {
                        job.input = input;
                        jobs.push(job);
                        Entry::Job(jobs.len() - 1)
                    }
                    Err(message) => skipped(index, message, None),
                },
                Prepared::Skipped { reason, job } => skipped(index, reason, job),
            };
            entries.push(entry);
            index += 1;
        }
    }
    Ok((entries, jobs))
}

/// The demonstrations of `renderer`'s rows, rendered as eval renders rows.
fn demo_pool<'a>(
    args: &EvalArgs,
    file: &DatasetTemplates,
    renderer: &'a EngineRenderer,
) -> anyhow::Result<Option<DemoPool<'a>>> {
    let seed = args.seed;
    args.fewshot.demo_pool(
        &args.rows_from,
        file,
        Box::new(move |j, row| {
            let rendered = renderer.render(row, seed).ok()?;
            fewshot::Demonstration::from_parts(j, &rendered.parts)
        }),
    )
}

/// `--chat-template`: the conversation of a row's prompt rendered with the
/// generation prompt, as transformers' `apply_chat_template` renders it.
struct ChatPrompt {
    template: ChatTemplate,
    options: RenderOptions,
    origin: PathBuf,
}

impl ChatPrompt {
    fn load(spec: &str, name: Option<&str>) -> anyhow::Result<ChatPrompt> {
        let prepared = super::chat_template::TemplateArgs {
            chat_template: spec.to_string(),
            chat_template_name: name.map(str::to_string),
            bos_token: None,
            eos_token: None,
            now: None,
        }
        .prepare(true)?;
        let origin = prepared.source.origin.clone();
        let template = ChatTemplate::compile(&prepared.source.text)
            .map_err(|error| anyhow::anyhow!("{}: {error}", origin.display()))?;
        Ok(ChatPrompt {
            template,
            options: prepared.options,
            origin,
        })
    }

    fn render(&self, messages: &[Value]) -> Result<String, String> {
        let conversation = Conversation::from_json(Value::Array(messages.to_vec()))?;
        self.template
            .render(&conversation, &self.options)
            .map_err(|error| {
                format!(
                    "chat template {} failed: {} error: {error}",
                    self.origin.display(),
                    error.kind.as_str()
                )
            })
    }
}

fn skipped(row: usize, reason: String, job: Option<Job>) -> Entry {
    let (input, target, choices) = match job {
        Some(job) => (Some(job.input), Some(job.target), Some(job.choices)),
        None => (None, None, None),
    };
    Entry::Skipped {
        row,
        reason: format!("skipped: {reason}"),
        input,
        target,
        choices,
    }
}

fn template_json(template: &Template, summary: &Summary) -> Value {
    let metrics: serde_json::Map<String, Value> = summary
        .metrics
        .iter()
        .map(|(name, value)| (name.clone(), json!(value)))
        .collect();
    json!({
        "template_id": &*template.id,
        "template_name": &*template.name,
        "mode": summary.mode,
        "rows": summary.rows,
        "scored": summary.scored,
        "skipped": summary.skipped,
        "errors": summary.errors,
        "metrics": metrics,
        "not_computed": summary.not_computed,
    })
}

fn write_table(out: &mut dyn Write, template: &Template, summary: &Summary) -> anyhow::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "{} ({}) · {}",
        template.name, template.id, summary.mode
    )?;
    writeln!(
        out,
        "  rows {} · scored {} · skipped {} · errors {}",
        summary.rows, summary.scored, summary.skipped, summary.errors
    )?;
    let show = |value: Option<f64>| value.map_or("N/A".to_string(), |value| format!("{value:.4}"));
    for (name, value) in &summary.metrics {
        if name.ends_with("_stderr") {
            continue;
        }
        let stderr = summary
            .metrics
            .iter()
            .find(|(key, _)| *key == format!("{name}_stderr"));
        match stderr {
            Some((_, stderr)) => {
                writeln!(out, "  {name:<12} {} ± {}", show(*value), show(*stderr))?
            }
            None => writeln!(out, "  {name:<12} {}", show(*value))?,
        }
    }
    if !summary.not_computed.is_empty() {
        writeln!(out, "  not computed: {}", summary.not_computed.join(", "))?;
    }
    Ok(())
}

/// Ctrl-C stops sending (the rows already scored are written); a second
/// Ctrl-C exits at once.
struct SignalFlag {
    ids: Vec<signal_hook::SigId>,
}

impl SignalFlag {
    fn install(cancel: &Arc<AtomicBool>) -> anyhow::Result<SignalFlag> {
        let mut ids = Vec::new();
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            ids.push(signal_hook::flag::register_conditional_shutdown(
                signal,
                130,
                Arc::clone(cancel),
            )?);
            ids.push(signal_hook::flag::register(signal, Arc::clone(cancel))?);
        }
        Ok(SignalFlag { ids })
    }
}

impl Drop for SignalFlag {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}
