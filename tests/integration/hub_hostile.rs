//! `fetch` against a hostile Hub on 127.0.0.1: every name, size, digest,
//! delay and redirect the server controls is turned against the client, and
//! each attempt must end in a clear error (exit 2 from the command) with
//! nothing written outside the repo's cache folder and no unverified blob
//! under its final name. Nothing goes to any address but 127.0.0.1.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use promptstudio::data::hub::{fetch, FetchRequest, HubSettings};
use sha2::{Digest, Sha256};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const FILE: &str = "data/train-00000-of-00001.parquet";
/// How long a stalling server waits before giving up by itself.
const STALL: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
struct Request {
    path: String,
    headers: HashMap<String, String>,
}

impl Request {
    fn range(&self) -> Option<(usize, Option<usize>)> {
        let (start, end) = self
            .headers
            .get("range")?
            .strip_prefix("bytes=")?
            .split_once('-')?;
        Some((start.parse().ok()?, end.parse().ok()))
    }

    fn is_probe(&self) -> bool {
        self.headers.get("range").map(String::as_str) == Some("bytes=0-0")
    }
}

enum Length {
    /// `Content-Length` is the body's length.
    Exact,
    /// No `Content-Length`: the body ends when the connection closes.
    UntilClose,
}

enum Reply {
    Answer {
        status: &'static str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        length: Length,
    },
    /// Reads the request, then says nothing until [`STALL`] has passed.
    Stall,
    /// Sends the headers and the first bytes of the body, then stalls.
    StallInBody {
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        length: usize,
    },
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

struct Server {
    endpoint: String,
    seen: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let handler: Arc<Handler> = Arc::new(handler);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (log, handler) = (log.clone(), handler.clone());
                std::thread::spawn(move || serve(stream, &*handler, &log));
            }
        });
        Server { endpoint, seen }
    }

    fn seen(&self) -> Vec<Request> {
        self.seen.lock().expect("log").clone()
    }
}

fn serve(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Request>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let request = Request {
        path: request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_string(),
        headers,
    };
    log.lock().expect("log").push(request.clone());
    let mut out = stream;
    match handler(&request) {
        Reply::Answer {
            status,
            headers,
            body,
            length,
        } => {
            let length = match length {
                Length::Exact => Some(body.len()),
                Length::UntilClose => None,
            };
            write_head(&mut out, status, &headers, length);
            let _ = out.write_all(&body);
            let _ = out.flush();
            let _ = out.shutdown(Shutdown::Write);
            // Let the client read everything before the socket closes.
            let mut sink = [0u8; 64];
            let _ = out.set_read_timeout(Some(Duration::from_millis(200)));
            let _ = out.read(&mut sink);
        }
        Reply::Stall => std::thread::sleep(STALL),
        Reply::StallInBody {
            headers,
            body,
            length,
        } => {
            write_head(&mut out, "200 OK", &headers, Some(length));
            let _ = out.write_all(&body);
            let _ = out.flush();
            std::thread::sleep(STALL);
        }
    }
}

fn write_head(
    out: &mut TcpStream,
    status: &str,
    headers: &[(String, String)],
    length: Option<usize>,
) {
    let mut head = format!("HTTP/1.1 {status}\r\nconnection: close\r\n");
    if let Some(length) = length {
        head.push_str(&format!("content-length: {length}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
}

fn header(name: &str, value: impl Into<String>) -> (String, String) {
    (name.to_string(), value.into())
}

/// The 3,532 bytes of the file the Hub means to serve.
fn content() -> Vec<u8> {
    (0..3532u32).map(|index| (index * 7 % 251) as u8).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn json(body: serde_json::Value) -> Reply {
    Reply::Answer {
        status: "200 OK",
        headers: vec![header("content-type", "application/json")],
        body: body.to_string().into_bytes(),
        length: Length::Exact,
    }
}

fn listing(sha: &str, files: &[&str]) -> Reply {
    let siblings: Vec<serde_json::Value> = files
        .iter()
        .map(|name| serde_json::json!({ "rfilename": name }))
        .collect();
    json(serde_json::json!({ "sha": sha, "siblings": siblings }))
}

fn not_found() -> Reply {
    Reply::Answer {
        status: "404 Not Found",
        headers: Vec::new(),
        body: b"{\"error\": \"not found\"}".to_vec(),
        length: Length::Exact,
    }
}

/// A faithful answer for `content`, honouring the request's range, with
/// `headers` added (or replacing the usual ETag and commit).
fn file(request: &Request, content: &[u8], extra: Vec<(String, String)>) -> Reply {
    let total = content.len();
    let (start, end) = request.range().unwrap_or((0, None));
    let end = end.unwrap_or(total - 1).min(total - 1);
    let mut headers: Vec<(String, String)> = vec![
        header("etag", format!("\"{}\"", sha256_hex(content))),
        header("x-repo-commit", COMMIT),
        header("content-range", format!("bytes {start}-{end}/{total}")),
    ];
    for (name, value) in extra {
        headers.retain(|(existing, _)| *existing != name);
        headers.push((name, value));
    }
    Reply::Answer {
        status: "206 Partial Content",
        headers,
        body: content[start.min(total)..=end].to_vec(),
        length: Length::Exact,
    }
}

/// A Hub whose listing offers [`FILE`] at [`COMMIT`] and whose file answers
/// come from `resolve`; other paths (a CDN, say) from `other`.
fn hub(
    resolve: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    other: impl Fn(&Request) -> Reply + Send + Sync + 'static,
) -> Server {
    Server::start(move |request| {
        if request.path.starts_with("/api/datasets/org/evil/revision/") {
            listing(COMMIT, &[FILE])
        } else if request.path.starts_with("/datasets/org/evil/resolve/") {
            resolve(request)
        } else {
            other(request)
        }
    })
}

/// A temporary root holding a victim file, and `home/hub` as the cache.
struct Sandbox {
    root: tempfile::TempDir,
    /// The repo's folder name in the cache, the only place writes may go.
    repo_folder: &'static str,
}

const VICTIM: &[u8] = b"precious, not to be replaced";

impl Sandbox {
    fn new() -> Sandbox {
        let root = tempfile::tempdir().expect("temp");
        std::fs::write(root.path().join("victim.txt"), VICTIM).expect("victim");
        std::fs::create_dir_all(root.path().join("home/hub")).expect("cache");
        Sandbox {
            root,
            repo_folder: "datasets--org--evil",
        }
    }

    fn cache(&self) -> PathBuf {
        self.root.path().join("home/hub")
    }

    fn repo(&self) -> PathBuf {
        self.cache().join(self.repo_folder)
    }

    /// Every path under the root outside the repo's folder.
    fn outside(&self) -> BTreeSet<PathBuf> {
        let mut paths = BTreeSet::new();
        let mut pending = vec![self.root.path().to_path_buf()];
        while let Some(folder) = pending.pop() {
            for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
                let path = entry.path();
                if path == self.repo() {
                    continue;
                }
                if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                    pending.push(path.clone());
                }
                paths.insert(path);
            }
        }
        paths
    }

    fn settings(&self, server: &Server, token: Option<&str>) -> HubSettings {
        HubSettings {
            endpoint: server.endpoint.clone(),
            cache: self.cache(),
            token: token.map(str::to_string),
            offline: false,
            timeout: Duration::from_secs(1),
        }
    }

    /// Runs `fetch` and returns its error, checking that the attempt left
    /// everything outside the repo folder as it was and no blob under a
    /// final name.
    fn fetch_fails(&self, server: &Server, revision: Option<&str>) -> String {
        let before = self.outside();
        let request = FetchRequest {
            dataset: "org/evil",
            subset: None,
            split: None,
            revision,
        };
        let error = fetch(&self.settings(server, Some("secret")), &request, &mut ())
            .expect_err("a hostile Hub must not succeed")
            .to_string();
        self.assert_contained(&before);
        error
    }

    fn assert_contained(&self, before: &BTreeSet<PathBuf>) {
        self.assert_outside_unchanged(before);
        assert_eq!(final_blobs(&self.repo()), Vec::<String>::new());
    }

    fn assert_outside_unchanged(&self, before: &BTreeSet<PathBuf>) {
        assert_eq!(
            std::fs::read(self.root.path().join("victim.txt")).expect("victim"),
            VICTIM
        );
        let after = self.outside();
        assert_eq!(
            after.difference(before).collect::<Vec<_>>(),
            Vec::<&PathBuf>::new(),
            "new paths outside the repo folder"
        );
        for link in links(&self.repo()) {
            let target = std::fs::read_link(&link).expect("link");
            assert!(target.is_relative(), "{}", target.display());
        }
    }

    fn cli(&self, server: &Server, args: &[&str]) -> (Output, Duration) {
        self.cli_checked(server, args, true)
    }

    /// Runs `promptstudio fetch ARGS`; with `failing`, also checks that no
    /// blob is left under a final name.
    fn cli_checked(&self, server: &Server, args: &[&str], failing: bool) -> (Output, Duration) {
        let before = self.outside();
        let started = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_promptstudio"))
            .arg("fetch")
            .args(args)
            .arg("--quiet")
            .env("HF_HOME", self.root.path().join("home"))
            .env("HF_ENDPOINT", &server.endpoint)
            .env("HF_TOKEN", "secret")
            .env("HF_HUB_DOWNLOAD_TIMEOUT", "1")
            .env_remove("HF_HUB_CACHE")
            .env_remove("HF_HUB_OFFLINE")
            .output()
            .expect("runs");
        let elapsed = started.elapsed();
        if failing {
            self.assert_contained(&before);
        } else {
            self.assert_outside_unchanged(&before);
        }
        (output, elapsed)
    }
}

/// Files in `blobs/` under a final name (no extension: not `.part`/`.lock`).
fn final_blobs(repo: &Path) -> Vec<String> {
    std::fs::read_dir(repo.join("blobs"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.contains('.'))
        .collect()
}

fn links(folder: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
        let kind = entry.file_type().expect("type");
        if kind.is_symlink() {
            found.push(entry.path());
        } else if kind.is_dir() {
            found.extend(links(&entry.path()));
        }
    }
    found
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_exit_2(output: &Output, needles: &[&str]) {
    let message = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    for needle in needles {
        assert!(
            message.contains(needle),
            "`{needle}` missing from: {message}"
        );
    }
}

#[test]
fn an_etag_with_dot_dots_never_becomes_a_path() {
    let sandbox = Sandbox::new();
    let server = hub(
        |request| {
            file(
                request,
                b"served by the attacker",
                vec![header("etag", "\"../../../../victim.txt\"")],
            )
        },
        |_| not_found(),
    );
    let error = sandbox.fetch_fails(&server, None);
    assert!(error.contains(FILE) && error.contains("ETag"), "{error}");
    let (output, _) = sandbox.cli(&server, &["org/evil"]);
    assert_exit_2(&output, &[FILE, "not a hex digest"]);
}

#[test]
fn listed_file_names_that_climb_or_are_absolute_are_refused() {
    let sandbox = Sandbox::new();
    let absolute = format!("{}/escape/train.parquet", sandbox.root.path().display());
    for name in [
        "../../../../escape/train.parquet".to_string(),
        "data/../../../../../escape/train.parquet".to_string(),
        absolute,
        "data\\..\\..\\train.parquet".to_string(),
    ] {
        let listed = name.clone();
        let server = Server::start(move |request| {
            if request.path.starts_with("/api/") {
                listing(COMMIT, &[&listed])
            } else {
                file(request, &content(), Vec::new())
            }
        });
        let error = sandbox.fetch_fails(&server, None);
        assert!(error.contains("unsafe file name"), "{error}");
        assert!(
            server
                .seen()
                .iter()
                .all(|seen| seen.path.starts_with("/api/")),
            "no file was requested"
        );
    }
}

#[test]
fn commits_that_are_not_hex_ids_are_refused() {
    let sandbox = Sandbox::new();
    // In the listing.
    let server = Server::start(|request| {
        if request.path.starts_with("/api/") {
            listing("../../../../listed", &[FILE])
        } else {
            file(request, &content(), Vec::new())
        }
    });
    let error = sandbox.fetch_fails(&server, None);
    assert!(error.contains("not a 40-digit hex id"), "{error}");

    // In the file's answer.
    let server = hub(
        |request| {
            file(
                request,
                &content(),
                vec![header("x-repo-commit", "../../../../answered")],
            )
        },
        |_| not_found(),
    );
    let error = sandbox.fetch_fails(&server, None);
    assert!(
        error.contains(FILE) && error.contains("not a 40-digit hex id"),
        "{error}"
    );

    // A well-formed commit other than the listed one.
    let server = hub(
        |request| {
            file(
                request,
                &content(),
                vec![header("x-repo-commit", "f".repeat(40))],
            )
        },
        |_| not_found(),
    );
    let error = sandbox.fetch_fails(&server, None);
    assert!(error.contains("listed the revision at"), "{error}");
}

#[test]
fn a_revision_that_climbs_is_refused_before_any_request() {
    let sandbox = Sandbox::new();
    let server = hub(
        |request| file(request, &content(), Vec::new()),
        |_| not_found(),
    );
    let absolute = format!("{}/elsewhere", sandbox.root.path().display());
    for revision in ["../..", &absolute, "main/../../x", "a\0b"] {
        let error = sandbox.fetch_fails(&server, Some(revision));
        assert!(error.contains("unsafe revision"), "{error}");
    }
    let (output, _) = sandbox.cli(&server, &["org/evil", "--revision", "../.."]);
    assert_exit_2(&output, &["unsafe revision"]);
    assert!(server.seen().is_empty(), "{:?}", server.seen());
}

#[test]
fn a_short_body_is_not_cached() {
    let sandbox = Sandbox::new();
    let server = hub(
        |request| {
            let full = file(request, &content(), Vec::new());
            if request.is_probe() {
                return full;
            }
            let Reply::Answer {
                status, headers, ..
            } = full
            else {
                unreachable!()
            };
            Reply::Answer {
                status,
                headers,
                body: content()[..100].to_vec(),
                length: Length::Exact,
            }
        },
        |_| not_found(),
    );
    let error = sandbox.fetch_fails(&server, None);
    assert!(
        error.contains(FILE) && error.contains("sent 100 of the 3532 bytes"),
        "{error}"
    );
    assert!(
        !has_part_files(&sandbox.repo()),
        "the partial file is removed"
    );
    let (output, _) = sandbox.cli(&server, &["org/evil"]);
    assert_exit_2(&output, &[FILE, "sent 100 of the 3532 bytes"]);
}

#[test]
fn a_size_the_listing_contradicts_is_refused() {
    let sandbox = Sandbox::new();
    let server = Server::start(|request| {
        if request.path.starts_with("/api/") {
            json(serde_json::json!({
                "sha": COMMIT,
                "siblings": [{ "rfilename": FILE, "size": 100 }],
            }))
        } else {
            file(request, &content(), Vec::new())
        }
    });
    let error = sandbox.fetch_fails(&server, None);
    assert!(
        error.contains(FILE) && error.contains("the Hub listed 100 bytes"),
        "{error}"
    );
}

fn has_part_files(repo: &Path) -> bool {
    std::fs::read_dir(repo.join("blobs"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| entry.file_name().to_string_lossy().ends_with(".part"))
}

#[test]
fn a_body_longer_than_stated_is_cut_off_and_not_cached() {
    let sandbox = Sandbox::new();
    let mut oversized = content();
    oversized.extend(std::iter::repeat_n(b'x', 1 << 20));
    for announced in [false, true] {
        let body = oversized.clone();
        let server = hub(
            move |request| {
                if request.is_probe() {
                    return file(request, &content(), Vec::new());
                }
                Reply::Answer {
                    status: "200 OK",
                    headers: vec![header("etag", format!("\"{}\"", sha256_hex(&content())))],
                    body: body.clone(),
                    length: if announced {
                        Length::Exact
                    } else {
                        Length::UntilClose
                    },
                }
            },
            |_| not_found(),
        );
        let error = sandbox.fetch_fails(&server, None);
        assert!(
            error.contains(FILE) && error.contains("more than the 3532 bytes"),
            "{error}"
        );
        assert!(
            !has_part_files(&sandbox.repo()),
            "the partial file is removed"
        );
    }
}

/// An LFS answer as the Hub gives it: a redirect to the CDN with the file's
/// SHA-256, size and commit in the redirect's own headers.
fn lfs_redirect(location: String, sha256: &str) -> Reply {
    Reply::Answer {
        status: "302 Found",
        headers: vec![
            header("location", location),
            header("x-linked-etag", format!("\"{sha256}\"")),
            header("x-linked-size", content().len().to_string()),
            header("x-repo-commit", COMMIT),
            header("etag", "\"0123456789abcdef0123456789abcdef01234567\""),
        ],
        body: Vec::new(),
        length: Length::Exact,
    }
}

#[test]
fn an_lfs_file_whose_sha256_differs_is_not_cached() {
    let sandbox = Sandbox::new();
    let stated = sha256_hex(b"something else");
    let server = hub(
        move |_| lfs_redirect("/cdn/blob".to_string(), &stated),
        |request| file(request, &content(), vec![header("etag", "\"s3-etag-1\"")]),
    );
    let error = sandbox.fetch_fails(&server, None);
    assert!(error.contains(FILE) && error.contains("SHA-256"), "{error}");
    assert!(
        !has_part_files(&sandbox.repo()),
        "the partial file is removed"
    );
}

#[test]
fn the_token_never_follows_a_redirect_to_another_host() {
    let sandbox = Sandbox::new();
    let cdn = Server::start(|request| {
        if request.path == "/blob" {
            file(request, &content(), vec![header("etag", "\"s3-etag-1\"")])
        } else {
            not_found()
        }
    });
    let cdn_url = format!("{}/blob", cdn.endpoint);
    let server = hub(
        move |_| lfs_redirect(cdn_url.clone(), &sha256_hex(&content())),
        |_| not_found(),
    );
    let request = FetchRequest {
        dataset: "org/evil",
        subset: None,
        split: None,
        revision: None,
    };
    let fetched = fetch(
        &sandbox.settings(&server, Some("secret")),
        &request,
        &mut (),
    )
    .expect("a genuine LFS file arrives");
    let path = &fetched.splits[0].paths[0];
    assert_eq!(std::fs::read(path).expect("cached"), content());
    assert_eq!(
        final_blobs(&sandbox.repo()),
        vec![sha256_hex(&content())],
        "the blob is named by its SHA-256"
    );
    assert!(!cdn.seen().is_empty(), "the CDN served the file");
    for seen in cdn.seen() {
        assert_eq!(seen.headers.get("authorization"), None, "{}", seen.path);
    }
    for seen in server.seen() {
        assert_eq!(
            seen.headers.get("authorization").map(String::as_str),
            Some("Bearer secret"),
            "{}",
            seen.path
        );
    }
}

#[test]
fn a_stalled_server_times_out() {
    let sandbox = Sandbox::new();
    // Before any header.
    let server = hub(|_| Reply::Stall, |_| not_found());
    let error = sandbox.fetch_fails(&server, None);
    assert!(
        error.contains(FILE) && error.contains("no answer in time"),
        "{error}"
    );
    let (output, elapsed) = sandbox.cli(&server, &["org/evil"]);
    assert_exit_2(&output, &[FILE, "no answer in time"]);
    // The server stalls for 30 s; a 1 s timeout must end the command first.
    assert!(elapsed < STALL / 2, "{elapsed:?}");

    // In the middle of the body.
    let server = hub(
        |request| {
            if request.is_probe() {
                return file(request, &content(), Vec::new());
            }
            Reply::StallInBody {
                headers: vec![header("etag", format!("\"{}\"", sha256_hex(&content())))],
                body: content()[..100].to_vec(),
                length: content().len(),
            }
        },
        |_| not_found(),
    );
    let error = sandbox.fetch_fails(&server, None);
    assert!(error.contains(FILE) && error.contains("reading"), "{error}");
}

#[test]
fn redirect_loops_end() {
    let sandbox = Sandbox::new();
    // On the Hub itself, while asking about the file.
    let server = hub(
        |request| Reply::Answer {
            status: "302 Found",
            headers: vec![header("location", request.path.clone())],
            body: Vec::new(),
            length: Length::Exact,
        },
        |_| not_found(),
    );
    let error = sandbox.fetch_fails(&server, None);
    assert!(
        error.contains(FILE) && error.contains("redirect loop"),
        "{error}"
    );
    assert!(server.seen().len() < 10, "{} requests", server.seen().len());
    let (output, _) = sandbox.cli(&server, &["org/evil"]);
    assert_exit_2(&output, &[FILE, "redirect loop"]);

    // On the CDN, while downloading.
    let server = hub(
        |_| lfs_redirect("/cdn/0".to_string(), &sha256_hex(&content())),
        |request| {
            let hop: usize = request.path["/cdn/".len()..].parse().unwrap_or(0);
            Reply::Answer {
                status: "307 Temporary Redirect",
                headers: vec![header("location", format!("/cdn/{}", hop + 1))],
                body: Vec::new(),
                length: Length::Exact,
            }
        },
    );
    let error = sandbox.fetch_fails(&server, None);
    assert!(
        error.contains(FILE) && error.contains("redirect loop"),
        "{error}"
    );
    assert!(server.seen().len() < 12, "{} requests", server.seen().len());
}

#[test]
fn fetch_model_goes_through_the_same_checks() {
    let sandbox = Sandbox {
        repo_folder: "models--org--evil",
        ..Sandbox::new()
    };
    let files = ["config.json", "tokenizer.json", "model.safetensors"];
    let listed = move |request: &Request| {
        request
            .path
            .starts_with("/api/models/org/evil/revision/")
            .then(|| listing(COMMIT, &files))
    };
    // A climbing ETag on one of the files.
    let server = Server::start(move |request| {
        listed(request).unwrap_or_else(|| {
            if request.path.ends_with("/tokenizer.json") {
                file(
                    request,
                    &content(),
                    vec![header("etag", "\"../../../../victim.txt\"")],
                )
            } else {
                file(request, &content(), Vec::new())
            }
        })
    });
    let (output, _) = sandbox.cli(&server, &["--model", "org/evil"]);
    assert_exit_2(
        &output,
        &["model `org/evil`", "tokenizer.json", "not a hex digest"],
    );

    // A well-behaved Hub: the two small files arrive, the weights are never asked for.
    let server = Server::start(move |request| {
        listed(request).unwrap_or_else(|| file(request, request.path.as_bytes(), Vec::new()))
    });
    let (output, _) = sandbox.cli_checked(&server, &["--model", "org/evil"], false);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("org/evil at main"), "{printed}");
    let snapshot = sandbox.repo().join("snapshots").join(COMMIT);
    assert_eq!(
        std::fs::read(snapshot.join("config.json")).expect("cached"),
        b"/org/evil/resolve/main/config.json"
    );
    assert!(
        server
            .seen()
            .iter()
            .all(|seen| !seen.path.contains("safetensors")),
        "{:?}",
        server.seen()
    );
}
