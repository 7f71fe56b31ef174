//! Filesystem work, kept out of [`App::update`](super::App::update): finding
//! a dataset's splits (which may search the Hugging Face caches), saving and
//! reloading templates files. The app asks with [`Effect::Disk`], a worker
//! thread of tui/ runs [`DiskRequest::perform`], and the answer comes back
//! as [`Event::Disk`], so a slow disk or a cold cache never holds up a
//! keystroke. Tests call `perform` themselves and feed the answer back.
//!
//! [`Effect::Disk`]: super::Effect::Disk
//! [`Event::Disk`]: super::Event::Disk

use std::path::PathBuf;

use crate::core::template::DatasetTemplates;

use super::backend::{LoadError, SaveError, SplitRef, Workspace};

/// Why a file is being read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadReason {
    /// The watcher saw it change.
    ChangedOnDisk,
    /// The user chose the version on disk over their edits of file `file`.
    DropMine { file: usize },
}

#[derive(Debug, Clone)]
pub enum DiskRequest {
    /// The splits with rows of a (dataset, subset); `generation` lets the
    /// newest request win.
    Splits {
        generation: u64,
        dataset: String,
        subset: Option<String>,
    },
    /// Write catalog file `file` (atomically, refusing an outside change
    /// unless `overwrite`).
    Save {
        file: usize,
        templates: DatasetTemplates,
        overwrite: bool,
    },
    Reload {
        path: PathBuf,
        reason: ReloadReason,
    },
    /// The dataset card near a split's files.
    Card {
        split: SplitRef,
    },
}

#[derive(Debug)]
pub enum DiskAnswer {
    Splits {
        generation: u64,
        splits: Vec<SplitRef>,
    },
    /// `templates` is what was asked to be written, with the fingerprint
    /// of the file as written when that succeeded.
    Saved {
        file: usize,
        templates: DatasetTemplates,
        result: Result<(), SaveError>,
    },
    /// `deleted`: the file could not be read because it is gone.
    Reloaded {
        path: PathBuf,
        reason: ReloadReason,
        result: Result<Box<DatasetTemplates>, LoadError>,
        deleted: bool,
    },
    Card(super::card::CardText),
}

impl DiskRequest {
    /// The answer for a request whose work failed unexpectedly (a bug: the
    /// worker caught a panic), so the app is never left waiting for it.
    pub fn failed(&self, message: &str) -> DiskAnswer {
        match self {
            DiskRequest::Splits { generation, .. } => DiskAnswer::Splits {
                generation: *generation,
                splits: Vec::new(),
            },
            DiskRequest::Save {
                file, templates, ..
            } => DiskAnswer::Saved {
                file: *file,
                templates: templates.clone(),
                result: Err(SaveError::Io {
                    path: templates.path.clone(),
                    source: std::io::Error::other(message.to_owned()),
                }),
            },
            DiskRequest::Card { .. } => DiskAnswer::Card(Err(message.to_owned())),
            DiskRequest::Reload { path, reason } => DiskAnswer::Reloaded {
                path: path.clone(),
                reason: *reason,
                result: Err(LoadError {
                    path: path.clone(),
                    line: None,
                    column: None,
                    message: message.to_owned(),
                }),
                deleted: false,
            },
        }
    }

    /// Does the work; may block on the disk, so never on the UI thread.
    pub fn perform(self, workspace: &dyn Workspace) -> DiskAnswer {
        match self {
            DiskRequest::Splits {
                generation,
                dataset,
                subset,
            } => DiskAnswer::Splits {
                generation,
                splits: workspace.splits(&dataset, subset.as_deref()),
            },
            DiskRequest::Save {
                file,
                mut templates,
                overwrite,
            } => {
                let result = workspace.save(&mut templates, overwrite);
                DiskAnswer::Saved {
                    file,
                    templates,
                    result,
                }
            }
            DiskRequest::Card { split } => DiskAnswer::Card(super::card::read_card(&split)),
            DiskRequest::Reload { path, reason } => {
                let result = workspace.reload(&path).map(Box::new);
                DiskAnswer::Reloaded {
                    deleted: result.is_err() && !workspace.exists(&path),
                    result,
                    path,
                    reason,
                }
            }
        }
    }
}
