//! `export`'s command line over real files: flags, the conformance corpus's
//! Parquet rows through the data layer, and the messages for bad input.
//! Rendering is done by a stand-in here (it echoes the row), so these tests
//! check the plumbing; `export_conformance.rs` checks the engine's output.

use crate::corpus;

use std::path::{Path, PathBuf};

use clap::Parser;
use promptstudio::cli::export::{execute, ExportArgs, ExportOutcome};
use promptstudio::core::apply::Rendered;
use promptstudio::core::datum::{Datum, Row};
use promptstudio::core::template::Template;
use promptstudio::export::RowRenderer;

#[derive(Parser)]
struct Command {
    #[command(flatten)]
    args: ExportArgs,
}

fn conformance() -> Option<PathBuf> {
    corpus::conformance("index.json")
}

/// Input: the row's first text column; target: its `label`, or an error
/// when the template's name says so.
struct Echo {
    fail: bool,
}

impl RowRenderer for Echo {
    fn render(&self, row: &Row, _seed: u64) -> Result<Rendered, String> {
        if self.fail {
            return Err("UndefinedError: list object has no element 1 (line 1)".to_string());
        }
        let text = row
            .fields
            .iter()
            .find_map(|(_, value)| match value {
                Datum::Str(text) => Some(text.to_string()),
                _ => None,
            })
            .ok_or("no text column")?;
        let label = match row.get("label") {
            Some(Datum::Int(label)) => label.to_string(),
            _ => "?".to_string(),
        };
        Ok(Rendered {
            parts: vec![text, label],
            answer_choices: None,
            spans: Vec::new(),
        })
    }
}

fn echo(template: &Template) -> anyhow::Result<Box<dyn RowRenderer>> {
    Ok(Box::new(Echo {
        fail: template.name.contains("question_first"),
    }))
}

fn run(arguments: &[&str]) -> anyhow::Result<(ExportOutcome, String)> {
    let command =
        Command::try_parse_from(std::iter::once("export").chain(arguments.iter().copied()))?;
    let mut printed = Vec::new();
    let outcome = execute(&command.args, &mut printed, &echo)?;
    Ok((outcome, String::from_utf8(printed)?))
}

fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn exports_every_split_and_template_of_a_dataset() {
    let Some(corpus) = conformance() else { return };
    let out = tempfile::tempdir().unwrap();
    let templates = corpus.join("templates");
    let (outcome, printed) = run(&[
        "--templates",
        templates.to_str().unwrap(),
        "--workspace",
        corpus.to_str().unwrap(),
        "--dataset",
        "ag_news",
        "--out",
        out.path().to_str().unwrap(),
        "--format",
        "jsonl",
        "--quiet",
    ])
    .unwrap();
    // 7 templates x 2 splits; the two *_question_first templates fail on every row.
    assert_eq!(outcome.report.outputs_written, 14);
    assert_eq!(
        outcome.report.failing_outputs.len(),
        4,
        "{:?}",
        outcome.report.failing_outputs
    );
    assert!(
        printed.contains("warning: ag_news_classify_question_first/"),
        "{printed}"
    );

    let rows = promptstudio::data::parquet::read_rows(&corpus.join("data/ag_news/_/test.parquet"))
        .unwrap();
    let records = lines(&out.path().join("ag_news_classify/test.jsonl"));
    assert_eq!(records.len(), rows.len());
    for (index, (record, row)) in records.iter().zip(&rows).enumerate() {
        assert_eq!(record["idx"], index);
        assert_eq!(
            Some(&Datum::str(record["inputs_pretokenized"].as_str().unwrap())),
            row.get("text")
        );
        assert_eq!(record["template_name"], "classify");
        assert_eq!(record["subset"], serde_json::Value::Null);
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("manifest.json")).unwrap())
            .unwrap();
    let failing = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| {
            entry["task"] == "ag_news_classify_question_first" && entry["split"] == "test"
        })
        .unwrap();
    assert_eq!(failing["counts"]["errors"], rows.len());
    assert!(failing["first_errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("no element 1"));

    // A rerun finds everything complete.
    let (again, _) = run(&[
        "--templates",
        templates.to_str().unwrap(),
        "--workspace",
        corpus.to_str().unwrap(),
        "--dataset",
        "ag_news",
        "--out",
        out.path().to_str().unwrap(),
        "--format",
        "jsonl",
        "--quiet",
    ])
    .unwrap();
    assert_eq!(
        (again.report.outputs_written, again.report.outputs_skipped),
        (0, 14)
    );
}

#[test]
fn selects_templates_splits_and_subsets() {
    let Some(corpus) = conformance() else { return };
    let out = tempfile::tempdir().unwrap();
    let (outcome, _) = run(&[
        "--templates",
        corpus.join("templates").to_str().unwrap(),
        "--workspace",
        corpus.to_str().unwrap(),
        "--dataset",
        "super_glue/rte",
        "--split",
        "validation",
        "--template",
        "GPT-3 style",
        "--out",
        out.path().to_str().unwrap(),
        "--quiet",
    ])
    .unwrap();
    assert_eq!(outcome.report.outputs_written, 1);
    assert!(out
        .path()
        .join("super_glue_rte_GPT_3_style/validation.parquet")
        .is_file());
}

#[test]
fn bad_input_gets_a_clear_message() {
    let Some(corpus) = conformance() else { return };
    let out = tempfile::tempdir().unwrap();
    let templates = corpus.join("templates");
    let base = |extra: &[&str]| -> String {
        let mut arguments = vec![
            "--templates",
            templates.to_str().unwrap(),
            "--workspace",
            corpus.to_str().unwrap(),
            "--quiet",
        ];
        arguments.extend_from_slice(extra);
        format!("{:#}", run(&arguments).unwrap_err())
    };
    let out_text = out.path().to_str().unwrap().to_string();

    let message = base(&["--dataset", "no_such_dataset", "--out", &out_text]);
    assert!(
        message.contains("no templates.yaml for dataset 'no_such_dataset'"),
        "{message}"
    );

    let message = base(&["--dataset", "ag_news", "--split", "dev", "--out", &out_text]);
    assert!(
        message.contains("no split 'dev'") && message.contains("test, train"),
        "{message}"
    );

    let empty_workspace = tempfile::tempdir().unwrap();
    let message = format!(
        "{:#}",
        run(&[
            "--templates",
            templates.to_str().unwrap(),
            "--workspace",
            empty_workspace.path().to_str().unwrap(),
            "--dataset",
            "ag_news",
            "--out",
            &out_text,
            "--quiet",
        ])
        .unwrap_err()
    );
    assert!(
        message.contains("dataset `ag_news`: not found in the workspace"),
        "{message}"
    );

    let blocker = out.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let message = base(&["--dataset", "ag_news", "--out", blocker.to_str().unwrap()]);
    assert!(message.contains("cannot create output folder"), "{message}");

    let message = base(&[
        "--dataset",
        "ag_news",
        "--out",
        &out_text,
        "--num-shards",
        "2",
        "--shard-index",
        "2",
    ]);
    assert!(
        message.contains("--shard-index 2 is out of range"),
        "{message}"
    );

    let message = base(&["--dataset", "ag_news", "--out", &out_text, "--strict"]);
    assert!(
        message.contains("--strict") && message.contains("question_first"),
        "{message}"
    );
}

#[test]
fn merge_flag_gathers_shards() {
    let Some(corpus) = conformance() else { return };
    let work = tempfile::tempdir().unwrap();
    let templates = corpus.join("templates");
    let mut folders = Vec::new();
    for index in 0..3 {
        let folder = work.path().join(format!("shard-{index}"));
        run(&[
            "--templates",
            templates.to_str().unwrap(),
            "--workspace",
            corpus.to_str().unwrap(),
            "--dataset",
            "super_glue/rte",
            "--format",
            "jsonl",
            "--num-shards",
            "3",
            "--shard-index",
            &index.to_string(),
            "--out",
            folder.to_str().unwrap(),
            "--quiet",
        ])
        .unwrap();
        folders.push(folder);
    }
    let merged = work.path().join("merged");
    let mut arguments = vec!["--out", merged.to_str().unwrap(), "--merge"];
    arguments.extend(folders.iter().map(|folder| folder.to_str().unwrap()));
    let (_, printed) = run(&arguments).unwrap();
    assert!(printed.contains("merged 3 shards"), "{printed}");

    let single = work.path().join("single");
    run(&[
        "--templates",
        templates.to_str().unwrap(),
        "--workspace",
        corpus.to_str().unwrap(),
        "--dataset",
        "super_glue/rte",
        "--format",
        "jsonl",
        "--out",
        single.to_str().unwrap(),
        "--quiet",
    ])
    .unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(merged.join("manifest.json")).unwrap())
            .unwrap();
    for entry in manifest["outputs"].as_array().unwrap() {
        let files: Vec<&str> = entry["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        assert_eq!(files.len(), 3);
        let merged_records: Vec<serde_json::Value> = files
            .iter()
            .flat_map(|file| lines(&merged.join(file)))
            .collect();
        let task = entry["task"].as_str().unwrap();
        let split = entry["split"].as_str().unwrap();
        assert_eq!(
            merged_records,
            lines(&single.join(format!("{task}/{split}.jsonl"))),
            "{task}/{split}"
        );
    }
}
