//! The studio's [`Workspace`] seam on the real workspace folder
//! ([`crate::workspace::FolderWorkspace`], which finds templates and rows by
//! name): saves that refuse to overwrite an outside change, the folders to
//! watch, and `data` sources shared by the studio's workers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::backend::{LoadError, RowSource, SaveError, SplitRef, Workspace};
use crate::core::datum::Row;
use crate::core::template::DatasetTemplates;
use crate::data::features::Feature;
use crate::data::source::{RowCount, Source};
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
