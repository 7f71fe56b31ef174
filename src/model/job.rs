//! From one render to what an evaluation sends: P3's keep rule (the
//! export's [`classify`]) and the gold answer choice, so that `eval` and
//! the studio send, skip and count exactly the same rows.

use crate::core::apply::Rendered;
use crate::export::record::{self, RowOutcome, SharedChoices};

use super::run::{Job, Mode};

/// A rendered row: a job to send, or why it is not sent (with the job when
/// the render itself was fine, for `eval --out`).
#[derive(Debug, Clone, PartialEq)]
pub enum Prepared {
    Job(Job),
    Skipped { reason: String, job: Option<Job> },
}

/// Sorts one row's render (or its render error) into a job or a skip.
pub fn prepare(
    row: usize,
    rendered: Result<Rendered, String>,
    mode: Mode,
    shared: &mut SharedChoices,
) -> Prepared {
    let skipped = |reason: String, job: Option<Job>| Prepared::Skipped { reason, job };
    let rendered = match rendered {
        Ok(rendered) => rendered,
        Err(message) => return skipped(format!("render failed: {message}"), None),
    };
    match record::classify(row, rendered, shared) {
        RowOutcome::Kept(example) => {
            let choices: Vec<String> = example
                .answer_choices
                .map(|choices| choices.to_vec())
                .unwrap_or_default();
            let gold = choices
                .iter()
                .position(|choice| record::is_correct(choice, &example.target));
            let job = Job {
                row,
                input: example.input,
                target: example.target,
                choices,
                gold,
            };
            match mode {
                Mode::Rank if job.choices.is_empty() => {
                    skipped("no answer choices".to_string(), Some(job))
                }
                Mode::Rank if job.gold.is_none() => skipped(
                    "the target is not among the answer choices".to_string(),
                    Some(job),
                ),
                _ => Prepared::Job(job),
            }
        }
        RowOutcome::Error(message) => skipped(format!("render failed: {message}"), None),
        RowOutcome::Blank | RowOutcome::TooLong => {
            skipped("blank render (no input or no target)".to_string(), None)
        }
    }
}

/// Rank classification when the template has answer choices, else generation
/// (`eval --mode auto`).
pub fn auto_mode(template: &crate::core::template::Template) -> Mode {
    if template.answer_choices.is_some() {
        Mode::Rank
    } else {
        Mode::Generate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(parts: &[&str], choices: Option<&[&str]>) -> Result<Rendered, String> {
        Ok(Rendered {
            parts: parts.iter().map(|part| part.to_string()).collect(),
            answer_choices: choices.map(|c| c.iter().map(|s| s.to_string()).collect()),
            ..Rendered::default()
        })
    }

    #[test]
    fn gold_is_the_target_among_the_choices_and_misses_are_skipped() {
        let mut shared = SharedChoices::default();
        let Prepared::Job(job) = prepare(
            4,
            rendered(&["Q", "No"], Some(&["Yes", "No"])),
            Mode::Rank,
            &mut shared,
        ) else {
            panic!("kept");
        };
        assert_eq!((job.row, job.gold), (4, Some(1)));
        assert!(matches!(
            prepare(
                5,
                rendered(&["Q", "Maybe"], Some(&["Yes", "No"])),
                Mode::Rank,
                &mut shared
            ),
            Prepared::Skipped { job: Some(_), .. }
        ));
        assert!(matches!(
            prepare(
                6,
                rendered(&["Q", "Maybe"], Some(&["Yes", "No"])),
                Mode::Generate,
                &mut shared
            ),
            Prepared::Job(_)
        ));
        assert!(matches!(
            prepare(7, rendered(&["Q"], None), Mode::Generate, &mut shared),
            Prepared::Skipped { job: None, .. }
        ));
        assert!(matches!(
            prepare(8, Err("boom".into()), Mode::Generate, &mut shared),
            Prepared::Skipped { job: None, .. }
        ));
    }
}
