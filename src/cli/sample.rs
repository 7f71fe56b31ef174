//! The sample workspace, built into the binary: with no argument outside a
//! workspace, the studio opens a writable copy of it under
//! `$XDG_DATA_HOME/promptstudio/sample-data` (default
//! `~/.local/share/...`), so an installed binary has something to open and
//! never edits the source tree it was built from.

use std::path::{Path, PathBuf};

/// (path inside the workspace, contents) of every sample file.
const FILES: &[(&str, &[u8])] = &[
    ("README.md", include_bytes!("../../sample-data/README.md")),
    (
        "templates/news_topics/templates.yaml",
        include_bytes!("../../sample-data/templates/news_topics/templates.yaml"),
    ),
    (
        "templates/product_reviews/kitchen/templates.yaml",
        include_bytes!("../../sample-data/templates/product_reviews/kitchen/templates.yaml"),
    ),
    (
        "templates/trivia_qa_mini/templates.yaml",
        include_bytes!("../../sample-data/templates/trivia_qa_mini/templates.yaml"),
    ),
    (
        "data/news_topics/_/train.parquet",
        include_bytes!("../../sample-data/data/news_topics/_/train.parquet"),
    ),
    (
        "data/news_topics/_/validation.parquet",
        include_bytes!("../../sample-data/data/news_topics/_/validation.parquet"),
    ),
    (
        "data/product_reviews/kitchen/train.jsonl",
        include_bytes!("../../sample-data/data/product_reviews/kitchen/train.jsonl"),
    ),
    (
        "data/trivia_qa_mini/_/validation.parquet",
        include_bytes!("../../sample-data/data/trivia_qa_mini/_/validation.parquet"),
    ),
    (
        "models/tiny-chat/tokenizer.json",
        include_bytes!("../../sample-data/models/tiny-chat/tokenizer.json"),
    ),
    (
        "models/tiny-chat/tokenizer_config.json",
        include_bytes!("../../sample-data/models/tiny-chat/tokenizer_config.json"),
    ),
    (
        "conversations/news_topic.json",
        include_bytes!("../../sample-data/conversations/news_topic.json"),
    ),
];

/// `$XDG_DATA_HOME/promptstudio/sample-data`, or under `~/.local/share`.
pub fn sample_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".local/share")))?;
    Some(base.join("promptstudio").join("sample-data"))
}

/// Writes the files of the sample workspace missing from `dir` (the ones
/// there, perhaps edited, are kept) and returns `dir`.
pub fn unpack(dir: &Path) -> std::io::Result<PathBuf> {
    for (name, contents) in FILES {
        let path = dir.join(name);
        if path.exists() {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        crate::core::fsutil::write_atomic(&path, contents).map_err(std::io::Error::other)?;
    }
    Ok(dir.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of sample-data/ but its generator script is built in.
    #[test]
    fn the_built_in_copy_has_every_sample_file() {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    let name = path.strip_prefix(root).unwrap().to_string_lossy();
                    out.push(name.replace('\\', "/"));
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
        let mut on_disk = Vec::new();
        walk(&root, &root, &mut on_disk);
        on_disk.retain(|name| !name.starts_with("scripts/"));
        on_disk.sort();
        let mut built_in: Vec<String> = FILES.iter().map(|(name, _)| name.to_string()).collect();
        built_in.sort();
        assert_eq!(built_in, on_disk);
    }

    #[test]
    fn unpacks_missing_files_and_keeps_edited_ones() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("sample-data");
        unpack(&root).unwrap();
        let templates = root.join("templates/news_topics/templates.yaml");
        assert!(templates.is_file());
        assert!(root.join("data/news_topics/_/train.parquet").is_file());
        std::fs::write(&templates, "edited").unwrap();
        std::fs::remove_file(root.join("README.md")).unwrap();
        unpack(&root).unwrap();
        assert_eq!(std::fs::read_to_string(&templates).unwrap(), "edited");
        assert!(root.join("README.md").is_file());
    }
}
