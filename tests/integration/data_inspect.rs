//! The library side of `promptstudio inspect`: schema, rows and summaries.

use std::path::{Path, PathBuf};

use promptstudio::data::features::CellFormat;
use promptstudio::data::inspect::{
    row_count_text, row_json, row_text, schema_json, schema_text, summarize, summary_text,
};
use promptstudio::data::open;
use promptstudio::data::source::RowCount;
use serde_json::json;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data")
}

#[test]
fn schema_shows_types_and_features() {
    let source = open(&fixtures().join("features.parquet")).expect("opens");
    let text = schema_text(source.schema());
    assert!(
        text.contains("label        Int64  ClassLabel(4: World, Sports, Business, Sci/Tech)"),
        "{text}"
    );
    assert!(
        text.contains("Sequence({text: Value(string), answer_start: Value(int32)})"),
        "{text}"
    );
    assert!(text.contains("Translation(de, en)"), "{text}");
    assert!(text.contains("Image"), "{text}");
    let json = schema_json(source.schema());
    assert_eq!(json[1]["name"], "label");
    assert_eq!(json[1]["type"], "Int64");
    assert_eq!(row_count_text(source.row_count()), "3 rows");
    assert_eq!(
        row_count_text(RowCount::AtLeast(12_345)),
        "at least 12,345 rows (still counting)"
    );
}

#[test]
fn rows_read_as_text_and_json() {
    let source = open(&fixtures().join("features.parquet")).expect("opens");
    let row = source.row(0).expect("row 0");
    let text = row_text(&row, source.schema(), &CellFormat::default());
    assert!(text.contains("label        2 (Business)\n"), "{text}");
    assert!(
        text.contains("answers      {'text': ['a', 'b'], 'answer_start': [0, 5]}"),
        "{text}"
    );
    let json = row_json(&row);
    assert_eq!(json["label"], 2);
    assert_eq!(
        json["answers"],
        json!({"text": ["a", "b"], "answer_start": [0, 5]})
    );
    let image_row = source.row(1).expect("row 1");
    let text = row_text(&image_row, source.schema(), &CellFormat::default());
    assert!(text.contains("'bytes': <bytes: 4 B>"), "{text}");
}

#[test]
fn summary_counts_types_nulls_lengths_and_labels() {
    let source = open(&fixtures().join("features.parquet")).expect("opens");
    let mut progress = Vec::new();
    let summary =
        summarize(source.as_ref(), None, &mut |rows| progress.push(rows)).expect("summary");
    assert_eq!(summary.rows, 3);
    assert_eq!(progress.last(), Some(&3));
    let text = &summary.columns[0];
    assert_eq!(text.name, "text");
    let lengths = text.string_lengths.expect("text lengths");
    assert_eq!((lengths.min, lengths.max), (0, 10));
    assert!((lengths.mean - 19.0 / 3.0).abs() < 1e-9);
    let label = &summary.columns[1];
    assert_eq!(
        label.labels.as_deref(),
        Some(
            &[
                ("World".to_string(), 1),
                ("Sports".to_string(), 0),
                ("Business".to_string(), 1),
                ("Sci/Tech".to_string(), 0),
                ("other".to_string(), 1)
            ][..]
        )
    );
    let image = summary
        .columns
        .iter()
        .find(|column| column.name == "image")
        .expect("image");
    assert_eq!(image.nulls, 2);
    let rendered = summary_text(&summary);
    assert!(
        rendered.contains("tags: list 3; nulls 0; list length min 0 mean 1.0 max 2"),
        "{rendered}"
    );
}

#[test]
fn summary_stops_at_its_limit() {
    let source = open(&fixtures().join("sample.jsonl")).expect("opens");
    let summary = summarize(source.as_ref(), Some(2), &mut |_| {}).expect("summary");
    assert_eq!(summary.rows, 2);
    let score = summary
        .columns
        .iter()
        .find(|column| column.name == "score")
        .expect("score");
    assert_eq!(score.types, [("float".to_string(), 2)]);
}
