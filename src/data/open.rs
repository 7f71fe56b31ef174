//! Opening a dataset by path: [`open`] picks the reader from the path: a
//! Parquet file or folder of shards, an Arrow IPC file (the `datasets`
//! cache) or `save_to_disk` folder, JSON Lines, CSV/TSV, or `-` for JSON
//! Lines on standard input.

use std::path::{Path, PathBuf};

use crate::data::arrow_ipc;
use crate::data::error::DataError;
use crate::data::parquet::ParquetFile;
use crate::data::source::{default_split, Shards, Source};
use crate::data::text::{TextFormat, TextSource};

/// Opens a dataset file or folder, choosing the reader from the extension
/// or, failing that, the content. `-` reads JSON Lines from standard input.
pub fn open(path: &Path) -> Result<Box<dyn Source>, DataError> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(TextSource::from_stdin()?));
    }
    let metadata = std::fs::metadata(path).map_err(|error| DataError::io(path, error))?;
    if metadata.is_dir() {
        return open_folder(path);
    }
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("parquet" | "pq") => Ok(Box::new(ParquetFile::open(path)?)),
        Some("arrow" | "ipc" | "feather" | "arrows") => Ok(Box::new(arrow_ipc::open(path)?)),
        Some("jsonl" | "ndjson" | "json") => {
            Ok(Box::new(TextSource::open(path, TextFormat::JsonLines)?))
        }
        Some("csv") => Ok(Box::new(TextSource::open(path, TextFormat::Csv)?)),
        Some("tsv" | "tab") => Ok(Box::new(TextSource::open(path, TextFormat::Tsv)?)),
        _ => open_by_content(path),
    }
}

fn open_by_content(path: &Path) -> Result<Box<dyn Source>, DataError> {
    use std::io::Read;
    let mut head = [0u8; 8];
    let mut file = std::fs::File::open(path).map_err(|error| DataError::io(path, error))?;
    let read = file
        .read(&mut head)
        .map_err(|error| DataError::io(path, error))?;
    let head = &head[..read];
    if head.starts_with(b"PAR1") {
        Ok(Box::new(ParquetFile::open(path)?))
    } else if head.starts_with(b"ARROW1") || head.starts_with(&[0xff, 0xff, 0xff, 0xff]) {
        Ok(Box::new(arrow_ipc::open(path)?))
    } else if head
        .iter()
        .find(|byte| !byte.is_ascii_whitespace())
        .is_some_and(|&byte| byte == b'{')
    {
        Ok(Box::new(TextSource::open(path, TextFormat::JsonLines)?))
    } else {
        Ok(Box::new(TextSource::open(path, TextFormat::Csv)?))
    }
}

/// A folder: a `DatasetDict` (its default split), a `save_to_disk` split, or
/// shards of Parquet or Arrow files.
fn open_folder(folder: &Path) -> Result<Box<dyn Source>, DataError> {
    if folder.join("dataset_dict.json").is_file() {
        let splits = dataset_dict_splits(folder)?;
        let split = default_split(splits.iter().map(String::as_str))
            .ok_or_else(|| DataError::format(folder, "dataset_dict.json", "it lists no splits"))?;
        return open_folder(&folder.join(split));
    }
    if folder.join("state.json").is_file() {
        return arrow_ipc::open_saved_split(folder);
    }
    let parquet = files_with_extension(folder, &["parquet"])?;
    if !parquet.is_empty() {
        return open_parquet_shards(&parquet);
    }
    let arrow = files_with_extension(folder, &["arrow"])?;
    if !arrow.is_empty() {
        return arrow_ipc::open_shards(&arrow, None);
    }
    Err(DataError::format(
        folder,
        "dataset folder",
        "it holds no dataset_dict.json, state.json, .parquet or .arrow files",
    ))
}

/// Parquet shards in name order (`train-00000-of-00003.parquet`, `0000.parquet`).
pub fn open_parquet_shards(files: &[PathBuf]) -> Result<Box<dyn Source>, DataError> {
    match files {
        [] => Err(DataError::NotFound {
            name: String::new(),
            message: "no Parquet files".to_string(),
        }),
        [single] => Ok(Box::new(ParquetFile::open(single)?)),
        _ => {
            let parts = files
                .iter()
                .map(|file| ParquetFile::open(file).map(|file| Box::new(file) as Box<dyn Source>))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Box::new(Shards::new(parts)?))
        }
    }
}

/// The splits a `dataset_dict.json` lists.
pub fn dataset_dict_splits(folder: &Path) -> Result<Vec<String>, DataError> {
    let path = folder.join("dataset_dict.json");
    let text = std::fs::read_to_string(&path).map_err(|error| DataError::io(&path, error))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|error| DataError::format(&path, "dataset_dict.json", error))?;
    Ok(value
        .get("splits")
        .and_then(serde_json::Value::as_array)
        .map(|splits| {
            splits
                .iter()
                .filter_map(|split| split.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

/// Files directly in `folder` with one of `extensions`, sorted by name.
pub(crate) fn files_with_extension(
    folder: &Path,
    extensions: &[&str],
) -> Result<Vec<PathBuf>, DataError> {
    let entries = std::fs::read_dir(folder).map_err(|error| DataError::io(folder, error))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|error| DataError::io(folder, error))?.path();
        let matches = path
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| extensions.contains(&extension));
        if matches && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
