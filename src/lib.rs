//! promptstudio: a terminal prompt development studio for PromptSource templates.
//!
//! - [`core`]: templates model, PromptSource YAML, the Jinja engine, checks.
//! - [`data`]: dataset sources (Parquet, Arrow IPC, JSON Lines, CSV, the Hub) as rows of [`core::datum::Datum`].
//! - [`cli`]: the headless commands.

pub mod cli;
pub mod core;
pub mod data;
pub mod export;
