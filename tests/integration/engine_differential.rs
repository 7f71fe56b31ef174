//! Replays differential cases made by `scripts/gen_differential_cases.py`:
//! every template of a PromptSource tree applied by PromptSource itself to
//! synthetic rows of rotating types, seeded. The cases file is large and
//! needs PromptSource to produce, so it is not committed: point
//! `PROMPTSTUDIO_DIFFERENTIAL_CASES` at it; without it the test prints `SKIP`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use promptstudio::core::apply::{ApplyOptions, CompiledTemplate};
use promptstudio::core::datum::{Datum, Row};
use promptstudio::core::template::DatasetTemplates;
use serde_json::{json, Value as Json};

#[test]
fn matches_promptsource_on_synthetic_rows() {
    let Some(path) = std::env::var_os("PROMPTSTUDIO_DIFFERENTIAL_CASES") else {
        println!("SKIP: PROMPTSTUDIO_DIFFERENTIAL_CASES is not set");
        return;
    };
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", Path::new(&path).display()));
    let mut files: HashMap<String, DatasetTemplates> = HashMap::new();
    let mut compiled: HashMap<String, CompiledTemplate> = HashMap::new();
    let mut mismatches = Vec::new();
    let mut cases = 0;
    for (number, line) in text.lines().enumerate() {
        let case: Json =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", number + 1));
        let file_path = case["path"].as_str().expect("path").to_string();
        let id = case["id"].as_str().expect("id").to_string();
        let file = files.entry(file_path.clone()).or_insert_with(|| {
            DatasetTemplates::load(Path::new(&file_path))
                .unwrap_or_else(|e| panic!("loading {file_path}: {e}"))
        });
        let template = file
            .template_by_id(&id)
            .unwrap_or_else(|| panic!("{file_path}: no template {id}"));
        let program = compiled.entry(id.clone()).or_insert_with(|| {
            CompiledTemplate::compile(template)
                .unwrap_or_else(|e| panic!("{file_path} {}: {e}", template.name))
        });
        let row = Row::new(
            case["row"]
                .as_object()
                .expect("row")
                .iter()
                .map(|(k, v)| (Arc::from(k.as_str()), Datum::from_json(v)))
                .collect(),
        );
        let options = ApplyOptions {
            seed: Some(case["seed"].as_u64().expect("seed")),
            ..ApplyOptions::default()
        };
        cases += 1;
        let actual = match program.apply(&row, &options) {
            Ok(applied) => json!({ "parts": applied.parts }),
            Err(e) => json!({ "error": [e.kind, e.message] }),
        };
        let expected = match case.get("error") {
            Some(error) => json!({ "error": error }),
            None => json!({ "parts": case["parts"] }),
        };
        let actual_choices = match program.answer_choices(&row, &options) {
            Ok(choices) => json!(choices),
            Err(e) => json!([e.kind, e.message]),
        };
        let expected_choices = case
            .get("choices")
            .cloned()
            .unwrap_or_else(|| case["choices_error"].clone());
        for (what, expected, actual) in [
            ("apply", expected, actual),
            ("answer choices", expected_choices, actual_choices),
        ] {
            if expected != actual {
                mismatches.push(format!(
                    "line {}: {file_path} {:?} ({what}) row {}\n    expected {expected}\n    actual   {actual}",
                    number + 1,
                    template.name,
                    case["row"]
                ));
            }
        }
    }
    println!(
        "differential: {cases} cases, {} mismatches",
        mismatches.len()
    );
    for mismatch in mismatches.iter().take(40) {
        println!("{mismatch}");
    }
    assert!(mismatches.is_empty(), "{} mismatches", mismatches.len());
}
