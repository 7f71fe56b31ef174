//! Writing in order while rendering goes on: one [`Lane`] per output writes
//! its batches one at a time on whichever worker is free, and the
//! [`Backlog`] holds the reader back when writing falls behind.

use std::sync::Arc;

use super::record::Example;
use super::writer::OutputFile;

/// Writes one output's batches in order, one at a time, on the pool.
pub(super) struct Lane<'o> {
    queue: std::sync::Mutex<LaneQueue>,
    /// Only the task draining the queue writes; the lock is never contended.
    file: std::sync::Mutex<&'o mut OutputFile>,
    error: std::sync::Mutex<Option<anyhow::Error>>,
}

#[derive(Default)]
pub(super) struct LaneQueue {
    /// Batches with their size for the backlog.
    batches: std::collections::VecDeque<(Arc<Vec<Vec<Example>>>, usize)>,
    /// A task is draining the queue.
    draining: bool,
    /// The export failed: drop instead of writing.
    abandoned: bool,
}

impl<'o> Lane<'o> {
    pub(super) fn new(file: &'o mut OutputFile) -> Lane<'o> {
        Lane {
            queue: std::sync::Mutex::new(LaneQueue::default()),
            file: std::sync::Mutex::new(file),
            error: std::sync::Mutex::new(None),
        }
    }

    /// Queues a batch; true when the caller must start a task to drain the
    /// queue (none is running).
    pub(super) fn push(&self, batch: Arc<Vec<Vec<Example>>>, bytes: usize) -> bool {
        let mut queue = lock(&self.queue);
        queue.batches.push_back((batch, bytes));
        !std::mem::replace(&mut queue.draining, true)
    }

    /// Writes queued batches until the queue is empty.
    pub(super) fn drain(&self, backlog: &Backlog) {
        let _unblock_on_panic = PanicGuard(backlog);
        loop {
            let (batch, bytes) = {
                let mut queue = lock(&self.queue);
                match queue.batches.pop_front() {
                    Some(item) if !queue.abandoned => item,
                    Some((_, bytes)) => {
                        backlog.remove(bytes);
                        continue;
                    }
                    None => {
                        queue.draining = false;
                        return;
                    }
                }
            };
            let written = lock(&self.file).write(&batch);
            // The last lane to write a batch frees it, on a worker rather
            // than on the reading thread.
            drop(batch);
            backlog.remove(bytes);
            if let Err(error) = written {
                lock(&self.error).get_or_insert(error);
                self.abandon();
            }
        }
    }

    pub(super) fn abandon(&self) {
        lock(&self.queue).abandoned = true;
    }

    pub(super) fn take_error(&self) -> Option<anyhow::Error> {
        lock(&self.error).take()
    }
}

/// Wakes the reader for good if a write task panics, so the export ends
/// (rayon re-raises the panic) instead of waiting for room forever.
pub(super) struct PanicGuard<'b>(&'b Backlog);

impl Drop for PanicGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            *lock(&self.0.queued) = 0;
            self.0.drained.notify_all();
        }
    }
}

/// A poisoned lock only means another task panicked; rayon re-raises that
/// panic at the end of the scope, so the data is still fine to use here.
pub(super) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Records queued for writing, across lanes, in bytes; the reader waits
/// while there are more than the limit, so memory stays bounded when writing
/// is slower than rendering.
pub(super) struct Backlog {
    queued: std::sync::Mutex<usize>,
    drained: std::sync::Condvar,
    limit: usize,
}

impl Backlog {
    pub(super) fn new(limit: usize) -> Backlog {
        Backlog {
            queued: std::sync::Mutex::new(0),
            drained: std::sync::Condvar::new(),
            limit,
        }
    }

    pub(super) fn add(&self, bytes: usize) {
        *lock(&self.queued) += bytes;
    }

    pub(super) fn remove(&self, bytes: usize) {
        let mut queued = lock(&self.queued);
        *queued = queued.saturating_sub(bytes);
        drop(queued);
        self.drained.notify_one();
    }

    pub(super) fn wait_for_room(&self) {
        let mut queued = lock(&self.queued);
        while *queued > self.limit {
            queued = self
                .drained
                .wait(queued)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}
