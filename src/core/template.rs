//! The PromptSource templates model: a `templates.yaml` file is a
//! [`DatasetTemplates`]; a folder tree of them is a
//! [`Catalog`](crate::core::catalog::Catalog).
//!
//! Reading and writing live in [`crate::core::yaml`]; this module only holds
//! the data, shaped like the Python objects PromptSource loads, so that the
//! writer can dump exactly what PyYAML would dump for them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::core::fsutil::Fingerprint;

/// The metrics PromptSource's app offers in `metadata.metrics` (and its
/// collection uses).
pub const METRICS: &[&str] = &[
    "BLEU",
    "ROUGE",
    "Squad",
    "Trivia QA",
    "Accuracy",
    "Pearson Correlation",
    "Spearman Correlation",
    "MultiRC",
    "AUC",
    "COQA F1",
    "Edit Distance",
    "Mean Reciprocal Rank",
    "Other",
];

/// `!TemplateMetadata`.
///
/// A flag that is `None` or a list that is empty is "unset"; how such a field
/// is written back is in [`Metadata::unset`], so that a file PromptSource
/// wrote (`metrics: null`, no `languages` at all) comes back as it was.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metadata {
    pub original_task: Option<bool>,
    pub choices_in_prompt: Option<bool>,
    pub metrics: Vec<String>,
    pub languages: Vec<String>,
    /// How each of the four fields above is written while it is unset.
    pub unset: UnsetFields,
    /// Keys PromptSource does not know, in file order, kept so a save does
    /// not lose them (the writer sorts them in with the known keys, as PyYAML does).
    pub extra: Vec<(String, Value)>,
}

/// How a metadata field that holds nothing (a `None` flag, an empty list)
/// is written. PromptSource keeps what its file said: `yaml.dump` writes the
/// attributes of the Python object, which are `None` for a prompt made in
/// PromptSource's app (`metrics: null`) and absent for a key the file lacked
/// (PromptSource 0.2.3 knows no `languages`). Editing another field must
/// not change how these are written, so the form is kept beside the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unset {
    /// A flag as `null`, a list as `[]`.
    #[default]
    Empty,
    /// `null`, for a list too.
    Null,
    /// Not written at all: the file had no such key.
    Missing,
}

/// [`Unset`] for each of the four metadata fields PromptSource knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UnsetFields {
    pub original_task: Unset,
    pub choices_in_prompt: Unset,
    pub metrics: Unset,
    pub languages: Unset,
}

/// `!Template`: one prompt.
///
/// The text fields are `Arc<str>` so that cloning a template (the studio keeps
/// snapshots for undo and hands templates to worker threads) copies no text.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// The UUID; equal to the template's key in the file.
    pub id: Arc<str>,
    /// Unique within its file.
    pub name: Arc<str>,
    /// The Jinja source; `|||` separates input from target.
    pub jinja: Arc<str>,
    pub reference: Arc<str>,
    /// A Jinja expression producing `|||`-separated choices.
    pub answer_choices: Option<Arc<str>>,
    pub metadata: Metadata,
    /// Keys PromptSource does not know (e.g. `task_template: true`), in file order.
    pub extra: Vec<(String, Value)>,
}

impl Template {
    /// A template with a fresh UUID, empty texts and default metadata, as the
    /// PromptSource app creates one.
    pub fn new(name: impl Into<Arc<str>>) -> Template {
        Template {
            id: uuid::Uuid::new_v4().to_string().into(),
            name: name.into(),
            jinja: "".into(),
            reference: "".into(),
            answer_choices: None,
            metadata: Metadata::default(),
            extra: Vec::new(),
        }
    }
}

/// A value of a key the model does not know, as PyYAML would load it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    /// A date or date-time, as Python writes the `datetime` PyYAML loads
    /// (`2001-12-14`, `2001-12-14 21:59:43.100000-05:00`).
    Timestamp(String),
    Seq(Vec<Value>),
    /// Entries in file order; keys are scalars (PyYAML cannot hash anything else).
    Map(Vec<(Value, Value)>),
}

/// One `templates.yaml`: the prompts of a (dataset, subset).
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetTemplates {
    pub path: PathBuf,
    pub dataset: String,
    pub subset: Option<String>,
    /// In file order (the writer sorts them by id, as PyYAML sorts the mapping).
    pub templates: Vec<Template>,
    /// Top-level keys other than `dataset`, `subset` and `templates`, in file order.
    pub extra: Vec<(String, Value)>,
    /// Groups of template ids whose metadata was one YAML node in the file
    /// (an anchor and its aliases), in order of first occurrence. PyYAML gives
    /// such templates one shared Python object and writes it back with an
    /// anchor; the writer does the same while the group's metadata are equal.
    pub shared_metadata: Vec<Vec<Arc<str>>>,
    /// What the file looked like when it was loaded; `None` for a collection
    /// built in memory.
    pub fingerprint: Option<Fingerprint>,
}

impl DatasetTemplates {
    /// An empty collection for a (dataset, subset), to be saved at `path`.
    pub fn new(
        path: impl Into<PathBuf>,
        dataset: impl Into<String>,
        subset: Option<String>,
    ) -> Self {
        DatasetTemplates {
            path: path.into(),
            dataset: dataset.into(),
            subset,
            templates: Vec::new(),
            extra: Vec::new(),
            shared_metadata: Vec::new(),
            fingerprint: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The template with this id.
    pub fn template_by_id(&self, id: &str) -> Option<&Template> {
        self.templates.iter().find(|t| &*t.id == id)
    }

    /// The template with this name (names are unique within a file).
    pub fn template_by_name(&self, name: &str) -> Option<&Template> {
        self.templates.iter().find(|t| &*t.name == name)
    }

    /// A template by id, else by name: what a user types on a command line.
    pub fn template(&self, name_or_id: &str) -> Option<&Template> {
        self.template_by_id(name_or_id)
            .or_else(|| self.template_by_name(name_or_id))
    }
}
