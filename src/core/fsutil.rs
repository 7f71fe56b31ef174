//! Saving files without ever leaving a half-written one, and without
//! silently overwriting changes someone else made on disk.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::hash::Hasher;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What a file looked like: enough to notice that it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub len: u64,
    /// Informative only: a file that was merely touched has not changed.
    pub modified: Option<SystemTime>,
    /// A hash of the whole content.
    pub hash: u64,
}

impl Fingerprint {
    /// The fingerprint of `bytes`, as read from a file with `metadata`.
    pub fn of(bytes: &[u8], metadata: Option<&fs::Metadata>) -> Fingerprint {
        Fingerprint {
            len: bytes.len() as u64,
            modified: metadata.and_then(|m| m.modified().ok()),
            hash: content_hash(bytes),
        }
    }

    /// The fingerprint of the file at `path` now.
    pub fn read(path: &Path) -> Result<Fingerprint, SaveError> {
        Self::read_with_bytes(path)
            .map(|(_, fingerprint)| fingerprint)
            .map_err(|source| SaveError::Io {
                path: path.to_path_buf(),
                source,
            })
    }

    /// Reads the file and fingerprints what was read.
    pub fn read_with_bytes(path: &Path) -> io::Result<(Vec<u8>, Fingerprint)> {
        let mut file = File::open(path)?;
        let metadata = file.metadata()?;
        let mut bytes = Vec::with_capacity(metadata.len() as usize);
        io::Read::read_to_end(&mut file, &mut bytes)?;
        let fingerprint = Fingerprint::of(&bytes, Some(&metadata));
        Ok((bytes, fingerprint))
    }

    /// Whether `other` has the same content (length and hash); modification
    /// times are not compared.
    pub fn same_content(&self, other: &Fingerprint) -> bool {
        self.len == other.len && self.hash == other.hash
    }
}

fn content_hash(bytes: &[u8]) -> u64 {
    // SipHash with fixed keys: the value only needs to be stable within one
    // process, where fingerprints are compared.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    /// The file on disk is not what it was when loaded: saving would lose
    /// someone else's changes.
    #[error("{}: the file changed on disk since it was loaded; reload it or save elsewhere", path.display())]
    ChangedOnDisk { path: PathBuf },
    /// The file has no write permission: someone made it read-only on
    /// purpose, and replacing it (which the folder's permission would allow)
    /// would override that.
    #[error("{}: the file is read-only; not replaced (make it writable to save it)", path.display())]
    ReadOnly { path: PathBuf },
    /// The file has other names (hard links). Replacing it would leave those
    /// names on the old content; writing into it in place would give up the
    /// guarantee that a crash never leaves it half-written. Neither is done.
    #[error(
        "{}: the file has {links} hard links; not replaced, as that would leave the other \
         names with the old content (save to a copy, or break the links with `cp` first)",
        path.display()
    )]
    HardLinked { path: PathBuf, links: u64 },
}

impl SaveError {
    /// The path the error is about.
    pub fn path(&self) -> &Path {
        match self {
            SaveError::Io { path, .. }
            | SaveError::ChangedOnDisk { path }
            | SaveError::ReadOnly { path }
            | SaveError::HardLinked { path, .. } => path,
        }
    }

    /// The message without the leading path, for a caller that names the
    /// file itself.
    pub fn reason(&self) -> String {
        let message = self.to_string();
        let prefix = format!("{}: ", self.path().display());
        match message.strip_prefix(&prefix) {
            Some(reason) => reason.to_owned(),
            None => message,
        }
    }
}

/// Replaces the file at `path` with `bytes` so that readers see either the
/// old or the new content, never a mix, even after a crash: a temporary file
/// in the same folder is written and flushed to disk, then renamed over the
/// target, and the folder is flushed so the rename itself is durable. The
/// target's permissions (and, where allowed, owner) are kept; a symbolic link is followed and its
/// target replaced. Returns the new file's fingerprint.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<Fingerprint, SaveError> {
    write_with_check(path, bytes, |_| Ok(()))
}

/// [`write_atomic`], unless the file's content differs from `expected`
/// right before it would be replaced ([`SaveError::ChangedOnDisk`], and
/// nothing is written). A file that no longer exists counts as changed.
/// Returns the new fingerprint.
pub fn write_atomic_if_unchanged(
    path: &Path,
    bytes: &[u8],
    expected: &Fingerprint,
) -> Result<Fingerprint, SaveError> {
    write_with_check(path, bytes, |target| {
        let current = match Fingerprint::read_with_bytes(target) {
            Ok((_, fingerprint)) => fingerprint,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(SaveError::ChangedOnDisk {
                    path: path.to_path_buf(),
                })
            }
            Err(source) => {
                return Err(SaveError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        if current.same_content(expected) {
            Ok(())
        } else {
            Err(SaveError::ChangedOnDisk {
                path: path.to_path_buf(),
            })
        }
    })
}

/// [`write_atomic`] for a file that did not exist when its content was
/// made: refuses ([`SaveError::ChangedOnDisk`], nothing written) when one
/// has appeared since (another editor, a `git pull`).
pub fn write_atomic_if_absent(path: &Path, bytes: &[u8]) -> Result<Fingerprint, SaveError> {
    write_with_check(path, bytes, |target| match fs::symlink_metadata(target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Ok(_) => Err(SaveError::ChangedOnDisk {
            path: path.to_path_buf(),
        }),
        Err(source) => Err(SaveError::Io {
            path: path.to_path_buf(),
            source,
        }),
    })
}

fn write_with_check(
    path: &Path,
    bytes: &[u8],
    check: impl FnOnce(&Path) -> Result<(), SaveError>,
) -> Result<Fingerprint, SaveError> {
    let io_error = |source: io::Error| SaveError::Io {
        path: path.to_path_buf(),
        source,
    };
    let target = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path).map_err(io_error)?,
        _ => path.to_path_buf(),
    };
    if let Ok(existing) = fs::metadata(&target) {
        refuse_to_replace(path, &existing)?;
    }
    let folder = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    remove_stale_temps(&target, &folder);
    let (temp_path, mut temp) = create_temp_beside(&target, &folder).map_err(io_error)?;
    let written = (|| -> Result<Fingerprint, SaveError> {
        temp.write_all(bytes).map_err(io_error)?;
        if let Ok(existing) = fs::metadata(&target) {
            temp.set_permissions(existing.permissions())
                .map_err(io_error)?;
            keep_owner(&temp, &existing);
        }
        temp.sync_all().map_err(io_error)?;
        let metadata = temp.metadata().ok();
        // As late as possible, to keep the window for a lost update small.
        check(&target)?;
        // `temp` stays open, and so locked, until it has its final name:
        // a concurrent cleanup never takes it for a leftover.
        fs::rename(&temp_path, &target).map_err(io_error)?;
        drop(temp);
        Ok(Fingerprint::of(bytes, metadata.as_ref()))
    })();
    match written {
        Ok(fingerprint) => {
            sync_folder(&folder).map_err(io_error)?;
            Ok(fingerprint)
        }
        Err(e) => {
            // Best effort: the temporary file is ours and useless now.
            let _ = fs::remove_file(&temp_path);
            Err(e)
        }
    }
}

/// The name of a temporary file for `target`: hidden, so that catalog
/// discovery and editors' file lists skip it.
fn temp_name(target_name: &str, suffix: &str) -> String {
    format!(".{target_name}.{suffix}.tmp")
}

/// Hex digits in a temporary file's name.
const TEMP_SUFFIX_LEN: usize = 12;

fn target_name(target: &Path) -> String {
    target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Creates a temporary file beside `target` and locks it (`flock`) for as
/// long as it is open, which is how [`remove_stale_temps`] tells a file being
/// written from one left by a writer that was killed.
fn create_temp_beside(target: &Path, folder: &Path) -> io::Result<(PathBuf, File)> {
    let name = target_name(target);
    let mut attempt = 0u32;
    loop {
        let mut random = [0u8; TEMP_SUFFIX_LEN / 2];
        getrandom::fill(&mut random).map_err(io::Error::other)?;
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let temp_path = folder.join(temp_name(&name, &suffix));
        let retry =
            |e: &io::Error, attempt: u32| e.kind() == io::ErrorKind::AlreadyExists && attempt < 16;
        let file = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp_path)
        {
            Ok(file) => file,
            Err(e) if retry(&e, attempt) => {
                attempt += 1;
                continue;
            }
            Err(e) => return Err(e),
        };
        // A cleanup may have taken the file in the moment between creating
        // and locking it: then it holds the lock, or the name is gone. Where
        // the file system has no locks (some network mounts) the file is
        // used unlocked; a cleanup there cannot lock it either, so never
        // removes it.
        let locked = match file.try_lock() {
            Ok(()) => true,
            Err(TryLockError::WouldBlock) => false,
            Err(TryLockError::Error(_)) => true,
        };
        if locked && names_file(&temp_path, &file) {
            return Ok((temp_path, file));
        }
        if attempt >= 16 {
            return Err(io::Error::other("could not create a temporary file"));
        }
        attempt += 1;
    }
}

/// Whether `path` still names the open `file`.
#[cfg(unix)]
fn names_file(path: &Path, file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::symlink_metadata(path), file.metadata()) {
        (Ok(named), Ok(open)) => (named.dev(), named.ino()) == (open.dev(), open.ino()),
        _ => false,
    }
}

#[cfg(not(unix))]
fn names_file(path: &Path, _file: &File) -> bool {
    path.exists()
}

/// Removes temporary files a writer of `target` left behind when it was
/// killed mid-save (`kill -9`, a power cut): only names of our pattern
/// (`.<name>.<12 hex>.tmp`), only files no live process holds locked (a
/// writer holds its lock until the file is renamed into place, and a killed
/// process's locks are released by the kernel), and only if the name still
/// names the file that was checked. Best effort: a failure leaves the file.
fn remove_stale_temps(target: &Path, folder: &Path) {
    let name = target_name(target);
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        if !is_temp_of(file_name, &name) {
            continue;
        }
        let path = entry.path();
        // Never through a link: ours are regular files.
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let Ok(file) = File::open(&path) else {
            continue;
        };
        if file.try_lock().is_ok() && names_file(&path, &file) {
            let _ = fs::remove_file(&path);
        }
    }
}

/// Whether `file_name` is a temporary file of ours for `target_name`.
fn is_temp_of(file_name: &str, target_name: &str) -> bool {
    file_name
        .strip_prefix('.')
        .and_then(|rest| rest.strip_prefix(target_name))
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|rest| rest.strip_suffix(".tmp"))
        .is_some_and(|suffix| {
            suffix.len() == TEMP_SUFFIX_LEN
                && suffix
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}

/// Files a save must not replace: see [`SaveError::ReadOnly`] and
/// [`SaveError::HardLinked`].
fn refuse_to_replace(path: &Path, existing: &fs::Metadata) -> Result<(), SaveError> {
    if existing.permissions().readonly() {
        return Err(SaveError::ReadOnly {
            path: path.to_path_buf(),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if existing.nlink() > 1 {
            return Err(SaveError::HardLinked {
                path: path.to_path_buf(),
                links: existing.nlink(),
            });
        }
    }
    Ok(())
}

/// Gives the new file the old one's owner and group, where allowed (only
/// root may give files away; for anyone else they are already theirs).
#[cfg(unix)]
fn keep_owner(file: &File, existing: &fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    let Ok(current) = file.metadata() else { return };
    if (current.uid(), current.gid()) != (existing.uid(), existing.gid()) {
        // Best effort: failing to chown leaves the file owned by the writer,
        // which is what a plain overwrite by a different user would do.
        let _ = std::os::unix::fs::fchown(file, Some(existing.uid()), Some(existing.gid()));
    }
}

#[cfg(not(unix))]
fn keep_owner(_file: &File, _existing: &fs::Metadata) {}

#[cfg(unix)]
fn sync_folder(folder: &Path) -> io::Result<()> {
    File::open(folder)?.sync_all()
}

#[cfg(not(unix))]
fn sync_folder(_folder: &Path) -> io::Result<()> {
    // Folders cannot be opened for syncing here; the rename is still atomic.
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn names(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(folder)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_save_removes_temporary_files_left_by_a_killed_writer_and_keeps_live_and_foreign_ones() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("templates.yaml");
        fs::write(&target, "old").unwrap();
        // What `kill -9` mid-save leaves: our pattern, nobody holding it.
        let stale = dir.path().join(".templates.yaml.0123456789ab.tmp");
        fs::write(&stale, "half").unwrap();
        // A save in progress elsewhere: locked.
        let live = dir.path().join(".templates.yaml.ba9876543210.tmp");
        let live_file = File::create(&live).unwrap();
        live_file.try_lock().unwrap();
        // Not ours: another file's temporary, other suffixes.
        let foreign = [
            ".other.yaml.0123456789ab.tmp",
            ".templates.yaml.0123456789AB.tmp",
            ".templates.yaml.0123.tmp",
            "templates.yaml.0123456789ab.tmp",
        ];
        for name in foreign {
            fs::write(dir.path().join(name), "keep").unwrap();
        }

        write_atomic(&target, b"new").unwrap();

        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert!(!stale.exists(), "stale temporary file left");
        assert!(live.exists(), "a live writer's file was removed");
        let mut expected: Vec<String> = foreign.iter().map(|s| s.to_string()).collect();
        expected.push(".templates.yaml.ba9876543210.tmp".into());
        expected.push("templates.yaml".into());
        expected.sort();
        assert_eq!(names(dir.path()), expected);
    }

    #[test]
    fn a_read_only_file_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("templates.yaml");
        fs::write(&target, "old").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o444)).unwrap();
        let error = write_atomic(&target, b"new").unwrap_err();
        assert!(matches!(error, SaveError::ReadOnly { .. }), "{error}");
        assert!(error
            .to_string()
            .contains("templates.yaml: the file is read-only"));
        assert_eq!(fs::read(&target).unwrap(), b"old");
        assert_eq!(names(dir.path()), ["templates.yaml"]);
    }

    #[test]
    fn a_hard_linked_file_is_not_replaced_and_its_links_stay_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("templates.yaml");
        let other = dir.path().join("copy.yaml");
        fs::write(&target, "old").unwrap();
        fs::hard_link(&target, &other).unwrap();
        let error = write_atomic(&target, b"new").unwrap_err();
        assert!(
            matches!(error, SaveError::HardLinked { links: 2, .. }),
            "{error}"
        );
        assert_eq!(fs::read(&target).unwrap(), b"old");
        fs::write(&other, "changed through the other name").unwrap();
        assert_eq!(
            fs::read(&target).unwrap(),
            b"changed through the other name"
        );
    }

    #[test]
    fn temporary_names_are_recognised_exactly() {
        assert!(is_temp_of(".t.yaml.00ff00ff00ff.tmp", "t.yaml"));
        assert!(!is_temp_of(".t.yaml.00ff00ff00f.tmp", "t.yaml"));
        assert!(!is_temp_of(".t.yaml.00ff00ff00fg.tmp", "t.yaml"));
        assert!(!is_temp_of(".u.yaml.00ff00ff00ff.tmp", "t.yaml"));
        assert!(!is_temp_of(".t.yaml.00ff00ff00ff.tmp~", "t.yaml"));
    }
}
