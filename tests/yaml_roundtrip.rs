//! The YAML reader and writer against PyYAML: the whole PromptSource
//! collection round trip, edits checked against PyYAML's own output
//! (fixtures made by tests/fixtures/yaml/generate.py), load errors with
//! their positions, atomic saves and the changed-on-disk refusal.

use std::path::{Path, PathBuf};

use promptstudio::core::catalog::Catalog;
use promptstudio::core::template::{DatasetTemplates, Metadata, Template, Value};
use serde_json::Value as Json;

fn conformance_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("PROMPTSTUDIO_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    if dir.join("templates").is_dir() {
        return Some(dir);
    }
    if std::env::var("PROMPTSTUDIO_REQUIRE_CONFORMANCE").as_deref() == Ok("1") {
        panic!("conformance corpus not found at {}", dir.display());
    }
    println!(
        "SKIP: conformance corpus not found at {} (set PROMPTSTUDIO_CONFORMANCE)",
        dir.display()
    );
    None
}

#[test]
fn every_promptsource_file_comes_back_byte_identical() {
    let Some(corpus) = conformance_dir() else {
        return;
    };
    let catalog = Catalog::discover(&corpus.join("templates"));
    assert!(
        catalog.errors.is_empty(),
        "load errors: {:#?}",
        catalog.errors
    );
    assert_eq!(catalog.files.len(), 279);
    assert_eq!(catalog.template_count(), 2085);
    let mut mismatched = Vec::new();
    for file in &catalog.files {
        let original = std::fs::read_to_string(&file.path).expect("readable");
        if file.to_yaml() != original {
            mismatched.push(file.path.display().to_string());
        }
    }
    assert!(
        mismatched.is_empty(),
        "{} files differ: {mismatched:#?}",
        mismatched.len()
    );
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/yaml")
}

fn json_str<'a>(json: &'a Json, field: &str) -> &'a str {
    json[field]
        .as_str()
        .unwrap_or_else(|| panic!("fixture field {field} is not a string: {json}"))
}

fn json_bool(json: &Json, field: &str) -> Option<bool> {
    json[field].as_bool()
}

fn json_strings(json: &Json, field: &str) -> Vec<String> {
    json[field]
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

fn json_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i.into()),
            None => Value::Float(n.as_f64().expect("a float")),
        },
        Json::String(s) => Value::Str(s.clone()),
        Json::Array(items) => Value::Seq(items.iter().map(json_value).collect()),
        Json::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| (Value::Str(k.clone()), json_value(v)))
                .collect(),
        ),
    }
}

fn json_extra(json: &Json) -> Vec<(String, Value)> {
    match json.get("extra").and_then(Json::as_object) {
        Some(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), json_value(v)))
            .collect(),
        None => Vec::new(),
    }
}

/// The model a fixture describes (see generate.py).
fn model_from_json(json: &Json) -> DatasetTemplates {
    let templates = json["templates"]
        .as_array()
        .expect("templates")
        .iter()
        .map(|t| {
            let m = &t["metadata"];
            Template {
                id: json_str(t, "id").into(),
                name: json_str(t, "name").into(),
                jinja: json_str(t, "jinja").into(),
                reference: json_str(t, "reference").into(),
                answer_choices: t["answer_choices"].as_str().map(Into::into),
                metadata: Metadata {
                    original_task: json_bool(m, "original_task"),
                    choices_in_prompt: json_bool(m, "choices_in_prompt"),
                    metrics: json_strings(m, "metrics"),
                    languages: json_strings(m, "languages"),
                    extra: json_extra(m),
                },
                extra: json_extra(t),
            }
        })
        .collect();
    let mut model = DatasetTemplates::new(
        "fixture/templates.yaml",
        json_str(json, "dataset"),
        json["subset"].as_str().map(str::to_owned),
    );
    model.templates = templates;
    model.extra = json_extra(json);
    model.shared_metadata = json["shared_metadata"]
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .map(|g| {
                    g.as_array()
                        .expect("a group")
                        .iter()
                        .map(|id| id.as_str().expect("an id").into())
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    model
}

/// Unknown keys with every mapping sorted, as they are written (and so read back).
fn sorted_extra(extra: &[(String, Value)]) -> Vec<(String, Value)> {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Seq(items) => Value::Seq(items.iter().map(sorted).collect()),
            Value::Map(entries) => {
                let mut entries: Vec<(Value, Value)> = entries
                    .iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect();
                entries.sort_by(|a, b| match (&a.0, &b.0) {
                    (Value::Str(a), Value::Str(b)) => a.cmp(b),
                    _ => std::cmp::Ordering::Equal,
                });
                Value::Map(entries)
            }
            other => other.clone(),
        }
    }
    let mut extra: Vec<(String, Value)> =
        extra.iter().map(|(k, v)| (k.clone(), sorted(v))).collect();
    extra.sort_by(|a, b| a.0.cmp(&b.0));
    extra
}

fn sorted_template(template: &Template) -> Template {
    let mut template = template.clone();
    template.extra = sorted_extra(&template.extra);
    template.metadata.extra = sorted_extra(&template.metadata.extra);
    template
}

/// Writes the model, compares with PyYAML's bytes, reads PyYAML's bytes back
/// and checks they give the same templates and the same bytes again.
fn check_fixture(name: &str, model: &DatasetTemplates, expected: &str) -> Result<(), String> {
    let written = model.to_yaml();
    if written != expected {
        let line = written
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .map_or(0, |i| i + 1);
        return Err(format!("{name}: writer differs from PyYAML at line {line}\n--- ours\n{written}\n--- PyYAML\n{expected}"));
    }
    let read = DatasetTemplates::parse(expected, Path::new(name))
        .map_err(|e| format!("{name}: cannot read PyYAML's output: {e}"))?;
    let mut want: Vec<Template> = model.templates.iter().map(sorted_template).collect();
    want.sort_by(|a, b| a.id.cmp(&b.id));
    let got: Vec<Template> = read.templates.iter().map(sorted_template).collect();
    if got != want
        || read.dataset != model.dataset
        || read.subset != model.subset
        || sorted_extra(&read.extra) != sorted_extra(&model.extra)
    {
        return Err(format!(
            "{name}: reading PyYAML's output gives different data:\n{got:#?}\n{want:#?}"
        ));
    }
    if read.to_yaml() != expected {
        return Err(format!("{name}: writing what was read changes the bytes"));
    }
    Ok(())
}

#[test]
fn edits_are_written_as_pyyaml_writes_them() {
    let mut cases = 0;
    let mut failures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(fixtures().join("edits"))
        .expect("edits folder")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for json_path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let json: Json =
            serde_json::from_str(&std::fs::read_to_string(json_path).expect("readable"))
                .expect("valid JSON");
        let expected =
            std::fs::read_to_string(json_path.with_extension("yaml")).expect("expected YAML");
        let name = json_path
            .file_stem()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        if let Err(failure) = check_fixture(&name, &model_from_json(&json), &expected) {
            failures.push(failure);
        }
        cases += 1;
    }
    assert!(cases >= 40, "only {cases} edit fixtures found");
    assert!(
        failures.is_empty(),
        "{} of {cases} failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn random_models_are_written_as_pyyaml_writes_them() {
    let text = std::fs::read_to_string(fixtures().join("random.jsonl")).expect("random.jsonl");
    let mut cases = 0;
    let mut failures = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let case: Json = serde_json::from_str(line).expect("valid JSON line");
        let expected = case["expected"].as_str().expect("expected YAML");
        if let Err(failure) = check_fixture(
            &format!("random.jsonl line {}", index + 1),
            &model_from_json(&case["input"]),
            expected,
        ) {
            failures.push(failure);
        }
        cases += 1;
    }
    assert_eq!(cases, 300);
    assert!(
        failures.is_empty(),
        "{} of {cases} failed:\n{}",
        failures.len(),
        failures
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
