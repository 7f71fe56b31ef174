//! Finding a dataset by name: `NAME[/SUBSET]` and an optional split, looked
//! up in order in
//! 1. a workspace folder laid out like the conformance corpus:
//!    `data/<dataset>/<subset or _>/<split>.{parquet,arrow,jsonl,csv,tsv}`
//!    (or a `<split>/` folder of shards or a `save_to_disk` split);
//! 2. the Hugging Face Hub cache (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else
//!    `~/.cache/huggingface/hub`): the Parquet files of the repo's `main`
//!    snapshot, then of its `refs/convert/parquet` snapshot;
//! 3. the `datasets` cache (`$HF_DATASETS_CACHE`, else `$HF_HOME/datasets`,
//!    else `~/.cache/huggingface/datasets`): `<name>-<split>.arrow` files.
//!
//! A name may itself contain a slash (`org/name`), so `a/b` is tried both as
//! dataset `a` subset `b` and as dataset `a/b`; `a/b/c` is dataset `a/b`,
//! subset `c`. Without a split, the default is `validation`, else a
//! validation-like split, else `train`, else `test`, else the first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::data::arrow_ipc;
use crate::data::error::DataError;
use crate::data::open::{self, open_parquet_shards};
use crate::data::source::{default_split, Source};

/// Where to look for datasets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolver {
    pub workspace: PathBuf,
    pub hub_cache: PathBuf,
    pub datasets_cache: PathBuf,
}

/// Which of the three places a dataset was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Workspace,
    HubCache,
    DatasetsCache,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Origin::Workspace => "workspace",
            Origin::HubCache => "Hugging Face Hub cache",
            Origin::DatasetsCache => "datasets cache",
        })
    }
}

/// One split of a dataset, found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub dataset: String,
    pub subset: Option<String>,
    pub split: String,
    pub origin: Origin,
    /// A file, a folder, or the shards of the split in order.
    pub paths: Vec<PathBuf>,
}

impl Found {
    /// Opens the split's rows.
    pub fn open(&self) -> Result<Box<dyn Source>, DataError> {
        let all_parquet = self
            .paths
            .iter()
            .all(|path| path.extension().is_some_and(|ext| ext == "parquet"));
        let all_arrow = self
            .paths
            .iter()
            .all(|path| path.extension().is_some_and(|ext| ext == "arrow"));
        match self.paths.as_slice() {
            [single] => open::open(single),
            paths if all_parquet => open_parquet_shards(paths),
            paths if all_arrow => {
                let features = paths
                    .first()
                    .and_then(|path| path.parent())
                    .map(|folder| folder.join("dataset_info.json"))
                    .and_then(|info| std::fs::read_to_string(info).ok())
                    .and_then(|text| {
                        crate::data::features::Features::from_dataset_info(&text).ok()
                    });
                arrow_ipc::open_shards(paths, features)
            }
            _ => Err(DataError::NotFound {
                name: self.dataset.clone(),
                message: "its split files mix formats".to_string(),
            }),
        }
    }
}

/// Candidate (dataset, subset) readings of `NAME[/SUBSET]`.
pub fn interpretations(spec: &str) -> Vec<(String, Option<String>)> {
    let spec = spec.trim_matches('/');
    let parts: Vec<&str> = spec.split('/').collect();
    match parts.as_slice() {
        [name] => vec![(name.to_string(), None)],
        [first, second] => vec![
            (first.to_string(), Some(second.to_string())),
            (spec.to_string(), None),
        ],
        [org, name, rest @ ..] => vec![(format!("{org}/{name}"), Some(rest.join("/")))],
        [] => Vec::new(),
    }
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

/// `$HF_HOME`, else `~/.cache/huggingface` (as `huggingface_hub` decides).
pub fn hf_home() -> PathBuf {
    if let Some(home) = std::env::var_os("HF_HOME") {
        return PathBuf::from(home);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| home().map(|home| home.join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("huggingface")
}

/// The Hub cache folder Python's `huggingface_hub` uses.
pub fn hub_cache() -> PathBuf {
    std::env::var_os("HF_HUB_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| hf_home().join("hub"))
}

impl Resolver {
    /// The standard places, with `workspace` as the workspace folder.
    pub fn from_env(workspace: &Path) -> Resolver {
        Resolver {
            workspace: workspace.to_path_buf(),
            hub_cache: hub_cache(),
            datasets_cache: std::env::var_os("HF_DATASETS_CACHE")
                .map(PathBuf::from)
                .unwrap_or_else(|| hf_home().join("datasets")),
        }
    }

    /// Every split found for `spec`, from the first place that has the
    /// dataset (workspace, then Hub cache, then `datasets` cache).
    pub fn splits(&self, spec: &str) -> Vec<Found> {
        for (dataset, subset) in interpretations(spec) {
            for origin in [Origin::Workspace, Origin::HubCache, Origin::DatasetsCache] {
                let found = match origin {
                    Origin::Workspace => self.workspace_splits(&dataset, subset.as_deref()),
                    Origin::HubCache => self.hub_splits(&dataset, subset.as_deref()),
                    Origin::DatasetsCache => {
                        self.datasets_cache_splits(&dataset, subset.as_deref())
                    }
                };
                if !found.is_empty() {
                    return found;
                }
            }
        }
        Vec::new()
    }

    /// The split `split` (or the default one) of `spec`.
    pub fn resolve(&self, spec: &str, split: Option<&str>) -> Result<Found, DataError> {
        let found = self.splits(spec);
        if found.is_empty() {
            return Err(DataError::NotFound {
                name: spec.to_string(),
                message: format!(
                    "not found in the workspace ({}), the Hub cache ({}) or the datasets cache ({}); \
                     `promptstudio fetch {spec}` downloads it",
                    self.workspace.join("data").display(),
                    self.hub_cache.display(),
                    self.datasets_cache.display()
                ),
            });
        }
        let names: Vec<&str> = found.iter().map(|found| found.split.as_str()).collect();
        let chosen = match split {
            Some(split) => names.iter().copied().find(|name| *name == split),
            None => default_split(names.iter().copied()),
        };
        let Some(chosen) = chosen else {
            return Err(DataError::NotFound {
                name: spec.to_string(),
                message: format!(
                    "no split `{}` in the {}; splits: {}",
                    split.unwrap_or_default(),
                    found[0].origin,
                    names.join(", ")
                ),
            });
        };
        let index = names
            .iter()
            .position(|name| *name == chosen)
            .unwrap_or_default();
        Ok(found[index].clone())
    }

    fn workspace_splits(&self, dataset: &str, subset: Option<&str>) -> Vec<Found> {
        let folder = self
            .workspace
            .join("data")
            .join(dataset)
            .join(subset.unwrap_or("_"));
        let Ok(entries) = std::fs::read_dir(&folder) else {
            return Vec::new();
        };
        let mut splits = BTreeMap::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let split = if path.is_dir() {
                // `_` is the layout's "no subset" folder of a dataset whose
                // name has a slash, never a split.
                path.file_name()
                    .and_then(|name| name.to_str())
                    .filter(|name| *name != "_")
                    .map(str::to_string)
            } else {
                let known = path
                    .extension()
                    .and_then(|ext| ext.to_str())
                    .is_some_and(|ext| {
                        matches!(
                            ext,
                            "parquet" | "arrow" | "jsonl" | "ndjson" | "csv" | "tsv"
                        )
                    });
                known
                    .then(|| {
                        path.file_stem()
                            .and_then(|stem| stem.to_str())
                            .map(str::to_string)
                    })
                    .flatten()
            };
            if let Some(split) = split {
                // One file per split; a second format of the same split is
                // a copy, and the first in name order wins.
                splits.entry(split).or_insert(path);
            }
        }
        splits
            .into_iter()
            .map(|(split, path)| Found {
                dataset: dataset.to_string(),
                subset: subset.map(str::to_string),
                split,
                origin: Origin::Workspace,
                paths: vec![path],
            })
            .collect()
    }

    fn hub_splits(&self, dataset: &str, subset: Option<&str>) -> Vec<Found> {
        hub_cache_splits(&self.hub_cache, dataset, subset)
    }

    fn datasets_cache_splits(&self, dataset: &str, subset: Option<&str>) -> Vec<Found> {
        let root = self.datasets_cache.join(dataset.replace('/', "___"));
        let configs: Vec<PathBuf> = match subset {
            Some(subset) => vec![root.join(subset)],
            None => subdirectories(&root),
        };
        // Without a subset, only an unambiguous single configuration will do.
        if subset.is_none() && configs.len() != 1 {
            return Vec::new();
        }
        let Some(config) = configs.first() else {
            return Vec::new();
        };
        // <config>/<version>/<hash>/: the most recently written build.
        let newest = subdirectories(config)
            .into_iter()
            .flat_map(|version| subdirectories(&version))
            .max_by_key(|build| {
                std::fs::metadata(build)
                    .and_then(|metadata| metadata.modified())
                    .ok()
            });
        let Some(build) = newest else {
            return Vec::new();
        };
        let mut splits: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
        for entry in std::fs::read_dir(&build).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "arrow") {
                if let Some(split) = path
                    .file_stem()
                    .and_then(|stem| stem.to_str())
                    .map(split_of_file_stem)
                {
                    splits.entry(split).or_default().push(path);
                }
            }
        }
        splits
            .into_iter()
            .map(|(split, mut paths)| {
                paths.sort();
                Found {
                    dataset: dataset.to_string(),
                    subset: subset.map(str::to_string),
                    split,
                    origin: Origin::DatasetsCache,
                    paths,
                }
            })
            .collect()
    }
}

/// `datasets--org--name`, as both `huggingface_hub` and hf-hub name it.
pub fn hub_folder_name(dataset: &str) -> String {
    format!("datasets--{}", dataset.replace('/', "--"))
}

/// The snapshot folder a cached ref points to.
pub fn snapshot_of(repo: &Path, revision: &str) -> Option<PathBuf> {
    let commit = std::fs::read_to_string(repo.join("refs").join(revision)).ok()?;
    let snapshot = repo.join("snapshots").join(commit.trim());
    snapshot.is_dir().then_some(snapshot)
}

fn subdirectories(folder: &Path) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    folders
}

/// The splits of the Parquet files in a Hub snapshot, for `subset`.
fn hub_snapshot_splits(snapshot: &Path, dataset: &str, subset: Option<&str>) -> Vec<Found> {
    let files = parquet_files_under(snapshot, 4)
        .into_iter()
        .filter_map(|file| {
            let relative = file.strip_prefix(snapshot).ok()?.to_path_buf();
            Some((relative, file))
        });
    let Some(splits) = splits_of_subset(files, subset) else {
        return Vec::new();
    };
    splits
        .into_iter()
        .map(|(split, paths)| Found {
            dataset: dataset.to_string(),
            subset: subset.map(str::to_string),
            split,
            origin: Origin::HubCache,
            paths,
        })
        .collect()
}

/// Groups a repo's Parquet files (repo-relative path, and any value to keep
/// for each) by split, for the configuration `subset` names; without a
/// subset, the default configuration: unnamed (`data/`), `default`, or the
/// only one there is. `None` when there is no such configuration.
pub fn splits_of_subset<T: Ord>(
    files: impl IntoIterator<Item = (PathBuf, T)>,
    subset: Option<&str>,
) -> Option<BTreeMap<String, Vec<T>>> {
    let mut by_config: BTreeMap<Option<String>, BTreeMap<String, Vec<T>>> = BTreeMap::new();
    for (relative, value) in files {
        let (config, split) = config_and_split(&relative);
        by_config
            .entry(config)
            .or_default()
            .entry(split)
            .or_default()
            .push(value);
    }
    let default = Some("default".to_string());
    let wanted = match subset {
        Some(subset) => Some(subset.to_string()),
        None if by_config.contains_key(&None) => None,
        None if by_config.contains_key(&default) => default,
        None if by_config.len() == 1 => by_config.keys().next().cloned().flatten(),
        None => return None,
    };
    let mut splits = by_config.remove(&wanted)?;
    for values in splits.values_mut() {
        values.sort();
    }
    Some(splits)
}

/// The splits of `dataset` in a Hub cache: the `main` snapshot's Parquet
/// files, else those of `refs/convert/parquet`.
pub fn hub_cache_splits(hub_cache: &Path, dataset: &str, subset: Option<&str>) -> Vec<Found> {
    let repo = hub_cache.join(hub_folder_name(dataset));
    for revision in ["main", "refs/convert/parquet"] {
        let Some(snapshot) = snapshot_of(&repo, revision) else {
            continue;
        };
        let found = hub_snapshot_splits(&snapshot, dataset, subset);
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

fn parquet_files_under(folder: &Path, depth: usize) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() && depth > 0 {
            files.extend(parquet_files_under(&path, depth - 1));
        } else if path.extension().is_some_and(|ext| ext == "parquet") {
            files.push(path);
        }
    }
    files
}

/// The configuration and split of a Parquet file from its path in a repo:
/// - `refs/convert/parquet`: `<config>/<split>/0000.parquet` (also
///   `<config>/partial-<split>/...`) and the older
///   `<config>/<name>-<split>[-00000-of-00002].parquet`;
/// - a repo's own files: `data/<split>-00000-of-00001[-hash].parquet` (the
///   default configuration) or `<config>/<split>-....parquet`.
pub fn config_and_split(relative: &Path) -> (Option<String>, String) {
    let parts: Vec<&str> = relative
        .components()
        .filter_map(|part| part.as_os_str().to_str())
        .collect();
    let stem = relative
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or_default();
    let folders = &parts[..parts.len().saturating_sub(1)];
    let config_of = |folder: Option<&&str>| {
        folder
            .filter(|folder| **folder != "data")
            .map(|folder| folder.to_string())
    };
    if !stem.is_empty() && stem.bytes().all(|byte| byte.is_ascii_digit()) {
        if let Some((split_folder, config)) = folders.split_last() {
            let split = split_folder
                .strip_prefix("partial-")
                .unwrap_or(split_folder);
            return (config_of(config.first()), split.to_string());
        }
    }
    (config_of(folders.first()), split_of_file_stem(stem))
}

/// `train-00000-of-00003-abc` → `train`; `ag_news-test` → `test`.
fn split_of_file_stem(stem: &str) -> String {
    let pieces: Vec<&str> = stem.split('-').collect();
    let shard_at = pieces.windows(3).position(|window| {
        window[1] == "of"
            && [window[0], window[2]].iter().all(|number| {
                !number.is_empty() && number.bytes().all(|byte| byte.is_ascii_digit())
            })
    });
    let name_pieces = match shard_at {
        Some(position) => &pieces[..position],
        None => &pieces[..],
    };
    name_pieces
        .last()
        .map(|split| split.to_string())
        .unwrap_or_else(|| stem.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_a_slash_are_tried_both_ways() {
        assert_eq!(
            interpretations("super_glue/rte"),
            vec![
                ("super_glue".to_string(), Some("rte".to_string())),
                ("super_glue/rte".to_string(), None)
            ]
        );
        assert_eq!(
            interpretations("Zaid/coqa_expanded/x"),
            vec![("Zaid/coqa_expanded".to_string(), Some("x".to_string()))]
        );
    }

    #[test]
    fn splits_come_from_hub_file_names() {
        let case = |path: &str| config_and_split(Path::new(path));
        assert_eq!(
            case("plain_text/train/0000.parquet"),
            (Some("plain_text".into()), "train".into())
        );
        assert_eq!(
            case("default/partial-test/0001.parquet"),
            (Some("default".into()), "test".into())
        );
        assert_eq!(
            case("data/train-00000-of-00002-8f3e.parquet"),
            (None, "train".into())
        );
        assert_eq!(
            case("rte/validation-00000-of-00001.parquet"),
            (Some("rte".into()), "validation".into())
        );
        assert_eq!(
            case("ag_news/ag_news-test.parquet"),
            (Some("ag_news".into()), "test".into())
        );
        assert_eq!(case("train.parquet"), (None, "train".into()));
    }
}
