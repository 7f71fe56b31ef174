//! Browsing a dataset before it has prompts: its rows in the preview and
//! the row pane, with the row keys, until its first prompt is created.

use crate::app::disk::DiskRequest;
use crate::app::editor::TextBuffer;
use crate::app::state::*;
use crate::app::App;
use crate::core::template::Template;

impl App {
    /// The file whose splits the preview holds: the open prompt's, or the
    /// browsed dataset's.
    pub(super) fn shown_file(&self) -> Option<usize> {
        self.current.map(|c| c.file).or(self.browsing)
    }

    pub(super) fn browse(&mut self, file: usize) {
        let changed = self.shown_file() != Some(file);
        self.current = None;
        self.editor = TextBuffer::default();
        self.browsing = Some(file);
        if changed {
            self.find_splits_of(file);
        }
        self.request_preview();
    }

    /// What the preview renders while browsing: nothing, so only the row
    /// shows.
    pub(super) fn browsed_rows(&self) -> Option<Template> {
        self.browsing?;
        let mut template = Template::new("");
        template.id = "".into();
        Some(template)
    }

    /// Asks for the splits of file `file`'s dataset, keeping the split
    /// shown now when the dataset has one of that name.
    pub(super) fn find_splits_of(&mut self, file: usize) {
        let Some(entry) = self.catalog.files.get(file) else {
            return;
        };
        let dataset = entry.templates.dataset.clone();
        let subset = entry.templates.subset.clone();
        if let Some(shown) = self.preview.current_split() {
            self.preview.wanted_split = Some(shown.name.clone());
        }
        self.preview.splits = Vec::new();
        self.preview.split = 0;
        self.preview.row = 0;
        self.preview.row_count = None;
        self.preview.counting = false;
        self.preview.splits_generation += 1;
        self.preview.resolving = true;
        self.effects.push(Effect::Disk(DiskRequest::Splits {
            generation: self.preview.splits_generation,
            dataset,
            subset,
        }));
    }
}
