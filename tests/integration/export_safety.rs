//! `export` and `export --merge` stay inside the folders they were given:
//! crafted shard manifests, links inside shard folders, output folders that
//! are not export folders, template names too long for a folder name, and
//! an exit status that does not depend on where shard boundaries fall. Runs
//! the built binary on a small workspace made here.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const TEMPLATES: &str = r#"dataset: tiny
templates:
  1111aaaa-0000-0000-0000-000000000000: !Template
    answer_choices: null
    id: 1111aaaa-0000-0000-0000-000000000000
    jinja: '{{text}} ||| {{label}}'
    metadata: !TemplateMetadata
      choices_in_prompt: false
      languages:
      - en
      metrics:
      - Accuracy
      original_task: true
    name: NAME
    reference: ''
  2222bbbb-0000-0000-0000-000000000000: !Template
    answer_choices: null
    id: 2222bbbb-0000-0000-0000-000000000000
    jinja: '{{text}} ||| {{ label / 0 }}'
    metadata: !TemplateMetadata
      choices_in_prompt: false
      languages:
      - en
      metrics:
      - Accuracy
      original_task: true
    name: fails_on_every_row
    reference: ''
"#;

/// A workspace with dataset `tiny` (3 rows) and two templates, the first
/// named `name`, the second failing on every row.
fn workspace(name: &str) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    let templates = work.path().join("templates/tiny");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("templates.yaml"),
        TEMPLATES.replace("NAME", name),
    )
    .unwrap();
    let data = work.path().join("data/tiny/_");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("train.jsonl"),
        "{\"text\": \"a\", \"label\": 0}\n{\"text\": \"b\", \"label\": 1}\n{\"text\": \"c\", \"label\": 0}\n",
    )
    .unwrap();
    work
}

fn promptstudio(arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_promptstudio"))
        .args(arguments)
        .output()
        .unwrap()
}

fn export(work: &Path, out: &Path, extra: &[&str]) -> Output {
    let workspace = work.to_str().unwrap();
    let mut arguments = vec![
        "export",
        "--workspace",
        workspace,
        "--dataset",
        "tiny",
        "--format",
        "jsonl",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    arguments.extend_from_slice(extra);
    promptstudio(&arguments)
}

fn merge(inputs: &[&Path], out: &Path) -> Output {
    let mut arguments = vec!["export", "--out", out.to_str().unwrap(), "--merge"];
    arguments.extend(inputs.iter().map(|input| input.to_str().unwrap()));
    promptstudio(&arguments)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_refused(output: &Output, needles: &[&str]) {
    let message = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    for needle in needles {
        assert!(message.contains(needle), "{needle:?} not in {message}");
    }
    assert!(!message.contains("panicked"), "{message}");
}

/// Shards 0 and 1 of 2 of the tiny dataset, exported into `work/shard-<i>`.
fn shards(work: &Path) -> Vec<PathBuf> {
    (0..2)
        .map(|index| {
            let folder = work.join(format!("shard-{index}"));
            let output = export(
                work,
                &folder,
                &["--num-shards", "2", "--shard-index", &index.to_string()],
            );
            assert!(output.status.success(), "{}", stderr(&output));
            folder
        })
        .collect()
}

fn edit_manifest(folder: &Path, edit: impl FnOnce(&mut Value)) {
    let path = folder.join("manifest.json");
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut manifest);
    std::fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
}

#[test]
fn crafted_file_names_in_a_shard_manifest_are_refused() {
    let work = workspace("echo");
    let shards = shards(work.path());
    let victim = work.path().join("victim.jsonl");
    std::fs::write(&victim, "precious\n").unwrap();
    let original = std::fs::read_to_string(shards[1].join("manifest.json")).unwrap();
    let crafted = [
        "../../../victim.jsonl".to_string(),
        "tiny_echo/../../victim.jsonl".to_string(),
        victim.display().to_string(),
        "tiny_echo/sub/train.jsonl".to_string(),
        "tiny_echo/train\u{0}.jsonl".to_string(),
    ];
    for (attempt, file) in crafted.iter().enumerate() {
        std::fs::write(shards[1].join("manifest.json"), &original).unwrap();
        edit_manifest(&shards[1], |manifest| {
            manifest["outputs"][0]["files"][0] = Value::String(file.clone());
        });
        let out = work.path().join(format!("merged-{attempt}"));
        let output = merge(&[&shards[0], &shards[1]], &out);
        assert_refused(&output, &["shard-1/manifest.json", "outputs[0].files[0]"]);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    }
    // A plain name that is not the shard's own file is refused too.
    std::fs::write(shards[1].join("manifest.json"), &original).unwrap();
    edit_manifest(&shards[1], |manifest| {
        let task = manifest["outputs"][0]["task"].as_str().unwrap().to_string();
        manifest["outputs"][0]["files"][0] = Value::String(format!("{task}/other.jsonl"));
    });
    let output = merge(&[&shards[0], &shards[1]], &work.path().join("merged-other"));
    assert_refused(&output, &["shard-1", "expected"]);
    // A task that is not a plain name.
    std::fs::write(shards[1].join("manifest.json"), &original).unwrap();
    edit_manifest(&shards[1], |manifest| {
        manifest["outputs"][0]["task"] = Value::String("..".to_string());
    });
    let output = merge(&[&shards[0], &shards[1]], &work.path().join("merged-task"));
    assert_refused(&output, &["shard-1/manifest.json", "outputs[0].task"]);
}

#[test]
fn crafted_settings_and_counts_are_refused_without_a_panic() {
    let work = workspace("echo");
    let shards = shards(work.path());
    let original = std::fs::read_to_string(shards[0].join("manifest.json")).unwrap();
    type Edit = (&'static str, fn(&mut Value));
    let edits: [Edit; 4] = [
        ("settings.num_shards", |manifest| {
            manifest["settings"]["num_shards"] = Value::from(1u64 << 62);
        }),
        ("settings.shard_index", |manifest| {
            manifest["settings"]["shard_index"] = Value::from(7);
        }),
        ("outputs[0].counts", |manifest| {
            manifest["outputs"][0]["counts"]["selected_rows"] = Value::from(u64::MAX);
        }),
        ("settings.tokenizer_sha256", |manifest| {
            manifest["settings"]["tokenizer_sha256"] = Value::from("../x");
        }),
    ];
    for (field, edit) in edits {
        std::fs::write(shards[0].join("manifest.json"), &original).unwrap();
        edit_manifest(&shards[0], edit);
        let output = merge(&[&shards[0], &shards[1]], &work.path().join("merged"));
        assert_refused(&output, &["shard-0/manifest.json", field]);
    }
}

#[test]
fn links_inside_a_shard_are_neither_followed_nor_copied() {
    let work = workspace("echo");
    let shards = shards(work.path());
    let secret = work.path().join("secret.txt");
    std::fs::write(&secret, "secret\n").unwrap();
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(shards[1].join("manifest.json")).unwrap())
            .unwrap();
    let file = shards[1].join(manifest["outputs"][0]["files"][0].as_str().unwrap());
    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink(&secret, &file).unwrap();
    let out = work.path().join("merged");
    let output = merge(&[&shards[0], &shards[1]], &out);
    assert_refused(&output, &["symbolic link"]);

    // A task folder that is a link to somewhere else.
    std::fs::remove_file(&file).unwrap();
    let task = file.parent().unwrap();
    let elsewhere = work.path().join("elsewhere");
    std::fs::rename(task, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, task).unwrap();
    let output = merge(&[&shards[0], &shards[1]], &work.path().join("merged-2"));
    assert_refused(&output, &["symbolic link"]);

    // A manifest that is a link.
    let manifest_path = shards[0].join("manifest.json");
    let moved = work.path().join("moved-manifest.json");
    std::fs::rename(&manifest_path, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &manifest_path).unwrap();
    let output = merge(&[&shards[0], &shards[1]], &work.path().join("merged-3"));
    assert_refused(&output, &["shard-0/manifest.json", "symbolic link"]);
}

#[test]
fn merge_out_must_be_apart_from_its_inputs() {
    let work = workspace("echo");
    let shards = shards(work.path());
    let before = std::fs::read(shards[0].join("manifest.json")).unwrap();
    let output = merge(&[&shards[0], &shards[1]], &shards[0]);
    assert_refused(&output, &["is one of the shard folders"]);
    let output = merge(&[&shards[0], &shards[1]], &shards[1].join("merged"));
    assert_refused(&output, &["lies inside the shard folder"]);
    let output = merge(&[&shards[0], &shards[1]], work.path());
    assert_refused(&output, &["holds the shard folder"]);
    assert_eq!(
        std::fs::read(shards[0].join("manifest.json")).unwrap(),
        before
    );

    let merged = work.path().join("merged");
    let output = merge(&[&shards[0], &shards[1]], &merged);
    assert!(output.status.success(), "{}", stderr(&output));
    // Merging again into the same folder replaces it.
    let output = merge(&[&shards[0], &shards[1]], &merged);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn out_must_be_new_empty_or_an_export_folder() {
    let work = workspace("echo");
    let output = export(work.path(), Path::new("/"), &[]);
    assert_refused(&output, &["is not empty and holds no manifest.json"]);
    // The workspace itself is not an export folder.
    let output = export(work.path(), work.path(), &[]);
    assert_refused(&output, &["is not empty and holds no manifest.json"]);
    assert!(!work.path().join("manifest.json").exists());
    let output = merge(
        &[&work.path().join("a"), &work.path().join("b")],
        Path::new("/"),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(!Path::new("/manifest.json").exists());

    let empty = work.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let output = export(work.path(), &empty, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    // Its own folder is an export folder: a rerun resumes.
    let output = export(work.path(), &empty, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn a_template_name_too_long_for_a_folder_is_shortened() {
    let long_name = "x".repeat(300);
    let work = workspace(&long_name);
    let out = work.path().join("out");
    let output = export(work.path(), &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let entry = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["template_name"] == long_name.as_str())
        .unwrap();
    let task = entry["task"].as_str().unwrap();
    assert!(task.len() <= 255 && task.starts_with("tiny_xxx"), "{task}");
    assert_eq!(
        entry["full_task_name"],
        format!("tiny_{long_name}").as_str()
    );
    let file = out.join(entry["files"][0].as_str().unwrap());
    assert_eq!(std::fs::read_to_string(file).unwrap().lines().count(), 3);
    // The same folder on a rerun: nothing to redo.
    let output = export(work.path(), &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 3);
}

#[test]
fn exit_status_does_not_depend_on_shard_boundaries() {
    let work = workspace("echo");
    // Shard 2 of 3 holds one row, on which the second template fails: the
    // shard ran and wrote complete outputs, so it succeeds like the others.
    for index in 0..3 {
        let out = work.path().join(format!("shard-{index}"));
        let output = export(
            work.path(),
            &out,
            &["--num-shards", "3", "--shard-index", &index.to_string()],
        );
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap())
                .unwrap();
        let failing = manifest["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["template_name"] == "fails_on_every_row")
            .unwrap();
        assert_eq!(failing["counts"]["errors"], 1);
        assert_eq!(failing["complete"], true);
    }
    let output = export(work.path(), &work.path().join("whole"), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = export(work.path(), &work.path().join("strict"), &["--strict"]);
    assert_refused(&output, &["--strict", "fails_on_every_row"]);
}

#[test]
fn a_link_in_place_of_a_task_folder_is_refused() {
    let work = workspace("echo");
    let out = work.path().join("out");
    let output = export(work.path(), &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    // The template changed: its output is redone, into a planted link.
    let templates = work.path().join("templates/tiny/templates.yaml");
    let text = std::fs::read_to_string(&templates).unwrap();
    std::fs::write(
        &templates,
        text.replace("{{text}} ||| {{label}}", "{{text}}! ||| {{label}}"),
    )
    .unwrap();
    let elsewhere = work.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::remove_dir_all(out.join("tiny_echo")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("tiny_echo")).unwrap();
    let output = export(work.path(), &out, &[]);
    assert_refused(&output, &["tiny_echo", "symbolic link"]);
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
}
