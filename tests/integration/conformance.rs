//! Renders every (template, row) of the PromptSource conformance corpus and
//! compares with what PromptSource itself produced: parts, answer choices,
//! fixed answer choices, errors (type and message), and for templates that
//! draw random numbers, the outcome of every recorded seed.
//!
//! The corpus is found through `PROMPTSTUDIO_CONFORMANCE` or at
//! `../shared/conformance`; without it the test prints `SKIP` and passes,
//! unless `PROMPTSTUDIO_REQUIRE_CONFORMANCE=1`.

use crate::corpus;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use promptstudio::core::apply::{ApplyOptions, CompiledTemplate, RenderError};
use promptstudio::core::datum::Row;
use promptstudio::core::template::DatasetTemplates;
use serde_json::Value as Json;

fn corpus_dir() -> Option<PathBuf> {
    corpus::conformance("index.json")
}

fn read_json(path: &Path) -> Json {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// What a call produced, in the corpus's terms.
#[derive(Debug, PartialEq)]
enum Outcome {
    Value(Json),
    Error { kind: String, message: String },
}

impl Outcome {
    fn from_result<T: serde::Serialize>(result: Result<T, RenderError>) -> Outcome {
        match result {
            Ok(value) => Outcome::Value(serde_json::to_value(value).unwrap_or(Json::Null)),
            Err(e) => Outcome::Error {
                kind: e.kind,
                message: e.message,
            },
        }
    }

    fn expected(value: &Json, error: Option<&Json>) -> Outcome {
        match error.filter(|e| !e.is_null()) {
            Some(error) => Outcome::Error {
                kind: error["type"].as_str().unwrap_or_default().to_string(),
                message: error["message"].as_str().unwrap_or_default().to_string(),
            },
            None => Outcome::Value(value.clone()),
        }
    }
}

#[derive(Default)]
struct Report {
    cases: usize,
    checks: BTreeMap<&'static str, (usize, usize)>,
    mismatches: Vec<String>,
}

impl Report {
    fn check(&mut self, what: &'static str, case: &str, expected: &Outcome, actual: &Outcome) {
        let entry = self.checks.entry(what).or_default();
        entry.0 += 1;
        if expected == actual {
            return;
        }
        entry.1 += 1;
        // A mismatch in the error message only is still a mismatch, but
        // say so: the kind is what matters most downstream.
        let detail = match (expected, actual) {
            (Outcome::Error { kind: a, .. }, Outcome::Error { kind: b, .. }) if a == b => {
                "same error type, different message"
            }
            _ => "different outcome",
        };
        self.mismatches.push(format!(
            "{case} [{what}, {detail}]\n    expected: {}\n    actual:   {}",
            short(expected),
            short(actual)
        ));
    }
}

fn short(outcome: &Outcome) -> String {
    let text = format!("{outcome:?}");
    if text.chars().count() > 400 {
        format!("{}...", text.chars().take(400).collect::<String>())
    } else {
        text
    }
}

fn seed_options(seed: u64) -> ApplyOptions {
    ApplyOptions {
        seed: Some(seed),
        ..ApplyOptions::default()
    }
}

#[test]
fn promptsource_conformance() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let index = read_json(&dir.join("index.json"));
    let entries = index.as_array().expect("index.json is a list");
    let mut report = Report::default();
    for entry in entries {
        let dataset = entry["dataset"].as_str().expect("dataset name");
        let subset = entry["subset"].as_str();
        let mut templates_path = dir.join("templates").join(dataset);
        if let Some(subset) = subset {
            templates_path.push(subset);
        }
        templates_path.push("templates.yaml");
        let templates = DatasetTemplates::load(&templates_path)
            .unwrap_or_else(|e| panic!("loading {}: {e}", templates_path.display()));
        let mut compiled: HashMap<String, CompiledTemplate> = HashMap::new();
        for template in &templates.templates {
            let program = CompiledTemplate::compile(template).unwrap_or_else(|e| {
                panic!(
                    "{}: template {:?} does not compile: {e}",
                    templates_path.display(),
                    template.name
                )
            });
            compiled.insert(template.id.to_string(), program);
        }
        let splits = entry["data"].as_object().expect("data paths");
        for (split, data_path) in splits {
            let data_path = dir.join(data_path.as_str().expect("data path"));
            let rows: Vec<Row> = promptstudio::data::parquet::read_rows(&data_path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", data_path.display()));
            let expected_path = dir.join(entry["expected"][split].as_str().expect("expected path"));
            let text = std::fs::read_to_string(&expected_path).expect("expected file");
            for line in text.lines() {
                let case: Json = serde_json::from_str(line).expect("expected line");
                let id = case["template_id"].as_str().expect("template id");
                let row_index = case["row"].as_u64().expect("row") as usize;
                let label = format!(
                    "{} :: {} :: row {}",
                    expected_path
                        .strip_prefix(&dir)
                        .unwrap_or(&expected_path)
                        .display(),
                    case["template_name"].as_str().unwrap_or(id),
                    row_index
                );
                let program = compiled
                    .get(id)
                    .unwrap_or_else(|| panic!("{label}: unknown template"));
                let row = &rows[row_index];
                report.cases += 1;
                check_case(&mut report, &label, program, row, &case);
            }
        }
    }
    println!("conformance: {} cases", report.cases);
    for (what, (total, bad)) in &report.checks {
        println!("  {what}: {} of {total} match", total - bad);
    }
    for mismatch in report.mismatches.iter().take(60) {
        println!("MISMATCH {mismatch}");
    }
    assert!(
        report.mismatches.is_empty(),
        "{} mismatches (first ones printed above)",
        report.mismatches.len()
    );
}

fn check_case(
    report: &mut Report,
    label: &str,
    program: &CompiledTemplate,
    row: &Row,
    case: &Json,
) {
    let applied = program.apply(row, &seed_options(0)).map(|a| a.parts);
    report.check(
        "parts (seed 0)",
        label,
        &Outcome::expected(&case["parts"], case.get("error")),
        &Outcome::from_result(applied),
    );
    report.check(
        "answer_choices (seed 0)",
        label,
        &Outcome::expected(&case["answer_choices"], case.get("answer_choices_error")),
        &Outcome::from_result(program.answer_choices(row, &seed_options(0))),
    );
    report.check(
        "fixed_answer_choices",
        label,
        &Outcome::expected(
            &case["fixed_answer_choices"],
            case.get("fixed_answer_choices_error"),
        ),
        &Outcome::from_result(program.fixed_answer_choices()),
    );
    let Some(alternatives) = case["alternatives"].as_array() else {
        return;
    };
    for alternative in alternatives {
        let expected_parts = Outcome::expected(&alternative["parts"], alternative.get("error"));
        let expected_choices = Outcome::Value(alternative["answer_choices"].clone());
        for seed in alternative["seeds"].as_array().into_iter().flatten() {
            let seed = seed.as_u64().expect("seed");
            let seeded = format!("{label} :: seed {seed}");
            let applied = program.apply(row, &seed_options(seed)).map(|a| a.parts);
            report.check(
                "parts (every seed)",
                &seeded,
                &expected_parts,
                &Outcome::from_result(applied),
            );
            if alternative.get("answer_choices_error").is_none() {
                let choices = program.answer_choices(row, &seed_options(seed));
                report.check(
                    "answer_choices (every seed)",
                    &seeded,
                    &expected_choices,
                    &Outcome::from_result(choices),
                );
            }
        }
    }
}
