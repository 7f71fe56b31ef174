//! The model in the studio: the preview's model section and the batch
//! evaluation, driven through actions and events against the in-process
//! vLLM-shaped server (live tests), and drawn from hand-fed events
//! (snapshots).

#![cfg(feature = "tui")]

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::fake_server::{Config, FakeServer, Fault, Scoring};
use crate::studio_support::{self, *};

use promptstudio::app::engine::CoreEngine;
use promptstudio::app::model_state::{ModelEvent, ModelStatus, PreviousSource};
use promptstudio::app::{
    Action, App, BatchRow, BatchUpdate, Event, Key, KeyChord, Keymap, Rendered,
};
use promptstudio::model::config::Connection;
use promptstudio::model::job::Prepared;
use promptstudio::model::run::{Job, RowResult};
use promptstudio::tui::workers::{ModelSetup, Workers};
use promptstudio::tui::Incoming;
use promptstudio::ui::{ColorDepth, Theme, Ui};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// The fake model's log-probabilities of the answer choices' words: the
/// choices of `classify_question_first` score −3, −3, −0.25 and −3.
fn scoring_server(scoring: Scoring, faults: HashMap<usize, Fault>) -> FakeServer {
    let logprobs = [
        ("World", -2.0),
        ("politics", -1.0),
        ("Sports", -3.0),
        ("Business", -0.25),
        ("Science", -1.0),
        ("and", -1.0),
        ("technology", -1.0),
    ];
    FakeServer::start(Config {
        scoring,
        faults,
        logprobs: logprobs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        answers: HashMap::from([(format!("{}\nTopic?", first_text()), "Business".to_string())]),
        ..Config::default()
    })
}

fn first_text() -> String {
    let Some((_, promptstudio::core::datum::Datum::Str(text))) = workspace().rows[0]
        .fields
        .iter()
        .find(|(name, _)| &**name == "text")
        .cloned()
    else {
        panic!("row 0 has a text");
    };
    text.to_string()
}

/// The test workspace plus a prompt without answer choices (generation).
fn model_workspace() -> Arc<MemoryWorkspace> {
    let workspace = workspace();
    workspace.files.lock().unwrap()[0]
        .templates
        .push(studio_support::template(
            "zz_topic",
            "{{text}}\nTopic? ||| {{ ['World', 'Sports', 'Business', 'Sci/Tech'][label] }}",
            None,
        ));
    workspace
}

/// The app with the real workers (preview, disk, model) against `endpoint`.
struct Live {
    app: App,
    workers: Workers,
    receiver: mpsc::Receiver<Incoming>,
}

impl Live {
    fn open(endpoint: &str) -> Live {
        Live::open_with_cache(endpoint, None)
    }

    fn open_with_cache(endpoint: &str, cache: Option<std::path::PathBuf>) -> Live {
        let workspace = model_workspace();
        let (sender, receiver) = mpsc::channel();
        let mut workers = Workers::start(Arc::new(CoreEngine), workspace.clone(), sender);
        let mut connection = Connection::to(endpoint);
        connection.timeout = Duration::from_secs(10);
        connection.concurrency = 4;
        workers.start_model(ModelSetup::Given {
            connection,
            eval_rows: 100,
            cache,
        });
        let mut app = App::new(workspace, Keymap::defaults());
        let effects = app.take_effects();
        let mut live = Live {
            app,
            workers,
            receiver,
        };
        live.run(effects);
        live.until("the preview and the configuration", |app| {
            !app.preview.pending() && app.model.status == ModelStatus::Idle
        });
        live
    }

    fn run(&mut self, effects: Vec<promptstudio::app::Effect>) {
        for effect in effects {
            self.workers.run(effect);
        }
    }

    fn act(&mut self, action: Action) {
        let effects = self.app.update(Event::Action(action));
        self.run(effects);
    }

    fn key(&mut self, key: Key) {
        let effects = self.app.update(Event::Key(KeyChord::plain(key)));
        self.run(effects);
    }

    /// Feeds the workers' events to the app until `done` holds.
    fn until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(&self.app) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.receiver.recv_timeout(left) {
                Ok(Incoming::App(event)) => {
                    let effects = self.app.update(event);
                    self.run(effects);
                }
                Ok(_) => {}
                Err(_) => panic!("timed out waiting for {what}"),
            }
        }
    }

    /// Feeds whatever arrives within `wait`.
    fn drain(&mut self, wait: Duration) {
        let deadline = Instant::now() + wait;
        while let Ok(incoming) = self
            .receiver
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            if let Incoming::App(event) = incoming {
                let effects = self.app.update(event);
                self.run(effects);
            }
        }
    }

    /// Opens the catalog's prompt at `row` (1 is the first prompt).
    fn open_prompt(&mut self, row: usize) {
        self.act(Action::FocusCatalog);
        self.act(Action::Top);
        for _ in 0..row {
            self.act(Action::Down);
        }
        self.act(Action::Select);
        self.until("the preview", |app| !app.preview.pending());
    }
}

fn row_done(app: &App) -> bool {
    app.model
        .row
        .as_ref()
        .is_some_and(|row| row.result.is_some() || row.failure.is_some())
}

#[test]
fn the_preview_row_is_scored_and_the_pick_and_target_are_the_arithmetic() {
    let server = scoring_server(Scoring::Full, HashMap::new());
    let mut live = Live::open(&server.endpoint());
    assert_eq!(server.posts(), 0, "nothing is sent before it is asked for");
    live.act(Action::ModelRun);
    live.until("the scores", row_done);
    let row = live.app.model.row.as_ref().unwrap();
    let result = row.result.as_ref().unwrap();
    assert_eq!(result.loglikelihoods, Some(vec![-3.0, -3.0, -0.25, -3.0]));
    let Prepared::Job(job) = &row.prepared else {
        panic!("the row is sent");
    };
    assert_eq!(job.gold, Some(2));
    assert_eq!(result.pred_index, Some(2));
    assert_eq!(live.app.model.status, ModelStatus::Connected);
    assert_eq!(live.app.model.model.as_deref(), Some("fake-model"));
    let bodies = server.bodies();
    assert_eq!(bodies.len(), 1);
    assert!(bodies[0].contains("\"echo\":true"), "{}", bodies[0]);
}

#[test]
fn a_generation_streams_into_the_preview_and_is_scored() {
    let server = scoring_server(Scoring::Full, HashMap::new());
    let mut live = Live::open(&server.endpoint());
    live.open_prompt(4);
    assert_eq!(&*live.app.current_template().unwrap().name, "zz_topic");
    live.act(Action::ModelRun);
    live.until("the completion", row_done);
    let row = live.app.model.row.as_ref().unwrap();
    assert_eq!(row.streamed, "Business", "the pieces arrived as events");
    let result = row.result.as_ref().unwrap();
    assert_eq!(result.completion.as_deref(), Some("Business"));
    assert_eq!((result.exact_match, result.f1), (Some(1.0), Some(1.0)));
    assert!(server.bodies()[0].contains("\"stream\":true"));
}

#[test]
fn a_changed_text_cancels_the_row_and_only_row_changes_run_it_again() {
    // The first answer takes a while: the edit comes first.
    let faults = HashMap::from([(1, Fault::Slow(Duration::from_millis(600)))]);
    let server = scoring_server(Scoring::Full, faults);
    let mut live = Live::open(&server.endpoint());
    live.act(Action::ModelRun);
    live.until("the request", |_| server.posts() == 1);
    live.act(Action::FocusEditor);
    live.key(Key::Char('x'));
    assert!(live.app.model.row.is_none(), "the stale answer is dropped");
    live.drain(Duration::from_millis(1200));
    assert!(
        live.app.model.row.is_none(),
        "the old request's answer was ignored"
    );
    // On every row change: a row change runs it, typing does not.
    live.act(Action::ModelAuto);
    live.until("the first scores", row_done);
    let posts = server.posts();
    live.key(Key::Backspace);
    live.until("the preview", |app| !app.preview.pending());
    live.drain(Duration::from_millis(300));
    assert_eq!(server.posts(), posts, "typing sends nothing");
    assert!(live.app.model.row.is_none());
    live.act(Action::NextRow);
    live.until("the next row's scores", row_done);
    let row = live.app.model.row.as_ref().unwrap();
    assert_eq!(row.key.row, 1);
    let Prepared::Job(job) = &row.prepared else {
        panic!("row 1 is sent");
    };
    assert_eq!(job.gold, Some(1));
    assert_eq!(row.result.as_ref().unwrap().pred_index, Some(2));
}

#[test]
fn an_unreachable_server_is_shown_as_such() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}/v1", closed.local_addr().unwrap());
    drop(closed);
    let mut live = Live::open(&endpoint);
    live.act(Action::ModelRun);
    assert_eq!(live.app.model.status, ModelStatus::Connecting);
    live.until("the failure", row_done);
    let ModelStatus::Unreachable(message) = &live.app.model.status else {
        panic!("unreachable, got {:?}", live.app.model.status);
    };
    assert!(message.contains("cannot reach"), "{message}");
}

#[test]
fn a_server_without_prompt_logprobs_cannot_score() {
    let server = scoring_server(Scoring::NoLogprobs, HashMap::new());
    let mut live = Live::open(&server.endpoint());
    live.act(Action::ModelRun);
    live.until("the failure", row_done);
    let ModelStatus::CannotScore(message) = &live.app.model.status else {
        panic!("cannot score, got {:?}", live.app.model.status);
    };
    assert!(message.contains("cannot score answer choices"), "{message}");
    let row = live.app.model.row.as_ref().unwrap();
    assert!(row.result.is_none(), "no zeros stand in for scores");
    // Generation still works with it.
    live.open_prompt(4);
    live.act(Action::ModelRun);
    live.until("the completion", row_done);
    let result = live.app.model.row.as_ref().unwrap().result.clone().unwrap();
    assert_eq!(result.exact_match, Some(1.0));
}

#[test]
fn a_batch_evaluation_shows_wrong_rows_and_the_change_against_the_previous_text() {
    let server = scoring_server(Scoring::Full, HashMap::new());
    let mut live = Live::open(&server.endpoint());
    live.act(Action::BatchView);
    live.act(Action::ModelBatch);
    live.until("the evaluation", |app| {
        app.model.batch.as_ref().is_some_and(|batch| batch.finished)
    });
    let batch = live.app.model.batch.as_ref().unwrap();
    let summary = batch.summary();
    // Business is picked on every row; only row 0's target is Business.
    assert_eq!(summary.metric("acc"), Some(1.0 / 3.0));
    assert_eq!((summary.rows, summary.scored), (3, 3));
    let wrong: Vec<usize> = batch.wrong.iter().map(|wrong| wrong.row).collect();
    assert_eq!(wrong, [1, 2]);
    assert!(batch.previous.is_none());
    // The wrong rows open in the preview.
    live.act(Action::NextWrongRow);
    assert_eq!(live.app.batch.offset + live.app.batch.selected, 1);
    live.act(Action::NextWrongRow);
    assert_eq!(live.app.batch.offset + live.app.batch.selected, 2);
    live.act(Action::Select);
    assert_eq!(live.app.preview.row, 2);
    always_business(&mut live);
    let batch = live.app.model.batch.as_ref().unwrap();
    assert_eq!(batch.previous_source, Some(PreviousSource::Session));
    assert_eq!(batch.summary().metric("acc"), Some(1.0));
    assert_eq!(
        batch.previous.as_ref().and_then(|p| p.metric("acc")),
        Some(1.0 / 3.0)
    );
    assert!(batch.wrong.is_empty());
    let screen = format!("{}", draw(&live.app, 160, 48));
    assert!(screen.contains("acc 1.00 ± 0.00 (+0.67)"), "{screen}");
}

/// Edits the open prompt so that its target is always Business (every row
/// right), then evaluates it in the batch view.
fn always_business(live: &mut Live) {
    live.act(Action::FocusEditor);
    live.act(Action::Bottom);
    live.act(Action::LineEnd);
    for _ in 0.."{{answer_choices[label]}}".len() {
        live.key(Key::Backspace);
    }
    for c in "Business".chars() {
        live.key(Key::Char(c));
    }
    live.until("the preview", |app| !app.preview.pending());
    live.act(Action::BatchView);
    live.act(Action::ModelBatch);
    live.until("the evaluation", |app| {
        app.model.batch.as_ref().is_some_and(|batch| batch.finished)
    });
}

#[test]
fn an_edit_is_compared_with_the_saved_text_whose_answers_are_in_the_cache() {
    let server = scoring_server(Scoring::Full, HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("responses.sqlite");
    // An earlier session evaluated the saved text.
    let mut earlier = Live::open_with_cache(&server.endpoint(), Some(cache.clone()));
    earlier.act(Action::BatchView);
    earlier.act(Action::ModelBatch);
    earlier.until("the evaluation", |app| {
        app.model.batch.as_ref().is_some_and(|batch| batch.finished)
    });
    drop(earlier);
    let posts = server.posts();
    assert_eq!(posts, 3);
    let mut live = Live::open_with_cache(&server.endpoint(), Some(cache));
    always_business(&mut live);
    let batch = live.app.model.batch.as_ref().unwrap();
    assert_eq!(batch.previous_source, Some(PreviousSource::SavedInCache));
    assert_eq!(
        batch.previous.as_ref().and_then(|p| p.metric("acc")),
        Some(1.0 / 3.0)
    );
    // The edit changed only the target: its requests are the saved text's,
    // so both evaluations came from the cache.
    assert_eq!(server.posts(), posts, "nothing was asked again");
    let screen = format!("{}", draw(&live.app, 160, 48));
    assert!(screen.contains("acc 1.00 ± 0.00 (+0.67)"), "{screen}");
    assert!(screen.contains("since the saved text"), "{screen}");
}

// Snapshots, from hand-fed events (no timing on screen).

fn draw(app: &App, width: u16, height: u16) -> TestBackend {
    let ui = Ui::new(Theme::default_for(ColorDepth::None));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| ui.draw(frame, app)).unwrap();
    terminal.backend().clone()
}

fn configured(app: &mut App) {
    app.update(Event::Model(ModelEvent::Configured {
        endpoint: "http://127.0.0.1:8000/v1".into(),
        model: None,
        eval_rows: 100,
    }));
    app.update(Event::Model(ModelEvent::Connected {
        model: "fake-model".into(),
    }));
}

fn first_row_rendered(app: &mut App) {
    let input = format!(
        "What label best describes this news article?\n{}",
        first_text()
    );
    answer(
        app,
        Ok(Rendered {
            parts: vec![input, "Business".into()],
            answer_choices: Some(vec![
                "World politics".into(),
                "Sports".into(),
                "Business".into(),
                "Science and technology".into(),
            ]),
            spans: Vec::new(),
        }),
        Some(workspace().rows[0].clone()),
    );
}

/// The preview zoomed, the model having answered `result` for the shown row.
fn preview_with(app: &mut studio_support::TestApp, result: Option<RowResult>) {
    configured(app);
    app.update(Event::Action(Action::FocusPreview));
    app.update(Event::Action(Action::ToggleZoom));
    app.update(Event::Action(Action::ModelRun));
    let generation = app.model.generation;
    if let Some(result) = result {
        app.update(Event::Model(ModelEvent::RowDone { generation, result }));
    }
}

#[test]
fn snapshot_rank_section() {
    let mut app = app(model_workspace());
    first_row_rendered(&mut app);
    preview_with(
        &mut app,
        Some(RowResult {
            loglikelihoods: Some(vec![-3.0, -3.5, -0.25, -2.75]),
            pred_index: Some(2),
            pred_norm_index: Some(2),
            ..RowResult::default()
        }),
    );
    insta::assert_snapshot!("rank_section", draw(&app, 100, 30));
}

#[test]
fn snapshot_rank_section_wrong_pick() {
    let mut app = app(model_workspace());
    first_row_rendered(&mut app);
    preview_with(
        &mut app,
        Some(RowResult {
            loglikelihoods: Some(vec![-0.5, -3.5, -1.25, -2.75]),
            pred_index: Some(0),
            pred_norm_index: Some(0),
            ..RowResult::default()
        }),
    );
    insta::assert_snapshot!("rank_section_wrong_pick", draw(&app, 100, 30));
}

#[test]
fn snapshot_generate_section_streaming_then_scored() {
    let mut app = app(model_workspace());
    app.update(Event::Action(Action::FocusCatalog));
    for _ in 0..3 {
        app.update(Event::Action(Action::Down));
    }
    app.update(Event::Action(Action::Select));
    let input = format!("{}\nTopic?", first_text());
    answer(
        &mut app,
        Ok(Rendered {
            parts: vec![input, "Business".into()],
            ..Rendered::default()
        }),
        Some(workspace().rows[0].clone()),
    );
    preview_with(&mut app, None);
    let generation = app.model.generation;
    for piece in ["Business", " news"] {
        app.update(Event::Model(ModelEvent::RowText {
            generation,
            piece: piece.into(),
        }));
    }
    insta::assert_snapshot!("generate_section_streaming", draw(&app, 100, 30));
    app.update(Event::Model(ModelEvent::RowDone {
        generation,
        result: RowResult {
            completion: Some("Business news".into()),
            exact_match: Some(0.0),
            f1: Some(2.0 / 3.0),
            ..RowResult::default()
        },
    }));
    insta::assert_snapshot!("generate_section_scored", draw(&app, 100, 30));
}

#[test]
fn snapshot_unreachable_and_cannot_score() {
    let mut app = app(model_workspace());
    first_row_rendered(&mut app);
    preview_with(&mut app, None);
    let generation = app.model.generation;
    app.update(Event::Model(ModelEvent::Failed {
        generation,
        batch: false,
        status: ModelStatus::Unreachable(
            "cannot reach http://127.0.0.1:8000/v1: Connection refused".into(),
        ),
    }));
    insta::assert_snapshot!("unreachable", draw(&app, 100, 30));
    app.update(Event::Action(Action::ModelRun));
    let generation = app.model.generation;
    app.update(Event::Model(ModelEvent::Failed {
        generation,
        batch: false,
        status: ModelStatus::CannotScore(
            "this server cannot score answer choices (its response has no logprobs); use --mode generate".into(),
        ),
    }));
    insta::assert_snapshot!("cannot_score", draw(&app, 100, 30));
}

#[test]
fn snapshot_batch_evaluation() {
    let mut app = app(model_workspace());
    first_row_rendered(&mut app);
    configured(&mut app);
    app.update(Event::Action(Action::BatchView));
    let rows = workspace().rows.clone();
    let targets = ["Business", "Sports", "Science and technology"];
    let page: Vec<BatchRow> = rows
        .iter()
        .enumerate()
        .map(|(index, row)| BatchRow {
            index,
            row: row.clone(),
            outcome: Ok(Rendered {
                parts: vec![format!("Article {index} text"), targets[index].into()],
                ..Rendered::default()
            }),
        })
        .collect();
    let generation = app.batch.generation;
    app.update(Event::Batch(BatchUpdate::Page {
        generation,
        rows: Ok(page),
        row_count: 3,
        features: vec![("label".into(), labels())],
    }));
    let choices: Vec<String> = [
        "World politics",
        "Sports",
        "Business",
        "Science and technology",
    ]
    .iter()
    .map(|c| c.to_string())
    .collect();
    let jobs: Vec<Job> = (0..3)
        .map(|row| Job {
            row,
            input: format!("Article {row} text"),
            target: targets[row].into(),
            choices: choices.clone(),
            gold: choices.iter().position(|c| c == targets[row]),
        })
        .collect();
    // The first text gets one row right; after an edit, two.
    evaluate(&mut app, &jobs, [2, 2, 2]);
    app.update(Event::Action(Action::Cancel));
    app.update(Event::Action(Action::FocusEditor));
    app.update(Event::Action(Action::Bottom));
    app.update(Event::Key(KeyChord::plain(Key::Char(' '))));
    app.update(Event::Action(Action::BatchView));
    app.update(Event::Batch(BatchUpdate::Page {
        generation: app.batch.generation,
        rows: Ok(rows
            .iter()
            .enumerate()
            .map(|(index, row)| BatchRow {
                index,
                row: row.clone(),
                outcome: Ok(Rendered {
                    parts: vec![format!("Article {index} text"), targets[index].into()],
                    ..Rendered::default()
                }),
            })
            .collect()),
        row_count: 3,
        features: vec![("label".into(), labels())],
    }));
    evaluate(&mut app, &jobs, [2, 1, 0]);
    app.update(Event::Action(Action::NextWrongRow));
    insta::assert_snapshot!("batch_evaluation", draw(&app, 160, 48));
}

/// A batch evaluation whose rows the model answers with `picks`.
fn evaluate(app: &mut studio_support::TestApp, jobs: &[Job], picks: [usize; 3]) {
    app.update(Event::Action(Action::ModelBatch));
    let generation = app.model.batch_generation;
    app.update(Event::Model(ModelEvent::BatchJobs {
        generation,
        jobs: jobs.to_vec(),
        skipped: 0,
    }));
    for (index, pick) in picks.iter().enumerate() {
        app.update(Event::Model(ModelEvent::BatchRow {
            generation,
            index,
            result: RowResult {
                loglikelihoods: Some(vec![-1.0; 4]),
                pred_index: Some(*pick),
                pred_norm_index: Some(*pick),
                ..RowResult::default()
            },
        }));
    }
    app.update(Event::Model(ModelEvent::BatchDone { generation }));
}

#[test]
fn a_template_that_does_not_compile_fails_the_batch_not_the_server() {
    let server = scoring_server(Scoring::Full, HashMap::new());
    let mut live = Live::open(&server.endpoint());
    live.act(Action::FocusEditor);
    live.act(Action::Bottom);
    live.act(Action::LineEnd);
    for c in " {% if".chars() {
        live.key(Key::Char(c));
    }
    live.until("the preview", |app| !app.preview.pending());
    live.act(Action::ModelBatch);
    live.until("the failure", |app| {
        app.model.batch.as_ref().is_some_and(|batch| batch.finished)
    });
    let failure = live.app.model.batch.as_ref().unwrap().failure.clone();
    assert!(
        failure
            .as_deref()
            .is_some_and(|f| f.contains("does not compile")),
        "{failure:?}"
    );
    assert_eq!(live.app.model.status, ModelStatus::Idle);
    assert_eq!(server.posts(), 0);
}
