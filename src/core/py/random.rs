//! Python's `random.Random`: the MT19937 Mersenne Twister with CPython's
//! seeding and its derived draws (`getrandbits`, `_randbelow`, `choice`,
//! `random`, `shuffle`), bit for bit.
//!
//! PromptSource's `choice` filter and Jinja2's `random` filter both draw from
//! Python's module-level generator, and the conformance corpus records
//! outputs after `random.seed(s)`; reproducing those outputs needs the same
//! generator, seeding and rejection loops as CPython 3.11.

use std::fmt;

/// Degree of recurrence of MT19937: the state holds this many 32-bit words.
const STATE_WORDS: usize = 624;
const SHIFT_OFFSET: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// Where a generator's state comes from. Kept until the first draw so that a
/// generator that is never used costs neither the 2.5 KB state nor the
/// seeding work (the engine creates one per `apply`, and most templates never
/// draw).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SeedSource {
    /// `random.seed(n)` with a non-negative integer.
    Int(u64),
    /// `random.seed()` / `random.seed(None)`: operating-system randomness.
    Entropy,
}

#[derive(Clone)]
struct MersenneTwister {
    words: [u32; STATE_WORDS],
    /// Index of the next word to temper; `STATE_WORDS` means "regenerate".
    next: usize,
}

impl MersenneTwister {
    /// `init_genrand` of the reference implementation.
    fn from_single(seed: u32) -> Self {
        let mut words = [0u32; STATE_WORDS];
        words[0] = seed;
        for i in 1..STATE_WORDS {
            let previous = words[i - 1];
            words[i] = 1_812_433_253u32
                .wrapping_mul(previous ^ (previous >> 30))
                .wrapping_add(i as u32);
        }
        MersenneTwister {
            words,
            next: STATE_WORDS,
        }
    }

    /// `init_by_array` of the reference implementation, which CPython uses
    /// for every seed (an integer is split into 32-bit little-endian words).
    fn from_key(key: &[u32]) -> Self {
        let mut mt = MersenneTwister::from_single(19_650_218);
        let words = &mut mt.words;
        let mut i = 1usize;
        let mut j = 0usize;
        let key_len = key.len().max(1);
        for _ in 0..STATE_WORDS.max(key_len) {
            let previous = words[i - 1];
            let key_word = key.get(j).copied().unwrap_or(0);
            words[i] = (words[i] ^ (previous ^ (previous >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key_word)
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= STATE_WORDS {
                words[0] = words[STATE_WORDS - 1];
                i = 1;
            }
            if j >= key_len {
                j = 0;
            }
        }
        for _ in 0..STATE_WORDS - 1 {
            let previous = words[i - 1];
            words[i] = (words[i] ^ (previous ^ (previous >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= STATE_WORDS {
                words[0] = words[STATE_WORDS - 1];
                i = 1;
            }
        }
        // The most significant bit is 1, so the state is never all zeros.
        words[0] = 0x8000_0000;
        mt
    }

    fn regenerate(&mut self) {
        let words = &mut self.words;
        for k in 0..STATE_WORDS {
            let y = (words[k] & UPPER_MASK) | (words[(k + 1) % STATE_WORDS] & LOWER_MASK);
            let mut value = words[(k + SHIFT_OFFSET) % STATE_WORDS] ^ (y >> 1);
            if y & 1 != 0 {
                value ^= MATRIX_A;
            }
            words[k] = value;
        }
        self.next = 0;
    }

    /// `genrand_uint32`.
    fn next_u32(&mut self) -> u32 {
        if self.next >= STATE_WORDS {
            self.regenerate();
        }
        let mut y = self.words[self.next];
        self.next += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }
}

/// The 32-bit words CPython feeds to `init_by_array` for `random.seed(n)`:
/// the absolute value's little-endian words, at least one.
fn seed_key(seed: u64) -> Vec<u32> {
    let low = seed as u32;
    let high = (seed >> 32) as u32;
    if high == 0 {
        vec![low]
    } else {
        vec![low, high]
    }
}

/// CPython's `random_seed_urandom`: as many words as the state has. When the
/// operating system refuses, CPython falls back to the time and process id;
/// so do we, so that creating a generator never fails.
fn entropy_key() -> Vec<u32> {
    let mut bytes = [0u8; STATE_WORDS * 4];
    if getrandom::fill(&mut bytes).is_ok() {
        return bytes
            .chunks_exact(4)
            .map(|chunk| u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
            .collect();
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or(0);
    vec![
        nanos as u32,
        (nanos >> 32) as u32,
        (nanos >> 64) as u32,
        std::process::id(),
    ]
}

/// Python's `random.Random`, seeded lazily: nothing is computed until the
/// first draw, and the results are exactly those of a generator seeded
/// eagerly.
#[derive(Clone)]
pub struct PyRandom {
    source: SeedSource,
    state: Option<Box<MersenneTwister>>,
}

impl fmt::Debug for PyRandom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PyRandom")
            .field("source", &self.source)
            .field("started", &self.state.is_some())
            .finish()
    }
}

impl PyRandom {
    /// Like `random.Random(seed)` / `random.seed(seed)` for a non-negative int.
    pub fn from_seed(seed: u64) -> Self {
        PyRandom {
            source: SeedSource::Int(seed),
            state: None,
        }
    }

    /// Like `random.seed(seed)` for any `int`: CPython seeds with `abs(seed)`.
    pub fn from_signed_seed(seed: i64) -> Self {
        PyRandom::from_seed(seed.unsigned_abs())
    }

    /// Like `random.Random()`: seeded from operating-system randomness (read
    /// at the first draw).
    pub fn from_entropy() -> Self {
        PyRandom {
            source: SeedSource::Entropy,
            state: None,
        }
    }

    /// Reseeds in place, like calling `random.seed(seed)` again.
    pub fn reseed(&mut self, seed: u64) {
        self.source = SeedSource::Int(seed);
        self.state = None;
    }

    /// True once a draw has happened (the state exists).
    pub fn is_started(&self) -> bool {
        self.state.is_some()
    }

    fn twister(&mut self) -> &mut MersenneTwister {
        let source = self.source;
        self.state.get_or_insert_with(|| {
            let key = match source {
                SeedSource::Int(seed) => seed_key(seed),
                SeedSource::Entropy => entropy_key(),
            };
            Box::new(MersenneTwister::from_key(&key))
        })
    }

    /// `random.getrandbits(k)` for `k <= 64` (larger values are clamped to
    /// 64). Above 32 bits CPython fills 32-bit words from the least
    /// significant one up, the last word keeping its top bits.
    pub fn getrandbits(&mut self, k: u32) -> u64 {
        let k = k.min(64);
        if k == 0 {
            return 0;
        }
        let twister = self.twister();
        if k <= 32 {
            return u64::from(twister.next_u32() >> (32 - k));
        }
        let low = u64::from(twister.next_u32());
        let high = u64::from(twister.next_u32() >> (64 - k));
        low | (high << 32)
    }

    /// `random._randbelow(n)` (CPython 3.11's `_randbelow_with_getrandbits`):
    /// draws `n.bit_length()` bits until the value is below `n`. Python never
    /// calls it with 0 (where it would loop forever); here 0 gives 0 and
    /// draws nothing.
    pub fn randbelow(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let bits = u64::BITS - n.leading_zeros();
        loop {
            let candidate = self.getrandbits(bits);
            if candidate < n {
                return candidate;
            }
        }
    }

    /// The index `random.choice(seq)` picks for a sequence of `len` items;
    /// `None` where Python raises `IndexError` (empty sequence, no draw).
    pub fn choice_index(&mut self, len: usize) -> Option<usize> {
        if len == 0 {
            return None;
        }
        // A usize always fits in u64 on supported targets, and the result is
        // below `len`, so both conversions are lossless.
        Some(self.randbelow(len as u64) as usize)
    }

    /// `random.random()`: 53 random bits as a float in [0, 1), from two
    /// draws of 27 and 26 bits.
    pub fn random(&mut self) -> f64 {
        let twister = self.twister();
        let high = f64::from(twister.next_u32() >> 5);
        let low = f64::from(twister.next_u32() >> 6);
        (high * 67_108_864.0 + low) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `random.sample(range(n), k)` as CPython 3.11 draws it; `None` where
    /// Python raises `ValueError` (`k > n`). Small populations are drawn
    /// from a shrinking pool, large ones by rejecting repeats, at the same
    /// size threshold as CPython, so the draws (not only their
    /// distribution) are the same.
    pub fn sample(&mut self, n: u64, k: usize) -> Option<Vec<u64>> {
        if k as u64 > n {
            return None;
        }
        // CPython compares the cost of an n-item list with a k-item set.
        let mut set_size: u64 = 21;
        if k > 5 {
            let exponent = ((k as f64 * 3.0).ln() / 4f64.ln()).ceil() as u32;
            set_size += 4u64.saturating_pow(exponent);
        }
        let mut result = Vec::with_capacity(k);
        if n <= set_size {
            let mut pool: Vec<u64> = (0..n).collect();
            for i in 0..k as u64 {
                let j = self.randbelow(n - i) as usize;
                result.push(pool[j]);
                pool[j] = pool[(n - i - 1) as usize];
            }
        } else {
            let mut selected = std::collections::HashSet::with_capacity(k);
            for _ in 0..k {
                let mut j = self.randbelow(n);
                while !selected.insert(j) {
                    j = self.randbelow(n);
                }
                result.push(j);
            }
        }
        Some(result)
    }

    /// `random.shuffle(items)`: Fisher-Yates from the end, as CPython does.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.randbelow(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every expected value below was printed by CPython 3.11:
    //   r = random.Random(seed)
    //   [r.getrandbits(32) for _ in range(3)], r.random(), r.getrandbits(64),
    //   r.getrandbits(33), r.getrandbits(1), r.getrandbits(0),
    //   [r._randbelow(n) for n in (1, 2, 3, 7, 10, 1000, 2**40 + 3)],
    //   r.choice(range(5)); l = list(range(10)); r.shuffle(l)
    struct Expected {
        seed: u64,
        words: [u64; 3],
        random: f64,
        bits64: u64,
        bits33: u64,
        bits1: u64,
        below: [u64; 7],
        choice: usize,
        shuffled: [usize; 10],
    }

    const EXPECTED: [Expected; 5] = [
        Expected {
            seed: 0,
            words: [3626764237, 1654615998, 3255389356],
            random: 0.890243920837131,
            bits64: 4776171008201404212,
            bits33: 8441607418,
            bits1: 0,
            below: [0, 1, 1, 2, 9, 913, 480641685011],
            choice: 4,
            shuffled: [1, 5, 3, 7, 8, 0, 6, 9, 4, 2],
        },
        Expected {
            seed: 1,
            words: [577090037, 2444712010, 3639700191],
            random: 0.8022650611681835,
            bits64: 4705193143269049553,
            bits33: 506456969,
            bits1: 1,
            below: [0, 1, 2, 3, 3, 96, 62224870530],
            choice: 3,
            shuffled: [9, 3, 4, 8, 1, 5, 2, 7, 0, 6],
        },
        Expected {
            seed: 42,
            words: [2746317213, 478163327, 107420369],
            random: 0.7415504997598329,
            bits64: 4117511471858006928,
            bits33: 4894278121,
            bits1: 0,
            below: [0, 1, 0, 0, 1, 223, 58420225604],
            choice: 4,
            shuffled: [7, 5, 0, 2, 4, 9, 1, 6, 8, 3],
        },
        Expected {
            seed: (1 << 32) + 5,
            words: [675479763, 2085189291, 1213270837],
            random: 0.8899258643720599,
            bits64: 267910309641445477,
            bits33: 5819964989,
            bits1: 0,
            below: [0, 1, 0, 2, 3, 990, 350051233592],
            choice: 3,
            shuffled: [3, 1, 9, 8, 5, 0, 4, 6, 2, 7],
        },
        Expected {
            seed: 1 << 63,
            words: [2377109768, 1691753470, 4039908392],
            random: 0.20933427096899082,
            bits64: 15703473677651568251,
            bits33: 2156693347,
            bits1: 0,
            below: [0, 1, 1, 5, 3, 248, 359821835171],
            choice: 1,
            shuffled: [7, 9, 1, 8, 0, 3, 2, 5, 6, 4],
        },
    ];

    #[test]
    fn draws_match_cpython_for_each_seed() {
        for expected in &EXPECTED {
            let mut rng = PyRandom::from_seed(expected.seed);
            let words: Vec<u64> = (0..3).map(|_| rng.getrandbits(32)).collect();
            assert_eq!(words, expected.words, "seed {}", expected.seed);
            assert_eq!(rng.random(), expected.random, "seed {}", expected.seed);
            assert_eq!(
                rng.getrandbits(64),
                expected.bits64,
                "seed {}",
                expected.seed
            );
            assert_eq!(
                rng.getrandbits(33),
                expected.bits33,
                "seed {}",
                expected.seed
            );
            assert_eq!(rng.getrandbits(1), expected.bits1, "seed {}", expected.seed);
            assert_eq!(rng.getrandbits(0), 0);
            let below: Vec<u64> = [1, 2, 3, 7, 10, 1000, (1u64 << 40) + 3]
                .iter()
                .map(|&n| rng.randbelow(n))
                .collect();
            assert_eq!(below, expected.below, "seed {}", expected.seed);
            assert_eq!(rng.choice_index(5), Some(expected.choice));
            let mut items: Vec<usize> = (0..10).collect();
            rng.shuffle(&mut items);
            assert_eq!(items, expected.shuffled, "seed {}", expected.seed);
        }
    }

    #[test]
    fn sample_draws_as_cpython() {
        // CPython 3.11: random.Random(seed).sample(range(n), k)
        let cases: [(u64, usize, u64, &[u64]); 8] = [
            (10, 3, 1234, &[7, 1, 0]),
            (10, 10, 1235, &[6, 8, 7, 3, 1, 2, 9, 0, 4, 5]),
            (5, 0, 7, &[]),
            (1000, 5, 1234, &[989, 796, 451, 119, 7]),
            (1000, 8, 99, &[413, 389, 204, 613, 183, 235, 254, 136]),
            (22, 6, 5, &[19, 8, 11, 16, 0, 14]),
            (
                100,
                21,
                1,
                &[
                    17, 72, 97, 8, 32, 15, 63, 57, 60, 83, 48, 26, 12, 62, 3, 49, 55, 77, 98, 0, 89,
                ],
            ),
            (
                1 << 40,
                4,
                12,
                &[590448785118, 771661357177, 838131086565, 1062466480401],
            ),
        ];
        for (n, k, seed, want) in cases {
            assert_eq!(
                PyRandom::from_seed(seed).sample(n, k).as_deref(),
                Some(want),
                "n={n} k={k} seed={seed}"
            );
        }
        assert_eq!(PyRandom::from_seed(1).sample(3, 4), None);
    }

    #[test]
    fn long_runs_cross_state_regeneration() {
        // random.seed(7); [random.getrandbits(32) for _ in range(2000)][-3:]
        let mut rng = PyRandom::from_seed(7);
        let words: Vec<u64> = (0..2000).map(|_| rng.getrandbits(32)).collect();
        assert_eq!(&words[1997..], &[3843426609, 1622907630, 2803521222]);
    }

    #[test]
    fn seeding_is_lazy_and_reseeding_restarts() {
        let mut rng = PyRandom::from_seed(0);
        assert!(!rng.is_started());
        assert_eq!(rng.choice_index(0), None);
        assert!(!rng.is_started(), "an empty choice draws nothing");
        assert_eq!(rng.getrandbits(32), 3626764237);
        assert!(rng.is_started());
        rng.reseed(0);
        assert!(!rng.is_started());
        assert_eq!(rng.getrandbits(32), 3626764237);
    }

    #[test]
    fn negative_seeds_use_the_absolute_value() {
        let mut negative = PyRandom::from_signed_seed(-42);
        let mut positive = PyRandom::from_seed(42);
        assert_eq!(negative.getrandbits(32), positive.getrandbits(32));
        let mut extreme = PyRandom::from_signed_seed(i64::MIN);
        assert_eq!(extreme.getrandbits(32), 2377109768);
    }

    #[test]
    fn entropy_generators_differ() {
        let mut first = PyRandom::from_entropy();
        let mut second = PyRandom::from_entropy();
        let a: Vec<u64> = (0..4).map(|_| first.getrandbits(64)).collect();
        let b: Vec<u64> = (0..4).map(|_| second.getrandbits(64)).collect();
        assert_ne!(a, b);
    }

    #[test]
    fn randbelow_of_zero_draws_nothing() {
        let mut rng = PyRandom::from_seed(3);
        assert_eq!(rng.randbelow(0), 0);
        assert!(!rng.is_started());
    }
}
