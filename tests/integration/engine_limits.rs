//! Hostile templates through the real binary: deep nesting and runaway
//! recursion end in a clean exit with a message, never a stack overflow.

use std::path::Path;
use std::process::{Command, Output};

fn promptstudio(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_promptstudio"))
        .args(args)
        .output()
        .expect("the promptstudio binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn nested(open: &str, inner: &str, close: &str, depth: usize) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

/// One dataset whose templates are the given (name, jinja) pairs; the jinja
/// is written as a YAML double-quoted scalar (JSON's string syntax).
fn workspace(templates: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut yaml = String::from("dataset: tiny\ntemplates:\n");
    for (i, (name, jinja)) in templates.iter().enumerate() {
        let id = format!("0b3a4c1e-0000-4000-8000-{:012}", i + 1);
        yaml.push_str(&format!(
            "  {id}: !Template\n    answer_choices: null\n    id: {id}\n    jinja: {}\n    metadata: !TemplateMetadata\n      choices_in_prompt: null\n      languages: []\n      metrics: []\n      original_task: null\n    name: {name}\n    reference: ''\n",
            serde_json::to_string(jinja).expect("a JSON string")
        ));
    }
    let folder = dir.path().join("templates/tiny");
    std::fs::create_dir_all(&folder).expect("folder");
    std::fs::write(folder.join("templates.yaml"), yaml).expect("yaml");
    std::fs::write(dir.path().join("rows.jsonl"), "{\"text\": \"hi\"}\n").expect("rows");
    dir
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

fn render(dir: &Path, template: &str) -> Output {
    promptstudio(&[
        "render",
        "--templates",
        arg(&dir.join("templates")),
        "--dataset",
        "tiny",
        "--template",
        template,
        "--data",
        arg(&dir.join("rows.jsonl")),
    ])
}

fn deep_templates() -> Vec<(&'static str, String)> {
    vec![
        (
            "accepted",
            nested("{% if true %}", "{{ text }} ||| x", "{% endif %}", 250),
        ),
        (
            "recursive",
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }} ||| x".to_string(),
        ),
        (
            "parentheses",
            nested("{{ ", &nested("(", "1", ")", 2_000), " }}", 1),
        ),
        ("ifs", nested("{% if true %}\n", "x", "{% endif %}", 5_000)),
        (
            "fors",
            nested("{% for i in [1] %}", "x", "{% endfor %}", 10_000),
        ),
        ("minus", format!("{{{{ {}1 }}}}", "-".repeat(100_000))),
    ]
}

#[test]
fn deep_templates_render_or_fail_cleanly() {
    let dir = workspace(&deep_templates());
    let accepted = render(dir.path(), "accepted");
    assert!(accepted.status.success(), "{}", text(&accepted));
    assert!(text(&accepted).contains("hi"), "{}", text(&accepted));

    let recursive = render(dir.path(), "recursive");
    assert_eq!(recursive.status.code(), Some(2), "{}", text(&recursive));
    assert!(
        text(&recursive).contains("RenderLimitExceeded"),
        "{}",
        text(&recursive)
    );

    for name in ["parentheses", "ifs", "fors", "minus"] {
        let output = render(dir.path(), name);
        assert!(
            matches!(output.status.code(), Some(1 | 2)),
            "{name}: {:?} {}",
            output.status,
            text(&output)
        );
        assert!(
            text(&output).contains("nests too deeply"),
            "{name}: {}",
            text(&output)
        );
    }
}

#[test]
fn check_reports_every_deep_template_and_keeps_going() {
    let dir = workspace(&deep_templates());
    let output = promptstudio(&["check", "--json", arg(&dir.path().join("templates"))]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    let deep = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|finding| {
            finding["message"]
                .as_str()
                .is_some_and(|m| m.contains("nests too deeply"))
        })
        .count();
    assert_eq!(deep, 4, "{report}");
}

#[test]
fn memory_budget_flag_bounds_each_render() {
    // 100,000 list items take a few MiB: inside the default budget, past 1 MiB.
    let dir = workspace(&[(
        "hungry",
        "{{ range(100000)|list|length }} ||| x".to_string(),
    )]);
    let default = render(dir.path(), "hungry");
    assert!(default.status.success(), "{}", text(&default));
    assert!(text(&default).contains("100000"), "{}", text(&default));

    let render_args = |budget: &str| {
        let templates = dir.path().join("templates");
        let rows = dir.path().join("rows.jsonl");
        promptstudio(&[
            "render",
            "--templates",
            arg(&templates),
            "--dataset",
            "tiny",
            "--template",
            "hungry",
            "--data",
            arg(&rows),
            "--memory-budget",
            budget,
        ])
    };
    let capped = render_args("1MiB");
    assert_eq!(capped.status.code(), Some(2), "{}", text(&capped));
    assert!(
        text(&capped).contains("RenderLimitExceeded")
            && text(&capped).contains("memory budget of 1 MiB"),
        "{}",
        text(&capped)
    );
    assert!(render_args("64MiB").status.success());

    let bad = render_args("lots");
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("--memory-budget"), "{}", text(&bad));

    // apply reports the row's failure in its record and goes on.
    let rows = dir.path().join("rows.jsonl");
    let applied = promptstudio(&[
        "apply",
        "--templates",
        arg(&dir.path().join("templates")),
        "--dataset",
        "tiny",
        "--data",
        arg(&rows),
        "--memory-budget",
        "1048576",
    ]);
    assert!(
        text(&applied).contains("RenderLimitExceeded"),
        "{}",
        text(&applied)
    );
}
