//! Applies per second for PromptSource templates, compiled once.
//!
//! Uses the conformance corpus (`PROMPTSTUDIO_CONFORMANCE` or
//! `../shared/conformance`): the 7 ag_news templates over its rows, whose
//! texts are lengthened to about 240 characters (a typical AG News article).
//! Run with `cargo bench --bench apply`.

use std::path::{Path, PathBuf};

use divan::counter::ItemsCount;
use divan::Bencher;
use promptstudio::core::apply::{ApplyOptions, CompiledTemplate};
use promptstudio::core::datum::{Datum, Row};
use promptstudio::core::jinja::Program;
use promptstudio::core::template::DatasetTemplates;

// The binary's allocator (see src/main.rs), so the figures are the program's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("PROMPTSTUDIO_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    dir.join("index.json").is_file().then_some(dir)
}

struct Workload {
    templates: Vec<CompiledTemplate>,
    rows: Vec<Row>,
}

fn workload(dataset: &str, split: &str) -> Option<Workload> {
    let Some(dir) = corpus() else {
        eprintln!("SKIP: conformance corpus not found");
        return None;
    };
    let file = DatasetTemplates::load(&dir.join("templates").join(dataset).join("templates.yaml"))
        .expect("templates load");
    let templates = file
        .templates
        .iter()
        .map(|t| CompiledTemplate::compile(t).expect("template compiles"))
        .collect();
    let rows = promptstudio::data::parquet::read_rows(
        &dir.join("data")
            .join(dataset)
            .join("_")
            .join(format!("{split}.parquet")),
    )
    .expect("rows load");
    let rows = rows.into_iter().map(lengthen_text).collect();
    Some(Workload { templates, rows })
}

/// Repeats the row's `text` until it is about 240 characters long.
fn lengthen_text(mut row: Row) -> Row {
    for (key, value) in &mut row.fields {
        if key.as_ref() == "text" {
            if let Datum::Str(text) = value {
                let mut long = text.to_string();
                while long.len() < 240 {
                    long.push(' ');
                    long.push_str(text);
                }
                let mut end = 240;
                while !long.is_char_boundary(end) {
                    end -= 1;
                }
                long.truncate(end);
                *value = Datum::str(&long);
            }
        }
    }
    row
}

#[divan::bench]
fn ag_news_apply(bencher: Bencher) {
    let Some(work) = workload("ag_news", "test") else {
        return;
    };
    let options = ApplyOptions::default();
    let count = work.templates.len() * work.rows.len();
    bencher.counter(ItemsCount::new(count)).bench_local(|| {
        for template in &work.templates {
            for row in &work.rows {
                divan::black_box(template.apply(row, &options).expect("applies"));
            }
        }
    });
}

#[divan::bench]
fn ag_news_compile(bencher: Bencher) {
    let Some(dir) = corpus() else {
        return;
    };
    let file = DatasetTemplates::load(&dir.join("templates/ag_news/templates.yaml"))
        .expect("templates load");
    bencher
        .counter(ItemsCount::new(file.templates.len()))
        .bench_local(|| {
            for template in &file.templates {
                divan::black_box(CompiledTemplate::compile(template).expect("compiles"));
            }
        });
}

/// Compiling grows linearly with the template's length: `{{title}}` and a
/// `{% set %}` repeated N times (was quadratic: the lexer located every
/// token from the start of the source).
#[divan::bench(args = [10_000, 20_000, 40_000])]
fn long_template_compile(bencher: Bencher, pieces: usize) {
    let source = "{{title}}{% set x = 1 %}".repeat(pieces);
    bencher
        .counter(ItemsCount::new(pieces))
        .bench_local(|| divan::black_box(Program::compile(&source).expect("compiles")));
}
