//! Python's behaviour where PromptSource's output depends on it: the
//! Mersenne Twister behind `random.choice`, float printing and rounding,
//! `str` methods and `%`-formatting. Everything here reproduces CPython 3.11
//! exactly, with expected values in the tests taken from CPython itself.

pub mod float;
pub mod percent;
pub mod random;
pub mod strings;
mod unicode_data;

use std::fmt;

/// A Python exception as a value: its class name and its `str()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyError {
    /// The exception class, e.g. `"ValueError"` or `"TypeError"`.
    pub kind: &'static str,
    pub message: String,
}

/// Results larger than this many bytes are refused with a `MemoryError`
/// rather than allocated: `'x'.center(10**12)` in a template must not abort
/// the process (Python would try and usually fail the same way).
pub const MAX_RESULT_BYTES: usize = 1 << 28;

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

    /// Python's bare `MemoryError`, for results over [`MAX_RESULT_BYTES`].
    pub fn memory_error() -> Self {
        PyError::new("MemoryError", "")
    }
}

impl fmt::Display for PyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for PyError {}

/// Replays the CPython results recorded by `scripts/gen_py_fixtures.py` in
/// `tests/fixtures/py/*.jsonl`.
#[cfg(test)]
pub(crate) mod fixture {
    use super::PyError;
    use serde_json::Value;

    /// One recorded call: the function, its arguments and what CPython gave.
    pub struct Case {
        pub line: usize,
        pub function: String,
        pub args: Vec<Value>,
        pub expected: Result<Value, (String, String)>,
    }

    impl Case {
        pub fn str(&self, index: usize) -> &str {
            self.args[index]
                .as_str()
                .unwrap_or_else(|| panic!("line {}: argument {index} is not a string", self.line))
        }

        pub fn opt_str(&self, index: usize) -> Option<&str> {
            match &self.args[index] {
                Value::Null => None,
                _ => Some(self.str(index)),
            }
        }

        pub fn int(&self, index: usize) -> i64 {
            self.args[index]
                .as_i64()
                .unwrap_or_else(|| panic!("line {}: argument {index} is not an int", self.line))
        }

        pub fn opt_int(&self, index: usize) -> Option<i64> {
            match &self.args[index] {
                Value::Null => None,
                _ => Some(self.int(index)),
            }
        }

        pub fn bool(&self, index: usize) -> bool {
            self.args[index]
                .as_bool()
                .unwrap_or_else(|| panic!("line {}: argument {index} is not a bool", self.line))
        }

        /// A float passed as its IEEE-754 bits (JSON has no nan, inf or -0.0).
        pub fn float(&self, index: usize) -> f64 {
            let bits = self.args[index].as_u64().unwrap_or_else(|| {
                panic!("line {}: argument {index} is not float bits", self.line)
            });
            f64::from_bits(bits)
        }
    }

    pub fn cases(text: &str) -> Vec<Case> {
        text.lines()
            .enumerate()
            .map(|(index, line)| {
                let value: Value = serde_json::from_str(line)
                    .unwrap_or_else(|error| panic!("line {}: {error}", index + 1));
                let expected = match (value.get("ok"), value.get("err")) {
                    (Some(ok), None) => Ok(ok.clone()),
                    (None, Some(Value::Array(err))) => Err((
                        err[0].as_str().unwrap_or_default().to_owned(),
                        err[1].as_str().unwrap_or_default().to_owned(),
                    )),
                    _ => panic!("line {}: neither ok nor err", index + 1),
                };
                Case {
                    line: index + 1,
                    function: value["fn"].as_str().unwrap_or_default().to_owned(),
                    args: value["args"].as_array().cloned().unwrap_or_default(),
                    expected,
                }
            })
            .collect()
    }

    /// Runs every case through `run` and fails listing each mismatch.
    /// `run` returns `None` for a case it does not handle, which also fails,
    /// so a fixture line can never be skipped silently.
    pub fn replay(text: &str, run: impl Fn(&Case) -> Option<Result<Value, PyError>>) {
        let cases = cases(text);
        assert!(!cases.is_empty(), "the fixture is empty");
        let mut failures = Vec::new();
        for case in &cases {
            let actual = run(case);
            let matches = match (&actual, &case.expected) {
                (Some(Ok(actual)), Ok(expected)) => actual == expected,
                (Some(Err(actual)), Err((kind, message))) => {
                    actual.kind == kind && &actual.message == message
                }
                _ => false,
            };
            if !matches {
                failures.push(format!(
                    "line {}: {}({:?}): expected {:?}, got {:?}",
                    case.line, case.function, case.args, case.expected, actual
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} cases differ from CPython:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
    }
}
