//! Loading the PromptSource collection (279 files, 2085 templates) and
//! writing it back. PromptSource itself takes about 2 s to load it; the goal
//! is under 50 ms.
//!
//! The corpus is found like the integration tests find it
//! (`PROMPTSTUDIO_CONFORMANCE`, else `../shared/conformance`).

use std::path::{Path, PathBuf};

use promptstudio::core::catalog::Catalog;
use promptstudio::core::template::DatasetTemplates;

fn templates_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("PROMPTSTUDIO_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"))
        .join("templates");
    dir.is_dir().then_some(dir)
}

// The binary's allocator (see src/main.rs), so the figures are the program's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    if templates_dir().is_none() {
        println!("SKIP: conformance corpus not found (set PROMPTSTUDIO_CONFORMANCE)");
        return;
    }
    divan::main();
}

/// Discovery, reading and parsing of every file, in parallel.
#[divan::bench(sample_count = 30)]
fn discover_and_load(bencher: divan::Bencher) {
    let Some(dir) = templates_dir() else { return };
    bencher.bench(|| {
        let catalog = Catalog::discover(&dir);
        assert_eq!(catalog.files.len(), 279);
        catalog
    });
}

/// Parsing alone, one thread, from text already in memory.
#[divan::bench(sample_count = 30)]
fn parse_all_single_thread(bencher: divan::Bencher) {
    let Some(dir) = templates_dir() else { return };
    let catalog = Catalog::discover(&dir);
    let texts: Vec<(PathBuf, String)> = catalog
        .files
        .iter()
        .map(|f| {
            (
                f.path.clone(),
                std::fs::read_to_string(&f.path).expect("readable"),
            )
        })
        .collect();
    bencher.bench(|| {
        texts
            .iter()
            .map(|(path, text)| {
                DatasetTemplates::parse(text, path)
                    .expect("parses")
                    .templates
                    .len()
            })
            .sum::<usize>()
    });
}

/// Writing every file as PyYAML would.
#[divan::bench(sample_count = 30)]
fn write_all(bencher: divan::Bencher) {
    let Some(dir) = templates_dir() else { return };
    let catalog = Catalog::discover(&dir);
    bencher.bench(|| {
        catalog
            .files
            .iter()
            .map(|f| f.to_yaml().len())
            .sum::<usize>()
    });
}
