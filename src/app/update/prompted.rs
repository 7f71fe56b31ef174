//! The prompted-dataset view: opening it, keeping it on the current row
//! and prompts, scrolling.

use crate::app::prompted::{PromptedRequest, PromptedResult};
use crate::app::state::*;
use crate::app::{Action, App};

impl App {
    pub(super) fn toggle_prompted(&mut self) {
        if self.view == View::Prompted {
            return self.close_view();
        }
        if self.current.is_none() || self.preview.current_split().is_none() {
            return self.notify_error("The prompted dataset needs a dataset with prompts and rows");
        }
        if self.view == View::Batch {
            self.close_view();
        }
        self.view = View::Prompted;
        self.prompted.scroll = 0;
        self.prompted.requested_for = None;
        self.refresh_prompted();
    }

    /// Asks again when the row, the split or the file's prompts changed
    /// since the last request (row keys and edits elsewhere keep it current).
    pub(super) fn refresh_prompted(&mut self) {
        if self.view != View::Prompted {
            return;
        }
        let (Some(file), Some(split)) = (self.current_file(), self.preview.current_split()) else {
            return;
        };
        let wanted = (
            self.preview.row,
            split.name.clone(),
            file.templates.templates.clone(),
        );
        if self.prompted.requested_for.as_ref() == Some(&wanted) {
            return;
        }
        self.prompted.generation += 1;
        self.effects.push(Effect::PromptedRow(PromptedRequest {
            generation: self.prompted.generation,
            templates: wanted.2.clone(),
            split: split.clone(),
            row: wanted.0,
            seed: self.preview.seed,
            data_epoch: self.data_epoch,
        }));
        self.prompted.requested_for = Some(wanted);
    }

    pub(super) fn prompted_answer(&mut self, result: PromptedResult) {
        if result.generation == self.prompted.generation {
            self.prompted.result = Some(result);
        }
    }

    pub(super) fn prompted_action(&mut self, action: Action) {
        let scroll = &mut self.prompted.scroll;
        match action {
            Action::Down => *scroll += 1,
            Action::Up => *scroll = scroll.saturating_sub(1),
            Action::PageDown => *scroll += 10,
            Action::PageUp => *scroll = scroll.saturating_sub(10),
            Action::Top => *scroll = 0,
            _ => {}
        }
    }
}
