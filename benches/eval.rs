//! The model client's throughput: 10,000 rows × 4 answer choices scored
//! against an in-process vLLM-shaped server that answers at once (so the
//! client, not a model, is what is measured), at concurrency 32.
//!
//! `cargo bench --bench eval` measures the run with divan (requests/s =
//! 10,000 / time). `PROMPTSTUDIO_BENCH_ONCE=1 cargo bench --bench eval`
//! instead runs it once in a fresh process and prints requests per second
//! and the peak RSS of the whole process (client and server), then reruns
//! it from a fresh response cache: first filling it, then served from it.
//! `PROMPTSTUDIO_BENCH_ROWS` changes the row count (default 10000),
//! `PROMPTSTUDIO_BENCH_CONCURRENCY` the requests in flight (default 32).
//! The peak RSS is then the client's alone: the server runs in a child
//! process (this same binary, started with `PROMPTSTUDIO_BENCH_SERVE=1`),
//! so its threads and buffers are not counted. The divan run keeps the
//! server in-process.

#[path = "../tests/integration/fake_server.rs"]
mod fake_server;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use fake_server::{Config, FakeServer};
use promptstudio::model::cache::ResponseCache;
use promptstudio::model::client::RetryPolicy;
use promptstudio::model::config::Connection;
use promptstudio::model::run::{Evaluator, Job, Settings};

/// Requests in flight; `PROMPTSTUDIO_BENCH_CONCURRENCY` changes it (default 32).
fn concurrency() -> usize {
    std::env::var("PROMPTSTUDIO_BENCH_CONCURRENCY")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(32)
}
const CHOICES: [&str; 4] = ["World", "Sports", "Business", "Science and Technology"];

fn rows() -> usize {
    std::env::var("PROMPTSTUDIO_BENCH_ROWS")
        .ok()
        .and_then(|rows| rows.parse().ok())
        .unwrap_or(10_000)
}

/// Rows like ag_news prompts: a paragraph of about 300 characters. The
/// stories repeat every 64 rows so that the server answers from memory:
/// the client's work (bodies, requests, parsing, arithmetic) is what is
/// measured, not the fake server's.
fn jobs(count: usize) -> Vec<Job> {
    (0..count)
        .map(|row| Job {
            row,
            input: format!(
                "Story {}: the market rose as shares of the company gained after \
                 the report, analysts said on Tuesday, while the team won its third \
                 match in a row and scientists announced a new telescope. Is this \
                 story about World, Sports, Business or Science and Technology?",
                row % 64
            ),
            target: CHOICES[row % 4].to_string(),
            choices: CHOICES.iter().map(|choice| choice.to_string()).collect(),
            gold: Some(row % 4),
        })
        .collect()
}

fn evaluator(endpoint: &str, cache: Option<ResponseCache>) -> Evaluator {
    let mut connection = Connection::to(endpoint);
    connection.concurrency = concurrency();
    connection.timeout = Duration::from_secs(30);
    Evaluator::connect(
        &connection,
        RetryPolicy::default(),
        cache,
        &AtomicBool::new(false),
    )
    .expect("the fake server answers")
}

/// Runs every job; returns the rows scored.
fn score(evaluator: &Evaluator, jobs: &[Job]) -> usize {
    let mut scored = 0;
    evaluator
        .run(
            jobs,
            &Settings::default(),
            concurrency(),
            &AtomicBool::new(false),
            &mut |_, result| {
                assert!(result.error.is_none(), "{:?}", result.error);
                scored += 1;
            },
        )
        .expect("the run completes");
    scored
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn score_rows_x_4_choices_at_concurrency_32(bencher: divan::Bencher) {
    let server = FakeServer::start_quiet(Config::default());
    let evaluator = evaluator(&server.endpoint(), None);
    let jobs = jobs(rows());
    bencher.bench_local(|| score(&evaluator, &jobs));
}

/// Peak resident memory of this process so far, in MB: `VmHWM`, which
/// (unlike `getrusage`'s `ru_maxrss`) does not carry over the peak of the
/// process that exec'd us (cargo).
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The fake server in a child process: answers `posts` on its stdin with
/// the number of POSTs it has served, and stops when its stdin closes.
struct ChildServer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
    endpoint: String,
}

impl ChildServer {
    fn start() -> ChildServer {
        let mut child = Command::new(std::env::current_exe().expect("this bench's path"))
            .env("PROMPTSTUDIO_BENCH_SERVE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the server process starts");
        let stdin = child.stdin.take().expect("piped stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let endpoint = read_line(&mut stdout);
        ChildServer {
            child,
            stdin,
            stdout,
            endpoint,
        }
    }

    fn posts(&mut self) -> usize {
        writeln!(self.stdin, "posts").expect("the server process reads");
        read_line(&mut self.stdout)
            .parse()
            .expect("the server process answers a count")
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_line(reader: &mut impl BufRead) -> String {
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .expect("the server process writes");
    line.trim().to_string()
}

/// The child side of [`ChildServer`].
fn serve() {
    let server = FakeServer::start_quiet(Config::default());
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", server.endpoint()).unwrap();
    stdout.flush().unwrap();
    for line in std::io::stdin().lock().lines() {
        if line.map_or(true, |line| line.trim() != "posts") {
            break;
        }
        writeln!(stdout, "{}", server.posts()).unwrap();
        stdout.flush().unwrap();
    }
}

fn timed(label: &str, evaluator: &Evaluator, jobs: &[Job], server: &mut ChildServer) {
    let posts = server.posts();
    let start = Instant::now();
    let scored = score(evaluator, jobs);
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{label}: {scored} rows × {} choices in {seconds:.2} s: {:.0} rows/s, {} requests sent; peak RSS of the client process {:.1} MB",
        CHOICES.len(),
        scored as f64 / seconds,
        server.posts() - posts,
        peak_rss_mb()
    );
}

fn main() {
    if std::env::var_os("PROMPTSTUDIO_BENCH_SERVE").is_some() {
        serve();
        return;
    }
    if std::env::var_os("PROMPTSTUDIO_BENCH_ONCE").is_none() {
        divan::main();
        return;
    }
    let mut server = ChildServer::start();
    let endpoint = server.endpoint.clone();
    let jobs = jobs(rows());
    println!("before: peak RSS {:.1} MB", peak_rss_mb());
    timed("no cache", &evaluator(&endpoint, None), &jobs, &mut server);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("responses.sqlite");
    let cache = || Some(ResponseCache::open(&path).expect("the cache opens"));
    timed(
        "cache, filling",
        &evaluator(&endpoint, cache()),
        &jobs,
        &mut server,
    );
    timed(
        "cache, served",
        &evaluator(&endpoint, cache()),
        &jobs,
        &mut server,
    );
}
