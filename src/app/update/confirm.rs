//! Confirm dialogs: answering them, and what they confirm.

use crate::app::disk::{DiskRequest, ReloadReason};
use crate::app::editor::TextBuffer;
use crate::app::state::*;
use crate::app::App;

impl App {
    /// Acts on a dialog's answer; the dialog closes unless the answer
    /// opens another.
    pub(super) fn answer_confirm(&mut self, choice: Choice) {
        let Overlay::Confirm(confirm) = std::mem::replace(&mut self.overlay, Overlay::None) else {
            return;
        };
        match (confirm, choice) {
            (Confirm::DeletePrompt { file, template }, Choice::Delete) => {
                self.delete_prompt(file, template)
            }
            (Confirm::QuitUnsaved, Choice::SaveAllAndQuit) => {
                let dirty: Vec<usize> = (0..self.catalog.files.len())
                    .filter(|&i| self.catalog.files[i].dirty)
                    .collect();
                // Quits when the last save lands, unless one fails.
                self.quit_after_save = true;
                for file in dirty {
                    self.save_file(file, false);
                }
            }
            (Confirm::QuitUnsaved, Choice::QuitWithoutSaving) => {
                // The dialog stays on screen until the process ends. The
                // edits are dropped by choice: so is their journal.
                self.overlay = Overlay::Confirm(Confirm::QuitUnsaved);
                self.journal_due = false;
                self.effects.push(Effect::Journal(Vec::new()));
                self.effects.push(Effect::Quit)
            }
            (Confirm::RestoreJournal { files, .. }, Choice::Restore) => self.restore(files),
            (Confirm::RestoreJournal { .. }, Choice::Discard) => {
                // The journal becomes this session's: nothing unsaved yet
                // (it arrives at start), so it is removed.
                self.journal_due = true;
                self.notify("Discarded the unsaved edits of the last session");
            }
            (Confirm::OutsideChange { file, merge }, choice) => {
                self.answer_merge(file, merge, choice)
            }
            (Confirm::DeletedOutside { file }, choice) => self.answer_deleted(file, choice),
            (Confirm::OverwriteChanged { file }, Choice::Merge) => {
                let path = self.catalog.files[file].templates.path.clone();
                self.effects.push(Effect::Disk(DiskRequest::Reload {
                    path,
                    reason: ReloadReason::ChangedOnDisk,
                }));
            }
            (Confirm::OverwriteChanged { file }, Choice::Overwrite) => self.save_file(file, true),
            (Confirm::OverwriteChanged { file }, Choice::ReloadTheirs) => {
                let path = self.catalog.files[file].templates.path.clone();
                self.effects.push(Effect::Disk(DiskRequest::Reload {
                    path,
                    reason: ReloadReason::DropMine { file },
                }));
            }
            _ => {}
        }
    }

    pub(super) fn delete_prompt(&mut self, file: usize, template: usize) {
        let entry = &mut self.catalog.files[file];
        if template >= entry.templates.templates.len() {
            return;
        }
        let removed = entry.templates.templates.remove(template);
        entry.dirty = true;
        self.journal_due = true;
        self.notify(format!("Deleted `{}` (not saved yet)", removed.name));
        if let Some(current) = self.current {
            if current.file == file && current.template >= template {
                self.current = None;
                let remaining = self.catalog.files[file].templates.templates.len();
                let next = if current.template == template {
                    template.min(remaining.saturating_sub(1))
                } else {
                    current.template - 1
                };
                if remaining > 0 {
                    self.reveal(Selection {
                        file,
                        template: next,
                    });
                } else {
                    self.editor = TextBuffer::default();
                    self.preview.result = None;
                }
            }
        }
        let rows = self.catalog.rows().len();
        self.catalog.selected = self.catalog.selected.min(rows.saturating_sub(1));
    }
}
