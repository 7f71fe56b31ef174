//! Corpus BLEU as `sacrebleu.corpus_bleu(hypotheses, [references])` computes
//! it with its defaults: the `13a` tokenizer, exponential smoothing, n-grams
//! up to 4, no lower-casing. Written here because the number must be
//! sacrebleu's to the last digit (its tokenizer's regular expressions and
//! smoothing rules), which no Rust crate promises; fixtures from the Python
//! package check it.

use std::collections::HashMap;

use crate::core::py::strings;

const MAX_ORDER: usize = 4;

/// `Tokenizer13a()(line)`.
pub fn tokenize_13a(line: &str) -> String {
    let mut line = line
        .replace("<skipped>", "")
        .replace("-\n", "")
        .replace('\n', " ");
    if line.contains('&') {
        line = line
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">");
    }
    let padded: Vec<char> = format!(" {line} ").chars().collect();
    // `([\{-\~\[-\` -\&\(-\+\:-\@\/])` -> ` \1 `
    let mut spaced = Vec::with_capacity(padded.len() * 2);
    for c in padded {
        if is_13a_symbol(c) {
            spaced.extend([' ', c, ' ']);
        } else {
            spaced.push(c);
        }
    }
    let is_period_or_comma = |c: char| c == '.' || c == ',';
    let is_digit = |c: char| c.is_ascii_digit();
    // `([^0-9])([\.,])` -> `\1 \2 `
    let spaced = substitute_pairs(
        &spaced,
        |a, b| !is_digit(a) && is_period_or_comma(b),
        |a, b| vec![a, ' ', b, ' '],
    );
    // `([\.,])([^0-9])` -> ` \1 \2`
    let spaced = substitute_pairs(
        &spaced,
        |a, b| is_period_or_comma(a) && !is_digit(b),
        |a, b| vec![' ', a, ' ', b],
    );
    // `([0-9])(-)` -> `\1 \2 `
    let spaced = substitute_pairs(
        &spaced,
        |a, b| is_digit(a) && b == '-',
        |a, b| vec![a, ' ', b, ' '],
    );
    let text: String = spaced.into_iter().collect();
    split_whitespace(&text).join(" ")
}

fn is_13a_symbol(c: char) -> bool {
    matches!(c, '{'..='~' | '['..='`' | ' '..='&' | '('..='+' | ':'..='@' | '/')
}

/// `re.sub` of a two-character pattern: leftmost matches, not overlapping.
fn substitute_pairs(
    text: &[char],
    matches: impl Fn(char, char) -> bool,
    replace: impl Fn(char, char) -> Vec<char>,
) -> Vec<char> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 4);
    let mut i = 0;
    while i < text.len() {
        if i + 1 < text.len() && matches(text[i], text[i + 1]) {
            out.extend(replace(text[i], text[i + 1]));
            i += 2;
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    out
}

fn split_whitespace(text: &str) -> Vec<&str> {
    strings::split(text, None, -1).unwrap_or_default()
}

/// What BLEU sums over segments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BleuStatistics {
    pub correct: [u64; MAX_ORDER],
    pub total: [u64; MAX_ORDER],
    pub hypothesis_length: u64,
    pub reference_length: u64,
}

impl BleuStatistics {
    /// Adds one hypothesis and its one reference.
    pub fn add(&mut self, hypothesis: &str, reference: &str) {
        let hypothesis = tokenize_13a(strings::rstrip(hypothesis, None));
        let reference = tokenize_13a(strings::rstrip(reference, None));
        let hypothesis_tokens = split_whitespace(&hypothesis);
        let reference_tokens = split_whitespace(&reference);
        let reference_ngrams = ngram_counts(&reference_tokens);
        for (ngram, count) in ngram_counts(&hypothesis_tokens) {
            let order = ngram.len() - 1;
            self.total[order] += count;
            if let Some(reference_count) = reference_ngrams.get(&ngram) {
                self.correct[order] += count.min(*reference_count);
            }
        }
        self.hypothesis_length += hypothesis_tokens.len() as u64;
        self.reference_length += reference_tokens.len() as u64;
    }

    /// `BLEU.compute_bleu(..., smooth_method="exp")`'s score (0 to 100).
    pub fn score(&self) -> f64 {
        let (sys_len, ref_len) = (self.hypothesis_length as f64, self.reference_length as f64);
        let brevity_penalty = if sys_len < ref_len {
            if sys_len > 0.0 {
                (1.0 - ref_len / sys_len).exp()
            } else {
                0.0
            }
        } else {
            1.0
        };
        if self.correct.iter().all(|correct| *correct == 0) {
            return 0.0;
        }
        let mut precisions = [0.0f64; MAX_ORDER];
        let mut smooth = 1.0;
        for ((precision, correct), total) in precisions.iter_mut().zip(self.correct).zip(self.total)
        {
            if total == 0 {
                break;
            }
            *precision = if correct == 0 {
                smooth *= 2.0;
                100.0 / (smooth * total as f64)
            } else {
                100.0 * correct as f64 / total as f64
            };
        }
        // sacrebleu's `my_log` floors log(0) at -9999999999.
        let log_sum: f64 = precisions
            .iter()
            .map(|p| if *p == 0.0 { -9_999_999_999.0 } else { p.ln() })
            .sum();
        brevity_penalty * (log_sum / MAX_ORDER as f64).exp()
    }
}

fn ngram_counts<'a>(tokens: &[&'a str]) -> HashMap<Vec<&'a str>, u64> {
    let mut counts = HashMap::new();
    for n in 1..=MAX_ORDER {
        if tokens.len() < n {
            break;
        }
        for window in tokens.windows(n) {
            *counts.entry(window.to_vec()).or_default() += 1;
        }
    }
    counts
}

/// `sacrebleu.corpus_bleu(hypotheses, [references]).score`.
pub fn corpus_bleu<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> f64 {
    let mut statistics = BleuStatistics::default();
    for (hypothesis, reference) in pairs {
        statistics.add(hypothesis, reference);
    }
    statistics.score()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_like_13a() {
        assert_eq!(tokenize_13a("Hello, world."), "Hello , world .");
        assert_eq!(
            tokenize_13a("3.14 and 1,000 km-2 (x)"),
            "3.14 and 1,000 km-2 ( x )"
        );
        assert_eq!(tokenize_13a("a&amp;b 5-6"), "a & b 5 - 6");
    }

    #[test]
    fn identical_text_scores_100_and_nothing_in_common_0() {
        let same = corpus_bleu([("the cat sat on the mat", "the cat sat on the mat")]);
        assert!((same - 100.0).abs() < 1e-9);
        assert_eq!(corpus_bleu([("dog", "the cat sat on the mat")]), 0.0);
    }
}
