//! Few-shot in the studio: the key cycles K, the preview worker draws and
//! joins the demonstrations exactly as `render --num-fewshot K` does, and
//! the preview shows them.

#![cfg(feature = "tui")]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use promptstudio::app::engine::CoreEngine;
use promptstudio::app::{Action, Effect, Event, PreviewRequest};
use promptstudio::tui::workers::Workers;
use promptstudio::tui::Incoming;
use promptstudio::ui::{ColorDepth, Theme, Ui};
use promptstudio::workspace::FolderWorkspace;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::studio_support::TestApp;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data")
}

/// The studio on sample-data, news_topics' `classify_with_choices` open.
fn studio() -> TestApp {
    let workspace = Arc::new(FolderWorkspace::new(&sample(), None, None));
    let mut app = TestApp::new(workspace);
    app.update(Event::Action(Action::FocusCatalog));
    for _ in 0..40 {
        app.update(Event::Action(Action::Select));
        let open = app.current_template().map(|t| t.name.clone());
        let dataset = app.current_file().map(|f| f.templates.dataset.clone());
        if open.as_deref() == Some("classify_with_choices")
            && dataset.as_deref() == Some("news_topics")
        {
            app.update(Event::Action(Action::FocusPreview));
            app.take_effects();
            return app;
        }
        app.update(Event::Action(Action::FocusCatalog));
        app.update(Event::Action(Action::Down));
    }
    panic!("classify_with_choices not found in the catalog");
}

/// The latest preview request among `effects`.
fn preview_request(effects: Vec<Effect>) -> PreviewRequest {
    effects
        .into_iter()
        .filter_map(|effect| match effect {
            Effect::Preview(request) => Some(request),
            _ => None,
        })
        .next_back()
        .expect("a preview request")
}

/// Runs `request` on the real preview worker and feeds the answer back.
fn answer_on_workers(app: &mut TestApp, request: PreviewRequest) {
    let (sender, receiver) = std::sync::mpsc::channel();
    let workspace = Arc::new(FolderWorkspace::new(&sample(), None, None));
    let workers = Workers::start(Arc::new(CoreEngine), workspace, sender);
    workers.run(Effect::Preview(request));
    loop {
        let incoming = receiver
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the preview worker answers");
        if let Incoming::App(Event::Preview(result)) = incoming {
            app.update(Event::Preview(result));
            return;
        }
    }
}

fn render_json(args: &[&str]) -> serde_json::Value {
    let home = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_promptstudio"))
        .args(args)
        .env_clear()
        .env("HOME", home.path())
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("HF_HOME", home.path().join("hf"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Opens the sample, moves to `row`, presses the few-shot key `presses`
/// times and answers the preview on the real worker.
fn studio_fewshot(row: usize, presses: usize) -> TestApp {
    let mut app = studio();
    for _ in 0..row {
        app.update(Event::Action(Action::NextRow));
    }
    let mut effects = Vec::new();
    for _ in 0..presses {
        effects = app.update(Event::Action(Action::CycleFewshot));
    }
    let request = preview_request(effects);
    assert_eq!(request.row, row);
    answer_on_workers(&mut app, request);
    app
}

#[test]
fn the_studios_fewshot_prompt_equals_renders() {
    let row = 3;
    let app = studio_fewshot(row, 2);
    assert_eq!(app.preview.shots, 2);
    let result = app.preview.result.as_ref().expect("a preview");
    let fewshot = result.fewshot.as_ref().expect("few-shot on at K=2");
    let split = app.preview.current_split().expect("a split").name.clone();
    let seed = app.preview.seed.to_string();
    let workspace = sample();
    let cli = render_json(&[
        "render",
        "--workspace",
        workspace.to_str().unwrap(),
        "--dataset",
        "news_topics",
        "--template",
        "classify_with_choices",
        "--split",
        &split,
        "--row",
        &row.to_string(),
        "--seed",
        &seed,
        "--num-fewshot",
        "2",
        "--json",
    ]);
    let rows: Vec<usize> = fewshot.demonstrations.iter().map(|d| d.row).collect();
    assert_eq!(serde_json::json!(rows), cli["fewshot_rows"]);
    assert_eq!(rows.len(), 2);
    assert_eq!(serde_json::json!(fewshot.prompt), cli["prompt"]);
    // The row's own parts stay its own.
    let rendered = result.outcome.as_ref().expect("rendered");
    assert_eq!(serde_json::json!(rendered.parts), cli["parts"]);
}

#[test]
fn the_fewshot_key_cycles_zero_to_five_and_back() {
    let mut app = studio();
    let mut seen = Vec::new();
    for _ in 0..6 {
        let request = preview_request(app.update(Event::Action(Action::CycleFewshot)));
        seen.push((app.preview.shots, request.shots));
    }
    assert_eq!(seen, [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (0, 0)]);
    // Bound in the preview and globally.
    let keymap = &app.keymap;
    use promptstudio::app::Context;
    assert!(keymap
        .key_for(Context::Preview, Action::CycleFewshot)
        .is_some());
    assert!(keymap
        .key_for(Context::Global, Action::CycleFewshot)
        .is_some());
}

#[test]
fn the_preview_lists_the_demonstration_rows_and_the_title_says_few_shot() {
    let app = studio_fewshot(3, 2);
    let ui = Ui::new(Theme::default_for(ColorDepth::None));
    let mut terminal = Terminal::new(TestBackend::new(100, 40)).unwrap();
    terminal.draw(|frame| ui.draw(frame, &app)).unwrap();
    let backend = terminal.backend().clone();
    // The timing in the title changes from run to run.
    let text = format!("{backend}");
    let text = without_timing(&text);
    insta::assert_snapshot!("preview_fewshot_2", text);
}

/// Replaces the preview title's "N.N ms" with "_ ms" (and drops its border).
fn without_timing(text: &str) -> String {
    text.lines()
        .map(|line| match line.find(" ms ") {
            Some(end) => {
                let start = line[..end].rfind("· ").map_or(end, |i| i + "· ".len());
                // The border's length follows the title's, so it goes too.
                let line = format!("{}_{}", &line[..start], &line[end..]);
                line.replace('━', "")
            }
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
