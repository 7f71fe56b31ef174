//! The dataset card view: the dataset's features and its README.md (the
//! card the Hub keeps beside the data), read off the UI thread.

use std::path::{Path, PathBuf};

use super::backend::SplitRef;

/// The card found for a split: (its path, its text), or why there is none.
pub type CardText = Result<(PathBuf, String), String>;

#[derive(Debug, Default)]
pub struct CardState {
    pub text: Option<CardText>,
    pub scroll: usize,
}

/// The README.md nearest the split's files, looking up at most four
/// folders: a Hub snapshot keeps it at its root (`snapshots/<rev>/`), a
/// workspace may keep one in `data/<dataset>/`.
pub fn read_card(split: &SplitRef) -> CardText {
    let Some(first) = split.found.paths.first() else {
        return Err("the split has no files".into());
    };
    let mut folder: Option<&Path> = if first.is_dir() {
        Some(first)
    } else {
        first.parent()
    };
    for _ in 0..4 {
        let Some(here) = folder else { break };
        let card = here.join("README.md");
        if card.is_file() {
            return std::fs::read_to_string(&card)
                .map(|text| (card.clone(), text))
                .map_err(|error| format!("{}: {error}", card.display()));
        }
        // Not above a Hub snapshot or a workspace's data folder.
        let stop = here
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == "snapshots")
            || here.file_name().is_some_and(|n| n == "data");
        if stop {
            break;
        }
        folder = here.parent();
    }
    Err(format!(
        "no README.md (dataset card) near {}",
        split.location()
    ))
}

/// The card without its YAML front matter (the Hub's metadata block).
pub fn card_body(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("---\n") else {
        return text;
    };
    match rest.find("\n---\n") {
        Some(end) => rest[end + 5..].trim_start_matches('\n'),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_is_left_out() {
        assert_eq!(card_body("---\nlicense: mit\n---\n\n# Card\n"), "# Card\n");
        assert_eq!(card_body("# Card\n"), "# Card\n");
    }
}
