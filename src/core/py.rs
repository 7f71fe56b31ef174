//! Python's behaviour where PromptSource's output depends on it: the
//! Mersenne Twister behind `random.choice`, float printing and rounding,
//! `str` methods and `%`-formatting. Everything here reproduces CPython 3.11
//! exactly, with expected values in the tests taken from CPython itself.

pub mod random;

use std::fmt;

/// A Python exception as a value: its class name and its `str()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyError {
    /// The exception class, e.g. `"ValueError"` or `"TypeError"`.
    pub kind: &'static str,
    pub message: String,
}

impl PyError {
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        PyError {
            kind,
            message: message.into(),
        }
    }

    pub fn value_error(message: impl Into<String>) -> Self {
        PyError::new("ValueError", message)
    }

    pub fn type_error(message: impl Into<String>) -> Self {
        PyError::new("TypeError", message)
    }
}

impl fmt::Display for PyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for PyError {}
