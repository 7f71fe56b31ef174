//! Exported records against PromptSource's own outputs for every row of the
//! conformance corpus, in every style, with rank classification.
//!
//! Row `i` is exported with seed `i` (`--seed 0`); the corpus records every
//! template's outcome for seeds 0..49 (`alternatives` for random templates),
//! so the expected outcome of row `i` is the one whose seeds include `i`.
//! P3's keep rule then says which rows become records.

use crate::corpus;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use promptstudio::core::catalog::Catalog;
use promptstudio::export::manifest::{Manifest, Settings};
use promptstudio::export::progress::{Progress, ProgressMode};
use promptstudio::export::record::Style;
use promptstudio::export::sources::DataRows;
use promptstudio::export::writer::OutputFormat;
use promptstudio::export::{
    engine, variables_read, Exporter, RowRenderer, RunOptions, SplitJob, TemplateJob,
};
use serde_json::Value;

fn conformance() -> Option<PathBuf> {
    corpus::conformance("index.json")
}

/// What PromptSource gave for one (template, row) with seed = row.
struct Expected {
    parts: Option<Vec<String>>,
    answer_choices: Option<Vec<String>>,
}

fn strings(value: &Value) -> Option<Vec<String>> {
    value.as_array().map(|items| {
        items
            .iter()
            .map(|item| item.as_str().unwrap_or_default().to_string())
            .collect()
    })
}

fn expected_outcome(case: &Value, seed: u64) -> Expected {
    let chosen = match case["alternatives"].as_array() {
        Some(alternatives) => alternatives
            .iter()
            .find(|alternative| {
                alternative["seeds"]
                    .as_array()
                    .is_some_and(|seeds| seeds.iter().any(|s| s.as_u64() == Some(seed)))
            })
            .unwrap_or(case),
        None => case,
    };
    Expected {
        parts: strings(&chosen["parts"]),
        answer_choices: strings(&chosen["answer_choices"]),
    }
}

/// The record P3 keeps for an outcome: exactly two non-empty parts.
fn kept(expected: &Expected) -> Option<(&str, &str)> {
    match expected.parts.as_deref() {
        Some([input, target]) if !input.is_empty() && !target.is_empty() => {
            Some((input.as_str(), target.as_str()))
        }
        _ => None,
    }
}

fn read_jsonl(path: &Path) -> Vec<Value> {
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect(),
        Err(error) => panic!("{}: {error}", path.display()),
    }
}

fn settings(style: Style) -> Settings {
    Settings {
        style,
        format: OutputFormat::Jsonl,
        seed: 0,
        rank_classification: style == Style::P3,
        max_rows_per_dataset: None,
        tokenizer_sha256: None,
        max_input_tokens: None,
        num_shards: 1,
        shard_index: None,
        fewshot: None,
        chat_template_sha256: None,
    }
}

/// Exports every corpus pair in `style` into `out`.
fn export_corpus(corpus: &Path, catalog: &Catalog, index: &[Value], style: Style, out: &Path) {
    let mut exporter = Exporter::open(
        out,
        settings(style),
        RunOptions::default(),
        None,
        Arc::new(AtomicBool::new(false)),
        Progress::new(ProgressMode::Quiet),
    )
    .unwrap();
    for pair in index {
        let dataset = pair["dataset"].as_str().unwrap();
        let subset = pair["subset"].as_str();
        let file = catalog
            .find(dataset, subset)
            .unwrap_or_else(|| panic!("no templates for {dataset} {subset:?}"));
        let renderers: Vec<Box<dyn RowRenderer>> = file
            .templates
            .iter()
            .map(|template| engine::compile(template).unwrap())
            .collect();
        for (split, data) in pair["data"].as_object().unwrap() {
            let job = SplitJob {
                dataset: dataset.to_string(),
                subset: subset.map(str::to_string),
                split: split.clone(),
                templates: file
                    .templates
                    .iter()
                    .zip(&renderers)
                    .map(|(template, renderer)| TemplateJob::new(template, renderer.as_ref()))
                    .collect(),
            };
            // Only the columns the templates read, as the command does.
            let source = DataRows::new(
                promptstudio::data::open(&corpus.join(data.as_str().unwrap())).unwrap(),
                variables_read(&renderers).as_deref(),
            )
            .unwrap();
            exporter.export_split(&job, &source.stream()).unwrap();
        }
    }
    exporter.finish();
}

#[test]
fn exported_records_equal_promptsource_outputs() {
    let Some(corpus) = conformance() else { return };
    let index: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(corpus.join("index.json")).unwrap()).unwrap();
    let catalog = Catalog::discover(&corpus.join("templates"));
    let work = tempfile::tempdir().unwrap();
    // Every pair in style p3 (with rank classification); the other styles,
    // which reuse the same renders, on every eighth pair to keep the test short.
    let sampled: Vec<Value> = index.iter().step_by(8).cloned().collect();
    let folders: Vec<(Style, PathBuf)> = [Style::P3, Style::Completion, Style::Messages]
        .into_iter()
        .map(|style| (style, work.path().join(style.to_string())))
        .collect();
    for (style, folder) in &folders {
        let pairs = if *style == Style::P3 {
            &index
        } else {
            &sampled
        };
        export_corpus(&corpus, &catalog, pairs, *style, folder);
    }
    let manifests: HashMap<Style, Manifest> = folders
        .iter()
        .map(|(style, folder)| (*style, Manifest::load(folder).unwrap().unwrap()))
        .collect();

    let mut checked = 0usize;
    let mut mismatches: Vec<String> = Vec::new();
    for pair in &index {
        let dataset = pair["dataset"].as_str().unwrap();
        let subset = pair["subset"].as_str();
        for (split, expected_path) in pair["expected"].as_object().unwrap() {
            let mut cases_by_template: HashMap<String, Vec<Value>> = HashMap::new();
            for case in read_jsonl(&corpus.join(expected_path.as_str().unwrap())) {
                cases_by_template
                    .entry(case["template_id"].as_str().unwrap().to_string())
                    .or_default()
                    .push(case);
            }
            for (template_id, cases) in &cases_by_template {
                let entry = manifests[&Style::P3]
                    .outputs
                    .iter()
                    .find(|entry| {
                        entry.template_id == *template_id
                            && entry.split == *split
                            && entry.dataset == dataset
                            && entry.subset.as_deref() == subset
                            && entry.variant == promptstudio::export::record::Variant::Plain
                    })
                    .unwrap_or_else(|| {
                        panic!("no output for {dataset}/{subset:?} {template_id} {split}")
                    });
                let read = |style: Style, task: &str| {
                    read_jsonl(
                        &work
                            .path()
                            .join(style.to_string())
                            .join(format!("{task}/{split}.jsonl")),
                    )
                };
                let p3 = read(Style::P3, &entry.task);
                let in_sample = sampled.iter().any(|sample| {
                    sample["dataset"] == pair["dataset"] && sample["subset"] == pair["subset"]
                });
                let (completion, messages) = if in_sample {
                    (
                        read(Style::Completion, &entry.task),
                        read(Style::Messages, &entry.task),
                    )
                } else {
                    (Vec::new(), Vec::new())
                };
                let rank_task = format!("{}_score_eval", entry.task);
                let rank = if manifests[&Style::P3].find(&rank_task, split).is_some() {
                    read(Style::P3, &rank_task)
                } else {
                    Vec::new()
                };
                let mut next_record = 0usize;
                let mut next_rank = 0usize;
                let mut sorted = cases.clone();
                sorted.sort_by_key(|case| case["row"].as_u64());
                for case in &sorted {
                    let row = case["row"].as_u64().unwrap();
                    let expected = expected_outcome(case, row);
                    let place = format!(
                        "{dataset}/{} {split} {:?} row {row}",
                        subset.unwrap_or("_"),
                        case["template_name"]
                    );
                    let Some((input, target)) = kept(&expected) else {
                        if p3
                            .get(next_record)
                            .is_some_and(|record| record["idx"].as_u64() == Some(row))
                        {
                            mismatches.push(format!(
                                "{place}: exported although PromptSource gives {:?}",
                                expected.parts
                            ));
                            next_record += 1;
                        }
                        continue;
                    };
                    checked += 1;
                    let Some(record) = p3
                        .get(next_record)
                        .filter(|record| record["idx"].as_u64() == Some(row))
                    else {
                        mismatches.push(format!("{place}: missing, expected {:?}", expected.parts));
                        continue;
                    };
                    if record["inputs_pretokenized"] != input
                        || record["targets_pretokenized"] != target
                    {
                        mismatches.push(format!(
                            "{place}: exported {:?} / {:?}, expected {input:?} / {target:?}",
                            record["inputs_pretokenized"], record["targets_pretokenized"]
                        ));
                    }
                    let choices = strings(&record["answer_choices"]);
                    if choices != expected.answer_choices {
                        mismatches.push(format!(
                            "{place}: answer choices {choices:?}, expected {:?}",
                            expected.answer_choices
                        ));
                    }
                    if in_sample {
                        let completion_record = &completion[next_record];
                        let messages_record = &messages[next_record];
                        if completion_record["prompt"] != record["inputs_pretokenized"]
                            || completion_record["completion"] != record["targets_pretokenized"]
                        {
                            mismatches
                                .push(format!("{place}: completion record {completion_record}"));
                        }
                        if messages_record["messages"][0]["content"]
                            != record["inputs_pretokenized"]
                            || messages_record["messages"][1]["content"]
                                != record["targets_pretokenized"]
                            || messages_record["messages"][0]["role"] != "user"
                            || messages_record["messages"][1]["role"] != "assistant"
                        {
                            mismatches.push(format!("{place}: messages record {messages_record}"));
                        }
                    }
                    next_record += 1;
                    if let Some(choices) = choices.filter(|choices| !choices.is_empty()) {
                        for (choice_index, choice) in choices.iter().enumerate() {
                            let Some(rank_record) = rank.get(next_rank) else {
                                mismatches
                                    .push(format!("{place}: missing rank record {choice_index}"));
                                break;
                            };
                            next_rank += 1;
                            let expected_rank = serde_json::json!({
                                "inputs_pretokenized": input,
                                "targets_pretokenized": choice,
                                "idx": [row, choice_index],
                                "is_correct": choice == target.trim(),
                                "weight": 1.0,
                            });
                            for field in [
                                "inputs_pretokenized",
                                "targets_pretokenized",
                                "idx",
                                "is_correct",
                                "weight",
                            ] {
                                if rank_record[field] != expected_rank[field] {
                                    mismatches.push(format!("{place}: rank record {choice_index} field {field}: {} vs {}", rank_record[field], expected_rank[field]));
                                }
                            }
                        }
                    }
                }
                if next_record != p3.len() {
                    mismatches.push(format!(
                        "{dataset}/{subset:?} {template_id} {split}: {} extra records",
                        p3.len() - next_record
                    ));
                }
                if next_rank != rank.len() {
                    mismatches.push(format!(
                        "{dataset}/{subset:?} {template_id} {split}: {} extra rank records",
                        rank.len() - next_rank
                    ));
                }
            }
        }
    }
    assert!(checked > 10_000, "only {checked} kept cases checked");
    assert!(
        mismatches.is_empty(),
        "{} mismatches over {checked} kept cases; first ones:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
