//! The real [`Workspace`]: templates through `core` (PyYAML-identical,
//! atomic, fingerprint-checked saves) and rows through `data` (its resolver
//! finds `data/<dataset>/<subset or _>/<split>.*` in the workspace, then the
//! Hugging Face caches; its sources read Parquet, Arrow, JSON Lines, CSV).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::backend::{LoadError, RowSource, SaveError, SplitRef, Workspace};
use crate::core::catalog::Catalog;
use crate::core::datum::Row;
use crate::core::template::DatasetTemplates;
use crate::data::features::Feature;
use crate::data::resolve::Resolver;
use crate::data::source::{RowCount, Source};

/// A workspace folder on disk.
#[derive(Debug, Clone)]
pub struct FolderWorkspace {
    pub templates_root: PathBuf,
    /// The folder whose `data/` holds the rows.
    pub data_root: PathBuf,
    resolver: Resolver,
}

impl FolderWorkspace {
    /// Templates under `root/templates` when it exists, else under `root`;
    /// rows under `root/data`. `templates` and `data` override the two roots.
    pub fn new(root: &Path, templates: Option<PathBuf>, data: Option<PathBuf>) -> FolderWorkspace {
        let templates_root = templates.unwrap_or_else(|| {
            let child = root.join("templates");
            if child.is_dir() {
                child
            } else {
                root.to_path_buf()
            }
        });
        let data_root = data.unwrap_or_else(|| root.to_path_buf());
        FolderWorkspace {
            templates_root,
            resolver: Resolver::from_env(&data_root),
            data_root,
        }
    }
}

impl Workspace for FolderWorkspace {
    fn discover(&self) -> (Vec<DatasetTemplates>, Vec<LoadError>) {
        let catalog = Catalog::discover(&self.templates_root);
        let mut files = catalog.files;
        // Datasets with rows but no templates yet are listed too, empty: their
        // first prompt creates their templates.yaml where PromptSource keeps
        // it (`<templates>/<dataset>/[<subset>/]templates.yaml`).
        for (dataset, subset) in data_folders(&self.data_root.join("data")) {
            let known = files
                .iter()
                .any(|file| file.dataset == dataset && file.subset == subset);
            if !known {
                let mut path = self.templates_root.join(&dataset);
                if let Some(subset) = &subset {
                    path.push(subset);
                }
                path.push("templates.yaml");
                if !path.exists() {
                    files.push(DatasetTemplates::new(path, dataset, subset));
                }
            }
        }
        (files, catalog.errors)
    }

    fn reload(&self, path: &Path) -> Result<DatasetTemplates, LoadError> {
        DatasetTemplates::load(path)
    }

    fn save(&self, templates: &mut DatasetTemplates, overwrite: bool) -> Result<(), SaveError> {
        let written = match (&templates.fingerprint, overwrite) {
            (Some(expected), false) => templates.save_if_unchanged(expected),
            (None, false) => templates.save_new(),
            (_, true) => templates.save(),
        };
        templates.fingerprint = Some(written?);
        Ok(())
    }

    fn splits(&self, dataset: &str, subset: Option<&str>) -> Vec<SplitRef> {
        let spec = match subset {
            Some(subset) => format!("{dataset}/{subset}"),
            None => dataset.to_owned(),
        };
        // The resolver tries every reading of `a/b`; keep the exact pair.
        let mut splits: Vec<SplitRef> = self
            .resolver
            .splits(&spec)
            .into_iter()
            .filter(|found| found.dataset == dataset && found.subset.as_deref() == subset)
            .map(|found| SplitRef {
                name: found.split.clone(),
                found,
            })
            .collect();
        // The default split first (validation, else train, else test), as
        // PromptSource's app opens it.
        let names: Vec<String> = splits.iter().map(|s| s.name.clone()).collect();
        if let Some(default) = crate::data::source::default_split(names.iter().map(String::as_str))
        {
            if let Some(index) = names.iter().position(|n| n == default) {
                let chosen = splits.remove(index);
                splits.insert(0, chosen);
            }
        }
        splits
    }

    fn open(&self, split: &SplitRef) -> anyhow::Result<Arc<dyn RowSource>> {
        let source = split.found.open()?;
        let features = source
            .schema()
            .columns
            .iter()
            .filter_map(|column| Some((column.name.clone(), column.feature.clone()?)))
            .collect();
        Ok(Arc::new(DataSource {
            source: Mutex::new(source),
            features,
        }))
    }

    fn watch_roots(&self) -> Vec<(PathBuf, bool)> {
        // A dedicated `templates/` tree is watched whole, so new files show
        // up; a workspace that is any folder (a checkout with a `target/`)
        // is not, and the studio watches its templates files' folders instead.
        let dedicated = self
            .templates_root
            .file_name()
            .is_some_and(|n| n == "templates");
        let mut roots = vec![(self.templates_root.clone(), dedicated)];
        let data = self.data_root.join("data");
        if data.is_dir() && !(dedicated && data.starts_with(&self.templates_root)) {
            roots.push((data, true));
        }
        roots
    }
}

/// The (dataset, subset) pairs of a workspace's `data/` folder, laid out as
/// `<dataset>/<subset or _>/<split files>`, where a Hub dataset's name has
/// its owner as one more folder (`Zaid/quac_expanded/_/validation.parquet`).
fn data_folders(data: &Path) -> Vec<(String, Option<String>)> {
    let subset = |name: String| (name != "_").then_some(name);
    let mut pairs = Vec::new();
    for (first, first_path) in subfolders(data) {
        for (second, second_path) in subfolders(&first_path) {
            if holds_data_files(&second_path) {
                pairs.push((first.clone(), subset(second)));
                continue;
            }
            for (third, third_path) in subfolders(&second_path) {
                if holds_data_files(&third_path) {
                    pairs.push((format!("{first}/{second}"), subset(third)));
                }
            }
        }
    }
    pairs
}

fn subfolders(path: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(path) else {
        return Vec::new();
    };
    let mut found: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|entry| Some((entry.file_name().into_string().ok()?, entry.path())))
        .filter(|(name, _)| !name.starts_with('.'))
        .collect();
    found.sort();
    found
}

/// Whether a folder directly holds a split file in a format the data layer
/// reads.
fn holds_data_files(path: &Path) -> bool {
    const EXTENSIONS: [&str; 6] = ["parquet", "arrow", "jsonl", "json", "csv", "tsv"];
    std::fs::read_dir(path).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|entry| {
            let path = entry.path();
            path.is_file()
                && path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| EXTENSIONS.contains(&e))
        })
    })
}

/// A data-layer source shared by the workers. Sources are `Send` but not
/// `Sync`; reads are short (one row, or one block of a scan), so a mutex
/// costs little.
struct DataSource {
    source: Mutex<Box<dyn Source>>,
    features: Vec<(String, Feature)>,
}

impl DataSource {
    fn with<T>(&self, read: impl FnOnce(&dyn Source) -> anyhow::Result<T>) -> anyhow::Result<T> {
        let source = self
            .source
            .lock()
            .map_err(|_| anyhow::anyhow!("a reader of this split crashed"))?;
        read(source.as_ref())
    }
}

impl RowSource for DataSource {
    fn len(&self) -> usize {
        // Text formats count in the background: show what is known so far.
        self.with(|source| {
            Ok(match source.row_count() {
                RowCount::Exact(n) | RowCount::AtLeast(n) => {
                    usize::try_from(n).unwrap_or(usize::MAX)
                }
            })
        })
        .unwrap_or(0)
    }

    fn row(&self, index: usize) -> anyhow::Result<Row> {
        self.with(|source| Ok(source.row(index as u64)?))
    }

    fn rows(&self, range: std::ops::Range<usize>) -> anyhow::Result<Vec<Row>> {
        if range.start >= self.len() {
            return Ok(Vec::new());
        }
        self.with(|source| Ok(source.rows(range.start as u64..range.end as u64)?))
    }

    fn features(&self) -> Vec<(String, Feature)> {
        self.features.clone()
    }
}
