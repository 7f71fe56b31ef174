//! Fuzzy matching for the catalog filter and the pickers, with helix's
//! matcher (`nucleo-matcher`): fzf's scoring (word starts, runs and case
//! boundaries score higher) and its pattern syntax (space-separated terms all
//! must match; `^prefix`, `suffix$`, `'exact`, `!not`).

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// A parsed pattern with the matcher's scratch space, reused for every
/// candidate of one filtering pass.
pub struct Fuzzy {
    pattern: Pattern,
    matcher: Matcher,
    buffer: Vec<char>,
    empty: bool,
}

impl Fuzzy {
    pub fn new(pattern: &str) -> Fuzzy {
        Fuzzy {
            pattern: Pattern::parse(pattern, CaseMatching::Ignore, Normalization::Smart),
            matcher: Matcher::new(Config::DEFAULT),
            buffer: Vec::new(),
            empty: pattern.trim().is_empty(),
        }
    }

    /// The score of `text`, or `None` when it does not match. An empty
    /// pattern matches everything with score 0.
    pub fn score(&mut self, text: &str) -> Option<u32> {
        if self.empty {
            return Some(0);
        }
        let haystack = Utf32Str::new(text, &mut self.buffer);
        self.pattern.score(haystack, &mut self.matcher)
    }
}

/// The score of `text` for `pattern` (one-off; use [`Fuzzy`] for many).
pub fn score(pattern: &str, text: &str) -> Option<u32> {
    Fuzzy::new(pattern).score(text)
}

#[cfg(test)]
mod tests {
    use super::score;

    #[test]
    fn subsequences_match_and_every_term_must() {
        assert_eq!(score("", "anything"), Some(0));
        assert!(score("agn", "ag_news classify").is_some());
        assert!(score("xyz", "ag_news").is_none());
        assert!(score("news", "ag_news") > score("news", "n_e_w_s"));
        assert!(score("AG cls", "ag_news classify").is_some());
        assert!(score("ag zzz", "ag_news classify").is_none());
    }

    #[test]
    fn word_starts_and_runs_rank_first() {
        assert!(
            score("wrt", "ag_news write_headline") > score("wrt", "ag_news is_it_sports"),
            "{:?} {:?}",
            score("wrt", "ag_news write_headline"),
            score("wrt", "ag_news is_it_sports")
        );
        assert!(score("eng", "en English") > score("eng", "bn Bengali"));
    }
}
