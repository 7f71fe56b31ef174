//! The studio's state: plain data, drawn by ui/ and changed only by
//! [`App::update`](super::App::update).

use std::cell::Cell;
use std::sync::Arc;

use crate::core::datum::Row;
use crate::core::template::Template;

use super::backend::{Diagnostic, LoadError, Rendered, SplitRef, TemplatesFile};
pub use super::confirm::{Answer, Choice, Confirm};
use super::fuzzy::Fuzzy;
use super::stats::SplitStats;

pub use crate::core::template::METRICS;

/// ISO 639-1 codes with English names.
pub fn languages() -> impl Iterator<Item = (&'static str, &'static str)> {
    include_str!("../../assets/languages.tsv")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('\t'))
}

/// The pane that receives keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Catalog,
    Editor,
    Metadata,
    Preview,
}

impl Focus {
    pub const CYCLE: [Focus; 4] = [
        Focus::Catalog,
        Focus::Editor,
        Focus::Metadata,
        Focus::Preview,
    ];
}

/// The screen shown under the overlays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Main,
    Batch,
    Stats,
    /// Every prompt of the dataset on the current row.
    Prompted,
    /// The dataset's features and card.
    Card,
}

/// The fields of the metadata form, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaField {
    Name,
    Reference,
    AnswerChoices,
    OriginalTask,
    ChoicesInPrompt,
    Metrics,
    Languages,
}

impl MetaField {
    pub const ALL: [MetaField; 7] = [
        MetaField::Name,
        MetaField::Reference,
        MetaField::AnswerChoices,
        MetaField::OriginalTask,
        MetaField::ChoicesInPrompt,
        MetaField::Metrics,
        MetaField::Languages,
    ];

    pub fn label(self) -> &'static str {
        match self {
            MetaField::Name => "Name",
            MetaField::Reference => "Reference",
            MetaField::AnswerChoices => "Answer choices",
            MetaField::OriginalTask => "Original task",
            MetaField::ChoicesInPrompt => "Choices in prompt",
            MetaField::Metrics => "Metrics",
            MetaField::Languages => "Languages",
        }
    }
}

/// What a one-line text prompt is asking for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    Filter,
    GotoRow,
    Seed,
    NewPrompt,
    DuplicatePrompt,
    RenamePrompt,
    Search,
    Reference,
    AnswerChoices,
}

impl PromptKind {
    pub fn title(&self) -> &'static str {
        match self {
            PromptKind::Filter => "Filter",
            PromptKind::GotoRow => "Go to row (from 0)",
            PromptKind::Seed => "Seed",
            PromptKind::NewPrompt => "New prompt name",
            PromptKind::DuplicatePrompt => "Name of the copy",
            PromptKind::RenamePrompt => "Rename to",
            PromptKind::Search => "Search",
            PromptKind::Reference => "Reference",
            PromptKind::AnswerChoices => "Answer choices (Jinja, ||| between choices)",
        }
    }
}

/// A one-line text input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptInput {
    pub kind: PromptKind,
    pub text: String,
    /// Cursor position in characters.
    pub cursor: usize,
    pub error: Option<String>,
}

impl PromptInput {
    pub fn new(kind: PromptKind, text: &str) -> Self {
        PromptInput {
            kind,
            text: text.to_owned(),
            cursor: text.chars().count(),
            error: None,
        }
    }
}

/// A multi-select list (metrics, languages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub field: MetaField,
    /// (value stored in the file, label shown).
    pub options: Vec<(String, String)>,
    /// Chosen values, in the order they were chosen.
    pub chosen: Vec<String>,
    pub filter: String,
    /// Index into [`Picker::visible`].
    pub selected: usize,
}

impl Picker {
    pub fn visible(&self) -> Vec<usize> {
        let mut fuzzy = Fuzzy::new(&self.filter);
        let mut scored: Vec<(u32, usize)> = self
            .options
            .iter()
            .enumerate()
            .filter_map(|(i, (value, label))| {
                fuzzy.score(&format!("{value} {label}")).map(|s| (s, i))
            })
            .collect();
        if !self.filter.is_empty() {
            scored.sort_by_key(|&(score, i)| (std::cmp::Reverse(score), i));
        }
        scored.into_iter().map(|(_, i)| i).collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    None,
    Help {
        scroll: usize,
    },
    Confirm(Confirm),
    Prompt(PromptInput),
    Picker(Picker),
    /// The models of the Hugging Face cache, to pick one.
    ModelPicker(super::chat_state::ModelPicker),
}

/// One line of the catalog list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogRow {
    File { file: usize, shown: usize },
    Template { file: usize, template: usize },
}

#[derive(Debug, Default)]
pub struct CatalogState {
    pub files: Vec<TemplatesFile>,
    pub problems: Vec<LoadError>,
    pub filter: String,
    /// Index into [`CatalogState::rows`].
    pub selected: usize,
    pub scroll: Cell<usize>,
}

/// A file's place in the filtered catalog: (best score, file index, its
/// matching prompts as (score, template index)).
type FileMatch = (u32, usize, Vec<(u32, usize)>);

impl CatalogState {
    /// The visible rows: each file with its prompts, narrowed by the fuzzy
    /// filter (matched against `dataset/subset prompt name`).
    pub fn rows(&self) -> Vec<CatalogRow> {
        let filtering = !self.filter.is_empty();
        let mut fuzzy = Fuzzy::new(&self.filter);
        let mut groups: Vec<FileMatch> = Vec::new();
        for (file_index, file) in self.files.iter().enumerate() {
            let title = file_title(file);
            let mut matched: Vec<(u32, usize)> = file
                .templates
                .templates
                .iter()
                .enumerate()
                .filter_map(|(i, t)| {
                    if !filtering {
                        return Some((0, i));
                    }
                    fuzzy.score(&format!("{title} {}", t.name)).map(|s| (s, i))
                })
                .collect();
            let title_score = if filtering {
                fuzzy.score(&title)
            } else {
                Some(0)
            };
            if filtering && matched.is_empty() && title_score.is_none() {
                continue;
            }
            if filtering {
                matched.sort_by_key(|&(score, i)| (std::cmp::Reverse(score), i));
            } else {
                matched
                    .sort_by_cached_key(|&(_, i)| file.templates.templates[i].name.to_lowercase());
            }
            let best = matched
                .first()
                .map(|m| m.0)
                .into_iter()
                .chain(title_score)
                .max()
                .unwrap_or(0);
            groups.push((best, file_index, matched));
        }
        if filtering {
            // Best matches first; the sort is stable, so ties keep file order.
            groups.sort_by_key(|group| std::cmp::Reverse(group.0));
        }
        let mut rows = Vec::new();
        for (_, file, matched) in groups {
            rows.push(CatalogRow::File {
                file,
                shown: matched.len(),
            });
            rows.extend(
                matched
                    .into_iter()
                    .map(|(_, template)| CatalogRow::Template { file, template }),
            );
        }
        rows
    }
}

/// `dataset` or `dataset/subset`.
pub fn file_title(file: &TemplatesFile) -> String {
    match &file.templates.subset {
        Some(subset) => format!("{}/{}", file.templates.dataset, subset),
        None => file.templates.dataset.clone(),
    }
}

/// What went wrong in the preview, if anything.
#[derive(Debug, Clone, PartialEq)]
pub enum PreviewError {
    /// The template does not compile.
    Template(Diagnostic),
    /// It compiled but raised on this row.
    Render(Diagnostic),
    /// No rows to show (no data found, or the split could not be read).
    Data(String),
}

/// The worker's answer to a preview request.
#[derive(Debug, Clone)]
pub struct PreviewResult {
    pub generation: u64,
    pub outcome: Result<Rendered, PreviewError>,
    pub row: Option<Row>,
    pub row_count: Option<usize>,
    /// The split's rows are still being counted: `row_count` is those known
    /// so far, and [`crate::app::Event::RowsCounted`] follows.
    pub counting: bool,
    /// The features of the split's columns (ClassLabel names and such).
    pub features: Vec<(String, crate::data::features::Feature)>,
    /// How long compile + apply took, for the status bar.
    pub elapsed: std::time::Duration,
    /// With few-shot on (K > 0): the demonstrations and the assembled prompt.
    /// (Boxed: it would make every `Event` carry its size.)
    pub fewshot: Option<Box<FewshotPrompt>>,
}

/// The row's few-shot prompt as `render --num-fewshot K` assembles it:
/// demonstrations drawn from the split shown, rendered by the same template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FewshotPrompt {
    /// K, the demonstrations asked for (fewer are found when rows are blank).
    pub shots: usize,
    pub demonstrations: Vec<crate::core::fewshot::Demonstration>,
    /// The assembled input; `None` when the row's own render failed.
    pub prompt: Option<String>,
}

/// Few-shot cycles through K = 0..=MAX_SHOTS demonstrations.
pub const MAX_SHOTS: usize = 5;

/// Asks the preview worker for one template on one row.
#[derive(Debug, Clone)]
pub struct PreviewRequest {
    pub generation: u64,
    pub template: Template,
    pub split: Option<SplitRef>,
    pub row: usize,
    pub seed: u64,
    /// Changes when a data file changed on disk: sources must be reopened.
    pub data_epoch: u64,
    /// Few-shot demonstrations to put before the input (0: none).
    pub shots: usize,
    /// Row i's demonstrations are drawn with Python's `random.Random(fewshot_seed + i)`.
    pub fewshot_seed: u64,
}

#[derive(Debug, Default)]
pub struct PreviewState {
    pub splits: Vec<SplitRef>,
    /// The splits of the dataset in the editor are being looked for; the
    /// preview is asked for when they are known.
    pub resolving: bool,
    /// The newest request for splits; older answers are dropped.
    pub splits_generation: u64,
    /// The split name to keep showing when the dataset changes.
    pub wanted_split: Option<String>,
    pub split: usize,
    pub row: usize,
    pub row_count: Option<usize>,
    /// `row_count` is a lower bound: the split is still being counted.
    pub counting: bool,
    pub seed: u64,
    /// Few-shot demonstrations shown before the input (0..=MAX_SHOTS).
    pub shots: usize,
    /// The generation of the newest request; older answers are dropped.
    pub generation: u64,
    pub result: Option<PreviewResult>,
    pub scroll: Cell<usize>,
    /// The row pane's scroll (wide layout), in lines.
    pub row_scroll: Cell<usize>,
    /// Show nested row values in full instead of collapsed.
    pub expanded: bool,
}

impl PreviewState {
    pub fn current_split(&self) -> Option<&SplitRef> {
        self.splits.get(self.split)
    }

    /// True while the shown result is older than the latest request.
    pub fn pending(&self) -> bool {
        self.result.as_ref().map(|r| r.generation) != Some(self.generation)
    }
}

/// One row of the batch view.
#[derive(Debug, Clone)]
pub struct BatchRow {
    pub index: usize,
    pub row: Row,
    pub outcome: Result<Rendered, Diagnostic>,
}

/// Asks for the current prompt over a page of rows, and statistics over
/// the whole split in the background.
#[derive(Debug, Clone)]
pub struct BatchRequest {
    pub generation: u64,
    pub template: Template,
    pub split: SplitRef,
    pub offset: usize,
    pub count: usize,
    pub seed: u64,
    /// Also compute [`SplitStats`] over the whole split.
    pub with_stats: bool,
    pub data_epoch: u64,
    /// Counts input tokens in the statistics when it has a tokenizer.
    pub chat: Option<Arc<super::chat::ChatModel>>,
}

#[derive(Debug, Clone)]
pub enum BatchUpdate {
    Page {
        generation: u64,
        rows: Result<Vec<BatchRow>, PreviewError>,
        row_count: usize,
        features: Vec<(String, crate::data::features::Feature)>,
    },
    Stats {
        generation: u64,
        stats: SplitStats,
    },
}

#[derive(Debug, Default)]
pub struct BatchState {
    pub offset: usize,
    /// Selected row within the page.
    pub selected: usize,
    pub generation: u64,
    /// The generation of the request whose statistics are wanted.
    pub stats_generation: u64,
    pub rows: Option<Result<Vec<BatchRow>, PreviewError>>,
    pub row_count: Option<usize>,
    pub features: Vec<(String, crate::data::features::Feature)>,
    pub stats: Option<SplitStats>,
    /// Keys go to the batch pane (always so in the full-screen view; beside
    /// the editor, Tab moves focus between it and the main panes).
    pub focused: bool,
    /// The prompt the page and statistics were asked for, so edits made
    /// beside the batch pane refresh it.
    pub template: Option<Template>,
}

/// Row counts of the splits, gathered in the background for the catalog
/// statistics.
#[derive(Debug, Default)]
pub struct SplitSizes {
    pub requested: bool,
    /// (dataset/subset title, split name, rows or the error).
    pub sizes: Vec<(String, String, Result<usize, String>)>,
    pub scroll: usize,
}

/// The rendering work the app asks the terminal layer to do.
#[derive(Debug, Clone)]
pub enum Effect {
    Preview(PreviewRequest),
    Batch(BatchRequest),
    /// Stop background statistics (the batch view closed or its prompt changed).
    CancelBatch,
    /// Find the splits of these (title, dataset, subset) and count their rows.
    SplitSizes(Vec<(String, String, Option<String>)>),
    /// Filesystem work (finding splits, saving, reloading).
    Disk(super::disk::DiskRequest),
    /// Journal these files, the ones with unsaved edits, so a crash does
    /// not lose them; none removes the journal.
    Journal(Vec<crate::core::template::DatasetTemplates>),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Ask the model server.
    Model(super::model_state::ModelRequest),
    SetMouse(bool),
    /// Load a model, list the cached ones, or render a row through one.
    Chat(super::chat::ChatRequest),
    /// Render every prompt of a file on one row.
    PromptedRow(super::prompted::PromptedRequest),
    Quit,
}

/// Remembered after each draw so mouse clicks can find the pane under them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PaneAreas {
    pub catalog: Option<Area>,
    pub editor: Option<Area>,
    pub metadata: Option<Area>,
    pub preview: Option<Area>,
    /// The row pane, when the layout has one beside the preview.
    pub row: Option<Area>,
    /// The batch pane, when it is drawn beside the main panes.
    pub batch: Option<Area>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Area {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub height: u16,
}

impl Area {
    pub fn contains(&self, column: u16, row: u16) -> bool {
        column >= self.x
            && column < self.x + self.width
            && row >= self.y
            && row < self.y + self.height
    }
}

/// A status-line message, shown until the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

pub type SharedWorkspace = Arc<dyn super::backend::Workspace>;

/// Where the studio is: folder, and the (file, template) being edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    pub file: usize,
    pub template: usize,
}
