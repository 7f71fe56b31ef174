//! Few-shot prompts: other rows, rendered by the same template, put before a
//! row's input as lm-evaluation-harness puts them.
//!
//! # Which rows
//! Row `i`'s demonstrations come from a generator of its own,
//! `r = random.Random(seed + i)` (CPython's, exactly), so any row, shard or
//! studio jump gets the same demonstrations whatever the order.
//! lm-evaluation-harness draws from one generator in evaluation order, so
//! its demonstrations depend on which rows came before; ours do not.
//!
//! 1. `first = r.sample(range(n), min(n, k + 1 if same_split else k))`,
//!    `n` the rows of the demonstration split. When that split is the one
//!    evaluated, row `i` is dropped from `first` (lm-evaluation-harness
//!    draws one spare for that reason).
//! 2. The rows of `first` are taken in order; a row whose render fails or
//!    is blank (not exactly `input ||| target` with both non-empty, the
//!    rule export and eval keep rows by) is passed over, and the spare, if
//!    unused, is the next drawn row.
//! 3. While fewer than `k` are usable, the same generator keeps drawing:
//!    `j = r.randrange(n)`, skipping rows already drawn (and row `i`), until
//!    `k` are usable, every row has been drawn, or [`EXTRA_DRAWS_PER_SHOT`]
//!    `* k` further draws have been made (then the row has fewer than `k`).
//!
//! `tests/fixtures/fewshot/generate.py` is this definition in Python.
//!
//! # How they are joined
//! Without a chat template: each demonstration `input + target_delimiter +
//! target`, each followed by `"\n\n"`, then the row's input (lm-evaluation-harness'
//! `fewshot_delimiter` and default `target_delimiter`). With a chat template:
//! alternating user (input) and assistant (target) turns, then the row's
//! input as the last user turn (its `--fewshot_as_multiturn`).

use std::collections::HashSet;

use serde_json::{json, Value as Json};

use crate::core::py::random::PyRandom;

/// lm-evaluation-harness' default `fewshot_seed`.
pub const DEFAULT_SEED: u64 = 1234;
/// What follows each demonstration (lm-evaluation-harness' `fewshot_delimiter`).
pub const FEWSHOT_DELIMITER: &str = "\n\n";
/// Between a demonstration's input and its target, by default.
pub const DEFAULT_TARGET_DELIMITER: &str = " ";
/// Bound on the replacement draws of step 3, per demonstration asked for:
/// a template that fails on nearly every row must not scan a large split
/// for every row.
pub const EXTRA_DRAWS_PER_SHOT: usize = 100;

/// How a row's demonstrations are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FewshotPlan {
    /// Demonstrations per row (`--num-fewshot`).
    pub shots: usize,
    /// `--fewshot-seed`: row `i` draws with `random.Random(seed + i)`.
    pub seed: u64,
    /// Rows in the split the demonstrations come from.
    pub pool_rows: usize,
    /// The demonstrations come from the split being evaluated, so a row
    /// must not be its own demonstration.
    pub same_split: bool,
}

/// One solved example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demonstration {
    /// Its row number in the demonstration split.
    pub row: usize,
    pub input: String,
    pub target: String,
}

impl Demonstration {
    /// A render's parts as a demonstration, or `None` when blank: exactly an
    /// input and a target, both non-empty (the rule export and eval keep
    /// rows by).
    pub fn from_parts(row: usize, parts: &[String]) -> Option<Demonstration> {
        match parts {
            [input, target] if !input.is_empty() && !target.is_empty() => Some(Demonstration {
                row,
                input: input.clone(),
                target: target.clone(),
            }),
            _ => None,
        }
    }
}

impl FewshotPlan {
    /// Row `row`'s demonstrations, in order. `demonstration(j)` renders row
    /// `j` of the demonstration split; `None` (a failed or blank render)
    /// passes it over for the next drawn row.
    pub fn select<F>(&self, row: usize, mut demonstration: F) -> Vec<Demonstration>
    where
        F: FnMut(usize) -> Option<Demonstration>,
    {
        let mut chosen = Vec::with_capacity(self.shots);
        let n = self.pool_rows as u64;
        if self.shots == 0 || n == 0 {
            return chosen;
        }
        let own = self.same_split.then_some(row as u64);
        // Python's ints do not overflow; a seed this large is not a real use.
        let mut rng = PyRandom::from_seed(self.seed.wrapping_add(row as u64));
        let first_count = (self.shots + usize::from(self.same_split)).min(self.pool_rows);
        let first = rng.sample(n, first_count).unwrap_or_default();
        let mut drawn: HashSet<u64> = first.iter().copied().collect();
        let mut consider = |j: u64, chosen: &mut Vec<Demonstration>| {
            if Some(j) != own {
                if let Some(demo) = demonstration(j as usize) {
                    chosen.push(demo);
                }
            }
        };
        for &j in &first {
            consider(j, &mut chosen);
            if chosen.len() == self.shots {
                return chosen;
            }
        }
        let excluded_own = own.is_some_and(|own| !drawn.contains(&own) && own < n);
        let mut budget = EXTRA_DRAWS_PER_SHOT.saturating_mul(self.shots);
        while chosen.len() < self.shots
            && budget > 0
            && (drawn.len() as u64 + u64::from(excluded_own)) < n
        {
            budget -= 1;
            let j = rng.randbelow(n);
            if Some(j) == own || !drawn.insert(j) {
                continue;
            }
            consider(j, &mut chosen);
        }
        chosen
    }
}

/// The prompt as one string: each demonstration `input + target_delimiter +
/// target + "\n\n"`, then `input`.
pub fn join(demonstrations: &[Demonstration], input: &str, target_delimiter: &str) -> String {
    let mut prompt = String::new();
    for demo in demonstrations {
        prompt.push_str(&demo.input);
        prompt.push_str(target_delimiter);
        prompt.push_str(&demo.target);
        prompt.push_str(FEWSHOT_DELIMITER);
    }
    prompt.push_str(input);
    prompt
}

/// The prompt as chat messages: a user turn (input) and an assistant turn
/// (target) per demonstration, then `input` as the last user turn.
pub fn messages(demonstrations: &[Demonstration], input: &str) -> Vec<Json> {
    let mut turns = Vec::with_capacity(demonstrations.len() * 2 + 1);
    for demo in demonstrations {
        turns.push(json!({"role": "user", "content": demo.input}));
        turns.push(json!({"role": "assistant", "content": demo.target}));
    }
    turns.push(json!({"role": "user", "content": input}));
    turns
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Synthetic rows as generate.py writes them.
    fn synthetic(row: usize, unusable: &[usize]) -> Option<Demonstration> {
        (!unusable.contains(&row)).then(|| Demonstration {
            row,
            input: format!("Question {row}?"),
            target: format!("Answer {row}"),
        })
    }

    #[test]
    fn demonstrations_equal_pythons_fixtures() {
        let fixtures: Json =
            serde_json::from_str(include_str!("../../tests/fixtures/fewshot/expected.json"))
                .unwrap();
        let cases = fixtures["cases"].as_array().unwrap();
        assert!(cases.len() > 20);
        for case in cases {
            let field = |name: &str| case[name].as_u64().unwrap() as usize;
            let plan = FewshotPlan {
                shots: field("k"),
                seed: case["seed"].as_u64().unwrap(),
                pool_rows: field("n"),
                same_split: case["same_split"].as_bool().unwrap(),
            };
            let unusable: Vec<usize> = case["unusable"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            let row = field("row");
            let demos = plan.select(row, |j| synthetic(j, &unusable));
            let rows: Vec<usize> = demos.iter().map(|d| d.row).collect();
            let expected: Vec<usize> = serde_json::from_value(case["rows"].clone()).unwrap();
            assert_eq!(rows, expected, "case {case}");
            let input = format!("Question {row}?");
            let delimiter = case["target_delimiter"].as_str().unwrap();
            assert_eq!(
                join(&demos, &input, delimiter),
                case["prompt"].as_str().unwrap(),
                "case {case}"
            );
            assert_eq!(
                Json::Array(messages(&demos, &input)),
                case["messages"],
                "case {case}"
            );
        }
    }

    #[test]
    fn a_row_is_never_its_own_demonstration() {
        let plan = FewshotPlan {
            shots: 3,
            seed: DEFAULT_SEED,
            pool_rows: 4,
            same_split: true,
        };
        for row in 0..4 {
            let rows: Vec<usize> = plan
                .select(row, |j| synthetic(j, &[]))
                .iter()
                .map(|d| d.row)
                .collect();
            assert_eq!(rows.len(), 3);
            assert!(!rows.contains(&row));
        }
    }

    #[test]
    fn blank_renders_are_not_demonstrations() {
        let parts = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(Demonstration::from_parts(0, &parts(&["q", "a"])).is_some());
        assert!(Demonstration::from_parts(0, &parts(&["q", ""])).is_none());
        assert!(Demonstration::from_parts(0, &parts(&["", "a"])).is_none());
        assert!(Demonstration::from_parts(0, &parts(&["q"])).is_none());
        assert!(Demonstration::from_parts(0, &parts(&["q", "a", "b"])).is_none());
    }

    #[test]
    fn a_pool_where_nothing_renders_ends() {
        let plan = FewshotPlan {
            shots: 5,
            seed: 1,
            pool_rows: 1_000_000,
            same_split: true,
        };
        let mut calls = 0;
        let demos = plan.select(7, |_| {
            calls += 1;
            None
        });
        assert!(demos.is_empty());
        assert!(calls <= 6 + EXTRA_DRAWS_PER_SHOT * 5);
    }
}
