//! The model worker: the studio's requests to the model server, off the UI
//! thread. The preview's row runs on its own thread (a newer row cancels
//! it); a batch evaluation renders its rows and runs them through
//! [`Evaluator::run`] on another (a newer batch cancels it). The evaluator
//! is connected on the first request and shared by both.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::app::backend::{Engine, Workspace};
use crate::app::model_state::{ModelEvent, ModelRequest, ModelStatus};
use crate::app::Event;
use crate::core::template::Template;
use crate::export::record::SharedChoices;
use crate::model::cache::{self, ResponseCache};
use crate::model::client::{RequestError, RetryPolicy};
use crate::model::config::{self, Connection, ModelSettings};
use crate::model::job::{self, Prepared};
use crate::model::metrics;
use crate::model::run::{Evaluator, Mode, RowResult, RunError, Settings};
use crate::model::summary::{Summary, Tally};

use super::{guarded, Incoming, Sources};

/// Where the studio's model connection comes from.
pub enum ModelSetup {
    /// As `eval` resolves it: the workspace's `promptstudio.toml`, the
    /// user's config, the environment; the response cache in its default place.
    Workspace(PathBuf),
    /// Given (tests, benchmarks).
    Given {
        connection: Connection,
        eval_rows: usize,
        cache: Option<PathBuf>,
    },
}

/// A studio waits for no server: a few quick tries, then "unreachable".
const STUDIO_RETRY: RetryPolicy = RetryPolicy {
    tries: 3,
    base_delay: Duration::from_millis(200),
    max_delay: Duration::from_secs(2),
};

struct Shared {
    connection: Mutex<Option<Connection>>,
    cache_path: Mutex<Option<PathBuf>>,
    evaluator: Mutex<Option<Arc<Evaluator>>>,
    sender: Sender<Incoming>,
}

pub struct ModelWorker {
    shared: Arc<Shared>,
    engine: Arc<dyn Engine>,
    workspace: Arc<dyn Workspace>,
    sources: Arc<Sources>,
    row_cancel: Mutex<Arc<AtomicBool>>,
    batch_cancel: Mutex<Arc<AtomicBool>>,
}

impl ModelWorker {
    pub(super) fn start(
        setup: ModelSetup,
        engine: Arc<dyn Engine>,
        workspace: Arc<dyn Workspace>,
        sources: Arc<Sources>,
        sender: Sender<Incoming>,
    ) -> ModelWorker {
        let shared = Arc::new(Shared {
            connection: Mutex::new(None),
            cache_path: Mutex::new(None),
            evaluator: Mutex::new(None),
            sender,
        });
        let configuring = shared.clone();
        // Reading the configuration touches the disk: not on the UI thread.
        let _ = std::thread::Builder::new()
            .name("promptstudio-model-config".into())
            .spawn(move || configure(&configuring, setup));
        ModelWorker {
            shared,
            engine,
            workspace,
            sources,
            row_cancel: Mutex::new(Arc::new(AtomicBool::new(false))),
            batch_cancel: Mutex::new(Arc::new(AtomicBool::new(false))),
        }
    }

    pub(super) fn run(&self, request: ModelRequest) {
        match request {
            ModelRequest::CancelRow => {
                cancel(&self.row_cancel);
            }
            ModelRequest::CancelBatch => {
                cancel(&self.batch_cancel);
            }
            ModelRequest::Row {
                generation,
                job,
                settings,
            } => {
                let flag = cancel(&self.row_cancel);
                let shared = self.shared.clone();
                let _ = std::thread::Builder::new()
                    .name("promptstudio-model-row".into())
                    .spawn(move || {
                        let Some(evaluator) = shared.evaluator(generation, false, &flag) else {
                            return;
                        };
                        let outcome = if settings.mode == Mode::Generate {
                            stream_row(&shared, &evaluator, generation, &job, &settings, &flag)
                        } else {
                            evaluator.evaluate(&job, &settings, &flag, true)
                        };
                        match outcome {
                            Ok(result) => shared.send(ModelEvent::RowDone { generation, result }),
                            Err(error) => shared.failed(generation, false, error),
                        }
                    });
            }
            request @ ModelRequest::Batch { .. } => {
                let flag = cancel(&self.batch_cancel);
                let shared = self.shared.clone();
                let engine = self.engine.clone();
                let workspace = self.workspace.clone();
                let sources = self.sources.clone();
                let _ = std::thread::Builder::new()
                    .name("promptstudio-model-batch".into())
                    .stack_size(crate::core::jinja::RENDER_STACK_SIZE)
                    .spawn(move || {
                        yield_to_typing();
                        evaluate_batch(&shared, &*engine, &*workspace, &sources, &flag, request)
                    });
            }
        }
    }
}

/// A batch evaluation is background work: its thread, and the client
/// threads it starts (which inherit the value), run at a lower priority so
/// that the preview worker and the UI thread get the cores first when you
/// type (measured: keystroke → preview p99 26 ms while an evaluation against
/// an in-process server kept both cores busy, before this). On Linux the nice
/// value belongs to the calling thread; raising it needs no privilege.
fn yield_to_typing() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its integer arguments; `0` names the
    // calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

/// Renders the batch's rows, evaluates them, and reports each answer.
fn evaluate_batch(
    shared: &Shared,
    engine: &dyn Engine,
    workspace: &dyn Workspace,
    sources: &Sources,
    flag: &AtomicBool,
    request: ModelRequest,
) {
    let ModelRequest::Batch {
        generation,
        template,
        split,
        rows,
        data_epoch,
        settings,
        saved,
    } = request
    else {
        return;
    };
    let rendered = sources
        .get(workspace, &split, data_epoch)
        .and_then(|source| {
            let jobs = render_jobs(engine, &*source, &template, rows, &settings)?;
            Ok((source, jobs))
        });
    let (source, jobs) = match rendered {
        Ok(rendered) => rendered,
        Err(message) => {
            return shared.send(ModelEvent::BatchError {
                generation,
                message,
            })
        }
    };
    let (jobs, skipped) = jobs;
    shared.send(ModelEvent::BatchJobs {
        generation,
        jobs: jobs.clone(),
        skipped,
    });
    let Some(evaluator) = shared.evaluator(generation, true, flag) else {
        return;
    };
    if let Some(saved) = saved.filter(|_| evaluator.has_cache()) {
        if let Some(summary) = cached_summary(engine, &*source, &saved, rows, &settings, &evaluator)
        {
            shared.send(ModelEvent::BatchPrevious {
                generation,
                summary,
            });
        }
    }
    let concurrency = shared
        .connection
        .lock()
        .ok()
        .and_then(|c| c.as_ref().map(|c| c.concurrency))
        .unwrap_or(config::DEFAULT_CONCURRENCY);
    let outcome = evaluator.run(&jobs, &settings, concurrency, flag, &mut |index, result| {
        shared.send(ModelEvent::BatchRow {
            generation,
            index,
            result,
        })
    });
    match outcome {
        Ok(()) => shared.send(ModelEvent::BatchDone { generation }),
        Err(error) => shared.failed(generation, true, error),
    }
}

/// Raises the current flag (stopping its request) and puts a fresh one in its place.
fn cancel(slot: &Mutex<Arc<AtomicBool>>) -> Arc<AtomicBool> {
    let fresh = Arc::new(AtomicBool::new(false));
    if let Ok(mut current) = slot.lock() {
        current.store(true, Ordering::SeqCst);
        *current = fresh.clone();
    }
    fresh
}

fn configure(shared: &Shared, setup: ModelSetup) {
    let env = |name: &str| std::env::var(name).ok();
    let resolved = match setup {
        ModelSetup::Given {
            connection,
            eval_rows,
            cache,
        } => Ok((connection, eval_rows, cache)),
        ModelSetup::Workspace(folder) => {
            config::resolve(ModelSettings::default(), Some(&folder), &env).and_then(|connection| {
                let rows = config::studio_eval_rows(&folder)?;
                Ok((connection, rows, cache::default_path(&env)))
            })
        }
    };
    match resolved {
        Ok((connection, eval_rows, cache)) => {
            let event = ModelEvent::Configured {
                endpoint: connection.endpoint.clone(),
                model: connection.model.clone(),
                eval_rows,
            };
            if let Ok(mut slot) = shared.connection.lock() {
                *slot = Some(connection);
            }
            if let Ok(mut slot) = shared.cache_path.lock() {
                *slot = cache;
            }
            shared.send(event);
        }
        Err(error) => shared.send(ModelEvent::Misconfigured(format!("{error:#}"))),
    }
}

impl Shared {
    fn send(&self, event: ModelEvent) {
        let _ = self.sender.send(Incoming::App(Event::Model(event)));
    }

    /// The connected evaluator, connecting on first use; None (after
    /// saying why) when the server cannot be reached.
    fn evaluator(
        &self,
        generation: u64,
        batch: bool,
        cancel: &AtomicBool,
    ) -> Option<Arc<Evaluator>> {
        // One connection attempt at a time: the row and the batch share it.
        let mut slot = self.evaluator.lock().ok()?;
        if let Some(evaluator) = &*slot {
            return Some(evaluator.clone());
        }
        let connection = self.connection.lock().ok()?.clone()?;
        // A cache that cannot be opened only costs requests.
        let cache = self
            .cache_path
            .lock()
            .ok()
            .and_then(|path| path.clone())
            .and_then(|path| ResponseCache::open(&path).ok());
        match Evaluator::connect(&connection, STUDIO_RETRY, cache, cancel) {
            Ok(evaluator) => {
                let evaluator = Arc::new(evaluator);
                *slot = Some(evaluator.clone());
                self.send(ModelEvent::Connected {
                    model: evaluator.model().to_string(),
                });
                Some(evaluator)
            }
            Err(error) => {
                self.failed(generation, batch, error);
                None
            }
        }
    }

    fn failed(&self, generation: u64, batch: bool, error: RunError) {
        let status = match error {
            RunError::Cancelled | RunError::Request(RequestError::Cancelled) => return,
            // The studio has no --mode: what it can still do is generate.
            RunError::CannotScore(error) => ModelStatus::CannotScore(error.to_string().replace(
                "use --mode generate",
                "prompts without answer choices are still generated",
            )),
            other => ModelStatus::Unreachable(other.to_string()),
        };
        self.send(ModelEvent::Failed {
            generation,
            batch,
            status,
        });
    }
}

/// A generation streamed piece by piece to the preview, then scored as
/// `eval` scores it.
fn stream_row(
    shared: &Shared,
    evaluator: &Evaluator,
    generation: u64,
    job: &crate::model::run::Job,
    settings: &Settings,
    cancel: &AtomicBool,
) -> Result<RowResult, RunError> {
    let completion = evaluator.stream_generation(&job.input, settings, cancel, &mut |piece| {
        shared.send(ModelEvent::RowText {
            generation,
            piece: piece.to_string(),
        })
    });
    match completion {
        Ok(completion) => Ok(RowResult {
            exact_match: Some(metrics::exact_match(&completion, &job.target)),
            f1: Some(metrics::f1(&completion, &job.target)),
            completion: Some(completion),
            ..RowResult::default()
        }),
        Err(RequestError::Cancelled) => Err(RunError::Cancelled),
        Err(error) if error.is_fatal() => Err(error.into()),
        Err(error @ RequestError::Unreachable { .. }) => Err(error.into()),
        Err(error) => Ok(RowResult {
            error: Some(error.to_string()),
            ..RowResult::default()
        }),
    }
}

/// The first `rows` rows rendered as the preview renders them, sorted into
/// jobs and a count of skipped rows.
fn render_jobs(
    engine: &dyn Engine,
    source: &dyn crate::data::SplitRows,
    template: &Template,
    rows: usize,
    settings: &Settings,
) -> Result<(Vec<crate::model::run::Job>, usize), String> {
    let compiled = guarded(|| engine.compile(template))
        .map_err(|diagnostic| format!("the template does not compile: {diagnostic}"))?;
    let data = source
        .rows(0..rows)
        .map_err(|error| format!("reading rows: {error:#}"))?;
    let mut shared = SharedChoices::default();
    let mut jobs = Vec::with_capacity(data.len());
    let mut skipped = 0;
    for (index, row) in data.iter().enumerate() {
        let rendered = guarded(|| compiled.apply(row, settings.seed, false))
            .map_err(|diagnostic| diagnostic.to_string());
        match job::prepare(index, rendered, settings.mode, &mut shared) {
            Prepared::Job(job) => jobs.push(job),
            Prepared::Skipped { .. } => skipped += 1,
        }
    }
    Ok((jobs, skipped))
}

/// The numbers of `template` on the same rows when the response cache holds
/// every answer (nothing is sent); None otherwise.
fn cached_summary(
    engine: &dyn Engine,
    source: &dyn crate::data::SplitRows,
    template: &Template,
    rows: usize,
    settings: &Settings,
    evaluator: &Evaluator,
) -> Option<Summary> {
    let (jobs, skipped) = render_jobs(engine, source, template, rows, settings).ok()?;
    let mut tally = Tally::new(settings.mode, &template.metadata.metrics);
    for job in &jobs {
        tally.add(job, &evaluator.evaluate_cached(job, settings)?);
    }
    for _ in 0..skipped {
        tally.skip();
    }
    Some(tally.summary())
}
