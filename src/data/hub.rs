//! Fetching a dataset's Parquet files from the Hugging Face Hub into the
//! standard Hub cache (the one Python's `huggingface_hub` reads and writes:
//! `datasets--org--name/{blobs,snapshots/<commit>,refs/<revision>}`), with
//! hf-hub's synchronous client (ureq and rustls, no OpenSSL).
//!
//! The repo's own Parquet files are used when it has some at the asked
//! revision; otherwise those of its `refs/convert/parquet` branch, which the
//! Hub maintains for every dataset it can convert.
//!
//! The environment is read as `huggingface_hub` reads it: `HF_ENDPOINT`,
//! `HF_HUB_CACHE` / `HF_HOME`, `HF_TOKEN` (else the `token` file next to the
//! cache; hf-hub alone does not read the variable), and `HF_HUB_OFFLINE`
//! (only the cache is used, and a dataset missing from it is an error).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use hf_hub::api::sync::{ApiBuilder, ApiRepo};
use hf_hub::{Cache, Repo, RepoType};

use crate::data::error::DataError;
use crate::data::resolve::{
    hub_cache, hub_cache_splits, hub_folder_name, splits_of_subset, Found, Origin,
};

/// The Hub's branch of automatic Parquet conversions.
pub const PARQUET_CONVERSION: &str = "refs/convert/parquet";

/// Where and how to reach the Hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubSettings {
    /// e.g. `https://huggingface.co`, without a trailing slash.
    pub endpoint: String,
    /// The Hub cache folder (`.../huggingface/hub`).
    pub cache: PathBuf,
    pub token: Option<String>,
    /// `HF_HUB_OFFLINE`: never touch the network.
    pub offline: bool,
}

impl HubSettings {
    pub fn from_env() -> HubSettings {
        let cache = hub_cache();
        let token = std::env::var("HF_TOKEN")
            .ok()
            .map(|token| token.trim().to_string())
            .filter(|token| !token.is_empty())
            .or_else(|| Cache::new(cache.clone()).token());
        let offline = std::env::var("HF_HUB_OFFLINE")
            .map(|value| {
                matches!(
                    value.trim().to_ascii_lowercase().as_str(),
                    "1" | "on" | "yes" | "true"
                )
            })
            .unwrap_or(false);
        HubSettings {
            endpoint: std::env::var("HF_ENDPOINT")
                .map(|endpoint| endpoint.trim_end_matches('/').to_string())
                .unwrap_or_else(|_| "https://huggingface.co".to_string()),
            cache,
            token,
            offline,
        }
    }
}

/// What to fetch: `NAME[/SUBSET]` is given split into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchRequest<'a> {
    /// The repo id, e.g. `ag_news` or `org/name`.
    pub dataset: &'a str,
    /// The configuration; `None` is the default one.
    pub subset: Option<&'a str>,
    /// One split; `None` fetches every split of the configuration.
    pub split: Option<&'a str>,
    /// A branch, tag or commit; `None` is `main`.
    pub revision: Option<&'a str>,
}

/// Progress of a fetch, for a progress bar.
pub trait FetchProgress {
    /// A file starts downloading (`index` of `count`, `size` bytes).
    fn file_started(&mut self, name: &str, size: u64, index: usize, count: usize);
    /// `bytes` more bytes of the current file arrived (including bytes
    /// already present when a download resumes).
    fn advanced(&mut self, bytes: u64);
    fn file_finished(&mut self);
}

/// No progress reporting.
impl FetchProgress for () {
    fn file_started(&mut self, _name: &str, _size: u64, _index: usize, _count: usize) {}
    fn advanced(&mut self, _bytes: u64) {}
    fn file_finished(&mut self) {}
}

/// What a fetch left in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The revision the files came from (the asked one, or the Parquet
    /// conversion branch).
    pub revision: String,
    /// The splits fetched, each with its files in the cache's snapshot.
    pub splits: Vec<Found>,
    /// How many files were downloaded (the others were already cached).
    pub downloaded: usize,
}

/// Fetches the Parquet files of a dataset's configuration (one split, or
/// all) into the Hub cache, or finds them there when offline.
pub fn fetch(
    settings: &HubSettings,
    request: &FetchRequest<'_>,
    progress: &mut dyn FetchProgress,
) -> Result<Fetched, DataError> {
    let hub_error = |message: String| DataError::Hub {
        name: request.dataset.to_string(),
        message,
    };
    if settings.offline {
        return fetch_offline(settings, request);
    }
    let api = ApiBuilder::from_cache(Cache::new(settings.cache.clone()))
        .with_endpoint(settings.endpoint.clone())
        .with_token(settings.token.clone())
        .with_progress(false)
        .with_retries(2)
        .build()
        .map_err(|error| hub_error(format!("cannot set up the HTTP client: {error}")))?;
    let asked = request.revision.unwrap_or("main");
    let mut chosen = None;
    for revision in [asked, PARQUET_CONVERSION] {
        let repo = api.repo(Repo::with_revision(
            request.dataset.to_string(),
            RepoType::Dataset,
            revision.to_string(),
        ));
        let info = guard(|| repo.info())
            .map_err(|message| hub_error(format!("listing revision `{revision}`: {message}")))?;
        let parquet: Vec<(PathBuf, String)> = info
            .siblings
            .iter()
            .filter(|sibling| sibling.rfilename.ends_with(".parquet"))
            .map(|sibling| (PathBuf::from(&sibling.rfilename), sibling.rfilename.clone()))
            .collect();
        if parquet.is_empty() {
            continue;
        }
        // A repo with Parquet files but not for this subset: the conversion
        // branch may still have it (a script dataset with a Parquet README
        // sample, say), so keep looking rather than fail here.
        if let Some(splits) = splits_of_subset(parquet, request.subset) {
            chosen = Some((revision, repo, info.sha, splits));
            break;
        }
    }
    let Some((revision, repo, commit, mut splits)) = chosen else {
        return Err(hub_error(format!(
            "no Parquet files for {} at `{asked}` or on `{PARQUET_CONVERSION}`",
            describe_subset(request.subset)
        )));
    };
    if let Some(split) = request.split {
        let names: Vec<String> = splits.keys().cloned().collect();
        splits.retain(|name, _| name == split);
        if splits.is_empty() {
            return Err(hub_error(format!(
                "no split `{split}` for {}; splits: {}",
                describe_subset(request.subset),
                names.join(", ")
            )));
        }
    }
    let repo_folder = settings.cache.join(hub_folder_name(request.dataset));
    let snapshot = repo_folder.join("snapshots").join(&commit);
    let count = splits.values().map(Vec::len).sum();
    let mut downloaded = 0;
    let mut index = 0;
    let mut found = Vec::new();
    for (split, files) in splits {
        let mut paths = Vec::with_capacity(files.len());
        for file in files {
            let cached = snapshot.join(&file);
            if !cached.exists() {
                download(&repo, &file, index, count, progress)
                    .map_err(|message| hub_error(format!("downloading `{file}`: {message}")))?;
                downloaded += 1;
            }
            index += 1;
            paths.push(cached);
        }
        found.push(Found {
            dataset: request.dataset.to_string(),
            subset: request.subset.map(str::to_string),
            split,
            origin: Origin::HubCache,
            paths,
        });
    }
    // hf-hub records the ref only when it downloads; a fully cached fetch
    // must still leave the ref pointing at the commit it checked.
    write_ref(&repo_folder, revision, &commit)
        .map_err(|error| DataError::io(&repo_folder, error))?;
    remove_stale_files(&repo_folder.join("blobs"));
    Ok(Fetched {
        revision: revision.to_string(),
        splits: found,
        downloaded,
    })
}

fn describe_subset(subset: Option<&str>) -> String {
    match subset {
        Some(subset) => format!("subset `{subset}`"),
        None => "the default subset".to_string(),
    }
}

fn fetch_offline(settings: &HubSettings, request: &FetchRequest<'_>) -> Result<Fetched, DataError> {
    let mut splits = hub_cache_splits(&settings.cache, request.dataset, request.subset);
    if let Some(split) = request.split {
        splits.retain(|found| found.split == split);
    }
    if splits.is_empty() {
        return Err(DataError::Hub {
            name: request.dataset.to_string(),
            message: format!(
                "HF_HUB_OFFLINE is set and {}{} is not in the cache at {}",
                describe_subset(request.subset),
                request
                    .split
                    .map(|split| format!(", split `{split}`,"))
                    .unwrap_or_default(),
                settings.cache.display()
            ),
        });
    }
    let repo = settings.cache.join(hub_folder_name(request.dataset));
    let revision = if crate::data::resolve::snapshot_of(&repo, "main").is_some_and(|snapshot| {
        splits
            .iter()
            .all(|found| found.paths.iter().all(|path| path.starts_with(&snapshot)))
    }) {
        "main"
    } else {
        PARQUET_CONVERSION
    };
    Ok(Fetched {
        revision: revision.to_string(),
        splits,
        downloaded: 0,
    })
}

/// Runs an hf-hub call, turning its errors and any panic inside it (it
/// asserts on some server responses) into a message.
fn guard<T, E: std::fmt::Display>(call: impl FnOnce() -> Result<T, E>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(error.to_string()),
        Err(panic) => Err(panic
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the Hub client failed".to_string())),
    }
}

/// Adapts hf-hub's progress calls to [`FetchProgress`].
struct ProgressAdapter<'a> {
    inner: &'a mut dyn FetchProgress,
    index: usize,
    count: usize,
    started: bool,
}

impl hf_hub::api::Progress for ProgressAdapter<'_> {
    fn init(&mut self, size: usize, filename: &str) {
        // hf-hub calls `init` again when it (re)starts a ranged request.
        if !self.started {
            self.inner
                .file_started(filename, size as u64, self.index, self.count);
            self.started = true;
        }
    }

    fn update(&mut self, size: usize) {
        self.inner.advanced(size as u64);
    }

    fn finish(&mut self) {
        self.inner.file_finished();
    }
}

fn download(
    repo: &ApiRepo,
    file: &str,
    index: usize,
    count: usize,
    progress: &mut dyn FetchProgress,
) -> Result<PathBuf, String> {
    let adapter = ProgressAdapter {
        inner: progress,
        index,
        count,
        started: false,
    };
    guard(|| repo.download_with_progress(file, adapter))
}

fn write_ref(repo_folder: &Path, revision: &str, commit: &str) -> std::io::Result<()> {
    let path = repo_folder.join("refs").join(revision);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, commit)
}

/// Removes what interrupted or finished downloads leave in `blobs/`: lock
/// files nobody holds, and partial files (hf-hub's `.part`, Python's
/// `.incomplete`) whose blob is complete. A partial file without its blob
/// stays, so the next fetch resumes it.
pub fn remove_stale_files(blobs: &Path) {
    let Ok(entries) = std::fs::read_dir(blobs) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let extension = path.extension().and_then(|ext| ext.to_str());
        let stale = match extension {
            Some("lock") => is_unlocked(&path),
            Some("part" | "incomplete") => path.with_extension("").exists(),
            _ => false,
        };
        if stale {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Whether no process holds the lock (both hf-hub and Python's `filelock`
/// use `flock`).
/// (`File::try_lock` is `flock(LOCK_EX | LOCK_NB)` on Unix; the lock is
/// released when `file` is closed at the end of the function.)
#[cfg(unix)]
fn is_unlocked(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    file.try_lock().is_ok()
}

#[cfg(not(unix))]
fn is_unlocked(_path: &Path) -> bool {
    false
}
