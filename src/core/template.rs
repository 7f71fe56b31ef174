//! The PromptSource templates model: a `templates.yaml` file is a
//! [`DatasetTemplates`]; a folder tree of them is a [`Catalog`].

use std::path::PathBuf;

/// `!TemplateMetadata`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metadata {
    pub original_task: Option<bool>,
    pub choices_in_prompt: Option<bool>,
    pub metrics: Vec<String>,
    pub languages: Vec<String>,
}

/// `!Template`: one prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// The UUID; equal to the template's key in the file.
    pub id: String,
    /// Unique within its file.
    pub name: String,
    /// The Jinja source; `|||` separates input from target.
    pub jinja: String,
    pub reference: String,
    /// A Jinja expression producing `|||`-separated choices.
    pub answer_choices: Option<String>,
    pub metadata: Metadata,
}

/// One `templates.yaml`: the prompts of a (dataset, subset).
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetTemplates {
    pub path: PathBuf,
    pub dataset: String,
    pub subset: Option<String>,
    pub templates: Vec<Template>,
}
