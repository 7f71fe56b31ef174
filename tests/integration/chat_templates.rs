//! The chat-template corpus (../shared/chat-templates): every case must
//! render as transformers renders it, or fail with the same error kind (and
//! the same message for `raise_exception`).

use std::collections::HashMap;
use std::path::Path;

use promptstudio::core::chat::minijinja_env::MiniTemplate;
use promptstudio::core::chat::{ChatTemplate, Conversation, RenderOptions, WallTime};
use serde_json::Value as Json;

use crate::corpus::chat_templates;

/// The instant the corpus was rendered at (its README's frozen clock).
pub const CORPUS_NOW: &str = "2026-01-15T12:00:00Z";

pub struct Case {
    pub template: String,
    pub conversation: String,
    pub add_generation_prompt: bool,
    pub expected: Json,
    pub minijinja: Json,
}

pub struct Corpus {
    pub templates: HashMap<String, String>,
    pub conversations: HashMap<String, Json>,
    pub special_tokens: HashMap<String, Vec<(String, String)>>,
    pub cases: Vec<Case>,
}

fn read_json(path: &Path) -> Json {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn load(root: &Path) -> Corpus {
    let mut templates = HashMap::new();
    for entry in std::fs::read_dir(root.join("templates")).expect("templates folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "jinja") {
            let name = path
                .file_stem()
                .expect("stem")
                .to_string_lossy()
                .to_string();
            templates.insert(name, std::fs::read_to_string(&path).expect("template text"));
        }
    }
    let conversations = match read_json(&root.join("conversations.json")) {
        Json::Object(map) => map.into_iter().collect(),
        _ => panic!("conversations.json is not an object"),
    };
    let special_tokens = match read_json(&root.join("special_tokens.json")) {
        Json::Object(map) => map
            .into_iter()
            .map(|(name, tokens)| {
                let pairs = tokens
                    .as_object()
                    .expect("special tokens object")
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect();
                (name, pairs)
            })
            .collect(),
        _ => panic!("special_tokens.json is not an object"),
    };
    let text = std::fs::read_to_string(root.join("cases.jsonl")).expect("cases.jsonl");
    let cases = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let case: Json = serde_json::from_str(line).expect("case line");
            Case {
                template: case["template"].as_str().expect("template").to_string(),
                conversation: case["conversation"]
                    .as_str()
                    .expect("conversation")
                    .to_string(),
                add_generation_prompt: case["add_generation_prompt"].as_bool().expect("agp"),
                expected: case["expected"].clone(),
                minijinja: case["minijinja"].clone(),
            }
        })
        .collect();
    Corpus {
        templates,
        conversations,
        special_tokens,
        cases,
    }
}

impl Corpus {
    pub fn conversation(&self, case: &Case) -> Conversation {
        Conversation::from_json(self.conversations[&case.conversation].clone())
            .expect("corpus conversation")
    }

    pub fn options(&self, case: &Case) -> RenderOptions {
        RenderOptions {
            add_generation_prompt: case.add_generation_prompt,
            special_tokens: self
                .special_tokens
                .get(&case.template)
                .cloned()
                .unwrap_or_default(),
            now: WallTime::parse_rfc3339(CORPUS_NOW),
        }
    }
}

/// Compares an outcome with the corpus' `{"output"}` / `{"error": {kind, message}}`;
/// returns a description of the difference.
pub fn mismatch(expected: &Json, got: &Result<String, (String, String, String)>) -> Option<String> {
    match (expected.get("output").and_then(Json::as_str), got) {
        (Some(want), Ok(out)) if want == out => None,
        (Some(want), Ok(out)) => Some(format!(
            "output differs:\n--- want\n{want:?}\n--- got\n{out:?}"
        )),
        (Some(_), Err((kind, ty, message))) => Some(format!("failed {kind} {ty}: {message}")),
        (None, got) => {
            let error = &expected["error"];
            let kind = error["kind"].as_str().unwrap_or_default();
            let message = error["message"].as_str().unwrap_or_default();
            match got {
                Ok(out) => Some(format!("rendered {out:?}, want error {kind}: {message}")),
                Err((got_kind, ty, got_message)) => {
                    if got_kind != kind {
                        Some(format!(
                            "error {got_kind} ({ty}: {got_message}), want {kind}: {message}"
                        ))
                    } else if kind == "raise_exception" && got_message != message {
                        Some(format!(
                            "raise_exception message {got_message:?}, want {message:?}"
                        ))
                    } else {
                        None
                    }
                }
            }
        }
    }
}

#[test]
fn chat_templates_render_as_transformers() {
    let Some(root) = chat_templates() else { return };
    let corpus = load(&root);
    assert!(!corpus.cases.is_empty(), "no cases in {}", root.display());
    let mut compiled = HashMap::new();
    let mut failures = Vec::new();
    for case in &corpus.cases {
        let template = compiled
            .entry(case.template.clone())
            .or_insert_with(|| ChatTemplate::compile(&corpus.templates[&case.template]));
        let got = match template {
            Ok(template) => template
                .render(&corpus.conversation(case), &corpus.options(case))
                .map_err(|e| (e.kind.as_str().to_string(), e.type_name, e.message)),
            Err(e) => Err((
                e.kind.as_str().to_string(),
                e.type_name.clone(),
                e.message.clone(),
            )),
        };
        if let Some(why) = mismatch(&case.expected, &got) {
            failures.push(format!(
                "{} / {} / agp={}: {why}",
                case.template, case.conversation, case.add_generation_prompt
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from transformers:\n{}",
        failures.len(),
        corpus.cases.len(),
        failures.join("\n\n")
    );
}

/// `--engine minijinja` is the minijinja crate configured as Rust servers
/// configure it: where the corpus' reference 2 (minijinja's Python binding,
/// the same engine) rendered a string, ours renders the same string.
#[test]
fn chat_templates_minijinja_agrees_with_its_python_binding() {
    let Some(root) = chat_templates() else { return };
    let corpus = load(&root);
    let now = WallTime::parse_rfc3339(CORPUS_NOW);
    let mut compiled = HashMap::new();
    let mut compared = 0;
    let mut failures = Vec::new();
    for case in &corpus.cases {
        let Some(want) = case.minijinja.get("output").and_then(Json::as_str) else {
            continue;
        };
        compared += 1;
        let template = compiled
            .entry(case.template.clone())
            .or_insert_with(|| MiniTemplate::compile(&corpus.templates[&case.template], now));
        let got = match template {
            Ok(template) => template
                .render(&corpus.conversation(case), &corpus.options(case))
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if got.as_deref() != Ok(want) {
            failures.push(format!(
                "{} / {} / agp={}:\n--- want\n{want:?}\n--- got\n{got:?}",
                case.template, case.conversation, case.add_generation_prompt
            ));
        }
    }
    assert!(compared > 0, "no minijinja outputs in the corpus");
    assert!(
        failures.is_empty(),
        "{} of {compared} minijinja outputs differ:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
