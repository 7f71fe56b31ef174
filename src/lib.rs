//! promptstudio: a terminal prompt development studio for PromptSource templates.
//!
//! - [`core`]: templates model, PromptSource YAML, the Jinja engine, checks.
//! - [`data`]: dataset sources (Parquet, Arrow IPC, JSON Lines, CSV, the Hub) as rows of [`core::datum::Datum`].
//! - [`model`]: model servers (OpenAI-compatible client, scoring, metrics, response cache).
//! - [`cli`]: the headless commands.
//! - [`app`]: the studio's state, actions and update (no terminal types).
//! - `ui`, `tui` (feature `tui`): the studio's widgets and its terminal loop.

pub mod app;
pub mod cli;
pub mod core;
pub mod data;
pub mod export;
pub mod model;
#[cfg(feature = "tui")]
pub mod tui;
#[cfg(feature = "tui")]
pub mod ui;

// Rendering allocates many short strings and values on every core; glibc's
// allocator spent a sixth of an export's time in malloc and free (perf),
// mimalloc's thread-local heaps do the same work for much less. Declared in
// the library so that the binary, the benchmarks and the tests all measure
// the same program.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
