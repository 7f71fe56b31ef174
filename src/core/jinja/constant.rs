//! Compile-time constants: what the parser reads and the folder computes,
//! shared by the template tree and the values a render makes from them.

use std::sync::Arc;

/// A compile-time constant: what Jinja2's optimizer may fold an expression
/// into. Unlike a `Value` it is thread-safe, so compiled templates can be shared.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Const {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    List(Arc<[Const]>),
    Tuple(Arc<[Const]>),
    Dict(Arc<[(Const, Const)]>),
    Range(PyRange),
}

/// Python's `range` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PyRange {
    pub start: i64,
    pub stop: i64,
    pub step: i64,
}

impl PyRange {
    pub(crate) fn len(&self) -> usize {
        let (lo, hi, step) = if self.step > 0 {
            (self.start as i128, self.stop as i128, self.step as i128)
        } else {
            (self.stop as i128, self.start as i128, -(self.step as i128))
        };
        if lo >= hi {
            0
        } else {
            ((hi - lo - 1) / step + 1) as usize
        }
    }

    /// The item at `index < len()`; always within `start..stop`, so it fits.
    pub(crate) fn get(&self, index: usize) -> i64 {
        (self.start as i128 + self.step as i128 * index as i128) as i64
    }
}
