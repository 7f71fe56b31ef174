//! Fetching a dataset's Parquet files from the Hugging Face Hub into the
//! standard Hub cache (the one Python's `huggingface_hub` reads and writes:
//! `datasets--org--name/{blobs,snapshots/<commit>,refs/<revision>}`), with
//! our own client on `ureq` (rustls, no OpenSSL).
//!
//! Everything the server sends is distrusted: file names, commit ids and
//! ETags are checked before they become paths (see `names`), a body must be
//! exactly the size the Hub stated (and, for LFS files, have the stated
//! SHA-256) or its partial file is removed, every wait has a timeout,
//! redirects are counted, and the token goes only to the endpoint's host.
//! hf-hub 0.5, used before, trusted all of these (see README, known limits).
//!
//! The repo's own Parquet files are used when it has some at the asked
//! revision; otherwise those of its `refs/convert/parquet` branch, which the
//! Hub maintains for every dataset it can convert.
//!
//! The environment is read as `huggingface_hub` reads it: `HF_ENDPOINT`,
//! `HF_HUB_CACHE` / `HF_HOME`, `HF_TOKEN` (else the `token` file next to the
//! cache), `HF_HUB_DOWNLOAD_TIMEOUT` (seconds, default 10) and
//! `HF_HUB_OFFLINE` (only the cache is used, and a dataset missing from it is
//! an error).

mod blob;
mod http;
mod model;
mod names;
mod remote;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::data::error::DataError;
use crate::data::resolve::{
    hub_cache, hub_cache_splits, hub_folder_name, splits_of_subset, Found, Origin,
};
pub use model::{fetch_model, FetchedModel, ModelFetchError, MODEL_FILES};
pub(crate) use names::{check_relative_path, check_repo_id};
use remote::{Remote, RepoKind, Sibling};

/// The Hub's branch of automatic Parquet conversions.
pub const PARQUET_CONVERSION: &str = "refs/convert/parquet";

/// `huggingface_hub`'s default for `HF_HUB_DOWNLOAD_TIMEOUT`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A partial download untouched this long is not coming back.
const STALE_PART_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

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
    /// The longest wait for a connection or for the next bytes of an answer.
    pub timeout: Duration,
}

impl HubSettings {
    pub fn from_env() -> HubSettings {
        let cache = hub_cache();
        let token = std::env::var("HF_TOKEN")
            .ok()
            .map(|token| token.trim().to_string())
            .filter(|token| !token.is_empty())
            .or_else(|| token_file(&cache));
        let offline = std::env::var("HF_HUB_OFFLINE")
            .map(|value| {
                matches!(
                    value.trim().to_ascii_lowercase().as_str(),
                    "1" | "on" | "yes" | "true"
                )
            })
            .unwrap_or(false);
        let timeout = std::env::var("HF_HUB_DOWNLOAD_TIMEOUT")
            .ok()
            .and_then(|seconds| seconds.trim().parse::<f64>().ok())
            .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
            .filter(|timeout| !timeout.is_zero())
            .unwrap_or(DEFAULT_TIMEOUT);
        HubSettings {
            endpoint: std::env::var("HF_ENDPOINT")
                .map(|endpoint| endpoint.trim_end_matches('/').to_string())
                .unwrap_or_else(|_| "https://huggingface.co".to_string()),
            cache,
            token,
            offline,
            timeout,
        }
    }
}

/// The token `huggingface-cli login` saves: `token` next to the `hub` folder.
fn token_file(cache: &Path) -> Option<String> {
    let token = std::fs::read_to_string(cache.parent()?.join("token")).ok()?;
    let token = token.trim();
    (!token.is_empty()).then(|| token.to_string())
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
    check_repo_id(request.dataset).map_err(hub_error)?;
    let asked = request.revision.unwrap_or("main");
    check_relative_path("revision", asked).map_err(hub_error)?;
    if settings.offline {
        return fetch_offline(settings, request);
    }
    let remote = Remote::new(settings, RepoKind::Dataset, request.dataset).map_err(hub_error)?;
    let mut chosen = None;
    for revision in [asked, PARQUET_CONVERSION] {
        let listing = remote
            .listing(revision)
            .map_err(|message| hub_error(format!("listing revision `{revision}`: {message}")))?;
        let parquet: Vec<&Sibling> = listing
            .siblings
            .iter()
            .filter(|sibling| sibling.rfilename.ends_with(".parquet"))
            .collect();
        for sibling in &parquet {
            check_relative_path("file name", &sibling.rfilename).map_err(|message| {
                hub_error(format!("listing revision `{revision}`: {message}"))
            })?;
        }
        if parquet.is_empty() {
            continue;
        }
        let named: Vec<(PathBuf, String)> = parquet
            .iter()
            .map(|sibling| (PathBuf::from(&sibling.rfilename), sibling.rfilename.clone()))
            .collect();
        // A repo with Parquet files but not for this subset: the conversion
        // branch may still have it (a script dataset with a Parquet README
        // sample, say), so keep looking rather than fail here.
        if let Some(splits) = splits_of_subset(named, request.subset) {
            chosen = Some((revision, listing, splits));
            break;
        }
    }
    let Some((revision, listing, mut splits)) = chosen else {
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
    let commit = listing.sha.as_str();
    let wanted: Vec<Sibling> = splits
        .values()
        .flatten()
        .filter_map(|file| {
            listing
                .siblings
                .iter()
                .find(|sibling| &sibling.rfilename == file)
                .cloned()
        })
        .collect();
    let downloaded = remote
        .bring(revision, commit, &wanted, progress)
        .map_err(hub_error)?;
    let snapshot = remote.folder.join("snapshots").join(commit);
    let found = splits
        .into_iter()
        .map(|(split, files)| Found {
            dataset: request.dataset.to_string(),
            subset: request.subset.map(str::to_string),
            split,
            origin: Origin::HubCache,
            paths: files.iter().map(|file| snapshot.join(file)).collect(),
        })
        .collect();
    // The ref is written even when everything was cached, so it always
    // points at the commit this fetch checked.
    remote.finish(revision, commit)?;
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

/// Removes what interrupted or finished downloads leave in `blobs/`: lock
/// files nobody holds, and partial files (ours and hf-hub's `.part`,
/// Python's `.incomplete`) whose blob is complete or that nobody has touched
/// for a week. Other partial files stay, so the next fetch resumes them.
pub fn remove_stale_files(blobs: &Path) {
    let Ok(entries) = std::fs::read_dir(blobs) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let path = entry.path();
        let extension = path.extension().and_then(|ext| ext.to_str());
        let stale = match extension {
            Some("lock") => is_unlocked(&path),
            Some("part" | "incomplete") => {
                path.with_extension("").exists()
                    || (entry
                        .metadata()
                        .and_then(|metadata| metadata.modified())
                        .ok()
                        .and_then(|modified| now.duration_since(modified).ok())
                        .is_some_and(|age| age > STALE_PART_AGE)
                        && is_unlocked(&path.with_extension("lock")))
            }
            _ => false,
        };
        if stale {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Whether no process holds the lock (hf-hub, Python's `filelock` and this
/// module all use `flock`, which `File::try_lock` takes on Unix); a missing
/// lock file is not held. The lock is released when `file` closes.
#[cfg(unix)]
fn is_unlocked(path: &Path) -> bool {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) => return error.kind() == std::io::ErrorKind::NotFound,
    };
    file.try_lock().is_ok()
}

#[cfg(not(unix))]
fn is_unlocked(_path: &Path) -> bool {
    false
}
