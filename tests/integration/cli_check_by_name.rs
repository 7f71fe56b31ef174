//! `check --dataset X` without `--data` finds X's rows by name, as `render`
//! does, and checks the templates over them.

use std::path::Path;
use std::process::{Command, Output};

fn check(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_promptstudio"))
        .arg("check")
        .args(args)
        .current_dir(dir)
        // Rows come from the workspace, never from a cache of this machine.
        .env("HF_HOME", dir.join("no-hf-home"))
        .env("HF_DATASETS_CACHE", dir.join("no-datasets-cache"))
        .env_remove("HF_HUB_CACHE")
        .output()
        .expect("the promptstudio binary runs")
}

const TEMPLATES: &str = "dataset: tiny
templates:
  5a1fb1e5-6bd0-4c5b-9c44-0a6f5a3c9e10: !Template
    answer_choices: null
    id: 5a1fb1e5-6bd0-4c5b-9c44-0a6f5a3c9e10
    jinja: '{{sumary}} ||| {{label}}'
    metadata: !TemplateMetadata
      choices_in_prompt: false
      languages: []
      metrics: []
      original_task: false
    name: misspelt
    reference: ''
";

fn workspace() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("temp");
    let rows = root.path().join("ws/data/tiny/_");
    std::fs::create_dir_all(&rows).expect("folders");
    std::fs::write(
        rows.join("train.jsonl"),
        "{\"text\": \"a\", \"label\": 0}\n{\"text\": \"b\", \"label\": 1}\n",
    )
    .expect("rows");
    let templates = root.path().join("ws/templates/tiny");
    std::fs::create_dir_all(&templates).expect("folders");
    std::fs::write(templates.join("templates.yaml"), TEMPLATES).expect("templates");
    root
}

const NOT_A_COLUMN: &str = "variable 'sumary' is not a column of the data (columns: text, label)";

#[test]
fn check_dataset_finds_the_rows_of_the_workspace_by_name() {
    let root = workspace();
    // From outside the workspace: its data/ is the one around the templates.
    for args in [
        &["ws/templates", "--dataset", "tiny"][..],
        &[
            "ws/templates/tiny/templates.yaml",
            "--dataset",
            "tiny",
            "--split",
            "train",
        ],
    ] {
        let output = check(root.path(), args);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains(NOT_A_COLUMN), "{args:?}: {stdout}");
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stdout}");
    }
    // From inside it, as `render` is run.
    let output = check(&root.path().join("ws"), &["templates", "--dataset", "tiny"]);
    assert!(String::from_utf8_lossy(&output.stdout).contains(NOT_A_COLUMN));
}

#[test]
fn check_dataset_without_rows_says_so() {
    let root = workspace();
    std::fs::remove_dir_all(root.path().join("ws/data")).expect("removed");
    let output = check(root.path(), &["ws/templates", "--dataset", "tiny"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("tiny"), "{stderr}");
    let output = check(
        root.path(),
        &["ws/templates", "--dataset", "tiny", "--split", "nope"],
    );
    assert_ne!(output.status.code(), Some(0));
}
