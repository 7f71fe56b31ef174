//! Dataset sources: rows as the Hugging Face `datasets` library yields them.
//!
//! - [`parquet`]: Parquet files read lazily (footer, then only the row group of a row).
//! - [`value`]: Arrow values to [`crate::core::datum::Datum`], shaped as `datasets` yields them.
//! - [`error`]: [`DataError`], which always names the file and the row, line or field.

pub mod error;
pub mod parquet;
pub mod value;

pub use error::DataError;
