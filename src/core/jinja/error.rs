//! Runtime exceptions, named after the Python exception PromptSource would raise.

use std::fmt;

use super::value::UndefinedReason;

/// A Python exception raised while rendering: `kind` is its class name and
/// `message` its `str()`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Exc {
    pub kind: &'static str,
    pub message: String,
    pub line: Option<usize>,
}

impl Exc {
    pub(crate) fn new(kind: &'static str, message: impl Into<String>) -> Exc {
        Exc {
            kind,
            message: message.into(),
            line: None,
        }
    }

    pub(crate) fn type_error(message: impl Into<String>) -> Exc {
        Exc::new("TypeError", message)
    }

    pub(crate) fn value_error(message: impl Into<String>) -> Exc {
        Exc::new("ValueError", message)
    }

    pub(crate) fn undefined(reason: &UndefinedReason) -> Exc {
        if let UndefinedReason::Unsafe(message) = reason {
            return Exc::new("SecurityError", message.clone());
        }
        Exc::new("UndefinedError", reason.message())
    }

    pub(crate) fn runtime(message: impl Into<String>) -> Exc {
        Exc::new("TemplateRuntimeError", message)
    }

    pub(crate) fn limit(message: impl Into<String>) -> Exc {
        Exc::new("RenderLimitExceeded", message)
    }

    pub(crate) fn zero_division(message: &str) -> Exc {
        Exc::new("ZeroDivisionError", message)
    }
}

impl fmt::Display for Exc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl From<crate::core::py::PyError> for Exc {
    fn from(error: crate::core::py::PyError) -> Exc {
        // `core::py` refuses results past its size bound as Python's
        // MemoryError; for a render that is a runaway template.
        if error.kind == "MemoryError" {
            return Exc::limit(format!(
                "the result would be larger than {} MiB (Python would raise MemoryError or build it)",
                crate::core::py::MAX_RESULT_BYTES >> 20
            ));
        }
        Exc::new(error.kind, error.message)
    }
}
