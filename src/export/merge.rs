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

use super::folders::{check_apart, check_out_folder, no_link};
use super::manifest::{Manifest, OutputEntry, KEPT_ERROR_MESSAGES};
use super::naming::output_file_name;
use super::shard::Shard;

/// Merges the shard folders `inputs` into `out`, returning the new manifest.
pub fn merge(inputs: &[PathBuf], out: &Path) -> anyhow::Result<Manifest> {
    if inputs.is_empty() {
        anyhow::bail!("--merge needs at least one shard folder");
    }
    check_apart(inputs, out)?;
    check_out_folder(out)?;
    // A folder that is a merge of its own or an export is replaced output by
    // output; its manifest must still be ours.
    Manifest::load(out)?;
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
            // The manifest was validated on load; its shard's file must also
            // be the one name an export of that shard writes.
            let expected = format!(
                "{task}/{}",
                output_file_name(
                    split,
                    Some((shard_index, num_shards)),
                    manifest.settings.format.extension()
                )
            );
            if part.files != [expected.as_str()] {
                anyhow::bail!(
                    "{}: output {task}/{split} lists files {:?}, expected [{expected:?}]",
                    Manifest::path(folder).display(),
                    part.files
                );
            }
            place(folder, out, &expected)?;
            entry.files.push(expected);
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

/// Puts the shard file `relative` (`<task>/<file>`, checked plain) of
/// `folder` into the merged folder `out`: a hard link when possible (no copy
/// of large files), else a copy. No link on either side is followed: the
/// task folders and the file must be real folders and a regular file.
fn place(folder: &Path, out: &Path, relative: &str) -> anyhow::Result<()> {
    let (task, _) = relative
        .split_once('/')
        .with_context(|| format!("{relative} is not <task>/<file>"))?;
    let source = folder.join(relative);
    if !no_link(&folder.join(task))?.is_some_and(|metadata| metadata.is_dir()) {
        anyhow::bail!("{} is listed in its manifest but missing", source.display());
    }
    if !no_link(&source)?.is_some_and(|metadata| metadata.is_file()) {
        anyhow::bail!(
            "{} is listed in its manifest but missing or not a regular file",
            source.display()
        );
    }
    let destination_folder = out.join(task);
    match no_link(&destination_folder)? {
        Some(metadata) if metadata.is_dir() => {}
        Some(_) => anyhow::bail!(
            "{} is in the way: not a folder",
            destination_folder.display()
        ),
        None => std::fs::create_dir(&destination_folder)
            .with_context(|| format!("cannot create {}", destination_folder.display()))?,
    }
    let destination = out.join(relative);
    if let Some(metadata) = no_link(&destination)? {
        if !metadata.is_file() {
            anyhow::bail!("{} is in the way: not a file", destination.display());
        }
        std::fs::remove_file(&destination)
            .with_context(|| format!("cannot replace {}", destination.display()))?;
    }
    if std::fs::hard_link(&source, &destination).is_err() {
        std::fs::copy(&source, &destination).with_context(|| {
            format!(
                "cannot copy {} to {}",
                source.display(),
                destination.display()
            )
        })?;
    }
    Ok(())
}
