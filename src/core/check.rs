//! Lint for template collections: PromptSource's own checks on its collection,
//! plus, when rows are at hand, what rendering over them reveals.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::core::apply::{ApplyOptions, CompiledTemplate, RenderError, Rendered, TemplateError};
use crate::core::catalog::Catalog;
use crate::core::datum::Row;
use crate::core::template::{DatasetTemplates, Template, METRICS};
use crate::core::token_lengths::{TokenLengths, TokenSummary};

/// T0 dropped tasks whose inputs were mostly over 1,024 tokens; at about four
/// characters a token, this many characters is where a prompt gets risky.
pub const LONG_INPUT_CHARS: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem, located as precisely as it can be.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// A stable identifier for scripts (`undeclared-variable`, `render-error`, ...).
    pub code: &'static str,
    pub path: PathBuf,
    /// 1-based line in the file: of the template's entry, or of the YAML error.
    pub line: Option<usize>,
    pub template_name: Option<String>,
    pub template_id: Option<String>,
    /// The first row that shows the problem, for row checks.
    pub row: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, ": {severity}[{}]", self.code)?;
        if let Some(name) = &self.template_name {
            write!(f, " template '{name}'")?;
        }
        if let Some(row) = self.row {
            write!(f, " row {row}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// PromptSource's checks over a whole collection: files load, templates parse,
/// `|||` is present, names and jinja texts are unique within a file, ids are
/// UUIDs unique across the collection, metrics come from PromptSource's list.
pub fn check_catalog(catalog: &Catalog) -> Vec<Finding> {
    let mut findings: Vec<Finding> = catalog
        .errors
        .iter()
        .map(|error| Finding {
            severity: Severity::Error,
            code: "load-error",
            path: error.path.clone(),
            line: error.line,
            template_name: None,
            template_id: None,
            row: None,
            message: error.message.clone(),
        })
        .collect();
    let mut ids_seen: HashMap<&str, &Path> = HashMap::new();
    for file in &catalog.files {
        let lines = template_lines(&file.path);
        for template in &file.templates {
            if let Some(first) = ids_seen.insert(&template.id, file.path.as_path()) {
                findings.push(template_finding(
                    file,
                    &lines,
                    template,
                    Severity::Error,
                    "duplicate-id",
                    format!("id {} is also used in {}", template.id, first.display()),
                ));
            }
        }
        findings.extend(check_file_with_lines(file, &lines));
    }
    findings
}

/// The per-file part of [`check_catalog`].
pub fn check_file(file: &DatasetTemplates) -> Vec<Finding> {
    check_file_with_lines(file, &template_lines(&file.path))
}

/// [`check_file`] for a file being edited: neither reads the disk (the
/// findings carry no line) nor compiles the templates (an editor shows
/// compile errors as they are typed), so it is cheap enough for every
/// keystroke.
pub fn check_file_unsaved(file: &DatasetTemplates) -> Vec<Finding> {
    check_file_parts(file, &HashMap::new(), false)
}

fn check_file_with_lines(file: &DatasetTemplates, lines: &HashMap<String, usize>) -> Vec<Finding> {
    check_file_parts(file, lines, true)
}

fn check_file_parts(
    file: &DatasetTemplates,
    lines: &HashMap<String, usize>,
    compile: bool,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut names: HashMap<&str, &str> = HashMap::new();
    let mut jinjas: HashMap<&str, &str> = HashMap::new();
    for template in &file.templates {
        let mut report = |severity, code, message: String| {
            findings.push(template_finding(
                file, lines, template, severity, code, message,
            ))
        };
        if let Some(Err(error)) = compile.then(|| CompiledTemplate::compile(template)) {
            report(
                Severity::Error,
                "syntax-error",
                describe_syntax_error(&error),
            );
        }
        if !template.jinja.contains("|||") {
            report(
                Severity::Error,
                "missing-separator",
                "the template has no `|||` separating input from target".into(),
            );
        }
        if uuid::Uuid::parse_str(&template.id).is_err() {
            report(
                Severity::Error,
                "invalid-id",
                format!("id '{}' is not a UUID", template.id),
            );
        }
        if let Some(other) = names.insert(&template.name, &template.id) {
            report(
                Severity::Error,
                "duplicate-name",
                format!("name '{}' is also used by template {other}", template.name),
            );
        }
        if let Some(other) = jinjas.insert(&template.jinja, &template.name) {
            report(
                Severity::Error,
                "duplicate-jinja",
                format!("same jinja as template '{other}'"),
            );
        }
        for metric in &template.metadata.metrics {
            if !METRICS.contains(&metric.as_str()) {
                // P3 itself uses a few metrics outside the app's list
                // (`Pearson correlation`), so this informs rather than fails.
                report(
                    Severity::Warning,
                    "unknown-metric",
                    format!(
                        "metric '{metric}' is not one of PromptSource's: {}",
                        METRICS.join(", ")
                    ),
                );
            }
        }
    }
    findings
}

fn describe_syntax_error(error: &TemplateError) -> String {
    error.to_string()
}

/// What rendering every template over `rows` reveals. `columns` are the
/// dataset's column names (before PromptSource's hyphen rename).
/// Problems are reported once per template and kind, with their first row and
/// how many rows show them, so a broken template over a big split stays readable.
pub fn check_rows(
    file: &DatasetTemplates,
    columns: &[String],
    rows: &[(usize, Row)],
) -> Vec<Finding> {
    let mut checker = RowChecker::new(file, columns);
    for (index, row) in rows {
        checker.check(*index, row);
    }
    checker.finish()
}

/// [`check_rows`] a row at a time, so that a split of any size is checked
/// in the memory of one batch of rows.
pub struct RowChecker<'a> {
    file: &'a DatasetTemplates,
    lines: HashMap<String, usize>,
    options: ApplyOptions,
    templates: Vec<TemplateCheck<'a>>,
    rows_seen: usize,
    token_budget: Option<TokenBudget>,
}

/// `check --tokenizer T [--max-input-tokens N]`: inputs are counted
/// (special tokens not added); those longer than `max` tokens are errors.
pub struct TokenBudget {
    pub counter: crate::core::chat::tokens::TokenCounter,
    pub max: Option<usize>,
}

struct TemplateCheck<'a> {
    template: &'a Template,
    compiled: CompiledTemplate,
    findings: Vec<Finding>,
    tally: RowTally,
    input_tokens: TokenLengths,
}

impl<'a> RowChecker<'a> {
    pub fn new(file: &'a DatasetTemplates, columns: &[String]) -> RowChecker<'a> {
        let lines = template_lines(&file.path);
        let renamed: HashSet<String> = columns.iter().map(|name| name.replace('-', "_")).collect();
        let mut templates = Vec::new();
        for template in &file.templates {
            let Ok(compiled) = CompiledTemplate::compile(template) else {
                continue; // reported by check_file
            };
            let mut findings = Vec::new();
            for variable in compiled.undeclared_variables() {
                if variable != "answer_choices" && !renamed.contains(&variable) {
                    findings.push(template_finding(
                        file,
                        &lines,
                        template,
                        Severity::Error,
                        "undeclared-variable",
                        format!(
                            "variable '{variable}' is not a column of the data (columns: {})",
                            columns.join(", ")
                        ),
                    ));
                }
            }
            templates.push(TemplateCheck {
                template,
                compiled,
                findings,
                tally: RowTally::default(),
                input_tokens: TokenLengths::default(),
            });
        }
        RowChecker {
            file,
            lines,
            options: ApplyOptions::default(),
            templates,
            rows_seen: 0,
            token_budget: None,
        }
    }

    /// Also reports rows whose input is over `budget`.
    pub fn with_token_budget(mut self, budget: TokenBudget) -> Self {
        self.token_budget = Some(budget);
        self
    }

    /// Renders row `index` through every template and notes what is wrong.
    pub fn check(&mut self, index: usize, row: &Row) {
        self.rows_seen += 1;
        for check in &mut self.templates {
            let applied = check.compiled.apply(row, &self.options);
            if let (Some(budget), Ok(applied)) = (&self.token_budget, &applied) {
                let input = applied.parts.first().map_or("", String::as_str);
                match budget.counter.count(input) {
                    Ok(tokens) => {
                        check.input_tokens.add(tokens);
                        if let Some(max) = budget.max.filter(|&max| tokens > max) {
                            check.tally.note(
                                Severity::Error,
                                "over-token-budget",
                                format!("the input has more than {max} tokens"),
                                index,
                            );
                        }
                    }
                    Err(message) => {
                        check
                            .tally
                            .note(Severity::Error, "tokenizer-error", message, index)
                    }
                }
            }
            note_row(&mut check.tally, applied, index);
        }
    }

    /// Per template (name, id), its inputs' token lengths, when counted.
    pub fn input_token_summaries(&self) -> Vec<(&'a Template, TokenSummary)> {
        self.templates
            .iter()
            .filter_map(|check| Some((check.template, check.input_tokens.summary()?)))
            .collect()
    }

    /// The findings, per template: undeclared variables, then each row
    /// problem with its first row and its share of the rows checked.
    pub fn finish(self) -> Vec<Finding> {
        let mut findings = Vec::new();
        for check in self.templates {
            findings.extend(check.findings);
            for ((severity, code, message), (first_row, count)) in check.tally.problems {
                let share = format!("{count} of {} rows", self.rows_seen);
                let mut finding = template_finding(
                    self.file,
                    &self.lines,
                    check.template,
                    severity,
                    code,
                    format!("{message} ({share})"),
                );
                finding.row = Some(first_row);
                findings.push(finding);
            }
        }
        findings
    }
}

fn note_row(tally: &mut RowTally, applied: Result<Rendered, RenderError>, index: usize) {
    let applied = match applied {
        Err(error) => {
            tally.note(
                Severity::Error,
                "render-error",
                format!("{}: {}", error.kind, error.message),
                index,
            );
            return;
        }
        Ok(applied) => applied,
    };
    let input = applied.parts.first().map(String::as_str).unwrap_or("");
    let target = applied.parts.get(1).map(String::as_str);
    if input.is_empty() && target.is_none_or(str::is_empty) {
        tally.note(
            Severity::Warning,
            "blank-result",
            "renders to nothing".into(),
            index,
        );
        return;
    }
    match target {
        None | Some("") => tally.note(
            Severity::Warning,
            "empty-target",
            "the target is empty".into(),
            index,
        ),
        Some(target) => {
            if let Some(choices) = &applied.answer_choices {
                if !choices.iter().any(|choice| choice == target.trim()) {
                    tally.note(
                        Severity::Error,
                        "target-not-in-choices",
                        "the target is not one of the answer choices".into(),
                        index,
                    );
                }
            }
        }
    }
    if input.chars().count() > LONG_INPUT_CHARS {
        tally.note(
            Severity::Warning,
            "long-input",
            format!("the input is over {LONG_INPUT_CHARS} characters"),
            index,
        );
    }
}

/// Counts each (severity, code, message) with its first row, in a stable order.
#[derive(Default)]
struct RowTally {
    problems: BTreeMap<(Severity, &'static str, String), (usize, usize)>,
}

impl RowTally {
    fn note(&mut self, severity: Severity, code: &'static str, message: String, row: usize) {
        let entry = self
            .problems
            .entry((severity, code, message))
            .or_insert((row, 0));
        entry.1 += 1;
    }
}

fn template_finding(
    file: &DatasetTemplates,
    lines: &HashMap<String, usize>,
    template: &Template,
    severity: Severity,
    code: &'static str,
    message: String,
) -> Finding {
    Finding {
        severity,
        code,
        path: file.path.clone(),
        line: lines.get(&*template.id).copied(),
        template_name: Some(template.name.to_string()),
        template_id: Some(template.id.to_string()),
        row: None,
        message,
    }
}

/// The 1-based line of each template's entry (`  <id>: !Template`) in a file,
/// so findings point at the template in the editor.
fn template_lines(path: &Path) -> HashMap<String, usize> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return HashMap::new();
    };
    text.lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            let (key, rest) = trimmed.split_once(':')?;
            (indent > 0 && rest.trim_start().starts_with("!Template"))
                .then(|| (key.trim().trim_matches(['\'', '"']).to_string(), index + 1))
        })
        .collect()
}
