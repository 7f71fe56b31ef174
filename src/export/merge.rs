//! `--merge DIR...`: checks that shard folders form one complete export and
//! gathers them into one folder with one manifest.
//!
//! Shard files are not rewritten: each keeps its `-<index>-of-<count>` name
//! and is hard-linked (copied across file systems) into the merged folder,
//! where the manifest lists an output's files in row order. Readers such as
//! `datasets` load such a folder of shards as one split.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::manifest::{Manifest, OutputEntry, KEPT_ERROR_MESSAGES};
use super::shard::Shard;

/// Merges the shard folders `inputs` into `out`, returning the new manifest.
pub fn merge(inputs: &[PathBuf], out: &Path) -> anyhow::Result<Manifest> {
    if inputs.is_empty() {
        anyhow::bail!("--merge needs at least one shard folder");
    }
    let mut shards: Vec<(PathBuf, Manifest)> = Vec::with_capacity(inputs.len());
    for folder in inputs {
        let manifest = Manifest::load(folder)?.with_context(|| {
            format!(
                "{} has no manifest.json: is it an export folder?",
                folder.display()
            )
        })?;
        shards.push((folder.clone(), manifest));
    }
    let first_folder = shards[0].0.clone();
    let first_settings = shards[0].1.settings.clone();
    let num_shards = first_settings.num_shards;
    for (folder, manifest) in &shards {
        let mut comparable = manifest.settings.clone();
        comparable.shard_index = first_settings.shard_index;
        if let Some(difference) = super::manifest::settings_difference(&first_settings, &comparable)
        {
            anyhow::bail!(
                "{} and {} were exported with different settings ({difference})",
                first_folder.display(),
                folder.display()
            );
        }
        if manifest.settings.shard_index.is_none() {
            anyhow::bail!(
                "{} is not a shard (it was exported without --shard-index)",
                folder.display()
            );
        }
    }
    shards.sort_by_key(|(_, manifest)| manifest.settings.shard_index);
    let indexes: Vec<usize> = shards
        .iter()
        .filter_map(|(_, manifest)| manifest.settings.shard_index)
        .collect();
    let expected: Vec<usize> = (0..num_shards).collect();
    if indexes != expected {
        let present: BTreeSet<usize> = indexes.iter().copied().collect();
        let missing: Vec<String> = (0..num_shards)
            .filter(|index| !present.contains(index))
            .map(|index| index.to_string())
            .collect();
        let duplicated: Vec<String> = indexes
            .windows(2)
            .filter(|pair| pair[0] == pair[1])
            .map(|pair| pair[0].to_string())
            .collect();
        anyhow::bail!(
            "the folders do not hold shards 0 to {} exactly once (missing: [{}]; given twice: [{}])",
            num_shards.saturating_sub(1),
            missing.join(", "),
            duplicated.join(", ")
        );
    }

    let mut settings = first_settings;
    settings.shard_index = None;
    let mut merged = Manifest::new(settings);
    merged.merged_from = shards
        .iter()
        .map(|(folder, _)| folder.display().to_string())
        .collect();
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output folder {}", out.display()))?;

    let (_, reference) = &shards[0];
    for (folder, manifest) in &shards {
        let reference_keys: BTreeSet<(&str, &str)> =
            reference.outputs.iter().map(OutputEntry::key).collect();
        let keys: BTreeSet<(&str, &str)> = manifest.outputs.iter().map(OutputEntry::key).collect();
        if let Some((task, split)) = reference_keys.symmetric_difference(&keys).next() {
            anyhow::bail!(
                "output {task}/{split} is in some shard folders but not in {}",
                if keys.contains(&(task, split)) {
                    shards[0].0.display()
                } else {
                    folder.display()
                }
            );
        }
    }

    for template_entry in &reference.outputs {
        let (task, split) = template_entry.key();
        let mut entry = template_entry.clone();
        entry.files.clear();
        entry.counts = Default::default();
        entry.first_errors.clear();
        for (folder, manifest) in &shards {
            let shard_index = manifest.settings.shard_index.unwrap_or_default();
            let part = manifest
                .find(task, split)
                .with_context(|| format!("{} lacks output {task}/{split}", folder.display()))?;
            if !part.complete {
                anyhow::bail!(
                    "output {task}/{split} of shard {shard_index} ({}) is incomplete: rerun that shard",
                    folder.display()
                );
            }
            if part.template_sha256 != entry.template_sha256 || part.split_rows != entry.split_rows
            {
                anyhow::bail!(
                    "output {task}/{split} differs between shard 0 and shard {shard_index} ({}): \
                     the template or the data changed between the runs",
                    folder.display()
                );
            }
            let expected_rows = Shard::new(shard_index, num_shards)?
                .rows(usize::try_from(part.split_rows).unwrap_or(usize::MAX))
                .len() as u64;
            if part.counts.shard_rows != expected_rows {
                anyhow::bail!(
                    "output {task}/{split} of shard {shard_index} ({}) covers {} rows, expected {expected_rows}",
                    folder.display(),
                    part.counts.shard_rows
                );
            }
            for file in &part.files {
                place(&folder.join(file), &out.join(file))?;
                entry.files.push(file.clone());
            }
            entry.counts.add(&part.counts);
            let room = KEPT_ERROR_MESSAGES.saturating_sub(entry.first_errors.len());
            entry
                .first_errors
                .extend(part.first_errors.iter().take(room).cloned());
        }
        merged.upsert(entry);
    }
    merged.save(out)?;
    Ok(merged)
}

/// Puts a shard file into the merged folder: a hard link when possible (no
/// copy of large files), else a copy.
fn place(source: &Path, destination: &Path) -> anyhow::Result<()> {
    if !source.is_file() {
        anyhow::bail!("{} is listed in its manifest but missing", source.display());
    }
    if let (Ok(from), Ok(to)) = (source.canonicalize(), destination.canonicalize()) {
        if from == to {
            return Ok(());
        }
    }
    if let Some(folder) = destination.parent() {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
    }
    if destination.exists() {
        std::fs::remove_file(destination)
            .with_context(|| format!("cannot replace {}", destination.display()))?;
    }
    if std::fs::hard_link(source, destination).is_err() {
        std::fs::copy(source, destination).with_context(|| {
            format!(
                "cannot copy {} to {}",
                source.display(),
                destination.display()
            )
        })?;
    }
    Ok(())
}
