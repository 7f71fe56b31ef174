//! Outside changes to a file with unsaved edits (merged by template id, see
//! [`crate::app::merge`]) and files deleted on disk.

use std::path::Path;
use std::sync::Arc;

use crate::app::backend::TemplatesFile;
use crate::app::merge::{Merge, Side};
use crate::app::state::*;
use crate::app::App;
use crate::core::template::DatasetTemplates;

impl App {
    /// The disk's version of file `file` arrived while it has unsaved
    /// edits: prompts changed on one side combine on their own; the ones
    /// changed on both sides are asked about.
    pub(super) fn merge_outside_change(&mut self, file: usize, theirs: DatasetTemplates) {
        let entry = &self.catalog.files[file];
        let base = entry.on_disk.as_deref().cloned().unwrap_or_else(|| {
            DatasetTemplates::new(
                entry.templates.path.clone(),
                entry.templates.dataset.clone(),
                entry.templates.subset.clone(),
            )
        });
        let merge = Merge::new(&base, &entry.templates, &theirs);
        if merge.pending().is_some() {
            self.overlay = Overlay::Confirm(Confirm::OutsideChange {
                file,
                merge: Box::new(merge),
            });
        } else {
            self.install_merge(file, &merge);
        }
    }

    /// An answer to the merge dialog: decides one conflicting prompt, and
    /// installs the merge when none is left.
    pub(super) fn answer_merge(&mut self, file: usize, mut merge: Box<Merge>, choice: Choice) {
        let side = match choice {
            Choice::KeepMine => Side::Mine,
            Choice::TakeTheirs => Side::Theirs,
            _ => {
                return self.notify(format!(
                    "Nothing merged: {} changed on disk; saving asks before overwriting it",
                    file_title(&self.catalog.files[file])
                ))
            }
        };
        merge.choose(side);
        if merge.pending().is_some() {
            self.overlay = Overlay::Confirm(Confirm::OutsideChange { file, merge });
        } else {
            self.install_merge(file, &merge);
        }
    }

    /// The merged prompts become the file's, the disk's version its new
    /// base (and fingerprint): saving writes the merge over exactly the
    /// version it was made from, and refuses if the disk moved on again.
    fn install_merge(&mut self, file: usize, merge: &Merge) {
        let title = file_title(&self.catalog.files[file]);
        let mut entry = TemplatesFile {
            templates: merge.merged(),
            dirty: true,
            on_disk: Some(Arc::new(merge.theirs.clone())),
        };
        entry.edited();
        let dirty = entry.dirty;
        self.install_file(file, entry);
        self.request_preview();
        let summary = merge.summary();
        let unsaved = if dirty { " (not saved yet)" } else { "" };
        if merge.nothing_from_theirs() {
            self.notify(format!(
                "{title} changed on disk; your edits are kept{unsaved}"
            ));
        } else {
            self.notify(format!(
                "Merged the change on disk into {title}: {summary}{unsaved}"
            ));
        }
    }

    /// A file open here is gone from the disk: ask whether to write it
    /// again or close it.
    pub(super) fn deleted_on_disk(&mut self, path: &Path) {
        let Some(file) = self
            .catalog
            .files
            .iter()
            .position(|f| f.templates.path == path)
        else {
            return;
        };
        if self.catalog.files[file].on_disk.is_none() {
            // Never written (a new dataset's first prompt): nothing was deleted.
            return;
        }
        self.overlay = Overlay::Confirm(Confirm::DeletedOutside { file });
    }

    pub(super) fn answer_deleted(&mut self, file: usize, choice: Choice) {
        match choice {
            Choice::CloseFile => self.close_file(file),
            Choice::SaveAgain | Choice::KeepOpen => {
                // Not on disk any more: the studio's copy is new work, and
                // saving creates the file (refusing if one appears meanwhile).
                let entry = &mut self.catalog.files[file];
                entry.on_disk = None;
                entry.templates.fingerprint = None;
                entry.edited();
                self.journal_due = true;
                if choice == Choice::SaveAgain {
                    self.save_file(file, false);
                } else {
                    self.notify(format!(
                        "{} is kept open, unsaved: saving writes it again",
                        file_title(&self.catalog.files[file])
                    ));
                }
            }
            _ => {}
        }
    }

    /// Drops a file from the catalog, keeping every index into the list right.
    fn close_file(&mut self, file: usize) {
        let removed = self.catalog.files.remove(file);
        let shift = |index: usize| if index > file { index - 1 } else { index };
        self.saving.retain(|&f| f != file);
        self.saving.iter_mut().for_each(|f| *f = shift(*f));
        self.save_queued.retain(|&(f, _)| f != file);
        self.save_queued
            .iter_mut()
            .for_each(|(f, _)| *f = shift(*f));
        self.journal_due = true;
        self.browsing = match self.browsing {
            Some(browsed) if browsed == file => None,
            other => other.map(shift),
        };
        match self.current {
            Some(current) if current.file == file => {
                self.current = None;
                self.editor = crate::app::editor::TextBuffer::default();
                self.preview.result = None;
                self.preview.splits.clear();
                self.catalog.selected = 0;
                let first = self
                    .catalog
                    .rows()
                    .iter()
                    .position(|row| matches!(row, CatalogRow::Template { .. }));
                if let Some(first) = first {
                    self.select_catalog_row(first);
                }
            }
            Some(current) => {
                let moved = Selection {
                    file: shift(current.file),
                    template: current.template,
                };
                self.current = Some(moved);
                let row = CatalogRow::Template {
                    file: moved.file,
                    template: moved.template,
                };
                self.catalog.selected = self
                    .catalog
                    .rows()
                    .iter()
                    .position(|r| *r == row)
                    .unwrap_or(0);
            }
            None => self.catalog.selected = 0,
        }
        self.notify(format!(
            "Closed {} (deleted on disk)",
            removed.templates.path.display()
        ));
    }
}
