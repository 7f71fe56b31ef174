//! Checks while typing: variables that are not columns (with the closest
//! column names), `check`'s per-file findings for the open file, and a
//! class index out of range on the row shown. Recomputed on the UI thread
//! after each event, so they must stay cheap: the template is compiled
//! only when its text or the columns changed, and the file checks compile
//! nothing and read no disk ([`check_file_unsaved`]).

use std::sync::Arc;

use crate::core::check::{check_file_unsaved, Finding};
use crate::core::datum::{Datum, Row};
use crate::core::jinja::Program;
use crate::core::template::{DatasetTemplates, Template};
use crate::data::features::Feature;

/// A variable the template reads that no column provides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVariable {
    pub name: String,
    /// Column names (as templates write them) close to `name`, closest first.
    pub suggestions: Vec<String>,
}

/// A template's jinja and answer choices, with the columns it was checked against.
type CheckedFor = (Arc<str>, Option<Arc<str>>, Vec<String>);

/// What the checks found for the prompt and file in the editor.
#[derive(Debug, Default)]
pub struct Checks {
    /// The (jinja, answer choices, columns) the variables were checked for.
    checked: Option<CheckedFor>,
    /// Variables the template reads, as the last successful compile saw them.
    variables: Vec<String>,
    pub unknown: Vec<UnknownVariable>,
    /// Hyphenated columns the template writes with the hyphen:
    /// (`question-X`, `question_X`).
    pub hyphenated: Vec<(String, String)>,
    /// `check`'s findings for the open file.
    pub findings: Vec<Finding>,
    /// A class-label value on the shown row outside its names.
    pub out_of_range: Vec<String>,
}

impl Checks {
    /// Brings the checks up to date with the prompt in the editor, its file
    /// and the row shown (`None` while no row is known: then columns are
    /// not checked).
    pub fn refresh(
        &mut self,
        file: Option<&DatasetTemplates>,
        template: Option<&Template>,
        row: Option<&Row>,
        features: &[(String, Feature)],
    ) {
        self.findings = file.map(check_file_unsaved).unwrap_or_default();
        let (Some(template), Some(row)) = (template, row) else {
            self.checked = None;
            self.variables.clear();
            self.unknown.clear();
            self.hyphenated.clear();
            self.out_of_range.clear();
            return;
        };
        let columns: Vec<String> = row.column_names().map(str::to_owned).collect();
        let key = (
            template.jinja.clone(),
            template.answer_choices.clone(),
            columns,
        );
        if self.checked.as_ref() != Some(&key) {
            self.check_variables(&key.0, key.1.as_deref(), &key.2);
            self.checked = Some(key);
        }
        self.out_of_range = out_of_range(&self.variables, row, features);
    }

    /// Whether there is anything to show.
    pub fn is_empty(&self) -> bool {
        self.unknown.is_empty()
            && self.hyphenated.is_empty()
            && self.findings.is_empty()
            && self.out_of_range.is_empty()
    }

    fn check_variables(&mut self, jinja: &str, choices: Option<&str>, columns: &[String]) {
        // A template that does not compile keeps its last known variables:
        // the preview shows the syntax error, and marks do not flicker.
        let Ok(program) = Program::compile(jinja) else {
            return;
        };
        let mut variables = program.undeclared_variables();
        if let Some(Ok(choices)) = choices.map(Program::compile) {
            variables.extend(choices.undeclared_variables());
        }
        variables.sort();
        variables.dedup();
        // PromptSource renames `a-b` columns to `a_b` before rendering.
        let renamed: Vec<String> = columns.iter().map(|c| c.replace('-', "_")).collect();
        self.unknown = variables
            .iter()
            .filter(|v| *v != "answer_choices" && !renamed.contains(v))
            .map(|name| UnknownVariable {
                name: name.clone(),
                suggestions: closest(name, &renamed),
            })
            .collect();
        self.hyphenated = columns
            .iter()
            .filter(|c| c.contains('-') && jinja.contains(c.as_str()))
            .map(|c| (c.clone(), c.replace('-', "_")))
            .collect();
        self.variables = variables;
    }

    /// One line per problem, the prompt's own first.
    pub fn messages(&self, template: Option<&Template>) -> Vec<String> {
        let mut lines = Vec::new();
        for (column, renamed) in &self.hyphenated {
            lines.push(format!(
                "`{column}` reads as `{}`: templates write this column `{renamed}`",
                column.replace('-', " - ")
            ));
        }
        for unknown in &self.unknown {
            if self
                .hyphenated
                .iter()
                .any(|(column, _)| column.split('-').any(|part| part == unknown.name))
            {
                continue;
            }
            let hint = match unknown.suggestions.as_slice() {
                [] => String::new(),
                names => format!(
                    ": did you mean {}?",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            lines.push(format!("`{}` is not a column{hint}", unknown.name));
        }
        lines.extend(self.out_of_range.iter().cloned());
        let current = template.map(|t| &*t.id);
        let (own, others): (Vec<&Finding>, Vec<&Finding>) = self
            .findings
            .iter()
            .partition(|f| f.template_id.as_deref() == current);
        for finding in own.into_iter().chain(others) {
            let name = finding.template_name.as_deref().unwrap_or("file");
            lines.push(format!("{name}: {} [{}]", finding.message, finding.code));
        }
        lines
    }
}

/// The names within a small edit distance of `name`, closest first (at most
/// three), case differences counting least.
fn closest(name: &str, names: &[String]) -> Vec<String> {
    let lower = name.to_lowercase();
    let mut scored: Vec<(usize, &String)> = names
        .iter()
        .filter_map(|candidate| {
            let distance = strsim::levenshtein(&lower, &candidate.to_lowercase());
            let limit = (name.chars().count() / 3).max(2);
            let contains = candidate.contains(name) || name.contains(candidate.as_str());
            (distance <= limit || contains).then_some((distance, candidate))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, n)| n.clone()).collect()
}

/// Class-label columns the template reads whose value on `row` names no
/// class (test splits often hide labels as -1, and `answer_choices[-1]`
/// then quietly picks the last choice).
fn out_of_range(variables: &[String], row: &Row, features: &[(String, Feature)]) -> Vec<String> {
    features
        .iter()
        .filter_map(|(column, feature)| {
            let Feature::ClassLabel { names } = feature else {
                return None;
            };
            if !variables.contains(&column.replace('-', "_")) {
                return None;
            }
            let Some(Datum::Int(value)) = row.get(column) else {
                return None;
            };
            let inside = usize::try_from(*value).is_ok_and(|v| v < names.len());
            (!inside).then(|| {
                format!(
                    "`{column}` is {value} on this row, not a class (0 to {}): no real target here",
                    names.len().saturating_sub(1)
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_names_first_and_case_counts_least() {
        let names: Vec<String> = ["summary", "document", "id", "Summary_long"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(closest("sumary", &names), vec!["summary"]);
        assert_eq!(closest("Document", &names), vec!["document"]);
        assert!(closest("zzz", &names).is_empty());
    }
}
