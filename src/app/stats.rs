//! Whole-split statistics of one prompt (the batch view's counts).

use std::collections::HashMap;

use super::backend::{Diagnostic, Rendered};
use crate::core::datum::{Datum, Row};
use crate::data::features::Feature;

/// Distinct targets remembered one by one; past this (free-text targets,
/// summaries) the rest are only counted, so memory and the events that
/// carry the statistics stay small on a million-row split.
pub const MAX_DISTINCT_TARGETS: usize = 1000;

/// Input lengths (characters) are counted in buckets whose upper bounds
/// grow by doubling, so short and very long inputs share one chart.
pub const LENGTH_BUCKETS: [usize; 10] =
    [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, usize::MAX];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SplitStats {
    pub total: usize,
    pub done: usize,
    pub errors: usize,
    pub blank: usize,
    pub empty_targets: usize,
    /// Rows whose target is not one of their answer choices (only counted
    /// for templates with answer choices).
    pub target_not_in_choices: usize,
    pub histogram: [usize; LENGTH_BUCKETS.len()],
    /// The first error seen, with its row.
    pub first_error: Option<(usize, String)>,
    pub finished: bool,
    /// Input token lengths, when the studio's model has a tokenizer.
    /// (Boxed: statistics travel in events, most of them without it.)
    pub tokens: Option<Box<super::chat::TokenStats>>,
    /// How often each rendered target occurs (boxed, as the tokens above).
    pub targets: Box<TargetCounts>,
    /// The split's first ClassLabel column, counted by class (boxed, as
    /// the tokens above).
    pub labels: Option<Box<LabelCounts>>,
}

/// How often each rendered target occurs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetCounts {
    /// Up to [`MAX_DISTINCT_TARGETS`] distinct targets.
    pub counts: HashMap<String, usize>,
    /// Rows whose target was new after the distinct ones ran out.
    pub untracked: usize,
}

/// Counts of one ClassLabel column's classes over the split.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelCounts {
    pub column: String,
    pub names: Vec<String>,
    pub counts: Vec<usize>,
    /// Values that name no class (-1 on an unlabelled test split, nulls).
    pub other: usize,
}

impl SplitStats {
    pub fn new(total: usize) -> Self {
        SplitStats {
            total,
            ..SplitStats::default()
        }
    }

    /// Statistics that also count the first ClassLabel column of `features`.
    pub fn with_features(total: usize, features: &[(String, Feature)]) -> Self {
        let labels = features.iter().find_map(|(column, feature)| match feature {
            Feature::ClassLabel { names } => Some(Box::new(LabelCounts {
                column: column.clone(),
                names: names.clone(),
                counts: vec![0; names.len()],
                other: 0,
            })),
            _ => None,
        });
        SplitStats {
            labels,
            ..SplitStats::new(total)
        }
    }

    /// Counts one raw row's class (see [`SplitStats::with_features`]).
    pub fn add_label(&mut self, row: &Row) {
        let Some(labels) = &mut self.labels else {
            return;
        };
        let class = match row.get(&labels.column) {
            Some(Datum::Int(value)) => usize::try_from(*value).ok(),
            _ => None,
        };
        match class.and_then(|class| labels.counts.get_mut(class)) {
            Some(count) => *count += 1,
            None => labels.other += 1,
        }
    }

    /// The `n` most frequent targets (ties by text), and how many rows
    /// had any other target.
    pub fn top_targets(&self, n: usize) -> (Vec<(&str, usize)>, usize) {
        let mut all: Vec<(&str, usize)> = self
            .targets
            .counts
            .iter()
            .map(|(target, &count)| (target.as_str(), count))
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let rest: usize = all.iter().skip(n).map(|(_, count)| count).sum();
        all.truncate(n);
        (all, rest + self.targets.untracked)
    }

    /// Counts one row's outcome.
    pub fn add(&mut self, row: usize, outcome: &Result<Rendered, Diagnostic>) {
        self.done += 1;
        let rendered = match outcome {
            Ok(rendered) => rendered,
            Err(error) => {
                self.errors += 1;
                if self.first_error.is_none() {
                    self.first_error = Some((row, error.to_string()));
                }
                return;
            }
        };
        let input = rendered.parts.first().map_or("", String::as_str);
        if rendered.parts.iter().all(String::is_empty) {
            self.blank += 1;
        }
        let target = rendered.parts.get(1).map(String::as_str);
        if target.is_none_or(str::is_empty) {
            self.empty_targets += 1;
        }
        if let Some(target) = target {
            let targets = &mut self.targets;
            if let Some(count) = targets.counts.get_mut(target) {
                *count += 1;
            } else if targets.counts.len() < MAX_DISTINCT_TARGETS {
                targets.counts.insert(target.to_owned(), 1);
            } else {
                targets.untracked += 1;
            }
        }
        if let (Some(choices), Some(target)) = (&rendered.answer_choices, target) {
            if !choices.iter().any(|choice| choice == target) {
                self.target_not_in_choices += 1;
            }
        }
        let length = input.chars().count();
        let bucket = LENGTH_BUCKETS
            .iter()
            .position(|&bound| length < bound)
            .unwrap_or(LENGTH_BUCKETS.len() - 1);
        self.histogram[bucket] += 1;
    }

    /// A short label for a histogram bucket, its (exclusive) upper bound:
    /// `64`, `128`, ..., `1k`, ..., `16k`, then `∞`.
    pub fn bucket_label(index: usize) -> String {
        match LENGTH_BUCKETS.get(index) {
            Some(&usize::MAX) => "∞".to_owned(),
            Some(&bound) if bound >= 1024 => format!("{}k", bound / 1024),
            Some(bound) => bound.to_string(),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(parts: &[&str], choices: Option<&[&str]>) -> Result<Rendered, Diagnostic> {
        Ok(Rendered {
            parts: parts.iter().map(|p| p.to_string()).collect(),
            answer_choices: choices.map(|c| c.iter().map(|c| c.to_string()).collect()),
            spans: Vec::new(),
        })
    }

    #[test]
    fn counts_each_kind_of_problem() {
        let mut stats = SplitStats::new(5);
        stats.add(0, &rendered(&["a question", "yes"], Some(&["yes", "no"])));
        stats.add(1, &rendered(&["a question", "maybe"], Some(&["yes", "no"])));
        stats.add(2, &rendered(&[""], None));
        stats.add(3, &rendered(&["only an input"], None));
        let error = Diagnostic {
            message: "boom".into(),
            line: Some(1),
            column: None,
        };
        stats.add(4, &Err(error));
        assert_eq!(stats.done, 5);
        assert_eq!(stats.errors, 1);
        assert_eq!(stats.first_error, Some((4, "line 1: boom".to_owned())));
        assert_eq!(stats.blank, 1);
        assert_eq!(stats.empty_targets, 2);
        assert_eq!(stats.target_not_in_choices, 1);
        assert_eq!(stats.histogram[0], 4);
        assert_eq!(stats.top_targets(1), (vec![("maybe", 1)], 1));
        assert_eq!(SplitStats::bucket_label(0), "64");
        assert_eq!(SplitStats::bucket_label(5), "2k");
        assert_eq!(SplitStats::bucket_label(9), "∞");
    }
}
