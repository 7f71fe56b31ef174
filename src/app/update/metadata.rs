//! The metadata form and its multi-select pickers.

use crate::app::state::*;
use crate::app::{Action, App};
use crate::core::template::Template;

impl App {
    pub(super) fn metadata_action(&mut self, action: Action) {
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

    pub(super) fn edit_field(&mut self, field: MetaField) {
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
    pub(super) fn edit_template(&mut self, change: impl FnOnce(&mut Template)) {
        let Some(selection) = self.current else {
            return;
        };
        let file = &mut self.catalog.files[selection.file];
        let template = &mut file.templates.templates[selection.template];
        let before = template.clone();
        change(template);
        if *template != before {
            file.edited();
            self.journal_due = true;
            self.request_preview();
        }
    }

    pub(super) fn picker_action(&mut self, action: Action) {
        let Overlay::Picker(picker) = &mut self.overlay else {
            return;
        };
        let visible = picker.visible();
        if filtered_list_action(
            &mut picker.filter,
            &mut picker.selected,
            visible.len(),
            action,
        ) {
            return;
        }
        match action {
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
}

/// The keys every filtered list shares (moving, and editing its filter);
/// false when `action` is not one of them.
pub(super) fn filtered_list_action(
    filter: &mut String,
    selected: &mut usize,
    visible: usize,
    action: Action,
) -> bool {
    match action {
        Action::Up => *selected = selected.saturating_sub(1),
        Action::Down => *selected = (*selected + 1).min(visible.saturating_sub(1)),
        Action::Backspace => {
            filter.pop();
            *selected = 0;
        }
        Action::DeleteToLineStart => {
            filter.clear();
            *selected = 0;
        }
        Action::DeleteWordBack => {
            filter.truncate(super::prompts::word_start_before(filter, filter.len()));
            *selected = 0;
        }
        _ => return false,
    }
    true
}

fn cycle(value: Option<bool>) -> Option<bool> {
    match value {
        None => Some(true),
        Some(true) => Some(false),
        Some(false) => None,
    }
}
