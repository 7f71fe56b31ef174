//! The HTTP client of an OpenAI-compatible server: JSON requests with
//! retries (connection errors, 429 with `Retry-After`, 5xx, malformed
//! bodies), a per-request timeout, and server-sent event streams.
//!
//! One `ureq` agent is shared by the worker threads of a run; its pool keeps
//! one keep-alive connection per worker, so loopback requests cost no
//! handshake.

use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use super::config::Connection;
use super::sse::EventReader;

/// Bodies bigger than this are refused: echoed prompts of long documents are
/// a few hundred KB, a runaway server should not fill memory.
const BODY_LIMIT: u64 = 64 << 20;
/// Longest wait a `Retry-After` may impose before we give up on it.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// How failed requests are tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub tries: u32,
    /// The wait after the first failure; doubled after each further one.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            tries: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, failures: u32) -> Duration {
        let factor = 1u32 << failures.saturating_sub(1).min(16);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Why a request failed, after its retries.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    /// 401 or 403: no row can succeed; the message names the key's variable.
    #[error("{endpoint} answered HTTP {status} (unauthorized) with {key}")]
    Unauthorized {
        status: u16,
        endpoint: String,
        key: String,
    },
    #[error("cannot reach {endpoint}: {message}")]
    Unreachable { endpoint: String, message: String },
    #[error("HTTP {status} from {url}: {message}")]
    Status {
        status: u16,
        url: String,
        message: String,
    },
    #[error("malformed response from {url}: {message}")]
    Malformed { url: String, message: String },
    #[error("cancelled")]
    Cancelled,
}

impl RequestError {
    /// Whether no further request to this server can succeed either.
    pub fn is_fatal(&self) -> bool {
        matches!(self, RequestError::Unauthorized { .. })
    }
}

/// A failed try: whether to try again, and how long to wait first.
struct Failure {
    error: RequestError,
    retry: bool,
    retry_after: Option<Duration>,
}

/// A client for one server.
pub struct Client {
    agent: ureq::Agent,
    endpoint: String,
    authorization: Option<String>,
    key_description: String,
    retry: RetryPolicy,
}

impl Client {
    pub fn new(connection: &Connection, retry: RetryPolicy) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(connection.timeout))
            .max_idle_connections(connection.concurrency.max(1) * 2)
            .max_idle_connections_per_host(connection.concurrency.max(1) * 2)
            .user_agent(concat!("promptstudio/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: config.into(),
            endpoint: connection.endpoint.clone(),
            authorization: connection.api_key.as_ref().map(|key| key.bearer()),
            key_description: connection.key_description(),
            retry,
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The ids `GET /models` lists, in its order.
    pub fn models(&self, cancel: &AtomicBool) -> Result<Vec<String>, RequestError> {
        let url = format!("{}/models", self.endpoint);
        let response = self.with_retries(cancel, || {
            let mut request = self.agent.get(&url);
            if let Some(authorization) = &self.authorization {
                request = request.header("Authorization", authorization);
            }
            self.read_json(&url, request.call())
        })?;
        let ids = response
            .get("data")
            .and_then(Value::as_array)
            .map(|models| {
                models
                    .iter()
                    .filter_map(|model| model.get("id").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .ok_or_else(|| RequestError::Malformed {
                url: url.clone(),
                message: "no `data` list of models".to_string(),
            })?;
        Ok(ids)
    }

    /// `POST {endpoint}{path}` with a JSON body (already serialised, so that
    /// the cache key and the request are the same bytes); returns the
    /// response's text, checked to be JSON (a body that is not is tried
    /// again), for the caller to parse into what it needs.
    pub fn post_json(
        &self,
        path: &str,
        body: &str,
        cancel: &AtomicBool,
    ) -> Result<String, RequestError> {
        let url = format!("{}{path}", self.endpoint);
        self.with_retries(cancel, || {
            self.read_json_text(&url, self.post(&url).send(body.as_bytes()))
        })
    }

    /// `POST` with `"stream": true` in `body`: `on_data` gets each event's
    /// JSON as it arrives, until `[DONE]` or the end of the stream. Tries
    /// are repeated only while no event has been delivered.
    pub fn post_stream(
        &self,
        path: &str,
        body: &str,
        cancel: &AtomicBool,
        on_data: &mut dyn FnMut(&Value),
    ) -> Result<(), RequestError> {
        let url = format!("{}{path}", self.endpoint);
        let mut delivered = false;
        self.with_retries(cancel, || {
            let response = self.post(&url).send(body.as_bytes());
            let mut response = self.check_status(&url, response)?;
            let reader =
                BufReader::new(response.body_mut().with_config().limit(BODY_LIMIT).reader());
            let mut events = EventReader::default();
            for line in reader.lines() {
                if cancel.load(Ordering::Relaxed) {
                    return Err(Failure {
                        error: RequestError::Cancelled,
                        retry: false,
                        retry_after: None,
                    });
                }
                let line = line.map_err(|error| Failure {
                    error: RequestError::Unreachable {
                        endpoint: self.endpoint.clone(),
                        message: format!("stream broken: {error}"),
                    },
                    retry: !delivered,
                    retry_after: None,
                })?;
                let Some(data) = events.push_line(&line) else {
                    continue;
                };
                if data == "[DONE]" {
                    return Ok(());
                }
                let value: Value = serde_json::from_str(&data).map_err(|error| Failure {
                    error: RequestError::Malformed {
                        url: url.clone(),
                        message: format!("event is not JSON: {error}"),
                    },
                    retry: !delivered,
                    retry_after: None,
                })?;
                delivered = true;
                on_data(&value);
            }
            Ok(())
        })
    }

    fn post(&self, url: &str) -> ureq::RequestBuilder<ureq::typestate::WithBody> {
        let mut request = self.agent.post(url).content_type("application/json");
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        request
    }

    fn with_retries<T>(
        &self,
        cancel: &AtomicBool,
        mut attempt: impl FnMut() -> Result<T, Failure>,
    ) -> Result<T, RequestError> {
        let mut failures = 0;
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(RequestError::Cancelled);
            }
            match attempt() {
                Ok(value) => return Ok(value),
                Err(failure) => {
                    failures += 1;
                    if !failure.retry || failures >= self.retry.tries {
                        return Err(failure.error);
                    }
                    let wait = failure
                        .retry_after
                        .unwrap_or_else(|| self.retry.backoff(failures));
                    sleep_unless_cancelled(wait, cancel);
                }
            }
        }
    }

    fn check_status(
        &self,
        url: &str,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<ureq::http::Response<ureq::Body>, Failure> {
        let mut response = response.map_err(|error| Failure {
            error: RequestError::Unreachable {
                endpoint: self.endpoint.clone(),
                message: error.to_string(),
            },
            retry: true,
            retry_after: None,
        })?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        if status == 401 || status == 403 {
            return Err(Failure {
                error: RequestError::Unauthorized {
                    status,
                    endpoint: self.endpoint.clone(),
                    key: self.key_description.clone(),
                },
                retry: false,
                retry_after: None,
            });
        }
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let text = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .unwrap_or_default();
        Err(Failure {
            error: RequestError::Status {
                status,
                url: url.to_string(),
                message: server_message(&text),
            },
            retry: status == 408 || status == 429 || status >= 500,
            retry_after: if status == 429 || status == 503 {
                retry_after
            } else {
                None
            },
        })
    }

    fn read_json(
        &self,
        url: &str,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Value, Failure> {
        let text = self.read_json_text(url, response)?;
        serde_json::from_str(&text).map_err(|error| self.malformed(url, &error))
    }

    fn malformed(&self, url: &str, error: &serde_json::Error) -> Failure {
        Failure {
            error: RequestError::Malformed {
                url: url.to_string(),
                message: format!("not JSON ({error})"),
            },
            retry: true,
            retry_after: None,
        }
    }

    fn read_json_text(
        &self,
        url: &str,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<String, Failure> {
        let mut response = self.check_status(url, response)?;
        let text = response
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .read_to_string()
            .map_err(|error| Failure {
                error: RequestError::Unreachable {
                    endpoint: self.endpoint.clone(),
                    message: format!("reading the response: {error}"),
                },
                retry: true,
                retry_after: None,
            })?;
        // A scan that builds nothing: whether the body is JSON at all.
        serde_json::from_str::<serde::de::IgnoredAny>(&text)
            .map_err(|error| self.malformed(url, &error))?;
        Ok(text)
    }
}

/// The server's own words from an error body: OpenAI's `{"error": {"message"}}`,
/// a bare `{"error": "..."}`, or the start of the text.
pub fn server_message(text: &str) -> String {
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        let error = value.get("error").unwrap_or(&value);
        if let Some(message) = error.get("message").and_then(Value::as_str) {
            return message.to_string();
        }
        if let Some(message) = error.as_str() {
            return message.to_string();
        }
        if let Some(message) = value.get("detail").and_then(Value::as_str) {
            return message.to_string();
        }
    }
    let trimmed = text.trim();
    match trimmed.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_string(),
    }
}

fn sleep_unless_cancelled(wait: Duration, cancel: &AtomicBool) {
    let deadline = Instant::now() + wait;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(50)));
    }
}

/// How long a `Retry-After` header asks us to wait: RFC 9110 allows a
/// number of seconds or an HTTP-date (proxies and some gateways send the
/// date). A date in the past means "now"; waits are capped so a hostile or
/// confused server cannot park the run for hours.
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => Duration::from_secs_f64(seconds),
        Ok(_) => return None,
        Err(_) => {
            let when = httpdate::parse_http_date(value).ok()?;
            when.duration_since(now).unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            tries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        };
        let waits: Vec<u128> = (1..=5).map(|n| policy.backoff(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 500, 500]);
    }

    #[test]
    fn server_messages_are_found_in_the_usual_shapes() {
        assert_eq!(
            server_message(r#"{"error": {"message": "echo is not supported", "type": "x"}}"#),
            "echo is not supported"
        );
        assert_eq!(server_message(r#"{"error": "bad"}"#), "bad");
        assert_eq!(server_message(r#"{"detail": "Not Found"}"#), "Not Found");
        assert_eq!(server_message("  plain text \n"), "plain text");
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now = httpdate::parse_http_date("Sun, 06 Dec 2026 05:00:00 GMT").unwrap();
        let wait = |value| parse_retry_after(value, now);
        assert_eq!(wait("3"), Some(Duration::from_secs(3)));
        assert_eq!(wait(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(
            wait("Sun, 06 Dec 2026 05:00:07 GMT"),
            Some(Duration::from_secs(7))
        );
        assert_eq!(wait("Sun, 06 Dec 2026 04:59:00 GMT"), Some(Duration::ZERO));
        assert_eq!(wait("Mon, 07 Dec 2026 05:00:00 GMT"), Some(MAX_RETRY_AFTER));
        assert_eq!(wait("-1"), None);
        assert_eq!(wait("soon"), None);
    }
}
