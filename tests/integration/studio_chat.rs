//! The studio's model: the chat view (the prompt as the model reads it,
//! through sample-data/models/tiny-chat's template), token counts with the
//! context bar, the model picker over a Hugging Face cache, the batch
//! view's token histogram, and templates that are missing or broken.

#![cfg(feature = "tui")]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use promptstudio::app::chat::{ChatRequest, TokenCache};
use promptstudio::app::engine::CoreEngine;
use promptstudio::app::{
    Action, App, BatchRequest, BatchUpdate, Effect, Event, Key, KeyChord, Overlay, PreviewResult,
    Rendered,
};
use promptstudio::core::chat::tokens::TokenCounter;
use promptstudio::tui::workers::Workers;
use promptstudio::tui::Incoming;
use promptstudio::ui::{ColorDepth, Theme, Ui};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::studio_support::*;

const INPUT: &str = "What label best describes this news article?\nOlympics: Phelps wins again as the pool sees its fastest night yet.";

fn tiny_chat() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/models/tiny-chat")
}

/// A workspace folder holding `promptstudio.toml` (and a copy of the
/// sample model under models/tiny-chat, for relative paths).
fn settings_folder(settings: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("models/tiny-chat");
    std::fs::create_dir_all(&model).unwrap();
    for file in ["tokenizer.json", "tokenizer_config.json"] {
        std::fs::copy(tiny_chat().join(file), model.join(file)).unwrap();
    }
    std::fs::write(dir.path().join("promptstudio.toml"), settings).unwrap();
    dir
}

/// Performs the model work the app asks for, as the model worker would,
/// and feeds the answers back; returns the other effects.
fn settle_chat(app: &mut TestApp, effects: Vec<Effect>) -> Vec<Effect> {
    let mut cache = TokenCache::default();
    let mut queue: std::collections::VecDeque<Effect> = effects.into();
    let mut others = Vec::new();
    while let Some(effect) = queue.pop_front() {
        match effect {
            Effect::Chat(request) => {
                let answer = request.perform(&mut cache);
                queue.extend(app.update(Event::Chat(answer)));
            }
            other => others.push(other),
        }
    }
    others
}

fn open_settings(app: &mut TestApp, folder: &Path) {
    app.app.open_chat_settings(folder.to_path_buf());
    let effects = app.app.take_effects();
    settle_chat(app, effects);
}

/// The worker's preview of the current row, as the engine would give it.
fn preview(app: &mut TestApp, input: &str, target: &str) {
    let result = PreviewResult {
        generation: app.preview.generation,
        outcome: Ok(Rendered {
            parts: vec![input.into(), target.into()],
            answer_choices: None,
            spans: Vec::new(),
        }),
        row: Some(workspace().rows[1].clone()),
        row_count: Some(3),
        counting: false,
        features: vec![("label".into(), labels())],
        elapsed: std::time::Duration::from_micros(420),
        fewshot: None,
    };
    let effects = app.update(Event::Preview(result));
    settle_chat(app, effects);
}

fn draw(app: &App, width: u16, height: u16, depth: ColorDepth) -> TestBackend {
    let ui = Ui::new(Theme::default_for(depth));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| ui.draw(frame, app)).unwrap();
    terminal.backend().clone()
}

fn snapshot(name: &str, app: &App) {
    for (width, height) in [(80, 24), (160, 48)] {
        insta::assert_snapshot!(
            format!("{name}_{width}x{height}"),
            draw(app, width, height, ColorDepth::None)
        );
    }
}

fn screen_text(backend: &TestBackend) -> String {
    let buffer = backend.buffer();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

fn count(text: &str) -> usize {
    let tokenizer = tiny_chat().join("tokenizer.json");
    TokenCounter::load(tokenizer.to_str().unwrap(), &tiny_chat())
        .unwrap()
        .count(text)
        .unwrap()
}

#[test]
fn the_chat_view_shows_the_prompt_as_the_model_reads_it() {
    let folder = settings_folder("[model]\nchat_template = \"models/tiny-chat\"\n");
    let mut app = app(workspace());
    app.update(Event::Action(Action::FocusPreview));
    open_settings(&mut app, folder.path());
    let model = app.chat.model.clone().expect("the model loads");
    assert_eq!(model.name, "models/tiny-chat");
    assert_eq!(model.context_length, Some(4096));
    preview(&mut app, INPUT, "Sports");
    let effects = app.update(Event::Key(KeyChord::plain(Key::Char('t'))));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(app.chat.view);
    let shown = app.chat.shown.clone().expect("rendered through the model");
    let expected = format!(
        "<s><|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n{INPUT}<|im_end|>\n<|im_start|>assistant\n"
    );
    assert_eq!(shown.prompt, Some(Ok(expected.clone())));
    assert_eq!(shown.input_tokens, Some(count(INPUT)));
    assert_eq!(shown.target_tokens, Some(count("Sports")));
    assert_eq!(shown.prompt_tokens, Some(count(&expected)));
    snapshot("chat_view", &app);
    let effects = app.update(Event::Action(Action::CopyPrompt));
    assert!(
        matches!(effects.as_slice(), [Effect::Copy(text)] if *text == expected),
        "{effects:?}"
    );

    // Special tokens are dimmed, the text between them is not.
    let ui = Ui::new(Theme::default_for(ColorDepth::TrueColor));
    let screen = draw(&app, 160, 48, ColorDepth::TrueColor);
    let buffer = screen.buffer();
    let text = screen_text(&screen);
    let line = text
        .lines()
        .position(|l| l.contains("<|im_start|>user"))
        .unwrap();
    let column = text
        .lines()
        .nth(line)
        .unwrap()
        .find("<|im_start|>user")
        .unwrap();
    let column = text.lines().nth(line).unwrap()[..column].chars().count() as u16;
    let dim = ui.style("ui.dim").fg;
    assert_eq!(buffer[(column, line as u16)].fg, dim.unwrap());
    assert_ne!(
        Some(buffer[(column + 12, line as u16)].fg),
        dim,
        "`user` is the template's text"
    );

    // And back to PromptSource's parts.
    app.update(Event::Action(Action::ChatView));
    assert!(!app.chat.view);
    let parts = screen_text(&draw(&app, 160, 48, ColorDepth::None));
    assert!(parts.contains("Input"), "{parts}");
    assert!(!parts.contains("<|im_start|>"), "{parts}");
}

#[test]
fn token_counts_and_the_context_bar_follow_the_row() {
    let folder = settings_folder(
        "[model]\nchat_template = \"models/tiny-chat/tokenizer_config.json\"\ntokenizer = \"models/tiny-chat/tokenizer.json\"\n",
    );
    let mut app = app(workspace());
    open_settings(&mut app, folder.path());
    preview(&mut app, INPUT, "Sports");
    let prompt_tokens = app.chat.shown.as_ref().unwrap().prompt_tokens.unwrap();
    let text = screen_text(&draw(&app, 160, 48, ColorDepth::None));
    let line = format!(
        "Tokens  input {} · target {} · prompt {prompt_tokens} of 4096",
        count(INPUT),
        count("Sports")
    );
    assert!(text.contains(&line), "{text}");
    assert!(text.contains("▕█░░░"), "{text}");
    snapshot("token_counts", &app);

    // A new row: its counts replace the last one's once rendered, and an
    // answer for an older preview is dropped.
    app.update(Event::Action(Action::NextRow));
    let generation = app.preview.generation;
    let result = PreviewResult {
        generation,
        outcome: Ok(Rendered {
            parts: vec!["short".into(), "World".into()],
            answer_choices: None,
            spans: Vec::new(),
        }),
        row: None,
        row_count: Some(3),
        counting: false,
        features: Vec::new(),
        elapsed: std::time::Duration::ZERO,
        fewshot: None,
    };
    let effects = app.update(Event::Preview(result));
    assert!(app.chat_pending());
    let [Effect::Chat(ChatRequest::Render(request))] = effects.as_slice() else {
        panic!("expected one render through the model: {effects:?}");
    };
    let mut stale = request.clone();
    stale.generation -= 1;
    let answer = ChatRequest::Render(stale).perform(&mut TokenCache::default());
    app.update(Event::Chat(answer));
    assert!(
        app.chat_pending(),
        "an older preview's counts are not shown as this row's"
    );
    settle_chat(&mut app, effects);
    assert!(!app.chat_pending());
    assert_eq!(
        app.chat.shown.as_ref().unwrap().input_tokens,
        Some(count("short"))
    );
}

/// A Hugging Face cache with the sample model as `org/tiny-chat`, a model
/// without a template, and a dataset (not listed).
fn hub_cache() -> tempfile::TempDir {
    let cache = tempfile::tempdir().unwrap();
    let repo = cache.path().join("models--org--tiny-chat");
    let snapshot = repo.join("snapshots/abc123");
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::write(repo.join("refs/main"), "abc123").unwrap();
    for file in ["tokenizer.json", "tokenizer_config.json"] {
        std::fs::copy(tiny_chat().join(file), snapshot.join(file)).unwrap();
    }
    let plain = cache.path().join("models--acme--encoder/snapshots/def");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::write(
        plain.join("tokenizer_config.json"),
        r#"{"model_max_length": 512}"#,
    )
    .unwrap();
    std::fs::create_dir_all(cache.path().join("datasets--org--rows/snapshots/x")).unwrap();
    cache
}

#[test]
fn the_picker_lists_cached_models_and_loads_the_one_chosen() {
    let cache = hub_cache();
    let mut app = app(workspace());
    app.chat.hub_cache = Some(cache.path().to_path_buf());
    app.update(Event::Action(Action::FocusPreview));
    preview(&mut app, INPUT, "Sports");
    let effects = app.update(Event::Key(KeyChord::plain(Key::Char('o'))));
    assert!(matches!(app.overlay, Overlay::ModelPicker(_)));
    settle_chat(&mut app, effects);
    let Overlay::ModelPicker(picker) = &app.overlay else {
        panic!("the picker closed");
    };
    let ids: Vec<&str> = picker
        .models
        .as_ref()
        .unwrap()
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(ids, ["acme/encoder", "org/tiny-chat"]);
    snapshot("model_picker", &app);
    for c in "tiny".chars() {
        app.update(Event::Key(KeyChord::plain(Key::Char(c))));
    }
    let effects = app.update(Event::Action(Action::Select));
    assert_eq!(app.overlay, Overlay::None);
    settle_chat(&mut app, effects);
    let model = app.chat.model.clone().expect("the chosen model loads");
    assert_eq!(model.name, "org/tiny-chat");
    assert!(model.tokenizer.is_some());
    // The row is rendered through the new model at once.
    assert!(!app.chat_pending());
    assert!(app.chat.shown.as_ref().unwrap().prompt_tokens.is_some());
}

#[test]
fn missing_and_broken_templates_are_named_and_nothing_panics() {
    for (settings, extra, wanted) in [
        (
            "[model]\nchat_template = \"broken.jinja\"\n",
            Some(("broken.jinja", "{% if messages %}{{ messages[0].content }")),
            "broken.jinja: the chat template does not compile",
        ),
        (
            "[model]\nchat_template = \"nobody/nothing\"\n",
            None,
            "no snapshot of model nobody/nothing",
        ),
        (
            "[model]\nchat_template = \"plain/tokenizer_config.json\"\n",
            Some(("plain/tokenizer_config.json", r#"{"bos_token": "<s>"}"#)),
            "tokenizer_config.json: no \"chat_template\" in it",
        ),
        (
            "[model]\nchat_template = \"models/tiny-chat\"\ntokenizer = \"bad/tokenizer.json\"\n",
            Some(("bad/tokenizer.json", "{}")),
            "tokenizer.json: not a usable tokenizer.json",
        ),
        ("[model]\nchat_template = 3\n", None, "promptstudio.toml"),
    ] {
        let folder = settings_folder(settings);
        if let Some((path, text)) = extra {
            let path = folder.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let mut app = app(workspace());
        open_settings(&mut app, folder.path());
        assert!(app.chat.model.is_none());
        let problem = app.chat.problem.clone().expect("the problem is kept");
        assert!(problem.contains(wanted), "{settings}: {problem}");
        assert!(problem.contains("promptstudio.toml"), "{problem}");
        assert!(app.notice.as_ref().is_some_and(|n| n.is_error));
        preview(&mut app, INPUT, "Sports");
        app.update(Event::Action(Action::ChatView));
        let text = screen_text(&draw(&app, 160, 48, ColorDepth::None));
        assert!(text.contains("The model could not be loaded"), "{text}");
        if wanted.starts_with("broken.jinja") {
            app.notice = None;
            snapshot("broken_template", &app);
        }
    }
}

#[test]
fn a_template_that_raises_on_the_row_says_so_with_its_file() {
    let folder = settings_folder("[model]\nchat_template = \"strict.jinja\"\n");
    std::fs::write(
        folder.path().join("strict.jinja"),
        "{% if messages[0].role != 'system' %}{{ raise_exception('a system message comes first') }}{% endif %}",
    )
    .unwrap();
    let mut app = app(workspace());
    open_settings(&mut app, folder.path());
    assert!(app.chat.model.as_ref().unwrap().tokenizer.is_none());
    preview(&mut app, INPUT, "Sports");
    app.update(Event::Action(Action::ChatView));
    let error = app.chat.shown.as_ref().unwrap().prompt.clone().unwrap();
    let error = error.unwrap_err();
    assert!(
        error.contains("strict.jinja: raise_exception error"),
        "{error}"
    );
    assert!(error.contains("a system message comes first"), "{error}");
    let text = screen_text(&draw(&app, 160, 48, ColorDepth::None));
    assert!(
        text.contains("The chat template failed on this row"),
        "{text}"
    );
}

#[test]
fn a_changed_promptstudio_toml_loads_the_model_it_now_names() {
    let folder = settings_folder("[model]\nchat_template = \"models/tiny-chat\"\n");
    std::fs::write(
        folder.path().join("plain.jinja"),
        "[{{ messages[0].content }}]",
    )
    .unwrap();
    let mut app = app(workspace());
    open_settings(&mut app, folder.path());
    preview(&mut app, INPUT, "Sports");
    std::fs::write(
        folder.path().join("promptstudio.toml"),
        "[model]\nchat_template = \"plain.jinja\"\n",
    )
    .unwrap();
    let effects = app.update(Event::FileChanged(folder.path().join("promptstudio.toml")));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Chat(ChatRequest::Settings { .. })]
        ),
        "{effects:?}"
    );
    settle_chat(&mut app, effects);
    assert_eq!(app.chat.model.as_ref().unwrap().name, "plain.jinja");
    let shown = app.chat.shown.as_ref().unwrap();
    assert_eq!(shown.prompt, Some(Ok(format!("[{INPUT}]"))));
}

#[test]
fn without_a_model_the_chat_view_says_how_to_get_one() {
    let mut app = app(workspace());
    preview(&mut app, INPUT, "Sports");
    app.update(Event::Action(Action::ChatView));
    assert!(app.notice.as_ref().unwrap().text.contains("alt-o"));
    let text = screen_text(&draw(&app, 160, 48, ColorDepth::None));
    assert!(
        text.contains("No model: set [model] chat_template"),
        "{text}"
    );
}

#[test]
fn the_batch_view_counts_input_tokens_over_the_split() {
    let folder = settings_folder("[model]\nchat_template = \"models/tiny-chat\"\n");
    let mut app = app(workspace());
    open_settings(&mut app, folder.path());
    preview(&mut app, INPUT, "Sports");
    let effects = app.update(Event::Action(Action::BatchView));
    let Some(Effect::Batch(request)) = effects.into_iter().find(|e| matches!(e, Effect::Batch(_)))
    else {
        panic!("the batch view asks for a page");
    };
    assert!(request.chat.is_some(), "the statistics count tokens");
    let stats = batch_stats(request.clone());
    let tokens = stats.tokens.clone().expect("token lengths counted");
    assert_eq!(tokens.counted, 3);
    assert_eq!(tokens.context_length, Some(4096));
    assert_eq!(tokens.histogram.iter().sum::<usize>(), 3);
    let inputs: Vec<usize> = workspace()
        .rows
        .iter()
        .map(|row| {
            let text = match row.get("text") {
                Some(promptstudio::core::datum::Datum::Str(text)) => text.to_string(),
                other => panic!("{other:?}"),
            };
            count(&format!(
                "What label best describes this news article?\n{text}"
            ))
        })
        .collect();
    assert_eq!(tokens.longest, *inputs.iter().max().unwrap());
    let generation = app.batch.generation;
    app.update(Event::Batch(BatchUpdate::Stats { generation, stats }));
    snapshot("batch_token_histogram", &app);
}

/// Runs a batch request on the real workers and returns the finished
/// statistics.
fn batch_stats(request: BatchRequest) -> promptstudio::app::stats::SplitStats {
    let (sender, receiver) = std::sync::mpsc::channel();
    let workers = Workers::start(Arc::new(CoreEngine), workspace(), sender);
    workers.run(Effect::Batch(request));
    loop {
        let incoming = receiver
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the batch worker answers");
        if let Incoming::App(Event::Batch(BatchUpdate::Stats { stats, .. })) = incoming {
            if stats.finished {
                return stats;
            }
        }
    }
}
