//! promptstudio: a terminal prompt development studio for PromptSource templates.
//!
//! - [`core`]: templates model, PromptSource YAML, the Jinja engine, apply, few-shot, checks, chat templates.
//! - [`data`]: dataset sources (Parquet, Arrow IPC, JSON Lines, CSV, the Hub) as rows of [`core::datum::Datum`].
//! - [`workspace`]: a workspace folder: its templates, and a dataset's rows and splits found by name.
//! - [`export`]: templates applied to whole splits, written as training files.
//! - [`model`]: model servers (OpenAI-compatible client, scoring, metrics, response cache).
//! - [`cli`]: the headless commands.
//! - [`app`]: the studio's state, actions and update (no terminal types).
//! - `ui`, `tui` (feature `tui`): the studio's widgets and its terminal loop.
//! - `fuzzing` (hidden): the entry points of the cargo-fuzz targets in `fuzz/`,
//!   also replayed on stable by the `fuzz_replay` test.

pub mod app;
pub mod cli;
pub mod core;
pub mod data;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
pub mod model;
#[cfg(feature = "tui")]
pub mod tui;
#[cfg(feature = "tui")]
pub mod ui;
pub mod workspace;
