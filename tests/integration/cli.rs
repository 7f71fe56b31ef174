//! The headless commands, run as a user runs them: the real binary, its
//! stdout, stderr and exit code.

use crate::corpus;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn promptstudio(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_promptstudio"))
        .args(args)
        .env_remove("HF_HUB_OFFLINE")
        .output()
        .expect("the promptstudio binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// The shared conformance corpus, or None (with a notice) when it is absent and
/// not required.
fn corpus() -> Option<PathBuf> {
    corpus::conformance("index.json")
}

fn write(dir: &Path, relative: &str, text: &str) -> PathBuf {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

const SMALL_TEMPLATES: &str = r#"dataset: tiny
templates:
  0b3a4c1e-0000-4000-8000-000000000001: !Template
    answer_choices: no ||| yes
    id: 0b3a4c1e-0000-4000-8000-000000000001
    jinja: Is it true? {{ text }} ||| {{ answer_choices[label] }}
    metadata: !TemplateMetadata
      choices_in_prompt: false
      languages:
      - en
      metrics:
      - Accuracy
      original_task: true
    name: truth
    reference: ''
  0b3a4c1e-0000-4000-8000-000000000002: !Template
    answer_choices: null
    id: 0b3a4c1e-0000-4000-8000-000000000002
    jinja: '{{ text | upper }} ||| {{ label }}'
    metadata: !TemplateMetadata
      choices_in_prompt: null
      languages:
      - en
      metrics:
      - Other
      original_task: false
    name: shout
    reference: ''
"#;

const SMALL_ROWS: &str = "{\"text\": \"the sky is blue\", \"label\": 1}\n{\"text\": \"fish can fly\", \"label\": 0}\n{\"text\": \"ice is cold\", \"label\": 1}\n";

fn small_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "templates/tiny/templates.yaml", SMALL_TEMPLATES);
    write(dir.path(), "rows.jsonl", SMALL_ROWS);
    dir
}

fn path_arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn apply_writes_one_json_line_per_template_and_row_in_name_order() {
    let dir = small_workspace();
    let output = promptstudio(&[
        "apply",
        "--templates",
        path_arg(&dir.path().join("templates")),
        "--dataset",
        "tiny",
        "--data",
        path_arg(&dir.path().join("rows.jsonl")),
        "--rows",
        "1..3",
    ]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    let order: Vec<(String, u64)> = lines
        .iter()
        .map(|line| {
            (
                line["template_name"].as_str().unwrap().to_string(),
                line["row"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [("shout", 1), ("shout", 2), ("truth", 1), ("truth", 2)]
            .map(|(name, row)| (name.to_string(), row))
    );
    assert_eq!(lines[0]["parts"], serde_json::json!(["FISH CAN FLY", "0"]));
    assert_eq!(lines[0]["answer_choices"], serde_json::Value::Null);
    assert_eq!(
        lines[2]["parts"],
        serde_json::json!(["Is it true? fish can fly", "no"])
    );
    assert_eq!(lines[2]["answer_choices"], serde_json::json!(["no", "yes"]));
    assert_eq!(lines[2]["error"], serde_json::Value::Null);
    let keys: Vec<&str> = lines[2]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "dataset",
            "subset",
            "template_id",
            "template_name",
            "row",
            "parts",
            "answer_choices",
            "error"
        ]
    );
}

#[test]
fn apply_reports_render_errors_per_row_and_keeps_going() {
    let dir = small_workspace();
    write(
        dir.path(),
        "templates/tiny/templates.yaml",
        &SMALL_TEMPLATES.replace("{{ text | upper }}", "{{ text.split()[5].x }}"),
    );
    let output = promptstudio(&[
        "apply",
        "--templates",
        path_arg(&dir.path().join("templates")),
        "--dataset",
        "tiny",
        "--data",
        path_arg(&dir.path().join("rows.jsonl")),
        "--template",
        "shout",
    ]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let first: serde_json::Value =
        serde_json::from_str(stdout(&output).lines().next().unwrap()).unwrap();
    assert_eq!(first["parts"], serde_json::Value::Null);
    assert_eq!(first["error"]["type"], "UndefinedError");
    assert_eq!(first["error"]["message"], "list object has no element 5");
}

#[test]
fn render_shows_input_target_and_marked_choices() {
    let dir = small_workspace();
    let output = promptstudio(&[
        "render",
        "--templates",
        path_arg(&dir.path().join("templates")),
        "--dataset",
        "tiny",
        "--template",
        "truth",
        "--data",
        path_arg(&dir.path().join("rows.jsonl")),
        "--row",
        "2",
    ]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "Input:\n  Is it true? ice is cold\n\nTarget:\n  yes\n\nAnswer choices:\n  - no\n  * yes\n"
    );
}

#[test]
fn render_out_of_range_row_is_an_error_naming_the_file() {
    let dir = small_workspace();
    let data = dir.path().join("rows.jsonl");
    let output = promptstudio(&[
        "render",
        "--templates",
        path_arg(&dir.path().join("templates")),
        "--dataset",
        "tiny",
        "--template",
        "truth",
        "--data",
        path_arg(&data),
        "--row",
        "9",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("row 9 is out of range"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("rows.jsonl"));
}

#[test]
fn unknown_dataset_and_template_are_errors() {
    let dir = small_workspace();
    let templates = dir.path().join("templates");
    let data = dir.path().join("rows.jsonl");
    let output = promptstudio(&[
        "apply",
        "--templates",
        path_arg(&templates),
        "--dataset",
        "nope",
        "--data",
        path_arg(&data),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no templates.yaml for dataset 'nope'"));
    let output = promptstudio(&[
        "apply",
        "--templates",
        path_arg(&templates),
        "--dataset",
        "tiny",
        "--data",
        path_arg(&data),
        "--template",
        "missing",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no template 'missing'"));
}

#[test]
fn broken_yaml_is_an_error_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "templates/tiny/templates.yaml",
        "dataset: tiny\ntemplates:\n  x: !Template\n    jinja: 'unclosed\n",
    );
    let output = promptstudio(&["check", path_arg(&dir.path().join("templates"))]);
    assert_eq!(output.status.code(), Some(1), "stdout: {}", stdout(&output));
    let text = stdout(&output);
    assert!(text.contains("templates.yaml:"), "{text}");
    assert!(text.contains("load-error"), "{text}");
}

#[test]
fn check_flags_syntax_errors_duplicates_and_missing_separator() {
    let dir = small_workspace();
    let broken = SMALL_TEMPLATES
        .replace(
            "{{ text | upper }} ||| {{ label }}",
            "{% if text %}{{ text }",
        )
        .replace("name: shout", "name: truth");
    write(dir.path(), "templates/tiny/templates.yaml", &broken);
    let output = promptstudio(&["check", "--json", path_arg(&dir.path().join("templates"))]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["code"].as_str().unwrap())
        .collect();
    for code in ["syntax-error", "missing-separator", "duplicate-name"] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    let syntax = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["code"] == "syntax-error")
        .unwrap();
    assert_eq!(
        syntax["line"], 16,
        "points at the template's entry: {syntax}"
    );
}

#[test]
fn check_with_data_finds_unknown_variables_and_targets_outside_the_choices() {
    let dir = small_workspace();
    let edited = SMALL_TEMPLATES
        .replace(
            "{{ answer_choices[label] }}",
            "{{ answer_choices[label] }}!",
        )
        .replace("{{ text | upper }}", "{{ txt | upper }}");
    write(dir.path(), "templates/tiny/templates.yaml", &edited);
    let output = promptstudio(&[
        "check",
        "--json",
        path_arg(&dir.path().join("templates")),
        "--data",
        path_arg(&dir.path().join("rows.jsonl")),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let by_code = |code: &str| {
        findings
            .iter()
            .find(|finding| finding["code"] == code)
            .unwrap_or_else(|| panic!("no {code} in {findings:?}"))
    };
    assert!(by_code("undeclared-variable")["message"]
        .as_str()
        .unwrap()
        .contains("'txt'"));
    let outside = by_code("target-not-in-choices");
    assert_eq!(outside["template_name"], "truth");
    assert!(outside["message"].as_str().unwrap().contains("3 of 3 rows"));
}

#[test]
fn fmt_rewrites_to_the_canonical_form_and_check_mode_lists_files() {
    let dir = small_workspace();
    let path = write(
        dir.path(),
        "templates/tiny/templates.yaml",
        &SMALL_TEMPLATES.replace("reference: ''", "reference: \"\""),
    );
    let output = promptstudio(&["fmt", "--check", path_arg(&dir.path().join("templates"))]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("templates.yaml"));
    let output = promptstudio(&["fmt", path_arg(&dir.path().join("templates"))]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), SMALL_TEMPLATES);
    let output = promptstudio(&["fmt", "--check", path_arg(&dir.path().join("templates"))]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "");
}

#[test]
fn the_p3_collection_passes_check_and_fmt_check() {
    let Some(corpus) = corpus() else { return };
    let templates = corpus.join("templates");
    let output = promptstudio(&["check", path_arg(&templates)]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("checked 2085 templates in 279 files: 0 errors"));
    let output = promptstudio(&["fmt", "--check", path_arg(&templates)]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(stdout(&output), "");
}

#[test]
fn stats_counts_the_p3_collection() {
    let Some(corpus) = corpus() else { return };
    let output = promptstudio(&["stats", "--json", path_arg(&corpus.join("templates"))]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let stats: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(stats["datasets"], 180);
    assert_eq!(stats["subsets"], 279);
    assert_eq!(stats["prompts"], 2085);
    assert_eq!(stats["prompts_with_answer_choices"], 1145);
    assert!(stats["languages"]["en"].as_u64().unwrap() > 2000);
}

#[test]
fn apply_matches_the_reference_on_corpus_rows() {
    let Some(corpus) = corpus() else { return };
    let output = promptstudio(&[
        "apply",
        "--templates",
        path_arg(&corpus.join("templates")),
        "--dataset",
        "ag_news",
        "--data",
        path_arg(&corpus.join("data/ag_news/_/test.parquet")),
        "--seed",
        "0",
    ]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let expected = std::fs::read_to_string(corpus.join("expected/ag_news/_/test.jsonl")).unwrap();
    let ours: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let theirs: Vec<serde_json::Value> = expected
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(ours.len(), theirs.len());
    for (ours, theirs) in ours.iter().zip(&theirs) {
        for key in [
            "template_id",
            "template_name",
            "row",
            "parts",
            "answer_choices",
            "error",
        ] {
            assert_eq!(ours[key], theirs[key], "{key} differs for {theirs}");
        }
    }
}
