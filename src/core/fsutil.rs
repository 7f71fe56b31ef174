//! Saving files without ever leaving a half-written one, and without
//! silently overwriting changes someone else made on disk.

use std::fs::{self, File, OpenOptions};
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
    let folder = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
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
        drop(temp);
        // As late as possible, to keep the window for a lost update small.
        check(&target)?;
        fs::rename(&temp_path, &target).map_err(io_error)?;
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

fn create_temp_beside(target: &Path, folder: &Path) -> io::Result<(PathBuf, File)> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut attempt = 0u32;
    loop {
        let mut random = [0u8; 6];
        getrandom::fill(&mut random).map_err(io::Error::other)?;
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        // Hidden, so that catalog discovery and editors' file lists skip it.
        let temp_path = folder.join(format!(".{name}.{suffix}.tmp"));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp_path)
        {
            Ok(file) => return Ok((temp_path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
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
