//! The studio's model: the chat template and tokenizer the chat view and
//! the token counts use, loaded from the workspace's `promptstudio.toml`
//! (`[model] chat_template`, `tokenizer`) or picked from the Hugging Face
//! cache. Loading reads files and compiles, and counting tokens costs time
//! per keystroke, so both are requests a worker performs ([`ChatRequest::perform`]);
//! the app holds the loaded [`ChatModel`] and the latest [`ChatPreview`].

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;

use crate::core::chat::source::{self, cached_model};
use crate::core::chat::tokens::TokenCounter;
use crate::core::chat::{ChatTemplate, Conversation, RenderOptions, WallTime};

/// The settings file whose `[model]` table names the studio's model.
pub const SETTINGS_FILE: &str = "promptstudio.toml";

/// transformers' `VERY_LARGE_INTEGER` stands for "no limit" in
/// `model_max_length`; anything this large is not a context length.
const NO_LIMIT: u64 = 1 << 40;

/// A chat template and/or tokenizer, compiled and loaded once.
pub struct ChatModel {
    /// What the user chose (`org/name`, or the path as written).
    pub name: String,
    /// The compiled template and the file it came from.
    pub template: Option<(ChatTemplate, PathBuf)>,
    /// `add_generation_prompt` on, the model's special tokens.
    pub options: RenderOptions,
    pub tokenizer: Option<(TokenCounter, PathBuf)>,
    /// `max_position_embeddings` of config.json, else `model_max_length`.
    pub context_length: Option<usize>,
    /// Texts shown dimmed in the chat view, longest first.
    pub special_tokens: Vec<String>,
}

impl std::fmt::Debug for ChatModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatModel")
            .field("name", &self.name)
            .field(
                "template",
                &self.template.as_ref().map(|(_, origin)| origin),
            )
            .field(
                "tokenizer",
                &self.tokenizer.as_ref().map(|(_, origin)| origin),
            )
            .field("context_length", &self.context_length)
            .finish_non_exhaustive()
    }
}

/// A model in the Hugging Face cache, as the picker lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedModel {
    /// `org/name`.
    pub id: String,
    pub has_template: bool,
    pub has_tokenizer: bool,
}

/// What the worker is asked to do.
#[derive(Debug, Clone)]
pub enum ChatRequest {
    /// Read `workspace/promptstudio.toml` and load the model it names.
    Settings {
        generation: u64,
        workspace: PathBuf,
        hub_cache: Option<PathBuf>,
    },
    /// Load `org/name` from the Hugging Face cache (the picker's choice).
    Cached {
        generation: u64,
        id: String,
        hub_cache: Option<PathBuf>,
    },
    /// List the models in the Hugging Face cache.
    Scan { hub_cache: Option<PathBuf> },
    /// Render the current row's input as the model reads it and count.
    Render(RenderRequest),
}

#[derive(Debug, Clone)]
pub struct RenderRequest {
    /// The preview generation the texts belong to.
    pub generation: u64,
    pub model: Arc<ChatModel>,
    pub input: String,
    pub target: Option<String>,
    /// Few-shot demonstrations, sent as user/assistant turns before the input.
    pub demonstrations: Vec<crate::core::fewshot::Demonstration>,
}

/// The worker's answer.
#[derive(Debug, Clone)]
pub enum ChatAnswer {
    /// `Ok(None)`: the settings name no model.
    Loaded {
        generation: u64,
        result: Result<Option<Arc<ChatModel>>, String>,
    },
    Models(Result<Vec<CachedModel>, String>),
    /// Boxed: the largest answer, and events move often.
    Rendered(Box<ChatPreview>),
}

/// The current row as the model reads it, with its token counts.
#[derive(Debug, Clone)]
pub struct ChatPreview {
    pub generation: u64,
    pub model: Arc<ChatModel>,
    /// The chat-templated prompt, or the template's error; `None` without
    /// a template.
    pub prompt: Option<Result<String, String>>,
    /// Byte ranges of the prompt that are special tokens.
    pub special: Vec<Range<usize>>,
    pub input_tokens: Option<usize>,
    pub target_tokens: Option<usize>,
    pub prompt_tokens: Option<usize>,
    /// Why a count is missing although there is a tokenizer.
    pub count_error: Option<String>,
}

/// Token counts kept by text for the latest model, so moving the cursor or
/// typing in the input does not count an unchanged target again.
#[derive(Default)]
pub struct TokenCache {
    model: Option<Arc<ChatModel>>,
    counts: HashMap<String, usize>,
}

/// Counts kept before the cache starts over (a few pages of rows).
const CACHED_COUNTS: usize = 512;

impl TokenCache {
    fn count(&mut self, model: &Arc<ChatModel>, text: &str) -> Option<Result<usize, String>> {
        let (counter, _) = model.tokenizer.as_ref()?;
        if !self.model.as_ref().is_some_and(|m| Arc::ptr_eq(m, model)) {
            self.model = Some(model.clone());
            self.counts.clear();
        }
        if let Some(&count) = self.counts.get(text) {
            return Some(Ok(count));
        }
        let count = counter.count(text);
        if let Ok(count) = count {
            if self.counts.len() >= CACHED_COUNTS {
                self.counts.clear();
            }
            self.counts.insert(text.to_owned(), count);
        }
        Some(count)
    }
}

impl ChatRequest {
    /// Does the work: reads files (loads, scans) or renders and counts;
    /// never on the UI thread.
    pub fn perform(self, cache: &mut TokenCache) -> ChatAnswer {
        let hub =
            |hub_cache: Option<PathBuf>| hub_cache.unwrap_or_else(crate::data::resolve::hub_cache);
        match self {
            ChatRequest::Settings {
                generation,
                workspace,
                hub_cache,
            } => ChatAnswer::Loaded {
                generation,
                result: load_settings(&workspace, &hub(hub_cache)).map(|m| m.map(Arc::new)),
            },
            ChatRequest::Cached {
                generation,
                id,
                hub_cache,
            } => ChatAnswer::Loaded {
                generation,
                result: load_model(&id, Some(&id), None, &hub(hub_cache))
                    .map(|m| Some(Arc::new(m))),
            },
            ChatRequest::Scan { hub_cache } => ChatAnswer::Models(scan_cache(&hub(hub_cache))),
            ChatRequest::Render(request) => ChatAnswer::Rendered(Box::new(render(request, cache))),
        }
    }
}

/// The model `workspace/promptstudio.toml` names; paths in it are relative
/// to the workspace. Errors name the file.
pub fn load_settings(workspace: &Path, hub_cache: &Path) -> Result<Option<ChatModel>, String> {
    let path = workspace.join(SETTINGS_FILE);
    let settings =
        crate::model::config::read_settings(&path).map_err(|error| format!("{error:#}"))?;
    if settings.chat_template.is_none() && settings.tokenizer.is_none() {
        return Ok(None);
    }
    let resolve = |spec: &String| {
        let joined = workspace.join(spec);
        if Path::new(spec).is_relative() && joined.exists() {
            joined.to_string_lossy().into_owned()
        } else {
            spec.clone()
        }
    };
    let name = settings
        .chat_template
        .clone()
        .or(settings.tokenizer.clone())
        .unwrap_or_default();
    let template = settings.chat_template.as_ref().map(resolve);
    let tokenizer = settings.tokenizer.as_ref().map(resolve);
    // Files in the workspace are named as the settings name them.
    let inside = format!("{}{}", workspace.display(), std::path::MAIN_SEPARATOR);
    load_model(&name, template.as_deref(), tokenizer.as_deref(), hub_cache)
        .map(Some)
        .map_err(|error| format!("{SETTINGS_FILE} [model]: {}", error.replace(&inside, "")))
}

/// Loads a template (a `.jinja`, a `tokenizer_config.json`, a model folder
/// or `org/name`) and a tokenizer; without a tokenizer named, the one in
/// the template's folder, if any.
pub fn load_model(
    name: &str,
    template: Option<&str>,
    tokenizer: Option<&str>,
    hub_cache: &Path,
) -> Result<ChatModel, String> {
    let source = template
        .map(|spec| source::load(spec, None, hub_cache))
        .transpose()?;
    let compiled = match &source {
        Some(source) => Some((
            ChatTemplate::compile(&source.text).map_err(|error| {
                format!(
                    "{}: the chat template does not compile: {error}",
                    source.origin.display()
                )
            })?,
            source.origin.clone(),
        )),
        None => None,
    };
    let template_dir = source.as_ref().and_then(|source| {
        source
            .model_dir
            .clone()
            .or_else(|| source.origin.parent().map(Path::to_path_buf))
    });
    let tokenizer_spec = tokenizer.map(str::to_owned).or_else(|| {
        let beside = template_dir.as_ref()?.join("tokenizer.json");
        beside
            .is_file()
            .then(|| beside.to_string_lossy().into_owned())
    });
    let tokenizer = match tokenizer_spec {
        Some(spec) => {
            let counter = TokenCounter::load(&spec, hub_cache)?;
            let path = PathBuf::from(&spec);
            let origin = if path.exists() {
                path
            } else {
                cached_model(&spec, hub_cache).unwrap_or(path)
            };
            Some((counter, origin))
        }
        None => None,
    };
    let mut folders = Vec::new();
    if let Some((_, origin)) = &tokenizer {
        folders.push(if origin.is_dir() {
            origin.clone()
        } else {
            origin.parent().map(Path::to_path_buf).unwrap_or_default()
        });
    }
    folders.extend(template_dir);
    let context_length = folders.iter().find_map(|dir| context_length(dir));
    let mut special_tokens: Vec<String> = tokenizer
        .as_ref()
        .map(|(counter, _)| counter.special_tokens())
        .unwrap_or_default();
    let variables = source
        .as_ref()
        .map(|source| source.special_tokens.clone())
        .unwrap_or_default();
    special_tokens.extend(variables.iter().map(|(_, token)| token.clone()));
    special_tokens.retain(|token| !token.is_empty());
    special_tokens.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    special_tokens.dedup();
    let now = std::env::var("PROMPTSTUDIO_NOW")
        .ok()
        .and_then(|text| WallTime::parse_rfc3339(&text));
    Ok(ChatModel {
        name: name.to_owned(),
        template: compiled,
        options: RenderOptions {
            add_generation_prompt: true,
            special_tokens: variables,
            now,
        },
        tokenizer,
        context_length,
        special_tokens,
    })
}

/// A model folder's context length: config.json's `max_position_embeddings`
/// (or its `text_config`'s), else tokenizer_config.json's `model_max_length`.
pub fn context_length(dir: &Path) -> Option<usize> {
    let read = |name: &str| -> Option<Json> {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).ok()?).ok()
    };
    let usable = |value: Option<&Json>| {
        value
            .and_then(Json::as_u64)
            .filter(|&n| n > 0 && n < NO_LIMIT)
            .and_then(|n| usize::try_from(n).ok())
    };
    if let Some(config) = read("config.json") {
        let found = usable(config.get("max_position_embeddings")).or_else(|| {
            usable(
                config
                    .get("text_config")
                    .and_then(|c| c.get("max_position_embeddings")),
            )
        });
        if found.is_some() {
            return found;
        }
    }
    usable(read("tokenizer_config.json")?.get("model_max_length"))
}

/// The models of the Hugging Face cache that have a template or a
/// tokenizer config, by id.
pub fn scan_cache(hub_cache: &Path) -> Result<Vec<CachedModel>, String> {
    let entries = match std::fs::read_dir(hub_cache) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(format!("{}: {error}", hub_cache.display())),
    };
    let mut models = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let folder = entry.file_name().to_string_lossy().into_owned();
        let Some((org, name)) = folder
            .strip_prefix("models--")
            .and_then(|rest| rest.split_once("--"))
        else {
            continue;
        };
        let id = format!("{org}/{name}");
        let Some(snapshot) = cached_model(&id, hub_cache) else {
            continue;
        };
        let config = std::fs::read_to_string(snapshot.join("tokenizer_config.json")).ok();
        let has_template = snapshot.join("chat_template.jinja").is_file()
            || snapshot.join("chat_template.json").is_file()
            || config
                .as_deref()
                .is_some_and(|text| text.contains("\"chat_template\""));
        if !has_template && config.is_none() {
            continue;
        }
        models.push(CachedModel {
            id,
            has_template,
            has_tokenizer: snapshot.join("tokenizer.json").is_file(),
        });
    }
    models.sort_by_key(|model| model.id.to_lowercase());
    Ok(models)
}

/// Renders the input as the last user turn (after any few-shot
/// demonstrations' turns) with the generation prompt, as a model given this
/// prompt would read it, and counts the three texts.
pub fn render(request: RenderRequest, cache: &mut TokenCache) -> ChatPreview {
    let model = &request.model;
    let prompt = model.template.as_ref().map(|(template, origin)| {
        // Demonstrations as alternating turns, as `eval --chat-template`
        // (lm-evaluation-harness' --fewshot_as_multiturn) sends them.
        let turns = crate::core::fewshot::messages(&request.demonstrations, &request.input);
        let conversation =
            Conversation::from_json(Json::Array(turns)).map_err(|error| error.to_string())?;
        template
            .render(&conversation, &model.options)
            .map_err(|error| {
                format!(
                    "{}: {} error: {error}",
                    origin.display(),
                    error.kind.as_str()
                )
            })
    });
    let mut count_error = None;
    let mut count = |text: &str| match cache.count(model, text)? {
        Ok(count) => Some(count),
        Err(error) => {
            count_error.get_or_insert(error);
            None
        }
    };
    let input_tokens = count(&request.input);
    let target_tokens = request.target.as_deref().and_then(&mut count);
    let prompt_tokens = match &prompt {
        Some(Ok(text)) => count(text),
        _ => None,
    };
    let special = match &prompt {
        Some(Ok(text)) => special_ranges(text, &model.special_tokens),
        _ => Vec::new(),
    };
    ChatPreview {
        generation: request.generation,
        model: request.model.clone(),
        prompt,
        special,
        input_tokens,
        target_tokens,
        prompt_tokens,
        count_error,
    }
}

/// Where `tokens` (longest first) occur in `text`, leftmost first, without
/// overlaps.
pub fn special_ranges(text: &str, tokens: &[String]) -> Vec<Range<usize>> {
    let mut first_bytes = [false; 256];
    for token in tokens {
        if let Some(&byte) = token.as_bytes().first() {
            first_bytes[byte as usize] = true;
        }
    }
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if first_bytes[bytes[at] as usize] {
            if let Some(token) = tokens
                .iter()
                .find(|t| bytes[at..].starts_with(t.as_bytes()))
            {
                ranges.push(at..at + token.len());
                at += token.len();
                continue;
            }
        }
        at += 1;
    }
    ranges
}

/// Input token lengths over a whole split (the batch view's histogram).
/// Buckets double like the character histogram's, from 16 tokens.
pub const TOKEN_BUCKETS: [usize; 10] = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, usize::MAX];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenStats {
    pub histogram: [usize; TOKEN_BUCKETS.len()],
    pub counted: usize,
    pub longest: usize,
    /// Inputs longer than the model's context length.
    pub over_context: usize,
    pub context_length: Option<usize>,
}

impl TokenStats {
    pub fn add(&mut self, tokens: usize) {
        self.counted += 1;
        self.longest = self.longest.max(tokens);
        if self.context_length.is_some_and(|limit| tokens > limit) {
            self.over_context += 1;
        }
        let bucket = TOKEN_BUCKETS
            .iter()
            .position(|&bound| tokens < bound)
            .unwrap_or(TOKEN_BUCKETS.len() - 1);
        self.histogram[bucket] += 1;
    }

    /// A bucket's (exclusive) upper bound: `16`, ..., `1k`, ..., `∞`.
    pub fn bucket_label(index: usize) -> String {
        match TOKEN_BUCKETS.get(index) {
            Some(&usize::MAX) => "∞".to_owned(),
            Some(&bound) if bound >= 1024 => format!("{}k", bound / 1024),
            Some(bound) => bound.to_string(),
            None => String::new(),
        }
    }
}

/// Counts a rendered row's input into `stats` (the batch worker's scan).
pub fn count_row_tokens(
    model: &ChatModel,
    outcome: &Result<super::Rendered, super::Diagnostic>,
    stats: &mut Option<Box<TokenStats>>,
) {
    let (Some((counter, _)), Ok(rendered)) = (&model.tokenizer, outcome) else {
        return;
    };
    let input = rendered.parts.first().map_or("", String::as_str);
    if let Ok(tokens) = counter.count(input) {
        stats
            .get_or_insert_with(|| {
                Box::new(TokenStats {
                    context_length: model.context_length,
                    ..TokenStats::default()
                })
            })
            .add(tokens);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_chat() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/models/tiny-chat")
    }

    #[test]
    fn special_tokens_are_found_leftmost_longest() {
        let tokens = vec!["<|im_start|>".to_owned(), "<s>".to_owned()];
        let text = "<s><|im_start|>user\nhi <s";
        assert_eq!(special_ranges(text, &tokens), vec![0..3, 3..15]);
    }

    #[test]
    fn the_sample_model_loads_with_its_context_length() {
        let dir = tiny_chat();
        let model = load_model("tiny-chat", dir.to_str(), None, &dir).unwrap();
        assert_eq!(model.context_length, Some(4096));
        assert!(model.tokenizer.is_some());
        assert!(model.special_tokens.contains(&"<|im_start|>".to_owned()));
        let request = RenderRequest {
            generation: 7,
            model: Arc::new(model),
            input: "Hello".into(),
            target: Some("World".into()),
            demonstrations: Vec::new(),
        };
        let preview = render(request, &mut TokenCache::default());
        let prompt = preview.prompt.unwrap().unwrap();
        assert!(
            prompt.ends_with("<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n"),
            "{prompt:?}"
        );
        assert!(preview.prompt_tokens.unwrap() > preview.input_tokens.unwrap());
        assert_eq!(&prompt[preview.special[0].clone()], "<s>");
    }

    #[test]
    fn token_lengths_fill_doubling_buckets() {
        let mut stats = TokenStats {
            context_length: Some(100),
            ..TokenStats::default()
        };
        for tokens in [3, 16, 200, 5000] {
            stats.add(tokens);
        }
        assert_eq!(stats.histogram[0], 1);
        assert_eq!(stats.histogram[1], 1);
        assert_eq!(stats.histogram[4], 1);
        assert_eq!(stats.histogram[9], 1);
        assert_eq!(
            (stats.counted, stats.longest, stats.over_context),
            (4, 5000, 2)
        );
        assert_eq!(TokenStats::bucket_label(6), "1k");
    }
}
