//! Parquet rows against what Python's `datasets` yields for the same files.
//!
//! `tests/fixtures/data/expected_rows.json` was written by
//! `tests/fixtures/data/generate.py` with `datasets` 2.14.7: the fixture
//! files' rows, and counts, columns and one row per distinct schema of the
//! shared corpus. Setting `PROMPTSTUDIO_DATA_ORACLE` to a full dump written
//! by `generate.py oracle` compares every row of the corpus as well.

use std::path::{Path, PathBuf};

use promptstudio::core::datum::{Datum, Row};
use promptstudio::data::parquet::{read_rows, ParquetFile};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data")
}

fn corpus() -> Option<PathBuf> {
    let path = std::env::var_os("PROMPTSTUDIO_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    if path.join("data").is_dir() {
        return Some(path);
    }
    if std::env::var("PROMPTSTUDIO_REQUIRE_CONFORMANCE").as_deref() == Ok("1") {
        panic!("conformance corpus not found at {}", path.display());
    }
    println!("SKIP: conformance corpus not found at {}", path.display());
    None
}

fn expected() -> Value {
    let text = std::fs::read_to_string(fixtures().join("expected_rows.json"))
        .expect("expected_rows.json is committed");
    serde_json::from_str(&text).expect("expected_rows.json is JSON")
}

/// Compares a row value with its tagged Python dump (see generate.py),
/// returning where they differ.
fn compare(datum: &Datum, expected: &Value, at: &str) -> Result<(), String> {
    let mismatch = || Err(format!("{at}: got {datum:?}, Python has {expected}"));
    match (datum, expected) {
        (Datum::None, Value::Null) => Ok(()),
        (Datum::Bool(got), Value::Bool(want)) if got == want => Ok(()),
        (Datum::Str(got), Value::String(want)) if got.as_ref() == want => Ok(()),
        (Datum::List(items), Value::Array(wanted)) => {
            if items.len() != wanted.len() {
                return mismatch();
            }
            for (index, (item, want)) in items.iter().zip(wanted).enumerate() {
                compare(item, want, &format!("{at}[{index}]"))?;
            }
            Ok(())
        }
        (_, Value::Object(tagged)) => compare_tagged(datum, tagged, at).or_else(|_| mismatch()),
        _ => mismatch(),
    }
}

fn compare_tagged(
    datum: &Datum,
    tagged: &serde_json::Map<String, Value>,
    at: &str,
) -> Result<(), String> {
    let differ = || Err(format!("{at}: differs"));
    if let Some(want) = tagged.get("int") {
        return match (datum, want.as_i64()) {
            (Datum::Int(got), Some(want)) if *got == want => Ok(()),
            // Beyond i64, the reader keeps the exact digits.
            (Datum::Display { str, .. }, None) if *want.to_string() == **str => Ok(()),
            _ => differ(),
        };
    }
    if let Some(bits) = tagged.get("bits") {
        let want = bits
            .as_str()
            .and_then(|bits| bits.parse::<i64>().ok())
            .map(|bits| f64::from_bits(bits as u64));
        return match (datum, want) {
            (Datum::Float(got), Some(want)) if got.is_nan() && want.is_nan() => Ok(()),
            (Datum::Float(got), Some(want)) if got.to_bits() == want.to_bits() => Ok(()),
            _ => differ(),
        };
    }
    if let Some(hex) = tagged.get("bytes").and_then(Value::as_str) {
        let got: String = match datum {
            Datum::Bytes(bytes) => bytes.iter().map(|byte| format!("{byte:02x}")).collect(),
            _ => return differ(),
        };
        return if got == hex { Ok(()) } else { differ() };
    }
    if let Some(entries) = tagged.get("dict").and_then(Value::as_array) {
        let Datum::Dict(fields) = datum else {
            return differ();
        };
        return compare_entries(fields, entries, at);
    }
    match (datum, tagged.get("str"), tagged.get("repr")) {
        (Datum::Display { str, repr }, Some(want_str), Some(want_repr))
            if want_str == str.as_ref() && want_repr == repr.as_ref() =>
        {
            Ok(())
        }
        _ => differ(),
    }
}

fn compare_entries(
    fields: &[(std::sync::Arc<str>, Datum)],
    entries: &[Value],
    at: &str,
) -> Result<(), String> {
    let names: Vec<&str> = fields.iter().map(|(name, _)| name.as_ref()).collect();
    let wanted: Vec<&str> = entries
        .iter()
        .filter_map(|entry| entry.get(0).and_then(Value::as_str))
        .collect();
    if names != wanted {
        return Err(format!("{at}: keys {names:?}, Python has {wanted:?}"));
    }
    for ((name, value), entry) in fields.iter().zip(entries) {
        compare(value, &entry[1], &format!("{at}.{name}"))?;
    }
    Ok(())
}

fn compare_row(row: &Row, expected: &Value, at: &str) -> Result<(), String> {
    let entries = expected
        .get("dict")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{at}: the dump's row is not a dict"))?;
    compare_entries(&row.fields, entries, at)
}

/// Checks one dumped file: row count, column names, and the dumped rows,
/// both from a full read and from random access to each row.
fn check_file(path: &Path, dump: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let name = path.display().to_string();
    let rows = match read_rows(path) {
        Ok(rows) => rows,
        Err(error) => return vec![format!("{name}: {error}")],
    };
    let want_rows = dump["num_rows"].as_u64().expect("num_rows");
    if rows.len() as u64 != want_rows {
        problems.push(format!(
            "{name}: {} rows, Python has {want_rows}",
            rows.len()
        ));
    }
    let want_columns: Vec<&str> = dump["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if let Some(first) = rows.first() {
        let got: Vec<&str> = first.column_names().collect();
        if got != want_columns {
            problems.push(format!(
                "{name}: columns {got:?}, Python has {want_columns:?}"
            ));
        }
    }
    let file = ParquetFile::open(path).expect("opened once already");
    let dumped = dump["rows"].as_object().expect("rows");
    for (index, want) in dumped {
        let index: usize = index.parse().expect("row index");
        let at = format!("{name} row {index}");
        match rows.get(index) {
            Some(row) => {
                if let Err(problem) = compare_row(row, want, &at) {
                    problems.push(problem);
                }
            }
            None => problems.push(format!("{at}: missing")),
        }
        // Debug text, not `==`: NaN cells are never equal to themselves.
        let full_read = rows.get(index).map(|row| format!("{row:?}"));
        match file.row(index as u64) {
            Ok(row) if Some(format!("{row:?}")) == full_read => {}
            Ok(row) => problems.push(format!("{at}: random access gives {row:?}")),
            Err(error) => problems.push(format!("{at}: random access fails: {error}")),
        }
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
