//! Saving, reloading after outside changes, and data changes.

use std::path::Path;

use crate::app::backend::{located_message, same_content, SaveError, TemplatesFile};
use crate::app::disk::{DiskAnswer, DiskRequest, ReloadReason};
use crate::app::state::*;
use crate::app::App;
use crate::core::template::DatasetTemplates;

impl App {
    pub(super) fn save(&mut self, overwrite: bool) {
        let file = match self.view {
            View::Main if self.focus == Focus::Catalog => self.target_file(),
            _ => self.current.map(|s| s.file),
        };
        match file {
            Some(file) => self.save_file(file, overwrite),
            None => self.notify_error("Nothing to save"),
        }
    }

    /// Sends a file to the disk; the answer arrives as [`DiskAnswer::Saved`].
    pub(super) fn save_file(&mut self, file: usize, overwrite: bool) {
        let entry = &self.catalog.files[file];
        if !entry.dirty && !overwrite {
            let title = file_title(entry);
            return self.notify(format!("{title}: no changes to save"));
        }
        if self.saving.contains(&file) {
            // Its fingerprint changes when the save on its way lands: this
            // one goes after it, or it would refuse our own write.
            if !self.save_queued.iter().any(|(queued, _)| *queued == file) {
                self.save_queued.push((file, overwrite));
            }
            return;
        }
        self.saving.push(file);
        self.effects.push(Effect::Disk(DiskRequest::Save {
            file,
            templates: entry.templates.clone(),
            overwrite,
        }));
    }

    pub(super) fn disk_answer(&mut self, answer: DiskAnswer) {
        match answer {
            DiskAnswer::Splits { generation, splits } => self.splits_found(generation, splits),
            DiskAnswer::Card(text) => self.card.text = Some(text),
            DiskAnswer::Saved {
                file,
                templates,
                result,
            } => self.saved(file, templates, result),
            DiskAnswer::Reloaded {
                path,
                reason,
                result,
                deleted,
            } => match result {
                Err(_) if deleted => self.deleted_on_disk(&path),
                Err(problem) => self.notify_error(format!(
                    "{}: {}",
                    problem.path.display(),
                    located_message(&problem)
                )),
                Ok(templates) => match reason {
                    ReloadReason::ChangedOnDisk => self.reloaded(&path, *templates),
                    ReloadReason::DropMine { file } => {
                        self.replace_file(file, *templates);
                        self.notify("Reloaded the version on disk; your edits were dropped");
                    }
                },
            },
        }
    }

    fn saved(&mut self, file: usize, written: DatasetTemplates, result: Result<(), SaveError>) {
        self.saving.retain(|&f| f != file);
        match result {
            Ok(()) => {
                let entry = &mut self.catalog.files[file];
                entry.templates.fingerprint = written.fingerprint.clone();
                // Edits made while the save was on its way stay unsaved.
                entry.on_disk = Some(std::sync::Arc::new(written.clone()));
                if same_content(&entry.templates, &written) {
                    entry.dirty = false;
                    self.journal_due = true;
                }
                self.notify(format!("Saved {}", written.path.display()));
            }
            Err(SaveError::ChangedOnDisk { .. }) => {
                self.quit_after_save = false;
                self.overlay = Overlay::Confirm(Confirm::OverwriteChanged { file })
            }
            Err(error) => {
                self.quit_after_save = false;
                self.notify_error(format!("Not saved: {error}"))
            }
        }
        if let Some(index) = self.save_queued.iter().position(|(f, _)| *f == file) {
            let (file, overwrite) = self.save_queued.remove(index);
            self.save_file(file, overwrite);
        }
        if self.quit_after_save && self.saving.is_empty() {
            self.quit_after_save = false;
            if !self.any_dirty() {
                self.effects.push(Effect::Quit);
            }
        }
    }

    pub(super) fn file_changed(&mut self, path: &Path) {
        let known = self.catalog.files.iter().any(|f| f.templates.path == path);
        let is_templates = path.file_name().is_some_and(|n| n == "templates.yaml");
        if !known && !is_templates {
            return self.data_changed(path);
        }
        self.effects.push(Effect::Disk(DiskRequest::Reload {
            path: path.to_path_buf(),
            reason: ReloadReason::ChangedOnDisk,
        }));
    }

    /// A templates file read again after the watcher saw it change.
    fn reloaded(&mut self, path: &Path, templates: DatasetTemplates) {
        let known = self
            .catalog
            .files
            .iter()
            .position(|f| f.templates.path == path);
        let Some(file) = known else {
            self.catalog.files.push(TemplatesFile::loaded(templates));
            return self.notify(format!("New templates file {}", path.display()));
        };
        let entry = &self.catalog.files[file].templates;
        // Our own save echoing back (the bytes are the ones we wrote, even
        // if the editor has moved on since), or a touch: keep what the file
        // now says about itself (its fingerprint, its anchors).
        let unchanged_on_disk = matches!(
            (&entry.fingerprint, &templates.fingerprint),
            (Some(known), Some(now)) if (known.len, known.hash) == (now.len, now.hash)
        );
        if unchanged_on_disk || same_content(entry, &templates) {
            let entry = &mut self.catalog.files[file].templates;
            entry.fingerprint = templates.fingerprint;
            entry.shared_metadata = templates.shared_metadata;
            return;
        }
        if self.catalog.files[file].dirty {
            self.merge_outside_change(file, templates);
        } else {
            self.replace_file(file, templates);
            self.notify(format!("Reloaded {} (changed on disk)", path.display()));
        }
    }

    pub(super) fn data_changed(&mut self, path: &Path) {
        let shown = self.preview.splits.iter().any(|s| s.contains(path));
        self.data_epoch += 1;
        if shown {
            self.preview.row_count = None;
            self.preview.counting = false;
            self.notify(format!("Reloaded {} (changed on disk)", path.display()));
            self.request_preview();
            if self.view == View::Batch {
                self.request_batch(true);
            }
        }
    }

    /// Swaps in a file's new contents, keeping the selected prompt (by id,
    /// then by name) and the editor cursor.
    pub(super) fn replace_file(
        &mut self,
        file: usize,
        templates: crate::core::template::DatasetTemplates,
    ) {
        self.install_file(file, TemplatesFile::loaded(templates));
    }

    /// [`App::replace_file`] with any new state of the file (a merge's, say).
    pub(super) fn install_file(&mut self, file: usize, entry: TemplatesFile) {
        let current = self.current.filter(|s| s.file == file).map(|s| {
            let old = &self.catalog.files[file].templates.templates[s.template];
            (old.id.clone(), old.name.clone())
        });
        self.catalog.files[file] = entry;
        self.journal_due = true;
        if let Some((id, name)) = current {
            let templates = &self.catalog.files[file].templates.templates;
            let index = templates
                .iter()
                .position(|t| t.id == id)
                .or_else(|| templates.iter().position(|t| *t.name == *name));
            match index {
                Some(template) => {
                    let jinja = templates[template].jinja.clone();
                    let cursor = self.editor.cursor();
                    self.editor.set_text(&jinja);
                    self.editor.set_cursor(cursor);
                    self.current = Some(Selection { file, template });
                    self.reveal(Selection { file, template });
                }
                None => {
                    self.current = None;
                    self.select_catalog_row(self.catalog.selected);
                }
            }
        }
        let rows = self.catalog.rows().len();
        self.catalog.selected = self.catalog.selected.min(rows.saturating_sub(1));
    }
}
