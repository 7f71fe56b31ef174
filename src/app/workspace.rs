//! The real [`Workspace`]: templates through `core` (PyYAML-identical,
//! atomic, fingerprint-checked saves) and rows through `data`.
//!
//! Layout: templates are every `templates.yaml` under the templates root;
//! rows of (dataset, subset) are `<data root>/<dataset>/<subset or _>/<split>.<ext>`,
//! as in the conformance corpus.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::backend::{LoadProblem, RowSource, SaveError, SplitRef, Workspace};
use crate::core::catalog::Catalog;
use crate::core::datum::Row;
use crate::core::fsutil;
use crate::core::template::DatasetTemplates;
use crate::data::parquet::ParquetFile;

/// File extensions of the row files the data layer reads.
const DATA_EXTENSIONS: &[&str] = &["parquet"];

/// A workspace folder on disk.
#[derive(Debug, Clone)]
pub struct FolderWorkspace {
    pub templates_root: PathBuf,
    pub data_root: PathBuf,
}

impl FolderWorkspace {
    /// `root/templates` and `root/data` when they exist, else `root` for
    /// both; explicit roots override.
    pub fn new(root: &Path, templates: Option<PathBuf>, data: Option<PathBuf>) -> FolderWorkspace {
        let child_or_root = |name: &str| {
            let child = root.join(name);
            if child.is_dir() {
                child
            } else {
                root.to_path_buf()
            }
        };
        FolderWorkspace {
            templates_root: templates.unwrap_or_else(|| child_or_root("templates")),
            data_root: data.unwrap_or_else(|| child_or_root("data")),
        }
    }
}

fn problem(error: crate::core::yaml::LoadError) -> LoadProblem {
    let location = match (error.line, error.column) {
        (Some(line), Some(column)) => format!("line {line}, column {column}: "),
        (Some(line), None) => format!("line {line}: "),
        _ => String::new(),
    };
    LoadProblem {
        path: error.path,
        message: format!("{location}{}", error.message),
    }
}

impl Workspace for FolderWorkspace {
    fn discover(&self) -> (Vec<DatasetTemplates>, Vec<LoadProblem>) {
        let catalog = Catalog::discover(&self.templates_root);
        (
            catalog.files,
            catalog.errors.into_iter().map(problem).collect(),
        )
    }

    fn reload(&self, path: &Path) -> Result<DatasetTemplates, LoadProblem> {
        DatasetTemplates::load(path).map_err(problem)
    }

    fn save(&self, templates: &mut DatasetTemplates, overwrite: bool) -> Result<(), SaveError> {
        let written = match (&templates.fingerprint, overwrite) {
            (Some(expected), false) => templates.save_if_unchanged(expected),
            _ => templates.save(),
        };
        match written {
            Ok(fingerprint) => {
                templates.fingerprint = Some(fingerprint);
                Ok(())
            }
            Err(fsutil::SaveError::ChangedOnDisk { path }) => Err(SaveError::ChangedOnDisk(path)),
            Err(other) => Err(SaveError::Other(other.to_string())),
        }
    }

    fn splits(&self, dataset: &str, subset: Option<&str>) -> Vec<SplitRef> {
        let folder = self.data_root.join(dataset).join(subset.unwrap_or("_"));
        let Ok(entries) = std::fs::read_dir(&folder) else {
            return Vec::new();
        };
        let mut splits: Vec<SplitRef> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| DATA_EXTENSIONS.contains(&e))
            })
            .filter_map(|path| {
                let name = path.file_stem()?.to_str()?.to_owned();
                Some(SplitRef { name, path })
            })
            .collect();
        // Validation first, as PromptSource's app picks it by default.
        let rank = |name: &str| match name {
            "validation" => 0,
            "train" => 1,
            "test" => 2,
            _ => 3,
        };
        splits.sort_by(|a, b| (rank(&a.name), &a.name).cmp(&(rank(&b.name), &b.name)));
        splits
    }

    fn open(&self, split: &SplitRef) -> anyhow::Result<Arc<dyn RowSource>> {
        let file = ParquetFile::open(&split.path)?;
        let labels = file
            .huggingface_metadata()
            .map(class_label_names)
            .unwrap_or_default();
        Ok(Arc::new(ParquetSource { file, labels }))
    }

    fn watch_roots(&self) -> Vec<PathBuf> {
        let mut roots = vec![self.templates_root.clone()];
        if !self.data_root.starts_with(&self.templates_root) {
            roots.push(self.data_root.clone());
        }
        roots
    }
}

struct ParquetSource {
    file: ParquetFile,
    labels: Vec<(String, Vec<String>)>,
}

impl RowSource for ParquetSource {
    fn len(&self) -> usize {
        usize::try_from(self.file.num_rows()).unwrap_or(usize::MAX)
    }

    fn row(&self, index: usize) -> anyhow::Result<Row> {
        Ok(self.file.row(index as u64)?)
    }

    fn rows(&self, range: std::ops::Range<usize>) -> anyhow::Result<Vec<Row>> {
        if range.start >= self.len() {
            return Ok(Vec::new());
        }
        Ok(self.file.rows(range.start as u64..range.end as u64)?)
    }

    fn label_names(&self, column: &str) -> Option<Vec<String>> {
        self.labels
            .iter()
            .find(|(name, _)| name == column)
            .map(|(_, names)| names.clone())
    }
}

/// The ClassLabel names of top-level columns, from the `huggingface` schema
/// metadata (`{"info": {"features": {"label": {"_type": "ClassLabel", "names": [...]}}}}`).
/// Metadata it cannot read gives no names: they only decorate the raw row.
fn class_label_names(metadata: &str) -> Vec<(String, Vec<String>)> {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(metadata) else {
        return Vec::new();
    };
    let Some(features) = json.pointer("/info/features").and_then(|f| f.as_object()) else {
        return Vec::new();
    };
    features
        .iter()
        .filter(|(_, feature)| feature.get("_type").and_then(|t| t.as_str()) == Some("ClassLabel"))
        .filter_map(|(column, feature)| {
            let names = feature.get("names")?.as_array()?;
            let names = names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect();
            Some((column.clone(), names))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_labels_come_from_the_features() {
        let metadata = r#"{"info": {"features": {"text": {"dtype": "string", "_type": "Value"},
            "label": {"names": ["World", "Sports"], "_type": "ClassLabel"}}}}"#;
        assert_eq!(
            class_label_names(metadata),
            vec![(
                "label".to_owned(),
                vec!["World".to_owned(), "Sports".to_owned()]
            )]
        );
        assert!(class_label_names("not json").is_empty());
    }
}
