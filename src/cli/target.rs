//! What the row-taking commands share: finding a dataset's templates in a
//! collection, picking templates by name or id, and opening its rows.

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;

use crate::core::catalog::Catalog;
use crate::core::template::{DatasetTemplates, Template};
use crate::data::Source;
use crate::workspace::FolderWorkspace;

/// Where a command's rows come from: a file, or the dataset found by name.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Rows: a Parquet, Arrow IPC, JSON Lines or CSV/TSV file, a folder of
    /// shards, or `-` for JSON Lines on stdin. Default: the dataset found by
    /// name in the workspace, the Hugging Face Hub cache or the datasets cache.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The split, when rows are found by name (default: validation, else
    /// a validation-like split, else train, else test).
    #[arg(long)]
    pub split: Option<String>,
    /// Workspace folder: `templates/` and `data/<dataset>/<subset or _>/<split>.*`.
    #[arg(long, default_value = ".")]
    pub workspace: PathBuf,
}

impl DataArgs {
    /// Opens `--data`, or finds the rows of `file`'s dataset by name.
    pub fn open(&self, file: &DatasetTemplates) -> anyhow::Result<Box<dyn Source>> {
        if let Some(path) = &self.data {
            return Ok(crate::data::open(path)?);
        }
        let found = self.folder(None).rows_of(file, self.split.as_deref())?;
        Ok(found.open()?)
    }

    /// The rows few-shot demonstrations come from, opened apart from the
    /// rows rendered: `fewshot_split` found by name, else the rows rendered
    /// again. The flag says whether they are the split rendered.
    pub fn open_fewshot_pool(
        &self,
        file: &DatasetTemplates,
        fewshot_split: Option<&str>,
    ) -> anyhow::Result<(Box<dyn Source>, bool)> {
        let Some(split) = fewshot_split else {
            if self.data.as_deref() == Some(Path::new("-")) {
                bail!("--num-fewshot reads rows at random and cannot read them from stdin: pass a file or --fewshot-split");
            }
            return Ok((self.open(file)?, true));
        };
        let found = self.folder(None).rows_of(file, Some(split))?;
        let same = match &self.data {
            Some(_) => self.split.as_deref() == Some(split),
            None => self
                .folder(None)
                .rows_of(file, self.split.as_deref())
                .is_ok_and(|rendered| rendered.split == found.split),
        };
        Ok((found.open()?, same))
    }

    /// `--templates`, else the workspace's `templates/` folder, else the workspace.
    pub fn templates_root(&self, templates: Option<&PathBuf>) -> PathBuf {
        self.folder(templates.cloned()).templates_root
    }

    fn folder(&self, templates: Option<PathBuf>) -> FolderWorkspace {
        FolderWorkspace::new(&self.workspace, templates, None)
    }
}

/// The row count of `source`, waiting for text formats to finish counting.
pub fn row_count(source: &dyn Source) -> anyhow::Result<usize> {
    let count = source.wait_for_row_count()?;
    usize::try_from(count).context("the row count does not fit this machine's address space")
}

/// `--dataset NAME[/SUBSET]` resolved against a collection. Dataset names may
/// contain a slash themselves (`Zaid/coqa_expanded`), so the whole text is
/// tried as a dataset name first, then split at its last slash.
pub fn find_dataset(catalog: &Catalog, spec: &str) -> anyhow::Result<DatasetTemplates> {
    if let Some(file) = catalog.find(spec, None) {
        return Ok(file.clone());
    }
    if let Some((dataset, subset)) = spec.rsplit_once('/') {
        if let Some(file) = catalog.find(dataset, Some(subset)) {
            return Ok(file.clone());
        }
    }
    let known: Vec<String> = catalog
        .files
        .iter()
        .filter(|file| file.dataset.contains(spec) || spec.contains(file.dataset.as_str()))
        .map(|file| match &file.subset {
            Some(subset) => format!("{}/{}", file.dataset, subset),
            None => file.dataset.clone(),
        })
        .take(10)
        .collect();
    if known.is_empty() {
        bail!(
            "no templates.yaml for dataset '{spec}' under {}",
            catalog.root.display()
        )
    }
    bail!(
        "no templates.yaml for dataset '{spec}' under {} (did you mean: {}?)",
        catalog.root.display(),
        known.join(", ")
    )
}

/// Loads the collection at `templates` (a folder tree, or one templates.yaml)
/// and fails on the first file that does not load, naming it.
pub fn load_catalog(templates: &Path) -> anyhow::Result<Catalog> {
    if !templates.exists() {
        bail!("templates path {} does not exist", templates.display());
    }
    let catalog = Catalog::discover(templates);
    if let Some(error) = catalog.errors.first() {
        bail!("{error}");
    }
    if catalog.files.is_empty() {
        bail!("no templates.yaml found under {}", templates.display());
    }
    Ok(catalog)
}

/// The templates named by `--template` (names or ids, in the file's order of
/// names), or all of them when none is given. Unknown names are an error.
pub fn select_templates<'a>(
    file: &'a DatasetTemplates,
    wanted: &[String],
) -> anyhow::Result<Vec<&'a Template>> {
    let mut selected: Vec<&Template> = if wanted.is_empty() {
        file.templates.iter().collect()
    } else {
        let mut picked = Vec::new();
        for name in wanted {
            let template = file
                .templates
                .iter()
                .find(|template| &*template.name == name || &*template.id == name)
                .with_context(|| {
                    format!(
                        "no template '{name}' in {} (templates: {})",
                        file.path.display(),
                        file.templates
                            .iter()
                            .map(|template| &*template.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
            if !picked.iter().any(|seen: &&Template| seen.id == template.id) {
                picked.push(template);
            }
        }
        picked
    };
    // PromptSource's own listings (and the conformance corpus) order by name, then id.
    selected.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    Ok(selected)
}

/// `--rows START..END` (either side may be omitted), clipped to `len`.
pub fn parse_row_range(spec: Option<&str>, len: usize) -> anyhow::Result<Range<usize>> {
    let Some(spec) = spec else {
        return Ok(0..len);
    };
    let (start, end) = spec
        .split_once("..")
        .with_context(|| format!("--rows expects START..END, got '{spec}'"))?;
    let parse = |text: &str, default: usize| -> anyhow::Result<usize> {
        if text.trim().is_empty() {
            Ok(default)
        } else {
            text.trim()
                .parse()
                .with_context(|| format!("--rows: '{text}' is not a row number"))
        }
    };
    let start = parse(start, 0)?.min(len);
    let end = parse(end, len)?.min(len);
    if start > end {
        bail!("--rows: start {start} is after end {end}");
    }
    Ok(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_ranges_clip_and_default() {
        assert_eq!(parse_row_range(None, 7).unwrap(), 0..7);
        assert_eq!(parse_row_range(Some("2..5"), 7).unwrap(), 2..5);
        assert_eq!(parse_row_range(Some("..3"), 7).unwrap(), 0..3);
        assert_eq!(parse_row_range(Some("4.."), 7).unwrap(), 4..7);
        assert_eq!(parse_row_range(Some("5..100"), 7).unwrap(), 5..7);
        assert!(parse_row_range(Some("5..2"), 7).is_err());
        assert!(parse_row_range(Some("x..2"), 7).is_err());
        assert!(parse_row_range(Some("3"), 7).is_err());
    }
}
