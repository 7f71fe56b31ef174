//! Files written by PromptSource itself (tests/fixtures/yaml/promptsource,
//! made by its generate.py with promptsource 0.2.3): a prompt made in its
//! app has `metrics: null`, 0.2.3 never writes `languages`, a hand-edited
//! file may lack keys. They load, render, pass `check` without a load error,
//! come back byte for byte, and an edit is written as PromptSource writes it.

use std::path::{Path, PathBuf};

use promptstudio::core::apply::{ApplyOptions, CompiledTemplate};
use promptstudio::core::catalog::Catalog;
use promptstudio::core::check::check_catalog;
use promptstudio::core::datum::{Datum, Row};
use promptstudio::core::template::{DatasetTemplates, Template, Unset};
use serde_json::Value as Json;

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/yaml/promptsource")
}

/// The files as PromptSource wrote them (not the `.after.yaml` of an edit).
fn written_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder())
        .expect("fixture folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with(".yaml") && !name.ends_with(".after.yaml")
        })
        .collect();
    files.sort();
    assert!(files.len() >= 3, "only {} fixture files", files.len());
    files
}

#[test]
fn files_promptsource_writes_load_and_come_back_byte_for_byte() {
    for path in written_files() {
        let text = std::fs::read_to_string(&path).expect("fixture");
        let file = DatasetTemplates::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(file.to_yaml(), text, "{}", path.display());
    }
}

#[test]
fn null_and_missing_metadata_are_unset() {
    let file = DatasetTemplates::load(&folder().join("app.yaml")).expect("loads");
    let new_prompt = file.template_by_name("new_prompt").expect("new_prompt");
    let metadata = &new_prompt.metadata;
    assert_eq!(metadata.original_task, None);
    assert_eq!(metadata.choices_in_prompt, None);
    assert!(metadata.metrics.is_empty() && metadata.languages.is_empty());
    assert_eq!(metadata.unset.metrics, Unset::Null);
    assert_eq!(metadata.unset.languages, Unset::Missing);

    let hand = DatasetTemplates::load(&folder().join("hand.yaml")).expect("loads");
    let one_key = &hand.template_by_name("one_key").expect("one_key").metadata;
    assert_eq!(one_key.choices_in_prompt, Some(false));
    assert_eq!(one_key.unset.original_task, Unset::Missing);
    assert_eq!(one_key.unset.metrics, Unset::Missing);
}

#[test]
fn templates_with_unset_metadata_render() {
    let row = Row::new(vec![
        ("text".into(), Datum::str("Rain in Paris")),
        ("label".into(), Datum::Int(1)),
    ]);
    let file = DatasetTemplates::load(&folder().join("app.yaml")).expect("loads");
    let template = file.template_by_name("filled_in").expect("filled_in");
    let compiled = CompiledTemplate::compile(template).expect("compiles");
    let applied = compiled
        .apply(&row, &ApplyOptions::default())
        .expect("renders");
    assert_eq!(applied.parts, ["Topic of: Rain in Paris", "Sports"]);
}

#[test]
fn the_dataset_stays_in_the_catalog_and_check_finds_no_load_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (dataset, fixture) in [("ps_app", "app.yaml"), ("ps_hand", "hand.yaml")] {
        std::fs::create_dir(dir.path().join(dataset)).expect("folder");
        std::fs::copy(
            folder().join(fixture),
            dir.path().join(dataset).join("templates.yaml"),
        )
        .expect("copy");
    }
    let catalog = Catalog::discover(dir.path());
    assert!(catalog.errors.is_empty(), "{:?}", catalog.errors);
    assert!(catalog.find("ps_app", None).is_some());
    assert!(catalog.find("ps_hand", None).is_some());
    let findings = check_catalog(&catalog);
    assert!(
        findings.iter().all(|f| f.code != "load-error"),
        "{findings:?}"
    );
}

/// One edit as the studio makes it: only the named field changes.
fn apply_edit(template: &mut Template, field: &str, value: &Json) {
    let strings = || -> Vec<String> {
        value
            .as_array()
            .expect("a list")
            .iter()
            .map(|v| v.as_str().expect("a string").to_owned())
            .collect()
    };
    let text = || value.as_str().expect("a string").into();
    match field {
        "jinja" => template.jinja = text(),
        "reference" => template.reference = text(),
        "name" => template.name = text(),
        "metrics" => template.metadata.metrics = strings(),
        "languages" => template.metadata.languages = strings(),
        "original_task" => template.metadata.original_task = value.as_bool(),
        "choices_in_prompt" => template.metadata.choices_in_prompt = value.as_bool(),
        other => panic!("unknown field {other} in an edit fixture"),
    }
}

#[test]
fn edits_are_written_as_promptsource_writes_them() {
    let mut edits: Vec<PathBuf> = std::fs::read_dir(folder())
        .expect("fixture folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".edit.json"))
        .collect();
    edits.sort();
    assert!(edits.len() >= 6, "only {} edit fixtures", edits.len());
    for edit_path in edits {
        let edit: Json = serde_json::from_str(&std::fs::read_to_string(&edit_path).expect("edit"))
            .expect("json");
        let before = folder().join(edit["before"].as_str().expect("before"));
        let case = edit_path.to_string_lossy().replace(".edit.json", "");
        let expected = std::fs::read_to_string(format!("{case}.after.yaml")).expect("after");
        let mut file = DatasetTemplates::load(&before).expect("loads");
        let id = edit["template"].as_str().expect("template id");
        let template = file
            .templates
            .iter_mut()
            .find(|t| &*t.id == id)
            .expect("template in file");
        apply_edit(
            template,
            edit["field"].as_str().expect("field"),
            &edit["value"],
        );
        assert_eq!(file.to_yaml(), expected, "{case}");
    }
}

#[test]
fn emptying_a_list_again_writes_it_as_the_file_had_it() {
    let mut file = DatasetTemplates::load(&folder().join("app.yaml")).expect("loads");
    let original = std::fs::read_to_string(folder().join("app.yaml")).expect("fixture");
    let template = file
        .templates
        .iter_mut()
        .find(|t| &*t.name == "new_prompt")
        .expect("new_prompt");
    template.metadata.metrics = vec!["Accuracy".into()];
    template.metadata.languages = vec!["en".into()];
    template.metadata.metrics.clear();
    template.metadata.languages.clear();
    assert_eq!(file.to_yaml(), original);
}
