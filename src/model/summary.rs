//! A template's evaluation in numbers: row counts and each metric's mean
//! with its standard error, gathered row by row as results arrive.

use super::bleu::BleuStatistics;
use super::metrics::{self, Declared};
use super::rouge;
use super::run::{Job, Mode, RowResult};

/// Counts and per-row values of one template's run.
#[derive(Debug, Clone)]
pub struct Tally {
    mode: Mode,
    rouge: bool,
    bleu: bool,
    not_computed: Vec<String>,
    pub rows: usize,
    pub skipped: usize,
    pub errors: usize,
    acc: Vec<f64>,
    acc_norm: Vec<f64>,
    exact_match: Vec<f64>,
    f1: Vec<f64>,
    rouge1: Vec<f64>,
    rouge2: Vec<f64>,
    rouge_l: Vec<f64>,
    bleu_statistics: BleuStatistics,
}

/// The finished numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub mode: Mode,
    pub rows: usize,
    pub scored: usize,
    pub skipped: usize,
    pub errors: usize,
    /// `acc`, `acc_stderr`, ... in a fixed order; null when undefined
    /// (no scored row; a standard error of fewer than two rows).
    pub metrics: Vec<(String, Option<f64>)>,
    /// Metrics the template's metadata declares that are not computed.
    pub not_computed: Vec<String>,
}

impl Summary {
    /// A metric's value; None when absent or undefined.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| *value)
    }
}

impl Tally {
    /// A tally for a template evaluated in `mode` whose metadata declares `declared`.
    pub fn new(mode: Mode, declared: &[String]) -> Tally {
        let mut tally = Tally {
            mode,
            rouge: false,
            bleu: false,
            not_computed: Vec::new(),
            rows: 0,
            skipped: 0,
            errors: 0,
            acc: Vec::new(),
            acc_norm: Vec::new(),
            exact_match: Vec::new(),
            f1: Vec::new(),
            rouge1: Vec::new(),
            rouge2: Vec::new(),
            rouge_l: Vec::new(),
            bleu_statistics: BleuStatistics::default(),
        };
        for metric in declared {
            match (metrics::declared(metric), mode) {
                (Declared::Always, _) => {}
                (Declared::Rouge, Mode::Generate) => tally.rouge = true,
                (Declared::Bleu, Mode::Generate) => tally.bleu = true,
                _ => tally.not_computed.push(metric.clone()),
            }
        }
        tally
    }

    /// A row that was not sent (render failed, blank, target not a choice).
    pub fn skip(&mut self) {
        self.rows += 1;
        self.skipped += 1;
    }

    /// A row the model answered (or whose request failed).
    pub fn add(&mut self, job: &Job, result: &RowResult) {
        self.rows += 1;
        if result.error.is_some() {
            self.errors += 1;
            return;
        }
        match self.mode {
            Mode::Rank => {
                let hit =
                    |pick: Option<usize>| f64::from(u8::from(pick.is_some() && pick == job.gold));
                self.acc.push(hit(result.pred_index));
                self.acc_norm.push(hit(result.pred_norm_index));
            }
            Mode::Generate => {
                let completion = result.completion.as_deref().unwrap_or("");
                self.exact_match.push(result.exact_match.unwrap_or(0.0));
                self.f1.push(result.f1.unwrap_or(0.0));
                if self.rouge {
                    let scores = rouge::score(&job.target, completion);
                    self.rouge1.push(scores.rouge1);
                    self.rouge2.push(scores.rouge2);
                    self.rouge_l.push(scores.rouge_l);
                }
                if self.bleu {
                    self.bleu_statistics.add(completion, &job.target);
                }
            }
        }
    }

    pub fn summary(&self) -> Summary {
        let mut values: Vec<(String, Option<f64>)> = Vec::new();
        let mut mean_with_stderr = |name: &str, samples: &[f64]| {
            values.push((name.to_string(), metrics::mean(samples)));
            values.push((format!("{name}_stderr"), metrics::mean_stderr(samples)));
        };
        let scored = match self.mode {
            Mode::Rank => {
                mean_with_stderr("acc", &self.acc);
                mean_with_stderr("acc_norm", &self.acc_norm);
                self.acc.len()
            }
            Mode::Generate => {
                mean_with_stderr("exact_match", &self.exact_match);
                mean_with_stderr("f1", &self.f1);
                if self.rouge {
                    mean_with_stderr("rouge1", &self.rouge1);
                    mean_with_stderr("rouge2", &self.rouge2);
                    mean_with_stderr("rougeL", &self.rouge_l);
                }
                if self.bleu {
                    let bleu = (!self.exact_match.is_empty()).then(|| self.bleu_statistics.score());
                    values.push(("bleu".to_string(), bleu));
                }
                self.exact_match.len()
            }
        };
        Summary {
            mode: self.mode,
            rows: self.rows,
            scored,
            skipped: self.skipped,
            errors: self.errors,
            metrics: values,
            not_computed: self.not_computed.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(target: &str, gold: Option<usize>) -> Job {
        Job {
            row: 0,
            input: "in".to_string(),
            target: target.to_string(),
            choices: vec!["a".to_string(), "bb".to_string()],
            gold,
        }
    }

    #[test]
    fn rank_tally_counts_and_means() {
        let mut tally = Tally::new(Mode::Rank, &["Accuracy".to_string(), "AUC".to_string()]);
        let result = |pred, pred_norm| RowResult {
            pred_index: Some(pred),
            pred_norm_index: Some(pred_norm),
            ..RowResult::default()
        };
        tally.add(&job("a", Some(0)), &result(0, 1));
        tally.add(&job("bb", Some(1)), &result(1, 1));
        tally.add(&job("a", Some(0)), &result(1, 0));
        tally.add(
            &job("a", Some(0)),
            &RowResult {
                error: Some("HTTP 500".into()),
                ..RowResult::default()
            },
        );
        tally.skip();
        let summary = tally.summary();
        assert_eq!(
            (
                summary.rows,
                summary.scored,
                summary.skipped,
                summary.errors
            ),
            (5, 3, 1, 1)
        );
        // acc [1, 1, 0]: 2/3, sample stddev sqrt(1/3), stderr sqrt(1/3)/sqrt(3) = 1/3.
        assert_eq!(summary.metric("acc"), Some(2.0 / 3.0));
        assert!((summary.metric("acc_stderr").unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(summary.metric("acc_norm"), Some(2.0 / 3.0));
        assert_eq!(summary.not_computed, ["AUC"]);
    }

    #[test]
    fn generation_tally_adds_declared_rouge_and_bleu() {
        let mut tally = Tally::new(
            Mode::Generate,
            &["BLEU".to_string(), "ROUGE".to_string(), "Other".to_string()],
        );
        let result = |completion: &str, target: &str| RowResult {
            completion: Some(completion.to_string()),
            exact_match: Some(metrics::exact_match(completion, target)),
            f1: Some(metrics::f1(completion, target)),
            ..RowResult::default()
        };
        tally.add(
            &job("the cat sat", None),
            &result("the cat ran", "the cat sat"),
        );
        tally.add(&job("Paris", None), &result("Paris", "Paris"));
        let summary = tally.summary();
        let keys: Vec<&str> = summary
            .metrics
            .iter()
            .map(|(key, _)| key.as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "exact_match",
                "exact_match_stderr",
                "f1",
                "f1_stderr",
                "rouge1",
                "rouge1_stderr",
                "rouge2",
                "rouge2_stderr",
                "rougeL",
                "rougeL_stderr",
                "bleu"
            ]
        );
        assert_eq!(summary.metric("exact_match"), Some(0.5));
        // F1 of "cat ran" vs "cat sat" (articles dropped): 1/2; then 1.
        assert_eq!(summary.metric("f1"), Some(0.75));
        // rouge1: 2/3 and 1.
        assert!((summary.metric("rouge1").unwrap() - 5.0 / 6.0).abs() < 1e-12);
        assert_eq!(summary.not_computed, ["Other"]);
    }
}
