//! Rendering a current model's chat template (Qwen2.5-Instruct, from
//! ../shared/chat-templates) over a three-turn conversation: the goal is at
//! least 100,000 renders per second on one core (under 10 µs each), with
//! transformers' semantics; minijinja's render of the same case alongside.
//!
//! The corpus is found like the integration tests find it
//! (`PROMPTSTUDIO_CHAT_TEMPLATES`, else `../shared/chat-templates`).

use std::path::{Path, PathBuf};

use promptstudio::core::chat::minijinja_env::MiniTemplate;
use promptstudio::core::chat::{ChatTemplate, Conversation, RenderOptions, WallTime};

const TEMPLATE: &str = "qwen2.5-instruct";

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("PROMPTSTUDIO_CHAT_TEMPLATES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/chat-templates"));
    dir.join("templates")
        .join(format!("{TEMPLATE}.jinja"))
        .is_file()
        .then_some(dir)
}

// The binary's allocator (see src/main.rs), so the figures are the program's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    if corpus().is_none() {
        println!("SKIP: chat-template corpus not found (set PROMPTSTUDIO_CHAT_TEMPLATES)");
        return;
    }
    divan::main();
}

fn setup() -> (String, Conversation, RenderOptions) {
    let dir = corpus().expect("corpus");
    let source = std::fs::read_to_string(dir.join("templates").join(format!("{TEMPLATE}.jinja")))
        .expect("template");
    let conversation = Conversation::from_json(serde_json::json!({"messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": "The capital of France is Paris."},
        {"role": "user", "content": "And what is its population?"}
    ]}))
    .expect("conversation");
    let options = RenderOptions {
        add_generation_prompt: true,
        special_tokens: vec![
            ("bos_token".into(), "<|endoftext|>".into()),
            ("eos_token".into(), "<|im_end|>".into()),
        ],
        now: WallTime::parse_rfc3339("2026-01-15T12:00:00Z"),
    };
    (source, conversation, options)
}

/// One render with transformers' semantics (the template compiled once).
#[divan::bench]
fn render_three_turns(bencher: divan::Bencher) {
    let (source, conversation, options) = setup();
    let template = ChatTemplate::compile(&source).expect("compiles");
    bencher.bench(|| template.render(&conversation, &options).expect("renders"));
}

/// The same render through minijinja (what a Rust server does).
#[divan::bench]
fn render_three_turns_minijinja(bencher: divan::Bencher) {
    let (source, conversation, options) = setup();
    let template = MiniTemplate::compile(&source, options.now).expect("compiles");
    bencher.bench(|| template.render(&conversation, &options).expect("renders"));
}

/// Compiling the template.
#[divan::bench]
fn compile(bencher: divan::Bencher) {
    let (source, _, _) = setup();
    bencher.bench(|| ChatTemplate::compile(&source).expect("compiles"));
}
