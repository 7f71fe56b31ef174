//! A collection: every `templates.yaml` under a folder.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::core::template::{DatasetTemplates, Template};
use crate::core::yaml::LoadError;

/// The files found under `root`, loaded, and the ones that failed to load.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub root: PathBuf,
    /// Sorted by (dataset, subset).
    pub files: Vec<DatasetTemplates>,
    /// Sorted by path.
    pub errors: Vec<LoadError>,
}

impl Catalog {
    /// Finds and loads every `templates.yaml` under `root`, at any depth,
    /// skipping hidden folders and `target`. Each file names its own dataset
    /// and subset, so the folder layout does not matter. A folder that
    /// cannot be listed is reported as an error, like a file that cannot be
    /// loaded.
    pub fn discover(root: &Path) -> Catalog {
        let mut paths = Vec::new();
        let mut errors = Vec::new();
        let mut visited = HashSet::new();
        collect_template_files(root, &mut visited, &mut paths, &mut errors);
        let loaded: Vec<Result<DatasetTemplates, LoadError>> = paths
            .par_iter()
            .map(|path| DatasetTemplates::load(path))
            .collect();
        let mut files = Vec::with_capacity(loaded.len());
        for result in loaded {
            match result {
                Ok(file) => files.push(file),
                Err(error) => errors.push(error),
            }
        }
        files.sort_by(|a, b| (&a.dataset, &a.subset).cmp(&(&b.dataset, &b.subset)));
        errors.sort_by(|a, b| a.path.cmp(&b.path));
        Catalog {
            root: root.to_path_buf(),
            files,
            errors,
        }
    }

    /// The file of a (dataset, subset).
    pub fn find(&self, dataset: &str, subset: Option<&str>) -> Option<&DatasetTemplates> {
        self.files
            .iter()
            .find(|file| file.dataset == dataset && file.subset.as_deref() == subset)
    }

    pub fn find_mut(
        &mut self,
        dataset: &str,
        subset: Option<&str>,
    ) -> Option<&mut DatasetTemplates> {
        self.files
            .iter_mut()
            .find(|file| file.dataset == dataset && file.subset.as_deref() == subset)
    }

    /// A template of a (dataset, subset) by id, else by name.
    pub fn template(
        &self,
        dataset: &str,
        subset: Option<&str>,
        name_or_id: &str,
    ) -> Option<&Template> {
        self.find(dataset, subset)?.template(name_or_id)
    }

    /// Number of templates over all files.
    pub fn template_count(&self) -> usize {
        self.files.iter().map(|file| file.templates.len()).sum()
    }
}

/// What makes a folder the same folder whatever path reaches it.
#[cfg(unix)]
type FolderIdentity = (u64, u64);

#[cfg(unix)]
fn folder_identity(folder: &Path) -> Option<FolderIdentity> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::metadata(folder).ok()?;
    Some((metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
type FolderIdentity = PathBuf;

#[cfg(not(unix))]
fn folder_identity(folder: &Path) -> Option<FolderIdentity> {
    std::fs::canonicalize(folder).ok()
}

fn collect_template_files(
    folder: &Path,
    visited: &mut HashSet<FolderIdentity>,
    paths: &mut Vec<PathBuf>,
    errors: &mut Vec<LoadError>,
) {
    // Symlinked folders are followed, so a link back up the tree must not
    // send the walk round in circles.
    if let Some(identity) = folder_identity(folder) {
        if !visited.insert(identity) {
            return;
        }
    }
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(LoadError::whole_file(
                folder,
                format!("cannot list folder: {e}"),
            ));
            return;
        }
    };
    let mut children: Vec<(PathBuf, bool)> = Vec::new();
    for entry in entries {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // The entry's own type needs no extra system call; only a symlink
        // has to be followed to see what it points to.
        let is_dir = match entry.file_type() {
            Ok(kind) if kind.is_symlink() => entry.path().is_dir(),
            Ok(kind) => kind.is_dir(),
            Err(_) => false,
        };
        if is_dir && (name.starts_with('.') || name == "target") {
            continue;
        }
        if is_dir || name == "templates.yaml" {
            children.push((entry.path(), is_dir));
        }
    }
    children.sort();
    for (path, is_dir) in children {
        if is_dir {
            collect_template_files(&path, visited, paths, errors);
        } else {
            paths.push(path);
        }
    }
}
