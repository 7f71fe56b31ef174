//! The studio's terminal side: the event loop, the terminal itself, the
//! workers that render off the UI thread, and the file watcher.
//!
//! The loop blocks on one channel fed by the input thread, the workers and
//! the watcher, and redraws only after something arrived: an idle studio
//! uses no CPU.

mod burst;
mod chat_worker;
mod clipboard;
mod journal;
mod terminal;
mod watcher;
pub mod workers;

use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;

use anyhow::Context as _;
use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};

use crate::app::backend::{Engine, Workspace};
use crate::app::journal::JournalStore;
use crate::app::{App, Effect, Event, Key, KeyChord, Keymap, Mods, Notice};
use crate::ui::{ColorDepth, Theme, Ui};
use crate::workspace::FolderWorkspace;

/// How to open the studio.
#[derive(Debug, Clone, Default)]
pub struct StudioOptions {
    /// The workspace folder.
    pub workspace: PathBuf,
    /// Where the `templates.yaml` files are (default: `<workspace>/templates`
    /// if it exists, else the workspace).
    pub templates: Option<PathBuf>,
    /// The folder whose `data/<dataset>/<subset or _>/<split>.*` holds the
    /// rows (default: the workspace); the Hugging Face caches are searched next.
    pub data: Option<PathBuf>,
    /// A theme name (`dark`, `light`, `ansi16`, or a file in the config folder).
    pub theme: Option<String>,
    /// Start with mouse capture on.
    pub mouse: bool,
}

/// What the loop waits for.
pub enum Incoming {
    Terminal(TermEvent),
    App(Event),
    /// The input thread failed: the terminal is gone.
    InputFailed(String),
}

/// Runs the studio on a workspace until the user quits.
pub fn run(options: StudioOptions) -> anyhow::Result<()> {
    run_with_engine(options, Arc::new(crate::app::engine::CoreEngine))
}

/// [`run`] with another template engine (benchmarks and tests).
pub fn run_with_engine(options: StudioOptions, engine: Arc<dyn Engine>) -> anyhow::Result<()> {
    if !options.workspace.is_dir() {
        anyhow::bail!("{} is not a folder", options.workspace.display());
    }
    let keymap = Keymap::load_user()?;
    let depth = ColorDepth::detect();
    let theme_name = options
        .theme
        .clone()
        .or_else(|| {
            std::env::var("PROMPTSTUDIO_THEME")
                .ok()
                .filter(|t| !t.is_empty())
        })
        .unwrap_or_else(|| "dark".to_owned());
    let theme = Theme::load(&theme_name, depth)?;
    let workspace: Arc<dyn Workspace> = Arc::new(FolderWorkspace::new(
        &options.workspace,
        options.templates.clone(),
        options.data.clone(),
    ));

    let mut guard =
        terminal::TerminalGuard::enter(options.mouse).context("cannot set up the terminal")?;
    let (sender, receiver) = mpsc::channel::<Incoming>();
    terminal::spawn_input_thread(sender.clone());
    let mut workers = workers::Workers::start(engine, workspace.clone(), sender.clone());
    workers.start_model(workers::ModelSetup::Workspace(options.workspace.clone()));
    // Unsaved edits are journaled so a crash (or a kill) does not lose
    // them; the next start in this workspace offers them back.
    if let Some(store) = JournalStore::for_workspace(&options.workspace) {
        workers.journal_to(store);
    }
    let mut app = App::new(workspace.clone(), keymap);
    app.open_chat_settings(options.workspace.clone());
    let mut roots = workspace.watch_roots();
    // Each templates file's own folder, so atomic saves into it are seen
    // even when the templates root is not watched recursively.
    for file in &app.catalog.files {
        if let Some(folder) = file.templates.path.parent() {
            let covered = roots.iter().any(|(root, recursive)| {
                folder == root || (*recursive && folder.starts_with(root))
            });
            if !covered {
                roots.push((folder.to_path_buf(), false));
            }
        }
    }
    // The workspace's promptstudio.toml names the studio's model.
    if !roots.iter().any(|(root, _)| *root == options.workspace) {
        roots.push((options.workspace.clone(), false));
    }
    let watcher = watcher::watch(&roots, sender);
    app.mouse = options.mouse;
    app.workspace_path = Some(
        std::fs::canonicalize(&options.workspace).unwrap_or_else(|_| options.workspace.clone()),
    );
    if let Err(error) = &watcher {
        app.notice = Some(Notice {
            text: format!("File watching is off ({error}): outside changes will not show"),
            is_error: true,
        });
    }
    let ui = Ui::new(theme);
    let mut pending = app.take_effects();
    let mut redraw = true;
    loop {
        for effect in pending.drain(..) {
            match effect {
                Effect::Quit => {
                    workers.finish_journal();
                    return guard.leave();
                }
                Effect::Copy(text) => clipboard::copy_osc52(&text),
                Effect::SetMouse(on) => guard.set_mouse(on),
                other => workers.run(other),
            }
        }
        if redraw {
            guard.terminal.draw(|frame| ui.draw(frame, &app))?;
            redraw = false;
        }
        // Block until something happens, then take everything already
        // queued so a burst of keys (a paste without bracketed paste, key
        // repeat) costs one redraw.
        let first = receiver.recv().context("all event sources stopped")?;
        for incoming in std::iter::once(first).chain(receiver.try_iter()) {
            match incoming {
                Incoming::Terminal(event) => {
                    // Mouse motion, focus changes and key releases change
                    // nothing: no redraw for them. A resize only redraws.
                    let resized = matches!(event, TermEvent::Resize(..));
                    if let Some(event) = translate(event) {
                        pending.extend(app.update(event));
                        redraw = true;
                    }
                    redraw |= resized;
                }
                Incoming::App(event) => {
                    pending.extend(app.update(event));
                    redraw = true;
                }
                Incoming::InputFailed(message) => {
                    guard.leave()?;
                    anyhow::bail!("reading the terminal failed: {message}");
                }
            }
        }
    }
}

/// A crossterm event as the app sees it; `None` for what it ignores
/// (key releases, focus changes) and for resizes, which only need a redraw.
pub fn translate(event: TermEvent) -> Option<Event> {
    match event {
        TermEvent::Key(key) => key_chord(key).map(Event::Key),
        TermEvent::Paste(text) => Some(Event::Paste(text)),
        TermEvent::Mouse(mouse) => match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) => Some(Event::Click {
                column: mouse.column,
                row: mouse.row,
            }),
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => Some(Event::Scroll {
                column: mouse.column,
                row: mouse.row,
                down: mouse.kind == MouseEventKind::ScrollDown,
            }),
            _ => None,
        },
        _ => None,
    }
}

/// Converts a key press; releases and unknown keys give `None`.
pub fn key_chord(key: KeyEvent) -> Option<KeyChord> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let mut mods = Mods {
        ctrl: key.modifiers.contains(KeyModifiers::CONTROL),
        alt: key.modifiers.contains(KeyModifiers::ALT),
        shift: key.modifiers.contains(KeyModifiers::SHIFT),
    };
    let code = match key.code {
        KeyCode::Char(c) => {
            // The terminal already sent the shifted character.
            mods.shift = false;
            Key::Char(if mods.ctrl { c.to_ascii_lowercase() } else { c })
        }
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => {
            mods.shift = false;
            Key::BackTab
        }
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Delete => Key::Delete,
        KeyCode::Insert => Key::Insert,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::F(n) => Key::F(n),
        _ => return None,
    };
    Some(KeyChord { key: code, mods })
}
