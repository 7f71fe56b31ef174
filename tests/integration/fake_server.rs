//! An OpenAI-compatible server shaped like vLLM's, in the test process, on
//! 127.0.0.1 only: `GET /v1/models`, `POST /v1/completions` (echo with
//! prompt log-probabilities whose first entry is null and one generated
//! token, lists of prompts, server-sent events) and `/v1/chat/completions`,
//! with injected faults. It stops when dropped (and its connections time out
//! by themselves), so no test leaves a thread listening.
//!
//! Tokens: a token starts at each space that follows a non-space, so
//! `"Is it? yes"` is `["Is", " it?", " yes"]`. A token's log-probability is
//! the `logprobs` table's entry for its trimmed text, else −(its length in
//! characters)/8: binary fractions, so sums are exact.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

/// The generated token appended to every echo.
pub const GENERATED: &str = " x";
pub const GENERATED_LOGPROB: f64 = -0.5;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// HTTP 500.
    ServerError,
    /// HTTP 429 with `Retry-After: seconds`.
    TooMany(u64),
    /// 200 with a body that is not JSON.
    Malformed,
    /// The connection closed without an answer.
    Drop,
    /// The answer after this long (longer than the client's timeout).
    Slow(Duration),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scoring {
    /// vLLM: echo with prompt log-probabilities.
    Full,
    /// Ollama, chat-only servers: `logprobs: null`.
    NoLogprobs,
    /// llama.cpp: echo refused with an error.
    RejectEcho,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub model: String,
    /// When set, requests without `Authorization: Bearer <key>` get 401.
    pub key: Option<String>,
    pub scoring: Scoring,
    /// Faults by POST number (1 = the first POST the server receives).
    pub faults: HashMap<usize, Fault>,
    /// Log-probabilities of tokens by their trimmed text.
    pub logprobs: HashMap<String, f64>,
    /// Completions by prompt (or chat message); others get "I do not know".
    pub answers: HashMap<String, String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            model: "fake-model".to_string(),
            key: None,
            scoring: Scoring::Full,
            faults: HashMap::new(),
            logprobs: HashMap::new(),
            answers: HashMap::new(),
        }
    }
}

struct State {
    config: Config,
    posts: AtomicUsize,
    bodies: Mutex<Vec<String>>,
    authorizations: Mutex<Vec<String>>,
    record: bool,
    /// Answers by request body, so that a repeated request costs the server
    /// a lookup (benchmarks measure the client).
    memo: Option<Mutex<HashMap<String, (&'static str, String)>>>,
}

pub struct FakeServer {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    state: Arc<State>,
}

impl FakeServer {
    pub fn start(config: Config) -> FakeServer {
        Self::start_with(config, true)
    }

    /// For benchmarks: keeps no bodies, and answers a request it has seen
    /// before from memory.
    pub fn start_quiet(config: Config) -> FakeServer {
        Self::start_with(config, false)
    }

    fn start_with(config: Config, record: bool) -> FakeServer {
        let memo = (!record).then(|| Mutex::new(HashMap::new()));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let address = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let state = Arc::new(State {
            config,
            posts: AtomicUsize::new(0),
            bodies: Mutex::new(Vec::new()),
            authorizations: Mutex::new(Vec::new()),
            record,
            memo,
        });
        let (accept_stop, accept_state) = (Arc::clone(&stop), Arc::clone(&state));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_stop.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let state = Arc::clone(&accept_state);
                let stop = Arc::clone(&accept_stop);
                std::thread::spawn(move || serve(stream, &state, &stop));
            }
        });
        FakeServer {
            address,
            stop,
            state,
        }
    }

    /// `http://127.0.0.1:PORT/v1`.
    pub fn endpoint(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    /// POST requests received, faulted ones included.
    pub fn posts(&self) -> usize {
        self.state.posts.load(Ordering::SeqCst)
    }

    pub fn bodies(&self) -> Vec<String> {
        self.state.bodies.lock().unwrap().clone()
    }

    pub fn authorizations(&self) -> Vec<String> {
        self.state.authorizations.lock().unwrap().clone()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.address);
    }
}

/// The fake tokenizer (see the module's documentation).
pub fn tokens(text: &str) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    for c in text.chars() {
        match tokens.last_mut() {
            Some(last) if c != ' ' || last.ends_with(' ') => last.push(c),
            _ => tokens.push(c.to_string()),
        }
    }
    tokens
}

/// The fake model's log-probability of a token.
pub fn token_logprob(config: &Config, token: &str) -> f64 {
    config
        .logprobs
        .get(token.trim())
        .copied()
        .unwrap_or(-(token.chars().count() as f64) / 8.0)
}

struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

fn serve(stream: TcpStream, state: &State, stop: &AtomicBool) {
    // Idle keep-alive connections end by themselves.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_nodelay(true);
    let mut writer = match stream.try_clone() {
        Ok(writer) => writer,
        Err(_) => return,
    };
    let mut reader = BufReader::new(stream);
    while !stop.load(Ordering::Relaxed) {
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        if !answer(&request, state, &mut writer) {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
    }
}

fn respond(writer: &mut TcpStream, status: &str, extra: &str, body: &str) -> bool {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}\r\n",
        body.len()
    );
    writer.write_all(head.as_bytes()).is_ok() && writer.write_all(body.as_bytes()).is_ok()
}

/// Answers one request; false closes the connection.
fn answer(request: &Request, state: &State, writer: &mut TcpStream) -> bool {
    let config = &state.config;
    if let Some(key) = &config.key {
        let sent = request
            .headers
            .get("authorization")
            .cloned()
            .unwrap_or_default();
        if state.record {
            state.authorizations.lock().unwrap().push(sent.clone());
        }
        if sent != format!("Bearer {key}") {
            return respond(
                writer,
                "401 Unauthorized",
                "",
                r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#,
            );
        }
    }
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/v1/models") => {
            let body = json!({"object": "list", "data": [
                {"id": config.model, "object": "model", "owned_by": "vllm"},
                {"id": "second-model", "object": "model", "owned_by": "vllm"}
            ]});
            respond(writer, "200 OK", "", &body.to_string())
        }
        ("POST", "/v1/completions") | ("POST", "/v1/chat/completions") => {
            let number = state.posts.fetch_add(1, Ordering::SeqCst) + 1;
            let text = String::from_utf8_lossy(&request.body).to_string();
            if state.record {
                state.bodies.lock().unwrap().push(text.clone());
            }
            match config.faults.get(&number) {
                Some(Fault::ServerError) => {
                    return respond(
                        writer,
                        "500 Internal Server Error",
                        "",
                        r#"{"error":"boom"}"#,
                    )
                }
                Some(Fault::TooMany(seconds)) => {
                    return respond(
                        writer,
                        "429 Too Many Requests",
                        &format!("Retry-After: {seconds}\r\n"),
                        r#"{"error":{"message":"slow down"}}"#,
                    )
                }
                Some(Fault::Malformed) => {
                    return respond(writer, "200 OK", "", "{\"choices\": [ nope")
                }
                Some(Fault::Drop) => return false,
                Some(Fault::Slow(delay)) => std::thread::sleep(*delay),
                None => {}
            }
            let Ok(body) = serde_json::from_str::<Value>(&text) else {
                return respond(
                    writer,
                    "400 Bad Request",
                    "",
                    r#"{"error":"body is not JSON"}"#,
                );
            };
            let chat = request.path.ends_with("/chat/completions");
            if body.get("stream").and_then(Value::as_bool) == Some(true) {
                return stream(writer, config, &body, chat);
            }
            if let Some(memo) = &state.memo {
                if let Some((status, answer)) = memo.lock().unwrap().get(&text) {
                    return respond(writer, status, "", answer);
                }
            }
            let (status, answer) = if chat {
                ("200 OK", chat_answer(config, &body))
            } else {
                completion_answer(config, &body)
            };
            let answer = answer.to_string();
            if let Some(memo) = &state.memo {
                memo.lock().unwrap().insert(text, (status, answer.clone()));
            }
            respond(writer, status, "", &answer)
        }
        _ => respond(writer, "404 Not Found", "", r#"{"detail":"Not Found"}"#),
    }
}

fn prompts(body: &Value) -> Vec<String> {
    match body.get("prompt") {
        Some(Value::String(prompt)) => vec![prompt.clone()],
        Some(Value::Array(prompts)) => prompts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// The completion of `prompt`: the answers table's, cut at the first stop
/// sequence and to `max_tokens` fake tokens.
fn generate(config: &Config, prompt: &str, body: &Value) -> String {
    let mut text = config
        .answers
        .get(prompt)
        .cloned()
        .unwrap_or_else(|| "I do not know".to_string());
    if let Some(stops) = body.get("stop").and_then(Value::as_array) {
        for stop in stops.iter().filter_map(Value::as_str) {
            if let Some(cut) = text.find(stop) {
                text.truncate(cut);
            }
        }
    }
    let max_tokens = body.get("max_tokens").and_then(Value::as_u64).unwrap_or(16) as usize;
    tokens(&text).into_iter().take(max_tokens).collect()
}

fn completion_answer(config: &Config, body: &Value) -> (&'static str, Value) {
    let echo = body.get("echo").and_then(Value::as_bool) == Some(true);
    let logprobs = body.get("logprobs").and_then(Value::as_u64).is_some();
    if echo && config.scoring == Scoring::RejectEcho {
        return (
            "400 Bad Request",
            json!({"error": {"message": "Only no echo is supported", "code": 400}}),
        );
    }
    let choices: Vec<Value> = prompts(body)
        .iter()
        .enumerate()
        .map(|(index, prompt)| {
            if !echo {
                return json!({"index": index, "text": generate(config, prompt, body),
                    "logprobs": null, "finish_reason": "length"});
            }
            let text = format!("{prompt}{GENERATED}");
            if !logprobs || config.scoring == Scoring::NoLogprobs {
                return json!({"index": index, "text": text, "logprobs": null,
                    "finish_reason": "length"});
            }
            let mut all = tokens(prompt);
            all.push(GENERATED.to_string());
            let mut offsets = Vec::with_capacity(all.len());
            let mut token_logprobs = Vec::with_capacity(all.len());
            let mut top = Vec::with_capacity(all.len());
            let mut offset = 0;
            for (position, token) in all.iter().enumerate() {
                offsets.push(offset);
                offset += token.chars().count();
                if position == 0 {
                    token_logprobs.push(Value::Null);
                    top.push(Value::Null);
                    continue;
                }
                let logprob = if position == all.len() - 1 {
                    GENERATED_LOGPROB
                } else {
                    token_logprob(config, token)
                };
                token_logprobs.push(json!(logprob));
                top.push(json!({ token.as_str(): logprob }));
            }
            json!({"index": index, "text": text, "logprobs": {
                "text_offset": offsets, "token_logprobs": token_logprobs,
                "tokens": all, "top_logprobs": top}, "finish_reason": "length"})
        })
        .collect();
    (
        "200 OK",
        json!({"id": "cmpl-fake", "object": "text_completion", "model": config.model,
            "choices": choices, "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}),
    )
}

fn chat_message(body: &Value) -> String {
    body.get("messages")
        .and_then(Value::as_array)
        .and_then(|messages| messages.last())
        .and_then(|message| message.get("content"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn chat_answer(config: &Config, body: &Value) -> Value {
    let content = generate(config, &chat_message(body), body);
    json!({"id": "chatcmpl-fake", "object": "chat.completion", "model": config.model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
        "finish_reason": "stop"}]})
}

fn stream(writer: &mut TcpStream, config: &Config, body: &Value, chat: bool) -> bool {
    let prompt = if chat {
        chat_message(body)
    } else {
        prompts(body).into_iter().next().unwrap_or_default()
    };
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
    if writer.write_all(head.as_bytes()).is_err() {
        return false;
    }
    for token in tokens(&generate(config, &prompt, body)) {
        let event = if chat {
            json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": token}}]})
        } else {
            json!({"object": "text_completion", "choices": [{"index": 0, "text": token}]})
        };
        if write!(writer, "data: {event}\n\n").is_err() {
            return false;
        }
    }
    let _ = writer.write_all(b"data: [DONE]\n\n");
    false
}
