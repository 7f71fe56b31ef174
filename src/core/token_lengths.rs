//! Token lengths of a template's rendered inputs over rows, summarised as
//! a user reads them against a context length: min, median, max and a
//! histogram in power-of-two buckets.

use serde::Serialize;

/// The input token counts of one template over the rows checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenLengths {
    counts: Vec<usize>,
}

/// One histogram bucket: inputs of `from..=to` tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    pub from: usize,
    pub to: usize,
    pub rows: usize,
}

/// What [`TokenLengths::summary`] reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenSummary {
    pub rows: usize,
    pub min: usize,
    pub median: usize,
    pub max: usize,
    pub histogram: Vec<Bucket>,
}

impl TokenLengths {
    pub fn add(&mut self, tokens: usize) {
        self.counts.push(tokens);
    }

    /// `None` when no row was counted.
    pub fn summary(&self) -> Option<TokenSummary> {
        let mut sorted = self.counts.clone();
        sorted.sort_unstable();
        let (&min, &max) = (sorted.first()?, sorted.last()?);
        let mut histogram: Vec<Bucket> = Vec::new();
        for &count in &sorted {
            let (from, to) = bucket_of(count);
            match histogram.last_mut() {
                Some(last) if last.from == from => last.rows += 1,
                _ => histogram.push(Bucket { from, to, rows: 1 }),
            }
        }
        Some(TokenSummary {
            rows: sorted.len(),
            min,
            median: sorted[(sorted.len() - 1) / 2],
            max,
            histogram,
        })
    }
}

/// 0, 1, 2..=3, 4..=7, ...: the bucket holding `count`.
fn bucket_of(count: usize) -> (usize, usize) {
    if count == 0 {
        return (0, 0);
    }
    let from = 1usize << (usize::BITS - 1 - count.leading_zeros());
    (from, from.saturating_mul(2) - 1)
}

impl TokenSummary {
    /// Lines for a person: the figures, then one bar per bucket.
    pub fn text(&self) -> String {
        const BAR: usize = 30;
        let widest = self.histogram.iter().map(|b| b.rows).max().unwrap_or(1);
        let mut text = format!(
            "{} rows: min {}, median {}, max {} tokens\n",
            self.rows, self.min, self.median, self.max
        );
        for bucket in &self.histogram {
            let bar = (bucket.rows * BAR).div_ceil(widest);
            text += &format!(
                "  {:>7}..{:<7} {} {}\n",
                bucket.from,
                bucket.to,
                "#".repeat(bar),
                bucket.rows
            );
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_powers_of_two() {
        assert_eq!(bucket_of(0), (0, 0));
        assert_eq!(bucket_of(1), (1, 1));
        assert_eq!(bucket_of(3), (2, 3));
        assert_eq!(bucket_of(64), (64, 127));
        assert_eq!(bucket_of(127), (64, 127));
    }

    #[test]
    fn summary_counts_rows_per_bucket() {
        let mut lengths = TokenLengths::default();
        assert_eq!(lengths.summary(), None);
        for count in [70, 5, 100, 6, 64] {
            lengths.add(count);
        }
        let summary = lengths.summary().unwrap();
        assert_eq!((summary.min, summary.median, summary.max), (5, 64, 100));
        assert_eq!(
            summary.histogram,
            vec![
                Bucket {
                    from: 4,
                    to: 7,
                    rows: 2
                },
                Bucket {
                    from: 64,
                    to: 127,
                    rows: 3
                },
            ]
        );
        assert!(summary.text().contains("64..127"));
    }
}
