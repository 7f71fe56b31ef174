//! From one render to the records of an output: styles, the P3 rules for
//! keeping a row, and rank classification.

use std::fmt;

/// The shape of the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// P3/T0 fields: `inputs_pretokenized`, `targets_pretokenized`, ...
    P3,
    /// `prompt` / `completion`, as supervised fine-tuning tools read them.
    Completion,
    /// `messages`: a user turn (the input) and an assistant turn (the target).
    Messages,
}

impl fmt::Display for Style {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Style::P3 => "p3",
            Style::Completion => "completion",
            Style::Messages => "messages",
        })
    }
}

/// Which records an output holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// One record per kept row.
    Plain,
    /// One record per answer choice of each kept row (P3's `_score_eval`).
    RankClassification,
}

/// What the engine made of one row: `Template.apply`'s parts and the
/// row's answer choices.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub parts: Vec<String>,
    pub answer_choices: Option<Vec<String>>,
}

/// Token ids of a kept row (with `--tokenizer`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tokens {
    pub input: Vec<u32>,
    pub target: Vec<u32>,
    /// One list per answer choice; filled only for rank classification.
    pub choices: Vec<Vec<u32>>,
}

/// A row that made it into the export.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// The row's index in its split (not in its shard), as in P3's `idx`.
    pub row: usize,
    pub input: String,
    pub target: String,
    pub answer_choices: Option<Vec<String>>,
    pub tokens: Option<Tokens>,
}

/// Why a row did not make it, or the example it became.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Kept(Example),
    /// The template raised on this row; the message names the template line.
    Error(String),
    /// No non-empty input or no non-empty target. P3 dropped these: a render
    /// that is not exactly `input ||| target` (an empty render gives one part;
    /// an unprotected `|||` inside a nested value gives more than two) or
    /// whose input or target is empty after stripping.
    Blank,
    /// The input has more tokens than `--max-input-tokens`.
    TooLong,
}

/// Applies P3's keep rule to a render.
pub fn classify(row: usize, rendered: Rendered) -> Outcome {
    let Rendered {
        parts,
        answer_choices,
    } = rendered;
    let [input, target]: [String; 2] = match parts.try_into() {
        Ok(pair) => pair,
        Err(_) => return Outcome::Blank,
    };
    if input.is_empty() || target.is_empty() {
        return Outcome::Blank;
    }
    Outcome::Kept(Example {
        row,
        input,
        target,
        answer_choices,
        tokens: None,
    })
}

/// P3's rank-classification label: the choice equals the stripped target.
pub fn is_correct(choice: &str, target: &str) -> bool {
    choice == target.trim()
}

/// Whether an example yields rank-classification records (it needs at
/// least one answer choice).
pub fn has_choices(example: &Example) -> bool {
    example
        .answer_choices
        .as_ref()
        .is_some_and(|choices| !choices.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(parts: &[&str]) -> Rendered {
        Rendered {
            parts: parts.iter().map(|part| part.to_string()).collect(),
            answer_choices: None,
        }
    }

    #[test]
    fn keeps_input_target_pairs() {
        match classify(3, rendered(&["question", "answer"])) {
            Outcome::Kept(example) => {
                assert_eq!(example.row, 3);
                assert_eq!(example.input, "question");
                assert_eq!(example.target, "answer");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn p3_drops_blank_and_malformed_renders() {
        assert_eq!(classify(0, rendered(&[""])), Outcome::Blank);
        assert_eq!(classify(0, rendered(&["only an input"])), Outcome::Blank);
        assert_eq!(classify(0, rendered(&["input", ""])), Outcome::Blank);
        assert_eq!(classify(0, rendered(&["", "target"])), Outcome::Blank);
        assert_eq!(classify(0, rendered(&["a", "b", "c"])), Outcome::Blank);
    }

    #[test]
    fn correctness_compares_with_the_stripped_target() {
        assert!(is_correct("yes", " yes\n"));
        assert!(!is_correct("Yes", "yes"));
    }
}
