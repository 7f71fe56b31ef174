//! promptstudio's ROUGE, BLEU and SQuAD metrics against the reference
//! Python packages (`rouge-score`, `sacrebleu`, SQuAD v1.1's script):
//! tests/fixtures/model/metric_fixtures.json, written by the generator
//! script beside it.

use promptstudio::model::{bleu, metrics, rouge};
use serde_json::Value;

fn fixtures() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/model/metric_fixtures.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn close(got: f64, expected: &Value, what: &str) {
    let expected = expected.as_f64().unwrap();
    assert!((got - expected).abs() < 1e-9, "{what}: {got} vs {expected}");
}

#[test]
fn rouge_squad_and_13a_match_the_python_packages() {
    let fixtures = fixtures();
    let pairs = fixtures["pairs"].as_array().unwrap();
    assert!(pairs.len() >= 20);
    for pair in pairs {
        let prediction = pair["prediction"].as_str().unwrap();
        let target = pair["target"].as_str().unwrap();
        let what = format!("{prediction:?} vs {target:?}");
        let scores = rouge::score(target, prediction);
        close(scores.rouge1, &pair["rouge1"], &format!("rouge1 {what}"));
        close(scores.rouge2, &pair["rouge2"], &format!("rouge2 {what}"));
        close(scores.rouge_l, &pair["rougeL"], &format!("rougeL {what}"));
        assert_eq!(
            metrics::normalize_answer(prediction),
            pair["normalized_prediction"].as_str().unwrap(),
            "{what}"
        );
        close(
            metrics::exact_match(prediction, target),
            &pair["exact_match"],
            &format!("em {what}"),
        );
        close(
            metrics::f1(prediction, target),
            &pair["f1"],
            &format!("f1 {what}"),
        );
        let rstripped = prediction.trim_end_matches(|c: char| c.is_whitespace());
        assert_eq!(
            bleu::tokenize_13a(rstripped),
            pair["tokenized_13a"].as_str().unwrap(),
            "{what}"
        );
    }
}

#[test]
fn corpus_bleu_matches_sacrebleu() {
    let fixtures = fixtures();
    for corpus in fixtures["bleu_corpora"].as_array().unwrap() {
        let pairs: Vec<(&str, &str)> = corpus["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| (pair[0].as_str().unwrap(), pair[1].as_str().unwrap()))
            .collect();
        close(
            bleu::corpus_bleu(pairs.iter().copied()),
            &corpus["bleu"],
            &format!("{pairs:?}"),
        );
    }
}
