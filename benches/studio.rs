//! Studio benchmarks on generated workspaces:
//!
//! - keystroke to updated preview on an ag_news-like workspace (120,000 rows,
//!   ClassLabel features): the update, the worker's compile and apply, and
//!   the redraw, as percentiles over many keystrokes (goal: p99 < 16 ms),
//!   taking turns with a studio that has the chat view and token counts on
//!   (sample-data's tiny-chat model: each preview also rendered through its
//!   chat template and its input, target and prompt counted);
//! - the same while a batch evaluation runs (rank classification of the
//!   split's first rows against an in-process vLLM-shaped server that
//!   answers at once, restarted whenever it finishes), the model's answers
//!   arriving as events on the same loop (goal: p99 < 16 ms);
//! - start to first frame, and to the first frame with the preview, on a
//!   10-million-row Parquet workspace (goal: < 150 ms);
//! - the studio binary's CPU use while idle, read from /proc (goal: ~0),
//!   and its start to first complete frame in a pseudo-terminal.
//!
//! `cargo bench --bench studio` (`STUDIO_BENCH_KEYSTROKES_ONLY=1` stops
//! after the keystroke percentiles, skipping the 10-million-row workspace,
//! the binary and divan). The binary is `promptstudio` (or
//! `PROMPTSTUDIO_STUDIO_BIN`); the process measurements are skipped when it
//! does not open the studio. `PROMPTSTUDIO_BENCH_SKIP_LARGE=1` skips the
//! 10-million-row workspace and the binary's measurements.

#[path = "../tests/integration/fake_server.rs"]
mod fake_server;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use promptstudio::app::engine::CoreEngine;
use promptstudio::app::model_state::ModelStatus;
use promptstudio::app::{Action, App, Effect, Event, Key, KeyChord, Keymap};
use promptstudio::core::template::{DatasetTemplates, Template};
use promptstudio::model::config::Connection;
use promptstudio::tui::workers::{ModelSetup, Workers};
use promptstudio::tui::Incoming;
use promptstudio::ui::{ColorDepth, Theme, Ui};
use promptstudio::workspace::FolderWorkspace;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const TOPICS: [&str; 4] = ["World", "Sports", "Business", "Sci/Tech"];

// The binary's allocator (see src/main.rs), so the figures are the program's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("studio-bench");
    let ag_news = root.join("ag_news_like");
    write_workspace(&ag_news, "ag_news", 120_000, 1);
    keystroke_percentiles(&ag_news, &chat_settings(&root));
    keystroke_percentiles_during_evaluation(&ag_news);
    if std::env::var_os("STUDIO_BENCH_KEYSTROKES_ONLY").is_some() {
        return;
    }
    if std::env::var_os("PROMPTSTUDIO_BENCH_SKIP_LARGE").is_some() {
        divan::main();
        return;
    }
    let large = root.join("large");
    write_workspace(&large, "large", 10_000_000, 4);
    first_frame(&large);
    binary_measurements(&ag_news, &large);
    divan::main();
}

/// `templates/<name>/templates.yaml` with ag_news-style prompts, and
/// `data/<name>/_/train.parquet` with `rows` rows of news-like text, written
/// once (generation takes a while for 10 million rows).
fn write_workspace(root: &Path, name: &str, rows: usize, repeat_text: usize) {
    let templates_path = root.join("templates").join(name).join("templates.yaml");
    std::fs::create_dir_all(templates_path.parent().unwrap()).unwrap();
    let mut file = DatasetTemplates::new(&templates_path, name, None);
    for (prompt, jinja) in [
        ("classify_question_first", "What label best describes this news article?\n{{text}} ||| {{answer_choices[label] }}"),
        ("recommend", "Would you recommend the following article to a {{\"politician\"}} or an {{\"athlete\"}}?\n{{ text }} ||| {% if label == 0 %}Politician{% elif label == 1 %}Athlete{% else %}Neither{% endif %}"),
        ("which_section", "{{text}} \n\nWhich section of a newspaper would this article likely appear in? ||| {{answer_choices[label] }}"),
    ] {
        let mut template = Template::new(prompt);
        template.jinja = jinja.into();
        template.answer_choices = Some("World News ||| Sports ||| Business ||| Science and Technology".into());
        file.templates.push(template);
    }
    file.save().unwrap();

    let data_path = root.join("data").join(name).join("_").join("train.parquet");
    if data_path.exists() {
        return;
    }
    std::fs::create_dir_all(data_path.parent().unwrap()).unwrap();
    let features = r#"{"info": {"features": {"text": {"dtype": "string", "_type": "Value"}, "label": {"names": ["World", "Sports", "Business", "Sci/Tech"], "_type": "ClassLabel"}}}}"#;
    let schema = Arc::new(
        Schema::new(vec![
            Field::new("text", DataType::Utf8, true),
            Field::new("label", DataType::Int64, true),
        ])
        .with_metadata(std::collections::HashMap::from([(
            "huggingface".to_owned(),
            features.to_owned(),
        )])),
    );
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap()))
        .build();
    let partial = data_path.with_extension("partial");
    let mut writer = ArrowWriter::try_new(
        std::fs::File::create(&partial).unwrap(),
        schema.clone(),
        Some(properties),
    )
    .unwrap();
    let chunk = 100_000;
    for start in (0..rows).step_by(chunk) {
        let end = (start + chunk).min(rows);
        let text: ArrayRef = Arc::new(StringArray::from_iter_values((start..end).map(|i| {
            let topic = TOPICS[i % 4];
            format!("{topic} story {i}: ").repeat(repeat_text)
                + "Markets and teams moved as reporters filed the day's news (Reuters) Reuters - the long-running story continued with new details from officials."
        })));
        let label: ArrayRef = Arc::new(Int64Array::from_iter_values(
            (start..end).map(|i| (i % 4) as i64),
        ));
        writer
            .write(&RecordBatch::try_new(schema.clone(), vec![text, label]).unwrap())
            .unwrap();
    }
    writer.close().unwrap();
    std::fs::rename(partial, data_path).unwrap();
}

/// A folder whose promptstudio.toml names sample-data's tiny-chat model
/// (its chat template and tokenizer).
fn chat_settings(root: &Path) -> PathBuf {
    let folder = root.join("chat-settings");
    std::fs::create_dir_all(&folder).unwrap();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/models/tiny-chat");
    std::fs::write(
        folder.join("promptstudio.toml"),
        format!(
            "[model]\nchat_template = {:?}\n",
            model.display().to_string()
        ),
    )
    .unwrap();
    folder
}

struct Studio {
    app: App,
    ui: Ui,
    terminal: Terminal<TestBackend>,
    workers: Workers,
    receiver: mpsc::Receiver<Incoming>,
}

impl Studio {
    fn open(workspace: &Path) -> Studio {
        let (sender, receiver) = mpsc::channel();
        let workspace: Arc<dyn promptstudio::app::Workspace> =
            Arc::new(FolderWorkspace::new(workspace, None, None));
        let workers = Workers::start(Arc::new(CoreEngine), workspace.clone(), sender);
        let app = App::new(workspace, Keymap::defaults());
        Studio {
            app,
            ui: Ui::new(Theme::default_for(ColorDepth::TrueColor)),
            terminal: Terminal::new(TestBackend::new(160, 48)).unwrap(),
            workers,
            receiver,
        }
    }

    fn draw(&mut self) {
        let (ui, app) = (&self.ui, &self.app);
        self.terminal.draw(|frame| ui.draw(frame, app)).unwrap();
    }

    fn run(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            self.workers.run(effect);
        }
    }

    /// Loads the model `settings` names and turns the chat view on.
    fn with_chat(&mut self, settings: &Path) {
        self.app.open_chat_settings(settings.to_path_buf());
        let effects = self.app.take_effects();
        self.run(effects);
        while self.app.chat.loading.is_some() {
            let Incoming::App(event) = self.receiver.recv().unwrap() else {
                continue;
            };
            let effects = self.app.update(event);
            self.run(effects);
        }
        assert!(self.app.chat.model.is_some(), "{:?}", self.app.chat.problem);
        let effects = self.app.update(Event::Action(Action::ChatView));
        self.run(effects);
    }

    /// Feeds worker events to the app until the newest preview is shown
    /// (through the model too, when there is one).
    fn wait_for_preview(&mut self) {
        while self.app.preview.pending() || self.app.chat_pending() {
            let Incoming::App(event) = self.receiver.recv().unwrap() else {
                continue;
            };
            let effects = self.app.update(event);
            self.run(effects);
        }
        self.draw();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Keystroke to updated preview without and with the chat view and token
/// counts, the two studios taking turns keystroke by keystroke so that the
/// load of a shared machine falls on both alike.
fn keystroke_percentiles(workspace: &Path, chat_settings: &Path) {
    let mut studios = [Studio::open(workspace), Studio::open(workspace)];
    for (index, studio) in studios.iter_mut().enumerate() {
        let effects = studio.app.take_effects();
        studio.run(effects);
        if index == 1 {
            studio.with_chat(chat_settings);
        }
        studio.wait_for_preview();
        studio.app.update(Event::Action(Action::FocusEditor));
    }
    let mut samples = [Vec::new(), Vec::new()];
    for i in 0..2000 {
        for (studio, samples) in studios.iter_mut().zip(samples.iter_mut()) {
            // Type and delete in turn so the template stays the same size;
            // every fourth keystroke moves to another row too.
            let started = Instant::now();
            let key = if i % 2 == 0 {
                KeyChord::plain(Key::Char('x'))
            } else {
                KeyChord::plain(Key::Backspace)
            };
            let mut effects = studio.app.update(Event::Key(key));
            if i % 4 == 3 {
                effects.extend(studio.app.update(Event::Action(Action::NextRow)));
            }
            studio.run(effects);
            studio.wait_for_preview();
            samples.push(started.elapsed());
        }
    }
    for (samples, with) in samples
        .iter_mut()
        .zip(["", ", chat view and token counts on (tiny-chat)"])
    {
        samples.sort();
        println!(
            "keystroke to updated preview (ag_news-like, 120,000 rows, 160x48{with}, {} keystrokes): p50 {:?}, p99 {:?}, max {:?} (goal p99 < 16 ms)",
            samples.len(),
            percentile(samples, 0.5),
            percentile(samples, 0.99),
            samples[samples.len() - 1]
        );
    }
}

/// Rows of each batch evaluation while keystrokes are measured.
const EVALUATED_ROWS: usize = 20_000;

fn keystroke_percentiles_during_evaluation(workspace: &Path) {
    let server = fake_server::FakeServer::start_quiet(fake_server::Config::default());
    let mut studio = Studio::open(workspace);
    let mut connection = Connection::to(&server.endpoint());
    connection.model = Some("fake-model".into());
    studio.workers.start_model(ModelSetup::Given {
        connection,
        eval_rows: EVALUATED_ROWS,
        cache: None,
    });
    let effects = studio.app.take_effects();
    studio.run(effects);
    studio.wait_for_preview();
    while studio.app.model.status != ModelStatus::Idle {
        let Incoming::App(event) = studio.receiver.recv().unwrap() else {
            continue;
        };
        let effects = studio.app.update(event);
        studio.run(effects);
    }
    studio.app.update(Event::Action(Action::FocusEditor));
    let mut samples = Vec::new();
    let mut evaluations = 0;
    let mut answered = 0;
    let mut i = 0;
    while samples.len() < 2000 {
        if studio
            .app
            .model
            .batch
            .as_ref()
            .is_none_or(|batch| batch.finished)
        {
            if let Some(batch) = &studio.app.model.batch {
                answered += batch.done;
                assert!(batch.failure.is_none(), "{:?}", batch.failure);
            }
            evaluations += 1;
            let effects = studio.app.update(Event::Action(Action::ModelBatch));
            studio.run(effects);
        }
        let running = studio
            .app
            .model
            .batch
            .as_ref()
            .is_some_and(|batch| !batch.finished);
        let started = Instant::now();
        let key = if i % 2 == 0 {
            KeyChord::plain(Key::Char('x'))
        } else {
            KeyChord::plain(Key::Backspace)
        };
        i += 1;
        let mut effects = studio.app.update(Event::Key(key));
        if i % 4 == 3 {
            effects.extend(studio.app.update(Event::Action(Action::NextRow)));
        }
        studio.run(effects);
        studio.wait_for_preview();
        // Only keystrokes made while the model was answering count.
        if running {
            samples.push(started.elapsed());
        }
    }
    if let Some(batch) = &studio.app.model.batch {
        answered += batch.done;
    }
    samples.sort();
    println!(
        "keystroke to updated preview while a batch evaluation runs (ag_news-like, {EVALUATED_ROWS} rows x 4 choices per evaluation, {evaluations} evaluations, {answered} rows answered, 160x48, {} keystrokes): p50 {:?}, p99 {:?}, max {:?} (goal p99 < 16 ms)",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples[samples.len() - 1]
    );
}

fn first_frame(workspace: &Path) {
    let mut frame = Vec::new();
    let mut complete = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        let mut studio = Studio::open(workspace);
        studio.draw();
        frame.push(started.elapsed());
        let effects = studio.app.take_effects();
        studio.run(effects);
        studio.wait_for_preview();
        complete.push(started.elapsed());
    }
    frame.sort();
    complete.sort();
    println!(
        "10,000,000-row Parquet workspace: first frame median {:?}, first frame with the preview median {:?} (max {:?}) (goal < 150 ms)",
        percentile(&frame, 0.5),
        percentile(&complete, 0.5),
        complete[complete.len() - 1]
    );
}

/// Start to first complete frame and idle CPU of the real binary in a
/// pseudo-terminal.
fn binary_measurements(ag_news: &Path, large: &Path) {
    use portable_pty::{native_pty_system, CommandBuilder, PtySize};
    let binary = std::env::var("PROMPTSTUDIO_STUDIO_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_promptstudio").to_owned());
    for (label, workspace) in [("ag_news-like", ag_news), ("10,000,000-row", large)] {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 48,
                cols: 160,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut command = CommandBuilder::new(&binary);
        command.arg(workspace);
        command.env("TERM", "xterm-256color");
        // The studio reads its crash journal from the state folder at start:
        // an empty one of its own, so a user's journal neither slows nor
        // changes the measured start.
        let state = tempfile::tempdir().unwrap();
        command.env("XDG_STATE_HOME", state.path());
        let started = Instant::now();
        let mut child = pty.slave.spawn_command(command).unwrap();
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().unwrap();
        let (sender, receiver) = mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 16384];
            while let Ok(n) = reader.read(&mut buffer) {
                if n == 0 || sender.send(buffer[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let mut parser = vt100::Parser::new(48, 160, 0);
        let mut shown = None;
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(bytes) = receiver.recv_timeout(Duration::from_millis(5)) {
                parser.process(&bytes);
                if parser.screen().contents().contains("Answer choices") {
                    shown = Some(started.elapsed());
                    break;
                }
            }
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
        }
        let Some(shown) = shown else {
            println!("{label}: skipped process measurements: {binary} did not show the studio");
            let _ = child.kill();
            return;
        };
        println!("{label} workspace, binary in a pty: start to first complete frame {shown:?} (goal < 150 ms)");
        if let Some(pid) = child.process_id() {
            std::thread::sleep(Duration::from_millis(500));
            let before = cpu_ticks(pid);
            let idle = Duration::from_secs(3);
            std::thread::sleep(idle);
            let after = cpu_ticks(pid);
            if let (Some(before), Some(after)) = (before, after) {
                // Linux reports in clock ticks of 10 ms.
                let busy = Duration::from_millis((after - before) * 10);
                println!("{label} workspace: CPU while idle {busy:?} over {idle:?} (goal ~0)");
            }
        }
        let _ = child.kill();
        drop(pty.master);
    }
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// The same pipeline as the percentiles, under divan's statistics.
#[divan::bench(sample_count = 200)]
fn keystroke_to_preview(bencher: divan::Bencher) {
    keystrokes_under_divan(bencher, false);
}

/// The same with the chat view and token counts on.
#[divan::bench(sample_count = 200)]
fn keystroke_to_preview_with_chat(bencher: divan::Bencher) {
    keystrokes_under_divan(bencher, true);
}

fn keystrokes_under_divan(bencher: divan::Bencher, chat: bool) {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("studio-bench");
    let workspace = root.join("ag_news_like");
    let mut studio = Studio::open(&workspace);
    let effects = studio.app.take_effects();
    studio.run(effects);
    if chat {
        studio.with_chat(&chat_settings(&root));
    }
    studio.wait_for_preview();
    studio.app.update(Event::Action(Action::FocusEditor));
    let mut typed = false;
    bencher.bench_local(|| {
        let key = if typed {
            KeyChord::plain(Key::Backspace)
        } else {
            KeyChord::plain(Key::Char('x'))
        };
        typed = !typed;
        let effects = studio.app.update(Event::Key(key));
        studio.run(effects);
        studio.wait_for_preview();
    });
}
