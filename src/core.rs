//! Everything about templates that does not depend on a terminal: the
//! PromptSource model and its YAML, the Jinja engine with PromptSource's
//! semantics, and the checks.

pub mod catalog;
pub mod datum;
pub mod fsutil;
pub mod py;
pub mod template;
pub mod yaml;
