//! The one error type of the data layer. Every variant names the file (or
//! the dataset) and, where it applies, the row, line or field, so a message
//! on its own tells the user where to look.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file is not readable in the format it was opened as (truncated,
    /// not Parquet, corrupt footer, unsupported compression...).
    #[error("{path}: not a readable {format} file: {message}", path = path.display())]
    Format {
        path: PathBuf,
        format: &'static str,
        message: String,
    },

    /// A value could not be turned into a row value.
    #[error("{path}: row {row}, column `{column}`: {message}", path = path.display())]
    Value {
        path: PathBuf,
        row: u64,
        column: String,
        message: String,
    },

    /// A text format (JSON Lines, CSV) has a bad line. Lines count from 1.
    #[error("{path}: line {line}: {message}", path = path.display())]
    Line {
        path: PathBuf,
        line: u64,
        message: String,
    },

    #[error("{path}: row {row} is out of range: the source has {len} rows", path = path.display())]
    RowOutOfRange { path: PathBuf, row: u64, len: u64 },

    #[error("{path}: no column named `{column}` (columns: {available})", path = path.display())]
    UnknownColumn {
        path: PathBuf,
        column: String,
        available: String,
    },

    /// The file exceeds a limit that keeps memory bounded.
    #[error("{path}: {message}", path = path.display())]
    TooLarge { path: PathBuf, message: String },

    /// Hugging Face features metadata that cannot be understood.
    #[error("{path}: Hugging Face features: {message}", path = path.display())]
    Features { path: PathBuf, message: String },

    /// A dataset name that resolves to nothing.
    #[error("dataset `{name}`: {message}")]
    NotFound { name: String, message: String },

    /// A download from, or a lookup in, the Hugging Face Hub failed.
    #[error("dataset `{name}` on the Hub: {message}")]
    Hub { name: String, message: String },
}

impl DataError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> DataError {
        DataError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn format(
        path: &Path,
        format: &'static str,
        message: impl std::fmt::Display,
    ) -> DataError {
        DataError::Format {
            path: path.to_path_buf(),
            format,
            message: message.to_string(),
        }
    }
}
