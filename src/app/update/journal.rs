//! The crash journal: asking for it after edits, and offering an earlier
//! session's unsaved edits back at start.

use crate::app::backend::TemplatesFile;
use crate::app::journal::changed_prompts;
use crate::app::state::*;
use crate::app::App;
use crate::core::template::DatasetTemplates;

impl App {
    /// Asks for the journal to be rewritten when the unsaved files changed,
    /// except while an earlier session's journal waits for the user's choice.
    pub(super) fn journal_if_due(&mut self) {
        if !self.journal_due
            || matches!(
                self.overlay,
                Overlay::Confirm(Confirm::RestoreJournal { .. })
            )
        {
            return;
        }
        self.journal_due = false;
        let unsaved = self
            .catalog
            .files
            .iter()
            .filter(|file| file.dirty)
            .map(|file| file.templates.clone())
            .collect();
        self.effects.push(Effect::Journal(unsaved));
    }

    /// An earlier session's journal, read at start: offered back when it
    /// holds something the files on disk do not.
    pub(super) fn journal_found(&mut self, found: Result<Vec<DatasetTemplates>, String>) {
        let files = match found {
            Ok(files) => files,
            Err(message) => {
                return self.notify_error(format!(
                    "The unsaved edits of the last session could not be read: {message}"
                ))
            }
        };
        if files.is_empty() {
            return;
        }
        let prompts: Vec<String> = files
            .iter()
            .flat_map(|journaled| {
                let loaded = self
                    .catalog
                    .files
                    .iter()
                    .find(|file| file.templates.path == journaled.path);
                changed_prompts(loaded.map(|file| &file.templates), journaled)
            })
            .collect();
        if prompts.is_empty() {
            // Saved after all (the session ended before the journal went):
            // nothing to offer; the journal becomes this session's.
            self.journal_due = true;
            return;
        }
        self.overlay = Overlay::Confirm(Confirm::RestoreJournal { files, prompts });
    }

    /// Puts journaled files back as unsaved edits over what was loaded.
    pub(super) fn restore(&mut self, files: Vec<DatasetTemplates>) {
        let count = files.len();
        for mut journaled in files {
            let known = self
                .catalog
                .files
                .iter()
                .position(|file| file.templates.path == journaled.path);
            match known {
                Some(file) => {
                    // Saving still checks against the file as loaded now.
                    let loaded = &self.catalog.files[file].templates;
                    journaled.fingerprint = loaded.fingerprint.clone();
                    journaled.shared_metadata = loaded.shared_metadata.clone();
                    let on_disk = self.catalog.files[file].on_disk.clone();
                    self.replace_file(file, journaled);
                    self.catalog.files[file].on_disk = on_disk;
                    self.catalog.files[file].dirty = true;
                }
                None => self.catalog.files.push(TemplatesFile {
                    templates: journaled,
                    dirty: true,
                    on_disk: None,
                }),
            }
        }
        self.journal_due = true;
        if let Some(current) = self.current {
            let jinja = self.catalog.files[current.file].templates.templates[current.template]
                .jinja
                .clone();
            if self.editor.text() != *jinja {
                self.editor.set_text(&jinja);
            }
            self.request_preview();
        }
        self.notify(format!(
            "Restored the unsaved edits of {count} file(s); save to keep them"
        ));
    }
}
