//! ROUGE-1, ROUGE-2 and ROUGE-L F-measures as Google's `rouge_score`
//! computes them with its default tokenizer and no stemming: lower case
//! (Python's `str.lower`), every run of characters outside `[a-z0-9]` a
//! separator. Written here because no Rust crate reproduces that package's
//! tokenizer and tie rules exactly; fixtures from the package check it.

use std::collections::HashMap;

use crate::core::py::strings;

/// `rouge_score.tokenize.tokenize(text, stemmer=None)`.
pub fn tokenize(text: &str) -> Vec<String> {
    strings::lower(text)
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|token| !token.is_empty())
        .map(str::to_string)
        .collect()
}

/// The three F-measures of one prediction against one target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RougeScores {
    pub rouge1: f64,
    pub rouge2: f64,
    pub rouge_l: f64,
}

/// `RougeScorer(["rouge1", "rouge2", "rougeL"]).score(target, prediction)`'s F-measures.
pub fn score(target: &str, prediction: &str) -> RougeScores {
    let target = tokenize(target);
    let prediction = tokenize(prediction);
    RougeScores {
        rouge1: ngram_fmeasure(&target, &prediction, 1),
        rouge2: ngram_fmeasure(&target, &prediction, 2),
        rouge_l: lcs_fmeasure(&target, &prediction),
    }
}

fn fmeasure(precision: f64, recall: f64) -> f64 {
    if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    }
}

fn ngrams(tokens: &[String], n: usize) -> HashMap<&[String], usize> {
    let mut counts = HashMap::new();
    if tokens.len() >= n {
        for window in tokens.windows(n) {
            *counts.entry(window).or_default() += 1;
        }
    }
    counts
}

fn ngram_fmeasure(target: &[String], prediction: &[String], n: usize) -> f64 {
    let target_ngrams = ngrams(target, n);
    let prediction_ngrams = ngrams(prediction, n);
    let overlap: usize = target_ngrams
        .iter()
        .map(|(ngram, count)| (*count).min(prediction_ngrams.get(ngram).copied().unwrap_or(0)))
        .sum();
    let target_count: usize = target_ngrams.values().sum();
    let prediction_count: usize = prediction_ngrams.values().sum();
    let precision = overlap as f64 / prediction_count.max(1) as f64;
    let recall = overlap as f64 / target_count.max(1) as f64;
    fmeasure(precision, recall)
}

fn lcs_fmeasure(target: &[String], prediction: &[String]) -> f64 {
    if target.is_empty() || prediction.is_empty() {
        return 0.0;
    }
    // One row of the dynamic programming table at a time.
    let mut previous = vec![0usize; prediction.len() + 1];
    let mut current = vec![0usize; prediction.len() + 1];
    for token in target {
        for (j, candidate) in prediction.iter().enumerate() {
            current[j + 1] = if token == candidate {
                previous[j] + 1
            } else {
                previous[j + 1].max(current[j])
            };
        }
        std::mem::swap(&mut previous, &mut current);
    }
    let lcs = previous[prediction.len()] as f64;
    fmeasure(lcs / prediction.len() as f64, lcs / target.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_like_rouge_score() {
        assert_eq!(
            tokenize("The café's 2nd-best!"),
            ["the", "caf", "s", "2nd", "best"]
        );
        assert!(tokenize("  ... ").is_empty());
    }

    #[test]
    fn hand_computed_scores() {
        // target [the, cat, sat], prediction [the, cat, ran]:
        // unigrams 2 of 3 both ways: F 2/3; bigrams 1 of 2: F 1/2; LCS 2: F 2/3.
        let scores = score("The cat sat.", "the cat ran");
        assert!((scores.rouge1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((scores.rouge2 - 0.5).abs() < 1e-12);
        assert!((scores.rouge_l - 2.0 / 3.0).abs() < 1e-12);
        let empty = score("", "anything");
        assert_eq!((empty.rouge1, empty.rouge2, empty.rouge_l), (0.0, 0.0, 0.0));
    }
}
