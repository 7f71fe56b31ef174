//! One-line prompts (filter, row, seed, names) and the help overlay.

use uuid::Uuid;

use crate::app::state::*;
use crate::app::{Action, App};
use crate::core::template::Template;

impl App {
    pub(super) fn open_prompt(&mut self, kind: PromptKind, text: &str) {
        self.overlay = Overlay::Prompt(PromptInput::new(kind, text));
    }

    pub(super) fn prompt_action(&mut self, action: Action) {
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
            Action::DeleteToLineStart | Action::DeleteWordBack if input.cursor > 0 => {
                let end = byte_index(&input.text, input.cursor);
                let start = match action {
                    Action::DeleteWordBack => word_start_before(&input.text, end),
                    _ => 0,
                };
                input.cursor -= input.text[start..end].chars().count();
                input.text.replace_range(start..end, "");
                input.error = None;
                self.prompt_changed();
            }
            Action::Cancel => {
                let kind = input.kind.clone();
                self.overlay = Overlay::None;
                match kind {
                    PromptKind::Filter => self.set_filter(String::new()),
                    // The preview showed the draft: back to the choices kept.
                    PromptKind::AnswerChoices => self.request_preview(),
                    _ => {}
                }
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
    pub(super) fn prompt_changed(&mut self) {
        if let Overlay::Prompt(input) = &self.overlay {
            match input.kind {
                PromptKind::Filter => {
                    let text = input.text.clone();
                    self.set_filter(text);
                }
                // The preview follows the choices as they are typed; the
                // prompt keeps them only on Enter.
                PromptKind::AnswerChoices => {
                    let text = input.text.clone();
                    if let Some(mut draft) = self.current_template().cloned() {
                        draft.answer_choices =
                            (!text.trim().is_empty()).then(|| text.as_str().into());
                        self.request_preview_of(draft);
                    }
                }
                _ => {}
            }
        }
    }

    /// Acts on a submitted prompt; an `Err` keeps it open with the message.
    pub(super) fn submit_prompt(&mut self, input: &PromptInput) -> Result<(), String> {
        let text = input.text.trim();
        match input.kind {
            PromptKind::Filter => {}
            PromptKind::GotoRow => {
                // 0-based, as `datasets`, `render --row` and `check` count.
                let row: usize = text
                    .parse()
                    .map_err(|_| format!("`{text}` is not a row number (0, 1, ...)"))?;
                if let Some(count) = self.preview.row_count {
                    if row >= count {
                        return Err(match count {
                            0 => "this split has no rows".to_owned(),
                            _ => format!("rows are 0–{}", count - 1),
                        });
                    }
                }
                self.move_row(|_, _| row);
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
                self.journal_due = true;
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
                    self.journal_due = true;
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

    pub(super) fn check_name(
        &self,
        file: usize,
        name: &str,
        except: Option<usize>,
    ) -> Result<(), String> {
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
    pub(super) fn reveal(&mut self, selection: Selection) {
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

    pub(super) fn help_action(&mut self, action: Action) {
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
}

/// Where the word before `end` starts, as readline's Ctrl-W sees it: spaces
/// before the cursor, then everything back to the previous space.
pub(super) fn word_start_before(text: &str, end: usize) -> usize {
    let before = text[..end].trim_end_matches(char::is_whitespace);
    before.rfind(char::is_whitespace).map_or(0, |space| {
        space + before[space..].chars().next().map_or(1, char::len_utf8)
    })
}

pub(super) fn byte_index(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}
