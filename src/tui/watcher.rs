//! Watching the workspace for outside changes. Folders are watched, not
//! files: an editor's atomic save replaces the file's inode, and the full
//! debouncer turns its write-temp-then-rename into one event on the target.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::Duration;

use notify::RecursiveMode;
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};

use super::Incoming;
use crate::app::Event;

pub type Watcher = Debouncer<notify::RecommendedWatcher, RecommendedCache>;

/// Starts watching; the returned value must be kept alive.
pub fn watch(roots: &[(PathBuf, bool)], sender: Sender<Incoming>) -> notify::Result<Watcher> {
    let mut debouncer = new_debouncer(
        Duration::from_millis(150),
        None,
        move |result: DebounceEventResult| {
            let Ok(events) = result else {
                return;
            };
            let paths: BTreeSet<PathBuf> = events
                .iter()
                .filter(|event| !event.kind.is_access() && !event.kind.is_other())
                .flat_map(|event| event.paths.iter())
                .filter(|path| is_interesting(path))
                .cloned()
                .collect();
            for path in paths {
                let _ = sender.send(Incoming::App(Event::FileChanged(path)));
            }
        },
    )?;
    for (root, recursive) in roots {
        let mode = if *recursive {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        debouncer.watch(root, mode)?;
    }
    Ok(debouncer)
}

/// Templates files and row files; editors' swap and temporary files are not.
fn is_interesting(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if name.starts_with('.') || name.ends_with('~') {
        return false;
    }
    name == "templates.yaml"
        || matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("parquet" | "jsonl" | "json" | "csv" | "arrow")
        )
}
