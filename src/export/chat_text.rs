//! `export --style messages --chat-template X`: each record's conversation
//! rendered as one `text`, without a generation prompt, as TRL's SFT
//! trainer reads a conversational dataset.

use serde_json::json;

use crate::core::chat::{ChatTemplate, Conversation, RenderOptions};

/// A compiled chat template and the variables of its renders.
pub struct ChatText {
    template: ChatTemplate,
    options: RenderOptions,
}

impl ChatText {
    /// `options.add_generation_prompt` is turned off: the assistant turn is
    /// in the conversation.
    pub fn new(template: ChatTemplate, mut options: RenderOptions) -> ChatText {
        options.add_generation_prompt = false;
        ChatText { template, options }
    }

    /// The user turn `input` and the assistant turn `target`, rendered.
    pub fn render(&self, input: &str, target: &str) -> Result<String, String> {
        let conversation = Conversation::from_json(json!([
            {"role": "user", "content": input},
            {"role": "assistant", "content": target},
        ]))?;
        self.template
            .render(&conversation, &self.options)
            .map_err(|error| format!("chat template: {} error: {error}", error.kind.as_str()))
    }
}
