//! The YAML reader and writer against PyYAML: the whole PromptSource
//! collection round trip, edits checked against PyYAML's own output
//! (fixtures made by tests/fixtures/yaml/generate.py), load errors with
//! their positions, atomic saves and the changed-on-disk refusal.

use crate::corpus;

use std::path::{Path, PathBuf};

use promptstudio::core::catalog::Catalog;
use promptstudio::core::template::{
    DatasetTemplates, Metadata, Template, Unset, UnsetFields, Value,
};
use serde_json::Value as Json;

fn conformance_dir() -> Option<PathBuf> {
    corpus::conformance("templates")
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

/// A metadata list: `null` and a missing key are kept as such (see [`Unset`]).
fn json_strings(json: &Json, field: &str) -> (Vec<String>, Unset) {
    match json.get(field) {
        None => (Vec::new(), Unset::Missing),
        Some(Json::Null) => (Vec::new(), Unset::Null),
        Some(list) => (
            list.as_array()
                .expect("a list")
                .iter()
                .map(|v| v.as_str().expect("a string").to_owned())
                .collect(),
            Unset::Empty,
        ),
    }
}

/// How a metadata flag is written while `None`.
fn json_flag_form(json: &Json, field: &str) -> Unset {
    if json.get(field).is_some() {
        Unset::Empty
    } else {
        Unset::Missing
    }
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
            let (metrics, metrics_form) = json_strings(m, "metrics");
            let (languages, languages_form) = json_strings(m, "languages");
            Template {
                id: json_str(t, "id").into(),
                name: json_str(t, "name").into(),
                jinja: json_str(t, "jinja").into(),
                reference: json_str(t, "reference").into(),
                answer_choices: t["answer_choices"].as_str().map(Into::into),
                metadata: Metadata {
                    original_task: json_bool(m, "original_task"),
                    choices_in_prompt: json_bool(m, "choices_in_prompt"),
                    metrics,
                    languages,
                    unset: UnsetFields {
                        original_task: json_flag_form(m, "original_task"),
                        choices_in_prompt: json_flag_form(m, "choices_in_prompt"),
                        metrics: metrics_form,
                        languages: languages_form,
                    },
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

const VALID: &str = "\
dataset: demo
templates:
  a1: !Template
    answer_choices: null
    id: a1
    jinja: Hello {{x}} ||| {{y}}
    metadata: !TemplateMetadata
      choices_in_prompt: false
      languages:
      - en
      metrics:
      - Accuracy
      original_task: true
    name: hello
    reference: ''
";

/// Parses `VALID` with `from` replaced by `to` and returns the error.
fn load_error(from: &str, to: &str) -> promptstudio::core::yaml::LoadError {
    assert!(VALID.contains(from), "{from:?} not in the sample");
    let text = VALID.replacen(from, to, 1);
    match DatasetTemplates::parse(&text, Path::new("t/templates.yaml")) {
        Ok(_) => panic!("no error for {to:?}"),
        Err(e) => e,
    }
}

#[test]
fn load_errors_name_file_line_and_column() {
    assert!(DatasetTemplates::parse(VALID, Path::new("t/templates.yaml")).is_ok());
    let cases: &[(&str, &str, usize, usize, &str)] = &[
        (
            "    name: hello\n",
            "    name: [hello\n",
            15,
            14,
            "illegal placement of ':'",
        ),
        ("a1: !Template", "a1:", 4, 5, "missing tag `!Template`"),
        (
            "a1: !Template",
            "a1: !Templat",
            3,
            7,
            "expected tag `!Template`, found `!Templat`",
        ),
        (
            "!TemplateMetadata",
            "!Metadata",
            7,
            15,
            "expected tag `!TemplateMetadata`",
        ),
        (
            "    jinja: Hello {{x}} ||| {{y}}\n",
            "",
            3,
            7,
            "missing field `jinja`",
        ),
        (
            "      metrics:\n      - Accuracy\n",
            "      metrics: Accuracy\n",
            11,
            16,
            "`metrics` must be a list of strings or null, found a string",
        ),
        (
            "jinja: Hello {{x}} ||| {{y}}",
            "jinja: [1, 2]",
            6,
            12,
            "`jinja` must be a string, found a sequence",
        ),
        (
            "name: hello",
            "name: 12",
            14,
            11,
            "`name` must be a string, found an integer",
        ),
        (
            "original_task: true",
            "original_task: maybe",
            13,
            22,
            "must be true, false or null, found a string",
        ),
        (
            "      - en\n",
            "      - 1.5\n",
            10,
            9,
            "`languages` must be a string, found a float",
        ),
        (
            "    id: a1",
            "    id: b2",
            5,
            9,
            "its `id` is `b2`, which differs from its key",
        ),
        ("dataset: demo\n", "", 1, 1, "missing field `dataset`"),
        (
            "    reference: ''\n",
            "    reference: ''\n  a1: !Template {}\n",
            16,
            3,
            "templates: duplicate key `a1`",
        ),
        (
            "dataset: demo",
            "dataset: demo\x01",
            1,
            14,
            "unacceptable character U+0001",
        ),
        (
            "answer_choices: null",
            "answer_choices: *nothing",
            4,
            21,
            "unknown anchor",
        ),
    ];
    let mut failures = Vec::new();
    for &(from, to, line, column, message) in cases {
        let error = load_error(from, to);
        let ok = error.path == Path::new("t/templates.yaml")
            && error.line == Some(line)
            && error.column == Some(column)
            && error.message.contains(message);
        if !ok {
            failures.push(format!(
                "{to:?}: expected {line}:{column} {message:?}, got {error}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn load_error_display_is_path_line_column_message() {
    let error = load_error("name: hello", "name: 12");
    assert_eq!(
        error.to_string(),
        "t/templates.yaml:14:11: template `a1`: `name` must be a string, found an integer"
    );
}

#[test]
fn hand_written_yaml_is_read_as_pyyaml_reads_it() {
    let folder = fixtures().join("handwritten");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&folder)
        .expect("handwritten folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.to_string_lossy().ends_with(".yaml")
                && !p.to_string_lossy().ends_with(".expected.yaml")
        })
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 2);
    for input in inputs {
        let expected_path = input.with_extension("expected.yaml");
        let expected = std::fs::read_to_string(&expected_path).expect("expected output");
        let file = DatasetTemplates::load(&input).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(file.to_yaml(), expected, "{}", input.display());
    }
}

#[test]
fn anchors_remember_which_templates_shared_metadata() {
    let file = DatasetTemplates::load(&fixtures().join("handwritten/shared.yaml")).expect("loads");
    let ids: Vec<Vec<&str>> = file
        .shared_metadata
        .iter()
        .map(|g| g.iter().map(|id| &**id).collect())
        .collect();
    assert_eq!(ids, vec![vec!["c", "b"], vec!["a", "d"]]);
}

mod saving {
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    use promptstudio::core::fsutil::{write_atomic, SaveError};
    use promptstudio::core::template::{DatasetTemplates, Template};
    use promptstudio::core::yaml::{check_format, format_file, FormatOutcome};

    use super::{fixtures, VALID};

    fn folder_entries(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .expect("listable")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn atomic_write_replaces_content_keeps_permissions_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("templates.yaml");
        write_atomic(&path, b"first\n").expect("creates");
        assert_eq!(std::fs::read(&path).expect("readable"), b"first\n");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        write_atomic(&path, b"second\n").expect("replaces");
        assert_eq!(std::fs::read(&path).expect("readable"), b"second\n");
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(folder_entries(dir.path()), vec!["templates.yaml"]);
    }

    #[test]
    fn atomic_write_keeps_the_owner_when_allowed() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("templates.yaml");
        std::fs::write(&path, "old").expect("writable");
        if std::os::unix::fs::chown(&path, Some(4321), Some(4321)).is_err() {
            println!("SKIP: giving a file away needs root");
            return;
        }
        write_atomic(&path, b"new").expect("writes");
        let metadata = std::fs::metadata(&path).expect("metadata");
        assert_eq!((metadata.uid(), metadata.gid()), (4321, 4321));
    }

    #[test]
    fn atomic_write_through_a_symlink_replaces_the_target() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("real.yaml");
        let link = dir.path().join("templates.yaml");
        std::fs::write(&target, "old").expect("writable");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        write_atomic(&link, b"new").expect("writes");
        assert!(std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&target).expect("readable"), "new");
    }

    #[test]
    fn atomic_write_into_a_missing_folder_fails_cleanly() {
        let dir = tempfile::tempdir().expect("temp dir");
        let error =
            write_atomic(&dir.path().join("missing/templates.yaml"), b"x").expect_err("no folder");
        assert!(matches!(error, SaveError::Io { .. }), "{error}");
    }

    fn loaded_copy(dir: &Path) -> DatasetTemplates {
        let path = dir.join("templates.yaml");
        std::fs::write(&path, VALID).expect("writable");
        DatasetTemplates::load(&path).expect("loads")
    }

    #[test]
    fn save_if_unchanged_refuses_to_overwrite_changes_made_on_disk() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut file = loaded_copy(dir.path());
        let loaded = file.fingerprint.clone().expect("fingerprint");
        let outside = VALID.replace("name: hello", "name: changed elsewhere");
        std::fs::write(&file.path, &outside).expect("outside edit");

        file.templates[0].jinja = "edited here".into();
        let error = file.save_if_unchanged(&loaded).expect_err("must refuse");
        assert!(matches!(error, SaveError::ChangedOnDisk { .. }), "{error}");
        assert!(error.to_string().contains("changed on disk"));
        assert_eq!(
            std::fs::read_to_string(&file.path).expect("readable"),
            outside
        );
        assert_eq!(folder_entries(dir.path()), vec!["templates.yaml"]);

        // After reloading, the edit can be saved, and the new fingerprint
        // allows the next save.
        let mut reloaded = DatasetTemplates::load(&file.path).expect("reloads");
        reloaded.templates[0].jinja = "edited here".into();
        let saved = reloaded
            .save_if_unchanged(reloaded.fingerprint.as_ref().expect("fingerprint"))
            .expect("saves");
        reloaded.templates.push(Template::new("another"));
        reloaded.save_if_unchanged(&saved).expect("saves again");
        let again = DatasetTemplates::load(&file.path).expect("loads");
        assert_eq!(again.templates.len(), 2);
        assert_eq!(&*again.template("a1").expect("kept").jinja, "edited here");
    }

    #[test]
    fn save_if_unchanged_accepts_a_touched_but_identical_file_and_refuses_a_deleted_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = loaded_copy(dir.path());
        let loaded = file.fingerprint.clone().expect("fingerprint");
        std::fs::write(&file.path, VALID).expect("rewritten with the same bytes");
        file.save_if_unchanged(&loaded)
            .expect("same content is not a change");

        let saved = DatasetTemplates::load(&file.path)
            .expect("loads")
            .fingerprint
            .expect("fingerprint");
        std::fs::remove_file(&file.path).expect("deleted");
        let error = file
            .save_if_unchanged(&saved)
            .expect_err("deleted counts as changed");
        assert!(matches!(error, SaveError::ChangedOnDisk { .. }));
        assert!(!file.path.exists());
    }

    #[test]
    fn a_new_collection_is_saved_in_a_new_folder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("my_dataset/my_subset/templates.yaml");
        let mut file = DatasetTemplates::new(&path, "my_dataset", Some("my_subset".into()));
        let mut template = Template::new("first");
        template.jinja = "{{text}} ||| {{label}}".into();
        file.templates.push(template);
        let saved = file.save().expect("saves");
        let loaded = DatasetTemplates::load(&path).expect("loads");
        assert_eq!(loaded.fingerprint.as_ref(), Some(&saved));
        assert_eq!(loaded.templates, file.templates);
        assert_eq!(loaded.subset.as_deref(), Some("my_subset"));
    }

    #[test]
    fn saving_an_edit_changes_only_the_edited_lines() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut file = loaded_copy(dir.path());
        file.templates[0].reference = "A new reference".into();
        file.save().expect("saves");
        let saved = std::fs::read_to_string(&file.path).expect("readable");
        let changed: Vec<(&str, &str)> = VALID
            .lines()
            .zip(saved.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(
            changed,
            vec![("    reference: ''", "    reference: A new reference")]
        );
    }

    #[test]
    fn format_rewrites_to_canonical_form_and_check_only_reports() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("templates.yaml");
        let input =
            std::fs::read_to_string(fixtures().join("handwritten/styles.yaml")).expect("fixture");
        let canonical =
            std::fs::read_to_string(fixtures().join("handwritten/styles.expected.yaml"))
                .expect("fixture");
        std::fs::write(&path, &input).expect("writable");

        assert_eq!(
            check_format(&path).expect("checks"),
            FormatOutcome::Reformatted
        );
        assert_eq!(std::fs::read_to_string(&path).expect("readable"), input);
        assert_eq!(
            format_file(&path).expect("formats"),
            FormatOutcome::Reformatted
        );
        assert_eq!(std::fs::read_to_string(&path).expect("readable"), canonical);
        assert_eq!(
            format_file(&path).expect("formats"),
            FormatOutcome::Unchanged
        );
        assert_eq!(
            check_format(&path).expect("checks"),
            FormatOutcome::Unchanged
        );

        std::fs::write(&path, "dataset: [").expect("writable");
        let error = format_file(&path).expect_err("broken file");
        assert_eq!(error.path, path);
        assert!(error.line.is_some());
    }

    #[test]
    fn fmt_refuses_a_read_only_file_naming_it_with_exit_2_and_formats_the_others() {
        let dir = tempfile::tempdir().expect("temp dir");
        let styles =
            std::fs::read_to_string(fixtures().join("handwritten/styles.yaml")).expect("fixture");
        let expected = std::fs::read_to_string(fixtures().join("handwritten/styles.expected.yaml"))
            .expect("fixture");
        let locked = dir.path().join("a/templates.yaml");
        let open = dir.path().join("b/templates.yaml");
        for path in [&locked, &open] {
            std::fs::create_dir_all(path.parent().expect("folder")).expect("folder");
            std::fs::write(path, &styles).expect("writable");
        }
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o444)).expect("chmod");
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_promptstudio"))
            .arg("fmt")
            .arg(dir.path())
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "{}: not written: the file is read-only",
                locked.display()
            )),
            "{stderr}"
        );
        assert_eq!(std::fs::read_to_string(&locked).expect("readable"), styles);
        assert_eq!(std::fs::read_to_string(&open).expect("readable"), expected);
    }
}

#[test]
fn catalog_discovers_files_by_their_own_names_and_keeps_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |relative: &str, text: &str| {
        let path = dir.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("folders");
        std::fs::write(path, text).expect("writable");
    };
    write("a/templates.yaml", VALID);
    // The folder layout does not name the dataset: the file does.
    write(
        "odd/place/templates.yaml",
        &VALID.replace("dataset: demo", "dataset: user/other\nsubset: s1"),
    );
    write("broken/templates.yaml", "dataset: x\ntemplates: [\n");
    write(".hidden/templates.yaml", VALID);
    write("target/templates.yaml", VALID);
    write("a/notes.yaml", VALID);
    std::os::unix::fs::symlink(dir.path(), dir.path().join("a/loop")).expect("symlink");

    let catalog = Catalog::discover(dir.path());
    let names: Vec<(&str, Option<&str>)> = catalog
        .files
        .iter()
        .map(|f| (f.dataset.as_str(), f.subset.as_deref()))
        .collect();
    assert_eq!(names, vec![("demo", None), ("user/other", Some("s1"))]);
    assert_eq!(catalog.errors.len(), 1);
    assert!(catalog.errors[0].path.ends_with("broken/templates.yaml"));
    assert!(catalog.find("user/other", Some("s1")).is_some());
    assert!(catalog.find("user/other", None).is_none());
    assert_eq!(
        catalog.template("demo", None, "hello").map(|t| &*t.id),
        Some("a1")
    );
    assert_eq!(
        catalog.template("demo", None, "a1").map(|t| &*t.name),
        Some("hello")
    );
    assert!(catalog.template("demo", None, "nope").is_none());

    let single = Catalog::discover(&dir.path().join("odd/place/templates.yaml"));
    assert_eq!(single.files.len(), 1);
    assert!(single.errors.is_empty());
}

#[test]
fn whole_file_problems_are_reported_with_their_position() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("templates.yaml");
    // (file bytes, expected line and column, expected message part)
    type Case<'a> = (&'a [u8], Option<(usize, usize)>, &'a str);
    let cases: &[Case] = &[
        (b"dataset: caf\xe9\n", Some((1, 13)), "not valid UTF-8"),
        (b"", Some((1, 1)), "the file is empty"),
        (b"# only a comment\n", Some((1, 1)), "the file is empty"),
        (
            b"dataset: a\ntemplates: {}\n---\ndataset: b\n",
            Some((3, 1)),
            "single document",
        ),
        (
            b"- a\n- b\n",
            Some((1, 1)),
            "top level: expected a mapping, found a sequence",
        ),
    ];
    for &(bytes, position, message) in cases {
        std::fs::write(&path, bytes).expect("writable");
        let error = DatasetTemplates::load(&path).expect_err("must fail");
        assert_eq!(error.path, path);
        assert_eq!(error.line.zip(error.column), position, "{error}");
        assert!(error.message.contains(message), "{error}");
    }
    let missing = DatasetTemplates::load(&dir.path().join("missing.yaml")).expect_err("no file");
    assert_eq!((missing.line, missing.column), (None, None));
    assert!(missing.to_string().starts_with(&format!(
        "{}: cannot read",
        dir.path().join("missing.yaml").display()
    )));
}

#[test]
fn nesting_too_deep_is_an_error_not_a_crash() {
    // Flow collections: the parser's own limit.
    let flow = format!("dataset: a\ntemplates: {{}}\nx: {}\n", "[".repeat(100_000));
    let error = DatasetTemplates::parse(&flow, Path::new("deep.yaml")).expect_err("too deep");
    assert_eq!(error.line, Some(3), "{error}");
    assert!(error.message.contains("recursion limit"), "{error}");
    // Block mappings, nested by indentation.
    let mut block = String::from("dataset: a\ntemplates: {}\n");
    for level in 0..600 {
        block.push_str(&format!("{}k:\n", "  ".repeat(level)));
    }
    block.push_str(&format!("{}k: v\n", "  ".repeat(600)));
    let error = DatasetTemplates::parse(&block, Path::new("deep.yaml")).expect_err("too deep");
    assert!(
        error.message.contains("nested more than 512 deep"),
        "{error}"
    );
    assert_eq!(error.line, Some(3 + 512), "{error}");
}

#[test]
fn exponential_aliases_are_refused_not_expanded() {
    let mut text =
        String::from("dataset: a\ntemplates: {}\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let previous = format!("*l{}", level - 1);
        text.push_str(&format!(
            "l{level}: &l{level} [{}]\n",
            vec![previous; 10].join(", ")
        ));
    }
    let error = DatasetTemplates::parse(&text, Path::new("laughs.yaml")).expect_err("refused");
    assert!(
        error.message.contains("aliases expand to more than"),
        "{error}"
    );
}

#[test]
fn a_long_text_repeated_through_aliases_is_refused() {
    let mut text = format!(
        "dataset: a\ntemplates: {{}}\nlong: &s '{}'\nmany: [",
        "x".repeat(100_000)
    );
    text.push_str(&vec!["*s"; 100].join(", "));
    text.push_str("]\n");
    let error = DatasetTemplates::parse(&text, Path::new("long.yaml")).expect_err("refused");
    assert!(error.message.contains("too much text"), "{error}");
}
