//! Task names and output paths.
//!
//! P3 names a task `<dataset>_<subset>_<template name>` (or
//! `<dataset>_<template name>` without a subset) and then replaces every run
//! of characters other than letters, digits, `_` and `.` by a single `_`
//! (PromptSource's `seqio_tasks/utils.py`: `re.sub(r"[^\w\d\._]+", "_", name)`).
//! So `Zaid/coqa_expanded` + `What is the answer?` gives
//! `Zaid_coqa_expanded_What_is_the_answer_`. Rank-classification variants
//! append `_score_eval`, as P3's evaluation tasks do.
//!
//! Letters and digits are Unicode ones (Python's `\w` on `str`); Rust's
//! alphanumeric classes may differ from Python's on rare combining marks.

use std::collections::HashMap;

/// Suffix P3 gives to the rank-classification variant of a task.
pub const RANK_CLASSIFICATION_SUFFIX: &str = "_score_eval";

/// The P3 task name of a (dataset, subset, template name).
pub fn task_name(dataset: &str, subset: Option<&str>, template_name: &str) -> String {
    let raw = match subset {
        Some(subset) => format!("{dataset}_{subset}_{template_name}"),
        None => format!("{dataset}_{template_name}"),
    };
    let mut cleaned = String::with_capacity(raw.len());
    let mut in_replaced_run = false;
    for character in raw.chars() {
        if character.is_alphanumeric() || character == '_' || character == '.' {
            cleaned.push(character);
            in_replaced_run = false;
        } else if !in_replaced_run {
            cleaned.push('_');
            in_replaced_run = true;
        }
    }
    cleaned
}

/// Assigns task names to the templates of one (dataset, subset), in order.
///
/// Two template names can normalise to the same task name (`a b` and `a-b`);
/// P3 would have silently merged them. Every template involved in such a
/// clash gets the first 8 characters of its id appended instead, so no
/// output overwrites another and the names do not depend on template order.
pub fn unique_task_names(
    dataset: &str,
    subset: Option<&str>,
    templates: &[(&str, &str)],
) -> Vec<String> {
    let base: Vec<String> = templates
        .iter()
        .map(|(_, name)| task_name(dataset, subset, name))
        .collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for name in &base {
        *counts.entry(name.as_str()).or_default() += 1;
    }
    base.iter()
        .zip(templates)
        .map(|(name, (id, _))| {
            if counts[name.as_str()] > 1 {
                let short_id: String = id.chars().take(8).collect();
                task_name(name, None, &short_id)
            } else {
                name.clone()
            }
        })
        .collect()
}

/// The file name of one output inside its task folder: `<split>.<ext>`, or
/// with sharding `<split>-<index>-of-<count>.<ext>` (five digits, as the
/// Hugging Face Hub names shards), so merged shards sit side by side.
pub fn output_file_name(split: &str, shard: Option<(usize, usize)>, extension: &str) -> String {
    match shard {
        Some((index, count)) => format!("{split}-{index:05}-of-{count:05}.{extension}"),
        None => format!("{split}.{extension}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_p3() {
        assert_eq!(
            task_name("super_glue", Some("rte"), "GPT-3 style"),
            "super_glue_rte_GPT_3_style"
        );
        assert_eq!(
            task_name("ag_news", None, "classify_question_first"),
            "ag_news_classify_question_first"
        );
        // Runs collapse to one underscore; dots and underscores survive.
        assert_eq!(
            task_name("Zaid/coqa_expanded", None, "What is the answer?  (v1.2)"),
            "Zaid_coqa_expanded_What_is_the_answer_v1.2_"
        );
        assert_eq!(
            task_name("super_glue", Some("wsc.fixed"), "does p stand for"),
            "super_glue_wsc.fixed_does_p_stand_for"
        );
        assert_eq!(task_name("x", None, "café à"), "x_café_à");
    }

    #[test]
    fn clashing_names_get_an_id_suffix() {
        let names = unique_task_names(
            "d",
            None,
            &[
                ("0123456789", "a b"),
                ("abcdefghij", "a-b"),
                ("zzzz", "other"),
            ],
        );
        assert_eq!(names, vec!["d_a_b_01234567", "d_a_b_abcdefgh", "d_other"]);
    }

    #[test]
    fn shard_file_names() {
        assert_eq!(output_file_name("train", None, "parquet"), "train.parquet");
        assert_eq!(
            output_file_name("train", Some((2, 16)), "jsonl"),
            "train-00002-of-00016.jsonl"
        );
    }
}
