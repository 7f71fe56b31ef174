//! The memory budget of one compile or render: every allocation a template
//! drives (lists and ranges made concrete, slices, `slice`/`batch`, sorts,
//! concatenation, joins, dicts, repetition, padding) is charged here before
//! it is made, so a hostile template fails with `RenderLimitExceeded`
//! instead of aborting the process on allocation failure.
//!
//! What is charged is the total allocated in the render, not what is alive
//! at once: simpler to keep exact, and no real template comes near it.
//!
//! The budget lives in a thread-local so that value operations deep in
//! `ops`, `methods` and `filters` charge it without every signature carrying
//! the render's state; [`Scope`] sets it up for one compile or render on
//! this thread and restores the previous one when dropped.

use std::cell::Cell;

use super::error::Exc;

/// Largest output (and largest single string or list) a render may build.
pub(crate) const MAX_OUTPUT_BYTES: usize = 256 << 20;

/// Bytes one render may allocate unless the engine's options say otherwise.
pub const DEFAULT_MEMORY_BUDGET: usize = 256 << 20;

#[derive(Clone, Copy)]
struct Budget {
    used: usize,
    limit: usize,
}

thread_local! {
    /// Outside any [`Scope`] nothing is counted.
    static BUDGET: Cell<Budget> = const { Cell::new(Budget { used: 0, limit: usize::MAX }) };
    /// An error raised where the operation cannot fail (Python's `==`),
    /// raised by the evaluator once that operation returns.
    static DEFERRED: std::cell::RefCell<Option<Exc>> = const { std::cell::RefCell::new(None) };
    /// Whether [`DEFERRED`] holds an error: checked after every comparison, so kept cheap.
    static HAS_DEFERRED: Cell<bool> = const { Cell::new(false) };
}

/// Keeps `error` (the first one) for the evaluator's next step.
pub(crate) fn fail_later(error: Exc) {
    DEFERRED.with(|d| {
        d.borrow_mut().get_or_insert(error);
    });
    HAS_DEFERRED.with(|flag| flag.set(true));
}

/// The error kept by [`fail_later`], if any.
#[inline]
pub(crate) fn take_deferred() -> Option<Exc> {
    if !HAS_DEFERRED.with(Cell::get) {
        return None;
    }
    HAS_DEFERRED.with(|flag| flag.set(false));
    DEFERRED.with(|d| d.borrow_mut().take())
}

/// The budget of one compile or render on this thread.
pub(crate) struct Scope {
    previous: Budget,
}

impl Scope {
    pub(crate) fn enter(limit: usize) -> Scope {
        take_deferred();
        let previous = BUDGET.with(|b| b.replace(Budget { used: 0, limit }));
        Scope { previous }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        BUDGET.with(|b| b.set(self.previous));
    }
}

/// Charges `bytes` about to be allocated.
pub(crate) fn charge(bytes: usize) -> Result<(), Exc> {
    BUDGET.with(|b| {
        let mut budget = b.get();
        budget.used = budget.used.saturating_add(bytes);
        if budget.used > budget.limit {
            return Err(Exc::limit(format!(
                "the template allocated more than its memory budget of {} MiB",
                budget.limit >> 20
            )));
        }
        b.set(budget);
        Ok(())
    })
}
