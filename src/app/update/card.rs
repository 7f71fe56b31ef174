//! The dataset card view: opening it (the card is read by the disk
//! worker) and scrolling.

use crate::app::disk::DiskRequest;
use crate::app::state::*;
use crate::app::{Action, App};

impl App {
    pub(super) fn toggle_card(&mut self) {
        if self.view == View::Card {
            return self.close_view();
        }
        let Some(split) = self.preview.current_split().cloned() else {
            return self.notify_error("The dataset card needs a dataset with rows");
        };
        if self.view == View::Batch {
            self.close_view();
        }
        self.view = View::Card;
        self.card.scroll = 0;
        self.card.text = None;
        self.effects.push(Effect::Disk(DiskRequest::Card { split }));
    }

    pub(super) fn card_action(&mut self, action: Action) {
        let scroll = &mut self.card.scroll;
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
