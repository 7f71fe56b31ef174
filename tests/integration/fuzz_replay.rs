//! Replays every committed fuzz input (`fuzz/corpus/<target>/` and the
//! crash inputs in `fuzz/regressions/<target>/`) through the entry function
//! its fuzz target calls, on the stable toolchain: a crash the fuzzer once
//! found cannot come back unnoticed without nightly or cargo-fuzz.

use std::path::{Path, PathBuf};

use promptstudio::fuzzing;

type Entry = fn(&[u8]);

/// Every fuzz target and the library function it wraps.
const TARGETS: &[(&str, Entry)] = &[
    ("template_render", fuzzing::template_render),
    ("templates_yaml", fuzzing::templates_yaml),
    ("jsonl", fuzzing::jsonl),
    ("csv", fuzzing::csv),
    ("parquet", fuzzing::parquet),
    ("arrow_ipc", fuzzing::arrow_ipc),
    ("export_manifest", fuzzing::export_manifest),
    ("chat_template", fuzzing::chat_template),
];

fn fuzz_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn inputs(folder: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("readable fuzz folder").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str) {
    let entry = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, entry)| *entry)
        .expect("a listed target");
    let corpus = inputs(&fuzz_folder().join("corpus").join(target));
    let regressions = inputs(&fuzz_folder().join("regressions").join(target));
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{target} holds no inputs: the fuzz corpus is committed with the target"
    );
    for path in corpus.iter().chain(&regressions) {
        let data = std::fs::read(path).expect("readable fuzz input");
        // The path is printed first so that the test's output names the
        // input when the entry panics.
        eprintln!("replaying {}", path.display());
        entry(&data);
    }
    eprintln!(
        "{target}: {} corpus inputs and {} crash inputs replayed",
        corpus.len(),
        regressions.len()
    );
}

#[test]
fn every_fuzz_target_is_replayed() {
    let mut targets: Vec<String> = inputs(&fuzz_folder().join("fuzz_targets"))
        .iter()
        .filter_map(|path| Some(path.file_stem()?.to_str()?.to_string()))
        .collect();
    targets.sort();
    let mut listed: Vec<String> = TARGETS.iter().map(|(name, _)| name.to_string()).collect();
    listed.sort();
    assert_eq!(targets, listed, "fuzz/fuzz_targets and TARGETS differ");
}

#[test]
fn template_render_inputs() {
    replay("template_render");
}

#[test]
fn templates_yaml_inputs() {
    replay("templates_yaml");
}

#[test]
fn jsonl_inputs() {
    replay("jsonl");
}

#[test]
fn csv_inputs() {
    replay("csv");
}

#[test]
fn parquet_inputs() {
    replay("parquet");
}

#[test]
fn arrow_ipc_inputs() {
    replay("arrow_ipc");
}

#[test]
fn export_manifest_inputs() {
    replay("export_manifest");
}

#[test]
fn chat_template_inputs() {
    replay("chat_template");
}

/// The fuzzer's first Parquet crash: a data page whose header lacks its
/// `data_page_header` made the parquet crate panic while skipping to a row.
#[test]
fn a_parquet_page_without_its_header_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corrupt.parquet");
    std::fs::copy(
        fuzz_folder().join("regressions/parquet/data-page-without-header.parquet"),
        &path,
    )
    .unwrap();
    let source = promptstudio::data::open(&path).expect("the footer is intact");
    let count = source.wait_for_row_count().unwrap();
    let errors: Vec<String> = (0..count)
        .filter_map(|row| source.row(row).err())
        .map(|error| error.to_string())
        .collect();
    assert!(!errors.is_empty(), "some row of the corrupt file reads");
    assert!(
        errors.iter().all(|error| error.contains("corrupt.parquet")),
        "{errors:?}"
    );
}

/// The fuzzer's second Parquet crash: a column chunk with a negative offset
/// or size in the footer made the parquet crate's `byte_range` assert.
#[test]
fn a_negative_column_chunk_offset_is_refused_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("negative.parquet");
    std::fs::copy(
        fuzz_folder().join("regressions/parquet/negative-column-chunk-offset.parquet"),
        &path,
    )
    .unwrap();
    let error = promptstudio::data::open(&path)
        .err()
        .expect("refused at open");
    let message = error.to_string();
    assert!(message.contains("negative.parquet"), "{message}");
    assert!(message.contains("negative offset or size"), "{message}");
}
