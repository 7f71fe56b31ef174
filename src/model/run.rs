//! An evaluation run: rows already rendered ([`Job`]s) sent to the server by
//! a small pool of threads, at most `concurrency` requests in flight, each
//! row's [`RowResult`] handed to a callback on the calling thread as it
//! arrives. A run is cancelled through an `AtomicBool`, so the studio can
//! drive it from a worker thread and forward results to its event channel.
//!
//! The first row is sent alone: a server that cannot be reached, refuses
//! the key or cannot score is reported before any other request, as one
//! [`RunError`], never as a column of failed rows. After it, a row whose
//! request still fails after the client's retries carries its `error` and
//! the run goes on.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

use serde_json::{json, Value};

use super::cache::ResponseCache;
use super::client::{Client, RequestError, RetryPolicy};
use super::config::Connection;
use super::metrics;
use super::score::{self, ScoreError};

/// How a template is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Rank classification over the answer choices.
    Rank,
    /// A completion compared with the target.
    Generate,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Rank => "rank",
            Mode::Generate => "generate",
        })
    }
}

/// What the requests of a run look like.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub mode: Mode,
    /// Between the input and each answer choice (lm-evaluation-harness: `" "`).
    pub target_delimiter: String,
    pub max_tokens: u32,
    pub stop: Vec<String>,
    pub seed: Option<u64>,
    /// Generation through `/chat/completions`, the input as one user message.
    pub chat: bool,
    /// Sent as the request's `add_special_tokens` when set: `false` when the
    /// prompt was chat-templated and already holds its BOS, so the server
    /// does not add a second one.
    pub add_special_tokens: Option<bool>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Rank,
            target_delimiter: " ".to_string(),
            max_tokens: 64,
            stop: Vec::new(),
            seed: None,
            chat: false,
            add_special_tokens: None,
        }
    }
}

/// One rendered row to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub row: usize,
    pub input: String,
    pub target: String,
    /// The rendered answer choices (rank classification).
    pub choices: Vec<String>,
    /// The index of the target among the choices.
    pub gold: Option<usize>,
}

/// What the model made of one row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowResult {
    pub loglikelihoods: Option<Vec<f64>>,
    /// The choice with the highest log-likelihood (acc's pick).
    pub pred_index: Option<usize>,
    /// The pick after dividing by the choices' lengths (acc_norm's).
    pub pred_norm_index: Option<usize>,
    pub completion: Option<String>,
    pub exact_match: Option<f64>,
    pub f1: Option<f64>,
    pub error: Option<String>,
}

/// Why a whole run stopped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    CannotScore(ScoreError),
    #[error("{0}")]
    NoModel(String),
    #[error("cancelled")]
    Cancelled,
}

/// A connected server and the model to use.
pub struct Evaluator {
    client: Client,
    cache: Option<ResponseCache>,
    model: String,
}

impl Evaluator {
    /// Connects: the model is the connection's, else the first `GET /models` lists.
    pub fn connect(
        connection: &Connection,
        retry: RetryPolicy,
        cache: Option<ResponseCache>,
        cancel: &AtomicBool,
    ) -> Result<Evaluator, RunError> {
        let client = Client::new(connection, retry);
        let model = match &connection.model {
            Some(model) => model.clone(),
            None => client.models(cancel)?.into_iter().next().ok_or_else(|| {
                RunError::NoModel(format!(
                    "{}/models lists no model; name one with --model",
                    connection.endpoint
                ))
            })?,
        };
        Ok(Evaluator {
            client,
            cache,
            model,
        })
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    pub fn endpoint(&self) -> &str {
        self.client.endpoint()
    }

    /// Evaluates `jobs`; `on_result(job_index, result)` is called on this
    /// thread for each row, in the order rows finish.
    pub fn run(
        &self,
        jobs: &[Job],
        settings: &Settings,
        concurrency: usize,
        cancel: &AtomicBool,
        on_result: &mut dyn FnMut(usize, RowResult),
    ) -> Result<(), RunError> {
        let Some(first) = jobs.first() else {
            return Ok(());
        };
        let result = self.evaluate(first, settings, cancel, true)?;
        on_result(0, result);
        let next = AtomicUsize::new(1);
        let fatal: Mutex<Option<RunError>> = Mutex::new(None);
        let halt = AtomicBool::new(false);
        let workers = concurrency.max(1).min(jobs.len() - 1);
        std::thread::scope(|scope| {
            let (sender, receiver) = mpsc::channel::<(usize, RowResult)>();
            for _ in 0..workers {
                let sender = sender.clone();
                let (next, fatal, halt) = (&next, &fatal, &halt);
                scope.spawn(move || loop {
                    if cancel.load(Ordering::Relaxed) || halt.load(Ordering::Relaxed) {
                        return;
                    }
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(index) else {
                        return;
                    };
                    match self.evaluate(job, settings, cancel, false) {
                        Ok(result) => {
                            if sender.send((index, result)).is_err() {
                                return;
                            }
                        }
                        Err(error) => {
                            halt.store(true, Ordering::Relaxed);
                            let mut slot = fatal.lock().unwrap_or_else(|e| e.into_inner());
                            slot.get_or_insert(error);
                            return;
                        }
                    }
                });
            }
            drop(sender);
            for (index, result) in receiver {
                on_result(index, result);
            }
        });
        if let Some(error) = fatal.into_inner().unwrap_or_else(|e| e.into_inner()) {
            return Err(error);
        }
        if cancel.load(Ordering::Relaxed) {
            return Err(RunError::Cancelled);
        }
        Ok(())
    }

    /// One row. Errors that concern the whole server come back as
    /// [`RunError`]; the row's own failures are its result's `error`. On
    /// the `probe` (a run's first request), a server that cannot be
    /// reached is such an error too.
    pub fn evaluate(
        &self,
        job: &Job,
        settings: &Settings,
        cancel: &AtomicBool,
        probe: bool,
    ) -> Result<RowResult, RunError> {
        let outcome = match settings.mode {
            Mode::Rank => self.rank(job, settings, cancel, Sending::Allowed),
            Mode::Generate => self.generate(job, settings, cancel, Sending::Allowed),
        };
        match outcome {
            Ok(result) => Ok(result),
            Err(RowFailure::Request(RequestError::Cancelled)) => Err(RunError::Cancelled),
            Err(RowFailure::Request(error)) if error.is_fatal() => Err(error.into()),
            Err(RowFailure::Request(error @ RequestError::Unreachable { .. })) if probe => {
                Err(error.into())
            }
            Err(RowFailure::Request(RequestError::Status { message, .. }))
                if settings.mode == Mode::Rank && score::refuses_scoring(&message) =>
            {
                Err(RunError::CannotScore(ScoreError::CannotScore(format!(
                    "it answered: {message}"
                ))))
            }
            Err(RowFailure::Score(error @ ScoreError::CannotScore(_))) => {
                Err(RunError::CannotScore(error))
            }
            Err(failure) => Ok(RowResult {
                error: Some(failure.to_string()),
                ..RowResult::default()
            }),
        }
    }

    /// One row answered from the response cache alone, sending nothing:
    /// None when its response is not there (or there is no cache). The
    /// studio compares an edit with the saved text this way.
    pub fn evaluate_cached(&self, job: &Job, settings: &Settings) -> Option<RowResult> {
        let cancel = AtomicBool::new(false);
        let outcome = match settings.mode {
            Mode::Rank => self.rank(job, settings, &cancel, Sending::CacheOnly),
            Mode::Generate => self.generate(job, settings, &cancel, Sending::CacheOnly),
        };
        outcome.ok()
    }

    pub fn has_cache(&self) -> bool {
        self.cache.is_some()
    }

    fn rank(
        &self,
        job: &Job,
        settings: &Settings,
        cancel: &AtomicBool,
        send: Sending,
    ) -> Result<RowResult, RowFailure> {
        let (body, spans) = score::scoring_request(
            &self.model,
            &job.input,
            &settings.target_delimiter,
            &job.choices,
            settings.add_special_tokens,
        );
        self.request("/completions", &body, cancel, send, |response| {
            let loglikelihoods = score::loglikelihoods(response, &spans)?;
            let pred_index = metrics::argmax(&loglikelihoods);
            let pred_norm_index =
                metrics::argmax(&metrics::normalized(&loglikelihoods, &job.choices));
            Ok(RowResult {
                loglikelihoods: Some(loglikelihoods),
                pred_index,
                pred_norm_index,
                ..RowResult::default()
            })
        })
    }

    fn generate(
        &self,
        job: &Job,
        settings: &Settings,
        cancel: &AtomicBool,
        send: Sending,
    ) -> Result<RowResult, RowFailure> {
        let (path, body) = generation_request(&self.model, &job.input, settings, false);
        self.request(path, &body, cancel, send, |response| {
            let response: Value = serde_json::from_str(response)
                .map_err(|error| ScoreError::Row(format!("unexpected response: {error}")))?;
            let completion = completion_text(&response).ok_or_else(|| {
                ScoreError::Row("the response has no completion text".to_string())
            })?;
            Ok(RowResult {
                exact_match: Some(metrics::exact_match(&completion, &job.target)),
                f1: Some(metrics::f1(&completion, &job.target)),
                completion: Some(completion),
                ..RowResult::default()
            })
        })
    }

    /// Streams a generation (the studio's preview): `on_text` gets each
    /// piece of text as it arrives; returns the whole completion.
    pub fn stream_generation(
        &self,
        input: &str,
        settings: &Settings,
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<String, RequestError> {
        let (path, body) = generation_request(&self.model, input, settings, true);
        let mut completion = String::new();
        self.client.post_stream(path, &body, cancel, &mut |event| {
            if let Some(piece) = stream_piece(event) {
                completion.push_str(piece);
                on_text(piece);
            }
        })?;
        Ok(completion)
    }

    /// Sends `body` unless the cache has its response; a response is cached
    /// only once `interpret` accepted it.
    fn request(
        &self,
        path: &str,
        body: &str,
        cancel: &AtomicBool,
        send: Sending,
        interpret: impl Fn(&str) -> Result<RowResult, ScoreError>,
    ) -> Result<RowResult, RowFailure> {
        let endpoint = self.client.endpoint();
        // A cache that cannot be read is a cache miss: the run goes on.
        let key_body = || format!("{path}\n{body}");
        let cached = self
            .cache
            .as_ref()
            .and_then(|cache| cache.get(endpoint, &self.model, &key_body()).ok()?);
        if let Some(response) = cached {
            if let Ok(result) = interpret(&response) {
                return Ok(result);
            }
        }
        if send == Sending::CacheOnly {
            return Err(RowFailure::NotCached);
        }
        let response = self.client.post_json(path, body, cancel)?;
        let result = interpret(&response)?;
        if let Some(cache) = &self.cache {
            // Not storing a response only costs a request next time.
            let _ = cache.put(endpoint, &self.model, &key_body(), &response);
        }
        Ok(result)
    }
}

/// A row's own failure, before it is sorted into row errors and run errors.
#[derive(Debug, thiserror::Error)]
enum RowFailure {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    Score(#[from] ScoreError),
    #[error("not in the response cache")]
    NotCached,
}

/// Whether a request missing from the cache is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sending {
    Allowed,
    CacheOnly,
}

/// The path and body of a generation request.
pub fn generation_request(
    model: &str,
    input: &str,
    settings: &Settings,
    stream: bool,
) -> (&'static str, String) {
    let mut body = if settings.chat {
        json!({"model": model, "messages": [{"role": "user", "content": input}]})
    } else {
        json!({"model": model, "prompt": input})
    };
    let fields = body.as_object_mut().expect("a JSON object");
    fields.insert("max_tokens".into(), json!(settings.max_tokens));
    fields.insert("temperature".into(), json!(0));
    if !settings.stop.is_empty() {
        fields.insert("stop".into(), json!(settings.stop));
    }
    if let Some(seed) = settings.seed {
        fields.insert("seed".into(), json!(seed));
    }
    if let Some(add) = settings.add_special_tokens {
        fields.insert("add_special_tokens".into(), json!(add));
    }
    if stream {
        fields.insert("stream".into(), json!(true));
    }
    let path = if settings.chat {
        "/chat/completions"
    } else {
        "/completions"
    };
    (path, body.to_string())
}

/// The text of the first choice: `text` (completions) or `message.content` (chat).
pub fn completion_text(response: &Value) -> Option<String> {
    let choice = response.get("choices")?.as_array()?.first()?;
    choice
        .get("text")
        .and_then(Value::as_str)
        .or_else(|| choice.get("message")?.get("content")?.as_str())
        .map(str::to_string)
}

/// The text one streamed event adds: `text` or `delta.content`.
pub fn stream_piece(event: &Value) -> Option<&str> {
    let choice = event.get("choices")?.as_array()?.first()?;
    choice
        .get("text")
        .and_then(Value::as_str)
        .or_else(|| choice.get("delta")?.get("content")?.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The studio drives a run from a worker thread and may share the
    /// evaluator between a batch run and the preview.
    #[test]
    fn an_evaluator_can_move_to_and_be_shared_between_threads() {
        fn send_and_sync<T: Send + Sync>() {}
        send_and_sync::<Evaluator>();
        send_and_sync::<RowResult>();
    }

    #[test]
    fn generation_bodies() {
        let settings = Settings {
            mode: Mode::Generate,
            max_tokens: 8,
            stop: vec!["\n".into()],
            seed: Some(3),
            ..Settings::default()
        };
        assert_eq!(
            generation_request("m", "Q?", &settings, false),
            (
                "/completions",
                r#"{"model":"m","prompt":"Q?","max_tokens":8,"temperature":0,"stop":["\n"],"seed":3}"#
                    .to_string()
            )
        );
        let chat = Settings {
            chat: true,
            stop: Vec::new(),
            seed: None,
            ..settings
        };
        assert_eq!(
            generation_request("m", "Q?", &chat, true),
            (
                "/chat/completions",
                r#"{"model":"m","messages":[{"role":"user","content":"Q?"}],"max_tokens":8,"temperature":0,"stream":true}"#
                    .to_string()
            )
        );
    }

    #[test]
    fn completion_texts() {
        assert_eq!(
            completion_text(&json!({"choices": [{"text": " Paris"}]})).as_deref(),
            Some(" Paris")
        );
        assert_eq!(
            completion_text(
                &json!({"choices": [{"message": {"role": "assistant", "content": "Rome"}}]})
            )
            .as_deref(),
            Some("Rome")
        );
        assert_eq!(completion_text(&json!({"choices": []})), None);
        assert_eq!(
            stream_piece(&json!({"choices": [{"delta": {"content": "R"}}]})),
            Some("R")
        );
    }
}
