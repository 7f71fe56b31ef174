//! Metrics as lm-evaluation-harness and the SQuAD v1.1 script define them,
//! so that numbers compare with theirs.
//!
//! - `acc`: the choice with the highest log-likelihood (the first on ties,
//!   as `np.argmax`) is the gold one. `acc_norm`: the same after dividing
//!   each log-likelihood by the character length of its choice (without the
//!   delimiter), as lm-evaluation-harness' `multiple_choice` tasks do.
//! - `exact_match`, `f1`: SQuAD v1.1's `normalize_answer`, token F1.
//! - Each mean comes with lm-evaluation-harness' `mean_stderr`: the sample
//!   standard deviation (n − 1) over √n; none below two rows.

use std::collections::HashMap;

use crate::core::py::strings;

/// The index of the largest value, the first on ties; None when empty or
/// when a value is NaN (a score that does not exist cannot win).
pub fn argmax(values: &[f64]) -> Option<usize> {
    if values.iter().any(|value| value.is_nan()) {
        return None;
    }
    let mut best: Option<usize> = None;
    for (index, value) in values.iter().enumerate() {
        if best.is_none_or(|best| *value > values[best]) {
            best = Some(index);
        }
    }
    best
}

/// Each log-likelihood divided by its choice's length in characters.
pub fn normalized(loglikelihoods: &[f64], choices: &[String]) -> Vec<f64> {
    loglikelihoods
        .iter()
        .zip(choices)
        .map(|(loglikelihood, choice)| loglikelihood / choice.chars().count() as f64)
        .collect()
}

/// `sum(arr) / len(arr)`; None for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

/// lm-evaluation-harness' `mean_stderr`: `sample_stddev(arr) / sqrt(len(arr))`.
pub fn mean_stderr(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let mu = mean(values)?;
    let squares: f64 = values.iter().map(|value| (value - mu) * (value - mu)).sum();
    let stddev = (squares / (values.len() - 1) as f64).sqrt();
    Some(stddev / (values.len() as f64).sqrt())
}

/// SQuAD v1.1's `normalize_answer`: lower case, ASCII punctuation removed,
/// the words "a", "an", "the" removed, whitespace collapsed.
pub fn normalize_answer(text: &str) -> String {
    let lowered = strings::lower(text);
    let without_punctuation: String = lowered
        .chars()
        .filter(|c| !c.is_ascii_punctuation())
        .collect();
    // `re.sub(r'\b(a|an|the)\b', ' ', text)`: a match is always a whole
    // maximal run of word characters (Python's `\w`: alphanumerics and
    // `_`), so replacing such runs is the same substitution.
    let mut without_articles = String::with_capacity(without_punctuation.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if matches!(word.as_str(), "a" | "an" | "the") {
            out.push(' ');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    let mut buffer = [0u8; 4];
    for c in without_punctuation.chars() {
        if c == '_' || strings::isalnum(c.encode_utf8(&mut buffer)) {
            word.push(c);
        } else {
            flush(&mut word, &mut without_articles);
            without_articles.push(c);
        }
    }
    flush(&mut word, &mut without_articles);
    split_whitespace(&without_articles).join(" ")
}

fn split_whitespace(text: &str) -> Vec<&str> {
    strings::split(text, None, -1).unwrap_or_default()
}

/// SQuAD's `exact_match_score`: 1.0 when the normalised texts are equal.
pub fn exact_match(prediction: &str, ground_truth: &str) -> f64 {
    if normalize_answer(prediction) == normalize_answer(ground_truth) {
        1.0
    } else {
        0.0
    }
}

/// SQuAD v1.1's `f1_score` over normalised whitespace tokens.
pub fn f1(prediction: &str, ground_truth: &str) -> f64 {
    let prediction = normalize_answer(prediction);
    let ground_truth = normalize_answer(ground_truth);
    let prediction_tokens = split_whitespace(&prediction);
    let truth_tokens = split_whitespace(&ground_truth);
    let mut truth_counts: HashMap<&str, usize> = HashMap::new();
    for token in &truth_tokens {
        *truth_counts.entry(token).or_default() += 1;
    }
    let mut same = 0usize;
    for token in &prediction_tokens {
        if let Some(count) = truth_counts.get_mut(token) {
            if *count > 0 {
                *count -= 1;
                same += 1;
            }
        }
    }
    if same == 0 {
        return 0.0;
    }
    let precision = same as f64 / prediction_tokens.len() as f64;
    let recall = same as f64 / truth_tokens.len() as f64;
    2.0 * precision * recall / (precision + recall)
}

/// What a template's metadata metric name means here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared {
    /// Covered by the metrics every run reports (acc, or exact match and F1).
    Always,
    Rouge,
    Bleu,
    /// A metric we do not compute (Pearson, AUC, ...): listed, never faked.
    NotComputed,
}

/// Maps a PromptSource metadata metric ("Accuracy", "ROUGE", "BLEU",
/// "Squad", ...) to what we compute for it.
pub fn declared(metric: &str) -> Declared {
    match metric.trim() {
        "Accuracy" | "Squad" => Declared::Always,
        "ROUGE" => Declared::Rouge,
        "BLEU" => Declared::Bleu,
        _ => Declared::NotComputed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_takes_the_first_of_ties_and_refuses_nan() {
        assert_eq!(argmax(&[-1.0, -0.5, -0.5]), Some(1));
        assert_eq!(argmax(&[-3.0]), Some(0));
        assert_eq!(argmax(&[]), None);
        assert_eq!(argmax(&[-1.0, f64::NAN]), None);
    }

    #[test]
    fn normalisation_divides_by_the_choice_length_in_characters() {
        let choices = vec!["oui".to_string(), "né".to_string()];
        assert_eq!(normalized(&[-3.0, -1.0], &choices), [-1.0, -0.5]);
        // acc picks "né" (-1.0 > -3.0), acc_norm too; flip the raw scores:
        assert_eq!(argmax(&normalized(&[-2.0, -1.5], &choices)), Some(0));
        assert_eq!(argmax(&[-2.0, -1.5]), Some(1));
    }

    #[test]
    fn stderr_is_the_sample_standard_deviation_over_root_n() {
        // [1, 0, 1, 1]: mean 0.75, sample variance (3 × 0.0625 + 0.5625) / 3 = 0.25,
        // stddev 0.5, stderr 0.5 / 2 = 0.25.
        let values = [1.0, 0.0, 1.0, 1.0];
        assert_eq!(mean(&values), Some(0.75));
        assert!((mean_stderr(&values).unwrap() - 0.25).abs() < 1e-12);
        assert_eq!(mean_stderr(&[1.0]), None);
        assert_eq!(mean(&[]), None);
    }

    #[test]
    fn squad_normalisation() {
        assert_eq!(normalize_answer("The  Eiffel-Tower!"), "eiffeltower");
        assert_eq!(normalize_answer("An apple, a day"), "apple day");
        assert_eq!(normalize_answer("theatre and anthem"), "theatre and anthem");
        assert_eq!(
            normalize_answer("São Vicente «the» x_the"),
            "são vicente « » xthe"
        );
        assert_eq!(normalize_answer("  "), "");
    }

    #[test]
    fn squad_scores() {
        assert_eq!(exact_match("The Eiffel Tower.", "eiffel tower"), 1.0);
        assert_eq!(exact_match("Eiffel", "eiffel tower"), 0.0);
        // prediction "paris france" vs "paris": precision 1/2, recall 1, F1 2/3.
        assert!((f1("Paris, France", "Paris") - 2.0 / 3.0).abs() < 1e-12);
        // Repeated tokens count once per occurrence in the truth.
        // [x, b, b, c] vs [b, c, c]: common b and c = 2; p = 2/4, r = 2/3, F1 = 4/7.
        assert!((f1("x b b c", "b c c") - 4.0 / 7.0).abs() < 1e-12);
        assert_eq!(f1("nothing", "else"), 0.0);
        assert_eq!(f1("", "else"), 0.0);
    }

    #[test]
    fn declared_metrics() {
        assert_eq!(declared("Accuracy"), Declared::Always);
        assert_eq!(declared("ROUGE"), Declared::Rouge);
        assert_eq!(declared("BLEU"), Declared::Bleu);
        assert_eq!(declared("Pearson Correlation"), Declared::NotComputed);
        assert_eq!(declared("Other"), Declared::NotComputed);
    }
}
