//! PromptSource's truncation, made visible: every `{{ }}` output longer than
//! 2048 characters (plus Jinja's leeway of 5) is cut at a word boundary and
//! ends in `...`. The preview marks the outputs it cut, the row pane the
//! values that will be cut.

use crate::core::datum::{Datum, Row};

/// Jinja's `truncate(2048)` leaves strings up to this long alone.
const UNCUT_UP_TO: usize = 2048 + 5;

/// The mark put after a cut output.
pub const MARK: &str = " ✂ cut at 2048 characters";

/// Whether `{{ value }}` would be cut.
pub fn will_cut(value: &Datum) -> bool {
    match value {
        Datum::Str(text) => text.len() > UNCUT_UP_TO && text.chars().count() > UNCUT_UP_TO,
        _ => false,
    }
}

/// Whether the row has a value truncation cuts: only then can an output
/// ending in `...` be a cut one.
pub fn row_has_cut_values(row: Option<&Row>) -> bool {
    row.is_some_and(|row| row.fields.iter().any(|(_, value)| will_cut(value)))
}

/// Whether an expression's output looks like truncation's: `...` after
/// nearly 2048 characters (the cut goes back to the last space).
pub fn was_cut(output: &str) -> bool {
    output.ends_with("...") && output.chars().count() > 1024 && output.chars().count() <= 2048
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_long_strings_are_cut() {
        assert!(!will_cut(&Datum::str(&"a".repeat(2053))));
        assert!(will_cut(&Datum::str(&"a".repeat(2054))));
        assert!(!will_cut(&Datum::Int(5)));
        assert!(was_cut(&format!("{}...", "word ".repeat(400).trim_end())));
        assert!(!was_cut("short..."));
    }
}
