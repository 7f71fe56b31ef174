//! A damaged Arrow IPC file gives an error naming the file, never a panic:
//! IPC files written from the sample's validation splits, with bytes
//! flipped one at a time over the whole file (deterministic).

use std::os::unix::fs::FileExt;
use std::path::Path;

use arrow_array::RecordBatch;
use arrow_ipc::writer::{FileWriter, StreamWriter};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use promptstudio::data::{open, DataError};

fn sample_split(dataset: &str) -> Vec<RecordBatch> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-data/data")
        .join(dataset)
        .join("_/validation.parquet");
    let file = std::fs::File::open(&path).expect("sample split");
    ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader")
        .collect::<Result<_, _>>()
        .expect("batches")
}

/// The stream format, as the `datasets` cache holds it.
fn stream_bytes(batches: &[RecordBatch]) -> Vec<u8> {
    let mut writer = StreamWriter::try_new(Vec::new(), &batches[0].schema()).expect("writer");
    for batch in batches {
        writer.write(batch).expect("written");
    }
    writer.into_inner().expect("finished")
}

/// The file format (`ARROW1` magic and footer).
fn file_bytes(batches: &[RecordBatch]) -> Vec<u8> {
    let mut writer = FileWriter::try_new(Vec::new(), &batches[0].schema()).expect("writer");
    for batch in batches {
        writer.write(batch).expect("written");
    }
    writer.into_inner().expect("finished")
}

/// What `inspect`, `apply` and `export` do: open, stream every row, and
/// read one row by index.
fn read_everything(path: &Path) -> Result<usize, DataError> {
    let source = open(path)?;
    let mut rows = 0;
    for batch in source.batches(3)? {
        rows += batch?.len();
    }
    source.row(rows.saturating_sub(1) as u64)?;
    Ok(rows)
}

#[test]
fn file_format_written_by_arrow_rs_reads() {
    // arrow-rs pads the magic to 64 bytes (its default alignment), where
    // other writers pad to 8.
    let dir = tempfile::tempdir().expect("temp");
    for (dataset, rows) in [("news_topics", 8), ("trivia_qa_mini", 18)] {
        let batches = sample_split(dataset);
        for (kind, bytes) in [
            ("stream", stream_bytes(&batches)),
            ("file", file_bytes(&batches)),
        ] {
            let path = dir.path().join(format!("{dataset}-{kind}.arrow"));
            std::fs::write(&path, &bytes).expect("written");
            assert_eq!(read_everything(&path).expect(kind), rows);
        }
    }
}

#[test]
fn a_buffer_reaching_past_the_body_gives_an_error_naming_the_file() {
    // Byte 401 is in the record batch header; flipped, the first buffer's
    // offset lies far past the body, which arrow-ipc 60 slices unchecked.
    let dir = tempfile::tempdir().expect("temp");
    let mut bytes = stream_bytes(&sample_split("news_topics"));
    bytes[401] ^= 0xff;
    let path = dir.path().join("validation.arrow");
    std::fs::write(&path, &bytes).expect("written");
    let message = read_everything(&path).expect_err("damaged").to_string();
    assert_eq!(
        message,
        format!(
            "{}: not a readable Arrow IPC file: the batch starting at row 0: buffer 0 (0 bytes at 65280) lies outside the message body of 1600 bytes",
            path.display()
        )
    );
}

#[test]
fn flipped_bytes_anywhere_in_arrow_ipc_files_give_errors_not_panics() {
    let dir = tempfile::tempdir().expect("temp");
    let mut panics = Vec::new();
    let mut errors = 0;
    for dataset in ["news_topics", "trivia_qa_mini"] {
        let batches = sample_split(dataset);
        for (kind, whole) in [
            ("stream", stream_bytes(&batches)),
            ("file", file_bytes(&batches)),
        ] {
            let name = format!("{dataset}-{kind}.arrow");
            let path = dir.path().join(&name);
            std::fs::write(&path, &whole).expect("written");
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .expect("opened");
            let put = |offset: usize, byte: u8| {
                file.write_all_at(&[byte], offset as u64).expect("written");
            };
            for (offset, &intact) in whole.iter().enumerate() {
                // All bits, the lowest and the highest: lengths and offsets
                // off by one, negative, or huge.
                for mask in [0xffu8, 0x01, 0x80] {
                    put(offset, intact ^ mask);
                    let outcome = std::panic::catch_unwind(|| read_everything(&path));
                    put(offset, intact);
                    match outcome {
                        Err(_) => panics.push(format!("{name}: byte {offset} ^ {mask:#04x}")),
                        Ok(Err(error)) => {
                            errors += 1;
                            let message = error.to_string();
                            assert!(message.contains(&name), "{message}");
                        }
                        Ok(Ok(_)) => {}
                    }
                }
            }
        }
    }
    assert!(
        panics.is_empty(),
        "{} panics:\n{}",
        panics.len(),
        panics.join("\n")
    );
    assert!(errors > 1000, "only {errors} damaged files were refused");
}
