//! Everything about templates that does not depend on a terminal: the
//! PromptSource model and its YAML, the Jinja engine with PromptSource's
//! semantics, and the checks.

pub mod apply;
pub mod catalog;
pub mod chat;
pub mod check;
pub mod datum;
pub mod fewshot;
pub mod fsutil;
pub mod jinja;
pub mod py;
pub mod stats;
pub mod template;
pub mod token_lengths;
pub mod yaml;
