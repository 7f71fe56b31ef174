//! Unsaved edits that survive a crash, as editors keep swap files: the
//! templates files with unsaved edits are written to one journal per
//! workspace under `$XDG_STATE_HOME/promptstudio/` (default
//! `~/.local/state/promptstudio`), and the next start in that workspace
//! offers them back.
//!
//! The app asks for a journal write with [`Effect::Journal`] after edits;
//! tui/ writes it off the UI thread, debounced, and reads the journal at
//! start ([`Event::Journal`]). Only templates go in (the YAML a save would
//! write): never rows, settings or anything from the environment, so no
//! secret reaches the state folder.
//!
//! [`Effect::Journal`]: super::Effect::Journal
//! [`Event::Journal`]: super::Event::Journal

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::core::fsutil;
use crate::core::template::DatasetTemplates;

/// Where a workspace's journal lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalStore {
    /// The workspace's canonical path, which keys the journal.
    workspace: PathBuf,
    path: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct JournalFile {
    version: u32,
    workspace: PathBuf,
    files: Vec<JournaledFile>,
}

#[derive(Serialize, Deserialize)]
struct JournaledFile {
    path: PathBuf,
    /// The file as saving it would write it.
    yaml: String,
}

const VERSION: u32 = 1;

/// `$XDG_STATE_HOME/promptstudio`, or `~/.local/state/promptstudio`.
pub fn state_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".local/state")))?;
    Some(base.join("promptstudio"))
}

impl JournalStore {
    /// The journal of `workspace` in `state_dir`: one file per workspace,
    /// named after a hash of its canonical path.
    pub fn new(state_dir: &Path, workspace: &Path) -> JournalStore {
        let workspace = std::fs::canonicalize(workspace).unwrap_or_else(|_| workspace.to_owned());
        let digest = Sha256::digest(workspace.as_os_str().as_encoded_bytes());
        let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        JournalStore {
            path: state_dir.join(format!("journal-{name}.json")),
            workspace,
        }
    }

    /// The journal for the user's state folder, if there is one.
    pub fn for_workspace(workspace: &Path) -> Option<JournalStore> {
        Some(JournalStore::new(&state_dir()?, workspace))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces the journal with these files (atomically, so a crash
    /// mid-write leaves the previous journal); no files removes it.
    pub fn write(&self, files: &[DatasetTemplates]) -> anyhow::Result<()> {
        if files.is_empty() {
            return self.remove();
        }
        let journal = JournalFile {
            version: VERSION,
            workspace: self.workspace.clone(),
            files: files
                .iter()
                .map(|file| JournaledFile {
                    path: file.path.clone(),
                    yaml: file.to_yaml(),
                })
                .collect(),
        };
        if let Some(folder) = self.path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let bytes = serde_json::to_vec(&journal)?;
        fsutil::write_atomic(&self.path, &bytes)?;
        Ok(())
    }

    pub fn remove(&self) -> anyhow::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error.into()),
            _ => Ok(()),
        }
    }

    /// Removes the temporary files of journal writes that a kill cut short
    /// (the atomic write leaves `.<journal name>.<suffix>.tmp` behind).
    fn remove_stale_temporaries(&self) {
        let (Some(folder), Some(name)) = (self.path.parent(), self.path.file_name()) else {
            return;
        };
        let prefix = format!(".{}.", name.to_string_lossy());
        let Ok(entries) = std::fs::read_dir(folder) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let file_name = entry.file_name();
            let file_name = file_name.to_string_lossy();
            if file_name.starts_with(&prefix) && file_name.ends_with(".tmp") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// The journaled files, if a journal of this workspace exists. Called
    /// once at start, before this session writes: it also clears what an
    /// interrupted write left.
    pub fn read(&self) -> anyhow::Result<Vec<DatasetTemplates>> {
        self.remove_stale_temporaries();
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error.into()),
        };
        let journal: JournalFile = serde_json::from_slice(&bytes)
            .map_err(|error| anyhow::anyhow!("{}: {error}", self.path.display()))?;
        if journal.version != VERSION || journal.workspace != self.workspace {
            anyhow::bail!(
                "{}: not a journal of {}",
                self.path.display(),
                self.workspace.display()
            );
        }
        journal
            .files
            .into_iter()
            .map(|file| {
                DatasetTemplates::parse(&file.yaml, &file.path)
                    .map_err(|error| anyhow::anyhow!("{}: {error}", self.path.display()))
            })
            .collect()
    }
}

/// What restoring `journaled` over `loaded` would bring back, one line per
/// prompt (`ag_news: classify`, `… (new)`, `… (deleted)`); empty when they
/// hold the same templates.
pub fn changed_prompts(
    loaded: Option<&DatasetTemplates>,
    journaled: &DatasetTemplates,
) -> Vec<String> {
    let title = match &journaled.subset {
        Some(subset) => format!("{}/{subset}", journaled.dataset),
        None => journaled.dataset.clone(),
    };
    let mut lines = Vec::new();
    for template in &journaled.templates {
        match loaded.and_then(|file| file.template_by_id(&template.id)) {
            None => lines.push(format!("{title}: {} (new)", template.name)),
            Some(before) if before != template => lines.push(format!("{title}: {}", template.name)),
            Some(_) => {}
        }
    }
    if let Some(loaded) = loaded {
        for template in &loaded.templates {
            if journaled.template_by_id(&template.id).is_none() {
                lines.push(format!("{title}: {} (deleted)", template.name));
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::template::Template;

    fn file(path: &Path, jinja: &str) -> DatasetTemplates {
        let mut file = DatasetTemplates::new(path.join("templates.yaml"), "ag_news", None);
        let mut template = Template::new("classify");
        template.jinja = jinja.into();
        file.templates.push(template);
        file
    }

    #[test]
    fn journals_round_trip_per_workspace_and_empty_removes_them() {
        let state = tempfile::tempdir().unwrap();
        let workspace = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let store = JournalStore::new(state.path(), workspace.path());
        assert!(store.read().unwrap().is_empty(), "no journal yet");
        let edited = file(workspace.path(), "{{text}} edited");
        store.write(std::slice::from_ref(&edited)).unwrap();
        let back = store.read().unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].templates, edited.templates);
        assert_eq!(back[0].path, edited.path);
        // Only templates go in: the path of the workspace and of each file,
        // and the file's YAML.
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(store.path()).unwrap()).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["version", "workspace", "files"]);
        let file_keys: Vec<&str> = json["files"][0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(file_keys, ["path", "yaml"]);
        assert_eq!(json["files"][0]["yaml"], edited.to_yaml());
        // Another workspace has its own journal.
        let elsewhere = JournalStore::new(state.path(), other.path());
        assert_ne!(elsewhere.path(), store.path());
        assert!(elsewhere.read().unwrap().is_empty());
        // The same workspace reached by another spelling of its path.
        let dotted = workspace.path().join(".");
        assert_eq!(
            JournalStore::new(state.path(), &dotted).path(),
            store.path()
        );
        // A write cut short by a kill leaves a temporary file: the next
        // start clears it.
        let name = store
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let stale = state.path().join(format!(".{name}.1a2b3c.tmp"));
        std::fs::write(&stale, "half a journal").unwrap();
        let unrelated = state.path().join(".other.json.1a2b3c.tmp");
        std::fs::write(&unrelated, "not ours").unwrap();
        assert_eq!(store.read().unwrap().len(), 1);
        assert!(!stale.exists());
        assert!(unrelated.exists());
        store.write(&[]).unwrap();
        assert!(!store.path().exists());
        assert!(store.read().unwrap().is_empty());
    }

    #[test]
    fn a_journal_of_another_workspace_is_refused() {
        let state = tempfile::tempdir().unwrap();
        let workspace = tempfile::tempdir().unwrap();
        let store = JournalStore::new(state.path(), workspace.path());
        store.write(&[file(workspace.path(), "x")]).unwrap();
        let text = std::fs::read_to_string(store.path()).unwrap();
        let moved = text.replace(
            &serde_json::to_string(&store.workspace).unwrap(),
            "\"/somewhere/else\"",
        );
        std::fs::write(store.path(), moved).unwrap();
        assert!(store.read().is_err());
    }

    #[test]
    fn changed_prompts_name_edits_additions_and_deletions() {
        let folder = Path::new("/ws");
        let loaded = file(folder, "{{text}}");
        let mut journaled = loaded.clone();
        assert!(changed_prompts(Some(&loaded), &journaled).is_empty());
        journaled.templates[0].jinja = "{{text}}!".into();
        journaled.templates.push(Template::new("added"));
        assert_eq!(
            changed_prompts(Some(&loaded), &journaled),
            ["ag_news: classify", "ag_news: added (new)"]
        );
        journaled.templates.remove(0);
        assert_eq!(
            changed_prompts(Some(&loaded), &journaled),
            ["ag_news: added (new)", "ag_news: classify (deleted)"]
        );
    }
}
