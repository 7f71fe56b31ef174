//! Where a file failed to load.

use std::fmt;
use std::path::{Path, PathBuf};

/// A file that could not be loaded (or formatted), with where the problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub path: PathBuf,
    /// 1-based.
    pub line: Option<usize>,
    /// 1-based, in characters.
    pub column: Option<usize>,
    pub message: String,
}

impl LoadError {
    pub(crate) fn at(path: &Path, line: usize, column: usize, message: String) -> LoadError {
        LoadError {
            path: path.to_path_buf(),
            line: Some(line),
            column: Some(column),
            message,
        }
    }

    pub(crate) fn whole_file(path: &Path, message: String) -> LoadError {
        LoadError {
            path: path.to_path_buf(),
            line: None,
            column: None,
            message,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for LoadError {}
