//! The template editor: motions, edits, selection, search.

use super::prompts::byte_index;
use crate::app::editor::{Cursor, TextBuffer};
use crate::app::state::*;
use crate::app::{Action, App};

impl App {
    pub(super) fn editor_action(&mut self, action: Action) {
        if self.current.is_none() {
            return;
        }
        let before = self.editor.text();
        let page = 10;
        // A plain motion ends the selection; edits replace it.
        if action.is_motion() {
            self.editor.clear_selection();
        }
        match action {
            Action::SelectLeft => self.editor.select(TextBuffer::left),
            Action::SelectRight => self.editor.select(TextBuffer::right),
            Action::SelectUp => self.editor.select(|editor| editor.vertical(-1)),
            Action::SelectDown => self.editor.select(|editor| editor.vertical(1)),
            Action::SelectLineStart => self.editor.select(TextBuffer::line_start),
            Action::SelectLineEnd => self.editor.select(TextBuffer::line_end),
            Action::SelectAll => self.editor.select_all(),
            Action::CopySelection | Action::CutSelection => match self.editor.selected_text() {
                Some(text) => {
                    let lines = text.lines().count().max(1);
                    self.register = Some(text.clone());
                    self.effects.push(Effect::Copy(text));
                    if action == Action::CutSelection {
                        self.editor.delete_selection();
                        self.notify(format!("Cut {lines} line(s) to the clipboard"));
                    } else {
                        self.notify(format!("Copied {lines} line(s) to the clipboard"));
                    }
                }
                None => self.notify("Nothing selected"),
            },
            Action::PasteRegister => match self.register.clone() {
                Some(text) => self.editor.insert_str(&text),
                None => self.notify("Nothing copied or cut yet"),
            },
            Action::Up => self.editor.vertical(-1),
            Action::Down => self.editor.vertical(1),
            Action::Left => self.editor.left(),
            Action::Right => self.editor.right(),
            Action::WordLeft => self.editor.word_left(),
            Action::WordRight => self.editor.word_right(),
            Action::LineStart => self.editor.line_start(),
            Action::LineEnd => self.editor.line_end(),
            Action::PageUp => self.editor.vertical(-page),
            Action::PageDown => self.editor.vertical(page),
            Action::Top => self.editor.top(),
            Action::Bottom => self.editor.bottom(),
            Action::Newline => self.editor.newline(),
            Action::Backspace => self.editor.backspace(),
            Action::Delete => self.editor.delete(),
            Action::Indent => {
                self.editor.insert_char(' ');
                self.editor.insert_char(' ');
            }
            Action::Undo => {
                let undone = self.editor.undo();
                if !undone {
                    self.notify("Nothing to undo");
                }
            }
            Action::Redo => {
                let redone = self.editor.redo();
                if !redone {
                    self.notify("Nothing to redo");
                }
            }
            Action::Search => {
                let search = self.search.clone();
                self.open_prompt(PromptKind::Search, &search);
            }
            Action::SearchNext => self.search_next(),
            Action::GotoError => match self.template_error().cloned() {
                Some(error) => self.editor.set_cursor(Cursor {
                    line: error.line.unwrap_or(1).saturating_sub(1),
                    column: error.column.unwrap_or(1).saturating_sub(1),
                }),
                None => self.notify("The template compiles"),
            },
            _ => {}
        }
        if self.editor.text() != before {
            self.editor_changed();
        }
    }

    pub(super) fn type_char(&mut self, c: char) {
        let main_has_keys = self.main_has_keys();
        match &mut self.overlay {
            Overlay::Prompt(input) => {
                let at = byte_index(&input.text, input.cursor);
                input.text.insert(at, c);
                input.cursor += 1;
                input.error = None;
                self.prompt_changed();
            }
            Overlay::Picker(picker) => {
                picker.filter.push(c);
                picker.selected = 0;
            }
            Overlay::ModelPicker(picker) => {
                picker.filter.push(c);
                picker.selected = 0;
            }
            Overlay::None
                if main_has_keys && self.focus == Focus::Editor && self.current.is_some() =>
            {
                self.editor.insert_char(c);
                self.editor_changed();
            }
            _ => {}
        }
    }

    pub(super) fn paste(&mut self, text: &str) {
        let main_has_keys = self.main_has_keys();
        match &mut self.overlay {
            Overlay::Prompt(_) | Overlay::Picker(_) | Overlay::ModelPicker(_) => {
                for c in text.chars().filter(|c| !c.is_control()) {
                    self.type_char(c);
                }
            }
            Overlay::None
                if main_has_keys && self.focus == Focus::Editor && self.current.is_some() =>
            {
                self.editor.insert_str(text);
                self.editor_changed();
            }
            _ => {}
        }
    }

    /// Copies the editor text into the model and re-renders.
    pub(super) fn editor_changed(&mut self) {
        let text = self.editor.text();
        if let Some(selection) = self.current {
            let file = &mut self.catalog.files[selection.file];
            let template = &mut file.templates.templates[selection.template];
            if *template.jinja != *text {
                template.jinja = text.into();
                file.edited();
                self.journal_due = true;
            }
        }
        self.request_preview();
    }

    pub(super) fn search_next(&mut self) {
        if self.search.is_empty() {
            let search = self.search.clone();
            return self.open_prompt(PromptKind::Search, &search);
        }
        let search = self.search.clone();
        if !self.editor.find_next(&search) {
            self.notify_error(format!("`{search}` not found"));
        }
    }
}
