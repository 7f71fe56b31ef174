//! PromptSource's `templates.yaml`: reading it into the model and writing it
//! back byte for byte as PyYAML's `yaml.dump` does, so that saving a file
//! changes only the lines that were edited.

mod emit;
mod error;
mod fast;
mod graph;
mod read;
mod represent;
mod resolve;
mod surrogates;

use std::path::Path;

use crate::core::fsutil::{self, Fingerprint, SaveError};
use crate::core::template::DatasetTemplates;

pub use error::LoadError;

impl DatasetTemplates {
    /// Reads and checks a `templates.yaml`, remembering its fingerprint so a
    /// later [`save_if_unchanged`](Self::save_if_unchanged) can tell whether
    /// something else changed it meanwhile.
    pub fn load(path: &Path) -> Result<DatasetTemplates, LoadError> {
        load_with_bytes(path).map(|(file, _)| file)
    }

    /// Parses the text of a `templates.yaml`; `path` is used for errors and
    /// kept as the file's path.
    pub fn parse(text: &str, path: &Path) -> Result<DatasetTemplates, LoadError> {
        read::parse(text, path)
    }

    /// Exactly what PyYAML's `yaml.dump` writes for these templates as
    /// PromptSource holds them: an unedited file comes back byte for byte.
    pub fn to_yaml(&self) -> String {
        represent::to_yaml(self)
    }

    /// Writes the file atomically, creating its folder if needed (as
    /// PromptSource does for a new dataset). Prefer
    /// [`save_if_unchanged`](Self::save_if_unchanged) when the file was
    /// loaded: this one overwrites whatever is on disk.
    pub fn save(&self) -> Result<Fingerprint, SaveError> {
        self.create_folder()?;
        fsutil::write_atomic(&self.path, self.to_yaml().as_bytes())
    }

    /// Writes a file that was never on disk (a new dataset's first prompts),
    /// creating its folder; refuses with [`SaveError::ChangedOnDisk`] when a
    /// file has appeared at its path meanwhile.
    pub fn save_new(&self) -> Result<Fingerprint, SaveError> {
        self.create_folder()?;
        fsutil::write_atomic_if_absent(&self.path, self.to_yaml().as_bytes())
    }

    fn create_folder(&self) -> Result<(), SaveError> {
        if let Some(folder) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|source| SaveError::Io {
                path: folder.to_path_buf(),
                source,
            })?;
        }
        Ok(())
    }

    /// Writes the file atomically unless it differs on disk from `expected`
    /// (what it was when loaded or last saved), in which case nothing is
    /// written and [`SaveError::ChangedOnDisk`] is returned.
    pub fn save_if_unchanged(&self, expected: &Fingerprint) -> Result<Fingerprint, SaveError> {
        fsutil::write_atomic_if_unchanged(&self.path, self.to_yaml().as_bytes(), expected)
    }
}

/// The loaded file and the bytes it was loaded from.
fn load_with_bytes(path: &Path) -> Result<(DatasetTemplates, Vec<u8>), LoadError> {
    let (bytes, fingerprint) = Fingerprint::read_with_bytes(path)
        .map_err(|e| LoadError::whole_file(path, format!("cannot read: {e}")))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let (line, column) = position_of_byte(&bytes, e.valid_up_to());
        LoadError::at(path, line, column, "the file is not valid UTF-8".into())
    })?;
    let mut file = DatasetTemplates::parse(text, path)?;
    file.fingerprint = Some(fingerprint);
    Ok((file, bytes))
}

fn position_of_byte(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = 1 + String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count();
    (line, column)
}

/// What [`format_file`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatOutcome {
    /// The file was already in canonical form; nothing was written.
    Unchanged,
    /// The file was not in canonical form (and was rewritten, unless only checking).
    Reformatted,
}

/// Rewrites a `templates.yaml` in canonical form: what this crate's writer
/// (and PyYAML) produces for its content.
pub fn format_file(path: &Path) -> Result<FormatOutcome, LoadError> {
    format_path(path, true)
}

/// Like [`format_file`] but only reports whether the file would change.
pub fn check_format(path: &Path) -> Result<FormatOutcome, LoadError> {
    format_path(path, false)
}

fn format_path(path: &Path, write: bool) -> Result<FormatOutcome, LoadError> {
    let (file, current) = load_with_bytes(path)?;
    let canonical = file.to_yaml();
    if current == canonical.as_bytes() {
        return Ok(FormatOutcome::Unchanged);
    }
    if let (true, Some(expected)) = (write, &file.fingerprint) {
        fsutil::write_atomic_if_unchanged(path, canonical.as_bytes(), expected)
            .map_err(|e| LoadError::whole_file(path, format!("not written: {}", e.reason())))?;
    }
    Ok(FormatOutcome::Reformatted)
}
