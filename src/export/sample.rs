//! `--max-rows-per-dataset`: T0's cap on rows per dataset.
//!
//! T0 capped each (dataset, subset) at 500,000 training examples spread evenly
//! over its templates: a template whose split has more than
//! `cap / number of templates` rows contributes that many, otherwise all of
//! them. promptstudio applies the same arithmetic to every exported split,
//! counting the templates being exported for that (dataset, subset). Which
//! rows a capped template keeps is a uniform sample without replacement,
//! drawn from a generator seeded by the export seed and the task name, so
//! each template sees different rows (the dataset is covered more widely than
//! by taking the first rows every time), a rerun draws the same rows, and
//! every shard of a sharded export agrees on them. Kept rows stay in their
//! original order.

use std::collections::HashSet;

/// How many rows each template of a (dataset, subset) may keep.
pub fn rows_per_template(cap_per_dataset: usize, templates: usize, split_rows: usize) -> usize {
    let share = cap_per_dataset / templates.max(1);
    split_rows.min(share)
}

/// The rows a template keeps: every row when uncapped, else a sorted seeded
/// sample. `None` means all rows.
pub fn selected_rows(
    split_rows: usize,
    keep: usize,
    seed: u64,
    task_name: &str,
) -> Option<Vec<usize>> {
    if keep >= split_rows {
        return None;
    }
    let mut generator = SplitMix64::new(seed ^ fnv1a(task_name.as_bytes()));
    // Floyd's algorithm: `keep` draws and memory for `keep` indices only,
    // whatever the size of the split.
    let mut chosen: HashSet<usize> = HashSet::with_capacity(keep);
    for upper in (split_rows - keep)..split_rows {
        let candidate = generator.below(upper as u64 + 1) as usize;
        if !chosen.insert(candidate) {
            chosen.insert(upper);
        }
    }
    let mut rows: Vec<usize> = chosen.into_iter().collect();
    rows.sort_unstable();
    Some(rows)
}

/// 64-bit FNV-1a: a stable hash of the task name (std's hasher is allowed to
/// change between Rust releases, which would change the sample).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny generator with a fixed,
/// documented output, so samples never change with a dependency upgrade.
struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut mixed = self.state;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        mixed ^ (mixed >> 31)
    }

    /// Uniform in `[0, bound)` without modulo bias (rejection sampling).
    fn below(&mut self, bound: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % bound;
        loop {
            let draw = self.next();
            if draw < zone {
                return draw % bound;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t0_share_arithmetic() {
        // T0: 500k spread over 7 templates = 71,428 each.
        assert_eq!(rows_per_template(500_000, 7, 120_000), 71_428);
        assert_eq!(rows_per_template(500_000, 7, 7_600), 7_600);
        assert_eq!(rows_per_template(10, 3, 100), 3);
    }

    #[test]
    fn uncapped_keeps_everything() {
        assert_eq!(selected_rows(5, 5, 0, "t"), None);
        assert_eq!(selected_rows(5, 9, 0, "t"), None);
    }

    #[test]
    fn sample_is_sorted_distinct_in_range_and_reproducible() {
        let rows = selected_rows(1000, 100, 7, "task_a").unwrap();
        assert_eq!(rows.len(), 100);
        assert!(rows.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(rows.iter().all(|&row| row < 1000));
        assert_eq!(selected_rows(1000, 100, 7, "task_a").unwrap(), rows);
        assert_ne!(selected_rows(1000, 100, 7, "task_b").unwrap(), rows);
        assert_ne!(selected_rows(1000, 100, 8, "task_a").unwrap(), rows);
    }

    #[test]
    fn sample_is_roughly_uniform() {
        // Over many draws each row of a small split is kept about equally often.
        let mut hits = [0usize; 10];
        for seed in 0..2000 {
            for row in selected_rows(10, 3, seed, "t").unwrap() {
                hits[row] += 1;
            }
        }
        // Expected 600 each; allow generous noise.
        assert!(
            hits.iter().all(|&count| (500..700).contains(&count)),
            "{hits:?}"
        );
    }

    #[test]
    fn splitmix_reference_values() {
        // First outputs for seed 0 from the reference C implementation.
        let mut generator = SplitMix64::new(0);
        assert_eq!(generator.next(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(generator.next(), 0x6e78_9e6a_a1b9_65f4);
    }
}
