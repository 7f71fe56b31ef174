//! Where a chat template and its special tokens come from: a `.jinja`
//! file, a `tokenizer_config.json` (one template, or a list of named ones),
//! a model folder, or `ORG/NAME` in the Hugging Face cache (offline).

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

/// A template's text, where it was read, and the model's special tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSource {
    pub text: String,
    /// The file the text came from (named in every error about it).
    pub origin: PathBuf,
    /// `bos_token`, `eos_token`, ... as the model's files give them.
    pub special_tokens: Vec<(String, String)>,
    /// The model folder, when the template came from one (for its tokenizer).
    pub model_dir: Option<PathBuf>,
}

/// Finds the template `spec` names: an existing path, else `ORG/NAME` in
/// `hub_cache` (`models--ORG--NAME/snapshots/...`). `name` picks one of a
/// list of named templates (transformers' default is `default`).
pub fn load(spec: &str, name: Option<&str>, hub_cache: &Path) -> Result<TemplateSource, String> {
    let path = Path::new(spec);
    if path.is_dir() {
        return from_model_dir(path, name);
    }
    if path.is_file() {
        if path.extension().is_some_and(|e| e == "json") {
            let dir = path.parent().unwrap_or(Path::new("."));
            let text = template_from_config(path, name)?;
            return Ok(TemplateSource {
                text,
                origin: path.to_path_buf(),
                special_tokens: special_tokens(dir, Some(path))?,
                model_dir: Some(dir.to_path_buf()),
            });
        }
        let text = read_text(path)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let config = dir.join("tokenizer_config.json");
        return Ok(TemplateSource {
            text,
            origin: path.to_path_buf(),
            special_tokens: special_tokens(dir, config.is_file().then_some(config.as_path()))?,
            model_dir: None,
        });
    }
    if let Some(dir) = cached_model(spec, hub_cache) {
        return from_model_dir(&dir, name);
    }
    if looks_like_repo_id(spec) {
        return Err(format!(
            "{spec}: no such file, and no snapshot of model {spec} in the Hugging Face cache {} (download its tokenizer files first)",
            hub_cache.display()
        ));
    }
    Err(format!("{spec}: no such file or folder"))
}

fn looks_like_repo_id(spec: &str) -> bool {
    let mut parts = spec.split('/');
    matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(b), None) if !a.is_empty() && !b.is_empty())
}

/// The snapshot folder of `ORG/NAME` in the cache: the one `refs/main`
/// names, else the most recently modified.
pub fn cached_model(spec: &str, hub_cache: &Path) -> Option<PathBuf> {
    if !looks_like_repo_id(spec) {
        return None;
    }
    let repo = hub_cache.join(format!("models--{}", spec.replace('/', "--")));
    let snapshots = repo.join("snapshots");
    if let Ok(main) = fs::read_to_string(repo.join("refs/main")) {
        let dir = snapshots.join(main.trim());
        if dir.is_dir() {
            return Some(dir);
        }
    }
    fs::read_dir(&snapshots)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .map(|e| e.path())
}

fn read_text(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_json(path: &Path) -> Result<Json, String> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not valid JSON: {e}", path.display()))
}

/// A model folder: `chat_template.jinja` (what transformers writes now),
/// else `chat_template.json`, else `tokenizer_config.json`'s `chat_template`.
fn from_model_dir(dir: &Path, name: Option<&str>) -> Result<TemplateSource, String> {
    let config = dir.join("tokenizer_config.json");
    let config = config.is_file().then_some(config);
    let jinja = dir.join("chat_template.jinja");
    let processor = dir.join("chat_template.json");
    let (text, origin) = if jinja.is_file() && name.is_none() {
        (read_text(&jinja)?, jinja)
    } else if processor.is_file() && name.is_none() {
        let text = match read_json(&processor)?.get("chat_template") {
            Some(Json::String(text)) => text.clone(),
            _ => {
                return Err(format!(
                    "{}: no \"chat_template\" string in it",
                    processor.display()
                ))
            }
        };
        (text, processor)
    } else if let Some(config) = &config {
        (template_from_config(config, name)?, config.clone())
    } else {
        return Err(format!(
            "{}: no chat_template.jinja and no tokenizer_config.json in this folder",
            dir.display()
        ));
    };
    Ok(TemplateSource {
        text,
        origin,
        special_tokens: special_tokens(dir, config.as_deref())?,
        model_dir: Some(dir.to_path_buf()),
    })
}

/// `chat_template` of a `tokenizer_config.json`: a string, or a list of
/// `{"name", "template"}` from which `name` (default `default`) is taken.
fn template_from_config(path: &Path, name: Option<&str>) -> Result<String, String> {
    let config = read_json(path)?;
    match config.get("chat_template") {
        Some(Json::String(text)) => {
            if let Some(name) = name.filter(|n| *n != "default") {
                return Err(format!(
                    "{}: has a single chat template, not one named {name:?}",
                    path.display()
                ));
            }
            Ok(text.clone())
        }
        Some(Json::Array(list)) => {
            let wanted = name.unwrap_or("default");
            let mut names = Vec::new();
            for entry in list {
                let entry_name = entry.get("name").and_then(Json::as_str).unwrap_or("");
                if entry_name == wanted {
                    return match entry.get("template") {
                        Some(Json::String(text)) => Ok(text.clone()),
                        _ => Err(format!(
                            "{}: chat template {wanted:?} has no \"template\" string",
                            path.display()
                        )),
                    };
                }
                names.push(entry_name.to_string());
            }
            Err(format!(
                "{}: no chat template named {wanted:?} (it has {}); pick one with --chat-template-name",
                path.display(),
                names.join(", ")
            ))
        }
        Some(_) => Err(format!(
            "{}: \"chat_template\" is neither a string nor a list of named templates",
            path.display()
        )),
        None => Err(format!("{}: no \"chat_template\" in it", path.display())),
    }
}

const SPECIAL_TOKENS: [&str; 7] = [
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
];

/// The special tokens transformers passes to templates: from
/// `tokenizer_config.json`, missing ones from `special_tokens_map.json`.
/// A token is a string or an added-token object with `content`.
fn special_tokens(dir: &Path, config: Option<&Path>) -> Result<Vec<(String, String)>, String> {
    let mut sources = Vec::new();
    if let Some(config) = config {
        sources.push(read_json(config)?);
    }
    let map = dir.join("special_tokens_map.json");
    if map.is_file() {
        sources.push(read_json(&map)?);
    }
    let mut tokens = Vec::new();
    for name in SPECIAL_TOKENS {
        let found = sources.iter().find_map(|source| match source.get(name) {
            Some(Json::String(token)) => Some(token.clone()),
            Some(Json::Object(added)) => added
                .get("content")
                .and_then(Json::as_str)
                .map(str::to_string),
            _ => None,
        });
        if let Some(token) = found {
            tokens.push((name.to_string(), token));
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn named_templates_and_special_tokens_from_a_config() {
        let dir = tempfile::tempdir().unwrap();
        let config = write(
            dir.path(),
            "tokenizer_config.json",
            r#"{"chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}],
                "bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>"}"#,
        );
        write(
            dir.path(),
            "special_tokens_map.json",
            r#"{"unk_token": "<unk>", "eos_token": "X"}"#,
        );
        let spec = config.to_str().unwrap();
        let found = load(spec, None, dir.path()).unwrap();
        assert_eq!(found.text, "D");
        assert_eq!(
            found.special_tokens,
            vec![
                ("bos_token".to_string(), "<s>".to_string()),
                ("eos_token".to_string(), "</s>".to_string()),
                ("unk_token".to_string(), "<unk>".to_string())
            ]
        );
        assert_eq!(load(spec, Some("tool_use"), dir.path()).unwrap().text, "T");
        let missing = load(spec, Some("rag"), dir.path()).unwrap_err();
        assert!(
            missing.contains(
                "tokenizer_config.json: no chat template named \"rag\" (it has default, tool_use)"
            ),
            "{missing}"
        );
    }

    #[test]
    fn a_config_without_a_template_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let config = write(
            dir.path(),
            "tokenizer_config.json",
            r#"{"bos_token": "<s>"}"#,
        );
        let error = load(config.to_str().unwrap(), None, dir.path()).unwrap_err();
        assert!(
            error.ends_with("tokenizer_config.json: no \"chat_template\" in it"),
            "{error}"
        );
    }

    #[test]
    fn models_resolve_offline_from_the_hub_cache() {
        let cache = tempfile::tempdir().unwrap();
        let repo = cache.path().join("models--org--tiny");
        write(&repo, "refs/main", "abc\n");
        write(
            &repo,
            "snapshots/abc/chat_template.jinja",
            "{{ bos_token }}hi",
        );
        write(
            &repo,
            "snapshots/abc/tokenizer_config.json",
            r#"{"bos_token": "<s>"}"#,
        );
        let found = load("org/tiny", None, cache.path()).unwrap();
        assert_eq!(found.text, "{{ bos_token }}hi");
        assert!(found.origin.ends_with("snapshots/abc/chat_template.jinja"));
        let error = load("org/absent", None, cache.path()).unwrap_err();
        assert!(error.contains("no snapshot of model org/absent"), "{error}");
    }
}
