//! Bad input gives a clear error naming the file and the row, line or
//! field; never a panic and never an allocation the input can make
//! arbitrarily large.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, BinaryArray, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use promptstudio::core::datum::Datum;
use promptstudio::data::error::DataError;
use promptstudio::data::features::{format_cell, CellFormat};
use promptstudio::data::{open, Source};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("written");
    path
}

fn write_parquet(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).expect("created");
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    writer.write(batch).expect("batch written");
    writer.close().expect("closed");
}

/// Every row of a source, streamed, or the first error.
fn read_all(source: &dyn Source) -> Result<usize, DataError> {
    let mut rows = 0;
    for batch in source.batches(100)? {
        rows += batch?.len();
    }
    Ok(rows)
}

#[test]
fn a_truncated_parquet_file_is_refused_with_its_name() {
    let dir = tempfile::tempdir().expect("temp");
    let whole = std::fs::read(fixtures().join("types.parquet")).expect("fixture");
    for keep in [0, 3, 100, whole.len() / 2, whole.len() - 1] {
        let path = write(dir.path(), "cut.parquet", &whole[..keep]);
        let error = open(&path).map(|_| ()).expect_err("truncated");
        let message = error.to_string();
        assert!(message.contains("cut.parquet"), "{message}");
        assert!(message.contains("not a readable Parquet file"), "{message}");
    }
}

#[test]
fn a_file_that_is_not_parquet_is_refused() {
    let dir = tempfile::tempdir().expect("temp");
    let path = write(dir.path(), "text.parquet", b"id,text\n1,hello\n");
    let message = open(&path)
        .map(|_| ())
        .expect_err("not parquet")
        .to_string();
    assert!(
        message.contains("text.parquet: not a readable Parquet file"),
        "{message}"
    );
}

#[test]
fn corrupt_parquet_pages_give_errors_not_panics() {
    let dir = tempfile::tempdir().expect("temp");
    let whole = std::fs::read(fixtures().join("features.parquet")).expect("fixture");
    // Overwrite stretches of the data pages (the footer, at the end, stays
    // intact, so the file opens and the damage is met while decoding).
    let footer_start = whole.len() - 2000.min(whole.len() / 2);
    for start in (4..footer_start).step_by(97) {
        let mut damaged = whole.clone();
        for byte in &mut damaged[start..(start + 40).min(footer_start)] {
            *byte ^= 0x5a;
        }
        let path = write(dir.path(), "damaged.parquet", &damaged);
        let outcome = std::panic::catch_unwind(|| {
            if let Ok(source) = open(&path) {
                let _ = read_all(source.as_ref());
                let _ = source.row(2);
            }
        });
        assert!(outcome.is_ok(), "a panic for damage at byte {start}");
    }
}

#[test]
fn a_truncated_arrow_file_is_refused() {
    let Some(corpus) = Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"))
        .filter(|path| path.join("hf-arrow").is_dir())
    else {
        println!("SKIP: conformance corpus not found");
        return;
    };
    let dir = tempfile::tempdir().expect("temp");
    let whole = std::fs::read(corpus.join("hf-arrow/ag_news/_/test/data-00000-of-00001.arrow"))
        .expect("arrow file");
    for keep in [0, 7, 200, whole.len() / 2, whole.len() - 9] {
        let path = write(dir.path(), "cut.arrow", &whole[..keep]);
        let outcome = open(&path).and_then(|source| read_all(source.as_ref()));
        let message = outcome.expect_err("truncated").to_string();
        assert!(message.contains("cut.arrow"), "{message}");
    }
    let fixture = std::fs::read(fixtures().join("file_format.arrow")).expect("fixture");
    let path = write(dir.path(), "cut_file.arrow", &fixture[..fixture.len() - 4]);
    assert!(open(&path).is_err());
}

#[test]
fn a_ragged_csv_names_the_line() {
    let dir = tempfile::tempdir().expect("temp");
    let path = write(dir.path(), "ragged.csv", b"a,b\n1,2\n\n3,4,5\n6,7\n8\n");
    let source = open(&path).expect("opens: the header and first rows are fine");
    assert!(source.row(0).is_ok());
    let message = source.row(1).expect_err("three fields").to_string();
    assert_eq!(
        message,
        format!(
            "{}: line 4: 3 fields where the header has 2",
            path.display()
        )
    );
    let message = source.row(3).expect_err("one field").to_string();
    assert!(
        message.contains("line 6: 1 fields where the header has 2"),
        "{message}"
    );
    let message = read_all(source.as_ref())
        .expect_err("streaming stops")
        .to_string();
    assert!(message.contains("line 4"), "{message}");
}

#[test]
fn a_jsonl_line_that_is_not_json_names_its_line() {
    let dir = tempfile::tempdir().expect("temp");
    let path = write(
        dir.path(),
        "bad.jsonl",
        b"{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3,,}\n[1, 2]\n",
    );
    let source = open(&path).expect("opens: the first lines are fine");
    assert!(source.row(1).is_ok());
    let message = source.row(2).expect_err("bad JSON").to_string();
    assert!(
        message.starts_with(&format!("{}: line 3: not JSON:", path.display())),
        "{message}"
    );
    let message = source.row(3).expect_err("an array").to_string();
    assert!(
        message.contains("line 4: expected a JSON object, found an array"),
        "{message}"
    );
    let message = read_all(source.as_ref())
        .expect_err("streaming stops")
        .to_string();
    assert!(message.contains("line 3"), "{message}");
    assert_eq!(
        source
            .wait_for_row_count()
            .expect("counting needs no parsing"),
        4
    );

    let path = write(dir.path(), "first.jsonl", b"not json\n{\"a\": 1}\n");
    let message = open(&path)
        .map(|_| ())
        .expect_err("first line bad")
        .to_string();
    assert!(
        message.contains("first.jsonl: line 1: not JSON"),
        "{message}"
    );
}

#[test]
fn text_that_is_not_utf8_names_its_line() {
    let dir = tempfile::tempdir().expect("temp");
    let path = write(dir.path(), "latin1.csv", b"a\nok\ncaf\xe9\n");
    let source = open(&path).expect("opens");
    let message = source.row(1).expect_err("not UTF-8").to_string();
    assert!(message.contains("line 3: not UTF-8"), "{message}");
}

#[test]
fn binary_columns_show_their_size() {
    let dir = tempfile::tempdir().expect("temp");
    let path = dir.path().join("binary.parquet");
    let blob = vec![7u8; 1234];
    let column: ArrayRef = Arc::new(BinaryArray::from(vec![Some(&blob[..]), None]));
    let batch = RecordBatch::try_from_iter([("blob", column)]).expect("batch");
    write_parquet(&path, &batch);
    let source = open(&path).expect("opens");
    let row = source.row(0).expect("row");
    let cell = row.get("blob").expect("blob");
    assert!(matches!(cell, Datum::Bytes(bytes) if bytes.len() == 1234));
    assert_eq!(
        format_cell(cell, None, &CellFormat::default()),
        "<bytes: 1.2 KB>"
    );
}

#[test]
fn a_100_mb_cell_is_read_and_shown_elided() {
    let dir = tempfile::tempdir().expect("temp");
    let big = "x".repeat(100 << 20);
    let path = dir.path().join("big.parquet");
    let column: ArrayRef = Arc::new(StringArray::from(vec![big.as_str(), "small"]));
    let batch = RecordBatch::try_from_iter([("text", column)]).expect("batch");
    write_parquet(&path, &batch);
    let jsonl = dir.path().join("big.jsonl");
    std::fs::write(
        &jsonl,
        format!("{{\"text\": \"{big}\"}}\n{{\"text\": \"small\"}}\n"),
    )
    .expect("written");
    drop(big);
    for path in [path, jsonl] {
        let source = open(&path).expect("opens");
        assert_eq!(
            source.row(1).expect("small row").get("text"),
            Some(&Datum::str("small"))
        );
        let row = source.row(0).expect("big row");
        let cell = row.get("text").expect("text");
        let shown = format_cell(cell, None, &CellFormat::default());
        assert!(
            shown.ends_with(&format!("… (+{} chars)", (100 << 20) - 200)),
            "{}: {}",
            path.display(),
            &shown[shown.len().saturating_sub(80)..]
        );
        assert!(shown.len() < 300);
    }
}

#[test]
fn a_record_beyond_the_limit_is_refused() {
    // An unclosed quote makes the rest of a CSV file one record; the reader
    // stops at its limit instead of reading it all into memory. Writing
    // 256 MB is heavy for a test, so check the error path with a sparse file.
    let dir = tempfile::tempdir().expect("temp");
    let path = dir.path().join("unclosed.csv");
    let file = std::fs::File::create(&path).expect("created");
    std::io::Write::write_all(&mut &file, b"a,b\n1,2\n3,\"never closed\n").expect("written");
    file.set_len(promptstudio::data::text::MAX_RECORD_BYTES + (1 << 20))
        .expect("sparse tail");
    let source = open(&path).expect("opens");
    assert!(source.row(0).is_ok());
    let message = source.row(1).expect_err("too large").to_string();
    assert!(
        message.contains("line 3: a record longer than 256 MB"),
        "{message}"
    );
}

#[test]
fn five_thousand_columns_open_and_read() {
    let dir = tempfile::tempdir().expect("temp");
    let fields: Vec<Field> = (0..5000)
        .map(|index| Field::new(format!("c{index}"), DataType::Int64, true))
        .collect();
    let columns: Vec<ArrayRef> = (0..5000)
        .map(|index| Arc::new(Int64Array::from(vec![index as i64, -1])) as ArrayRef)
        .collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("batch");
    let path = dir.path().join("wide.parquet");
    write_parquet(&path, &batch);
    let header: Vec<String> = (0..5000).map(|index| format!("c{index}")).collect();
    let values: Vec<String> = (0..5000).map(|index| index.to_string()).collect();
    let csv = dir.path().join("wide.csv");
    std::fs::write(
        &csv,
        format!("{}\n{}\n", header.join(","), values.join(",")),
    )
    .expect("written");
    for path in [path, csv] {
        let source = open(&path).expect("opens");
        assert_eq!(source.schema().columns.len(), 5000);
        let row = source.row(0).expect("row");
        assert_eq!(row.get("c4999"), Some(&Datum::Int(4999)));
    }
}

#[test]
fn rows_past_the_end_are_out_of_range() {
    for name in [
        "types.parquet",
        "sample.jsonl",
        "sample.csv",
        "file_format.arrow",
        "shards",
    ] {
        let source = open(&fixtures().join(name)).expect("opens");
        let count = source.wait_for_row_count().expect("count");
        let error = source.row(count).expect_err("past the end");
        assert!(
            matches!(error, DataError::RowOutOfRange { row, len, .. } if row == count && len == count),
            "{name}: {error}"
        );
        assert!(source.rows(count + 5..count + 10).is_err(), "{name}");
    }
}

#[test]
fn a_missing_file_names_itself() {
    let message = open(Path::new("/nonexistent/data.parquet"))
        .map(|_| ())
        .expect_err("missing")
        .to_string();
    assert!(
        message.starts_with("/nonexistent/data.parquet: "),
        "{message}"
    );
}
