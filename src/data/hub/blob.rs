//! One file of a Hub repo into the cache: what the Hub states about it
//! (blob name, size, SHA-256, commit), the download into
//! `blobs/<etag>.part` checked against those statements, then fsync and an
//! atomic rename to `blobs/<etag>`, and the snapshot's relative symlink.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use sha2::{Digest, Sha256};
use ureq::http::{StatusCode, Uri};

use super::http::{Answer, Client, MAX_REDIRECTS};
use super::names::{blob_name, check_commit};
use super::FetchProgress;

/// What the Hub states about a file before it is downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stated {
    /// The blob's file name in `blobs/` (a checked hex digest).
    pub blob: String,
    pub size: u64,
    /// For LFS files, the SHA-256 of the content.
    pub sha256: Option<String>,
    /// The commit the Hub resolved the revision to, when it says.
    pub commit: Option<String>,
}

/// Asks the Hub about a file with a one-byte read, stopping at the Hub's
/// own answer: an LFS file's answer is a redirect to a CDN whose headers
/// describe the CDN's object, not the Hub's file.
pub(crate) fn stat(client: &Client, url: &Uri) -> Result<Stated, String> {
    let mut answer = client.get_once(url, Some("bytes=0-0"))?;
    let mut hops = 0;
    while answer.header("x-linked-etag").is_none() {
        let Some(target) = answer.redirect_target() else {
            break;
        };
        let target = target?;
        if !client.is_endpoint(&target) {
            break;
        }
        hops += 1;
        if hops > MAX_REDIRECTS {
            return Err(format!(
                "more than {MAX_REDIRECTS} redirects from {url} (a redirect loop?)"
            ));
        }
        answer = client.get_once(&target, Some("bytes=0-0"))?;
    }
    stated_by(&answer)
}

fn stated_by(answer: &Answer) -> Result<Stated, String> {
    let status = answer.status();
    if !status.is_success() && !status.is_redirection() {
        return Err(format!("{} answered {status}", answer.url));
    }
    let linked = answer.header("x-linked-etag");
    let etag = linked
        .or_else(|| answer.header("etag"))
        .ok_or_else(|| format!("{} sent no ETag", answer.url))?;
    let blob = blob_name(etag)?;
    let commit = answer
        .header("x-repo-commit")
        .map(|commit| check_commit(commit).map(|()| commit.to_string()))
        .transpose()?;
    let size = if let Some(size) = answer.header("x-linked-size") {
        Some(size)
    } else if status == StatusCode::PARTIAL_CONTENT {
        answer
            .header("content-range")
            .and_then(|range| range.rsplit_once('/'))
            .map(|(_, total)| total)
    } else if status == StatusCode::OK {
        answer.header("content-length")
    } else {
        None
    };
    let size = size
        .and_then(|size| size.trim().parse::<u64>().ok())
        .ok_or_else(|| format!("{} did not state the file's size", answer.url))?;
    // An LFS file's linked ETag is its SHA-256.
    let sha256 = linked
        .is_some()
        .then(|| blob.to_ascii_lowercase())
        .filter(|digest| digest.len() == 64);
    Ok(Stated {
        blob,
        size,
        sha256,
        commit,
    })
}

/// Why a download failed, and whether its partial file is worth keeping.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The connection failed: the partial file stays, so a later fetch
    /// resumes it.
    Interrupted(String),
    /// The server sent something other than what the Hub stated: the
    /// partial file is removed.
    Rejected(String),
}

impl Failure {
    pub fn message(self) -> String {
        match self {
            Failure::Interrupted(message) | Failure::Rejected(message) => message,
        }
    }
}

/// Downloads `url` into `blobs/<blob>` unless it is there already.
pub(crate) fn download(
    client: &Client,
    url: &Uri,
    blobs: &Path,
    stated: &Stated,
    progress: &mut dyn FetchProgress,
) -> Result<(), Failure> {
    let io = |what: &str, path: &Path, error: std::io::Error| {
        Failure::Interrupted(format!("{what} {}: {error}", path.display()))
    };
    let blob = blobs.join(&stated.blob);
    std::fs::create_dir_all(blobs).map_err(|error| io("cannot create", blobs, error))?;
    let lock_path = blobs.join(format!("{}.lock", stated.blob));
    let _lock = Lock::take(&lock_path)?;
    if blob.is_file() {
        return Ok(());
    }
    let part = blobs.join(format!("{}.part", stated.blob));
    let result = fill(client, url, &part, stated, progress);
    match result {
        Ok(()) => {
            std::fs::rename(&part, &blob).map_err(|error| io("cannot rename", &part, error))?;
            if let Ok(folder) = File::open(blobs) {
                // The rename is durable only once the folder is synced.
                let _ = folder.sync_all();
            }
            Ok(())
        }
        Err(Failure::Rejected(message)) => {
            let _ = std::fs::remove_file(&part);
            Err(Failure::Rejected(message))
        }
        Err(interrupted) => Err(interrupted),
    }
}

fn fill(
    client: &Client,
    url: &Uri,
    part: &Path,
    stated: &Stated,
    progress: &mut dyn FetchProgress,
) -> Result<(), Failure> {
    let io = |error: std::io::Error| {
        Failure::Interrupted(format!("writing {}: {error}", part.display()))
    };
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(part)
        .map_err(io)?;
    let mut start = file.metadata().map_err(io)?.len();
    if start > stated.size {
        file.set_len(0).map_err(io)?;
        start = 0;
    }
    let mut hasher = stated.sha256.as_ref().map(|_| Sha256::new());
    if let Some(hasher) = hasher.as_mut() {
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        std::io::copy(&mut (&mut file).take(start), hasher).map_err(io)?;
    }
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    progress.advanced(start);
    if start < stated.size {
        let range = format!("bytes={start}-");
        let answer = client
            .get(url, Some(&range))
            .map_err(Failure::Interrupted)?;
        match answer.status() {
            StatusCode::PARTIAL_CONTENT => {
                let from = answer
                    .header("content-range")
                    .and_then(|range| range.strip_prefix("bytes "))
                    .and_then(|range| range.split_once('-'))
                    .and_then(|(from, _)| from.parse::<u64>().ok());
                if from != Some(start) {
                    return Err(Failure::Rejected(format!(
                        "{} answered range `{range}` with `{}`",
                        answer.url,
                        answer.header("content-range").unwrap_or("no Content-Range")
                    )));
                }
            }
            StatusCode::OK if start > 0 => {
                // The server ignored the range: start again from the top.
                file.set_len(0).map_err(io)?;
                file.seek(SeekFrom::Start(0)).map_err(io)?;
                hasher = stated.sha256.as_ref().map(|_| Sha256::new());
                start = 0;
            }
            StatusCode::OK => {}
            status => {
                return Err(Failure::Interrupted(format!(
                    "{} answered {status}",
                    answer.url
                )))
            }
        }
        let announced = answer
            .header("content-length")
            .and_then(|length| length.trim().parse::<u64>().ok());
        if let Some(length) = announced {
            if start.saturating_add(length) > stated.size {
                return Err(Failure::Rejected(format!(
                    "the server announced {} bytes, more than the {} bytes the Hub stated",
                    start.saturating_add(length),
                    stated.size
                )));
            }
        }
        let mut body = answer.response.into_body().into_reader();
        copy_at_most(
            &mut body,
            &mut file,
            stated.size - start,
            hasher.as_mut(),
            progress,
        )
        .map_err(|failure| match failure {
            Copy::Read(error) => Failure::Interrupted(format!("reading {url}: {error}")),
            Copy::Write(error) => io(error),
            Copy::TooLong => Failure::Rejected(format!(
                "the server sent more than the {} bytes the Hub stated",
                stated.size
            )),
            Copy::Short(missing) => Failure::Rejected(format!(
                "the server sent {} of the {} bytes the Hub stated",
                stated.size - missing,
                stated.size
            )),
        })?;
    }
    if let (Some(hasher), Some(expected)) = (hasher, &stated.sha256) {
        let actual: String = hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        if &actual != expected {
            return Err(Failure::Rejected(format!(
                "its SHA-256 is {actual}, the Hub stated {expected}"
            )));
        }
    }
    file.sync_all().map_err(io)?;
    Ok(())
}

#[derive(Debug)]
enum Copy {
    Read(std::io::Error),
    Write(std::io::Error),
    /// More than the expected bytes arrived (none of the excess is written).
    TooLong,
    /// The body ended this many bytes early.
    Short(u64),
}

/// Copies exactly `expected` bytes; a body that is longer fails before any
/// byte past `expected` is written.
fn copy_at_most(
    body: &mut dyn Read,
    out: &mut dyn Write,
    expected: u64,
    mut hasher: Option<&mut Sha256>,
    progress: &mut dyn FetchProgress,
) -> Result<(), Copy> {
    let mut remaining = expected;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = match body.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(Copy::Read(error)),
        };
        if read as u64 > remaining {
            return Err(Copy::TooLong);
        }
        out.write_all(&buffer[..read]).map_err(Copy::Write)?;
        if let Some(hasher) = hasher.as_deref_mut() {
            hasher.update(&buffer[..read]);
        }
        remaining -= read as u64;
        progress.advanced(read as u64);
    }
    if remaining > 0 {
        return Err(Copy::Short(remaining));
    }
    Ok(())
}

/// An exclusive `flock` on `blobs/<etag>.lock`, as hf-hub and Python's
/// `filelock` take it; another process downloading the same blob makes this
/// fetch fail rather than wait on it.
struct Lock {
    _file: File,
}

impl Lock {
    fn take(path: &Path) -> Result<Lock, Failure> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|error| {
                Failure::Interrupted(format!("cannot create {}: {error}", path.display()))
            })?;
        if !try_lock(&file) {
            return Err(Failure::Interrupted(format!(
                "another process is downloading this file ({} is locked)",
                path.display()
            )));
        }
        Ok(Lock { _file: file })
    }
}

#[cfg(unix)]
fn try_lock(file: &File) -> bool {
    // `flock(LOCK_EX | LOCK_NB)` on Unix, the lock Python's `filelock` takes.
    file.try_lock().is_ok()
}

#[cfg(not(unix))]
fn try_lock(_file: &File) -> bool {
    true
}

/// Points `snapshot/<file>` at `blobs/<blob>` with a relative symlink, as
/// `huggingface_hub` does (a copy where symlinks are unavailable).
pub(crate) fn link(snapshot: &Path, file: &str, blob: &str) -> std::io::Result<()> {
    let path = snapshot.join(file);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    if path.symlink_metadata().is_ok() {
        std::fs::remove_file(&path)?;
    }
    // From `snapshots/<commit>/<dirs...>/` up to the repo folder.
    let up = file.split('/').count() + 1;
    let target = format!("{}blobs/{blob}", "../".repeat(up));
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(target, &path)
    }
    #[cfg(not(unix))]
    {
        let blob_path = path.parent().unwrap_or(snapshot).join(target);
        std::fs::copy(blob_path, &path).map(|_| ())
    }
}

/// Writes `refs/<revision>` (a checked revision) atomically.
pub(crate) fn write_ref(repo_folder: &Path, revision: &str, commit: &str) -> std::io::Result<()> {
    let path = repo_folder.join("refs").join(revision);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let temporary = path.with_file_name(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    std::fs::write(&temporary, commit)?;
    std::fs::rename(&temporary, &path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Counted(u64);

    impl FetchProgress for Counted {
        fn file_started(&mut self, _: &str, _: u64, _: usize, _: usize) {}
        fn advanced(&mut self, bytes: u64) {
            self.0 += bytes;
        }
        fn file_finished(&mut self) {}
    }

    /// Hands out its bytes a few at a time, as a socket does.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
            let count = self.0.len().min(buffer.len()).min(3);
            buffer[..count].copy_from_slice(&self.0[..count]);
            self.0 = &self.0[count..];
            Ok(count)
        }
    }

    #[test]
    fn copies_exactly_the_expected_bytes() {
        let mut out = Vec::new();
        let mut progress = Counted::default();
        copy_at_most(
            &mut Trickle(b"0123456789"),
            &mut out,
            10,
            None,
            &mut progress,
        )
        .expect("copied");
        assert_eq!(out, b"0123456789");
        assert_eq!(progress.0, 10);
    }

    #[test]
    fn a_longer_body_fails_without_writing_past_the_expected_size() {
        let mut out = Vec::new();
        let result = copy_at_most(&mut Trickle(b"0123456789"), &mut out, 7, None, &mut ());
        assert!(matches!(result, Err(Copy::TooLong)), "{result:?}");
        assert!(out.len() <= 7, "{out:?}");
        assert!(b"0123456".starts_with(&out));
    }

    #[test]
    fn a_shorter_body_fails_with_what_is_missing() {
        let mut out = Vec::new();
        let result = copy_at_most(&mut Trickle(b"0123"), &mut out, 10, None, &mut ());
        assert!(matches!(result, Err(Copy::Short(6))), "{result:?}");
    }

    #[test]
    fn links_are_relative_and_stay_in_the_repo_folder() {
        let repo = tempfile::tempdir().expect("temp");
        std::fs::create_dir_all(repo.path().join("blobs")).expect("blobs");
        std::fs::write(repo.path().join("blobs/abc"), b"content").expect("blob");
        let snapshot = repo.path().join("snapshots").join("c".repeat(40));
        link(&snapshot, "data/deep/file.parquet", "abc").expect("linked");
        link(&snapshot, "top.json", "abc").expect("linked");
        for file in ["data/deep/file.parquet", "top.json"] {
            assert_eq!(
                std::fs::read(snapshot.join(file)).expect("readable"),
                b"content"
            );
        }
        #[cfg(unix)]
        assert_eq!(
            std::fs::read_link(snapshot.join("top.json")).expect("link"),
            Path::new("../../blobs/abc")
        );
        // Linking again replaces the link.
        link(&snapshot, "top.json", "abc").expect("relinked");
    }

    #[test]
    fn refs_are_written_whole() {
        let repo = tempfile::tempdir().expect("temp");
        write_ref(repo.path(), "refs/convert/parquet", &"a".repeat(40)).expect("written");
        assert_eq!(
            std::fs::read_to_string(repo.path().join("refs/refs/convert/parquet")).expect("ref"),
            "a".repeat(40)
        );
        let names: Vec<_> = std::fs::read_dir(repo.path().join("refs/refs/convert"))
            .expect("folder")
            .flatten()
            .map(|entry| entry.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
