//! Where the rows of a (dataset, subset, split) come from: the data layer's
//! readers behind [`RowSource`].

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::RowSource;
use crate::core::datum::Row;
use crate::data::parquet::ParquetFile;

/// A Parquet file of the data layer, read in row ranges (only the row
/// groups holding them are decoded).
pub struct ParquetRows {
    file: ParquetFile,
}

impl ParquetRows {
    pub fn open(path: &Path) -> anyhow::Result<ParquetRows> {
        Ok(ParquetRows {
            file: ParquetFile::open(path)?,
        })
    }
}

impl RowSource for ParquetRows {
    fn num_rows(&self) -> usize {
        usize::try_from(self.file.num_rows()).unwrap_or(usize::MAX)
    }

    fn read_rows(&mut self, range: Range<usize>) -> anyhow::Result<Vec<Row>> {
        if range.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.file.rows(range.start as u64..range.end as u64)?)
    }
}

/// The splits of a (dataset, subset) in a workspace laid out as
/// `<root>/data/<dataset>/<subset or _>/<split>.parquet` (the layout
/// `fetch` and the conformance corpus use), sorted by split name.
pub fn workspace_splits(
    root: &Path,
    dataset: &str,
    subset: Option<&str>,
) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let folder = root.join("data").join(dataset).join(subset.unwrap_or("_"));
    let entries = match std::fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(error).with_context(|| format!("cannot list {}", folder.display()))
        }
    };
    let mut splits = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot list {}", folder.display()))?
            .path();
        if path
            .extension()
            .is_some_and(|extension| extension == "parquet")
        {
            if let Some(split) = path.file_stem().and_then(|stem| stem.to_str()) {
                splits.push((split.to_string(), path.clone()));
            }
        }
    }
    splits.sort();
    Ok(splits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parquet_splits_only() {
        let root = tempfile::tempdir().unwrap();
        let folder = root.path().join("data/Zaid/coqa_expanded/_");
        std::fs::create_dir_all(&folder).unwrap();
        for name in ["validation.parquet", "train.parquet", "notes.txt"] {
            std::fs::write(folder.join(name), "").unwrap();
        }
        let splits = workspace_splits(root.path(), "Zaid/coqa_expanded", None).unwrap();
        let names: Vec<&str> = splits.iter().map(|(split, _)| split.as_str()).collect();
        assert_eq!(names, vec!["train", "validation"]);
        assert!(workspace_splits(root.path(), "absent", Some("x"))
            .unwrap()
            .is_empty());
    }
}
