//! Rank classification's requests and log-likelihoods.
//!
//! One request per row carries every answer choice as a list of prompts
//! `input + delimiter + choice`, with `echo` and `logprobs` so that the
//! server returns the log-probability of each prompt token, and
//! `max_tokens: 1` (servers refuse 0) whose one generated token is ignored.
//!
//! # Offsets
//! A choice's log-likelihood is the sum of `token_logprobs` over the tokens
//! whose `text_offset` lies in `[len(input), len(prompt))`. vLLM computes
//! `text_offset` as the running sum of Python `len()` of each token's text,
//! that is in Unicode code points, not bytes; so do we (`chars().count()`).
//! This drops the first token (whose log-probability is null: nothing
//! precedes it) and the generated token (it starts at `len(prompt)`). With
//! the default delimiter `" "` the choice's first token usually carries the
//! space (`" Paris"`) and starts exactly at `len(input)`. A tokenizer that
//! merges the input's last character with the delimiter would put that
//! token before `len(input)`: its log-probability is then left out, as the
//! arithmetic above says.

use serde::Deserialize;
use serde_json::json;

/// The character range of one answer choice inside its prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChoiceSpan {
    /// `len(input)` in code points: where the delimiter starts.
    pub start: usize,
    /// `len(prompt)` in code points.
    pub end: usize,
}

/// Why a response gives no log-likelihoods.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoreError {
    /// The server does not return prompt log-probabilities at all: no row
    /// can be scored, and zeros would be chance accuracy in disguise.
    #[error("this server cannot score answer choices ({0}); use --mode generate")]
    CannotScore(String),
    /// This row's response is unusable.
    #[error("{0}")]
    Row(String),
}

/// The body of a scoring request and each choice's span.
pub fn scoring_request(
    model: &str,
    input: &str,
    delimiter: &str,
    choices: &[String],
    add_special_tokens: Option<bool>,
) -> (String, Vec<ChoiceSpan>) {
    let start = input.chars().count();
    let head = start + delimiter.chars().count();
    let mut prompts = Vec::with_capacity(choices.len());
    let mut spans = Vec::with_capacity(choices.len());
    for choice in choices {
        prompts.push(format!("{input}{delimiter}{choice}"));
        spans.push(ChoiceSpan {
            start,
            end: head + choice.chars().count(),
        });
    }
    let mut body = json!({
        "model": model,
        "prompt": prompts,
        "echo": true,
        "logprobs": 1,
        "max_tokens": 1,
        "temperature": 0,
    });
    if let Some(add) = add_special_tokens {
        body["add_special_tokens"] = json!(add);
    }
    (body.to_string(), spans)
}

/// The parts of a `/completions` response scoring reads; everything else
/// (tokens, top log-probabilities, the echoed text) is skipped while
/// parsing, without building a JSON tree: an echo of four prompts is
/// ~20 KB, and at thousands of requests a second the tree was most of the
/// client's work.
#[derive(Deserialize)]
struct ScoringResponse {
    choices: Option<Vec<ScoredChoice>>,
}

#[derive(Deserialize)]
struct ScoredChoice {
    index: Option<usize>,
    #[serde(default)]
    logprobs: Option<PromptLogprobs>,
}

#[derive(Deserialize)]
struct PromptLogprobs {
    token_logprobs: Option<Vec<Option<f64>>>,
    text_offset: Option<Vec<u64>>,
}

/// The log-likelihood of each choice, from the text of a `/completions`
/// response to [`scoring_request`].
pub fn loglikelihoods(response: &str, spans: &[ChoiceSpan]) -> Result<Vec<f64>, ScoreError> {
    let response: ScoringResponse = serde_json::from_str(response)
        .map_err(|error| ScoreError::Row(format!("unexpected response shape: {error}")))?;
    let choices = response
        .choices
        .ok_or_else(|| ScoreError::Row("the response has no `choices` list".to_string()))?;
    if choices.len() != spans.len() {
        return Err(ScoreError::Row(format!(
            "{} prompts sent, {} choices returned",
            spans.len(),
            choices.len()
        )));
    }
    let mut scores: Vec<Option<f64>> = vec![None; spans.len()];
    for (position, choice) in choices.iter().enumerate() {
        let index = choice.index.unwrap_or(position);
        let span = spans.get(index).ok_or_else(|| {
            ScoreError::Row(format!("choice index {index} is beyond the prompts sent"))
        })?;
        let score = choice_loglikelihood(choice, *span)?;
        if scores[index].replace(score).is_some() {
            return Err(ScoreError::Row(format!(
                "choice index {index} returned twice"
            )));
        }
    }
    Ok(scores
        .into_iter()
        .map(|score| score.unwrap_or(f64::NAN))
        .collect())
}

fn choice_loglikelihood(choice: &ScoredChoice, span: ChoiceSpan) -> Result<f64, ScoreError> {
    let Some(logprobs) = &choice.logprobs else {
        return Err(ScoreError::CannotScore(
            "its response has no logprobs".to_string(),
        ));
    };
    let (Some(token_logprobs), Some(offsets)) = (&logprobs.token_logprobs, &logprobs.text_offset)
    else {
        return Err(ScoreError::CannotScore(
            "its logprobs have no token_logprobs and text_offset".to_string(),
        ));
    };
    if token_logprobs.len() != offsets.len() {
        return Err(ScoreError::Row(format!(
            "{} token_logprobs for {} text offsets",
            token_logprobs.len(),
            offsets.len()
        )));
    }
    let mut sum = 0.0;
    let mut counted = 0;
    for (logprob, offset) in token_logprobs.iter().zip(offsets) {
        let offset = *offset as usize;
        if offset < span.start || offset >= span.end {
            continue;
        }
        match logprob {
            Some(logprob) => sum += logprob,
            None => {
                return Err(ScoreError::CannotScore(
                    "it gives no log-probabilities for prompt tokens".to_string(),
                ))
            }
        }
        counted += 1;
    }
    if counted == 0 {
        // An echo that does not contain the prompt (a server ignoring
        // `echo`) has no token there either.
        if offsets.len() <= 1 {
            return Err(ScoreError::CannotScore(
                "it does not echo the prompt".to_string(),
            ));
        }
        return Err(ScoreError::Row(
            "no token of the answer choice starts inside it (check the delimiter)".to_string(),
        ));
    }
    Ok(sum)
}

/// Whether an HTTP error to a scoring request says the server refuses
/// `echo` or `logprobs` (llama.cpp, chat-only servers) rather than this row.
pub fn refuses_scoring(message: &str) -> bool {
    let message = message.to_lowercase();
    message.contains("echo") || message.contains("logprob")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn loglikelihoods(response: &Value, spans: &[ChoiceSpan]) -> Result<Vec<f64>, ScoreError> {
        super::loglikelihoods(&response.to_string(), spans)
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn the_request_lists_one_prompt_per_choice_with_code_point_spans() {
        let (body, spans) = scoring_request("m", "Où?", " ", &strings(&["là", "ici"]), None);
        assert_eq!(
            body,
            r#"{"model":"m","prompt":["Où? là","Où? ici"],"echo":true,"logprobs":1,"max_tokens":1,"temperature":0}"#
        );
        assert_eq!(
            spans,
            [
                ChoiceSpan { start: 3, end: 6 },
                ChoiceSpan { start: 3, end: 7 }
            ]
        );
    }

    /// vLLM's shape: the first token's logprob is null, and one generated
    /// token follows the prompt.
    #[test]
    fn sums_the_tokens_inside_the_choice_only() {
        // Prompt "Is it? yes" = "Is"(0) " it"(2) "?"(5) " yes"(6), generated "!"(10).
        let response = json!({"choices": [
            {"index": 1, "logprobs": {"tokens": ["Is", " it", "?", " y", "es", "!"],
              "token_logprobs": [null, -1.5, -0.25, -2.0, -0.125, -9.0],
              "text_offset": [0, 2, 5, 6, 8, 10]}},
            {"index": 0, "logprobs": {"tokens": ["Is", " it", "?", " no", "!"],
              "token_logprobs": [null, -1.5, -0.25, -0.75, -9.0],
              "text_offset": [0, 2, 5, 6, 9]}}
        ]});
        let spans = [
            ChoiceSpan { start: 6, end: 9 },
            ChoiceSpan { start: 6, end: 10 },
        ];
        let scores = loglikelihoods(&response, &spans).unwrap();
        assert_eq!(scores, [-0.75, -2.125]);
    }

    #[test]
    fn servers_that_cannot_score_are_named_not_zeroed() {
        let spans = [ChoiceSpan { start: 1, end: 3 }];
        let no_logprobs = json!({"choices": [{"index": 0, "text": "x", "logprobs": null}]});
        assert!(matches!(
            loglikelihoods(&no_logprobs, &spans),
            Err(ScoreError::CannotScore(_))
        ));
        let null_prompt = json!({"choices": [{"index": 0, "logprobs": {
            "token_logprobs": [null, null, -1.0], "text_offset": [0, 1, 3]}}]});
        assert!(matches!(
            loglikelihoods(&null_prompt, &spans),
            Err(ScoreError::CannotScore(_))
        ));
        let no_echo = json!({"choices": [{"index": 0, "logprobs": {
            "token_logprobs": [-1.0], "text_offset": [3]}}]});
        assert!(matches!(
            loglikelihoods(&no_echo, &spans),
            Err(ScoreError::CannotScore(_))
        ));
        let message = ScoreError::CannotScore("x".into()).to_string();
        assert!(message.contains("cannot score answer choices"));
        assert!(message.contains("--mode generate"));
        assert!(refuses_scoring("Only no echo is supported"));
        assert!(!refuses_scoring("maximum context length exceeded"));
    }

    #[test]
    fn a_response_that_does_not_match_the_request_is_a_row_error() {
        let spans = [
            ChoiceSpan { start: 1, end: 3 },
            ChoiceSpan { start: 1, end: 3 },
        ];
        let one = json!({"choices": [{"index": 0, "logprobs": {
            "token_logprobs": [null, -1.0], "text_offset": [0, 1]}}]});
        assert!(matches!(
            loglikelihoods(&one, &spans),
            Err(ScoreError::Row(_))
        ));
    }
}
