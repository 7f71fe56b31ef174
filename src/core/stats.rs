//! The numbers of PromptSource's helicopter view, for a collection.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::core::catalog::Catalog;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectionStats {
    /// Distinct dataset names.
    pub datasets: usize,
    /// (dataset, subset) pairs, i.e. templates.yaml files.
    pub subsets: usize,
    pub prompts: usize,
    pub original_task_prompts: usize,
    pub prompts_with_answer_choices: usize,
    /// Prompts using each metric.
    pub metrics: BTreeMap<String, usize>,
    /// Prompts in each language.
    pub languages: BTreeMap<String, usize>,
    /// Per (dataset, subset): prompts and original-task prompts.
    pub per_subset: Vec<SubsetStats>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubsetStats {
    pub dataset: String,
    pub subset: Option<String>,
    pub prompts: usize,
    pub original_task_prompts: usize,
}

pub fn collection_stats(catalog: &Catalog) -> CollectionStats {
    let mut datasets = BTreeSet::new();
    let mut stats = CollectionStats {
        datasets: 0,
        subsets: catalog.files.len(),
        prompts: 0,
        original_task_prompts: 0,
        prompts_with_answer_choices: 0,
        metrics: BTreeMap::new(),
        languages: BTreeMap::new(),
        per_subset: Vec::new(),
    };
    for file in &catalog.files {
        datasets.insert(file.dataset.as_str());
        let mut subset = SubsetStats {
            dataset: file.dataset.clone(),
            subset: file.subset.clone(),
            prompts: file.templates.len(),
            original_task_prompts: 0,
        };
        for template in &file.templates {
            stats.prompts += 1;
            if template.metadata.original_task == Some(true) {
                stats.original_task_prompts += 1;
                subset.original_task_prompts += 1;
            }
            if template.answer_choices.is_some() {
                stats.prompts_with_answer_choices += 1;
            }
            for metric in &template.metadata.metrics {
                *stats.metrics.entry(metric.clone()).or_default() += 1;
            }
            for language in &template.metadata.languages {
                *stats.languages.entry(language.clone()).or_default() += 1;
            }
        }
        stats.per_subset.push(subset);
    }
    stats
        .per_subset
        .sort_by(|a, b| (&a.dataset, &a.subset).cmp(&(&b.dataset, &b.subset)));
    stats.datasets = datasets.len();
    stats
}
