//! Dataset sources: rows as the Hugging Face `datasets` library yields them.
//!
//! - [`source`]: the [`Source`] trait every reader implements, its schema and shards.
//! - [`split_rows`]: [`SplitRows`], a split's rows by index, as the studio and `export` read them.
//! - [`mod@open`]: [`open()`], which picks the reader for a path.
//! - [`parquet`]: Parquet files read lazily (footer, then only the row group of a row).
//! - [`arrow_ipc`]: Arrow IPC, the `datasets` cache and `save_to_disk` folders.
//! - [`text`]: JSON Lines and CSV/TSV with a background line index; standard input.
//! - [`resolve`]: `NAME[/SUBSET]` and a split to files: workspace, Hub cache, `datasets` cache.
//! - [`value`]: Arrow values to [`crate::core::datum::Datum`], shaped as `datasets` yields them.
//! - [`features`]: Hugging Face features (ClassLabel names, Sequence...) and cell display.
//! - [`hub`]: `fetch`: Parquet files from the Hugging Face Hub into the standard cache.
//! - [`inspect`]: schema, row and column summary for `promptstudio inspect`.
//! - [`error`]: [`DataError`], which always names the file and the row, line or field.

pub mod arrow_ipc;
pub mod error;
pub mod features;
pub mod hub;
pub mod inspect;
pub mod open;
pub mod parquet;
pub mod resolve;
pub mod source;
pub mod split_rows;
pub mod text;
pub mod value;

pub use error::DataError;
pub use open::open;
pub use source::{RowBatches, Source};
pub use split_rows::{SharedSource, SplitRows};
