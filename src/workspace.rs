//! A workspace folder: a collection of PromptSource templates and the rows
//! they are written for, found by dataset name.
//!
//! Templates live under `<root>/templates` (or `<root>` itself) as
//! `<dataset>/[<subset>/]templates.yaml`; rows are found by `data`'s
//! resolver in `<root>/data/<dataset>/<subset or _>/<split>.*`, then in the
//! Hugging Face caches. The studio and the headless commands both start
//! here, so this module sits above `core` (templates) and `data` (rows) and
//! below everything that uses them: it knows no terminal and no studio.

use std::path::{Path, PathBuf};

use crate::core::catalog::Catalog;
use crate::core::template::DatasetTemplates;
use crate::core::yaml::LoadError;
use crate::data::error::DataError;
use crate::data::resolve::{Found, Resolver};
use crate::data::source::default_split;

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

    /// Where rows are looked for: this workspace's `data/`, then the caches.
    pub fn resolver(&self) -> &Resolver {
        &self.resolver
    }

    /// Every templates file under the workspace, plus the ones that failed
    /// to load. Datasets with rows but no templates yet are listed too,
    /// empty: their first prompt creates their templates.yaml where
    /// PromptSource keeps it (`<templates>/<dataset>/[<subset>/]templates.yaml`).
    pub fn discover(&self) -> (Vec<DatasetTemplates>, Vec<LoadError>) {
        let catalog = Catalog::discover(&self.templates_root);
        let mut files = catalog.files;
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

    /// The splits with rows for exactly this (dataset, subset), the default
    /// split first (validation, else train, else test), as PromptSource's
    /// app opens it.
    pub fn splits(&self, dataset: &str, subset: Option<&str>) -> Vec<Found> {
        // The resolver tries every reading of `a/b`; keep the exact pair.
        let mut splits: Vec<Found> = self
            .resolver
            .splits(&dataset_spec(dataset, subset))
            .into_iter()
            .filter(|found| found.dataset == dataset && found.subset.as_deref() == subset)
            .collect();
        let names: Vec<String> = splits.iter().map(|s| s.split.clone()).collect();
        if let Some(default) = default_split(names.iter().map(String::as_str)) {
            if let Some(index) = names.iter().position(|n| n == default) {
                let chosen = splits.remove(index);
                splits.insert(0, chosen);
            }
        }
        splits
    }

    /// The rows of a templates file's dataset: `split`, else the default one.
    pub fn rows_of(
        &self,
        file: &DatasetTemplates,
        split: Option<&str>,
    ) -> Result<Found, DataError> {
        self.find_rows(&dataset_spec(&file.dataset, file.subset.as_deref()), split)
    }

    /// The rows of the dataset named `NAME[/SUBSET]` (every reading of a
    /// slash is tried): `split`, else the default one.
    pub fn find_rows(&self, spec: &str, split: Option<&str>) -> Result<Found, DataError> {
        self.resolver.resolve(spec, split)
    }
}

/// The workspace a templates path belongs to: the parent of the
/// `templates/` folder it is in (or is), else the nearest folder around it
/// with a `data/` folder. `check sample-data/templates/x` finds
/// `sample-data`.
pub fn enclosing_workspace(path: &Path) -> Option<PathBuf> {
    let path = std::path::absolute(path).ok()?;
    let mut data_root = None;
    for folder in path.ancestors() {
        if folder.file_name().is_some_and(|name| name == "templates") {
            return folder.parent().map(Path::to_path_buf);
        }
        if data_root.is_none() && folder.join("data").is_dir() {
            data_root = Some(folder.to_path_buf());
        }
    }
    data_root
}

/// `dataset[/subset]`, as the resolver reads names.
fn dataset_spec(dataset: &str, subset: Option<&str>) -> String {
    match subset {
        Some(subset) => format!("{dataset}/{subset}"),
        None => dataset.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn templates_folder_is_preferred_and_overrides_win() {
        let root = tempfile::tempdir().unwrap();
        let bare = FolderWorkspace::new(root.path(), None, None);
        assert_eq!(bare.templates_root, root.path());
        std::fs::create_dir(root.path().join("templates")).unwrap();
        let laid_out = FolderWorkspace::new(root.path(), None, None);
        assert_eq!(laid_out.templates_root, root.path().join("templates"));
        assert_eq!(laid_out.data_root, root.path());
        let other = root.path().join("elsewhere");
        let overridden =
            FolderWorkspace::new(root.path(), Some(other.clone()), Some(other.clone()));
        assert_eq!(overridden.templates_root, other);
        assert_eq!(overridden.data_root, other);
    }

    #[test]
    fn splits_keep_the_exact_pair_and_put_the_default_first() {
        let root = tempfile::tempdir().unwrap();
        let row = "{\"text\": \"a\"}\n";
        write(&root.path().join("data/ws_test_set/_/test.jsonl"), row);
        write(&root.path().join("data/ws_test_set/_/train.jsonl"), row);
        write(
            &root.path().join("data/ws_test_set/_/validation.jsonl"),
            row,
        );
        write(&root.path().join("data/ws_test_set/sub/train.jsonl"), row);
        let workspace = FolderWorkspace::new(root.path(), None, None);

        let names = |found: Vec<Found>| -> Vec<String> {
            found.into_iter().map(|found| found.split).collect()
        };
        let whole = names(workspace.splits("ws_test_set", None));
        assert_eq!(whole[0], "validation");
        assert_eq!(whole.len(), 3, "{whole:?}");
        assert_eq!(
            names(workspace.splits("ws_test_set", Some("sub"))),
            ["train"]
        );

        let file = DatasetTemplates::new(root.path().join("t.yaml"), "ws_test_set", None);
        assert_eq!(workspace.rows_of(&file, None).unwrap().split, "validation");
        let found = workspace.find_rows("ws_test_set/sub", None).unwrap();
        assert_eq!(
            (found.subset.as_deref(), found.split.as_str()),
            (Some("sub"), "train")
        );
        assert!(workspace.find_rows("ws_test_set", Some("nope")).is_err());
    }

    #[test]
    fn datasets_with_rows_but_no_templates_are_listed_empty() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("templates")).unwrap();
        write(&root.path().join("data/owner/named/_/train.parquet"), "");
        write(&root.path().join("data/no_rows/_/notes.txt"), "");
        let (files, problems) = FolderWorkspace::new(root.path(), None, None).discover();
        assert!(problems.is_empty(), "{problems:?}");
        let listed: Vec<(&str, &Path)> = files
            .iter()
            .map(|file| (file.dataset.as_str(), file.path.as_path()))
            .collect();
        let expected = root.path().join("templates/owner/named/templates.yaml");
        assert_eq!(listed, [("owner/named", expected.as_path())]);
    }
}
