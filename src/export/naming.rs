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

use super::folders::MAX_NAME_BYTES;

/// Suffix P3 gives to the rank-classification variant of a task.
pub const RANK_CLASSIFICATION_SUFFIX: &str = "_score_eval";

/// Longest task name: a task folder, with the rank-classification suffix,
/// must fit the file systems' 255-byte limit on a name.
pub const MAX_TASK_NAME_BYTES: usize = MAX_NAME_BYTES - RANK_CLASSIFICATION_SUFFIX.len();

/// Hex digits of the name's SHA-256 that end a shortened task name: 64 bits,
/// so two long names that share their first 227 bytes still differ.
const SHORTENED_HASH_DIGITS: usize = 16;

/// `name` if it fits [`MAX_TASK_NAME_BYTES`]; else its longest prefix that
/// ends on a character boundary and leaves room for `_` and the first 16
/// hex digits of the SHA-256 of the whole name. Deterministic (a rerun or
/// another shard finds the same folder) and free of collisions between
/// different long names.
pub fn bounded_task_name(name: &str) -> String {
    if name.len() <= MAX_TASK_NAME_BYTES {
        return name.to_string();
    }
    let mut cut = MAX_TASK_NAME_BYTES - 1 - SHORTENED_HASH_DIGITS;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let hash = super::tokenize::hex_sha256(name.as_bytes());
    format!("{}_{}", &name[..cut], &hash[..SHORTENED_HASH_DIGITS])
}

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
/// The names are P3's, of any length: [`bounded_task_name`] gives the
/// folder's.
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
    fn long_names_are_cut_with_a_hash() {
        let short = "d_".to_string() + &"a".repeat(MAX_TASK_NAME_BYTES - 2);
        assert_eq!(bounded_task_name(&short), short);
        let long = "d_".to_string() + &"é".repeat(150);
        let bounded = bounded_task_name(&long);
        assert!(bounded.len() <= MAX_TASK_NAME_BYTES, "{}", bounded.len());
        assert!(bounded.len() + RANK_CLASSIFICATION_SUFFIX.len() <= 255);
        assert!(long.starts_with(bounded.rsplit_once('_').unwrap().0));
        assert_eq!(bounded, bounded_task_name(&long));
        // Names that differ only past the cut get different folders.
        let other = "d_".to_string() + &"é".repeat(149) + "e";
        assert_ne!(bounded_task_name(&other), bounded);
        let folder = bounded_task_name(&task_name("d", None, &"x y".repeat(100)));
        assert!(crate::export::folders::plain_name_problem(&folder).is_none());
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
