//! The studio's model: state, actions and the update function.
//!
//! Nothing here knows about terminals: keys arrive as [`keymap::KeyChord`]s,
//! drawing is ui/'s job, and slow work (compiling and rendering templates,
//! reading rows, whole-split statistics, and every touch of the disk after
//! start: finding splits, saving, reloading, the crash journal) is
//! requested as [`Effect`]s that tui/ runs on worker threads and answers
//! with [`Event`]s. Tests drive [`App::update`] directly, answering the
//! effects themselves.

pub mod action;
pub mod backend;
pub mod card;
pub mod chat;
pub mod chat_state;
pub mod checks;
pub mod confirm;
pub mod disk;
pub mod editor;
pub mod engine;
pub mod fuzzy;
pub mod journal;
pub mod keymap;
pub mod merge;
pub mod model_state;
pub mod prompted;
pub mod state;
pub mod stats;
mod update;
pub mod workspace;
pub mod wrap;

use std::cell::Cell;
use std::path::PathBuf;

pub use action::Action;
pub use backend::{Diagnostic, Engine, Rendered, SplitRef, Workspace};
pub use keymap::{Context, Key, KeyChord, Keymap, Mods};
pub use state::*;

use crate::core::template::Template;
use editor::TextBuffer;

/// Rows per page in the batch view (PromptSource's viewer shows 50).
pub const BATCH_PAGE: usize = 50;

/// Something that happened: a key, a pasted text, a click, or a worker's answer.
#[derive(Debug)]
pub enum Event {
    Key(KeyChord),
    /// An action by name, as a key bound to it would trigger it.
    Action(Action),
    /// Bracketed paste.
    Paste(String),
    Click {
        column: u16,
        row: u16,
    },
    Scroll {
        column: u16,
        row: u16,
        down: bool,
    },
    Preview(PreviewResult),
    Batch(BatchUpdate),
    SplitSize {
        title: String,
        split: String,
        rows: Result<usize, String>,
    },
    /// A split whose preview showed it still counting has been counted.
    RowsCounted {
        /// The split's files and the data epoch it was opened in.
        split: Vec<PathBuf>,
        data_epoch: u64,
        rows: usize,
    },
    /// A file under the workspace changed on disk (debounced).
    FileChanged(PathBuf),
    /// A worker's answer to [`Effect::Disk`].
    Disk(disk::DiskAnswer),
    /// The unsaved edits journaled by an earlier session in this workspace
    /// (read at start), or why they could not be read.
    Journal(Result<Vec<crate::core::template::DatasetTemplates>, String>),
    /// A message from a worker for the status line.
    Notice(Notice),
    /// The model worker's answer.
    Model(model_state::ModelEvent),
    /// The model worker's answer to [`Effect::Chat`].
    Chat(chat::ChatAnswer),
    /// A worker's answer to [`Effect::PromptedRow`].
    Prompted(prompted::PromptedResult),
}

/// The whole studio state.
pub struct App {
    pub keymap: Keymap,
    pub focus: Focus,
    pub view: View,
    pub overlay: Overlay,
    pub zoomed: bool,
    pub catalog: CatalogState,
    /// The prompt in the editor.
    pub current: Option<Selection>,
    /// A dataset without prompts whose rows are shown (no prompt open).
    pub browsing: Option<usize>,
    pub editor: TextBuffer,
    pub meta_field: usize,
    pub preview: PreviewState,
    pub batch: BatchState,
    pub model: model_state::ModelState,
    /// The model the chat view and the token counts use.
    pub chat: chat_state::ChatState,
    pub prompted: prompted::PromptedState,
    pub card: card::CardState,
    pub split_sizes: SplitSizes,
    pub search: String,
    /// Checks while typing, for the prompt and file in the editor.
    pub checks: checks::Checks,
    /// The studio's own copy of the last text copied or cut, so a cut is
    /// never lost when no terminal clipboard takes OSC 52.
    pub register: Option<String>,
    pub mouse: bool,
    /// The workspace folder, shown in the title (set by the terminal layer).
    pub workspace_path: Option<PathBuf>,
    pub notice: Option<Notice>,
    /// Pane rectangles of the last frame, for mouse clicks.
    pub areas: Cell<PaneAreas>,
    /// Bumped when a data file changes, so workers reopen their sources.
    pub data_epoch: u64,
    /// Files with a save on its way to the disk.
    saving: Vec<usize>,
    /// Saves asked for while one of the same file was on its way: (file, overwrite).
    save_queued: Vec<(usize, bool)>,
    /// "Save all and quit" is waiting for its saves.
    quit_after_save: bool,
    /// The unsaved files changed since the journal was last asked for.
    journal_due: bool,
    rng: u64,
    effects: Vec<Effect>,
}

impl App {
    /// Loads the workspace's templates and opens the first prompt. The
    /// workspace is read once, here, before the first frame; everything
    /// later goes through [`Effect::Disk`].
    pub fn new(workspace: SharedWorkspace, keymap: Keymap) -> App {
        let (files, problems) = workspace.discover();
        let mut files: Vec<backend::TemplatesFile> = files
            .into_iter()
            .map(backend::TemplatesFile::loaded)
            .collect();
        files.sort_by_key(state::file_title);
        let mut app = App {
            keymap,
            focus: Focus::Catalog,
            view: View::Main,
            overlay: Overlay::None,
            zoomed: false,
            catalog: CatalogState {
                files,
                problems,
                ..CatalogState::default()
            },
            current: None,
            browsing: None,
            editor: TextBuffer::default(),
            meta_field: 0,
            preview: PreviewState::default(),
            batch: BatchState::default(),
            model: model_state::ModelState {
                eval_rows: crate::model::config::DEFAULT_STUDIO_EVAL_ROWS,
                ..model_state::ModelState::default()
            },
            chat: chat_state::ChatState::default(),
            prompted: prompted::PromptedState::default(),
            card: card::CardState::default(),
            split_sizes: SplitSizes::default(),
            search: String::new(),
            checks: checks::Checks::default(),
            register: None,
            mouse: false,
            workspace_path: None,
            notice: None,
            areas: Cell::new(PaneAreas::default()),
            data_epoch: 0,
            saving: Vec::new(),
            save_queued: Vec::new(),
            quit_after_save: false,
            journal_due: false,
            rng: getrandom::u64().unwrap_or(0x9E37_79B9_7F4A_7C15) | 1,
            effects: Vec::new(),
        };
        if !app.catalog.problems.is_empty() {
            let first = &app.catalog.problems[0];
            app.notify_error(format!(
                "{} file(s) could not be read; first: {}: {}",
                app.catalog.problems.len(),
                first.path.display(),
                backend::located_message(first)
            ));
        }
        // The first prompt, which is row 1 unless the first dataset has none.
        let first_prompt = app
            .catalog
            .rows()
            .iter()
            .position(|row| matches!(row, CatalogRow::Template { .. }))
            .unwrap_or(0);
        app.select_catalog_row(first_prompt);
        app
    }

    /// Work requested outside [`App::update`] (opening the first prompt).
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// The keymap context that receives keys now.
    pub fn context(&self) -> Context {
        match &self.overlay {
            Overlay::Help { .. } => return Context::Help,
            Overlay::Prompt(_) | Overlay::Confirm(_) => return Context::Prompt,
            Overlay::Picker(_) | Overlay::ModelPicker(_) => return Context::Picker,
            Overlay::None => {}
        }
        match self.view {
            View::Batch if !self.batch_beside_unfocused() => Context::Batch,
            View::Stats => Context::Stats,
            View::Prompted => Context::Prompted,
            View::Card => Context::Card,
            View::Main | View::Batch => match self.focus {
                Focus::Catalog => Context::Catalog,
                Focus::Editor => Context::Editor,
                Focus::Metadata => Context::Metadata,
                Focus::Preview => Context::Preview,
            },
        }
    }

    /// The prompt in the editor.
    pub fn current_template(&self) -> Option<&Template> {
        let selection = self.current?;
        self.catalog
            .files
            .get(selection.file)?
            .templates
            .templates
            .get(selection.template)
    }

    pub fn current_file(&self) -> Option<&backend::TemplatesFile> {
        self.catalog.files.get(self.current?.file)
    }

    pub fn any_dirty(&self) -> bool {
        self.catalog.files.iter().any(|f| f.dirty)
    }

    /// The engine's error location for the template in the editor, if the
    /// latest preview says it does not compile.
    pub fn template_error(&self) -> Option<&Diagnostic> {
        match self.preview.result.as_ref()?.outcome.as_ref() {
            Err(PreviewError::Template(diagnostic)) => Some(diagnostic),
            _ => None,
        }
    }

    fn notify(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            is_error: false,
        });
    }

    fn notify_error(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            is_error: true,
        });
    }

    /// xorshift64*: random rows and seeds need no cryptographic quality.
    fn next_random(&mut self) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}
