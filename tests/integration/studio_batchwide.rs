//! The batch view beside the editor on wide terminals, and the target and
//! class distribution in its statistics.

use std::sync::Arc;

use promptstudio::app::engine::CoreEngine;
use promptstudio::app::{Action, App, BatchUpdate, Context, Effect, Event, Focus, Key, KeyChord};
use promptstudio::tui::workers::Workers;
use promptstudio::tui::Incoming;
use promptstudio::ui::{ColorDepth, Theme, Ui};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::studio_support::*;

fn draw(app: &App, width: u16, height: u16) -> TestBackend {
    let ui = Ui::new(Theme::default_for(ColorDepth::None));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| ui.draw(frame, app)).unwrap();
    terminal.backend().clone()
}

/// Runs the app's batch effects on the real workers and feeds their page
/// and finished statistics back.
fn run_batch(app: &mut TestApp, effects: Vec<Effect>) {
    let request = effects
        .into_iter()
        .find_map(|effect| match effect {
            Effect::Batch(request) => Some(request),
            _ => None,
        })
        .expect("the app asks for a batch");
    let (sender, receiver) = std::sync::mpsc::channel();
    let workers = Workers::start(Arc::new(CoreEngine), workspace(), sender);
    workers.run(Effect::Batch(request));
    loop {
        let incoming = receiver
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the batch worker answers");
        if let Incoming::App(Event::Batch(update)) = incoming {
            let finished = matches!(&update, BatchUpdate::Stats { stats, .. } if stats.finished);
            app.update(Event::Batch(update));
            if finished {
                return;
            }
        }
    }
}

fn batch_open() -> TestApp {
    let mut app = app(workspace());
    app.take_effects();
    let effects = app.update(Event::Action(Action::BatchView));
    run_batch(&mut app, effects);
    app
}

#[test]
fn the_batch_statistics_count_each_target_and_class() {
    let app = batch_open();
    let stats = app.batch.stats.as_ref().expect("statistics arrived");
    // classify_question_first over labels 2, 1, 3.
    let (top, other) = stats.top_targets(10);
    assert_eq!(
        top,
        vec![
            ("Business", 1),
            ("Science and technology", 1),
            ("Sports", 1)
        ]
    );
    assert_eq!(other, 0);
    let labels = stats
        .labels
        .as_ref()
        .expect("the label column is a ClassLabel");
    assert_eq!(labels.column, "label");
    assert_eq!(labels.names[1], "Sports");
    assert_eq!(labels.counts, vec![0, 1, 1, 1]);
    assert_eq!(labels.other, 0);
    let (top, other) = stats.top_targets(1);
    assert_eq!((top, other), (vec![("Business", 1)], 2));
}

#[test]
fn wide_terminals_show_the_batch_beside_the_editor() {
    let app = batch_open();
    insta::assert_snapshot!("beside_160x48", draw(&app, 160, 48));
    assert!(app.areas.get().batch.is_some());
    insta::assert_snapshot!("full_100x30", draw(&app, 100, 30));
    assert!(app.areas.get().batch.is_none());
}

#[test]
fn beside_the_editor_tab_reaches_the_batch_pane_and_edits_refresh_it() {
    let mut app = batch_open();
    draw(&app, 160, 48);
    assert_eq!(app.context(), Context::Batch, "opening focuses the batch");
    app.update(Event::Action(Action::FocusNext));
    assert!(!app.batch.focused);
    assert_eq!(app.focus, Focus::Catalog);
    app.update(Event::Action(Action::FocusPrev));
    assert_eq!(app.context(), Context::Batch, "Shift-Tab comes back");
    app.update(Event::Action(Action::FocusEditor));
    assert_eq!(app.context(), Context::Editor);
    let generation = app.batch.generation;
    let effects = app.update(Event::Key(KeyChord::plain(Key::Char('!'))));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Batch(r) if r.with_stats)),
        "an edit re-renders the batch: {effects:?}"
    );
    assert!(app.batch.generation > generation);
    // Esc in the editor does not close the batch pane beside it.
    app.update(Event::Action(Action::Cancel));
    assert_eq!(app.view, promptstudio::app::View::Batch);
    // Below 160 columns the batch view is the whole screen again.
    draw(&app, 100, 30);
    assert_eq!(app.context(), Context::Batch);
}
