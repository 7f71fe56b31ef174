//! Runtime exceptions, named after the Python exception PromptSource would
//! raise: a kind, a message and the template line it was raised on.

use std::fmt;
use std::sync::Arc;

use crate::core::py::strings::str_repr;

/// The class of a runtime exception, as Python names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    TypeError,
    ValueError,
    IndexError,
    KeyError,
    AttributeError,
    OverflowError,
    ZeroDivisionError,
    RecursionError,
    AssertionError,
    /// Jinja2's `FilterArgumentError`: a filter's arguments do not fit.
    FilterArgument,
    /// Jinja2's `UndefinedError`: an undefined value was used.
    Undefined,
    /// The chat-template sandbox refused an attribute or method.
    Security,
    /// transformers' `raise_exception`.
    Template,
    /// Jinja2's `TemplateRuntimeError`.
    Runtime,
    /// A limit of this engine (fuel, depth, size, memory budget).
    Limit,
    /// `{% break %}` / `{% continue %}` on their way up to their loop.
    LoopBreak,
    LoopContinue,
    /// Another exception `core::py` raised, by its class name.
    Python(&'static str),
}

impl ErrorKind {
    /// The exception's class name, as reports show it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ErrorKind::TypeError => "TypeError",
            ErrorKind::ValueError => "ValueError",
            ErrorKind::IndexError => "IndexError",
            ErrorKind::KeyError => "KeyError",
            ErrorKind::AttributeError => "AttributeError",
            ErrorKind::OverflowError => "OverflowError",
            ErrorKind::ZeroDivisionError => "ZeroDivisionError",
            ErrorKind::RecursionError => "RecursionError",
            ErrorKind::AssertionError => "AssertionError",
            ErrorKind::FilterArgument => "FilterArgumentError",
            ErrorKind::Undefined => "UndefinedError",
            ErrorKind::Security => "SecurityError",
            ErrorKind::Template => "TemplateError",
            ErrorKind::Runtime => "TemplateRuntimeError",
            ErrorKind::Limit => "RenderLimitExceeded",
            ErrorKind::LoopBreak => "LoopBreak",
            ErrorKind::LoopContinue => "LoopContinue",
            ErrorKind::Python(name) => name,
        }
    }

    fn from_python(name: &'static str) -> ErrorKind {
        match name {
            "TypeError" => ErrorKind::TypeError,
            "ValueError" => ErrorKind::ValueError,
            "IndexError" => ErrorKind::IndexError,
            "KeyError" => ErrorKind::KeyError,
            "AttributeError" => ErrorKind::AttributeError,
            "OverflowError" => ErrorKind::OverflowError,
            "ZeroDivisionError" => ErrorKind::ZeroDivisionError,
            "RecursionError" => ErrorKind::RecursionError,
            "AssertionError" => ErrorKind::AssertionError,
            other => ErrorKind::Python(other),
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq<&str> for ErrorKind {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

/// A Python exception raised while rendering: `kind` is its class and
/// `message` its `str()`; `line` is where in the template, once known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Exc {
    pub kind: ErrorKind,
    pub message: String,
    pub line: Option<usize>,
}

impl Exc {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Exc {
        Exc {
            kind,
            message: message.into(),
            line: None,
        }
    }

    pub(crate) fn type_error(message: impl Into<String>) -> Exc {
        Exc::new(ErrorKind::TypeError, message)
    }

    pub(crate) fn value_error(message: impl Into<String>) -> Exc {
        Exc::new(ErrorKind::ValueError, message)
    }

    pub(crate) fn undefined(reason: &UndefinedReason) -> Exc {
        if let UndefinedReason::Unsafe(message) = reason {
            return Exc::new(ErrorKind::Security, message.clone());
        }
        Exc::new(ErrorKind::Undefined, reason.message())
    }

    pub(crate) fn runtime(message: impl Into<String>) -> Exc {
        Exc::new(ErrorKind::Runtime, message)
    }

    pub(crate) fn limit(message: impl Into<String>) -> Exc {
        Exc::new(ErrorKind::Limit, message)
    }

    pub(crate) fn zero_division(message: &str) -> Exc {
        Exc::new(ErrorKind::ZeroDivisionError, message)
    }

    /// Python's error for a length past `sys.maxsize` (a huge `range`).
    pub(crate) fn ssize_overflow() -> Exc {
        Exc::new(
            ErrorKind::OverflowError,
            "Python int too large to convert to C ssize_t",
        )
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
        Exc::new(ErrorKind::from_python(error.kind), error.message)
    }
}

/// Why a value is undefined; turned into Jinja2's message only when needed.
#[derive(Debug, Clone)]
pub(crate) enum UndefinedReason {
    /// A name that is not defined: `'x' is undefined`.
    Name(Arc<str>),
    /// `obj.name` missing: `'dict object' has no attribute 'name'`.
    Attribute { owner: String, name: Arc<str> },
    /// `obj[key]` missing with a non-string key: `list object has no element 1`.
    Element { owner: String, key_repr: String },
    /// A fixed message, e.g. `No first item, sequence was empty.`
    Hint(String),
    /// An attribute the chat-template sandbox hides: renders as nothing,
    /// and using it raises `SecurityError` with this message.
    Unsafe(String),
}

impl UndefinedReason {
    pub(crate) fn message(&self) -> String {
        match self {
            UndefinedReason::Name(name) => format!("{} is undefined", str_repr(name)),
            UndefinedReason::Attribute { owner, name } => {
                format!("{} has no attribute {}", str_repr(owner), str_repr(name))
            }
            UndefinedReason::Element { owner, key_repr } => {
                format!("{owner} has no element {key_repr}")
            }
            UndefinedReason::Hint(hint) | UndefinedReason::Unsafe(hint) => hint.clone(),
        }
    }
}
