//! Work off the UI thread: the preview (one thread, newest request wins),
//! the batch page and whole-split statistics (cancellable), split sizes, and
//! the filesystem work of saving, reloading and finding splits (one thread,
//! in the order asked, so a save and the reload that follows it never cross).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::app::backend::{CompiledPrompt, Diagnostic, Engine, SplitRef, Workspace};
use crate::app::disk::DiskRequest;
use crate::app::journal::JournalStore;
use crate::app::stats::SplitStats;
use crate::app::{
    BatchRequest, BatchRow, BatchUpdate, Effect, Event, PreviewError, PreviewRequest, PreviewResult,
};
use crate::core::datum::Row;
use crate::core::template::Template;
use crate::data::SplitRows;

use super::journal::{JournalWriter, JOURNAL_THREAD};
use super::Incoming;

mod fewshot;
mod model;
pub use model::ModelSetup;

/// Waits for the newest request put in a "latest wins" slot and takes it;
/// `None` when the slot's lock is poisoned (the studio is going down).
pub(super) fn take_newest<T>(slot: &(Mutex<Option<T>>, Condvar)) -> Option<T> {
    let (slot, ready) = slot;
    let mut guard = slot.lock().ok()?;
    loop {
        if let Some(request) = guard.take() {
            return Some(request);
        }
        guard = ready.wait(guard).ok()?;
    }
}

/// Threads whose panics are caught and shown as errors (see `guarded`);
/// the panic hook leaves the terminal alone for them.
pub const GUARDED_THREADS: &[&str] = &[
    PREVIEW_THREAD,
    BATCH_THREAD,
    DISK_THREAD,
    JOURNAL_THREAD,
    super::chat_worker::CHAT_THREAD,
];
const PREVIEW_THREAD: &str = "promptstudio-preview";
const BATCH_THREAD: &str = "promptstudio-batch";
const DISK_THREAD: &str = "promptstudio-disk";

/// The message of a caught panic.
pub(super) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned())
}

/// Runs engine code so that a panic in it (a bug, never user input) shows
/// as an error on the row instead of killing the worker.
fn guarded<T>(work: impl FnOnce() -> Result<T, Diagnostic>) -> Result<T, Diagnostic> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        let message = panic_message(&*payload);
        Err(Diagnostic {
            message: format!("internal error in the template engine (please report it): {message}"),
            line: None,
            column: None,
        })
    })
}

/// A split's rows as the workers share them.
type SharedRows = Arc<dyn SplitRows + Send + Sync>;

/// Rows read per block in whole-split scans.
const SCAN_BLOCK: usize = 1024;
/// Statistics progress is sent at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// A split's files and the data epoch it was opened in.
type SourceKey = (Vec<PathBuf>, u64);

/// Opened sources, shared by the workers; reopened when a data file changes.
#[derive(Default)]
struct Sources {
    open: Mutex<HashMap<SourceKey, SharedRows>>,
    /// Splits someone already waits on to be counted.
    counting: Mutex<std::collections::HashSet<SourceKey>>,
}

impl Sources {
    /// Once per split and epoch: waits (on a thread of its own) until
    /// `source` is counted and sends the count, so that the preview turns
    /// `row 3 · 1,024+ rows` into the final count.
    fn report_count(&self, source: SharedRows, key: SourceKey, sender: &Sender<Incoming>) {
        let first = self
            .counting
            .lock()
            .is_ok_and(|mut waiting| waiting.insert(key.clone()));
        if !first {
            return;
        }
        let sender = sender.clone();
        let _ = std::thread::Builder::new()
            .name("promptstudio-count".into())
            .spawn(move || {
                if let Ok(rows) = source.wait_for_row_count() {
                    let (split, data_epoch) = key;
                    let event = Event::RowsCounted {
                        split,
                        data_epoch,
                        rows,
                    };
                    let _ = sender.send(Incoming::App(event));
                }
            });
    }

    fn get(
        &self,
        workspace: &dyn Workspace,
        split: &SplitRef,
        epoch: u64,
    ) -> Result<SharedRows, String> {
        let key = (split.found.paths.clone(), epoch);
        if let Some(source) = self.open.lock().map_err(|_| "a worker crashed")?.get(&key) {
            return Ok(source.clone());
        }
        let source = workspace
            .open(split)
            .map_err(|error| format!("{}: {error:#}", split.location()))?;
        let mut open = self.open.lock().map_err(|_| "a worker crashed")?;
        open.retain(|(_, e), _| *e == epoch);
        open.insert(key, source.clone());
        Ok(source)
    }
}

/// The last row read by the preview: (split files, data epoch, index) and the row.
type RowKey = ((Vec<PathBuf>, u64, usize), Row);

type Compiled = Result<Arc<dyn CompiledPrompt>, Diagnostic>;

/// A compiled template, kept while its text does not change.
#[derive(Default)]
struct CompileCache {
    last: Option<(Template, Compiled)>,
}

impl CompileCache {
    fn get(
        &mut self,
        engine: &dyn Engine,
        template: &Template,
    ) -> Result<Arc<dyn CompiledPrompt>, Diagnostic> {
        let same = |cached: &Template| {
            cached.jinja == template.jinja && cached.answer_choices == template.answer_choices
        };
        if let Some((cached, compiled)) = &self.last {
            if same(cached) {
                return compiled.clone();
            }
        }
        let compiled = guarded(|| engine.compile(template));
        self.last = Some((template.clone(), compiled.clone()));
        compiled
    }
}

pub struct Workers {
    engine: Arc<dyn Engine>,
    workspace: Arc<dyn Workspace>,
    sources: Arc<Sources>,
    sender: Sender<Incoming>,
    preview_slot: Arc<(Mutex<Option<PreviewRequest>>, Condvar)>,
    /// The generation whose statistics may keep running; anything else stops.
    stats_token: Arc<AtomicU64>,
    disk: Option<Sender<DiskRequest>>,
    journal: Option<JournalWriter>,
    model: Option<model::ModelWorker>,
    chat: super::chat_worker::ChatWorker,
}

impl Workers {
    pub fn start(
        engine: Arc<dyn Engine>,
        workspace: Arc<dyn Workspace>,
        sender: Sender<Incoming>,
    ) -> Workers {
        let mut workers = Workers {
            engine,
            workspace,
            sources: Arc::new(Sources::default()),
            sender: sender.clone(),
            preview_slot: Arc::new((Mutex::new(None), Condvar::new())),
            stats_token: Arc::new(AtomicU64::new(0)),
            disk: None,
            journal: None,
            model: None,
            chat: super::chat_worker::ChatWorker::start(sender.clone()),
        };
        workers.spawn_preview_thread();
        workers.disk = workers.spawn_disk_thread();
        workers
    }

    /// Starts the work an effect asks for.
    pub fn run(&self, effect: Effect) {
        match effect {
            Effect::Preview(request) => {
                let (slot, ready) = &*self.preview_slot;
                if let Ok(mut slot) = slot.lock() {
                    // Replacing an unstarted request is the "latest wins":
                    // typing fast never queues stale renders.
                    *slot = Some(request);
                    ready.notify_one();
                }
            }
            Effect::Batch(request) => self.spawn_batch(request),
            Effect::CancelBatch => {
                self.stats_token.store(u64::MAX, Ordering::SeqCst);
            }
            Effect::SplitSizes(datasets) => self.spawn_split_sizes(datasets),
            Effect::Disk(request) => {
                let sent = self
                    .disk
                    .as_ref()
                    .is_some_and(|disk| disk.send(request).is_ok());
                if !sent {
                    eprintln!("the disk thread is gone: the request was dropped");
                }
            }
            Effect::Journal(files) => {
                if let Some(journal) = &self.journal {
                    journal.replace(files);
                }
            }
            Effect::Model(request) => {
                if let Some(model) = &self.model {
                    model.run(request);
                }
            }
            Effect::Chat(request) => self.chat.run(request),
            Effect::PromptedRow(request) => self.spawn_prompted(request),
            Effect::Copy(_) | Effect::SetMouse(_) | Effect::Quit => {}
        }
    }

    /// Starts answering [`Effect::Model`]: the connection is read now (off
    /// this thread) and the server contacted on the first request.
    pub fn start_model(&mut self, setup: ModelSetup) {
        self.model = Some(model::ModelWorker::start(
            setup,
            self.engine.clone(),
            self.workspace.clone(),
            self.sources.clone(),
            self.sender.clone(),
        ));
    }

    fn spawn_preview_thread(&self) {
        let slot = self.preview_slot.clone();
        let engine = self.engine.clone();
        let workspace = self.workspace.clone();
        let sources = self.sources.clone();
        let sender = self.sender.clone();
        let spawned = std::thread::Builder::new()
            .name(PREVIEW_THREAD.into())
            .stack_size(crate::core::jinja::RENDER_STACK_SIZE)
            .spawn(move || {
                let mut cache = CompileCache::default();
                let mut last_row: Option<RowKey> = None;
                loop {
                    let Some(request) = take_newest(&slot) else {
                        return;
                    };
                    let result = preview(
                        &*engine,
                        &*workspace,
                        &sources,
                        &sender,
                        &mut cache,
                        &mut last_row,
                        request,
                    );
                    if sender.send(Incoming::App(Event::Preview(result))).is_err() {
                        return;
                    }
                }
            });
        if let Err(error) = spawned {
            eprintln!("cannot start the preview thread: {error}");
        }
    }

    fn spawn_batch(&self, request: BatchRequest) {
        if request.with_stats {
            self.stats_token.store(request.generation, Ordering::SeqCst);
        }
        let engine = self.engine.clone();
        let workspace = self.workspace.clone();
        let sources = self.sources.clone();
        let sender = self.sender.clone();
        let token = self.stats_token.clone();
        let _ = std::thread::Builder::new()
            .name(BATCH_THREAD.into())
            .stack_size(crate::core::jinja::RENDER_STACK_SIZE)
            .spawn(move || {
                batch(&*engine, &*workspace, &sources, &sender, &token, request);
            });
    }

    fn spawn_prompted(&self, request: crate::app::prompted::PromptedRequest) {
        let engine = self.engine.clone();
        let workspace = self.workspace.clone();
        let sources = self.sources.clone();
        let sender = self.sender.clone();
        let _ = std::thread::Builder::new()
            .name(BATCH_THREAD.into())
            .stack_size(crate::core::jinja::RENDER_STACK_SIZE)
            .spawn(move || {
                let result = match sources.get(&*workspace, &request.split, request.data_epoch) {
                    Ok(source) => request.perform(&*engine, source),
                    Err(message) => crate::app::prompted::PromptedResult {
                        generation: request.generation,
                        row: request.row,
                        outcomes: Err(message),
                    },
                };
                let _ = sender.send(Incoming::App(Event::Prompted(result)));
            });
    }

    /// Starts journaling unsaved edits to `store`, after reading what an
    /// earlier session left there (sent as [`Event::Journal`]).
    pub fn journal_to(&mut self, store: JournalStore) {
        self.journal = JournalWriter::start(store, self.sender.clone());
    }

    /// Writes the last journal state asked for and stops journaling (on quit).
    pub fn finish_journal(&mut self) {
        if let Some(journal) = self.journal.take() {
            journal.finish();
        }
    }

    /// The thread that saves, reloads and finds splits, one request after
    /// the other.
    fn spawn_disk_thread(&self) -> Option<Sender<DiskRequest>> {
        let (requests, incoming) = std::sync::mpsc::channel::<DiskRequest>();
        let workspace = self.workspace.clone();
        let sender = self.sender.clone();
        let spawned = std::thread::Builder::new()
            .name(DISK_THREAD.into())
            .spawn(move || {
                for request in incoming {
                    // A bug in saving or reading must not take the thread
                    // (and every later save) with it: it fails that request.
                    let fallback = request.clone();
                    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        request.perform(&*workspace)
                    }))
                    .unwrap_or_else(|payload| {
                        fallback.failed(&format!(
                            "internal error (please report it): {}",
                            panic_message(&*payload)
                        ))
                    });
                    if sender.send(Incoming::App(Event::Disk(answer))).is_err() {
                        return;
                    }
                }
            });
        match spawned {
            Ok(_) => Some(requests),
            Err(error) => {
                eprintln!("cannot start the disk thread: {error}");
                None
            }
        }
    }

    fn spawn_split_sizes(&self, datasets: Vec<(String, String, Option<String>)>) {
        let workspace = self.workspace.clone();
        let sender = self.sender.clone();
        let _ = std::thread::Builder::new()
            .name("promptstudio-sizes".into())
            .spawn(move || {
                let splits = datasets.into_iter().flat_map(|(title, dataset, subset)| {
                    workspace
                        .splits(&dataset, subset.as_deref())
                        .into_iter()
                        .map(move |split| (title.clone(), split))
                });
                for (title, split) in splits {
                    let rows = workspace
                        .open(&split)
                        .and_then(|s| s.wait_for_row_count())
                        .map_err(|e| format!("{e:#}"));
                    let event = Event::SplitSize {
                        title,
                        split: split.name,
                        rows,
                    };
                    if sender.send(Incoming::App(event)).is_err() {
                        return;
                    }
                }
            });
    }
}

/// Compiles (or reuses) the template, fetches the row (or reuses it) and applies.
fn preview(
    engine: &dyn Engine,
    workspace: &dyn Workspace,
    sources: &Sources,
    sender: &Sender<Incoming>,
    cache: &mut CompileCache,
    last_row: &mut Option<RowKey>,
    request: PreviewRequest,
) -> PreviewResult {
    let started = Instant::now();
    let compiled = cache.get(engine, &request.template);
    let mut result = PreviewResult {
        generation: request.generation,
        outcome: Err(PreviewError::Data(String::new())),
        row: None,
        row_count: None,
        counting: false,
        features: Vec::new(),
        elapsed: Duration::ZERO,
        fewshot: None,
    };
    let source = match &request.split {
        None => Err("No rows found for this dataset: put them at data/<dataset>/<subset or _>/<split>.parquet".to_owned()),
        Some(split) => sources.get(workspace, split, request.data_epoch),
    };
    let row = source.as_ref().map_err(Clone::clone).and_then(|source| {
        let index = request.row;
        let count = source.row_count();
        let mut reached = 0;
        if !count.is_exact() && index >= count.known() {
            // Past the rows counted so far (none, just after opening):
            // reading the row waits for the count to reach it; a row past
            // the end waits for the final count.
            if source
                .rows(index..index + 1)
                .is_ok_and(|rows| !rows.is_empty())
            {
                reached = index + 1;
            } else {
                source
                    .wait_for_row_count()
                    .map_err(|e| format!("counting rows: {e:#}"))?;
            }
        }
        let count = source.row_count();
        let known = count.known().max(reached);
        result.row_count = Some(known);
        result.counting = !count.is_exact();
        if result.counting {
            let key = (source_path(&request), request.data_epoch);
            sources.report_count(source.clone(), key, sender);
        }
        if known == 0 {
            return Err("This split has no rows".to_owned());
        }
        let index = index.min(known - 1);
        let key = (source_path(&request), request.data_epoch, index);
        let row = match last_row {
            Some((cached, row)) if *cached == key => row.clone(),
            _ => {
                let row = source
                    .row(index)
                    .map_err(|e| format!("row {index}: {e:#}"))?;
                *last_row = Some((key, row.clone()));
                row
            }
        };
        result.features = source.features();
        Ok(row)
    });
    result.outcome = match (&compiled, &row) {
        (Err(diagnostic), _) => Err(PreviewError::Template(diagnostic.clone())),
        (Ok(_), Err(message)) => Err(PreviewError::Data(message.clone())),
        (Ok(compiled), Ok(row)) => {
            guarded(|| compiled.apply(row, Some(request.seed), true)).map_err(PreviewError::Render)
        }
    };
    if let (Ok(source), Ok(compiled), Ok(_)) = (&source, &compiled, &row) {
        if request.shots > 0 {
            let index = request
                .row
                .min(result.row_count.unwrap_or(1).saturating_sub(1));
            result.fewshot = Some(Box::new(fewshot::fewshot_prompt(
                &**source,
                &**compiled,
                &request,
                index,
                &result.outcome,
            )));
        }
    }
    result.row = row.ok();
    result.elapsed = started.elapsed();
    result
}

fn source_path(request: &PreviewRequest) -> Vec<PathBuf> {
    request
        .split
        .as_ref()
        .map(|s| s.found.paths.clone())
        .unwrap_or_default()
}

/// One page of rows, then (if asked) the statistics over the whole split.
fn batch(
    engine: &dyn Engine,
    workspace: &dyn Workspace,
    sources: &Sources,
    sender: &Sender<Incoming>,
    token: &AtomicU64,
    request: BatchRequest,
) {
    let send = |update: BatchUpdate| sender.send(Incoming::App(Event::Batch(update))).is_ok();
    let source = match sources.get(workspace, &request.split, request.data_epoch) {
        Ok(source) => source,
        Err(message) => {
            send(BatchUpdate::Page {
                generation: request.generation,
                rows: Err(PreviewError::Data(message)),
                row_count: 0,
                features: Vec::new(),
            });
            return;
        }
    };
    let compiled = match guarded(|| engine.compile(&request.template)) {
        Ok(compiled) => compiled,
        Err(diagnostic) => {
            send(BatchUpdate::Page {
                generation: request.generation,
                rows: Err(PreviewError::Template(diagnostic)),
                row_count: source.row_count().known(),
                features: source.features(),
            });
            return;
        }
    };
    let page = source
        .rows(request.offset..request.offset + request.count)
        .map_err(|e| PreviewError::Data(format!("{e:#}")))
        .map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, row)| BatchRow {
                    index: request.offset + i,
                    outcome: guarded(|| compiled.apply(&row, Some(request.seed), false)),
                    row,
                })
                .collect()
        });
    if !send(BatchUpdate::Page {
        generation: request.generation,
        rows: page,
        row_count: source.row_count().known(),
        features: source.features(),
    }) || !request.with_stats
    {
        return;
    }
    // The scan reads through its own reader of the split, so the preview,
    // which shares the cached one, never waits behind a block of the scan.
    let source = match workspace.open(&request.split) {
        Ok(own) => own,
        Err(_) => source,
    };
    // The scan runs on its own thread: it may wait for a text split's count.
    let total = source
        .wait_for_row_count()
        .unwrap_or_else(|_| source.row_count().known());
    let mut stats = SplitStats::with_features(total, &source.features());
    let mut last_sent = Instant::now();
    let mut start = 0;
    while start < total {
        if token.load(Ordering::SeqCst) != request.generation {
            return;
        }
        let rows = match source.rows(start..start + SCAN_BLOCK) {
            Ok(rows) => rows,
            Err(error) => {
                stats
                    .first_error
                    .get_or_insert((start, format!("reading rows: {error:#}")));
                break;
            }
        };
        if rows.is_empty() {
            break;
        }
        for (i, row) in rows.iter().enumerate() {
            let outcome = guarded(|| compiled.apply(row, Some(request.seed), false));
            stats.add(start + i, &outcome);
            stats.add_label(row);
            if let Some(model) = &request.chat {
                crate::app::chat::count_row_tokens(model, &outcome, &mut stats.tokens);
            }
        }
        start += rows.len();
        if last_sent.elapsed() >= PROGRESS_EVERY {
            last_sent = Instant::now();
            if !send(BatchUpdate::Stats {
                generation: request.generation,
                stats: stats.clone(),
            }) {
                return;
            }
        }
    }
    stats.finished = true;
    send(BatchUpdate::Stats {
        generation: request.generation,
        stats,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::backend::{LoadError, Rendered, SaveError};
    use crate::core::datum::Datum;
    use crate::core::template::DatasetTemplates;
    use crate::data::resolve::{Found, Origin};
    use crate::data::source::RowCount;
    use std::path::Path;
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc;

    /// Compiles slowly and counts compilations; renders `jinja` + the row index.
    struct SlowEngine {
        compiles: AtomicUsize,
    }

    struct Echo(String);

    impl CompiledPrompt for Echo {
        fn apply(
            &self,
            row: &Row,
            _seed: Option<u64>,
            _spans: bool,
        ) -> Result<Rendered, Diagnostic> {
            let index = match row.get("index") {
                Some(Datum::Int(i)) => *i,
                _ => -1,
            };
            Ok(Rendered {
                parts: vec![format!("{} #{index}", self.0)],
                ..Rendered::default()
            })
        }
    }

    impl Engine for SlowEngine {
        fn compile(&self, template: &Template) -> Result<Arc<dyn CompiledPrompt>, Diagnostic> {
            self.compiles.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(30));
            Ok(Arc::new(Echo(template.jinja.to_string())))
        }
    }

    struct Numbers(usize);

    impl SplitRows for Numbers {
        fn row_count(&self) -> RowCount {
            RowCount::Exact(self.0 as u64)
        }
        fn wait_for_row_count(&self) -> anyhow::Result<usize> {
            Ok(self.0)
        }
        fn rows(&self, range: std::ops::Range<usize>) -> anyhow::Result<Vec<Row>> {
            Ok((range.start..range.end.min(self.0))
                .map(|index| Row::new(vec![(Arc::from("index"), Datum::Int(index as i64))]))
                .collect())
        }
    }

    struct NumbersWorkspace;

    impl Workspace for NumbersWorkspace {
        fn discover(&self) -> (Vec<DatasetTemplates>, Vec<LoadError>) {
            (Vec::new(), Vec::new())
        }
        fn reload(&self, path: &Path) -> Result<DatasetTemplates, LoadError> {
            Err(LoadError {
                path: path.to_owned(),
                line: None,
                column: None,
                message: "none".into(),
            })
        }
        fn save(&self, _: &mut DatasetTemplates, _: bool) -> Result<(), SaveError> {
            Ok(())
        }
        fn splits(&self, _: &str, _: Option<&str>) -> Vec<SplitRef> {
            Vec::new()
        }
        fn open(&self, _: &SplitRef) -> anyhow::Result<SharedRows> {
            Ok(Arc::new(Numbers(5000)))
        }
        fn watch_roots(&self) -> Vec<(PathBuf, bool)> {
            Vec::new()
        }
    }

    fn split() -> SplitRef {
        SplitRef {
            name: "train".into(),
            found: Found {
                dataset: "numbers".into(),
                subset: None,
                split: "train".into(),
                origin: Origin::Workspace,
                paths: vec![PathBuf::from("/numbers/train.parquet")],
            },
        }
    }

    fn request(generation: u64, jinja: &str, row: usize) -> Effect {
        let mut template = Template::new("t");
        template.jinja = jinja.into();
        Effect::Preview(PreviewRequest {
            generation,
            template,
            split: Some(split()),
            row,
            seed: 0,
            data_epoch: 0,
            shots: 0,
            fewshot_seed: crate::core::fewshot::DEFAULT_SEED,
        })
    }

    fn next_event(receiver: &mpsc::Receiver<Incoming>) -> Event {
        match receiver.recv_timeout(Duration::from_secs(10)) {
            Ok(Incoming::App(event)) => event,
            Ok(_) => panic!("unexpected message"),
            Err(error) => panic!("no answer from the workers: {error}"),
        }
    }

    #[test]
    fn the_newest_preview_request_wins_and_compiles_are_reused() {
        let (sender, receiver) = mpsc::channel();
        let engine = Arc::new(SlowEngine {
            compiles: AtomicUsize::new(0),
        });
        let workers = Workers::start(engine.clone(), Arc::new(NumbersWorkspace), sender);
        for generation in 1..=20 {
            workers.run(request(generation, &format!("v{generation}"), 0));
        }
        let mut seen = Vec::new();
        loop {
            let Event::Preview(result) = next_event(&receiver) else {
                panic!("expected a preview");
            };
            seen.push(result.generation);
            if result.generation == 20 {
                assert_eq!(result.outcome.unwrap().parts, vec!["v20 #0".to_owned()]);
                assert_eq!(result.row_count, Some(5000));
                break;
            }
        }
        assert!(seen.len() < 20, "stale requests were rendered: {seen:?}");
        let compiles = engine.compiles.load(Ordering::SeqCst);
        // Moving to another row of the same template compiles nothing.
        workers.run(request(21, "v20", 7));
        let Event::Preview(result) = next_event(&receiver) else {
            panic!("expected a preview");
        };
        assert_eq!(result.outcome.unwrap().parts, vec!["v20 #7".to_owned()]);
        assert_eq!(engine.compiles.load(Ordering::SeqCst), compiles);
    }

    struct PanickingEngine;

    impl Engine for PanickingEngine {
        fn compile(&self, _: &Template) -> Result<Arc<dyn CompiledPrompt>, Diagnostic> {
            panic!("engine bug");
        }
    }

    #[test]
    fn an_engine_panic_is_an_error_on_the_row_and_the_worker_lives_on() {
        let (sender, receiver) = mpsc::channel();
        let workers = Workers::start(
            Arc::new(PanickingEngine),
            Arc::new(NumbersWorkspace),
            sender,
        );
        for generation in [1, 2] {
            workers.run(request(generation, &format!("v{generation}"), 0));
            let Event::Preview(result) = next_event(&receiver) else {
                panic!("expected a preview");
            };
            match result.outcome {
                Err(PreviewError::Template(diagnostic)) => {
                    assert!(
                        diagnostic.message.contains("engine bug"),
                        "{}",
                        diagnostic.message
                    )
                }
                other => panic!("expected the panic as an error, got {other:?}"),
            }
        }
    }

    #[test]
    fn disk_work_is_answered_in_the_order_asked() {
        use crate::app::disk::{DiskAnswer, DiskRequest, ReloadReason};
        let (sender, receiver) = mpsc::channel();
        let workers = Workers::start(
            Arc::new(PanickingEngine),
            Arc::new(NumbersWorkspace),
            sender,
        );
        for generation in [4, 5] {
            workers.run(Effect::Disk(DiskRequest::Splits {
                generation,
                dataset: "numbers".into(),
                subset: None,
            }));
        }
        workers.run(Effect::Disk(DiskRequest::Reload {
            path: PathBuf::from("/t/templates.yaml"),
            reason: ReloadReason::ChangedOnDisk,
        }));
        for expected in [4, 5] {
            let Event::Disk(DiskAnswer::Splits { generation, .. }) = next_event(&receiver) else {
                panic!("expected splits");
            };
            assert_eq!(generation, expected);
        }
        let Event::Disk(DiskAnswer::Reloaded { result, .. }) = next_event(&receiver) else {
            panic!("expected the reload");
        };
        assert_eq!(result.unwrap_err().message, "none");
    }

    /// Saving panics (a bug): the request fails, the thread lives on.
    struct PanickySaves;

    impl Workspace for PanickySaves {
        fn discover(&self) -> (Vec<DatasetTemplates>, Vec<LoadError>) {
            (Vec::new(), Vec::new())
        }
        fn reload(&self, path: &Path) -> Result<DatasetTemplates, LoadError> {
            NumbersWorkspace.reload(path)
        }
        fn save(&self, _: &mut DatasetTemplates, _: bool) -> Result<(), SaveError> {
            panic!("writer bug");
        }
        fn splits(&self, _: &str, _: Option<&str>) -> Vec<SplitRef> {
            Vec::new()
        }
        fn open(&self, split: &SplitRef) -> anyhow::Result<SharedRows> {
            NumbersWorkspace.open(split)
        }
        fn watch_roots(&self) -> Vec<(PathBuf, bool)> {
            Vec::new()
        }
    }

    #[test]
    fn a_panic_in_disk_work_fails_that_request_and_the_worker_lives_on() {
        use crate::app::disk::{DiskAnswer, DiskRequest};
        let (sender, receiver) = mpsc::channel();
        let workers = Workers::start(Arc::new(PanickingEngine), Arc::new(PanickySaves), sender);
        for _ in 0..2 {
            workers.run(Effect::Disk(DiskRequest::Save {
                file: 3,
                templates: DatasetTemplates::new("/t/templates.yaml", "d", None),
                overwrite: false,
            }));
            let Event::Disk(DiskAnswer::Saved { file, result, .. }) = next_event(&receiver) else {
                panic!("expected the save's answer");
            };
            assert_eq!(file, 3);
            let message = result.unwrap_err().to_string();
            assert!(message.contains("writer bug"), "{message}");
        }
    }

    #[test]
    fn batch_sends_a_page_then_whole_split_statistics() {
        let (sender, receiver) = mpsc::channel();
        let engine = Arc::new(SlowEngine {
            compiles: AtomicUsize::new(0),
        });
        let workers = Workers::start(engine, Arc::new(NumbersWorkspace), sender);
        let mut template = Template::new("t");
        template.jinja = "x".into();
        workers.run(Effect::Batch(BatchRequest {
            generation: 3,
            template,
            split: split(),
            offset: 4990,
            count: 50,
            seed: 0,
            with_stats: true,
            data_epoch: 0,
            chat: None,
        }));
        let Event::Batch(BatchUpdate::Page {
            generation,
            rows,
            row_count,
            ..
        }) = next_event(&receiver)
        else {
            panic!("expected a page");
        };
        assert_eq!((generation, row_count), (3, 5000));
        let rows = rows.unwrap();
        assert_eq!(rows.len(), 10, "the page is clamped to the split");
        assert_eq!(rows[0].index, 4990);
        loop {
            let Event::Batch(BatchUpdate::Stats { stats, .. }) = next_event(&receiver) else {
                panic!("expected statistics");
            };
            if stats.finished {
                assert_eq!((stats.done, stats.total, stats.errors), (5000, 5000, 0));
                assert_eq!(stats.empty_targets, 5000);
                break;
            }
        }
    }
}
