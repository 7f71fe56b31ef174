//! Confirm dialogs as data: each dialog's answers (the keys that give them
//! and the label its hint shows) are one list, read both by
//! [`App::update`](super::App::update) and by the overlay that draws the
//! hint, so what the dialog says and what the keys do cannot drift apart.

use crate::core::template::DatasetTemplates;

use super::merge::Merge;

use super::keymap::{Key, KeyChord};
use super::Action;

/// A question that needs an answer before anything else happens.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    DeletePrompt {
        file: usize,
        template: usize,
    },
    QuitUnsaved,
    /// A file changed on disk while it has unsaved edits here, and some
    /// prompt changed on both sides: the merge asks about each such prompt
    /// in turn (everything else is already combined in it).
    OutsideChange {
        file: usize,
        merge: Box<Merge>,
    },
    /// A file open here was deleted on disk.
    DeletedOutside {
        file: usize,
    },
    /// Saving found the file changed on disk since it was loaded.
    OverwriteChanged {
        file: usize,
    },
    /// An earlier session ended with unsaved edits, journaled: `prompts`
    /// lists what restoring `files` brings back.
    RestoreJournal {
        files: Vec<DatasetTemplates>,
        prompts: Vec<String>,
    },
}

/// What an answer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Delete,
    Keep,
    SaveAllAndQuit,
    QuitWithoutSaving,
    Stay,
    ReloadTheirs,
    KeepMine,
    Overwrite,
    Cancel,
    Restore,
    Discard,
    TakeTheirs,
    DecideLater,
    Merge,
    SaveAgain,
    CloseFile,
    KeepOpen,
}

/// One answer of a dialog: the keys that give it (letters in either case)
/// and what its hint calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub keys: &'static [Key],
    pub choice: Choice,
    pub label: &'static str,
}

const fn answer(keys: &'static [Key], choice: Choice, label: &'static str) -> Answer {
    Answer {
        keys,
        choice,
        label,
    }
}

const DELETE_PROMPT: &[Answer] = &[
    answer(&[Key::Char('y'), Key::Enter], Choice::Delete, "delete"),
    answer(&[Key::Char('n'), Key::Esc], Choice::Keep, "keep"),
];

// `y` used to quit without saving here, unannounced: a "yes" to a dialog
// listing unsaved work is as likely to mean "save it", so it no longer
// throws the edits away.
const QUIT_UNSAVED: &[Answer] = &[
    answer(
        &[Key::Char('s')],
        Choice::SaveAllAndQuit,
        "save all and quit",
    ),
    answer(
        &[Key::Char('q')],
        Choice::QuitWithoutSaving,
        "quit without saving",
    ),
    answer(&[Key::Esc, Key::Char('n')], Choice::Stay, "stay"),
];

// Per conflicting prompt. Esc leaves the file as it was before the change
// arrived (nothing merged): saving then asks before overwriting, and that
// dialog offers the merge again, so no answer drops the disk's changes
// unseen.
const OUTSIDE_CHANGE: &[Answer] = &[
    answer(&[Key::Char('m')], Choice::KeepMine, "keep mine"),
    answer(&[Key::Char('t')], Choice::TakeTheirs, "take theirs"),
    answer(&[Key::Esc], Choice::DecideLater, "decide later"),
];

// Esc keeps the studio's copy open and unsaved: saving writes it back.
const DELETED_OUTSIDE: &[Answer] = &[
    answer(&[Key::Char('s')], Choice::SaveAgain, "save it again"),
    answer(&[Key::Char('c')], Choice::CloseFile, "close it"),
    answer(&[Key::Esc], Choice::KeepOpen, "keep it open, unsaved"),
];

const OVERWRITE_CHANGED: &[Answer] = &[
    answer(&[Key::Char('m')], Choice::Merge, "merge with theirs"),
    answer(&[Key::Char('o')], Choice::Overwrite, "overwrite with mine"),
    answer(&[Key::Char('r')], Choice::ReloadTheirs, "reload theirs"),
    answer(&[Key::Esc, Key::Char('n')], Choice::Cancel, "cancel"),
];

// No esc: the journal is replaced by the next edit, so leaving without a
// choice would discard it silently.
const RESTORE_JOURNAL: &[Answer] = &[
    answer(
        &[Key::Char('r'), Key::Enter],
        Choice::Restore,
        "restore them",
    ),
    answer(&[Key::Char('d')], Choice::Discard, "discard them"),
];

impl Confirm {
    /// The dialog's answers, in the order its hint lists them.
    pub fn answers(&self) -> &'static [Answer] {
        match self {
            Confirm::DeletePrompt { .. } => DELETE_PROMPT,
            Confirm::QuitUnsaved => QUIT_UNSAVED,
            Confirm::OutsideChange { .. } => OUTSIDE_CHANGE,
            Confirm::DeletedOutside { .. } => DELETED_OUTSIDE,
            Confirm::OverwriteChanged { .. } => OVERWRITE_CHANGED,
            Confirm::RestoreJournal { .. } => RESTORE_JOURNAL,
        }
    }

    /// The answer a key gives, if any; letters match in either case.
    pub fn choice_for(&self, key: Key) -> Option<Choice> {
        let key = match key {
            Key::Char(c) => Key::Char(c.to_ascii_lowercase()),
            other => other,
        };
        self.answers()
            .iter()
            .find(|answer| answer.keys.contains(&key))
            .map(|answer| answer.choice)
    }

    /// The answer an action gives: `select` the dialog's default (the
    /// answer enter gives, if any), any other action the cancelling one
    /// (the answer esc gives).
    pub fn choice_for_action(&self, action: Action) -> Option<Choice> {
        let key = if action == Action::Select {
            Key::Enter
        } else {
            Key::Esc
        };
        self.answers()
            .iter()
            .find(|answer| answer.keys.contains(&key))
            .map(|answer| answer.choice)
    }

    /// The hint line: `y/enter delete · n/esc keep`.
    pub fn hint(&self) -> String {
        self.answers()
            .iter()
            .map(|answer| {
                let keys: Vec<String> = answer
                    .keys
                    .iter()
                    .map(|&key| KeyChord::plain(key).to_string())
                    .collect();
                format!("{} {}", keys.join("/"), answer.label)
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_in_either_case_and_unknown_keys_do_nothing() {
        let confirm = Confirm::DeletePrompt {
            file: 0,
            template: 0,
        };
        assert_eq!(confirm.choice_for(Key::Char('Y')), Some(Choice::Delete));
        assert_eq!(confirm.choice_for(Key::Enter), Some(Choice::Delete));
        assert_eq!(confirm.choice_for(Key::Esc), Some(Choice::Keep));
        assert_eq!(confirm.choice_for(Key::Char('x')), None);
        assert_eq!(confirm.hint(), "y/enter delete · n/esc keep");
    }

    #[test]
    fn yes_does_not_throw_unsaved_work_away() {
        assert_eq!(Confirm::QuitUnsaved.choice_for(Key::Char('y')), None);
        assert!(!Confirm::QuitUnsaved.hint().contains("y "));
    }

    #[test]
    fn every_dialog_key_is_given_once() {
        let dialogs = [
            Confirm::DeletePrompt {
                file: 0,
                template: 0,
            },
            Confirm::QuitUnsaved,
            Confirm::OverwriteChanged { file: 0 },
            Confirm::DeletedOutside { file: 0 },
            Confirm::RestoreJournal {
                files: Vec::new(),
                prompts: Vec::new(),
            },
        ];
        for dialog in dialogs {
            let keys: Vec<Key> = dialog
                .answers()
                .iter()
                .flat_map(|a| a.keys.iter().copied())
                .collect();
            let unique: std::collections::HashSet<Key> = keys.iter().copied().collect();
            assert_eq!(unique.len(), keys.len(), "{dialog:?}");
        }
    }
}
