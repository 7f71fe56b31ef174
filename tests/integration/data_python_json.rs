//! JSON Lines as Python's `json` reads it: `NaN`, `Infinity`, `-Infinity`
//! and `1e999` are floats and integers keep every digit, rendered as Python
//! prints them. Expected renders: tests/fixtures/data/python_json/generate.py.

use std::path::{Path, PathBuf};

use arrow_schema::DataType;
use promptstudio::core::apply::{ApplyOptions, CompiledTemplate};
use promptstudio::core::template::Template;
use promptstudio::data::{open, Source};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data/python_json")
}

fn column_type(source: &dyn Source, name: &str) -> Option<DataType> {
    let column = source
        .schema()
        .columns
        .iter()
        .find(|column| column.name == name);
    column.expect("a column").data_type.clone()
}

#[test]
fn python_only_numbers_load_type_and_render_as_python_prints_them() {
    let source = open(&fixtures().join("rows.jsonl")).expect("Python reads every line");
    assert_eq!(column_type(&*source, "score"), Some(DataType::Float64));
    assert_eq!(column_type(&*source, "text"), Some(DataType::Utf8));
    // No Arrow integer holds these: the values stay Python's int.
    assert_eq!(column_type(&*source, "big"), None);

    let mut template = Template::new("python_numbers");
    let jinja = std::fs::read_to_string(fixtures().join("template.jinja")).expect("template");
    template.jinja = jinja.trim_end_matches('\n').into();
    let program = CompiledTemplate::compile(&template).expect("compiles");
    let expected: Vec<Vec<String>> = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("expected.json")).expect("expected"),
    )
    .expect("expected renders");
    let count = source.wait_for_row_count().expect("counted");
    assert_eq!(count as usize, expected.len());
    for (index, parts) in expected.iter().enumerate() {
        let row = source.row(index as u64).expect("row");
        let rendered = program
            .render(&row, &ApplyOptions::default())
            .unwrap_or_else(|error| panic!("row {index}: {error}"));
        assert_eq!(&rendered.parts, parts, "row {index}");
    }
}

#[test]
fn lines_python_refuses_are_refused_with_their_line() {
    let dir = tempfile::tempdir().expect("temp");
    let cases = [
        (
            "{\"a\": nan}",
            "line 2: not JSON: expected ident at line 1 column 8",
        ),
        ("{\"a\": -NaN}", "line 2: not JSON"),
        ("{\"a\": NaN", "line 2: not JSON"),
        ("[NaN]", "line 2: expected a JSON object, found an array"),
    ];
    for (line, message) in cases {
        let path = dir.path().join("bad.jsonl");
        std::fs::write(&path, format!("{{\"a\": 1.5}}\n{line}\n")).expect("written");
        let source = open(&path).expect("the first line is good");
        let error = source.row(1).expect_err("refused").to_string();
        assert!(
            error.contains("bad.jsonl") && error.contains(message),
            "{line}: {error}"
        );
    }
}

#[test]
fn huge_and_deep_values_are_errors_not_crashes() {
    let dir = tempfile::tempdir().expect("temp");
    let path = dir.path().join("huge.jsonl");
    // Python: "Exceeds the limit (4300 digits) for integer string conversion".
    std::fs::write(&path, format!("{{\"n\": {}}}\n", "9".repeat(5000))).expect("written");
    let error = open(&path).map(|_| ()).expect_err("refused").to_string();
    assert!(
        error.contains("line 1") && error.contains("an integer of 5000 digits"),
        "{error}"
    );
    let deep = format!("{{\"n\": {}NaN{}}}\n", "[".repeat(5000), "]".repeat(5000));
    std::fs::write(&path, deep).expect("written");
    let error = open(&path).map(|_| ()).expect_err("refused").to_string();
    assert!(
        error.contains("line 1") && error.contains("not JSON"),
        "{error}"
    );
}

/// Line by line against Python: each value as `{{ v }}` renders it, or an
/// error where `json.loads` refuses the line.
#[test]
fn edge_lines_match_python_json_loads() {
    let source = open(&fixtures().join("edge.jsonl")).expect("the first line is good");
    let mut template = Template::new("value");
    template.jinja = "{{ v }}".into();
    let program = CompiledTemplate::compile(&template).expect("compiles");
    let expected: Vec<Option<String>> = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("edge_expected.json")).expect("expected"),
    )
    .expect("expected values");
    let lines: Vec<String> = std::fs::read_to_string(fixtures().join("edge.jsonl"))
        .expect("lines")
        .lines()
        .map(str::to_string)
        .collect();
    for (index, wanted) in expected.iter().enumerate() {
        let line = &lines[index];
        match (source.row(index as u64), wanted) {
            (Ok(row), Some(wanted)) => {
                let rendered = program
                    .render(&row, &ApplyOptions::default())
                    .unwrap_or_else(|error| panic!("{line}: {error}"));
                assert_eq!(&rendered.parts[0], wanted, "{line}");
            }
            (Err(error), None) => {
                let message = error.to_string();
                assert!(
                    message.contains(&format!("line {}", index + 1)),
                    "{message}"
                );
            }
            (Ok(row), None) => panic!("{line}: Python refuses it, read as {row:?}"),
            (Err(error), Some(wanted)) => panic!("{line}: Python reads {wanted}, here {error}"),
        }
    }
}
