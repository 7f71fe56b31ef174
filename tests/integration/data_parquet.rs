//! Parquet rows against what Python's `datasets` yields for the same files.
//!
//! `tests/fixtures/data/expected_rows.json` was written by
//! `tests/fixtures/data/generate.py` with `datasets` 2.14.7: the fixture
//! files' rows, and counts, columns and one row per distinct schema of the
//! shared corpus. Setting `PROMPTSTUDIO_DATA_ORACLE` to a full dump written
//! by `generate.py oracle` compares every row of the corpus as well.

use crate::corpus;

use std::path::{Path, PathBuf};

use crate::oracle;

use oracle::{check_path, compare_row};
use promptstudio::core::datum::Datum;
use promptstudio::data::parquet::{read_rows, ParquetFile};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data")
}

fn corpus() -> Option<PathBuf> {
    corpus::conformance("data")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(fixtures().join("expected_rows.json"))
        .expect("expected_rows.json is committed");
    serde_json::from_str(&text).expect("expected_rows.json is JSON")
}

/// The engine's entry point, `read_rows`, against the dump, plus every
/// reader-level check.
fn check_file(path: &Path, dump: &Value) -> Vec<String> {
    let mut problems = check_path(path, dump);
    match read_rows(path) {
        Ok(rows) => {
            if Some(rows.len() as u64) != dump["num_rows"].as_u64() {
                problems.push(format!(
                    "{}: read_rows gives {} rows",
                    path.display(),
                    rows.len()
                ));
            }
            for (index, want) in dump["rows"].as_object().expect("rows") {
                let at = format!("{} read_rows row {index}", path.display());
                match rows.get(index.parse::<usize>().expect("row index")) {
                    Some(row) => problems.extend(compare_row(row, want, &at).err()),
                    None => problems.push(format!("{at}: missing")),
                }
            }
        }
        Err(error) => problems.push(format!("{}: read_rows: {error}", path.display())),
    }
    problems
}

#[test]
fn fixture_files_match_datasets() {
    let expected = expected();
    let mut problems = Vec::new();
    for name in ["types.parquet", "features.parquet"] {
        problems.extend(check_file(&fixtures().join(name), &expected[name]));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn corpus_files_match_datasets() {
    let Some(corpus) = corpus() else { return };
    let expected = expected();
    let dumps = expected["corpus"].as_array().expect("corpus entries");
    let on_disk = walk_parquet(&corpus.join("data"));
    assert_eq!(
        dumps.len(),
        on_disk.len(),
        "the corpus has {} Parquet files; the fixture was made from {}",
        on_disk.len(),
        dumps.len()
    );
    let mut problems = Vec::new();
    let mut rows_checked = 0;
    for dump in dumps {
        let file = dump["file"].as_str().expect("file");
        rows_checked += dump["rows"].as_object().map_or(0, |rows| rows.len());
        problems.extend(check_file(&corpus.join("data").join(file), dump));
    }
    assert!(
        rows_checked > 50,
        "the fixture pins only {rows_checked} rows"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The full oracle written by `generate.py oracle` (every row of the corpus),
/// when the developer has one.
#[test]
fn corpus_matches_full_oracle_when_given() {
    let Some(oracle) = std::env::var_os("PROMPTSTUDIO_DATA_ORACLE") else {
        println!("SKIP: PROMPTSTUDIO_DATA_ORACLE not set");
        return;
    };
    let Some(corpus) = corpus() else { return };
    let text = std::fs::read_to_string(&oracle).expect("oracle readable");
    let dumps: Vec<Value> = serde_json::from_str(&text).expect("oracle is JSON");
    let mut problems = Vec::new();
    for dump in &dumps {
        let file = dump["file"].as_str().expect("file");
        problems.extend(check_file(&corpus.join("data").join(file), dump));
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn walk_parquet(folder: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("corpus folder readable") {
            let path = entry.expect("corpus entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "parquet") {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn random_access_reads_the_right_row_group() {
    // types.parquet has row groups of 2 rows.
    let file = ParquetFile::open(&fixtures().join("types.parquet")).expect("opens");
    assert_eq!(file.num_row_groups(), 2);
    // Debug text, not `==`: NaN cells are never equal to themselves.
    let all = format!("{:?}", read_rows(file.path()).expect("reads"));
    let mut pieces = file.rows(0..1).expect("first group");
    pieces.extend(file.rows(1..3).expect("across groups"));
    assert_eq!(format!("{pieces:?}"), all);
    assert_eq!(file.rows(2..100).expect("clamped").len(), 1);
    assert!(file.row(3).is_err());
}

#[test]
fn projection_reads_only_the_asked_columns() {
    let mut file = ParquetFile::open(&fixtures().join("features.parquet")).expect("opens");
    file.set_projection(Some(&["label", "text"]))
        .expect("known columns");
    let row = file.row(0).expect("row 0");
    assert_eq!(row.column_names().collect::<Vec<_>>(), ["text", "label"]);
    assert_eq!(row.get("label"), Some(&Datum::Int(2)));
    let error = file
        .set_projection(Some(&["nope"]))
        .expect_err("unknown column");
    assert!(error.to_string().contains("`nope`"), "{error}");
}
