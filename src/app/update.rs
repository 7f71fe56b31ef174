//! [`App::update`]: every change to the state goes through here.

use std::path::Path;

use uuid::Uuid;

use super::backend::{same_content, SaveError, TemplatesFile};
use super::editor::{Cursor, TextBuffer};
use super::keymap::Key;
use super::state::*;
use super::{Action, App, Event, BATCH_PAGE};
use crate::core::template::Template;

impl App {
    /// Applies one event and returns the work to start.
    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Key(chord) => {
                self.notice = None;
                let context = self.context();
                if let Overlay::Confirm(confirm) = &self.overlay {
                    let confirm = confirm.clone();
                    self.answer_confirm(confirm, chord.key);
                } else if let Some(action) = self.keymap.lookup(context, chord) {
                    self.act(action);
                } else if let Some(c) = chord.text() {
                    self.type_char(c);
                }
            }
            Event::Action(action) => {
                if let Overlay::Confirm(confirm) = &self.overlay {
                    let key = match action {
                        Action::Select => Key::Enter,
                        _ => Key::Esc,
                    };
                    let confirm = confirm.clone();
                    self.answer_confirm(confirm, key);
                } else {
                    self.act(action);
                }
            }
            Event::Paste(text) => self.paste(&text),
            Event::Click { column, row } => self.click(column, row),
            Event::Scroll { column, row, down } => {
                self.click(column, row);
                self.act(if down { Action::Down } else { Action::Up });
            }
            Event::Preview(result) => {
                if result.generation == self.preview.generation {
                    if let Some(count) = result.row_count {
                        self.preview.row_count = Some(count);
                    }
                    self.preview.result = Some(result);
                }
            }
            Event::Batch(update) => self.batch_update(update),
            Event::SplitSize { title, split, rows } => {
                self.split_sizes.sizes.push((title, split, rows))
            }
            Event::FileChanged(path) => self.file_changed(&path),
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
            Action::ToggleZoom => self.zoomed = !self.zoomed,
            Action::Save => self.save(false),
            Action::BatchView => self.toggle_batch(),
            Action::CatalogStats => self.toggle_stats(),
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
                if self.view != View::Main {
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
            View::Batch => return self.batch_action(action),
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
            Focus::Preview => match action {
                Action::PageDown | Action::Down => {
                    self.preview.scroll.set(self.preview.scroll.get() + 5)
                }
                Action::PageUp | Action::Up => self
                    .preview
                    .scroll
                    .set(self.preview.scroll.get().saturating_sub(5)),
                _ => {}
            },
        }
    }

    fn set_focus(&mut self, focus: Focus) {
        if self.view == View::Main {
            self.focus = focus;
        }
    }

    // ---- catalog ---------------------------------------------------------

    fn catalog_action(&mut self, action: Action) {
        let rows = self.catalog.rows().len();
        if rows == 0 {
            if action == Action::Filter {
                let filter = self.catalog.filter.clone();
                self.open_prompt(PromptKind::Filter, &filter);
            }
            return;
        }
        let selected = self.catalog.selected;
        let target = match action {
            Action::Up => selected.saturating_sub(1),
            Action::Down => selected + 1,
            Action::PageUp => selected.saturating_sub(10),
            Action::PageDown => selected + 10,
            Action::Top => 0,
            Action::Bottom => rows - 1,
            Action::Select | Action::Right => {
                if matches!(
                    self.catalog.rows().get(selected),
                    Some(CatalogRow::Template { .. })
                ) {
                    self.focus = Focus::Editor;
                } else {
                    self.select_catalog_row(selected + 1);
                }
                return;
            }
            Action::Filter => {
                let filter = self.catalog.filter.clone();
                return self.open_prompt(PromptKind::Filter, &filter);
            }
            _ => return,
        };
        self.select_catalog_row(target.min(rows - 1));
    }

    /// Selects a catalog row and opens its prompt (browsing previews live).
    pub(super) fn select_catalog_row(&mut self, index: usize) {
        let rows = self.catalog.rows();
        if rows.is_empty() {
            return;
        }
        let index = index.min(rows.len() - 1);
        self.catalog.selected = index;
        if let CatalogRow::Template { file, template } = rows[index] {
            self.open(Selection { file, template });
        }
    }

    fn set_filter(&mut self, filter: String) {
        self.catalog.filter = filter;
        let rows = self.catalog.rows();
        let keep = self.current.and_then(|current| {
            rows.iter().position(|row| {
                *row == CatalogRow::Template {
                    file: current.file,
                    template: current.template,
                }
            })
        });
        match keep {
            Some(index) => self.catalog.selected = index,
            None => {
                let first = rows
                    .iter()
                    .position(|r| matches!(r, CatalogRow::Template { .. }));
                self.select_catalog_row(first.unwrap_or(0));
            }
        }
    }

    /// The catalog selection when the catalog has focus, else the prompt in the editor.
    fn target_selection(&self) -> Option<Selection> {
        if self.focus == Focus::Catalog && self.view == View::Main {
            if let Some(CatalogRow::Template { file, template }) =
                self.catalog.rows().get(self.catalog.selected)
            {
                return Some(Selection {
                    file: *file,
                    template: *template,
                });
            }
        }
        self.current
    }

    fn target_template(&self) -> Option<&Template> {
        let selection = self.target_selection()?;
        self.catalog
            .files
            .get(selection.file)?
            .templates
            .templates
            .get(selection.template)
    }

    fn target_file(&self) -> Option<usize> {
        if self.focus == Focus::Catalog {
            match self.catalog.rows().get(self.catalog.selected) {
                Some(CatalogRow::File { file, .. }) | Some(CatalogRow::Template { file, .. }) => {
                    return Some(*file)
                }
                None => {}
            }
        }
        self.current
            .map(|s| s.file)
            .or(if self.catalog.files.is_empty() {
                None
            } else {
                Some(0)
            })
    }

    /// Puts a prompt in the editor and asks for its preview.
    pub(super) fn open(&mut self, selection: Selection) {
        let Some(file) = self.catalog.files.get(selection.file) else {
            return;
        };
        let Some(template) = file.templates.templates.get(selection.template) else {
            return;
        };
        let file_changed = self.current.map(|c| c.file) != Some(selection.file);
        let same_prompt = self.current == Some(selection);
        self.current = Some(selection);
        if !same_prompt {
            self.editor = TextBuffer::new(&template.jinja);
        }
        if file_changed {
            let dataset = file.templates.dataset.clone();
            let subset = file.templates.subset.clone();
            let previous = self.preview.current_split().map(|s| s.name.clone());
            self.preview.splits = self.workspace.splits(&dataset, subset.as_deref());
            self.preview.split = previous
                .and_then(|name| self.preview.splits.iter().position(|s| s.name == name))
                .unwrap_or(0);
            self.preview.row = 0;
            self.preview.row_count = None;
        }
        self.request_preview();
    }

    // ---- editor ----------------------------------------------------------

    fn editor_action(&mut self, action: Action) {
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

    fn type_char(&mut self, c: char) {
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
            Overlay::None
                if self.view == View::Main
                    && self.focus == Focus::Editor
                    && self.current.is_some() =>
            {
                self.editor.insert_char(c);
                self.editor_changed();
            }
            _ => {}
        }
    }

    fn paste(&mut self, text: &str) {
        match &mut self.overlay {
            Overlay::Prompt(_) | Overlay::Picker(_) => {
                for c in text.chars().filter(|c| !c.is_control()) {
                    self.type_char(c);
                }
            }
            Overlay::None
                if self.view == View::Main
                    && self.focus == Focus::Editor
                    && self.current.is_some() =>
            {
                self.editor.insert_str(text);
                self.editor_changed();
            }
            _ => {}
        }
    }

    /// Copies the editor text into the model and re-renders.
    fn editor_changed(&mut self) {
        let text = self.editor.text();
        if let Some(selection) = self.current {
            let file = &mut self.catalog.files[selection.file];
            let template = &mut file.templates.templates[selection.template];
            if *template.jinja != *text {
                template.jinja = text.into();
                file.dirty = true;
            }
        }
        self.request_preview();
    }

    fn search_next(&mut self) {
        if self.search.is_empty() {
            let search = self.search.clone();
            return self.open_prompt(PromptKind::Search, &search);
        }
        let search = self.search.clone();
        if !self.editor.find_next(&search) {
            self.notify_error(format!("`{search}` not found"));
        }
    }

    // ---- metadata --------------------------------------------------------

    fn metadata_action(&mut self, action: Action) {
        let count = MetaField::ALL.len();
        match action {
            Action::Up => self.meta_field = self.meta_field.saturating_sub(1),
            Action::Down => self.meta_field = (self.meta_field + 1).min(count - 1),
            Action::Top => self.meta_field = 0,
            Action::Bottom => self.meta_field = count - 1,
            Action::Select | Action::Toggle => {
                self.edit_field(MetaField::ALL[self.meta_field.min(count - 1)])
            }
            _ => {}
        }
    }

    fn edit_field(&mut self, field: MetaField) {
        let Some(template) = self.current_template().cloned() else {
            return;
        };
        match field {
            MetaField::Name => self.open_prompt(PromptKind::RenamePrompt, &template.name),
            MetaField::Reference => self.open_prompt(PromptKind::Reference, &template.reference),
            MetaField::AnswerChoices => self.open_prompt(
                PromptKind::AnswerChoices,
                template.answer_choices.as_deref().unwrap_or(""),
            ),
            // PromptSource leaves these unset (null) until someone decides, so
            // the toggle cycles through "unset" too.
            MetaField::OriginalTask => {
                self.edit_template(|t| t.metadata.original_task = cycle(t.metadata.original_task))
            }
            MetaField::ChoicesInPrompt => self.edit_template(|t| {
                t.metadata.choices_in_prompt = cycle(t.metadata.choices_in_prompt)
            }),
            MetaField::Metrics => {
                self.overlay = Overlay::Picker(Picker {
                    field,
                    options: METRICS
                        .iter()
                        .map(|m| (m.to_string(), m.to_string()))
                        .collect(),
                    chosen: template.metadata.metrics.clone(),
                    filter: String::new(),
                    selected: 0,
                })
            }
            MetaField::Languages => {
                self.overlay = Overlay::Picker(Picker {
                    field,
                    options: languages()
                        .map(|(code, name)| (code.to_owned(), format!("{code}  {name}")))
                        .collect(),
                    chosen: template.metadata.languages.clone(),
                    filter: String::new(),
                    selected: 0,
                })
            }
        }
    }

    /// Changes the current prompt; marks its file dirty when it changed.
    fn edit_template(&mut self, change: impl FnOnce(&mut Template)) {
        let Some(selection) = self.current else {
            return;
        };
        let file = &mut self.catalog.files[selection.file];
        let template = &mut file.templates.templates[selection.template];
        let before = template.clone();
        change(template);
        if *template != before {
            file.dirty = true;
            self.request_preview();
        }
    }

    fn picker_action(&mut self, action: Action) {
        let Overlay::Picker(picker) = &mut self.overlay else {
            return;
        };
        let visible = picker.visible();
        match action {
            Action::Up => picker.selected = picker.selected.saturating_sub(1),
            Action::Down => {
                picker.selected = (picker.selected + 1).min(visible.len().saturating_sub(1))
            }
            Action::Backspace => {
                picker.filter.pop();
                picker.selected = 0;
            }
            Action::Toggle => {
                if let Some(&option) = visible.get(picker.selected) {
                    let value = picker.options[option].0.clone();
                    match picker.chosen.iter().position(|v| *v == value) {
                        Some(index) => {
                            picker.chosen.remove(index);
                        }
                        None => picker.chosen.push(value),
                    }
                }
            }
            Action::Select => {
                let picker = picker.clone();
                self.overlay = Overlay::None;
                self.edit_template(|t| match picker.field {
                    MetaField::Metrics => t.metadata.metrics = picker.chosen,
                    _ => t.metadata.languages = picker.chosen,
                });
            }
            Action::Cancel => self.overlay = Overlay::None,
            _ => {}
        }
    }

    // ---- prompts ---------------------------------------------------------

    fn open_prompt(&mut self, kind: PromptKind, text: &str) {
        self.overlay = Overlay::Prompt(PromptInput::new(kind, text));
    }

    fn prompt_action(&mut self, action: Action) {
        let Overlay::Prompt(input) = &mut self.overlay else {
            return;
        };
        match action {
            Action::Left => input.cursor = input.cursor.saturating_sub(1),
            Action::Right => input.cursor = (input.cursor + 1).min(input.text.chars().count()),
            Action::LineStart => input.cursor = 0,
            Action::LineEnd => input.cursor = input.text.chars().count(),
            Action::Backspace if input.cursor > 0 => {
                input.cursor -= 1;
                let at = byte_index(&input.text, input.cursor);
                input.text.remove(at);
                self.prompt_changed();
            }
            Action::Delete if input.cursor < input.text.chars().count() => {
                let at = byte_index(&input.text, input.cursor);
                input.text.remove(at);
                self.prompt_changed();
            }
            Action::Cancel => {
                if input.kind == PromptKind::Filter {
                    self.set_filter(String::new());
                }
                self.overlay = Overlay::None;
            }
            Action::Select => {
                let input = input.clone();
                if let Err(message) = self.submit_prompt(&input) {
                    if let Overlay::Prompt(open) = &mut self.overlay {
                        open.error = Some(message);
                    }
                }
            }
            _ => {}
        }
    }

    /// Live effects of typing in a prompt (the filter narrows as you type).
    fn prompt_changed(&mut self) {
        if let Overlay::Prompt(input) = &self.overlay {
            if input.kind == PromptKind::Filter {
                let text = input.text.clone();
                self.set_filter(text);
            }
        }
    }

    /// Acts on a submitted prompt; an `Err` keeps it open with the message.
    fn submit_prompt(&mut self, input: &PromptInput) -> Result<(), String> {
        let text = input.text.trim();
        match input.kind {
            PromptKind::Filter => {}
            PromptKind::GotoRow => {
                let row: usize = text
                    .parse()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| format!("`{text}` is not a row number (1, 2, ...)"))?;
                if let Some(count) = self.preview.row_count {
                    if row > count {
                        return Err(format!("there are {count} rows"));
                    }
                }
                self.move_row(|_, _| row - 1);
            }
            PromptKind::Seed => {
                self.preview.seed = text
                    .parse()
                    .map_err(|_| format!("`{text}` is not a seed (0, 1, ...)"))?;
                self.request_preview();
            }
            PromptKind::NewPrompt | PromptKind::DuplicatePrompt => {
                let file = if input.kind == PromptKind::NewPrompt {
                    self.target_file()
                } else {
                    self.target_selection().map(|s| s.file)
                }
                .ok_or("no templates file")?;
                self.check_name(file, text, None)?;
                let template = match input.kind {
                    PromptKind::NewPrompt => Template::new(text),
                    _ => {
                        let original = self.target_template().ok_or("no prompt to duplicate")?;
                        Template {
                            id: Uuid::new_v4().to_string().into(),
                            name: text.into(),
                            ..original.clone()
                        }
                    }
                };
                let entry = &mut self.catalog.files[file];
                entry.templates.templates.push(template);
                entry.dirty = true;
                let selection = Selection {
                    file,
                    template: entry.templates.templates.len() - 1,
                };
                self.overlay = Overlay::None;
                self.reveal(selection);
                self.focus = Focus::Editor;
                return Ok(());
            }
            PromptKind::RenamePrompt => {
                let selection = self.target_selection().ok_or("no prompt to rename")?;
                self.check_name(selection.file, text, Some(selection.template))?;
                let file = &mut self.catalog.files[selection.file];
                if *file.templates.templates[selection.template].name != *text {
                    file.templates.templates[selection.template].name = text.into();
                    file.dirty = true;
                }
                self.overlay = Overlay::None;
                self.reveal(selection);
                return Ok(());
            }
            PromptKind::Search => {
                self.search = input.text.clone();
                self.overlay = Overlay::None;
                self.search_next();
                return Ok(());
            }
            PromptKind::Reference => {
                let reference = input.text.clone();
                self.edit_template(|t| t.reference = reference.into());
            }
            PromptKind::AnswerChoices => {
                let choices = (!text.is_empty()).then(|| input.text.as_str().into());
                self.edit_template(|t| t.answer_choices = choices);
            }
        }
        self.overlay = Overlay::None;
        Ok(())
    }

    fn check_name(&self, file: usize, name: &str, except: Option<usize>) -> Result<(), String> {
        if name.is_empty() {
            return Err("a prompt needs a name".into());
        }
        let taken = self.catalog.files[file]
            .templates
            .templates
            .iter()
            .enumerate()
            .any(|(i, t)| Some(i) != except && *t.name == *name);
        if taken {
            return Err(format!("`{name}` is already a prompt of this dataset"));
        }
        Ok(())
    }

    /// Opens a prompt and moves the catalog selection onto it, clearing a
    /// filter that would hide it.
    fn reveal(&mut self, selection: Selection) {
        let row = CatalogRow::Template {
            file: selection.file,
            template: selection.template,
        };
        if !self.catalog.rows().contains(&row) {
            self.catalog.filter.clear();
        }
        if let Some(index) = self.catalog.rows().iter().position(|r| *r == row) {
            self.catalog.selected = index;
        }
        self.open(selection);
    }

    fn help_action(&mut self, action: Action) {
        let Overlay::Help { scroll } = &mut self.overlay else {
            return;
        };
        match action {
            Action::Down => *scroll += 1,
            Action::Up => *scroll = scroll.saturating_sub(1),
            Action::PageDown => *scroll += 10,
            Action::PageUp => *scroll = scroll.saturating_sub(10),
            Action::Cancel | Action::Help => self.overlay = Overlay::None,
            _ => {}
        }
    }

    // ---- confirmations -----------------------------------------------------

    fn answer_confirm(&mut self, confirm: Confirm, key: Key) {
        let yes = matches!(key, Key::Enter | Key::Char('y') | Key::Char('Y'));
        let no = matches!(key, Key::Esc | Key::Char('n') | Key::Char('N'));
        match confirm {
            Confirm::DeletePrompt { file, template } => {
                if yes {
                    self.delete_prompt(file, template);
                }
                if yes || no {
                    self.overlay = Overlay::None;
                }
            }
            Confirm::QuitUnsaved => match key {
                Key::Char('s') | Key::Char('S') => {
                    self.overlay = Overlay::None;
                    let dirty: Vec<usize> = (0..self.catalog.files.len())
                        .filter(|&i| self.catalog.files[i].dirty)
                        .collect();
                    for file in dirty {
                        self.save_file(file, false);
                    }
                    if !self.any_dirty() {
                        self.effects.push(Effect::Quit);
                    }
                }
                Key::Char('q') | Key::Char('Q') | Key::Char('y') | Key::Char('Y') => {
                    self.effects.push(Effect::Quit)
                }
                Key::Esc | Key::Char('n') | Key::Char('N') => self.overlay = Overlay::None,
                _ => {}
            },
            Confirm::OutsideChange { file } => match key {
                Key::Char('r') | Key::Char('R') => {
                    self.overlay = Overlay::None;
                    if let Some((index, templates)) = self.pending_reload.take() {
                        self.replace_file(index, templates);
                        self.notify("Reloaded the version on disk");
                    }
                }
                Key::Char('k') | Key::Char('K') | Key::Esc => {
                    self.overlay = Overlay::None;
                    self.pending_reload = None;
                    self.notify(format!(
                        "Kept your edits of {}; saving will ask before overwriting",
                        file_title(&self.catalog.files[file])
                    ));
                }
                _ => {}
            },
            Confirm::OverwriteChanged { file } => match key {
                Key::Char('o') | Key::Char('O') => {
                    self.overlay = Overlay::None;
                    self.save_file(file, true);
                }
                Key::Char('r') | Key::Char('R') => {
                    self.overlay = Overlay::None;
                    let path = self.catalog.files[file].templates.path.clone();
                    match self.workspace.reload(&path) {
                        Ok(templates) => {
                            self.replace_file(file, templates);
                            self.notify("Reloaded the version on disk; your edits were dropped");
                        }
                        Err(problem) => self.notify_error(format!(
                            "{}: {}",
                            problem.path.display(),
                            problem.message
                        )),
                    }
                }
                Key::Esc | Key::Char('n') | Key::Char('N') => self.overlay = Overlay::None,
                _ => {}
            },
        }
    }

    fn delete_prompt(&mut self, file: usize, template: usize) {
        let entry = &mut self.catalog.files[file];
        if template >= entry.templates.templates.len() {
            return;
        }
        let removed = entry.templates.templates.remove(template);
        entry.dirty = true;
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

    // ---- saving and reloading ----------------------------------------------

    fn save(&mut self, overwrite: bool) {
        let file = match self.view {
            View::Main if self.focus == Focus::Catalog => self.target_file(),
            _ => self.current.map(|s| s.file),
        };
        match file {
            Some(file) => self.save_file(file, overwrite),
            None => self.notify_error("Nothing to save"),
        }
    }

    fn save_file(&mut self, file: usize, overwrite: bool) {
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
            Err(SaveError::ChangedOnDisk(_)) => {
                self.overlay = Overlay::Confirm(Confirm::OverwriteChanged { file })
            }
            Err(SaveError::Other(message)) => self.notify_error(format!("Not saved: {message}")),
        }
    }

    fn file_changed(&mut self, path: &Path) {
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
                    problem.message
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
            self.pending_reload = Some((file, templates));
            self.overlay = Overlay::Confirm(Confirm::OutsideChange { file });
        } else {
            self.replace_file(file, templates);
            self.notify(format!("Reloaded {} (changed on disk)", path.display()));
        }
    }

    fn data_changed(&mut self, path: &Path) {
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
    fn replace_file(&mut self, file: usize, templates: crate::core::template::DatasetTemplates) {
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

    // ---- rows and preview ------------------------------------------------

    fn move_row(&mut self, to: impl FnOnce(usize, Option<usize>) -> usize) {
        let count = self.preview.row_count;
        let mut row = to(self.preview.row, count);
        if let Some(count) = count {
            row = row.min(count.saturating_sub(1));
        }
        if row != self.preview.row {
            self.preview.row = row;
            self.preview.scroll.set(0);
            self.request_preview();
        }
    }

    fn next_split(&mut self) {
        if self.preview.splits.len() < 2 {
            return self.notify("No other split");
        }
        self.preview.split = (self.preview.split + 1) % self.preview.splits.len();
        self.preview.row = 0;
        self.preview.row_count = None;
        self.notify(format!(
            "Split {}",
            self.preview.splits[self.preview.split].name
        ));
        self.request_preview();
        if self.view == View::Batch {
            self.batch.offset = 0;
            self.request_batch(true);
        }
    }

    /// Asks the worker for the current prompt on the current row; the
    /// generation lets the newest answer win.
    pub(super) fn request_preview(&mut self) {
        let Some(template) = self.current_template().cloned() else {
            return;
        };
        self.preview.generation += 1;
        self.effects.push(Effect::Preview(PreviewRequest {
            generation: self.preview.generation,
            template,
            split: self.preview.current_split().cloned(),
            row: self.preview.row,
            seed: self.preview.seed,
            data_epoch: self.data_epoch,
        }));
    }

    fn copy_prompt(&mut self) {
        match self.preview.result.as_ref().map(|r| &r.outcome) {
            Some(Ok(rendered)) => {
                let text = rendered.parts.join("\n\n");
                self.notify(format!(
                    "Copied {} characters (input and target)",
                    text.chars().count()
                ));
                self.effects.push(Effect::Copy(text));
            }
            _ => self.notify_error("Nothing rendered to copy"),
        }
    }

    // ---- batch view and statistics -----------------------------------------

    fn toggle_batch(&mut self) {
        if self.view == View::Batch {
            return self.close_view();
        }
        if self.current.is_none() || self.preview.current_split().is_none() {
            return self.notify_error("The batch view needs a prompt and rows");
        }
        self.view = View::Batch;
        self.batch.offset = self.preview.row / BATCH_PAGE * BATCH_PAGE;
        self.batch.selected = self.preview.row % BATCH_PAGE;
        self.request_batch(true);
    }

    fn toggle_stats(&mut self) {
        if self.view == View::Stats {
            return self.close_view();
        }
        if self.view == View::Batch {
            self.effects.push(Effect::CancelBatch);
        }
        self.view = View::Stats;
        if !self.split_sizes.requested {
            self.split_sizes.requested = true;
            let mut splits = Vec::new();
            for file in &self.catalog.files {
                let title = file_title(file);
                for split in self
                    .workspace
                    .splits(&file.templates.dataset, file.templates.subset.as_deref())
                {
                    splits.push((title.clone(), split));
                }
            }
            self.effects.push(Effect::SplitSizes(splits));
        }
    }

    fn close_view(&mut self) {
        if self.view == View::Batch {
            self.effects.push(Effect::CancelBatch);
            self.preview.row = self.batch.offset + self.batch.selected;
            self.request_preview();
        }
        self.view = View::Main;
    }

    fn request_batch(&mut self, with_stats: bool) {
        let (Some(template), Some(split)) = (
            self.current_template().cloned(),
            self.preview.current_split().cloned(),
        ) else {
            return;
        };
        self.batch.generation += 1;
        self.batch.rows = None;
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
        }));
    }

    fn batch_action(&mut self, action: Action) {
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

    fn batch_update(&mut self, update: BatchUpdate) {
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

    fn click(&mut self, column: u16, row: u16) {
        if self.overlay != Overlay::None || self.view != View::Main {
            return;
        }
        let areas = self.areas.get();
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
        }
    }
}

fn cycle(value: Option<bool>) -> Option<bool> {
    match value {
        None => Some(true),
        Some(true) => Some(false),
        Some(false) => None,
    }
}

fn byte_index(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}
