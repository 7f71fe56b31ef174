//! `fetch --model`: the small files that describe a model's tokenizer, chat
//! template and configuration (never its weights), through the same checked
//! download path as datasets, into `models--org--name` in the Hub cache.

use std::path::PathBuf;

use super::remote::{model_folder_name, Remote, RepoKind, Sibling};
use super::{check_relative_path, check_repo_id, FetchProgress, HubSettings};

/// The files fetched when the model has them; anything else (weights above
/// all) is never downloaded.
pub const MODEL_FILES: [&str; 6] = [
    "tokenizer_config.json",
    "tokenizer.json",
    "special_tokens_map.json",
    "chat_template.jinja",
    "generation_config.json",
    "config.json",
];

/// A model fetch that failed, with the model's name.
#[derive(Debug, thiserror::Error)]
#[error("model `{model}` on the Hub: {message}")]
pub struct ModelFetchError {
    pub model: String,
    pub message: String,
}

/// What a model fetch left in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedModel {
    pub revision: String,
    /// The snapshot folder (`models--org--name/snapshots/<commit>`).
    pub snapshot: PathBuf,
    /// The files present, in [`MODEL_FILES`] order.
    pub paths: Vec<PathBuf>,
    /// How many were downloaded (the others were already cached).
    pub downloaded: usize,
}

/// Fetches a model's [`MODEL_FILES`] (those it has) at `revision` (`main`
/// when `None`), or finds them in the cache when offline.
pub fn fetch_model(
    settings: &HubSettings,
    model: &str,
    revision: Option<&str>,
    progress: &mut dyn FetchProgress,
) -> Result<FetchedModel, ModelFetchError> {
    let failed = |message: String| ModelFetchError {
        model: model.to_string(),
        message,
    };
    check_repo_id(model).map_err(failed)?;
    let revision = revision.unwrap_or("main");
    check_relative_path("revision", revision).map_err(failed)?;
    if settings.offline {
        return cached_model(settings, model, revision).map_err(failed);
    }
    let remote = Remote::new(settings, RepoKind::Model, model).map_err(failed)?;
    let listing = remote
        .listing(revision)
        .map_err(|message| failed(format!("listing revision `{revision}`: {message}")))?;
    let wanted: Vec<Sibling> = MODEL_FILES
        .iter()
        .filter_map(|name| {
            listing
                .siblings
                .iter()
                .find(|sibling| sibling.rfilename == *name)
                .cloned()
        })
        .collect();
    if wanted.is_empty() {
        return Err(failed(format!(
            "none of {} at `{revision}`",
            MODEL_FILES.join(", ")
        )));
    }
    let downloaded = remote
        .bring(revision, &listing.sha, &wanted, progress)
        .map_err(failed)?;
    remote
        .finish(revision, &listing.sha)
        .map_err(|error| failed(error.to_string()))?;
    let snapshot = remote.folder.join("snapshots").join(&listing.sha);
    Ok(FetchedModel {
        revision: revision.to_string(),
        paths: wanted
            .iter()
            .map(|sibling| snapshot.join(&sibling.rfilename))
            .collect(),
        snapshot,
        downloaded,
    })
}

fn cached_model(
    settings: &HubSettings,
    model: &str,
    revision: &str,
) -> Result<FetchedModel, String> {
    let folder = settings.cache.join(model_folder_name(model));
    let snapshot = crate::data::resolve::snapshot_of(&folder, revision).ok_or_else(|| {
        format!(
            "HF_HUB_OFFLINE is set and revision `{revision}` is not in the cache at {}",
            settings.cache.display()
        )
    })?;
    let paths: Vec<PathBuf> = MODEL_FILES
        .iter()
        .map(|name| snapshot.join(name))
        .filter(|path| path.is_file())
        .collect();
    if paths.is_empty() {
        return Err(format!(
            "HF_HUB_OFFLINE is set and {} holds none of {}",
            snapshot.display(),
            MODEL_FILES.join(", ")
        ));
    }
    Ok(FetchedModel {
        revision: revision.to_string(),
        snapshot,
        paths,
        downloaded: 0,
    })
}
