//! `manifest.json`: what an export folder holds, written atomically after
//! every finished group of outputs so an interrupted export can resume.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::folders::{no_link, plain_name_problem, split_relative};
use super::record::{Style, Variant};
use super::shard::Shard;
use super::writer::OutputFormat;

pub const MANIFEST_FILE: &str = "manifest.json";
/// Bumped when the manifest's meaning changes; older files are rejected.
pub const MANIFEST_VERSION: u32 = 1;
/// How many error messages an output keeps, so a template that fails on
/// every row does not bloat the manifest.
pub const KEPT_ERROR_MESSAGES: usize = 5;
/// Largest manifest read: far above a merge of thousands of outputs from
/// thousands of shards, and a bound on what a crafted file can make us hold.
const MAX_MANIFEST_BYTES: u64 = 256 << 20;

/// The settings that decide the bytes of every output. A folder holds the
/// outputs of one set of settings; a rerun with other settings is refused
/// rather than mixing them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub style: Style,
    pub format: OutputFormat,
    /// Row `i` of a split is rendered with seed `seed + i`.
    pub seed: u64,
    pub rank_classification: bool,
    pub max_rows_per_dataset: Option<usize>,
    /// SHA-256 of the tokenizer.json, when one was given.
    pub tokenizer_sha256: Option<String>,
    pub max_input_tokens: Option<usize>,
    pub num_shards: usize,
    /// The shard this folder holds; `None` when it holds every row (an
    /// unsharded export, or shards merged with `--merge`).
    pub shard_index: Option<usize>,
    /// `--num-fewshot`, its seed and split; `None` (and absent from
    /// manifests written before few-shot existed) without demonstrations.
    #[serde(default)]
    pub fewshot: Option<FewshotSettings>,
    /// SHA-256 of the chat template that wrote the `text` field, when one
    /// was given (absent from manifests written before it existed).
    #[serde(default)]
    pub chat_template_sha256: Option<String>,
}

/// The few-shot settings an export's inputs were assembled with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FewshotSettings {
    pub shots: usize,
    pub seed: u64,
    /// The demonstration split; `None` is each exported split itself.
    pub split: Option<String>,
}

/// Row accounting of one output. For every output:
/// `shard_rows = selected_rows + not_selected`, and
/// `selected_rows = kept + errors + blank + too_long` (+ `no_choices` for
/// rank classification, whose kept rows are those with answer choices).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Rows of the split in this shard.
    pub shard_rows: u64,
    /// Rows `--max-rows-per-dataset` left out.
    pub not_selected: u64,
    pub selected_rows: u64,
    /// Rows that became records.
    pub kept: u64,
    /// Records written (rank classification: one per answer choice).
    pub records: u64,
    pub errors: u64,
    pub blank: u64,
    pub too_long: u64,
    /// Rank classification only: kept rows without any answer choice.
    pub no_choices: u64,
}

impl Counts {
    /// Adds `other`'s counts. Saturating: the counts of shards come from
    /// their manifests, and no number in a file may end the process.
    pub fn add(&mut self, other: &Counts) {
        let pairs = [
            (&mut self.shard_rows, other.shard_rows),
            (&mut self.not_selected, other.not_selected),
            (&mut self.selected_rows, other.selected_rows),
            (&mut self.kept, other.kept),
            (&mut self.records, other.records),
            (&mut self.errors, other.errors),
            (&mut self.blank, other.blank),
            (&mut self.too_long, other.too_long),
            (&mut self.no_choices, other.no_choices),
        ];
        for (total, count) in pairs {
            *total = total.saturating_add(count);
        }
    }

    /// Rows that were selected but produced no record.
    pub fn skipped(&self) -> u64 {
        self.errors + self.blank + self.too_long + self.no_choices
    }
}

/// A render error kept as an example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowError {
    pub row: u64,
    pub message: String,
}

/// One output: a (task, split) file, or its shards after a merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputEntry {
    /// The task folder's name.
    pub task: String,
    /// P3's name for the task when it was too long for a folder name and
    /// `task` is its shortened form ([`super::naming::bounded_task_name`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_task_name: Option<String>,
    pub split: String,
    pub variant: Variant,
    pub dataset: String,
    pub subset: Option<String>,
    pub template_id: String,
    pub template_name: String,
    /// SHA-256 of the template's jinja and answer_choices: a rerun redoes
    /// an output whose template changed.
    pub template_sha256: String,
    /// Rows in the whole split (all shards).
    pub split_rows: u64,
    /// Paths relative to the manifest's folder, in row order.
    pub files: Vec<String>,
    pub counts: Counts,
    pub first_errors: Vec<RowError>,
    pub complete: bool,
}

impl OutputEntry {
    pub fn key(&self) -> (&str, &str) {
        (&self.task, &self.split)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub manifest_version: u32,
    pub promptstudio_version: String,
    pub settings: Settings,
    /// For a merged folder: the shard folders it was made from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
    pub outputs: Vec<OutputEntry>,
}

impl Manifest {
    pub fn new(settings: Settings) -> Manifest {
        Manifest {
            manifest_version: MANIFEST_VERSION,
            promptstudio_version: env!("CARGO_PKG_VERSION").to_string(),
            settings,
            merged_from: Vec::new(),
            outputs: Vec::new(),
        }
    }

    pub fn path(folder: &Path) -> PathBuf {
        folder.join(MANIFEST_FILE)
    }

    /// Reads a folder's manifest; `None` if the folder has none yet. The
    /// manifest is checked before use ([`Manifest::validate`]): a crafted
    /// one is refused with the field that is wrong.
    pub fn load(folder: &Path) -> anyhow::Result<Option<Manifest>> {
        let path = Manifest::path(folder);
        let Some(metadata) = no_link(&path)? else {
            return Ok(None);
        };
        if metadata.len() > MAX_MANIFEST_BYTES {
            anyhow::bail!(
                "{} is {} bytes, more than a promptstudio export manifest can be ({MAX_MANIFEST_BYTES})",
                path.display(),
                metadata.len()
            );
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let manifest: Manifest = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a promptstudio export manifest", path.display()))?;
        if manifest.manifest_version != MANIFEST_VERSION {
            anyhow::bail!(
                "{} has manifest version {}, this promptstudio reads version {MANIFEST_VERSION}",
                path.display(),
                manifest.manifest_version
            );
        }
        if let Err(problem) = manifest.validate() {
            anyhow::bail!("{}: {problem}", path.display());
        }
        Ok(Some(manifest))
    }

    /// Checks every field a later step relies on: the shard settings are in
    /// range, every name is a plain name, every file is `<task>/<name>` in
    /// the manifest's folder, no output is listed twice, and a complete
    /// output's counts add up. The error names the field.
    pub fn validate(&self) -> Result<(), String> {
        let settings = &self.settings;
        if let Err(error) = Shard::new(0, settings.num_shards) {
            return Err(format!("settings.num_shards: {error}"));
        }
        if let Some(index) = settings.shard_index {
            if let Err(error) = Shard::new(index, settings.num_shards) {
                return Err(format!("settings.shard_index: {error}"));
            }
        }
        if let Some(hash) = &settings.tokenizer_sha256 {
            if hash.len() != 64 || !hash.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                return Err(format!(
                    "settings.tokenizer_sha256: {hash:?} is not a SHA-256 in hex"
                ));
            }
        }
        let mut keys = std::collections::HashSet::new();
        for (index, entry) in self.outputs.iter().enumerate() {
            let field = |name: &str| format!("outputs[{index}].{name}");
            for (name, value) in [("task", &entry.task), ("split", &entry.split)] {
                if let Some(problem) = plain_name_problem(value) {
                    return Err(format!(
                        "{} {value:?} {problem}: it must be a plain folder or file name",
                        field(name)
                    ));
                }
            }
            if !keys.insert(entry.key()) {
                return Err(format!(
                    "{}: output {}/{} is listed twice",
                    field("task"),
                    entry.task,
                    entry.split
                ));
            }
            for (file_index, file) in entry.files.iter().enumerate() {
                if split_relative(file).is_none_or(|(folder, _)| folder != entry.task) {
                    return Err(format!(
                        "{} {file:?} is not `{}/<file name>`: an export's files are plain \
                         names in their task folder (no `..`, absolute path, further \
                         separator or NUL)",
                        field(&format!("files[{file_index}]")),
                        entry.task
                    ));
                }
            }
            if entry.first_errors.len() > KEPT_ERROR_MESSAGES {
                return Err(format!(
                    "{}: {} messages, an export keeps at most {KEPT_ERROR_MESSAGES}",
                    field("first_errors"),
                    entry.first_errors.len()
                ));
            }
            let counts = &entry.counts;
            let rows_add_up = counts.selected_rows.checked_add(counts.not_selected)
                == Some(counts.shard_rows)
                && counts.shard_rows <= entry.split_rows;
            let outcomes = [
                counts.errors,
                counts.blank,
                counts.too_long,
                counts.no_choices,
            ]
            .iter()
            .try_fold(counts.kept, |sum, count| sum.checked_add(*count));
            if !rows_add_up || (entry.complete && outcomes != Some(counts.selected_rows)) {
                return Err(format!(
                    "{}: the row counts do not add up (shard_rows = selected_rows + \
                     not_selected <= split_rows; selected_rows = kept + errors + blank + \
                     too_long + no_choices)",
                    field("counts")
                ));
            }
        }
        Ok(())
    }

    /// Writes the manifest atomically (temporary file, fsync, rename).
    pub fn save(&self, folder: &Path) -> anyhow::Result<()> {
        let path = Manifest::path(folder);
        let temporary = folder.join(format!("{MANIFEST_FILE}.partial"));
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&temporary)?;
            std::io::Write::write_all(&mut file, text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&temporary, &path)
        };
        write().with_context(|| format!("cannot write {}", path.display()))
    }

    pub fn find(&self, task: &str, split: &str) -> Option<&OutputEntry> {
        self.outputs
            .iter()
            .find(|entry| entry.key() == (task, split))
    }

    /// Adds or replaces the entry for the same (task, split).
    pub fn upsert(&mut self, entry: OutputEntry) {
        match self
            .outputs
            .iter_mut()
            .find(|existing| existing.key() == entry.key())
        {
            Some(existing) => *existing = entry,
            None => self.outputs.push(entry),
        }
    }

    /// Whether a rerun may skip this output: complete, same template, and
    /// its files are all still there.
    pub fn is_done(&self, folder: &Path, task: &str, split: &str, template_sha256: &str) -> bool {
        self.find(task, split).is_some_and(|entry| {
            entry.complete
                && entry.template_sha256 == template_sha256
                && entry.files.iter().all(|file| folder.join(file).is_file())
        })
    }
}

/// Explains how two settings differ, flag by flag, or `None` if they match.
pub fn settings_difference(recorded: &Settings, requested: &Settings) -> Option<String> {
    let recorded_json = serde_json::to_value(recorded).ok()?;
    let requested_json = serde_json::to_value(requested).ok()?;
    let (serde_json::Value::Object(old), serde_json::Value::Object(new)) =
        (recorded_json, requested_json)
    else {
        return None;
    };
    let differences: Vec<String> = old
        .iter()
        .filter_map(|(key, old_value)| {
            let new_value = new.get(key)?;
            (old_value != new_value).then(|| format!("{key}: {old_value} then, {new_value} now"))
        })
        .collect();
    (!differences.is_empty()).then(|| differences.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn settings() -> Settings {
        Settings {
            style: Style::P3,
            format: OutputFormat::Jsonl,
            seed: 0,
            rank_classification: false,
            max_rows_per_dataset: None,
            tokenizer_sha256: None,
            max_input_tokens: None,
            num_shards: 1,
            shard_index: None,
            fewshot: None,
            chat_template_sha256: None,
        }
    }

    fn entry(task: &str) -> OutputEntry {
        OutputEntry {
            task: task.to_string(),
            full_task_name: None,
            split: "train".to_string(),
            variant: Variant::Plain,
            dataset: "d".to_string(),
            subset: None,
            template_id: "id".to_string(),
            template_name: "name".to_string(),
            template_sha256: "hash".to_string(),
            split_rows: 3,
            files: vec![format!("{task}/train.jsonl")],
            counts: Counts::default(),
            first_errors: Vec::new(),
            complete: true,
        }
    }

    #[test]
    fn round_trips_and_detects_done_outputs() {
        let folder = tempfile::tempdir().unwrap();
        let mut manifest = Manifest::new(settings());
        manifest.upsert(entry("t"));
        manifest.save(folder.path()).unwrap();
        let loaded = Manifest::load(folder.path()).unwrap().unwrap();
        assert_eq!(loaded, manifest);
        // The file is missing: not done.
        assert!(!loaded.is_done(folder.path(), "t", "train", "hash"));
        std::fs::create_dir_all(folder.path().join("t")).unwrap();
        std::fs::write(folder.path().join("t/train.jsonl"), "").unwrap();
        assert!(loaded.is_done(folder.path(), "t", "train", "hash"));
        assert!(!loaded.is_done(folder.path(), "t", "train", "changed template"));
        assert!(!loaded.is_done(folder.path(), "t", "test", "hash"));
    }

    #[test]
    fn upsert_replaces_the_same_output() {
        let mut manifest = Manifest::new(settings());
        manifest.upsert(entry("a"));
        let mut changed = entry("a");
        changed.complete = false;
        manifest.upsert(changed);
        manifest.upsert(entry("b"));
        assert_eq!(manifest.outputs.len(), 2);
        assert!(!manifest.outputs[0].complete);
    }

    #[test]
    fn missing_manifest_is_none_and_garbage_is_an_error() {
        let folder = tempfile::tempdir().unwrap();
        assert!(Manifest::load(folder.path()).unwrap().is_none());
        std::fs::write(folder.path().join(MANIFEST_FILE), "{").unwrap();
        let message = format!("{:#}", Manifest::load(folder.path()).unwrap_err());
        assert!(message.contains("manifest.json"), "{message}");
    }

    #[test]
    fn settings_difference_names_the_flags() {
        let mut other = settings();
        assert_eq!(settings_difference(&settings(), &other), None);
        other.seed = 4;
        let message = settings_difference(&settings(), &other).unwrap();
        assert_eq!(message, "seed: 0 then, 4 now");
    }
}
