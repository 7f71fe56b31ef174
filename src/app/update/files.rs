//! Saving, reloading after outside changes, and data changes.

use std::path::Path;

use crate::app::backend::{located_message, same_content, SaveError, TemplatesFile};
use crate::app::state::*;
use crate::app::App;

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

    pub(super) fn save_file(&mut self, file: usize, overwrite: bool) {
        let entry = &mut self.catalog.files[file];
        let title = file_title(entry);
        if !entry.dirty && !overwrite {
            return self.notify(format!("{title}: no changes to save"));
        }
        match self.workspace.save(&mut entry.templates, overwrite) {
            Ok(()) => {
                self.catalog.files[file].dirty = false;
                self.notify(format!(
                    "Saved {}",
                    self.catalog.files[file].templates.path.display()
                ));
            }
            Err(SaveError::ChangedOnDisk { .. }) => {
                self.overlay = Overlay::Confirm(Confirm::OverwriteChanged { file })
            }
            Err(error) => self.notify_error(format!("Not saved: {error}")),
        }
    }

    pub(super) fn file_changed(&mut self, path: &Path) {
        let known = self
            .catalog
            .files
            .iter()
            .position(|f| f.templates.path == path);
        let is_templates = path.file_name().is_some_and(|n| n == "templates.yaml");
        if known.is_none() && !is_templates {
            return self.data_changed(path);
        }
        let templates = match self.workspace.reload(path) {
            Ok(templates) => templates,
            Err(problem) => {
                return self.notify_error(format!(
                    "{}: {}",
                    problem.path.display(),
                    located_message(&problem)
                ));
            }
        };
        let Some(file) = known else {
            self.catalog.files.push(TemplatesFile {
                templates,
                dirty: false,
            });
            return self.notify(format!("New templates file {}", path.display()));
        };
        if same_content(&self.catalog.files[file].templates, &templates) {
            // Our own save echoing back, or a touch: keep what the file now
            // says about itself (its fingerprint, its anchors).
            let entry = &mut self.catalog.files[file].templates;
            entry.fingerprint = templates.fingerprint;
            entry.shared_metadata = templates.shared_metadata;
            return;
        }
        if self.catalog.files[file].dirty {
            self.overlay = Overlay::Confirm(Confirm::OutsideChange {
                file,
                theirs: Box::new(templates),
            });
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
        let current = self.current.filter(|s| s.file == file).map(|s| {
            let old = &self.catalog.files[file].templates.templates[s.template];
            (old.id.clone(), old.name.clone())
        });
        self.catalog.files[file] = TemplatesFile {
            templates,
            dirty: false,
        };
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
