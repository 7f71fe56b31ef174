//! Keeping an export inside the folders it was given.
//!
//! A manifest is data from a file (a shard folder may come from another
//! machine or another user), so nothing in it may steer a write: every path
//! it names is checked to be a plain name below its folder, links are never
//! followed, and `--out` may neither be nor contain nor lie inside an input.

use std::path::{Component, Path, PathBuf};

use anyhow::Context;

use super::manifest::MANIFEST_FILE;

/// The longest file or folder name the usual file systems accept (ext4,
/// XFS, btrfs, APFS: 255 bytes).
pub const MAX_NAME_BYTES: usize = 255;

/// Why `name` is not a plain file name (one path segment, no way out of its
/// folder), or `None` when it is one.
pub fn plain_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("is empty")
    } else if name == "." || name == ".." {
        Some("is `.` or `..`")
    } else if name.contains('\0') {
        Some("contains a NUL byte")
    } else if name.contains('/') || name.contains('\\') {
        Some("contains a path separator")
    } else if name.len() > MAX_NAME_BYTES {
        Some("is longer than 255 bytes")
    } else {
        None
    }
}

/// The metadata of `path` itself (a link is not followed), failing when it
/// is a symbolic link: a link inside an export folder could point anywhere.
pub fn no_link(path: &Path) -> anyhow::Result<Option<std::fs::Metadata>> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => anyhow::bail!(
            "{} is a symbolic link: links in export folders are neither followed nor copied",
            path.display()
        ),
        Ok(metadata) => Ok(Some(metadata)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// `path` made absolute with links resolved, also when its last components
/// do not exist yet (the existing part is resolved, the rest appended).
fn resolved(path: &Path) -> anyhow::Result<PathBuf> {
    let absolute = std::path::absolute(path)
        .with_context(|| format!("cannot make {} absolute", path.display()))?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(mut real) => {
                for component in rest.iter().rev() {
                    real.push(component);
                }
                return Ok(real);
            }
            Err(_) => {
                let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
                    return Ok(absolute);
                };
                rest.push(name.to_os_string());
                existing = parent;
            }
        }
    }
}

/// Refuses a `--merge` whose `--out` is one of its inputs, lies inside one,
/// or holds one: the merge would then overwrite a shard's manifest or files
/// while reading them.
pub fn check_apart(inputs: &[PathBuf], out: &Path) -> anyhow::Result<()> {
    let out_real = resolved(out)?;
    for input in inputs {
        let input_real = resolved(input)?;
        let problem = if input_real == out_real {
            "is one of the shard folders"
        } else if out_real.starts_with(&input_real) {
            "lies inside the shard folder"
        } else if input_real.starts_with(&out_real) {
            "holds the shard folder"
        } else {
            continue;
        };
        anyhow::bail!(
            "--out {} {problem} {}: merge into a folder apart from the shards",
            out.display(),
            input.display()
        );
    }
    Ok(())
}

/// Refuses an output folder that exists, holds something, and has no
/// manifest: it is not an export folder, and writing task folders into it
/// (`--out /`, `--out ~`) would scatter files among the user's own.
/// An existing manifest is checked by whoever loads it.
pub fn check_out_folder(out: &Path) -> anyhow::Result<()> {
    // `--out` itself may be a link to a folder (the user named it); only
    // what is inside is never followed.
    let metadata = match std::fs::metadata(out) {
        Ok(metadata) => metadata,
        // Missing, or a file in the way: creating it reports that.
        Err(_) => return Ok(()),
    };
    if !metadata.is_dir() {
        return Ok(());
    }
    if no_link(&out.join(MANIFEST_FILE))?.is_some() {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(out)
        .with_context(|| format!("cannot read output folder {}", out.display()))?;
    if entries.next().is_some() {
        anyhow::bail!(
            "output folder {} is not empty and holds no {MANIFEST_FILE}: \
             it is not an export folder; give an empty or new folder",
            out.display()
        );
    }
    Ok(())
}

/// Whether `relative` is exactly `<folder>/<name>` with both plain names.
pub fn split_relative(relative: &str) -> Option<(&str, &str)> {
    let (folder, name) = relative.split_once('/')?;
    let plain = plain_name_problem(folder).is_none() && plain_name_problem(name).is_none();
    let single = Path::new(relative)
        .components()
        .all(|component| matches!(component, Component::Normal(_)));
    (plain && single).then_some((folder, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_have_no_way_out() {
        assert_eq!(plain_name_problem("train-00001-of-00002.jsonl"), None);
        assert_eq!(plain_name_problem("..."), None);
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "../x",
            "/etc",
            "a\\b",
            "a\0b",
            &"x".repeat(256),
        ] {
            assert!(plain_name_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn relative_paths_are_a_folder_and_a_file() {
        assert_eq!(
            split_relative("task/train.jsonl"),
            Some(("task", "train.jsonl"))
        );
        for bad in [
            "train.jsonl",
            "../../../victim.jsonl",
            "/tmp/victim.jsonl",
            "task/../train.jsonl",
            "task/sub/train.jsonl",
            "task//train.jsonl",
            "./train.jsonl",
        ] {
            assert_eq!(split_relative(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn out_must_be_apart_from_the_inputs() {
        let work = tempfile::tempdir().unwrap();
        let shard = work.path().join("shard-0");
        std::fs::create_dir(&shard).unwrap();
        let inputs = vec![shard.clone()];
        let message = |out: &Path| format!("{:#}", check_apart(&inputs, out).unwrap_err());
        assert!(message(&shard).contains("is one of the shard folders"));
        assert!(message(&shard.join("merged")).contains("lies inside"));
        assert!(message(work.path()).contains("holds the shard folder"));
        // Through `..` and a link to the same folder.
        assert!(message(&shard.join("../shard-0")).contains("is one of"));
        let link = work.path().join("link");
        std::os::unix::fs::symlink(&shard, &link).unwrap();
        assert!(message(&link).contains("is one of"));
        check_apart(&inputs, &work.path().join("merged")).unwrap();
    }

    #[test]
    fn out_folder_is_new_empty_or_an_export() {
        let work = tempfile::tempdir().unwrap();
        check_out_folder(&work.path().join("new")).unwrap();
        check_out_folder(work.path()).unwrap();
        std::fs::write(work.path().join("notes.txt"), "mine").unwrap();
        let message = format!("{:#}", check_out_folder(work.path()).unwrap_err());
        assert!(
            message.contains("is not empty and holds no manifest.json"),
            "{message}"
        );
        std::fs::write(work.path().join(MANIFEST_FILE), "{}").unwrap();
        check_out_folder(work.path()).unwrap();
        assert!(check_out_folder(Path::new("/")).is_err());
    }
}
