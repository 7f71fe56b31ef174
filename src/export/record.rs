//! From one render to the records of an output: styles, the P3 rules for
//! keeping a row, and rank classification.

use std::fmt;
use std::sync::Arc;

use crate::core::apply::Rendered;

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

/// Token ids of a kept row (with `--tokenizer`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tokens {
    pub input: Vec<u32>,
    pub target: Vec<u32>,
    /// One list per answer choice; filled only for rank classification.
    pub choices: Vec<Vec<u32>>,
}

/// A row's answer choices, shared between consecutive rows that have the
/// same list (most templates have fixed choices): one allocation instead of
/// one per row, and fewer frees from another thread when a writer drops a
/// batch.
pub type Choices = Arc<[String]>;

/// The answer choices of the row kept last, offered to the next row.
#[derive(Debug, Default)]
pub struct SharedChoices(Option<Choices>);

impl SharedChoices {
    fn share(&mut self, choices: Vec<String>) -> Choices {
        if let Some(last) = &self.0 {
            if **last == *choices {
                return Arc::clone(last);
            }
        }
        let fresh: Choices = choices.into();
        self.0 = Some(Arc::clone(&fresh));
        fresh
    }
}

/// A row that made it into the export.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// The row's index in its split (not in its shard), as in P3's `idx`.
    pub row: usize,
    pub input: String,
    pub target: String,
    pub answer_choices: Option<Choices>,
    pub tokens: Option<Tokens>,
    /// The conversation rendered by `--chat-template` (style messages).
    pub text: Option<String>,
    /// `text`'s token count with `--tokenizer`, special tokens not added
    /// (the template writes its own).
    pub text_tokens: Option<usize>,
}

/// Why a row did not make it, or the example it became.
#[derive(Debug, Clone, PartialEq)]
pub enum RowOutcome {
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

/// Applies P3's keep rule to a render; a kept row's answer choices share
/// `shared`'s list when equal.
pub fn classify(row: usize, rendered: Rendered, shared: &mut SharedChoices) -> RowOutcome {
    let Rendered {
        parts,
        answer_choices,
        ..
    } = rendered;
    let [input, target]: [String; 2] = match parts.try_into() {
        Ok(pair) => pair,
        Err(_) => return RowOutcome::Blank,
    };
    if input.is_empty() || target.is_empty() {
        return RowOutcome::Blank;
    }
    RowOutcome::Kept(Example {
        row,
        input,
        target,
        answer_choices: answer_choices.map(|choices| shared.share(choices)),
        tokens: None,
        text: None,
        text_tokens: None,
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
            ..Rendered::default()
        }
    }

    #[test]
    fn keeps_input_target_pairs() {
        match classify(
            3,
            rendered(&["question", "answer"]),
            &mut SharedChoices::default(),
        ) {
            RowOutcome::Kept(example) => {
                assert_eq!(example.row, 3);
                assert_eq!(example.input, "question");
                assert_eq!(example.target, "answer");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn p3_drops_blank_and_malformed_renders() {
        let mut shared = SharedChoices::default();
        assert_eq!(classify(0, rendered(&[""]), &mut shared), RowOutcome::Blank);
        assert_eq!(
            classify(0, rendered(&["only an input"]), &mut shared),
            RowOutcome::Blank
        );
        assert_eq!(
            classify(0, rendered(&["input", ""]), &mut shared),
            RowOutcome::Blank
        );
        assert_eq!(
            classify(0, rendered(&["", "target"]), &mut shared),
            RowOutcome::Blank
        );
        assert_eq!(
            classify(0, rendered(&["a", "b", "c"]), &mut shared),
            RowOutcome::Blank
        );
    }

    #[test]
    fn equal_choices_of_consecutive_rows_are_one_list() {
        let mut shared = SharedChoices::default();
        let with = |choices: &[&str]| Rendered {
            parts: vec!["input".to_string(), "target".to_string()],
            answer_choices: Some(choices.iter().map(|choice| choice.to_string()).collect()),
            spans: Vec::new(),
        };
        let mut kept = Vec::new();
        for choices in [&["a", "b"][..], &["a", "b"], &["a", "c"], &["a", "c"]] {
            match classify(0, with(choices), &mut shared) {
                RowOutcome::Kept(example) => kept.push(example.answer_choices.unwrap()),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(&*kept[0], ["a", "b"]);
        assert_eq!(&*kept[2], ["a", "c"]);
        assert!(Arc::ptr_eq(&kept[0], &kept[1]));
        assert!(Arc::ptr_eq(&kept[2], &kept[3]));
        assert!(!Arc::ptr_eq(&kept[1], &kept[2]));
    }

    #[test]
    fn correctness_compares_with_the_stripped_target() {
        assert!(is_correct("yes", " yes\n"));
        assert!(!is_correct("Yes", "yes"));
    }
}
