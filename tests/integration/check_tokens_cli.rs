//! `check --data --tokenizer T --max-input-tokens N`: rows over a token
//! budget are errors naming the template and the first row; each
//! template's input token lengths as a histogram.

use std::path::{Path, PathBuf};
use std::process::Command;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data")
}

fn check(extra: &[&str]) -> (Option<i32>, String) {
    let sample = sample();
    let output = Command::new(env!("CARGO_BIN_EXE_promptstudio"))
        .args([
            "check",
            sample.join("templates/news_topics").to_str().unwrap(),
            "--data",
            sample
                .join("data/news_topics/_/validation.parquet")
                .to_str()
                .unwrap(),
            "--tokenizer",
            sample.join("models/tiny-chat").to_str().unwrap(),
        ])
        .args(extra)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).to_string(),
    )
}

#[test]
fn inputs_over_the_budget_are_errors_naming_template_and_row() {
    let (code, text) = check(&["--max-input-tokens", "3"]);
    assert_eq!(code, Some(1), "{text}");
    let line = text
        .lines()
        .find(|line| {
            line.contains("template 'classify_with_choices'") && line.contains("over-token-budget")
        })
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("row 0"), "{line}");
    assert!(line.contains("more than 3 tokens (8 of 8 rows)"), "{line}");

    let (code, text) = check(&["--max-input-tokens", "100000"]);
    assert!(!text.contains("over-token-budget"), "{text}");
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn a_tokenizer_shows_each_templates_input_token_lengths() {
    let (code, text) = check(&["--json"]);
    assert_eq!(code, Some(0), "{text}");
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let lengths = report["input_tokens"].as_array().unwrap();
    let classify = lengths
        .iter()
        .find(|entry| entry["template_name"] == "classify_with_choices")
        .unwrap();
    let summary = &classify["summary"];
    assert_eq!(summary["rows"], 8);
    let (min, max) = (
        summary["min"].as_u64().unwrap(),
        summary["max"].as_u64().unwrap(),
    );
    assert!(3 < min && min <= max, "{summary}");
    let bucketed: u64 = summary["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|bucket| bucket["rows"].as_u64().unwrap())
        .sum();
    assert_eq!(bucketed, 8);

    let (_, text) = check(&[]);
    assert!(
        text.contains(&format!(
            "input tokens of template 'classify_with_choices', 8 rows: min {min}, median"
        )),
        "{text}"
    );
}

/// `inspect --summary --tokenizer T`: each text column's token lengths
/// (min, median, max, histogram) over the rows summarised, counted as the
/// tokenizer counts each value (no special tokens added).
#[test]
fn inspect_summary_counts_the_tokens_of_each_text_column() {
    let sample = sample();
    let data = sample.join("data/news_topics/_/validation.parquet");
    let tokenizer = sample.join("models/tiny-chat");
    let output = Command::new(env!("CARGO_BIN_EXE_promptstudio"))
        .args(["inspect", data.to_str().unwrap(), "--summary", "--json"])
        .args(["--tokenizer", tokenizer.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let counter = promptstudio::core::chat::tokens::TokenCounter::load(
        tokenizer.to_str().unwrap(),
        Path::new("/nonexistent-hub-cache"),
    )
    .unwrap();
    let rows = promptstudio::data::parquet::read_rows(&data).unwrap();
    for column in ["title", "text"] {
        let mut counts: Vec<u64> = rows
            .iter()
            .map(|row| {
                let (_, value) = row
                    .fields
                    .iter()
                    .find(|(name, _)| name.as_ref() == column)
                    .unwrap();
                let promptstudio::core::datum::Datum::Str(text) = value else {
                    panic!("{column} is text");
                };
                counter.count(text).unwrap() as u64
            })
            .collect();
        counts.sort_unstable();
        let summary = &report["token_lengths"][column];
        assert_eq!(summary["rows"], counts.len() as u64, "{summary}");
        assert_eq!(summary["min"], counts[0], "{summary}");
        assert_eq!(
            summary["median"],
            counts[(counts.len() - 1) / 2],
            "{summary}"
        );
        assert_eq!(summary["max"], *counts.last().unwrap(), "{summary}");
        let bucketed: u64 = summary["histogram"]
            .as_array()
            .unwrap()
            .iter()
            .map(|bucket| bucket["rows"].as_u64().unwrap())
            .sum();
        assert_eq!(bucketed, counts.len() as u64, "{summary}");
    }
    assert!(report["token_lengths"].get("label").is_none(), "{report}");
}
