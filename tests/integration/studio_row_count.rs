//! A split still being counted (JSON Lines and CSV count in the background)
//! is not an empty split: the preview shows the row with the rows known so
//! far, marked as counting, and the final count when it arrives; the
//! catalog statistics (F6) wait for the count. The real workers drive a
//! split whose count the test releases.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::Duration;

use promptstudio::app::backend::{LoadError, SaveError, SplitRef, Workspace};
use promptstudio::app::engine::CoreEngine;
use promptstudio::app::{Effect, Event};
use promptstudio::core::datum::Row;
use promptstudio::core::template::DatasetTemplates;
use promptstudio::data::source::RowCount;
use promptstudio::data::SplitRows;
use promptstudio::tui::workers::Workers;
use promptstudio::tui::Incoming;

use crate::studio_support::{workspace, MemoryWorkspace, TestApp};

/// Rows that can be read at once, but whose count is unknown (none known
/// yet, as a text file just opened) until the test releases it.
struct CountingRows {
    rows: Vec<Row>,
    counted: AtomicBool,
}

impl SplitRows for CountingRows {
    fn row_count(&self) -> RowCount {
        if self.counted.load(Ordering::SeqCst) {
            RowCount::Exact(self.rows.len() as u64)
        } else {
            RowCount::AtLeast(0)
        }
    }
    fn wait_for_row_count(&self) -> anyhow::Result<usize> {
        while !self.counted.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(self.rows.len())
    }
    fn rows(&self, range: std::ops::Range<usize>) -> anyhow::Result<Vec<Row>> {
        let end = range.end.min(self.rows.len());
        Ok(self.rows[range.start.min(end)..end].to_vec())
    }
}

struct CountingWorkspace {
    inner: Arc<MemoryWorkspace>,
    rows: Arc<CountingRows>,
}

impl Workspace for CountingWorkspace {
    fn discover(&self) -> (Vec<DatasetTemplates>, Vec<LoadError>) {
        self.inner.discover()
    }
    fn reload(&self, path: &Path) -> Result<DatasetTemplates, LoadError> {
        self.inner.reload(path)
    }
    fn save(&self, templates: &mut DatasetTemplates, overwrite: bool) -> Result<(), SaveError> {
        self.inner.save(templates, overwrite)
    }
    fn splits(&self, dataset: &str, subset: Option<&str>) -> Vec<SplitRef> {
        self.inner.splits(dataset, subset)
    }
    fn open(&self, _split: &SplitRef) -> anyhow::Result<Arc<dyn SplitRows + Send + Sync>> {
        Ok(self.rows.clone())
    }
    fn watch_roots(&self) -> Vec<(PathBuf, bool)> {
        Vec::new()
    }
}

/// The workers' events, in order; those a test is not waiting for yet are
/// kept for later.
struct Events {
    receiver: Receiver<Incoming>,
    kept: Vec<Event>,
}

impl Events {
    fn new(receiver: Receiver<Incoming>) -> Events {
        Events {
            receiver,
            kept: Vec::new(),
        }
    }

    fn next(&mut self, wanted: impl Fn(&Event) -> bool) -> Event {
        if let Some(index) = self.kept.iter().position(&wanted) {
            return self.kept.remove(index);
        }
        loop {
            match self.receiver.recv_timeout(Duration::from_secs(10)) {
                Ok(Incoming::App(event)) if wanted(&event) => return event,
                Ok(Incoming::App(event)) => self.kept.push(event),
                Ok(_) => {}
                Err(error) => panic!("no event from the workers: {error}"),
            }
        }
    }
}

#[test]
fn a_split_still_counting_shows_its_row_then_its_count() {
    let memory = workspace();
    let rows = Arc::new(CountingRows {
        rows: memory.rows.clone(),
        counted: AtomicBool::new(false),
    });
    let counting = Arc::new(CountingWorkspace {
        inner: memory,
        rows: rows.clone(),
    });
    let (sender, receiver) = channel();
    let mut events = Events::new(receiver);
    let workers = Workers::start(Arc::new(CoreEngine), counting.clone(), sender);
    let mut app = TestApp::new(counting);
    for effect in app.take_effects() {
        if matches!(effect, Effect::Preview(_)) {
            workers.run(effect);
        }
    }
    let preview = events.next(|event| matches!(event, Event::Preview(_)));
    app.update(preview);
    let result = app.preview.result.as_ref().expect("a preview");
    assert!(result.outcome.is_ok(), "{:?}", result.outcome);
    assert_eq!(app.preview.row, 0);
    assert!(app.preview.counting, "the count is not final yet");
    assert_eq!(app.preview.row_count, Some(1), "the row read is known");

    rows.counted.store(true, Ordering::SeqCst);
    let counted = events.next(|event| matches!(event, Event::RowsCounted { .. }));
    app.update(counted);
    assert!(!app.preview.counting);
    assert_eq!(app.preview.row_count, Some(3));
}

#[test]
fn catalog_statistics_wait_for_a_split_to_be_counted() {
    let memory = workspace();
    let rows = Arc::new(CountingRows {
        rows: memory.rows.clone(),
        counted: AtomicBool::new(false),
    });
    let counting = Arc::new(CountingWorkspace {
        inner: memory,
        rows: rows.clone(),
    });
    let (sender, receiver) = channel();
    let mut events = Events::new(receiver);
    let workers = Workers::start(Arc::new(CoreEngine), counting, sender);
    workers.run(Effect::SplitSizes(vec![(
        "ag_news".into(),
        "ag_news".into(),
        None,
    )]));
    std::thread::sleep(Duration::from_millis(50));
    rows.counted.store(true, Ordering::SeqCst);
    let size = events.next(|event| matches!(event, Event::SplitSize { .. }));
    let Event::SplitSize { rows, .. } = size else {
        unreachable!()
    };
    assert_eq!(rows, Ok(3), "not the rows counted so far (none)");
}

/// The repro of the issue on real files: a JSON Lines split larger than the
/// sample read at open, selected first at start-up.
#[test]
fn a_large_json_lines_split_selected_first_shows_its_rows() {
    use promptstudio::workspace::FolderWorkspace;

    const ROWS: usize = 50_000;
    let root = tempfile::tempdir().expect("temp");
    let data = root.path().join("data/big_news/_");
    std::fs::create_dir_all(&data).expect("folders");
    let lines: String = (0..ROWS)
        .map(|index| {
            format!(
                "{{\"text\": \"story {index}\", \"label\": {}}}\n",
                index % 4
            )
        })
        .collect();
    std::fs::write(data.join("train.jsonl"), lines).expect("rows");
    let mut file = DatasetTemplates::new(
        root.path().join("templates/big_news/templates.yaml"),
        "big_news",
        None,
    );
    file.templates = vec![crate::studio_support::template(
        "topic",
        "{{text}} ||| {{label}}",
        None,
    )];
    std::fs::create_dir_all(root.path().join("templates/big_news")).expect("folders");
    std::fs::write(&file.path, file.to_yaml()).expect("templates");

    let folder = Arc::new(FolderWorkspace::new(root.path(), None, None));
    let (sender, receiver) = channel();
    let mut events = Events::new(receiver);
    let workers = Workers::start(Arc::new(CoreEngine), folder.clone(), sender);
    workers.run(Effect::SplitSizes(vec![(
        "big_news".into(),
        "big_news".into(),
        None,
    )]));
    let mut app = TestApp::new(folder);
    let previews: Vec<Effect> = app
        .take_effects()
        .into_iter()
        .filter(|effect| matches!(effect, Effect::Preview(_)))
        .collect();
    assert!(!previews.is_empty(), "the first prompt is previewed");
    for effect in previews {
        workers.run(effect);
    }
    loop {
        let event = events.next(|event| matches!(event, Event::Preview(_)));
        app.update(event);
        if !app.preview.pending() {
            break;
        }
    }
    let result = app.preview.result.as_ref().expect("a preview");
    assert!(result.outcome.is_ok(), "{:?}", result.outcome);
    assert!(app.preview.row_count.is_some_and(|count| count >= 1));
    if app.preview.counting {
        let counted = events.next(|event| matches!(event, Event::RowsCounted { .. }));
        app.update(counted);
    }
    assert_eq!(app.preview.row_count, Some(ROWS));
    assert!(!app.preview.counting);
    let size = events.next(|event| matches!(event, Event::SplitSize { .. }));
    let Event::SplitSize { rows, .. } = size else {
        unreachable!()
    };
    assert_eq!(rows, Ok(ROWS));
}
