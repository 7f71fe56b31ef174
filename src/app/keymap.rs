//! Key bindings as data: defaults from `assets/keymap.toml`, overridden by
//! `$XDG_CONFIG_HOME/promptstudio/keymap.toml`.
//!
//! Keys are described with a small terminal-independent type so that app/
//! compiles without the terminal stack; tui/ converts crossterm events.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::action::Action;

/// The built-in bindings, shipped in the binary.
pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// A key without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    F(u8),
}

/// Modifier set. Shift is only recorded for non-character keys: for
/// characters the terminal already reports the shifted character (`G`, `?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Mods {
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

/// A key with its modifiers, e.g. `ctrl-s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub key: Key,
    pub mods: Mods,
}

impl KeyChord {
    pub fn plain(key: Key) -> Self {
        KeyChord {
            key,
            mods: Mods::default(),
        }
    }

    pub fn ctrl(c: char) -> Self {
        KeyChord {
            key: Key::Char(c),
            mods: Mods {
                ctrl: true,
                ..Mods::default()
            },
        }
    }

    /// The character this chord types, if it is plain text input.
    pub fn text(&self) -> Option<char> {
        match self.key {
            Key::Char(c) if !self.mods.ctrl && !self.mods.alt => Some(c),
            _ => None,
        }
    }

    /// Parses `ctrl-s`, `alt-z`, `shift-tab`, `f1`, `pagedown`, `space`, `?`.
    pub fn parse(text: &str) -> Result<KeyChord, String> {
        let mut mods = Mods::default();
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && lower.starts_with("ctrl-") {
                mods.ctrl = true;
                rest = &rest[5..];
            } else if rest.chars().count() > 1 && lower.starts_with("alt-") {
                mods.alt = true;
                rest = &rest[4..];
            } else if rest.chars().count() > 1 && lower.starts_with("shift-") {
                mods.shift = true;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let key = match (chars.next(), chars.next()) {
            (Some(c), None) => Key::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => Key::Enter,
                "esc" | "escape" => Key::Esc,
                "tab" if mods.shift => {
                    mods.shift = false;
                    Key::BackTab
                }
                "tab" => Key::Tab,
                "backtab" => Key::BackTab,
                "backspace" => Key::Backspace,
                "delete" | "del" => Key::Delete,
                "insert" | "ins" => Key::Insert,
                "up" => Key::Up,
                "down" => Key::Down,
                "left" => Key::Left,
                "right" => Key::Right,
                "home" => Key::Home,
                "end" => Key::End,
                "pageup" | "pgup" => Key::PageUp,
                "pagedown" | "pgdn" => Key::PageDown,
                "space" => Key::Char(' '),
                "minus" => Key::Char('-'),
                other => match other.strip_prefix('f').map(str::parse::<u8>) {
                    Some(Ok(n)) if (1..=24).contains(&n) => Key::F(n),
                    _ => return Err(format!("unknown key `{text}`")),
                },
            },
        };
        Ok(KeyChord { key, mods })
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.mods.alt {
            f.write_str("alt-")?;
        }
        if self.mods.shift {
            f.write_str("shift-")?;
        }
        match self.key {
            Key::Char(' ') => f.write_str("space"),
            Key::Char(c) => write!(f, "{c}"),
            Key::Enter => f.write_str("enter"),
            Key::Esc => f.write_str("esc"),
            Key::Tab => f.write_str("tab"),
            Key::BackTab => f.write_str("shift-tab"),
            Key::Backspace => f.write_str("backspace"),
            Key::Delete => f.write_str("del"),
            Key::Insert => f.write_str("ins"),
            Key::Up => f.write_str("↑"),
            Key::Down => f.write_str("↓"),
            Key::Left => f.write_str("←"),
            Key::Right => f.write_str("→"),
            Key::Home => f.write_str("home"),
            Key::End => f.write_str("end"),
            Key::PageUp => f.write_str("pgup"),
            Key::PageDown => f.write_str("pgdn"),
            Key::F(n) => write!(f, "F{n}"),
        }
    }
}

/// Where a binding applies. The focused context is looked up first, then
/// [`Context::Global`]; overlays (help, prompts, pickers) shadow the panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    Catalog,
    Editor,
    Metadata,
    Preview,
    Batch,
    Stats,
    Prompted,
    Card,
    Picker,
    Prompt,
    Help,
}

impl Context {
    pub const ALL: &'static [Context] = &[
        Context::Global,
        Context::Catalog,
        Context::Editor,
        Context::Metadata,
        Context::Preview,
        Context::Batch,
        Context::Stats,
        Context::Prompted,
        Context::Card,
        Context::Picker,
        Context::Prompt,
        Context::Help,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Catalog => "catalog",
            Context::Editor => "editor",
            Context::Metadata => "metadata",
            Context::Preview => "preview",
            Context::Batch => "batch",
            Context::Stats => "stats",
            Context::Prompted => "prompted",
            Context::Card => "card",
            Context::Picker => "picker",
            Context::Prompt => "prompt",
            Context::Help => "help",
        }
    }

    fn from_name(name: &str) -> Option<Context> {
        Context::ALL.iter().copied().find(|c| c.name() == name)
    }

    /// Contexts where unbound printable keys are typed text, so global
    /// bindings on plain characters must not fire there.
    pub fn takes_text(self) -> bool {
        matches!(self, Context::Editor | Context::Prompt | Context::Picker)
    }
}

/// A keymap file that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct KeymapError {
    pub path: String,
    pub message: String,
}

/// The bindings in force.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    bindings: HashMap<(Context, KeyChord), Action>,
}

impl Keymap {
    /// The built-in defaults.
    pub fn defaults() -> Keymap {
        let mut keymap = Keymap::default();
        // The defaults ship with the binary and are tested below, so a
        // failure here is a build defect, not user input.
        keymap
            .merge_toml(DEFAULT_KEYMAP, "assets/keymap.toml")
            .expect("built-in keymap is valid");
        keymap
    }

    /// Defaults plus the user's file, when there is one.
    pub fn load_user() -> Result<Keymap, KeymapError> {
        let mut keymap = Keymap::defaults();
        if let Some(path) = user_keymap_path() {
            if let Ok(text) = std::fs::read_to_string(&path) {
                keymap.merge_toml(&text, &path.display().to_string())?;
            }
        }
        Ok(keymap)
    }

    /// Adds the bindings of a TOML document (`[context]` tables of
    /// `"key" = "action"`); `"none"` removes a binding.
    pub fn merge_toml(&mut self, text: &str, origin: &str) -> Result<(), KeymapError> {
        let error = |message: String| KeymapError {
            path: origin.to_owned(),
            message,
        };
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| error(e.to_string()))?;
        for (context_name, bindings) in &table {
            let context = Context::from_name(context_name)
                .ok_or_else(|| error(format!("unknown section [{context_name}]")))?;
            let bindings = bindings
                .as_table()
                .ok_or_else(|| error(format!("[{context_name}] must be a table")))?;
            for (key, action) in bindings {
                let chord =
                    KeyChord::parse(key).map_err(|m| error(format!("[{context_name}] {m}")))?;
                let action = action.as_str().ok_or_else(|| {
                    error(format!(
                        "[{context_name}] `{key}`: the action must be a string"
                    ))
                })?;
                if action == "none" {
                    self.bindings.remove(&(context, chord));
                    continue;
                }
                let action = Action::from_name(action).ok_or_else(|| {
                    error(format!(
                        "[{context_name}] `{key}`: unknown action `{action}`"
                    ))
                })?;
                self.bindings.insert((context, chord), action);
            }
        }
        Ok(())
    }

    /// The action for a key in a context, falling back to the global table
    /// except for plain characters in text-entry contexts.
    pub fn lookup(&self, context: Context, chord: KeyChord) -> Option<Action> {
        if let Some(&action) = self.bindings.get(&(context, chord)) {
            return Some(action);
        }
        if context.takes_text() && chord.text().is_some() {
            return None;
        }
        if matches!(context, Context::Prompt | Context::Picker | Context::Help) {
            // Overlays keep their keys to themselves, except quitting.
            return self
                .bindings
                .get(&(Context::Global, chord))
                .copied()
                .filter(|&action| action == Action::Quit);
        }
        self.bindings.get(&(Context::Global, chord)).copied()
    }

    /// The bindings of one context, grouped by action in declaration order,
    /// each with its keys sorted for a stable display.
    pub fn bindings_of(&self, context: Context) -> Vec<(Action, Vec<KeyChord>)> {
        let mut grouped: Vec<(Action, Vec<KeyChord>)> = Vec::new();
        for &action in Action::ALL {
            let mut keys: Vec<KeyChord> = self
                .bindings
                .iter()
                .filter(|((c, _), a)| *c == context && **a == action)
                .map(|((_, k), _)| *k)
                .collect();
            if keys.is_empty() {
                continue;
            }
            keys.sort_by_key(|k| (k.to_string().chars().count(), k.to_string()));
            grouped.push((action, keys));
        }
        grouped
    }

    /// The first key bound to an action in a context (or globally).
    pub fn key_for(&self, context: Context, action: Action) -> Option<KeyChord> {
        self.bindings_of(context)
            .into_iter()
            .find(|(a, _)| *a == action)
            .and_then(|(_, keys)| keys.into_iter().next())
    }
}

/// `$XDG_CONFIG_HOME/promptstudio/keymap.toml`, or under `~/.config`.
pub fn user_keymap_path() -> Option<PathBuf> {
    config_dir().map(|dir| dir.join("keymap.toml"))
}

/// The studio's folder in the XDG config directory.
pub fn config_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".config")))?;
    Some(base.join("promptstudio"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_bind_the_basics() {
        let keymap = Keymap::defaults();
        assert_eq!(
            keymap.lookup(Context::Editor, KeyChord::ctrl('s')),
            Some(Action::Save)
        );
        assert_eq!(
            keymap.lookup(Context::Catalog, KeyChord::plain(Key::Char('j'))),
            Some(Action::Down)
        );
        // `?` types a question mark in the editor, opens help elsewhere.
        assert_eq!(
            keymap.lookup(Context::Editor, KeyChord::plain(Key::Char('?'))),
            None
        );
        assert_eq!(
            keymap.lookup(Context::Catalog, KeyChord::plain(Key::Char('?'))),
            Some(Action::Help)
        );
    }

    #[test]
    fn every_action_has_a_default_key() {
        let keymap = Keymap::defaults();
        for &action in Action::ALL {
            let bound = Context::ALL
                .iter()
                .any(|&c| keymap.bindings_of(c).iter().any(|(a, _)| *a == action));
            assert!(bound, "{} has no default key", action.name());
        }
    }

    #[test]
    fn user_file_overrides_and_unbinds() {
        let mut keymap = Keymap::defaults();
        keymap
            .merge_toml("[catalog]\nx = \"delete_prompt\"\nj = \"none\"\n", "user")
            .unwrap();
        assert_eq!(
            keymap.lookup(Context::Catalog, KeyChord::plain(Key::Char('x'))),
            Some(Action::DeletePrompt)
        );
        assert_eq!(
            keymap.lookup(Context::Catalog, KeyChord::plain(Key::Char('j'))),
            None
        );
    }

    #[test]
    fn bad_files_name_the_problem() {
        let mut keymap = Keymap::defaults();
        let err = keymap
            .merge_toml("[catalog]\nx = \"fly\"\n", "k.toml")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "k.toml: [catalog] `x`: unknown action `fly`"
        );
        let err = keymap.merge_toml("[nowhere]\n", "k.toml").unwrap_err();
        assert!(err.to_string().contains("unknown section [nowhere]"));
        let err = keymap
            .merge_toml("[global]\n\"ctrl-bogus\" = \"quit\"\n", "k.toml")
            .unwrap_err();
        assert!(
            err.to_string().contains("unknown key `ctrl-bogus`"),
            "{err}"
        );
    }

    #[test]
    fn chords_parse_and_print() {
        for text in [
            "ctrl-s",
            "alt-z",
            "shift-tab",
            "F5",
            "pgdn",
            "space",
            "?",
            "G",
            "ctrl-alt-x",
        ] {
            let chord = KeyChord::parse(text).unwrap();
            assert_eq!(
                KeyChord::parse(&chord.to_string().replace(['↑'], "up")).unwrap(),
                chord
            );
        }
        assert_eq!(
            KeyChord::parse("-").unwrap(),
            KeyChord::plain(Key::Char('-'))
        );
    }
}
