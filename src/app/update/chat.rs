//! The model the prompts are shown to: loading it (from promptstudio.toml
//! or the picker), the chat view, and rendering each preview through it.

use std::path::PathBuf;
use std::sync::Arc;

use crate::app::chat::{ChatAnswer, ChatRequest, RenderRequest, SETTINGS_FILE};
use crate::app::chat_state::ModelPicker;
use crate::app::state::*;
use crate::app::{Action, App};

use super::metadata::filtered_list_action;

impl App {
    /// Loads the model `workspace/promptstudio.toml` names (off the UI
    /// thread); called once the studio knows its workspace folder.
    pub fn open_chat_settings(&mut self, workspace: PathBuf) {
        self.chat.generation += 1;
        self.chat.loading = Some(SETTINGS_FILE.to_owned());
        self.chat.workspace = Some(workspace.clone());
        self.effects.push(Effect::Chat(ChatRequest::Settings {
            generation: self.chat.generation,
            workspace,
            hub_cache: self.chat.hub_cache.clone(),
        }));
    }

    /// Loads the model again when the watcher saw promptstudio.toml change;
    /// false for any other file.
    pub(super) fn chat_settings_changed(&mut self, path: &std::path::Path) -> bool {
        let Some(workspace) = self.chat.workspace.clone() else {
            return false;
        };
        let absolute = |p: &std::path::Path| std::path::absolute(p).unwrap_or(p.to_path_buf());
        let is_settings = path.file_name().is_some_and(|n| n == SETTINGS_FILE)
            && path
                .parent()
                .is_some_and(|parent| absolute(parent) == absolute(&workspace));
        if is_settings {
            self.open_chat_settings(workspace);
        }
        is_settings
    }

    /// True while the shown row's render through the model is on its way.
    pub fn chat_pending(&self) -> bool {
        let Some(model) = &self.chat.model else {
            return false;
        };
        let Some(result) = &self.preview.result else {
            return false;
        };
        result.outcome.is_ok()
            && !self.chat.shown.as_ref().is_some_and(|shown| {
                shown.generation == result.generation && Arc::ptr_eq(&shown.model, model)
            })
    }

    pub(super) fn toggle_chat_view(&mut self) {
        self.chat.view = !self.chat.view;
        if !self.chat.view {
            return self.notify("The preview shows PromptSource's parts");
        }
        match (&self.chat.model, &self.chat.problem) {
            (Some(model), _) if model.template.is_some() => {
                let name = model.name.clone();
                self.notify(format!("The preview shows the prompt as {name} reads it"));
            }
            (_, Some(problem)) => {
                let problem = problem.clone();
                self.notify_error(problem);
            }
            _ if self.chat.loading.is_some() => self.notify("The model is loading…"),
            _ => {
                let pick = self
                    .keymap
                    .key_for(super::super::Context::Global, Action::PickModel);
                let pick = pick.map_or(String::new(), |key| format!(" or press {key} to pick one"));
                self.notify_error(format!(
                    "No chat template: set [model] chat_template in {SETTINGS_FILE}{pick}"
                ));
            }
        }
    }

    pub(super) fn open_model_picker(&mut self) {
        self.overlay = Overlay::ModelPicker(ModelPicker {
            models: None,
            filter: String::new(),
            selected: 0,
        });
        self.effects.push(Effect::Chat(ChatRequest::Scan {
            hub_cache: self.chat.hub_cache.clone(),
        }));
    }

    pub(super) fn model_picker_action(&mut self, action: Action) {
        let Overlay::ModelPicker(picker) = &mut self.overlay else {
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
            Action::Select | Action::Toggle => {
                let chosen = match (&picker.models, visible.get(picker.selected)) {
                    (Some(Ok(models)), Some(&index)) => Some(models[index].id.clone()),
                    _ => None,
                };
                let Some(id) = chosen else {
                    return;
                };
                self.overlay = Overlay::None;
                self.chat.generation += 1;
                self.chat.loading = Some(id.clone());
                self.notify(format!("Loading {id}…"));
                self.effects.push(Effect::Chat(ChatRequest::Cached {
                    generation: self.chat.generation,
                    id,
                    hub_cache: self.chat.hub_cache.clone(),
                }));
            }
            Action::Cancel => self.overlay = Overlay::None,
            _ => {}
        }
    }

    pub(super) fn chat_answer(&mut self, answer: ChatAnswer) {
        match answer {
            ChatAnswer::Loaded { generation, result } if generation == self.chat.generation => {
                self.chat.loading = None;
                self.chat.shown = None;
                match result {
                    Ok(model) => {
                        self.chat.problem = None;
                        if let Some(model) = &model {
                            let mut loaded = Vec::new();
                            if model.template.is_some() {
                                loaded.push("chat template".to_owned());
                            }
                            if model.tokenizer.is_some() {
                                loaded.push("tokenizer".to_owned());
                            }
                            if let Some(length) = model.context_length {
                                loaded.push(format!("context {length} tokens"));
                            }
                            self.notify(format!("Model {}: {}", model.name, loaded.join(", ")));
                        }
                        self.chat.model = model;
                    }
                    Err(problem) => {
                        self.chat.model = None;
                        self.notify_error(problem.clone());
                        self.chat.problem = Some(problem);
                    }
                }
                self.chat_after_preview();
                if self.view == View::Batch {
                    self.request_batch(true);
                }
            }
            ChatAnswer::Loaded { .. } => {}
            ChatAnswer::Models(models) => {
                if let Overlay::ModelPicker(picker) = &mut self.overlay {
                    picker.models = Some(models);
                    picker.selected = 0;
                }
            }
            ChatAnswer::Rendered(preview) => {
                let current = self.preview.result.as_ref().map(|r| r.generation);
                let same_model = self
                    .chat
                    .model
                    .as_ref()
                    .is_some_and(|model| Arc::ptr_eq(model, &preview.model));
                if same_model && current == Some(preview.generation) {
                    self.chat.shown = Some(*preview);
                }
            }
        }
    }

    /// In the chat view, copies the prompt as the model reads it; false
    /// when there is none to copy (the parts are copied instead).
    pub(super) fn copy_chat_prompt(&mut self) -> bool {
        if !self.chat.view || self.chat_pending() {
            return false;
        }
        let Some(Some(Ok(text))) = self.chat.shown.as_ref().map(|shown| &shown.prompt) else {
            return false;
        };
        let text = text.clone();
        self.notify(format!(
            "Copied {} characters (the prompt as the model reads it)",
            text.chars().count()
        ));
        self.register = Some(text.clone());
        self.effects.push(Effect::Copy(text));
        true
    }

    /// Asks for the current row through the model, once a preview arrived
    /// (or a model did).
    pub(super) fn chat_after_preview(&mut self) {
        let (Some(model), Some(result)) = (&self.chat.model, &self.preview.result) else {
            return;
        };
        let Ok(rendered) = &result.outcome else {
            return;
        };
        self.effects
            .push(Effect::Chat(ChatRequest::Render(RenderRequest {
                generation: result.generation,
                model: model.clone(),
                input: rendered.parts.first().cloned().unwrap_or_default(),
                target: rendered.parts.get(1).cloned(),
                demonstrations: result
                    .fewshot
                    .as_ref()
                    .map(|fewshot| fewshot.demonstrations.clone())
                    .unwrap_or_default(),
            })));
    }
}
