//! Splitting rows across machines exactly as `datasets` does.
//!
//! `Dataset.shard(num_shards, index, contiguous=True)` gives shard `index`
//! the rows `[start, end)` with `div = n // num_shards`, `mod = n % num_shards`,
//! `start = div * index + min(index, mod)` and `end = start + div + (index < mod)`:
//! contiguous blocks whose sizes differ by at most one, the larger ones first.
//! Concatenating the shards in index order gives back every row once.

use std::ops::Range;

/// Most shards a split may be cut into: file names carry the shard index
/// and count in five digits (as the Hub names shards), and a merge checks
/// every index.
pub const MAX_SHARDS: usize = 99_999;

/// One shard of a job: `index` out of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Checks the pair the way `datasets` does (`index < num_shards`), with an
    /// error naming the flags.
    pub fn new(index: usize, count: usize) -> anyhow::Result<Shard> {
        if count == 0 {
            anyhow::bail!("--num-shards must be at least 1");
        }
        if count > MAX_SHARDS {
            anyhow::bail!("--num-shards {count} is more than the {MAX_SHARDS} shards supported");
        }
        if index >= count {
            anyhow::bail!(
                "--shard-index {index} is out of range for --num-shards {count} (valid: 0 to {})",
                count - 1
            );
        }
        Ok(Shard { index, count })
    }

    /// The rows of a split of `total_rows` rows this shard exports.
    pub fn rows(&self, total_rows: usize) -> Range<usize> {
        let div = total_rows / self.count;
        let rem = total_rows % self.count;
        let start = div * self.index + self.index.min(rem);
        let end = start + div + usize::from(self.index < rem);
        start..end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Row ranges `datasets` 5.2 gives (`Dataset.from_dict({"i": list(range(n))})
    /// .shard(k, i, contiguous=True)["i"]`, first and one past last), as
    /// (n, k, [(start, end)...]). Where `datasets` raises IndexError for an
    /// empty shard past the end (n=2, k=4, i>=2), promptstudio exports no rows:
    /// a cluster job may have more tasks than a small split has rows.
    #[test]
    fn matches_datasets_contiguous_shards() {
        type Case = (usize, usize, &'static [(usize, usize)]);
        let cases: &[Case] = &[
            (10, 3, &[(0, 4), (4, 7), (7, 10)]),
            (11, 4, &[(0, 3), (3, 6), (6, 9), (9, 11)]),
            (2, 4, &[(0, 1), (1, 2), (2, 2), (2, 2)]),
            (0, 2, &[(0, 0), (0, 0)]),
            (7, 1, &[(0, 7)]),
            (5, 3, &[(0, 2), (2, 4), (4, 5)]),
            (
                1_000_003,
                7,
                &[
                    (0, 142_858),
                    (142_858, 285_716),
                    (285_716, 428_574),
                    (428_574, 571_432),
                    (571_432, 714_289),
                    (714_289, 857_146),
                    (857_146, 1_000_003),
                ],
            ),
        ];
        for (rows, count, expected) in cases {
            for (index, (start, end)) in expected.iter().enumerate() {
                let shard = Shard::new(index, *count).unwrap();
                assert_eq!(
                    shard.rows(*rows),
                    *start..*end,
                    "n={rows} k={count} i={index}"
                );
            }
        }
    }

    #[test]
    fn shards_tile_the_rows() {
        for rows in 0..60 {
            for count in 1..9 {
                let mut next = 0;
                for index in 0..count {
                    let range = Shard::new(index, count).unwrap().rows(rows);
                    assert_eq!(range.start, next);
                    assert!(range.len() == rows / count || range.len() == rows / count + 1);
                    next = range.end;
                }
                assert_eq!(next, rows);
            }
        }
    }

    #[test]
    fn rejects_bad_shard_flags() {
        assert!(Shard::new(0, 0).is_err());
        let message = Shard::new(4, 4).unwrap_err().to_string();
        assert!(message.contains("--shard-index 4"), "{message}");
    }
}
