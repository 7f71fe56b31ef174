//! Every reader against what Python's `datasets` yields for the same data:
//! Arrow IPC (`save_to_disk` folders of the corpus, a file-format file),
//! Parquet shards, JSON Lines and CSV/TSV (`load_dataset("json"/"csv")`).
//! Expected rows were written by `tests/fixtures/data/generate.py`.

use crate::oracle;

use crate::corpus;

use std::path::{Path, PathBuf};

use oracle::{check_path, check_source};
use promptstudio::core::datum::Datum;
use promptstudio::data::source::{Format, RowCount};
use promptstudio::data::{open, Source};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data")
}

fn corpus() -> Option<PathBuf> {
    corpus::conformance("hf-arrow")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(fixtures().join("expected_rows.json"))
        .expect("expected_rows.json is committed");
    serde_json::from_str(&text).expect("expected_rows.json is JSON")
}

fn assert_no_problems(problems: Vec<String>) {
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn text_files_match_load_dataset() {
    let expected = expected();
    let mut problems = Vec::new();
    for name in ["sample.jsonl", "sample.csv", "sample.tsv"] {
        problems.extend(check_path(&fixtures().join(name), &expected[name]));
    }
    assert_no_problems(problems);
}

#[test]
fn arrow_file_format_and_parquet_shards_read_as_one() {
    let expected = expected();
    let mut problems = Vec::new();
    for name in ["file_format.arrow", "shards"] {
        problems.extend(check_path(&fixtures().join(name), &expected[name]));
    }
    assert_no_problems(problems);
    let shards = open(&fixtures().join("shards")).expect("shards open");
    assert_eq!(shards.format(), Format::Parquet);
    assert_eq!(shards.row_count(), RowCount::Exact(10));
    // A range across the shard boundaries (shards of 4 rows).
    let rows = shards.rows(3..9).expect("range across shards");
    let ids: Vec<&Datum> = rows.iter().filter_map(|row| row.get("n")).collect();
    assert_eq!(
        ids,
        (3..9)
            .map(Datum::Int)
            .collect::<Vec<_>>()
            .iter()
            .collect::<Vec<_>>()
    );
}

#[test]
fn saved_datasets_match_load_from_disk() {
    let Some(corpus) = corpus() else { return };
    let expected = expected();
    let dumps = expected["hf-arrow"].as_array().expect("hf-arrow entries");
    assert!(dumps.len() >= 6, "the fixture covers every corpus split");
    let mut problems = Vec::new();
    for dump in dumps {
        let split = corpus
            .join("hf-arrow")
            .join(dump["file"].as_str().expect("file"));
        problems.extend(check_path(&split, dump));
    }
    assert_no_problems(problems);
}

#[test]
fn saved_dataset_features_come_from_dataset_info() {
    let Some(corpus) = corpus() else { return };
    let source = open(&corpus.join("hf-arrow/ag_news/_/test")).expect("opens");
    let label = source.schema().column("label").expect("label column");
    assert_eq!(
        label.feature.as_ref().map(|feature| feature.describe()),
        Some("ClassLabel(4: World, Sports, Business, Sci/Tech)".to_string())
    );
}

#[test]
fn a_dataset_dict_folder_opens_its_default_split() {
    let Some(corpus) = corpus() else { return };
    let source = open(&corpus.join("hf-arrow/super_glue/rte")).expect("opens");
    assert!(
        source.name().to_string_lossy().contains("validation"),
        "validation is preferred over test: {}",
        source.name().display()
    );
}

/// The same rows through Parquet and through Arrow give the same values.
#[test]
fn parquet_and_arrow_copies_agree() {
    let Some(corpus) = corpus() else { return };
    let mut compared = 0;
    for (arrow, parquet) in [
        ("hf-arrow/ag_news/_/test", "data/ag_news/_/test.parquet"),
        (
            "hf-arrow/super_glue/rte/validation",
            "data/super_glue/rte/validation.parquet",
        ),
    ] {
        let parquet = corpus.join(parquet);
        if !parquet.is_file() {
            continue;
        }
        let arrow = open(&corpus.join(arrow)).expect("arrow opens");
        let parquet = open(&parquet).expect("parquet opens");
        let count = parquet.wait_for_row_count().expect("count");
        assert_eq!(arrow.wait_for_row_count().expect("count"), count);
        for index in 0..count {
            assert_eq!(
                format!("{:?}", arrow.row(index).expect("arrow row")),
                format!("{:?}", parquet.row(index).expect("parquet row"))
            );
            compared += 1;
        }
    }
    println!("{compared} rows compared");
}

#[test]
fn projection_keeps_only_the_asked_columns_in_every_reader() {
    for name in [
        "sample.jsonl",
        "sample.csv",
        "file_format.arrow",
        "shards",
        "types.parquet",
    ] {
        let mut source = open(&fixtures().join(name)).expect("opens");
        let last = source
            .schema()
            .columns
            .last()
            .expect("columns")
            .name
            .clone();
        let first = source.schema().columns[0].name.clone();
        source
            .set_projection(Some(&[last.as_str(), first.as_str()]))
            .expect("known columns");
        let row = source.row(1).expect("row 1");
        let names: Vec<&str> = row.column_names().collect();
        assert_eq!(names, [first.as_str(), last.as_str()], "{name}");
        let error = source
            .set_projection(Some(&["no such column"]))
            .expect_err("unknown column");
        assert!(
            error.to_string().contains("no such column"),
            "{name}: {error}"
        );
    }
}

#[test]
fn text_rows_are_random_access_past_many_checkpoints() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("many.jsonl");
    let lines: String = (0..1000)
        .map(|index| format!("{{\"n\": {index}, \"text\": \"row {index}\"}}\n"))
        .collect();
    std::fs::write(&path, lines).expect("written");
    let source = open(&path).expect("opens");
    assert_eq!(source.wait_for_row_count().expect("counted"), 1000);
    for index in [0u64, 63, 64, 65, 500, 999] {
        let row = source.row(index).expect("row");
        assert_eq!(row.get("n"), Some(&Datum::Int(index as i64)));
    }
    let rows = source.rows(126..130).expect("range");
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].get("n"), Some(&Datum::Int(126)));
    assert!(source.row(1000).is_err());
}

/// A check of the oracle itself: a wrong expectation is reported.
#[test]
fn the_comparison_reports_a_difference() {
    let mut dump = expected()["sample.tsv"].clone();
    dump["rows"]["1"]["dict"][1][1] = Value::String("something else".into());
    let source = open(&fixtures().join("sample.tsv")).expect("opens");
    let problems = check_source(source.as_ref(), &dump);
    assert_eq!(problems.len(), 1, "{problems:?}");
}

/// Threads reading rows of one source at once each get their own rows (file
/// handles that shared an offset would hand them each other's bytes).
#[test]
fn concurrent_reads_do_not_disturb_each_other() {
    let dir = tempfile::tempdir().expect("temp dir");
    let jsonl = dir.path().join("many.jsonl");
    let lines: String = (0..5000)
        .map(|index| {
            format!(
                "{{\"n\": {index}, \"text\": \"{}\"}}\n",
                "w".repeat(index % 300)
            )
        })
        .collect();
    std::fs::write(&jsonl, lines).expect("written");
    let parquet = promptstudio::data::parquet::ParquetFile::open(&fixtures().join("types.parquet"))
        .expect("opens");
    let text = promptstudio::data::text::TextSource::open(
        &jsonl,
        promptstudio::data::text::TextFormat::JsonLines,
    )
    .expect("opens");
    let expected_parquet: Vec<String> = (0..3)
        .map(|index| format!("{:?}", parquet.row(index).expect("row")))
        .collect();
    std::thread::scope(|scope| {
        for thread in 0..4u64 {
            let (parquet, text, expected_parquet) = (&parquet, &text, &expected_parquet);
            scope.spawn(move || {
                for step in 0..200u64 {
                    let index = (step * 37 + thread * 1001) % 5000;
                    let row = Source::row(text, index).expect("jsonl row");
                    assert_eq!(row.get("n"), Some(&Datum::Int(index as i64)));
                    let index = (step + thread) % 3;
                    let row = parquet.row(index).expect("parquet row");
                    assert_eq!(format!("{row:?}"), expected_parquet[index as usize]);
                }
            });
        }
    });
}

/// `-` reads JSON Lines from standard input. The test runs itself again as
/// a child process whose standard input is a pipe.
#[test]
fn standard_input_reads_as_json_lines() {
    if std::env::var_os("PROMPTSTUDIO_STDIN_CHILD").is_some() {
        let source = open(Path::new("-")).expect("standard input opens");
        let count = source.wait_for_row_count().expect("counted");
        let row = source.row(1).expect("second row");
        println!(
            "CHILD name={} rows={count} n={:?}",
            source.name().display(),
            row.get("n")
        );
        return;
    }
    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "data_sources::standard_input_reads_as_json_lines",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PROMPTSTUDIO_STDIN_CHILD", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("child starts");
    {
        let mut stdin = child.stdin.take().expect("piped");
        std::io::Write::write_all(&mut stdin, b"{\"n\": 1}\n{\"n\": 2}\n\n{\"n\": 3}\n")
            .expect("written");
    }
    let output = child.wait_with_output().expect("child ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("CHILD name=<stdin> rows=3 n=Some(Int(2))"),
        "{stdout}"
    );
}

/// `range_batches` yields exactly `rows(range)`, in batches of at most the
/// asked size, for every reader, including a Parquet file whose range spans
/// several row groups.
#[test]
fn range_batches_read_the_same_rows_as_random_access() {
    use std::sync::Arc;

    use arrow_array::{Int64Array, RecordBatch, StringArray};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;

    let dir = tempfile::tempdir().expect("temp dir");
    let grouped = dir.path().join("grouped.parquet");
    let ids: Vec<i64> = (0..20).collect();
    let texts: Vec<String> = ids.iter().map(|id| format!("row {id}")).collect();
    let batch = RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(ids)) as _),
        ("text", Arc::new(StringArray::from(texts)) as _),
    ])
    .expect("batch");
    let properties = WriterProperties::builder()
        .set_max_row_group_row_count(Some(3))
        .build();
    let mut writer = ArrowWriter::try_new(
        std::fs::File::create(&grouped).expect("create"),
        batch.schema(),
        Some(properties),
    )
    .expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");

    let mut paths: Vec<PathBuf> = [
        "sample.jsonl",
        "sample.csv",
        "file_format.arrow",
        "shards",
        "types.parquet",
    ]
    .iter()
    .map(|name| fixtures().join(name))
    .collect();
    paths.push(grouped);
    for path in paths {
        let source = open(&path).expect("opens");
        let count = source.wait_for_row_count().expect("count");
        for (start, end) in [
            (0, count),
            (1, count),
            (2, count.min(13)),
            (count / 2, count + 5),
        ] {
            let expected = source.rows(start..end).expect("rows");
            for batch_rows in [1, 2, 4, 1000] {
                let mut read = Vec::new();
                for batch in source.range_batches(start..end, batch_rows).expect("range") {
                    let batch = batch.expect("batch");
                    assert!(
                        !batch.is_empty() && batch.len() <= batch_rows,
                        "{}: batch of {}",
                        path.display(),
                        batch.len()
                    );
                    read.extend(batch);
                }
                assert_eq!(
                    format!("{read:?}"),
                    format!("{expected:?}"),
                    "{} rows {start}..{end} by {batch_rows}",
                    path.display()
                );
            }
        }
        let past = source.range_batches(count..count + 1, 4).err();
        assert!(
            past.is_some(),
            "{}: a range past the end is an error",
            path.display()
        );
    }
}
