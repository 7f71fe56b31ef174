//! The journal thread: it reads what an earlier session left in the
//! workspace's journal, then writes the newest unsaved state the app asks
//! for (latest wins, debounced), and flushes it when the studio quits.

use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::app::journal::JournalStore;
use crate::app::{Event, Notice};
use crate::core::template::DatasetTemplates;

use super::workers::panic_message;
use super::Incoming;

pub(super) const JOURNAL_THREAD: &str = "promptstudio-journal";

/// Journal writes wait this long for more edits, so a burst of typing
/// costs one write.
const JOURNAL_DEBOUNCE: Duration = Duration::from_millis(300);

#[derive(Default)]
struct JournalSlot {
    /// The newest files to journal, not yet written.
    next: Option<Vec<DatasetTemplates>>,
    finishing: bool,
}

/// The journal thread and the slot it takes work from.
pub(super) struct JournalWriter {
    slot: Arc<(Mutex<JournalSlot>, Condvar)>,
    thread: std::thread::JoinHandle<()>,
}

impl JournalWriter {
    pub(super) fn start(store: JournalStore, sender: Sender<Incoming>) -> Option<JournalWriter> {
        let slot = Arc::new((Mutex::new(JournalSlot::default()), Condvar::new()));
        let shared = slot.clone();
        let spawned = std::thread::Builder::new()
            .name(JOURNAL_THREAD.into())
            .spawn(move || {
                let found = store.read().map_err(|error| format!("{error:#}"));
                if sender.send(Incoming::App(Event::Journal(found))).is_err() {
                    return;
                }
                let (slot, changed) = &*shared;
                loop {
                    let files = {
                        let Ok(mut guard) = slot.lock() else {
                            return;
                        };
                        while guard.next.is_none() && !guard.finishing {
                            guard = match changed.wait(guard) {
                                Ok(guard) => guard,
                                Err(_) => return,
                            };
                        }
                        match guard.next.take() {
                            Some(files) => files,
                            None => return,
                        }
                    };
                    let written = std::panic::catch_unwind(|| store.write(&files)).unwrap_or_else(
                        |payload| {
                            Err(anyhow::anyhow!(
                                "internal error (please report it): {}",
                                panic_message(&*payload)
                            ))
                        },
                    );
                    if let Err(error) = written {
                        let notice = Notice {
                            text: format!("Unsaved edits are not journaled: {error:#}"),
                            is_error: true,
                        };
                        let _ = sender.send(Incoming::App(Event::Notice(notice)));
                    }
                    // Debounce: later requests replace each other meanwhile.
                    if let Ok(guard) = slot.lock() {
                        let _ =
                            changed.wait_timeout_while(guard, JOURNAL_DEBOUNCE, |s| !s.finishing);
                    }
                }
            });
        match spawned {
            Ok(thread) => Some(JournalWriter { slot, thread }),
            Err(error) => {
                eprintln!("cannot start the journal thread: {error}");
                None
            }
        }
    }

    pub(super) fn replace(&self, files: Vec<DatasetTemplates>) {
        let (slot, changed) = &*self.slot;
        if let Ok(mut slot) = slot.lock() {
            slot.next = Some(files);
            changed.notify_all();
        }
    }

    pub(super) fn finish(self) {
        let (slot, changed) = &*self.slot;
        if let Ok(mut slot) = slot.lock() {
            slot.finishing = true;
            changed.notify_all();
        }
        let _ = self.thread.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::template::Template;
    use std::sync::mpsc;

    #[test]
    fn the_journal_is_read_first_then_written_latest_first_and_flushed_on_finish() {
        let state = tempfile::tempdir().unwrap();
        let workspace = tempfile::tempdir().unwrap();
        let store = JournalStore::new(state.path(), workspace.path());
        let mut earlier = DatasetTemplates::new(workspace.path().join("t.yaml"), "d", None);
        earlier.templates.push(Template::new("from before"));
        store.write(std::slice::from_ref(&earlier)).unwrap();

        let (sender, receiver) = mpsc::channel();
        let writer = JournalWriter::start(store.clone(), sender).unwrap();
        let Ok(Incoming::App(Event::Journal(Ok(found)))) =
            receiver.recv_timeout(Duration::from_secs(10))
        else {
            panic!("expected the earlier journal");
        };
        assert_eq!(found[0].templates, earlier.templates);
        for name in ["one", "two", "three"] {
            let mut now = earlier.clone();
            now.templates[0] = Template::new(name);
            writer.replace(vec![now]);
        }
        writer.finish();
        let written = store.read().unwrap();
        assert_eq!(&*written[0].templates[0].name, "three");
    }
}
