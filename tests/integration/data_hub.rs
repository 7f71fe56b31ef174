//! `fetch` against a small Hub stand-in on 127.0.0.1 that answers the two
//! kinds of request a Hub client makes: `GET /api/datasets/<repo>/revision/<rev>`
//! (the file list) and `GET /datasets/<repo>/resolve/<rev>/<file>` (ranged
//! reads of a file), and the same for models (`/api/models/...`,
//! `/<repo>/resolve/...`). Nothing goes to any other address.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use promptstudio::data::hub::{
    fetch, fetch_model, FetchProgress, FetchRequest, HubSettings, PARQUET_CONVERSION,
};
use promptstudio::data::resolve::Resolver;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data")
}

#[derive(Debug, Clone)]
struct Seen {
    path: String,
    range: Option<String>,
    authorization: Option<String>,
}

/// One revision of one repo: its commit and files.
struct Revision {
    commit: String,
    files: Vec<(String, Vec<u8>)>,
}

struct FakeHub {
    endpoint: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// A stand-in for a blob's etag (the Hub uses the sha256 of LFS files).
fn etag(content: &[u8]) -> String {
    let mut hash: u64 = 0xcbf29ce484222325;
    for byte in content {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x100000001b3);
    }
    format!("{hash:016x}").repeat(4)
}

impl FakeHub {
    /// `repos`: (repo id, revision) → files.
    fn start(repos: HashMap<(String, String), Revision>) -> FakeHub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                serve(stream, &repos, &log);
            }
        });
        FakeHub { endpoint, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("log").clone()
    }
}

fn serve(stream: TcpStream, repos: &HashMap<(String, String), Revision>, log: &Mutex<Vec<Seen>>) {
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
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    log.lock().expect("log").push(Seen {
        path: path.clone(),
        range: headers.get("range").cloned(),
        authorization: headers.get("authorization").cloned(),
    });
    let unescape = |text: &str| text.replace("%2F", "/");
    let mut out = stream;
    // Models are keyed `model:org/name`; their file URLs have no prefix.
    let listed = path
        .strip_prefix("/api/datasets/")
        .map(|rest| (String::new(), rest))
        .or_else(|| {
            path.strip_prefix("/api/models/")
                .map(|rest| ("model:".to_string(), rest))
        });
    if let Some((kind, rest)) = listed {
        let rest = rest.split_once('?').map_or(rest, |(rest, _query)| rest);
        let (repo, revision) = rest.split_once("/revision/").unwrap_or((rest, "main"));
        match repos.get(&(format!("{kind}{repo}"), unescape(revision))) {
            Some(found) => {
                let siblings: Vec<serde_json::Value> = found
                    .files
                    .iter()
                    .map(|(name, content)| {
                        serde_json::json!({ "rfilename": name, "size": content.len() })
                    })
                    .collect();
                let body =
                    serde_json::json!({ "sha": found.commit, "siblings": siblings }).to_string();
                respond(
                    &mut out,
                    "200 OK",
                    &[("content-type", "application/json".into())],
                    body.as_bytes(),
                );
            }
            None => respond(
                &mut out,
                "404 Not Found",
                &[],
                b"{\"error\": \"Repository not found\"}",
            ),
        }
        return;
    }
    let resolved = match path.strip_prefix("/datasets/") {
        Some(rest) => Some((String::new(), rest)),
        None => path
            .strip_prefix('/')
            .filter(|rest| rest.contains("/resolve/"))
            .map(|rest| ("model:".to_string(), rest)),
    };
    if let Some((kind, rest)) = resolved {
        let Some((repo, rest)) = rest.split_once("/resolve/") else {
            return respond(&mut out, "404 Not Found", &[], b"");
        };
        let repo = format!("{kind}{repo}");
        let (revision, file) = rest.split_once('/').unwrap_or((rest, ""));
        let content = repos.get(&(repo, unescape(revision))).and_then(|found| {
            found
                .files
                .iter()
                .find(|(name, _)| name == file)
                .map(|(_, content)| (content, &found.commit))
        });
        let Some((content, commit)) = content else {
            return respond(&mut out, "404 Not Found", &[], b"");
        };
        let total = content.len();
        let (start, end) = headers
            .get("range")
            .and_then(|range| range.strip_prefix("bytes="))
            .and_then(|range| range.split_once('-'))
            .map(|(start, end)| {
                let start: usize = start.parse().unwrap_or(0);
                let end: usize = end.parse().unwrap_or(total.saturating_sub(1));
                (start.min(total), end.min(total.saturating_sub(1)))
            })
            .unwrap_or((0, total.saturating_sub(1)));
        let body = if start <= end {
            &content[start..=end]
        } else {
            &[][..]
        };
        respond(
            &mut out,
            "206 Partial Content",
            &[
                ("etag", format!("\"{}\"", etag(content))),
                ("x-repo-commit", commit.clone()),
                ("content-range", format!("bytes {start}-{end}/{total}")),
            ],
            body,
        );
        return;
    }
    respond(&mut out, "404 Not Found", &[], b"");
}

fn respond(out: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(body);
    let _ = out.flush();
    // Let the client read everything before the socket closes.
    let mut sink = [0u8; 64];
    let _ = out.set_read_timeout(Some(std::time::Duration::from_millis(50)));
    let _ = out.read(&mut sink);
}

fn bytes_of(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).expect("fixture")
}

fn hub_with_two_repos() -> FakeHub {
    let shard = |index: usize| bytes_of(&format!("shards/train-{index:05}-of-00003.parquet"));
    let mut repos = HashMap::new();
    repos.insert(
        ("org/own".to_string(), "main".to_string()),
        Revision {
            commit: "a".repeat(40),
            files: vec![
                ("README.md".to_string(), b"# own".to_vec()),
                ("data/train-00000-of-00002.parquet".to_string(), shard(0)),
                ("data/train-00001-of-00002.parquet".to_string(), shard(1)),
                ("data/test-00000-of-00001.parquet".to_string(), shard(2)),
            ],
        },
    );
    repos.insert(
        ("scripted".to_string(), "main".to_string()),
        Revision {
            commit: "b".repeat(40),
            files: vec![("scripted.py".to_string(), b"# a loading script".to_vec())],
        },
    );
    repos.insert(
        ("scripted".to_string(), PARQUET_CONVERSION.to_string()),
        Revision {
            commit: "c".repeat(40),
            files: vec![
                (
                    "plain_text/train/0000.parquet".to_string(),
                    bytes_of("features.parquet"),
                ),
                (
                    "plain_text/validation/0000.parquet".to_string(),
                    bytes_of("types.parquet"),
                ),
                ("other/train/0000.parquet".to_string(), shard(0)),
            ],
        },
    );
    FakeHub::start(repos)
}

fn settings(hub: &FakeHub, cache: &Path, token: Option<&str>) -> HubSettings {
    HubSettings {
        endpoint: hub.endpoint.clone(),
        cache: cache.to_path_buf(),
        token: token.map(str::to_string),
        offline: false,
        timeout: std::time::Duration::from_secs(5),
    }
}

#[derive(Default)]
struct Recorded {
    started: Vec<(String, u64)>,
    bytes: u64,
    finished: usize,
}

impl FetchProgress for Recorded {
    fn file_started(&mut self, name: &str, size: u64, _index: usize, _count: usize) {
        self.started.push((name.to_string(), size));
    }
    fn advanced(&mut self, bytes: u64) {
        self.bytes += bytes;
    }
    fn file_finished(&mut self) {
        self.finished += 1;
    }
}

fn leftovers(blobs: &Path) -> Vec<String> {
    std::fs::read_dir(blobs)
        .expect("blobs")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().to_string())
        .filter(|name| name.contains('.'))
        .collect()
}

#[test]
fn fetches_a_repos_own_parquet_files_into_the_standard_cache() {
    let hub = hub_with_two_repos();
    let cache = tempfile::tempdir().expect("temp");
    let request = FetchRequest {
        dataset: "org/own",
        subset: None,
        split: None,
        revision: None,
    };
    let mut progress = Recorded::default();
    let fetched = fetch(
        &settings(&hub, cache.path(), Some("secret")),
        &request,
        &mut progress,
    )
    .expect("fetched");
    assert_eq!(fetched.revision, "main");
    assert_eq!(fetched.downloaded, 3);
    let splits: Vec<&str> = fetched
        .splits
        .iter()
        .map(|found| found.split.as_str())
        .collect();
    assert_eq!(splits, ["test", "train"]);

    // The layout huggingface_hub uses: relative symlinks into blobs, a ref.
    let repo = cache.path().join("datasets--org--own");
    let snapshot = repo.join("snapshots").join("a".repeat(40));
    let train = snapshot.join("data/train-00000-of-00002.parquet");
    assert_eq!(fetched.splits[1].paths[0], train);
    let link = std::fs::read_link(&train).expect("a symlink");
    assert!(
        link.is_relative() && link.starts_with("../../../blobs"),
        "{}",
        link.display()
    );
    assert_eq!(
        std::fs::read(&train).expect("readable"),
        bytes_of("shards/train-00000-of-00003.parquet")
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("refs/main")).expect("ref"),
        "a".repeat(40)
    );
    assert!(
        leftovers(&repo.join("blobs")).is_empty(),
        "{:?}",
        leftovers(&repo.join("blobs"))
    );

    // Progress saw each file with its size; the token went with every request.
    assert_eq!(progress.started.len(), 3);
    assert_eq!(progress.finished, 3);
    let total: u64 = progress.started.iter().map(|(_, size)| size).sum();
    assert_eq!(progress.bytes, total);
    for seen in hub.seen() {
        assert_eq!(
            seen.authorization.as_deref(),
            Some("Bearer secret"),
            "{}",
            seen.path
        );
    }
    // README.md is not a Parquet file: never requested.
    assert!(hub
        .seen()
        .iter()
        .all(|seen| !seen.path.ends_with("README.md")));

    // The resolver finds what fetch wrote.
    let resolver = Resolver {
        workspace: cache.path().join("no-workspace"),
        hub_cache: cache.path().to_path_buf(),
        datasets_cache: cache.path().join("no-datasets"),
    };
    let source = resolver
        .resolve("org/own", Some("train"))
        .expect("found")
        .open()
        .expect("opens");
    assert_eq!(source.wait_for_row_count().expect("count"), 8);

    // A second fetch downloads nothing.
    let again = fetch(&settings(&hub, cache.path(), None), &request, &mut ()).expect("fetched");
    assert_eq!(again.downloaded, 0);
}

#[test]
fn uses_the_parquet_conversion_when_the_repo_has_no_parquet_files() {
    let hub = hub_with_two_repos();
    let cache = tempfile::tempdir().expect("temp");
    let request = FetchRequest {
        dataset: "scripted",
        subset: Some("plain_text"),
        split: Some("validation"),
        revision: None,
    };
    let fetched = fetch(&settings(&hub, cache.path(), None), &request, &mut ()).expect("fetched");
    assert_eq!(fetched.revision, PARQUET_CONVERSION);
    assert_eq!(fetched.downloaded, 1);
    assert_eq!(fetched.splits.len(), 1);
    let repo = cache.path().join("datasets--scripted");
    assert_eq!(
        std::fs::read_to_string(repo.join("refs/refs/convert/parquet")).expect("ref"),
        "c".repeat(40)
    );
    let paths: Vec<String> = hub.seen().into_iter().map(|seen| seen.path).collect();
    assert!(
        paths.contains(&"/api/datasets/scripted/revision/main?blobs=true".to_string()),
        "{paths:?}"
    );
    assert!(
        paths.contains(
            &"/api/datasets/scripted/revision/refs%2Fconvert%2Fparquet?blobs=true".to_string()
        ),
        "{paths:?}"
    );
    assert!(
        paths.iter().all(|path| !path.contains("/train/")),
        "only the asked split: {paths:?}"
    );

    let error = fetch(
        &settings(&hub, cache.path(), None),
        &FetchRequest {
            split: Some("nope"),
            ..request
        },
        &mut (),
    )
    .expect_err("unknown split");
    assert!(
        error.to_string().contains("splits: train, validation"),
        "{error}"
    );
}

#[test]
fn offline_uses_only_the_cache() {
    let hub = hub_with_two_repos();
    let cache = tempfile::tempdir().expect("temp");
    let request = FetchRequest {
        dataset: "org/own",
        subset: None,
        split: Some("test"),
        revision: None,
    };
    let mut offline = settings(&hub, cache.path(), None);
    offline.offline = true;
    let error = fetch(&offline, &request, &mut ()).expect_err("not cached yet");
    assert!(error.to_string().contains("HF_HUB_OFFLINE"), "{error}");
    fetch(&settings(&hub, cache.path(), None), &request, &mut ()).expect("online fetch");
    let requests_before = hub.seen().len();
    let fetched = fetch(&offline, &request, &mut ()).expect("cached");
    assert_eq!(fetched.splits[0].split, "test");
    assert_eq!(fetched.revision, "main");
    assert_eq!(hub.seen().len(), requests_before, "offline sends nothing");
}

#[test]
fn an_interrupted_download_resumes_and_stale_files_go() {
    let hub = hub_with_two_repos();
    let cache = tempfile::tempdir().expect("temp");
    let content = bytes_of("shards/train-00002-of-00003.parquet");
    let blobs = cache.path().join("datasets--org--own/blobs");
    std::fs::create_dir_all(&blobs).expect("blobs");
    let blob = blobs.join(etag(&content));
    std::fs::write(blob.with_extension("part"), &content[..100]).expect("partial file");
    // Leftovers of an earlier, finished download by another tool.
    std::fs::write(blobs.join("0123.lock"), b"").expect("lock");
    std::fs::write(blobs.join("4567"), b"done").expect("blob");
    std::fs::write(blobs.join("4567.incomplete"), b"do").expect("incomplete");

    let request = FetchRequest {
        dataset: "org/own",
        subset: None,
        split: Some("test"),
        revision: None,
    };
    let fetched = fetch(&settings(&hub, cache.path(), None), &request, &mut ()).expect("fetched");
    assert_eq!(
        std::fs::read(&fetched.splits[0].paths[0]).expect("read"),
        content
    );
    let ranges: Vec<String> = hub
        .seen()
        .into_iter()
        .filter_map(|seen| seen.range)
        .collect();
    assert!(
        ranges.contains(&"bytes=100-".to_string()),
        "resumed: {ranges:?}"
    );
    assert!(leftovers(&blobs).is_empty(), "{:?}", leftovers(&blobs));
}

#[test]
fn a_missing_repo_is_a_clear_error() {
    let hub = hub_with_two_repos();
    let cache = tempfile::tempdir().expect("temp");
    let request = FetchRequest {
        dataset: "nobody/nothing",
        subset: None,
        split: None,
        revision: None,
    };
    let message = fetch(&settings(&hub, cache.path(), None), &request, &mut ())
        .expect_err("missing")
        .to_string();
    assert!(
        message.starts_with("dataset `nobody/nothing` on the Hub: listing revision `main`"),
        "{message}"
    );
}

#[test]
fn fetches_a_models_tokenizer_and_config_files_but_never_its_weights() {
    let mut repos = HashMap::new();
    repos.insert(
        ("model:org/chat".to_string(), "main".to_string()),
        Revision {
            commit: "d".repeat(40),
            files: vec![
                (
                    "config.json".to_string(),
                    b"{\"max_position_embeddings\": 4096}".to_vec(),
                ),
                (
                    "tokenizer_config.json".to_string(),
                    b"{\"chat_template\": \"{{ messages }}\"}".to_vec(),
                ),
                (
                    "chat_template.jinja".to_string(),
                    b"{% for m in messages %}{{ m.content }}{% endfor %}".to_vec(),
                ),
                ("model.safetensors".to_string(), vec![0u8; 4096]),
                ("pytorch_model.bin".to_string(), vec![1u8; 4096]),
                ("sub/config.json".to_string(), b"{}".to_vec()),
                ("README.md".to_string(), b"# chat".to_vec()),
            ],
        },
    );
    let hub = FakeHub::start(repos);
    let cache = tempfile::tempdir().expect("temp");
    let fetched = fetch_model(
        &settings(&hub, cache.path(), None),
        "org/chat",
        None,
        &mut (),
    )
    .expect("fetched");
    let repo = cache.path().join("models--org--chat");
    let snapshot = repo.join("snapshots").join("d".repeat(40));
    assert_eq!(fetched.snapshot, snapshot);
    assert_eq!(fetched.downloaded, 3);
    assert_eq!(
        fetched.paths,
        [
            "tokenizer_config.json",
            "chat_template.jinja",
            "config.json"
        ]
        .map(|name| snapshot.join(name))
    );
    assert_eq!(
        std::fs::read(snapshot.join("chat_template.jinja")).expect("cached"),
        b"{% for m in messages %}{{ m.content }}{% endfor %}"
    );
    let link = std::fs::read_link(snapshot.join("config.json")).expect("a symlink");
    assert!(link.starts_with("../../blobs"), "{}", link.display());
    assert_eq!(
        std::fs::read_to_string(repo.join("refs/main")).expect("ref"),
        "d".repeat(40)
    );
    let requested: Vec<String> = hub.seen().into_iter().map(|seen| seen.path).collect();
    assert!(
        requested.contains(&"/api/models/org/chat/revision/main?blobs=true".to_string()),
        "{requested:?}"
    );
    for never in [
        "model.safetensors",
        "pytorch_model.bin",
        "sub/config.json",
        "README.md",
    ] {
        assert!(
            requested.iter().all(|path| !path.ends_with(never)),
            "{never} requested: {requested:?}"
        );
        assert!(!snapshot.join(never).exists(), "{never}");
    }

    // Cached now: offline finds the same files, and a second fetch downloads nothing.
    let mut offline = settings(&hub, cache.path(), None);
    offline.offline = true;
    let cached = fetch_model(&offline, "org/chat", None, &mut ()).expect("cached");
    assert_eq!(cached.paths, fetched.paths);
    let again = fetch_model(
        &settings(&hub, cache.path(), None),
        "org/chat",
        None,
        &mut (),
    )
    .expect("fetched");
    assert_eq!(again.downloaded, 0);

    let error = fetch_model(
        &settings(&hub, cache.path(), None),
        "org/../x",
        None,
        &mut (),
    )
    .expect_err("not a repo id");
    assert!(
        error.to_string().starts_with("model `org/../x` on the Hub"),
        "{error}"
    );
}
