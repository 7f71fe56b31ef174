//! Data-layer benchmarks: opening a large dataset and reading one row.
//!
//! The inputs are generated on first use (deterministically) into
//! `$PROMPTSTUDIO_BENCH_DIR`, default `target/bench-data`:
//! - `big.parquet`: 10,000,000 rows like ag_news (text of about 240
//!   characters, a ClassLabel `label`, a `tags` list column), zstd, row
//!   groups of 100,000 rows, with `datasets`-style features metadata;
//! - `big.jsonl`: about 2 GB of rows of the same shape.
//!
//! `cargo bench --bench data` measures, with divan, opening each file and
//! reading one row (Parquet: the first and the last; JSON Lines: the first),
//! and opening one JSON Lines record 25k, 50k and 100k keys wide.
//! `PROMPTSTUDIO_BENCH_ONCE=parquet-last|parquet-first|jsonl-first|jsonl-last
//! cargo bench --bench data` instead does it once in a fresh process and
//! prints the wall time and the peak RSS of the whole process (`jsonl-last`
//! waits for the row count, then reads the last row).

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use promptstudio::data::open;
use promptstudio::data::parquet::ParquetFile;

const ROWS: u64 = 10_000_000;
const ROW_GROUP_ROWS: usize = 100_000;
const JSONL_BYTES: u64 = 2_000_000_000;

const WORDS: &[&str] = &[
    "the",
    "market",
    "shares",
    "rose",
    "after",
    "company",
    "reported",
    "quarterly",
    "profit",
    "team",
    "won",
    "match",
    "season",
    "coach",
    "players",
    "league",
    "scientists",
    "discovered",
    "new",
    "species",
    "space",
    "agency",
    "launched",
    "satellite",
    "government",
    "announced",
    "plan",
    "election",
    "president",
    "minister",
    "talks",
    "peace",
    "oil",
    "prices",
    "fell",
    "investors",
    "software",
    "internet",
    "users",
    "security",
    "network",
    "research",
    "study",
    "found",
    "that",
    "and",
    "of",
    "in",
    "to",
    "for",
    "with",
    "on",
    "by",
    "from",
    "at",
    "as",
    "record",
    "growth",
    "economy",
    "bank",
    "rates",
    "world",
    "cup",
    "final",
    "goal",
    "injury",
];

/// A small deterministic generator (xorshift64*), so every run writes the
/// same files.
struct Words(u64);

impl Words {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn text(&mut self, out: &mut String) {
        out.clear();
        while out.len() < 240 {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(WORDS[(self.next() % WORDS.len() as u64) as usize]);
        }
    }
}

fn bench_dir() -> PathBuf {
    std::env::var_os("PROMPTSTUDIO_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"))
}

const FEATURES: &str = r#"{"info": {"features": {"text": {"dtype": "string", "_type": "Value"}, "label": {"names": ["World", "Sports", "Business", "Sci/Tech"], "_type": "ClassLabel"}, "tags": {"feature": {"dtype": "string", "_type": "Value"}, "_type": "Sequence"}}}}"#;

fn generate_parquet(path: &Path) {
    eprintln!("writing {} ({ROWS} rows)...", path.display());
    let schema = Arc::new(
        Schema::new(vec![
            Field::new("text", DataType::Utf8, true),
            Field::new("label", DataType::Int64, true),
            Field::new(
                "tags",
                DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
                true,
            ),
        ])
        .with_metadata(HashMap::from([(
            "huggingface".to_string(),
            FEATURES.to_string(),
        )])),
    );
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build();
    let partial = path.with_extension("partial");
    let file = std::fs::File::create(&partial).expect("bench file");
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(properties)).expect("writer");
    let mut words = Words(0x9e37_79b9_7f4a_7c15);
    let mut text = String::new();
    let batch_rows = 10_000;
    for batch_start in (0..ROWS).step_by(batch_rows) {
        let mut texts = Vec::with_capacity(batch_rows);
        let mut labels = Vec::with_capacity(batch_rows);
        let mut tags = ListBuilder::new(StringBuilder::new());
        for row in batch_start..batch_start + batch_rows as u64 {
            words.text(&mut text);
            texts.push(text.clone());
            labels.push((row % 4) as i64);
            for _ in 0..words.next() % 4 {
                tags.values()
                    .append_value(WORDS[(words.next() % WORDS.len() as u64) as usize]);
            }
            tags.append(true);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(texts)),
            Arc::new(Int64Array::from(labels)),
            Arc::new(tags.finish()),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns).expect("batch");
        writer.write(&batch).expect("written");
    }
    writer.close().expect("closed");
    std::fs::rename(partial, path).expect("renamed");
}

fn generate_jsonl(path: &Path) {
    eprintln!("writing {} (about {JSONL_BYTES} bytes)...", path.display());
    let partial = path.with_extension("partial");
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&partial).expect("file"));
    let mut words = Words(0x1234_5678_9abc_def1);
    let mut text = String::new();
    let mut written = 0u64;
    let mut row = 0u64;
    while written < JSONL_BYTES {
        words.text(&mut text);
        let line = format!(
            "{{\"text\": \"{text}\", \"label\": {}, \"tags\": [\"{}\"]}}\n",
            row % 4,
            WORDS[(words.next() % WORDS.len() as u64) as usize]
        );
        out.write_all(line.as_bytes()).expect("written");
        written += line.len() as u64;
        row += 1;
    }
    out.flush().expect("flushed");
    drop(out);
    std::fs::rename(partial, path).expect("renamed");
}

fn parquet_path() -> PathBuf {
    let path = bench_dir().join("big.parquet");
    if !path.exists() {
        std::fs::create_dir_all(bench_dir()).expect("bench dir");
        generate_parquet(&path);
    }
    path
}

fn jsonl_path() -> PathBuf {
    let path = bench_dir().join("big.jsonl");
    if !path.exists() {
        std::fs::create_dir_all(bench_dir()).expect("bench dir");
        generate_jsonl(&path);
    }
    path
}

fn parquet_row(path: &Path, row: u64) -> usize {
    let file = ParquetFile::open(path).expect("opens");
    file.row(row).expect("row").fields.len()
}

fn jsonl_first_row(path: &Path) -> usize {
    let source = open(path).expect("opens");
    source.row(0).expect("row").fields.len()
}

/// Waits for the background count, then reads the last row (the count
/// comes from a full walk of the file, the row from its nearest checkpoint).
fn jsonl_last_row(path: &Path) -> usize {
    let source = open(path).expect("opens");
    let count = source.wait_for_row_count().expect("counted");
    println!("{count} rows");
    source.row(count - 1).expect("row").fields.len()
}

#[divan::bench]
fn parquet_open_and_last_row(bencher: divan::Bencher) {
    let path = parquet_path();
    bencher.bench(|| parquet_row(&path, ROWS - 1));
}

#[divan::bench]
fn parquet_open_and_first_row(bencher: divan::Bencher) {
    let path = parquet_path();
    bencher.bench(|| parquet_row(&path, 0));
}

#[divan::bench(sample_count = 20)]
fn jsonl_2gb_open_and_first_row(bencher: divan::Bencher) {
    let path = jsonl_path();
    bencher.bench(|| jsonl_first_row(&path));
}

/// One JSON Lines record of `keys` integer keys: opening it types every
/// key, the row conforms every value. Time should grow linearly with the
/// width (`cargo bench --bench data -- jsonl_wide`).
fn wide_jsonl_path(keys: usize) -> PathBuf {
    let path = bench_dir().join(format!("wide-{keys}.jsonl"));
    if !path.exists() {
        std::fs::create_dir_all(bench_dir()).expect("bench dir");
        let mut line = String::from("{");
        for key in 0..keys {
            if key > 0 {
                line.push_str(", ");
            }
            line.push_str(&format!("\"k{key}\": {key}"));
        }
        line.push_str("}\n");
        std::fs::write(&path, line).expect("written");
    }
    path
}

#[divan::bench(args = [25_000, 50_000, 100_000], sample_count = 10)]
fn jsonl_wide_line_open_and_row(bencher: divan::Bencher, keys: usize) {
    let path = wide_jsonl_path(keys);
    bencher.bench(|| jsonl_first_row(&path));
}

/// Peak resident memory of this process so far, in MB.
fn peak_rss_mb() -> f64 {
    // SAFETY: getrusage fills the struct it is given and nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_maxrss as f64 / 1024.0
}

// The binary's allocator (see src/main.rs), so the figures are the program's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let Ok(which) = std::env::var("PROMPTSTUDIO_BENCH_ONCE") else {
        divan::main();
        return;
    };
    // Generate first (in this process only when missing), so the timed
    // part is the open and the read.
    let (path, run): (PathBuf, fn(&Path) -> usize) = match which.as_str() {
        "parquet-last" => (parquet_path(), |path| parquet_row(path, ROWS - 1)),
        "parquet-first" => (parquet_path(), |path| parquet_row(path, 0)),
        "jsonl-first" => (jsonl_path(), jsonl_first_row),
        "jsonl-last" => (jsonl_path(), jsonl_last_row),
        other => panic!("unknown PROMPTSTUDIO_BENCH_ONCE={other}"),
    };
    let rss_before = peak_rss_mb();
    let start = Instant::now();
    let fields = run(&path);
    let elapsed = start.elapsed();
    println!(
        "{which}: {fields} fields in {:.1} ms; peak RSS {:.1} MB (before: {rss_before:.1} MB)",
        elapsed.as_secs_f64() * 1000.0,
        peak_rss_mb()
    );
}
