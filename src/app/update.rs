//! [`App::update`]: every change to the state goes through here. This file
//! routes events and actions; each area's handling lives in its own file.

mod batch;
mod browse;
mod card;
mod catalog;
mod chat;
mod checks;
mod confirm;
mod editor;
mod files;
mod journal;
mod merge;
mod metadata;
mod model;
mod mouse;
mod preview;
mod prompted;
mod prompts;

use super::state::*;
use super::{Action, App, Event};

impl App {
    /// Applies one event and returns the work to start.
    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Key(chord) => {
                self.notice = None;
                let context = self.context();
                if let Overlay::Confirm(confirm) = &self.overlay {
                    if let Some(choice) = confirm.choice_for(chord.key) {
                        self.answer_confirm(choice);
                    }
                } else if let Some(action) = self.keymap.lookup(context, chord) {
                    self.act(action);
                } else if let Some(c) = chord.text() {
                    self.type_char(c);
                }
            }
            Event::Action(action) => {
                if let Overlay::Confirm(confirm) = &self.overlay {
                    if let Some(choice) = confirm.choice_for_action(action) {
                        self.answer_confirm(choice);
                    }
                } else {
                    self.act(action);
                }
            }
            Event::Paste(text) => self.paste(&text),
            Event::Click { column, row } => {
                self.click(column, row);
                self.select_clicked(column, row);
            }
            Event::Scroll { column, row, down } if self.over_row_pane(column, row) => {
                self.scroll_row_pane(if down { Action::Down } else { Action::Up });
            }
            Event::Scroll { column, row, down } => {
                self.click(column, row);
                self.act(if down { Action::Down } else { Action::Up });
            }
            Event::Preview(result) => {
                if result.generation == self.preview.generation {
                    if let Some(count) = result.row_count {
                        self.preview.row_count = Some(count);
                        self.preview.counting = result.counting;
                    }
                    self.preview.result = Some(result);
                    self.model_preview_arrived();
                    self.chat_after_preview();
                }
            }
            Event::Batch(update) => self.batch_update(update),
            Event::SplitSize { title, split, rows } => {
                self.split_sizes.sizes.push((title, split, rows))
            }
            Event::RowsCounted {
                split,
                data_epoch,
                rows,
            } => self.rows_counted(&split, data_epoch, rows),
            Event::FileChanged(path) => {
                if !self.chat_settings_changed(&path) {
                    self.file_changed(&path)
                }
            }
            Event::Disk(answer) => self.disk_answer(answer),
            Event::Journal(found) => self.journal_found(found),
            Event::Notice(notice) => self.notice = Some(notice),
            Event::Model(event) => self.model_event(event),
            Event::Chat(answer) => self.chat_answer(answer),
            Event::Prompted(result) => self.prompted_answer(result),
        }
        self.refresh_checks();
        self.refresh_prompted();
        self.refresh_batch();
        self.journal_if_due();
        // Quit comes last, so the work before it (the journal's last
        // state above all) is handed over before the loop ends.
        if let Some(quit) = self.effects.iter().position(|e| matches!(e, Effect::Quit)) {
            let quit = self.effects.remove(quit);
            self.effects.push(quit);
        }
        std::mem::take(&mut self.effects)
    }

    fn act(&mut self, action: Action) {
        if action == Action::Quit && !matches!(self.overlay, Overlay::None) {
            // Quitting from an overlay leaves it; unsaved work still asks.
            self.overlay = Overlay::None;
        }
        match self.context() {
            super::Context::Help => return self.help_action(action),
            super::Context::Prompt => return self.prompt_action(action),
            super::Context::Picker if matches!(self.overlay, Overlay::ModelPicker(_)) => {
                return self.model_picker_action(action)
            }
            super::Context::Picker => return self.picker_action(action),
            _ => {}
        }
        match action {
            Action::Quit => {
                if self.any_dirty() {
                    self.overlay = Overlay::Confirm(Confirm::QuitUnsaved);
                } else {
                    self.effects.push(Effect::Quit);
                }
            }
            Action::Help => self.overlay = Overlay::Help { scroll: 0 },
            Action::FocusNext | Action::FocusPrev if self.batch_beside() => {
                // The batch pane comes after the main panes in the cycle.
                let panes = Focus::CYCLE.len() + 1;
                let position = if self.batch.focused {
                    Focus::CYCLE.len()
                } else {
                    Focus::CYCLE
                        .iter()
                        .position(|&f| f == self.focus)
                        .unwrap_or(0)
                };
                let step = if action == Action::FocusNext {
                    1
                } else {
                    panes - 1
                };
                match Focus::CYCLE.get((position + step) % panes) {
                    Some(&focus) => self.set_focus(focus),
                    None => self.batch.focused = true,
                }
            }
            Action::FocusNext | Action::FocusPrev => {
                let position = Focus::CYCLE
                    .iter()
                    .position(|&f| f == self.focus)
                    .unwrap_or(0);
                let step = if action == Action::FocusNext {
                    1
                } else {
                    Focus::CYCLE.len() - 1
                };
                self.set_focus(Focus::CYCLE[(position + step) % Focus::CYCLE.len()]);
            }
            Action::FocusCatalog => self.set_focus(Focus::Catalog),
            Action::FocusEditor => self.set_focus(Focus::Editor),
            Action::FocusMetadata => self.set_focus(Focus::Metadata),
            Action::FocusPreview => self.set_focus(Focus::Preview),
            // Zoom is a main-view layout: in the batch or statistics view it
            // would only show up, unasked, after the view closes.
            Action::ToggleZoom if self.view == View::Main => self.zoomed = !self.zoomed,
            Action::ToggleZoom => self.notify("Zoom works in the main view (esc closes this one)"),
            Action::Save => self.save(false),
            Action::BatchView => self.toggle_batch(),
            Action::CatalogStats => self.toggle_stats(),
            Action::PromptedView => self.toggle_prompted(),
            Action::DatasetCard => self.toggle_card(),
            Action::ToggleMouse => {
                self.mouse = !self.mouse;
                self.effects.push(Effect::SetMouse(self.mouse));
                self.notify(if self.mouse {
                    "Mouse capture on"
                } else {
                    "Mouse capture off"
                });
            }
            Action::CopyPrompt => self.copy_prompt(),
            Action::ModelRun => self.model_run(),
            Action::ModelAuto => self.model_toggle_auto(),
            Action::ModelBatch => self.model_batch(),
            Action::NextWrongRow => self.next_wrong_row(),
            Action::ChatView => self.toggle_chat_view(),
            Action::PickModel => self.open_model_picker(),
            Action::NextRow => self.move_row(|row, _| row.saturating_add(1)),
            Action::PrevRow => self.move_row(|row, _| row.saturating_sub(1)),
            Action::FirstRow => self.move_row(|_, _| 0),
            Action::LastRow => self.move_row(|_, count| count.unwrap_or(1).saturating_sub(1)),
            Action::GotoRow => self.open_prompt(PromptKind::GotoRow, ""),
            Action::RandomRow => match self.preview.row_count {
                Some(count) if count > 0 => {
                    let row = (self.next_random() % count as u64) as usize;
                    self.move_row(|_, _| row);
                }
                _ => self.notify_error("The number of rows is not known yet"),
            },
            Action::NextSplit => self.next_split(),
            Action::CycleFewshot => self.cycle_fewshot(),
            Action::Reroll => {
                self.preview.seed = self.next_random() % 1_000_000;
                self.notify(format!("Seed {}", self.preview.seed));
                self.request_preview();
            }
            Action::SetSeed => {
                let seed = self.preview.seed.to_string();
                self.open_prompt(PromptKind::Seed, &seed);
            }
            Action::NewPrompt => {
                if self.target_file().is_some() {
                    self.open_prompt(PromptKind::NewPrompt, "");
                } else {
                    self.notify_error("No templates file to add a prompt to");
                }
            }
            Action::DuplicatePrompt => {
                if let Some(name) = self.target_template().map(|t| format!("{} (copy)", t.name)) {
                    self.open_prompt(PromptKind::DuplicatePrompt, &name);
                }
            }
            Action::RenamePrompt => {
                if let Some(name) = self.target_template().map(|t| t.name.clone()) {
                    self.open_prompt(PromptKind::RenamePrompt, &name);
                }
            }
            Action::DeletePrompt => {
                if let Some(selection) = self.target_selection() {
                    self.overlay = Overlay::Confirm(Confirm::DeletePrompt {
                        file: selection.file,
                        template: selection.template,
                    });
                }
            }
            Action::Cancel => {
                if self.view != View::Main && !self.batch_beside_unfocused() {
                    self.close_view();
                } else if self.zoomed {
                    self.zoomed = false;
                } else if self.focus == Focus::Catalog && !self.catalog.filter.is_empty() {
                    self.set_filter(String::new());
                } else if self.focus == Focus::Editor {
                    self.search.clear();
                }
            }
            _ => self.pane_action(action),
        }
    }

    /// Actions whose meaning depends on the focused pane or view.
    fn pane_action(&mut self, action: Action) {
        match self.view {
            View::Batch if !self.batch_beside_unfocused() => return self.batch_action(action),
            View::Batch => {}
            View::Prompted => return self.prompted_action(action),
            View::Card => return self.card_action(action),
            View::Stats => {
                match action {
                    Action::Down => self.split_sizes.scroll += 1,
                    Action::Up => {
                        self.split_sizes.scroll = self.split_sizes.scroll.saturating_sub(1)
                    }
                    _ => {}
                }
                return;
            }
            View::Main => {}
        }
        match self.focus {
            Focus::Catalog => self.catalog_action(action),
            Focus::Editor => self.editor_action(action),
            Focus::Metadata => self.metadata_action(action),
            // With the row pane beside the preview, page keys scroll the row.
            Focus::Preview
                if self.areas.get().row.is_some()
                    && matches!(action, Action::PageDown | Action::PageUp) =>
            {
                self.scroll_row_pane(action);
            }
            Focus::Preview => match action {
                Action::PageDown | Action::Down => {
                    self.preview.scroll.set(self.preview.scroll.get() + 5)
                }
                Action::PageUp | Action::Up => self
                    .preview
                    .scroll
                    .set(self.preview.scroll.get().saturating_sub(5)),
                // Space and `e`, as the row pane's hint says (zoomed or not).
                Action::Toggle => self.preview.expanded = !self.preview.expanded,
                _ => {}
            },
        }
    }

    fn set_focus(&mut self, focus: Focus) {
        if self.view == View::Main || self.batch_beside() {
            self.focus = focus;
            self.batch.focused = false;
        }
    }

    fn click(&mut self, column: u16, row: u16) {
        if self.overlay != Overlay::None || (self.view != View::Main && !self.batch_beside()) {
            return;
        }
        let areas = self.areas.get();
        if areas.batch.is_some_and(|a| a.contains(column, row)) {
            self.batch.focused = true;
            return;
        }
        let panes = [
            (areas.catalog, Focus::Catalog),
            (areas.editor, Focus::Editor),
            (areas.metadata, Focus::Metadata),
            (areas.preview, Focus::Preview),
        ];
        if let Some((_, focus)) = panes
            .iter()
            .find(|(area, _)| area.is_some_and(|a| a.contains(column, row)))
        {
            self.focus = *focus;
            self.batch.focused = false;
        }
    }
}
