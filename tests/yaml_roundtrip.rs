//! The YAML reader and writer against PyYAML: the whole PromptSource
//! collection round trip, edits checked against PyYAML's own output
//! (fixtures made by tests/fixtures/yaml/generate.py), load errors with
//! their positions, atomic saves and the changed-on-disk refusal.

use std::path::{Path, PathBuf};

use promptstudio::core::catalog::Catalog;
use promptstudio::core::template::DatasetTemplates;

fn conformance_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("PROMPTSTUDIO_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    if dir.join("templates").is_dir() {
        return Some(dir);
    }
    if std::env::var("PROMPTSTUDIO_REQUIRE_CONFORMANCE").as_deref() == Ok("1") {
        panic!("conformance corpus not found at {}", dir.display());
    }
    println!(
        "SKIP: conformance corpus not found at {} (set PROMPTSTUDIO_CONFORMANCE)",
        dir.display()
    );
    None
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
