//! Applies the 7 ag_news templates of the conformance corpus to its test rows
//! N times (default 20), for instruction counts that do not depend on load:
//! `valgrind --tool=callgrind target/release/examples/apply_loop 20`.
//! Prints the number of applies so counts can be divided per apply.

use std::path::{Path, PathBuf};

use promptstudio::core::apply::{ApplyOptions, CompiledTemplate};
use promptstudio::core::datum::{Datum, Row};
use promptstudio::core::template::DatasetTemplates;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map_or(20, |n| n.parse().expect("a number of rounds"));
    let dir = std::env::var_os("PROMPTSTUDIO_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    let file = DatasetTemplates::load(&dir.join("templates/ag_news/templates.yaml"))
        .expect("templates load");
    let templates: Vec<CompiledTemplate> = file
        .templates
        .iter()
        .map(|t| CompiledTemplate::compile(t).expect("template compiles"))
        .collect();
    let rows: Vec<Row> =
        promptstudio::data::parquet::read_rows(&dir.join("data/ag_news/_/test.parquet"))
            .expect("rows load")
            .into_iter()
            .map(lengthen_text)
            .collect();
    let options = ApplyOptions::default();
    let mut applies = 0usize;
    let mut bytes = 0usize;
    for _ in 0..rounds {
        for template in &templates {
            for row in &rows {
                let applied = template.apply(row, &options).expect("applies");
                bytes += std::hint::black_box(&applied)
                    .parts
                    .iter()
                    .map(String::len)
                    .sum::<usize>();
                applies += 1;
            }
        }
    }
    println!("{applies} applies, {bytes} prompt bytes");
}

/// Repeats the row's `text` until it is about 240 characters long (as the
/// apply bench does).
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
