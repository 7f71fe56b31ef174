//! One Hub repo as the client sees it: its file listing at a revision, the
//! URLs of its files, and bringing chosen files into its cache folder.

use std::path::PathBuf;

use serde::Deserialize;

use super::blob::{self, Stated};
use super::http::{encode, parse, Client};
use super::names::{self, check_repo_id};
use super::{remove_stale_files, FetchProgress, HubSettings};
use crate::data::error::DataError;
use crate::data::resolve::hub_folder_name;

/// A revision's file list, as `GET /api/<kind>/<repo>/revision/<rev>` gives it.
#[derive(Debug, Deserialize)]
pub(super) struct Listing {
    pub sha: String,
    #[serde(default)]
    pub siblings: Vec<Sibling>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Sibling {
    pub rfilename: String,
    /// Present when the listing was asked with `blobs=true`.
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    lfs: Option<LfsInfo>,
}

#[derive(Debug, Clone, Deserialize)]
struct LfsInfo {
    #[serde(default)]
    sha256: Option<String>,
    #[serde(default)]
    size: Option<u64>,
}

/// The kinds of Hub repo, which differ in URLs and cache folder names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RepoKind {
    Dataset,
    Model,
}

/// One repo at one revision, with the client that reaches it.
pub(super) struct Remote<'a> {
    client: Client,
    kind: RepoKind,
    id: &'a str,
    pub folder: PathBuf,
}

impl<'a> Remote<'a> {
    pub fn new(settings: &HubSettings, kind: RepoKind, id: &'a str) -> Result<Remote<'a>, String> {
        check_repo_id(id)?;
        let client = Client::new(
            &settings.endpoint,
            settings.token.as_deref(),
            settings.timeout,
        )?;
        let folder = match kind {
            RepoKind::Dataset => settings.cache.join(hub_folder_name(id)),
            RepoKind::Model => settings.cache.join(model_folder_name(id)),
        };
        Ok(Remote {
            client,
            kind,
            id,
            folder,
        })
    }

    pub fn listing(&self, revision: &str) -> Result<Listing, String> {
        let kind = match self.kind {
            RepoKind::Dataset => "datasets",
            RepoKind::Model => "models",
        };
        let url = parse(&format!(
            // `blobs=true`: each file's size (and LFS SHA-256) too, checked
            // against what the file's own answer states.
            "{}/api/{kind}/{}/revision/{}?blobs=true",
            self.client.endpoint(),
            self.id,
            encode(revision, false)
        ))?;
        let listing: Listing = self.client.get_json(&url)?;
        names::check_commit(&listing.sha)?;
        Ok(listing)
    }

    fn file_url(&self, revision: &str, file: &str) -> Result<ureq::http::Uri, String> {
        let prefix = match self.kind {
            RepoKind::Dataset => "datasets/",
            RepoKind::Model => "",
        };
        parse(&format!(
            "{}/{prefix}{}/resolve/{}/{}",
            self.client.endpoint(),
            self.id,
            encode(revision, false),
            encode(file, true)
        ))
    }

    /// Brings `files` (checked names) of `revision`, listed at `commit`,
    /// into the snapshot; returns how many were not there yet.
    pub fn bring(
        &self,
        revision: &str,
        commit: &str,
        files: &[Sibling],
        progress: &mut dyn FetchProgress,
    ) -> Result<usize, String> {
        let snapshot = self.folder.join("snapshots").join(commit);
        let blobs = self.folder.join("blobs");
        let mut downloaded = 0;
        for (index, sibling) in files.iter().enumerate() {
            let file = &sibling.rfilename;
            if snapshot.join(file).exists() {
                continue;
            }
            let failed = |message: String| format!("downloading `{file}`: {message}");
            let url = self.file_url(revision, file).map_err(failed)?;
            let stated = blob::stat(&self.client, &url).map_err(failed)?;
            agrees_with_listing(&stated, sibling, commit).map_err(failed)?;
            progress.file_started(file, stated.size, index, files.len());
            if !blobs.join(&stated.blob).is_file() {
                blob::download(&self.client, &url, &blobs, &stated, progress)
                    .map_err(|failure| failed(failure.message()))?;
            } else {
                progress.advanced(stated.size);
            }
            progress.file_finished();
            blob::link(&snapshot, file, &stated.blob).map_err(|error| {
                failed(format!("linking it into {}: {error}", snapshot.display()))
            })?;
            downloaded += 1;
        }
        Ok(downloaded)
    }

    /// Records that `revision` is `commit`, then tidies `blobs/`.
    pub fn finish(&self, revision: &str, commit: &str) -> Result<(), DataError> {
        blob::write_ref(&self.folder, revision, commit)
            .map_err(|error| DataError::io(&self.folder.join("refs"), error))?;
        remove_stale_files(&self.folder.join("blobs"));
        Ok(())
    }
}

/// What the file's own answer states must match what the listing said.
fn agrees_with_listing(stated: &Stated, sibling: &Sibling, commit: &str) -> Result<(), String> {
    if let Some(answered) = &stated.commit {
        if answered != commit {
            return Err(format!(
                "the Hub answered for commit {answered}, but listed the revision at {commit}"
            ));
        }
    }
    let listed_size = sibling
        .lfs
        .as_ref()
        .and_then(|lfs| lfs.size)
        .or(sibling.size);
    if let Some(listed) = listed_size.filter(|listed| *listed != stated.size) {
        return Err(format!(
            "the Hub listed {listed} bytes, but its answer states {}",
            stated.size
        ));
    }
    let listed_sha = sibling.lfs.as_ref().and_then(|lfs| lfs.sha256.as_deref());
    if let (Some(listed), Some(answered)) = (listed_sha, stated.sha256.as_deref()) {
        if !listed.eq_ignore_ascii_case(answered) {
            return Err(format!(
                "the Hub listed SHA-256 {listed}, but its answer states {answered}"
            ));
        }
    }
    Ok(())
}

/// A model's folder in the Hub cache, as `huggingface_hub` names it.
pub(super) fn model_folder_name(model: &str) -> String {
    format!("models--{}", model.replace('/', "--"))
}
