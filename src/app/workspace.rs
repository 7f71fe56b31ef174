//! The studio's [`Workspace`] seam on the real workspace folder
//! ([`crate::workspace::FolderWorkspace`], which finds templates and rows by
//! name): saves that refuse to overwrite an outside change, the folders to
//! watch, and the splits' rows as the data layer's [`SharedSource`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::backend::{LoadError, SaveError, SplitRef, Workspace};
use crate::core::template::DatasetTemplates;
use crate::data::{SharedSource, SplitRows};
use crate::workspace::FolderWorkspace;

impl Workspace for FolderWorkspace {
    fn discover(&self) -> (Vec<DatasetTemplates>, Vec<LoadError>) {
        FolderWorkspace::discover(self)
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
        FolderWorkspace::splits(self, dataset, subset)
            .into_iter()
            .map(|found| SplitRef {
                name: found.split.clone(),
                found,
            })
            .collect()
    }

    fn open(&self, split: &SplitRef) -> anyhow::Result<Arc<dyn SplitRows + Send + Sync>> {
        Ok(Arc::new(SharedSource::new(split.found.open()?)))
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
