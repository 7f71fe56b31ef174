//! `promptstudio chat-template`: render a conversation through a model's
//! chat template exactly as transformers does (`render`).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context as _};
use clap::{Args, Subcommand};
use serde_json::json;

use super::Outcome;
use crate::core::chat::minijinja_env::MiniTemplate;
use crate::core::chat::source::{self, TemplateSource};
use crate::core::chat::tokens::TokenCounter;
use crate::core::chat::{ChatError, ChatTemplate, Conversation, RenderOptions, WallTime};

#[derive(Debug, Args)]
pub struct ChatTemplateArgs {
    #[command(subcommand)]
    pub command: ChatTemplateCommand,
}

#[derive(Debug, Subcommand)]
pub enum ChatTemplateCommand {
    /// Render a conversation: prints exactly the string the model reads.
    Render(RenderArgs),
    /// Render built-in conversations with transformers' semantics and with
    /// minijinja (Rust servers) and report every difference; exit 1 when any.
    Check(CheckArgs),
}

/// Which engine renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// Our engine with transformers' semantics (Python Jinja2).
    Jinja2,
    /// The minijinja crate, as Rust inference servers configure it.
    Minijinja,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub template: TemplateArgs,
}

/// Where the template comes from and the variables besides the conversation.
#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// A .jinja file, a tokenizer_config.json, a model folder, or ORG/NAME
    /// in the Hugging Face cache (offline).
    #[arg(long, value_name = "PATH|ORG/NAME")]
    pub chat_template: String,
    /// Which of a tokenizer_config.json's named templates (default: "default").
    #[arg(long, value_name = "NAME")]
    pub chat_template_name: Option<String>,
    /// The `bos_token` variable (default: the model's).
    #[arg(long, value_name = "S")]
    pub bos_token: Option<String>,
    /// The `eos_token` variable (default: the model's).
    #[arg(long, value_name = "S")]
    pub eos_token: Option<String>,
    /// Freeze `strftime_now`'s clock at this RFC 3339 time (its wall time
    /// as written); also $PROMPTSTUDIO_NOW.
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub template: TemplateArgs,
    /// A JSON file holding {"messages": [...], "tools": [...]} (tools optional).
    #[arg(long, value_name = "FILE")]
    pub conversation: PathBuf,
    /// End with the template's generation prompt (the assistant turn's opening).
    #[arg(long)]
    pub add_generation_prompt: bool,
    /// Print {"output": ...} or {"error": {"kind", "type", "message"}}.
    #[arg(long)]
    pub json: bool,
    /// The engine: transformers' semantics, or minijinja as Rust servers render.
    #[arg(long, value_enum, default_value = "jinja2")]
    pub engine: Engine,
    /// With --json, add `prompt_tokens` counted with this tokenizer.json (a
    /// file, a model folder or ORG/NAME in the cache), no special tokens added.
    #[arg(long, value_name = "PATH|ORG/NAME")]
    pub tokenizer: Option<String>,
}

pub fn run(args: &ChatTemplateArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    match &args.command {
        ChatTemplateCommand::Render(args) => render(args, out),
        ChatTemplateCommand::Check(args) => super::chat_check::run(args, out),
    }
}

/// A template ready to render, with the variables the command line set.
pub struct Prepared {
    pub source: TemplateSource,
    pub options: RenderOptions,
}

impl TemplateArgs {
    /// Loads the template and settles the special tokens and the clock;
    /// any problem here is a usage error naming the file or option.
    pub fn prepare(&self, add_generation_prompt: bool) -> anyhow::Result<Prepared> {
        let hub_cache = crate::data::resolve::hub_cache();
        let source = source::load(
            &self.chat_template,
            self.chat_template_name.as_deref(),
            &hub_cache,
        )
        .map_err(|e| anyhow!(e))?;
        let mut special_tokens = source.special_tokens.clone();
        let overrides = [
            ("bos_token", &self.bos_token),
            ("eos_token", &self.eos_token),
        ];
        for (name, value) in overrides {
            if let Some(value) = value {
                special_tokens.retain(|(n, _)| n != name);
                special_tokens.push((name.to_string(), value.clone()));
            }
        }
        Ok(Prepared {
            source,
            options: RenderOptions {
                add_generation_prompt,
                special_tokens,
                now: frozen_clock(self.now.as_deref())?,
            },
        })
    }
}

/// `--now`, else `$PROMPTSTUDIO_NOW`, else the running clock.
pub fn frozen_clock(now: Option<&str>) -> anyhow::Result<Option<WallTime>> {
    let (text, from) = match now {
        Some(text) => (text.to_string(), "--now"),
        None => match std::env::var("PROMPTSTUDIO_NOW") {
            Ok(text) if !text.is_empty() => (text, "PROMPTSTUDIO_NOW"),
            _ => return Ok(None),
        },
    };
    WallTime::parse_rfc3339(&text).map(Some).ok_or_else(|| {
        anyhow!("{from}: {text:?} is not an RFC 3339 time such as 2026-01-15T12:00:00Z")
    })
}

/// Reads a conversation file; a file that is not a list of role/content
/// messages is a usage error naming it.
pub fn read_conversation(path: &Path) -> anyhow::Result<Conversation> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| anyhow!("{}: not valid JSON: {e}", path.display()))?;
    Conversation::from_json(value).map_err(|e| anyhow!("{}: {e}", path.display()))
}

fn render(args: &RenderArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let prepared = args.template.prepare(args.add_generation_prompt)?;
    let conversation = read_conversation(&args.conversation)?;
    let counter = match &args.tokenizer {
        Some(spec) => Some(
            TokenCounter::load(spec, &crate::data::resolve::hub_cache()).map_err(|e| anyhow!(e))?,
        ),
        None => None,
    };
    let text = &prepared.source.text;
    let options = &prepared.options;
    let result = match args.engine {
        Engine::Jinja2 => {
            ChatTemplate::compile(text).and_then(|template| template.render(&conversation, options))
        }
        Engine::Minijinja => MiniTemplate::compile(text, options.now)
            .and_then(|template| template.render(&conversation, options)),
    };
    if let (Some(counter), Ok(text), true) = (&counter, &result, args.json) {
        let tokens = counter.count(text).map_err(|e| anyhow!(e))?;
        serde_json::to_writer(
            &mut *out,
            &json!({ "output": text, "prompt_tokens": tokens }),
        )?;
        writeln!(out)?;
        return Ok(Outcome::Success);
    }
    report(result, &prepared.source.origin, args.json, out)
}

/// Prints a render's outcome: the string as is, or JSON; a template that
/// failed is exit 1 with its error (on stderr unless `--json`).
pub fn report(
    result: Result<String, ChatError>,
    origin: &Path,
    as_json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    match (result, as_json) {
        (Ok(text), false) => {
            out.write_all(text.as_bytes())?;
            Ok(Outcome::Success)
        }
        (Ok(text), true) => {
            serde_json::to_writer(&mut *out, &json!({ "output": text }))?;
            writeln!(out)?;
            Ok(Outcome::Success)
        }
        (Err(error), true) => {
            serde_json::to_writer(&mut *out, &json!({ "error": error_json(&error) }))?;
            writeln!(out)?;
            Ok(Outcome::Problems)
        }
        (Err(error), false) => {
            eprintln!(
                "promptstudio: {}: {} error: {error}",
                origin.display(),
                error.kind.as_str()
            );
            Ok(Outcome::Problems)
        }
    }
}

pub fn error_json(error: &ChatError) -> serde_json::Value {
    json!({
        "kind": error.kind.as_str(),
        "type": error.type_name,
        "message": error.message,
    })
}
