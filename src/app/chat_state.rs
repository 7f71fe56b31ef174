//! The studio's state for the model it shows prompts to: the loaded chat
//! template and tokenizer, the current row as the model reads it, and the
//! picker of models in the Hugging Face cache.

use std::path::PathBuf;
use std::sync::Arc;

use super::chat::{CachedModel, ChatModel, ChatPreview};
use super::fuzzy::Fuzzy;

#[derive(Debug, Default)]
pub struct ChatState {
    /// The preview shows the prompt as the model reads it (chat template),
    /// not PromptSource's parts.
    pub view: bool,
    pub model: Option<Arc<ChatModel>>,
    /// What is being loaded, while it is.
    pub loading: Option<String>,
    /// The newest load; older answers are dropped.
    pub generation: u64,
    /// Why the last load failed (names the file).
    pub problem: Option<String>,
    /// The latest render of the current row through the model.
    pub shown: Option<ChatPreview>,
    /// The workspace whose promptstudio.toml names the model.
    pub workspace: Option<PathBuf>,
    /// The Hugging Face cache to look in (default: the standard one).
    pub hub_cache: Option<PathBuf>,
}

impl ChatState {
    /// The model, when it can count tokens (for the batch statistics).
    pub fn counting_model(&self) -> Option<Arc<ChatModel>> {
        self.model.clone().filter(|model| model.tokenizer.is_some())
    }
}

/// A one-choice list of the models in the Hugging Face cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelPicker {
    /// `None` while the cache is being read.
    pub models: Option<Result<Vec<CachedModel>, String>>,
    pub filter: String,
    /// Index into [`ModelPicker::visible`].
    pub selected: usize,
}

impl ModelPicker {
    pub fn visible(&self) -> Vec<usize> {
        let Some(Ok(models)) = &self.models else {
            return Vec::new();
        };
        let mut fuzzy = Fuzzy::new(&self.filter);
        let mut scored: Vec<(u32, usize)> = models
            .iter()
            .enumerate()
            .filter_map(|(i, model)| fuzzy.score(&model.id).map(|s| (s, i)))
            .collect();
        if !self.filter.is_empty() {
            scored.sort_by_key(|&(score, i)| (std::cmp::Reverse(score), i));
        }
        scored.into_iter().map(|(_, i)| i).collect()
    }
}
