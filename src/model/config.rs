//! Where the model server is and how to talk to it: the `[model]` table of
//! the workspace's `promptstudio.toml` and of the user's
//! `$XDG_CONFIG_HOME/promptstudio/config.toml`, overridden by flags, with
//! the OpenAI SDKs' environment variables and vLLM's default address below.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;

/// vLLM's `vllm serve` default address.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8000/v1";
/// The OpenAI SDKs' variables, read when nothing else names an endpoint or a key.
pub const BASE_URL_VAR: &str = "OPENAI_BASE_URL";
pub const API_KEY_VAR: &str = "OPENAI_API_KEY";
pub const DEFAULT_CONCURRENCY: usize = 16;
pub const DEFAULT_TIMEOUT_S: f64 = 120.0;
/// Rows the studio's batch evaluation takes from the start of the split.
pub const DEFAULT_STUDIO_EVAL_ROWS: usize = 100;

/// One `[model]` table, or the flags that override it; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSettings {
    pub endpoint: Option<String>,
    pub model: Option<String>,
    /// The name of the environment variable holding the API key (never the key).
    pub api_key_env: Option<String>,
    pub concurrency: Option<usize>,
    pub timeout_s: Option<f64>,
    /// The chat template the studio's chat view renders through (a path
    /// relative to the workspace, or ORG/NAME in the Hugging Face cache).
    pub chat_template: Option<String>,
    /// The tokenizer.json the studio counts tokens with (same forms).
    pub tokenizer: Option<String>,
}

impl ModelSettings {
    /// `self` where set, else `lower`.
    pub fn or(self, lower: ModelSettings) -> ModelSettings {
        ModelSettings {
            endpoint: self.endpoint.or(lower.endpoint),
            model: self.model.or(lower.model),
            api_key_env: self.api_key_env.or(lower.api_key_env),
            concurrency: self.concurrency.or(lower.concurrency),
            timeout_s: self.timeout_s.or(lower.timeout_s),
            chat_template: self.chat_template.or(lower.chat_template),
            tokenizer: self.tokenizer.or(lower.tokenizer),
        }
    }
}

/// A configuration file: only its `[model]` table matters here, other
/// tables belong to other parts of promptstudio.
#[derive(Debug, Default, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    model: Option<ModelSettings>,
}

/// The same file as the studio reads it (a bad `[studio]` key must not stop `eval`).
#[derive(Debug, Default, Deserialize)]
struct StudioFile {
    #[serde(default)]
    studio: Option<StudioTable>,
}

/// The studio's settings in the workspace's `promptstudio.toml` that
/// concern the model; other keys of `[studio]` belong to other parts.
#[derive(Debug, Default, Deserialize)]
struct StudioTable {
    eval_rows: Option<usize>,
}

/// `[studio] eval_rows` of the workspace's `promptstudio.toml` (how many
/// rows the studio's batch evaluation takes), else 100.
pub fn studio_eval_rows(workspace: &Path) -> anyhow::Result<usize> {
    let path = workspace.join("promptstudio.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(DEFAULT_STUDIO_EVAL_ROWS)
        }
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    let file: StudioFile = toml::from_str(&text)
        .with_context(|| format!("{}: invalid [studio] table", path.display()))?;
    match file.studio.and_then(|studio| studio.eval_rows) {
        Some(0) => bail!("{}: [studio] eval_rows must be at least 1", path.display()),
        Some(rows) => Ok(rows),
        None => Ok(DEFAULT_STUDIO_EVAL_ROWS),
    }
}

/// Reads the `[model]` table of `path`; a missing file is an empty table.
pub fn read_settings(path: &Path) -> anyhow::Result<ModelSettings> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(ModelSettings::default())
        }
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    let file: ConfigFile = toml::from_str(&text)
        .with_context(|| format!("{}: invalid [model] table", path.display()))?;
    Ok(file.model.unwrap_or_default())
}

/// `$XDG_CONFIG_HOME/promptstudio/config.toml`, or under `~/.config`.
pub fn user_config_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let base = env("XDG_CONFIG_HOME")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| Path::new(&home).join(".config")))?;
    Some(base.join("promptstudio").join("config.toml"))
}

/// An API key. Its `Debug` and `Display` never show the value, so that no
/// log line or error message can carry it by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(value: String) -> ApiKey {
        ApiKey(value)
    }
    /// The `Authorization` header value; only the HTTP client calls this.
    pub(crate) fn bearer(&self) -> String {
        format!("Bearer {}", self.0)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Everything needed to reach a server, after resolution.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The base URL, without a trailing slash (`http://host:8000/v1`).
    pub endpoint: String,
    /// None: the first model `GET /models` lists.
    pub model: Option<String>,
    pub api_key: Option<ApiKey>,
    /// The variable the key came from, for messages (`OPENAI_API_KEY`).
    pub api_key_env: Option<String>,
    pub concurrency: usize,
    pub timeout: Duration,
}

impl Connection {
    /// A connection to `endpoint` with the defaults and no key (tests, benchmarks).
    pub fn to(endpoint: &str) -> Connection {
        Connection {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            model: None,
            api_key: None,
            api_key_env: None,
            concurrency: DEFAULT_CONCURRENCY,
            timeout: Duration::from_secs_f64(DEFAULT_TIMEOUT_S),
        }
    }

    /// How messages name the key: its variable, never its value.
    pub fn key_description(&self) -> String {
        match (&self.api_key_env, &self.api_key) {
            (Some(var), Some(_)) => format!("the API key from ${var}"),
            (Some(var), None) => format!("no API key (${var} is not set)"),
            (None, _) => "no API key".to_string(),
        }
    }
}

/// Resolves a connection: `flags`, then the workspace's `promptstudio.toml`,
/// then the user's `config.toml`, then `OPENAI_BASE_URL` / `OPENAI_API_KEY`,
/// then vLLM's default address. `env` reads environment variables.
pub fn resolve(
    flags: ModelSettings,
    workspace: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Connection> {
    let mut settings = flags;
    if let Some(workspace) = workspace {
        settings = settings.or(read_settings(&workspace.join("promptstudio.toml"))?);
    }
    if let Some(path) = user_config_path(env) {
        settings = settings.or(read_settings(&path)?);
    }
    let endpoint = settings
        .endpoint
        .or_else(|| env(BASE_URL_VAR).filter(|value| !value.is_empty()))
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
        bail!("model endpoint '{endpoint}' is not an http:// or https:// URL");
    }
    let (api_key_env, api_key) = match settings.api_key_env {
        Some(var) => match env(&var).filter(|value| !value.is_empty()) {
            Some(value) => (Some(var), Some(ApiKey::new(value))),
            None => bail!("the API key variable ${var} (api_key_env) is not set"),
        },
        None => match env(API_KEY_VAR).filter(|value| !value.is_empty()) {
            Some(value) => (Some(API_KEY_VAR.to_string()), Some(ApiKey::new(value))),
            None => (None, None),
        },
    };
    let concurrency = settings.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
    if concurrency == 0 {
        bail!("model concurrency must be at least 1");
    }
    let timeout_s = settings.timeout_s.unwrap_or(DEFAULT_TIMEOUT_S);
    if !(timeout_s.is_finite() && timeout_s > 0.0) {
        bail!("model timeout_s must be a positive number of seconds, got {timeout_s}");
    }
    Ok(Connection {
        endpoint: endpoint.trim_end_matches('/').to_string(),
        model: settings.model.filter(|model| !model.is_empty()),
        api_key,
        api_key_env,
        concurrency,
        timeout: Duration::from_secs_f64(timeout_s),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_to_vllm_without_anything() {
        let connection = resolve(ModelSettings::default(), None, &env_of(&[])).unwrap();
        assert_eq!(connection.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(connection.model, None);
        assert!(connection.api_key.is_none());
        assert_eq!(connection.concurrency, 16);
    }

    #[test]
    fn flags_then_workspace_then_user_then_environment() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir.path().join("ws");
        let config = dir.path().join("config");
        std::fs::create_dir_all(&workspace).unwrap();
        std::fs::create_dir_all(config.join("promptstudio")).unwrap();
        std::fs::write(
            workspace.join("promptstudio.toml"),
            "[studio]\nother = 1\n[model]\nmodel = \"ws-model\"\nconcurrency = 4\n",
        )
        .unwrap();
        std::fs::write(
            config.join("promptstudio/config.toml"),
            "[model]\nendpoint = \"http://user:1/v1/\"\nmodel = \"user-model\"\napi_key_env = \"MY_KEY\"\ntimeout_s = 5\n",
        )
        .unwrap();
        let env = env_of(&[
            ("XDG_CONFIG_HOME", config.to_str().unwrap()),
            ("MY_KEY", "sekrit"),
            ("OPENAI_BASE_URL", "http://env:2/v1"),
        ]);
        let connection = resolve(ModelSettings::default(), Some(&workspace), &env).unwrap();
        assert_eq!(connection.endpoint, "http://user:1/v1");
        assert_eq!(connection.model.as_deref(), Some("ws-model"));
        assert_eq!(connection.concurrency, 4);
        assert_eq!(connection.timeout, Duration::from_secs(5));
        assert_eq!(connection.api_key_env.as_deref(), Some("MY_KEY"));
        assert_eq!(connection.api_key, Some(ApiKey::new("sekrit".into())));
        let flags = ModelSettings {
            endpoint: Some("http://flag:3/v1".into()),
            model: Some("flag-model".into()),
            ..ModelSettings::default()
        };
        let connection = resolve(flags, Some(&workspace), &env).unwrap();
        assert_eq!(connection.endpoint, "http://flag:3/v1");
        assert_eq!(connection.model.as_deref(), Some("flag-model"));
        // Without any file naming an endpoint, the SDKs' variable.
        let env = env_of(&[
            ("OPENAI_BASE_URL", "http://env:2/v1"),
            ("OPENAI_API_KEY", "k"),
        ]);
        let connection = resolve(ModelSettings::default(), None, &env).unwrap();
        assert_eq!(connection.endpoint, "http://env:2/v1");
        assert_eq!(connection.api_key_env.as_deref(), Some("OPENAI_API_KEY"));
    }

    #[test]
    fn a_missing_key_variable_is_named_and_the_key_never_shown() {
        let flags = ModelSettings {
            api_key_env: Some("NOPE".into()),
            ..ModelSettings::default()
        };
        let error = resolve(flags, None, &env_of(&[])).unwrap_err().to_string();
        assert!(error.contains("$NOPE"), "{error}");
        let flags = ModelSettings {
            api_key_env: Some("K".into()),
            ..ModelSettings::default()
        };
        let connection = resolve(flags, None, &env_of(&[("K", "hunter2")])).unwrap();
        let shown = format!("{connection:?} {}", connection.key_description());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("$K"), "{shown}");
    }

    #[test]
    fn the_studio_takes_its_batch_evaluation_size_from_the_workspace() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(studio_eval_rows(dir.path()).unwrap(), 100);
        let file = dir.path().join("promptstudio.toml");
        std::fs::write(&file, "[studio]\ntheme = \"dark\"\neval_rows = 25\n").unwrap();
        assert_eq!(studio_eval_rows(dir.path()).unwrap(), 25);
        std::fs::write(&file, "[studio]\neval_rows = 0\n").unwrap();
        let error = format!("{:#}", studio_eval_rows(dir.path()).unwrap_err());
        assert!(error.contains("eval_rows"), "{error}");
    }

    #[test]
    fn a_bad_table_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("promptstudio.toml"),
            "[model]\nendpint = \"x\"\n",
        )
        .unwrap();
        let error = resolve(ModelSettings::default(), Some(dir.path()), &env_of(&[])).unwrap_err();
        let message = format!("{error:#}");
        assert!(message.contains("promptstudio.toml"), "{message}");
        assert!(message.contains("endpint"), "{message}");
    }
}
