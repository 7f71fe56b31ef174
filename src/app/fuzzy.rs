//! Fuzzy matching for the catalog filter and the pickers: every
//! space-separated term must appear in order (as a subsequence, case
//! insensitive); contiguous runs and matches at word starts score higher.

/// The score of `text` for `pattern`, or `None` when it does not match.
/// An empty pattern matches everything with score 0.
pub fn score(pattern: &str, text: &str) -> Option<i64> {
    let text: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let mut total = 0;
    for term in pattern.split_whitespace() {
        total += score_term(term, &text)?;
    }
    Some(total)
}

fn score_term(term: &str, text: &[char]) -> Option<i64> {
    let mut score = 0;
    let mut position = 0;
    let mut previous: Option<usize> = None;
    for wanted in term.chars().flat_map(char::to_lowercase) {
        let found = text[position..].iter().position(|&c| c == wanted)? + position;
        score += 1;
        if previous.is_some_and(|p| p + 1 == found) {
            score += 5;
        }
        let at_word_start = found == 0 || !text[found - 1].is_alphanumeric();
        if at_word_start {
            score += 3;
        }
        previous = Some(found);
        position = found + 1;
    }
    Some(score)
}

#[cfg(test)]
mod tests {
    use super::score;

    #[test]
    fn subsequences_match_and_runs_score_higher() {
        assert_eq!(score("", "anything"), Some(0));
        assert!(score("agn", "ag_news classify").is_some());
        assert!(score("xyz", "ag_news").is_none());
        assert!(score("news", "ag_news") > score("news", "n_e_w_s"));
        assert!(score("AG cls", "ag_news classify").is_some());
        assert!(score("ag zzz", "ag_news classify").is_none());
    }
}
