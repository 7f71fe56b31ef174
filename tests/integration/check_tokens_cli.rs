//! `check --data --tokenizer T --max-input-tokens N`: rows over a token
//! budget are errors naming the template and the first row.

use std::path::{Path, PathBuf};
use std::process::Command;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data")
}

fn check(max_tokens: &str) -> (Option<i32>, String) {
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
            "--max-input-tokens",
            max_tokens,
        ])
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).to_string(),
    )
}

#[test]
fn inputs_over_the_budget_are_errors_naming_template_and_row() {
    let (code, text) = check("3");
    assert_eq!(code, Some(1), "{text}");
    let line = text
        .lines()
        .find(|line| {
            line.contains("template 'classify_with_choices'") && line.contains("over-token-budget")
        })
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("row 0"), "{line}");
    assert!(line.contains("more than 3 tokens (8 of 8 rows)"), "{line}");

    let (code, text) = check("100000");
    assert!(!text.contains("over-token-budget"), "{text}");
    assert_eq!(code, Some(0), "{text}");
}
