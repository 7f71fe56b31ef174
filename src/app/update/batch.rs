//! The batch view and the catalog statistics.

use crate::app::state::*;
use crate::app::{Action, App, BATCH_PAGE};

impl App {
    pub(super) fn toggle_batch(&mut self) {
        if self.view == View::Batch {
            return self.close_view();
        }
        if self.current.is_none() || self.preview.current_split().is_none() {
            return self.notify_error("The batch view needs a prompt and rows");
        }
        self.view = View::Batch;
        self.batch.focused = true;
        self.batch.offset = self.preview.row / BATCH_PAGE * BATCH_PAGE;
        self.batch.selected = self.preview.row % BATCH_PAGE;
        self.request_batch(true);
    }

    pub(super) fn toggle_stats(&mut self) {
        if self.view == View::Stats {
            return self.close_view();
        }
        if self.view == View::Batch {
            self.effects.push(Effect::CancelBatch);
        }
        self.view = View::Stats;
        if !self.split_sizes.requested {
            self.split_sizes.requested = true;
            let datasets = self
                .catalog
                .files
                .iter()
                .map(|file| {
                    (
                        file_title(file),
                        file.templates.dataset.clone(),
                        file.templates.subset.clone(),
                    )
                })
                .collect();
            self.effects.push(Effect::SplitSizes(datasets));
        }
    }

    pub(super) fn close_view(&mut self) {
        if self.view == View::Batch {
            self.effects.push(Effect::CancelBatch);
            // Beside the editor, rows moved in the preview since win over
            // the batch pane's, unless the batch pane has the keys.
            if self.batch.focused {
                self.preview.row = self.batch.offset + self.batch.selected;
                self.request_preview();
            }
            self.batch.template = None;
        }
        self.view = View::Main;
    }

    pub(super) fn request_batch(&mut self, with_stats: bool) {
        let (Some(template), Some(split)) = (
            self.current_template().cloned(),
            self.preview.current_split().cloned(),
        ) else {
            return;
        };
        self.batch.generation += 1;
        self.batch.rows = None;
        self.batch.template = Some(template.clone());
        if with_stats {
            self.batch.stats = None;
            self.batch.stats_generation = self.batch.generation;
        }
        self.effects.push(Effect::Batch(BatchRequest {
            generation: self.batch.generation,
            template,
            split,
            offset: self.batch.offset,
            count: BATCH_PAGE,
            seed: self.preview.seed,
            with_stats,
            data_epoch: self.data_epoch,
            chat: self.chat.counting_model(),
        }));
    }

    /// True when the batch view shares the screen with the main panes
    /// (the last drawing put it beside them) and they have the keys.
    pub fn batch_beside_unfocused(&self) -> bool {
        self.batch_beside() && !self.batch.focused
    }

    /// The main panes take keys: the main view, or beside the batch pane
    /// while it does not have focus.
    pub fn main_has_keys(&self) -> bool {
        self.view == View::Main || self.batch_beside_unfocused()
    }

    pub fn batch_beside(&self) -> bool {
        self.view == View::Batch && self.areas.get().batch.is_some()
    }

    /// Edits made beside the batch pane re-render its page and restart its
    /// statistics.
    pub(super) fn refresh_batch(&mut self) {
        if self.view == View::Batch && self.current_template() != self.batch.template.as_ref() {
            self.request_batch(true);
        }
    }

    pub(super) fn batch_action(&mut self, action: Action) {
        let page_len = match &self.batch.rows {
            Some(Ok(rows)) => rows.len(),
            _ => 0,
        };
        let count = self.batch.row_count.unwrap_or(0);
        let old_offset = self.batch.offset;
        match action {
            Action::Down | Action::NextRow => {
                if self.batch.selected + 1 < page_len {
                    self.batch.selected += 1;
                } else if self.batch.offset + BATCH_PAGE < count {
                    self.batch.offset += BATCH_PAGE;
                    self.batch.selected = 0;
                }
            }
            Action::Up | Action::PrevRow => {
                if self.batch.selected > 0 {
                    self.batch.selected -= 1;
                } else if self.batch.offset > 0 {
                    self.batch.offset -= BATCH_PAGE;
                    self.batch.selected = BATCH_PAGE - 1;
                }
            }
            Action::PageDown if self.batch.offset + BATCH_PAGE < count => {
                self.batch.offset += BATCH_PAGE;
            }
            Action::PageUp => self.batch.offset = self.batch.offset.saturating_sub(BATCH_PAGE),
            Action::Top | Action::FirstRow => {
                self.batch.offset = 0;
                self.batch.selected = 0;
            }
            // Back to the main view on the chosen row.
            Action::Select => return self.close_view(),
            Action::Bottom | Action::LastRow => {
                self.batch.offset = count.saturating_sub(1) / BATCH_PAGE * BATCH_PAGE;
                self.batch.selected = count.saturating_sub(1) % BATCH_PAGE;
            }
            _ => {}
        }
        if self.batch.offset != old_offset {
            self.request_batch(false);
        }
    }

    pub(super) fn batch_update(&mut self, update: BatchUpdate) {
        match update {
            BatchUpdate::Page {
                generation,
                rows,
                row_count,
                features,
            } if generation == self.batch.generation => {
                self.batch.features = features;
                if let Ok(page) = &rows {
                    self.batch.selected = self.batch.selected.min(page.len().saturating_sub(1));
                }
                self.batch.rows = Some(rows);
                self.batch.row_count = Some(row_count);
            }
            // Statistics belong to the prompt and split, not to the page, so
            // paging (which bumps the generation) keeps receiving them.
            BatchUpdate::Stats { generation, stats }
                if generation == self.batch.stats_generation =>
            {
                self.batch.stats = Some(stats)
            }
            _ => {}
        }
    }
}
