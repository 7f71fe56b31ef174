//! The seams between the studio and the rest of the crate: the template
//! engine, the templates files and the workspace (rows are the data layer's
//! [`SplitRows`]). The studio's state and
//! workers only talk to these traits, so tests drive them with doubles and
//! the real implementations (in [`super::workspace`]) stay a thin adapter
//! over `core` and `data`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::core::datum::Row;
use crate::core::template::{DatasetTemplates, Template};
use crate::data::resolve::Found;
use crate::data::SplitRows;

/// A template problem with its location (1-based, when the engine knows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "line {line}, column {column}: {}", self.message)
            }
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// One template applied to one row: core's type, so the preview shows what
/// `apply` prints and `export` writes.
pub use crate::core::apply::Rendered;

/// A template compiled once per edit and applied to many rows.
pub trait CompiledPrompt: Send + Sync {
    fn apply(
        &self,
        row: &Row,
        seed: Option<u64>,
        track_spans: bool,
    ) -> Result<Rendered, Diagnostic>;
}

/// The template engine.
pub trait Engine: Send + Sync {
    fn compile(&self, template: &Template) -> Result<Arc<dyn CompiledPrompt>, Diagnostic>;
}

/// A split of a (dataset, subset) that the workspace can open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitRef {
    pub name: String,
    /// Where the data layer found it: its file, folder or shards.
    pub found: Found,
}

impl SplitRef {
    /// Whether a changed path belongs to this split (one of its files, or
    /// a file in its folder).
    pub fn contains(&self, path: &Path) -> bool {
        self.found
            .paths
            .iter()
            .any(|p| path == p || path.starts_with(p))
    }

    /// What to show for where the rows are.
    pub fn location(&self) -> String {
        match self.found.paths.as_slice() {
            [single] => single.display().to_string(),
            [first, ..] => format!(
                "{} (+{} shards)",
                first.display(),
                self.found.paths.len() - 1
            ),
            [] => String::new(),
        }
    }
}

/// A templates file as the studio holds it.
#[derive(Debug, Clone)]
pub struct TemplatesFile {
    pub templates: DatasetTemplates,
    /// Differs from what is on disk (edited since loaded or saved, and not
    /// undone back to it).
    pub dirty: bool,
    /// The file as last loaded or saved (`None`: not on disk yet), so that
    /// undoing back to it clears [`TemplatesFile::dirty`].
    pub on_disk: Option<std::sync::Arc<DatasetTemplates>>,
}

impl TemplatesFile {
    /// A file as read from disk: clean.
    pub fn loaded(templates: DatasetTemplates) -> TemplatesFile {
        TemplatesFile {
            on_disk: Some(std::sync::Arc::new(templates.clone())),
            templates,
            dirty: false,
        }
    }

    /// Recomputes [`TemplatesFile::dirty`] after an edit.
    pub fn edited(&mut self) {
        self.dirty = self
            .on_disk
            .as_ref()
            .is_none_or(|disk| !same_content(&self.templates, disk));
    }
}

pub use crate::core::fsutil::SaveError;
pub use crate::core::yaml::LoadError;

/// A load error's place in its file and its message, for lines that name
/// the file already: `line 3, column 5: ...`.
pub fn located_message(error: &LoadError) -> String {
    match (error.line, error.column) {
        (Some(line), Some(column)) => format!("line {line}, column {column}: {}", error.message),
        (Some(line), None) => format!("line {line}: {}", error.message),
        _ => error.message.clone(),
    }
}

/// Whether two loaded files hold the same templates: what they say, not
/// how the file lays it out. The writer orders templates by id and the
/// studio appends new ones, and anchors only reflect sharing on disk, so
/// order, anchors and fingerprints are left out.
pub fn same_content(a: &DatasetTemplates, b: &DatasetTemplates) -> bool {
    a.dataset == b.dataset
        && a.subset == b.subset
        && a.extra == b.extra
        && a.templates.len() == b.templates.len()
        && a.templates
            .iter()
            .all(|template| b.template_by_id(&template.id) == Some(template))
}

/// The templates and data of a workspace folder.
pub trait Workspace: Send + Sync {
    /// Every templates file under the workspace, plus the ones that failed.
    fn discover(&self) -> (Vec<DatasetTemplates>, Vec<LoadError>);
    /// Reads one file again (after an outside change).
    fn reload(&self, path: &Path) -> Result<DatasetTemplates, LoadError>;
    /// Whether a file is there (a reload that failed because it was deleted
    /// is told apart from one that failed to parse).
    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }
    /// Writes a file atomically, refusing when it changed on disk since it
    /// was last read or written, unless `overwrite`; on success the file's
    /// fingerprint is updated to what was written.
    fn save(&self, templates: &mut DatasetTemplates, overwrite: bool) -> Result<(), SaveError>;
    /// The splits with rows for a (dataset, subset).
    fn splits(&self, dataset: &str, subset: Option<&str>) -> Vec<SplitRef>;
    /// Opens a split, shared by the workers. May be slow (it reads a file
    /// footer): called off the UI thread.
    fn open(&self, split: &SplitRef) -> anyhow::Result<Arc<dyn SplitRows + Send + Sync>>;
    /// The folders to watch for outside changes, and whether to watch the
    /// folders under them too.
    fn watch_roots(&self) -> Vec<(PathBuf, bool)>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_errors_are_shown_with_their_place_after_the_file_name() {
        let error = DatasetTemplates::parse("templates: [", Path::new("/t/templates.yaml"))
            .expect_err("unclosed flow sequence");
        let message = located_message(&error);
        assert!(message.starts_with("line "), "{message}");
        assert!(message.ends_with(&error.message), "{message}");
        let whole = LoadError {
            line: None,
            column: None,
            ..error
        };
        assert_eq!(located_message(&whole), whole.message);
    }

    #[test]
    fn same_content_ignores_order_and_fingerprints() {
        let mut a = DatasetTemplates::new("/t/templates.yaml", "ag_news", None);
        let mut first = Template::new("first");
        first.jinja = "{{text}}".into();
        let second = Template::new("second");
        a.templates = vec![first.clone(), second.clone()];
        let mut b = a.clone();
        b.templates.reverse();
        b.fingerprint = Some(crate::core::fsutil::Fingerprint::of(b"x", None));
        assert!(same_content(&a, &b));
        b.templates[1].jinja = "{{label}}".into();
        assert!(!same_content(&a, &b));
        b.templates.pop();
        assert!(!same_content(&a, &b));
    }
}
