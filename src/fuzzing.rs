//! Entry points for the fuzz targets in `fuzz/` and for the stable test that
//! replays their corpora (`tests/integration/fuzz_replay.rs`).
//!
//! Each function takes arbitrary bytes and drives the same code path a
//! command takes with that input as a file or template. None of them may
//! panic, abort, hang or exhaust memory on any input: the errors they return
//! are the product's answer to bad input and are ignored here; anything else
//! is a bug the fuzzer reports.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::core::apply::{ApplyOptions, CompiledTemplate};
use crate::core::chat::{ChatTemplate, Conversation, RenderOptions, WallTime};
use crate::core::datum::{Datum, Row};
use crate::core::template::{DatasetTemplates, Template};
use crate::data::features::CellFormat;
use crate::data::{inspect, Source};
use crate::export::manifest::{settings_difference, Manifest};

/// Rows a data target reads at most: a crafted file can claim any count.
const ROWS_READ: u64 = 16;

/// A PromptSource template: the bytes up to the first NUL are its jinja,
/// the rest (if any) its answer choices. Compiled and applied to a small
/// fixed row with and without truncation, as `apply` and `export` do.
pub fn template_render(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (jinja, choices) = match text.split_once('\0') {
        Some((jinja, choices)) => (jinja, Some(choices)),
        None => (text, None),
    };
    let mut template = Template::new("fuzz");
    template.jinja = jinja.into();
    template.answer_choices = choices.map(Into::into);
    on_render_stack(move || {
        let Ok(compiled) = CompiledTemplate::compile(&template) else {
            return;
        };
        let row = fixed_row();
        for truncate in [true, false] {
            let options = ApplyOptions {
                truncate,
                seed: Some(42),
                track_spans: true,
            };
            let _ = compiled.render(&row, &options);
        }
        let _ = compiled.fixed_answer_choices();
        let _ = compiled.undeclared_variables();
    });
}

/// A `templates.yaml`: loaded as `check` and the studio load it, and when
/// it loads, written back as `fmt` writes it, which must load again to the
/// same templates and be a fixed point of formatting.
pub fn templates_yaml(data: &[u8]) {
    let Ok(path) = scratch_file("templates.yaml", data) else {
        return;
    };
    let Ok(file) = DatasetTemplates::load(&path) else {
        return;
    };
    let emitted = file.to_yaml();
    let again = match DatasetTemplates::parse(&emitted, &path) {
        Ok(again) => again,
        Err(error) => panic!("fmt's output does not load: {error}\n{emitted}"),
    };
    // The writer orders templates by id and other keys by name, as PyYAML
    // sorts mappings, so only the fields PromptSource knows are compared.
    fn by_id(file: &DatasetTemplates) -> String {
        let mut templates: Vec<&Template> = file.templates.iter().collect();
        templates.sort_by(|a, b| a.id.cmp(&b.id));
        let known: Vec<_> = templates
            .iter()
            .map(|t| {
                (
                    &t.id,
                    &t.name,
                    &t.jinja,
                    &t.reference,
                    &t.answer_choices,
                    &t.metadata,
                )
            })
            .collect();
        format!("{known:?}")
    }
    assert!(
        by_id(&again) == by_id(&file),
        "fmt's output loads to different templates:\n{emitted}"
    );
    assert_eq!(again.to_yaml(), emitted, "fmt is not a fixed point");
}

/// A JSON Lines file, typed and read as `inspect` and `apply` read it.
pub fn jsonl(data: &[u8]) {
    read_dataset("data.jsonl", data);
}

/// A CSV file, typed and read as `inspect` and `apply` read it.
pub fn csv(data: &[u8]) {
    read_dataset("data.csv", data);
}

/// A Parquet file, opened and read as `inspect` and `apply` read it.
pub fn parquet(data: &[u8]) {
    read_dataset("data.parquet", data);
}

/// An Arrow IPC file (file or stream format), opened and read as `inspect`
/// and `apply` read it.
pub fn arrow_ipc(data: &[u8]) {
    read_dataset("data.arrow", data);
}

/// An export folder's `manifest.json`, read as `export` (resume) and
/// `export --merge` read it: parsed and validated, then merged as the only
/// shard of an export (the shard's data files are absent, so a merge that
/// gets that far fails placing them).
pub fn export_manifest(data: &[u8]) {
    let Ok(path) = scratch_file("shard/manifest.json", data) else {
        return;
    };
    let Some(folder) = path.parent() else {
        return;
    };
    let Ok(Some(manifest)) = Manifest::load(folder) else {
        return;
    };
    let _ = settings_difference(&manifest.settings, &manifest.settings);
    for entry in &manifest.outputs {
        let _ = manifest.is_done(folder, &entry.task, &entry.split, &entry.template_sha256);
    }
    let Some(scratch) = folder.parent() else {
        return;
    };
    let out = scratch.join("merged");
    let _ = std::fs::remove_dir_all(&out);
    let _ = crate::export::merge::merge(&[folder.to_path_buf()], &out);
}

/// A chat template, compiled and rendered over a fixed conversation with
/// tools and a frozen clock, as `chat-template render` does.
pub fn chat_template(data: &[u8]) {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let source = source.to_string();
    on_render_stack(move || {
        let Ok(template) = ChatTemplate::compile(&source) else {
            return;
        };
        let conversation = fixed_conversation();
        for add_generation_prompt in [false, true] {
            let options = RenderOptions {
                add_generation_prompt,
                special_tokens: vec![
                    ("bos_token".into(), "<s>".into()),
                    ("eos_token".into(), "</s>".into()),
                ],
                now: Some(WallTime::from_unix(1_700_000_000, 0)),
            };
            let _ = template.render(conversation, &options);
        }
    });
}

fn read_dataset(file_name: &str, data: &[u8]) {
    let Ok(path) = scratch_file(file_name, data) else {
        return;
    };
    let Ok(mut source) = crate::data::open(&path) else {
        return;
    };
    read_source(source.as_ref());
    let first = source
        .schema()
        .columns
        .first()
        .map(|column| column.name.clone());
    if let Some(first) = first {
        if source.set_projection(Some(&[first.as_str()])).is_ok() {
            let _ = source.row(0);
        }
    }
}

fn read_source(source: &dyn Source) {
    let schema = source.schema();
    let _ = inspect::schema_text(schema);
    let _ = inspect::schema_json(schema);
    let Ok(count) = source.wait_for_row_count() else {
        return;
    };
    let format = CellFormat::default();
    for index in [0, count.saturating_sub(1), count] {
        if let Ok(row) = source.row(index) {
            let _ = inspect::row_text(&row, schema, &format);
            let _ = inspect::row_json(&row);
        }
    }
    let _ = source.rows(0..ROWS_READ);
    if let Ok(batches) = source.batches(5) {
        for batch in batches.take(3) {
            if batch.is_err() {
                break;
            }
        }
    }
    let _ = inspect::summarize(source, Some(ROWS_READ), &mut |_| {});
}

/// Runs `work` on a thread with the stack every rendering thread of the
/// product gets; a panic there is resumed here, so the fuzzer (and the
/// replay test) sees it.
fn on_render_stack(work: impl FnOnce() + Send + 'static) {
    let thread = std::thread::Builder::new()
        .name("fuzz-render".into())
        .stack_size(crate::core::jinja::RENDER_STACK_SIZE)
        .spawn(work)
        .expect("cannot start a render thread");
    if let Err(panic) = thread.join() {
        std::panic::resume_unwind(panic);
    }
}

/// Writes `data` to `name` (a relative path) in this process's scratch
/// folder (in memory when `/dev/shm` exists) and returns its path. Each call
/// replaces the file.
fn scratch_file(name: &str, data: &[u8]) -> std::io::Result<PathBuf> {
    static FOLDER: OnceLock<Option<PathBuf>> = OnceLock::new();
    let folder = FOLDER.get_or_init(|| {
        let base = Path::new("/dev/shm");
        let base = if base.is_dir() {
            base.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let folder = base.join(format!("promptstudio-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&folder).ok()?;
        Some(folder)
    });
    let Some(folder) = folder else {
        return Err(std::io::Error::other("no scratch folder"));
    };
    let path = folder.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, data)?;
    Ok(path)
}

fn fixed_row() -> Row {
    let text = |s: &str| Datum::Str(Arc::from(s));
    Row::new(vec![
        (
            Arc::from("text"),
            text("The cat sat on the mat. ||| It purred."),
        ),
        (Arc::from("label"), Datum::Int(1)),
        (Arc::from("score"), Datum::Float(0.5)),
        (Arc::from("flag"), Datum::Bool(true)),
        (Arc::from("missing"), Datum::None),
        (
            Arc::from("choices"),
            Datum::List(Arc::from(vec![text("yes"), text("no"), text("maybe")])),
        ),
        (
            Arc::from("answers"),
            Datum::Dict(Arc::from(vec![
                (
                    Arc::from("text"),
                    Datum::List(Arc::from(vec![text("Paris")])),
                ),
                (
                    Arc::from("answer_start"),
                    Datum::List(Arc::from(vec![Datum::Int(3)])),
                ),
            ])),
        ),
        (
            Arc::from("nums"),
            Datum::List(Arc::from(vec![
                Datum::Int(3),
                Datum::Int(-4),
                Datum::Float(1e20),
            ])),
        ),
        (
            Arc::from("d"),
            Datum::Dict(Arc::from(vec![
                (Arc::from("b"), Datum::Int(2)),
                (Arc::from("a"), text("x")),
            ])),
        ),
        (Arc::from("premise-hyphen"), text("a hyphenated key")),
        (
            Arc::from("raw"),
            Datum::Bytes(Arc::from(&b"\x00\xffbytes"[..])),
        ),
    ])
}

fn fixed_conversation() -> &'static Conversation {
    static CONVERSATION: OnceLock<Conversation> = OnceLock::new();
    CONVERSATION.get_or_init(|| {
        let json = serde_json::json!({
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": "What is the weather in Paris?"},
                {"role": "assistant", "content": null, "reasoning_content": "Call the tool.",
                 "tool_calls": [{"id": "call_1", "type": "function",
                     "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "{\"celsius\": 21}"},
                {"role": "assistant", "content": [{"type": "text", "text": "21 °C."}]},
                {"role": "user", "content": "Thanks!"}
            ],
            "tools": [{"type": "function", "function": {
                "name": "get_weather", "description": "The weather in a city.",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                               "required": ["city"]}}}]
        });
        Conversation::from_json(json).expect("the fixed conversation is valid")
    })
}
