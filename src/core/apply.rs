//! PromptSource's `Template.apply`, `get_answer_choices_list` and
//! `get_fixed_answer_choices_list`, reproduced step by step (see
//! PROMPTSOURCE.md): hyphenated keys renamed, `|||` in top-level strings
//! protected, every `}}` rewritten to truncate, answer choices rendered first,
//! the output split on `|||` and each part stripped.
//!
//! Templates compile once; every apply replays the random draws PromptSource
//! makes while compiling, so seeded results match a fresh `env.from_string`.

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, LazyLock, OnceLock};

use memchr::memmem;

use crate::core::datum::{Datum, Row};
use crate::core::jinja::{Context, Exc, Program, Value};
use crate::core::py::random::PyRandom;
use crate::core::py::strings::is_python_space;
use crate::core::template::Template;

/// PromptSource's `TEXT_VAR_LENGTH`.
const TRUNCATE_LENGTH: usize = 2048;
/// What protects a row's own `|||` from the split.
const PIPE_PROTECTOR: &str = "3ed2dface8203c4c9dfb1a5dc58e41e0";
const SEPARATOR: &str = "|||";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// PromptSource's `truncate=True`: every `{{ }}` output cut to 2048 characters.
    pub truncate: bool,
    /// `random.seed(seed)` right before the call; None draws fresh randomness.
    pub seed: Option<u64>,
    /// Record which bytes of each part came from `{{ }}` expressions.
    pub track_spans: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            truncate: true,
            seed: None,
            track_spans: false,
        }
    }
}

/// Which source of a template an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateSource {
    Jinja,
    AnswerChoices,
}

impl fmt::Display for TemplateSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TemplateSource::Jinja => "jinja",
            TemplateSource::AnswerChoices => "answer_choices",
        })
    }
}

/// A template that does not compile (Jinja2's `TemplateSyntaxError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub source: TemplateSource,
    pub message: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TemplateSyntaxError in {} at line {}, column {}: {}",
            self.source, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for TemplateError {}

/// An exception raised while rendering, named as Python names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    /// The Python exception class: `UndefinedError`, `TypeError`, ...,
    /// or `RenderLimitExceeded` when a render ran away.
    pub kind: String,
    /// Python's `str(exception)`.
    pub message: String,
    /// The template line being rendered, when known.
    pub line: Option<usize>,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        Ok(())
    }
}

impl std::error::Error for RenderError {}

impl From<Exc> for RenderError {
    fn from(exc: Exc) -> Self {
        RenderError {
            kind: exc.kind.to_string(),
            message: exc.message,
            line: exc.line,
        }
    }
}

impl RenderError {
    fn syntax(error: &TemplateError) -> RenderError {
        RenderError {
            kind: "TemplateSyntaxError".to_string(),
            message: error.message.clone(),
            line: Some(error.line),
        }
    }
}

/// A template applied to a row: what the studio's preview shows, `apply`
/// prints, `check` inspects and `export` writes, made by
/// [`CompiledTemplate::render`] for all of them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rendered {
    /// The render split on `|||`, each part stripped (input, target, ...).
    pub parts: Vec<String>,
    /// The rendered answer choices, when the template has them.
    pub answer_choices: Option<Vec<String>>,
    /// Per part, the byte ranges written by `{{ }}` expressions (empty
    /// unless `track_spans`).
    pub spans: Vec<Vec<Range<usize>>>,
}

/// Rendered answer choices, shared between the `answer_choices` variable and
/// the caller without copying text.
type Choices = Arc<[Arc<str>]>;

fn to_strings(choices: &Choices) -> Vec<String> {
    choices.iter().map(|c| c.to_string()).collect()
}

/// A template compiled for repeated application. Shareable across threads.
#[derive(Debug)]
pub struct CompiledTemplate {
    /// The jinja with PromptSource's truncation rewrite.
    truncated: Result<Program, TemplateError>,
    /// The jinja as written.
    untruncated: Program,
    answer_choices: Option<Program>,
    /// Answer choices that read no variables and draw nothing render the same
    /// every time; computed once.
    static_choices: OnceLock<Result<Choices, RenderError>>,
    choices_are_static: bool,
}

fn compile_source(source: &str, which: TemplateSource) -> Result<Program, TemplateError> {
    Program::compile(source).map_err(|e| TemplateError {
        source: which,
        message: e.message,
        line: e.line,
        column: e.column,
    })
}

// Every row value is searched for the separator and every part for the
// protector: memchr's vectorised search instead of `str::contains`'s
// two-way search made the export measurably faster (perf: 5% of its time).
static SEPARATOR_FINDER: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(SEPARATOR));
static PROTECTOR_FINDER: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(PIPE_PROTECTOR));

/// Replaces every `|||` in `text` by the protector.
fn protect(text: &Arc<str>) -> Arc<str> {
    if SEPARATOR_FINDER.find(text.as_bytes()).is_some() {
        Arc::from(text.replace(SEPARATOR, PIPE_PROTECTOR))
    } else {
        text.clone()
    }
}

fn unprotect(text: &str) -> String {
    if PROTECTOR_FINDER.find(text.as_bytes()).is_some() {
        text.replace(PIPE_PROTECTOR, SEPARATOR)
    } else {
        text.to_string()
    }
}

/// Whether a row key becomes `answer_choices` once hyphens are renamed.
fn is_answer_choices_key(key: &str) -> bool {
    const NAME: &[u8] = b"answer_choices";
    key.len() == NAME.len()
        && key
            .bytes()
            .zip(NAME)
            .all(|(k, &n)| k == n || (k == b'-' && n == b'_'))
}

/// The row as PromptSource's template sees it: hyphens in top-level keys
/// become underscores, top-level strings are protected, `answer_choices`
/// is the rendered choices.
struct RowContext<'r> {
    row: &'r Row,
    answer_choices: Option<Value>,
}

impl Context for RowContext<'_> {
    fn lookup(&self, name: &str) -> Option<Value> {
        if name == "answer_choices" {
            if let Some(choices) = &self.answer_choices {
                return Some(choices.clone());
            }
        }
        // Later keys win, as in the dict comprehension that renames them.
        let datum = self.row.fields.iter().rev().find_map(|(key, value)| {
            let matches = if key.contains('-') {
                key.len() == name.len()
                    && key
                        .bytes()
                        .zip(name.bytes())
                        .all(|(k, n)| k == n || (k == b'-' && n == b'_'))
            } else {
                key.as_ref() == name
            };
            matches.then_some(value)
        })?;
        Some(match datum {
            Datum::Str(text) => Value::Str(protect(text)),
            other => Value::from_datum(other),
        })
    }
}

/// Splits a render on `|||`; each part is unprotected and stripped, and the
/// spans that fall inside it are moved along.
///
/// PromptSource unprotects then strips parts but strips then unprotects
/// choices; neither the protector nor `|||` contains whitespace, so the order
/// never changes the result.
fn split_parts(
    rendered: &str,
    spans: Option<&[Range<usize>]>,
) -> (Vec<String>, Vec<Vec<Range<usize>>>) {
    let mut parts = Vec::new();
    let mut part_spans = Vec::new();
    let mut raw_parts = Vec::with_capacity(2);
    let mut from = 0;
    // Non-overlapping matches from the left, as `str::split` finds them.
    for at in SEPARATOR_FINDER.find_iter(rendered.as_bytes()) {
        raw_parts.push(&rendered[from..at]);
        from = at + SEPARATOR.len();
    }
    raw_parts.push(&rendered[from..]);
    let mut offset = 0;
    for raw in raw_parts {
        let start = offset;
        offset += raw.len() + SEPARATOR.len();
        let text = unprotect(raw.trim_matches(is_python_space));
        if let Some(spans) = spans {
            part_spans.push(spans_in_part(raw, start, spans));
        }
        parts.push(text);
    }
    (parts, part_spans)
}

/// Maps spans (over the whole render) into a stripped, unprotected part.
fn spans_in_part(raw: &str, raw_start: usize, spans: &[Range<usize>]) -> Vec<Range<usize>> {
    let leading = raw.len() - raw.trim_start_matches(is_python_space).len();
    let kept_end = raw.trim_end_matches(is_python_space).len().max(leading);
    let kept = &raw[leading..kept_end];
    let kept_start = raw_start + leading;
    // Position in the unprotected text of byte `p` of `kept`.
    let shrink = PIPE_PROTECTOR.len() - SEPARATOR.len();
    let protector_starts: Vec<usize> = kept.match_indices(PIPE_PROTECTOR).map(|(i, _)| i).collect();
    let map = |p: usize| -> usize {
        let mut shift = 0;
        for &at in &protector_starts {
            if at + PIPE_PROTECTOR.len() <= p {
                shift += shrink;
            } else if at < p {
                shift += p - at - SEPARATOR.len().min(p - at);
            }
        }
        p - shift
    };
    spans
        .iter()
        .filter_map(|span| {
            let start = span.start.max(kept_start);
            let end = span.end.min(kept_start + kept.len());
            (start < end).then(|| map(start - kept_start)..map(end - kept_start))
        })
        .collect()
}

/// Python's generator right after `random.seed(seed)`, or freshly seeded
/// from the system; lazy, so templates without randomness never seed it.
fn generator(seed: Option<u64>) -> PyRandom {
    seed.map_or_else(PyRandom::from_entropy, PyRandom::from_seed)
}

impl CompiledTemplate {
    /// Compiles a template's jinja (with the truncation rewrite) and answer choices.
    pub fn compile(template: &Template) -> Result<CompiledTemplate, TemplateError> {
        let rewritten = template.jinja.replace(
            "}}",
            &format!(" | string | truncate({TRUNCATE_LENGTH}) }}}}"),
        );
        // The source as written must compile; the rewrite can only fail in
        // odd cases (a `}}` inside a string), which then fail when applied
        // with truncation, as in PromptSource.
        let untruncated = compile_source(&template.jinja, TemplateSource::Jinja)?;
        let truncated = compile_source(&rewritten, TemplateSource::Jinja);
        let answer_choices = template
            .answer_choices
            .as_deref()
            .map(|source| compile_source(source, TemplateSource::AnswerChoices))
            .transpose()?;
        let choices_are_static = answer_choices.as_ref().is_some_and(|program| {
            program.undeclared_variables().is_empty()
                && !program.draws_at_compile_time()
                && !program.may_draw_at_render()
        });
        Ok(CompiledTemplate {
            truncated,
            untruncated,
            answer_choices,
            static_choices: OnceLock::new(),
            choices_are_static,
        })
    }

    fn program(&self, truncate: bool) -> Result<&Program, RenderError> {
        if truncate {
            self.truncated.as_ref().map_err(RenderError::syntax)
        } else {
            Ok(&self.untruncated)
        }
    }

    /// Renders the answer choices with `rng` in its current state.
    fn render_choices(
        &self,
        program: &Program,
        row: Option<&Row>,
        rng: &mut PyRandom,
    ) -> Result<Choices, RenderError> {
        let drawn = program.draw(rng);
        let mut out = String::new();
        match row {
            Some(row) => {
                let context = RowContext {
                    row,
                    answer_choices: None,
                };
                program.render(&context, &drawn, rng, &mut out, None)?;
            }
            None => {
                program.render(
                    &crate::core::jinja::EmptyContext,
                    &drawn,
                    rng,
                    &mut out,
                    None,
                )?;
            }
        }
        Ok(split_parts(&out, None)
            .0
            .into_iter()
            .map(Arc::from)
            .collect())
    }

    fn choices_for_row(
        &self,
        row: &Row,
        rng: &mut PyRandom,
    ) -> Result<Option<Choices>, RenderError> {
        let Some(program) = &self.answer_choices else {
            return Ok(None);
        };
        if self.choices_are_static {
            return self.static_choices(program).map(Some);
        }
        self.render_choices(program, Some(row), rng).map(Some)
    }

    fn static_choices(&self, program: &Program) -> Result<Choices, RenderError> {
        self.static_choices
            .get_or_init(|| self.render_choices(program, None, &mut PyRandom::from_seed(0)))
            .clone()
    }

    /// The render every caller uses: PromptSource's `Template.apply(row)`
    /// and the row's answer choices. With a seed, the choices are those of
    /// `get_answer_choices_list(row)` called on its own after
    /// `random.seed(seed)` again, as the reference records them (they differ
    /// from the render's own only when the template and the choices both
    /// draw); without a seed, the choices the render used.
    pub fn render(&self, row: &Row, options: &ApplyOptions) -> Result<Rendered, RenderError> {
        let mut rendered = self.apply(row, options)?;
        if options.seed.is_some() && !self.apply_choices_equal_own_call(options.truncate) {
            rendered.answer_choices = self.answer_choices(row, options)?;
        }
        Ok(rendered)
    }

    /// PromptSource's `Template.apply(row)`, with the choices the render used.
    pub fn apply(&self, row: &Row, options: &ApplyOptions) -> Result<Rendered, RenderError> {
        let program = self.program(options.truncate)?;
        let mut rng = generator(options.seed);
        // 1. Compiling the template draws its folded `choice`s.
        let drawn = program.draw(&mut rng);
        if row.fields.iter().any(|(key, _)| is_answer_choices_key(key)) {
            return Err(RenderError {
                kind: "ValueError".to_string(),
                message: "Example contains the restricted key 'answer_choices'.".to_string(),
                line: None,
            });
        }
        // 2. Answer choices are compiled and rendered.
        let answer_choices = self.choices_for_row(row, &mut rng)?;
        let choices_value = match &answer_choices {
            Some(choices) => Value::list(choices.iter().map(|c| Value::Str(c.clone())).collect()),
            None => Value::None,
        };
        // 3. The template is rendered.
        let context = RowContext {
            row,
            answer_choices: Some(choices_value),
        };
        let mut out = String::with_capacity(256);
        let mut spans = Vec::new();
        program.render(
            &context,
            &drawn,
            &mut rng,
            &mut out,
            options.track_spans.then_some(&mut spans),
        )?;
        let (parts, part_spans) = split_parts(&out, options.track_spans.then_some(&spans));
        Ok(Rendered {
            parts,
            answer_choices: answer_choices.as_ref().map(to_strings),
            spans: part_spans,
        })
    }

    /// PromptSource's `get_answer_choices_list(row)`.
    pub fn answer_choices(
        &self,
        row: &Row,
        options: &ApplyOptions,
    ) -> Result<Option<Vec<String>>, RenderError> {
        let mut rng = generator(options.seed);
        Ok(self
            .choices_for_row(row, &mut rng)?
            .as_ref()
            .map(to_strings))
    }

    /// Whether, with the same seed, [`CompiledTemplate::answer_choices`]
    /// always equals the choices [`CompiledTemplate::apply`] rendered, so a
    /// caller that needs both can take them from `apply`. Only when the
    /// template draws while compiling (moving the generator on before the
    /// choices are rendered) and the choices draw too can they differ.
    pub fn apply_choices_equal_own_call(&self, truncate: bool) -> bool {
        let Some(choices) = &self.answer_choices else {
            return true;
        };
        if !choices.draws_at_compile_time() && !choices.may_draw_at_render() {
            return true;
        }
        self.program(truncate)
            .is_ok_and(|program| !program.draws_at_compile_time())
    }

    /// PromptSource's `get_fixed_answer_choices_list()`: the choices when they
    /// read no variables, else None.
    pub fn fixed_answer_choices(&self) -> Result<Option<Vec<String>>, RenderError> {
        let Some(program) = &self.answer_choices else {
            return Ok(None);
        };
        if !program.undeclared_variables().is_empty() {
            return Ok(None);
        }
        let choices = if self.choices_are_static {
            self.static_choices(program)?
        } else {
            self.render_choices(program, None, &mut PyRandom::from_entropy())?
        };
        Ok(Some(to_strings(&choices)))
    }

    /// Variables the template and its answer choices read from the row
    /// (`answer_choices` included when the template uses it).
    pub fn undeclared_variables(&self) -> Vec<String> {
        let mut names = self.untruncated.undeclared_variables();
        if let Some(program) = &self.answer_choices {
            names.extend(program.undeclared_variables());
        }
        names.sort();
        names.dedup();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_split_like_python_str_split() {
        for text in [
            "a|||b",
            "a||||b",
            "||||||",
            "|||",
            "no separator",
            "x |||  y ||| z",
            "a|||||b",
        ] {
            let expected: Vec<String> = text
                .split(SEPARATOR)
                .map(|part| part.trim_matches(is_python_space).to_string())
                .collect();
            assert_eq!(split_parts(text, None).0, expected, "{text:?}");
        }
    }

    fn template(jinja: &str, answer_choices: Option<&str>) -> Template {
        let mut template = Template::new("name");
        template.jinja = Arc::from(jinja);
        template.answer_choices = answer_choices.map(Arc::from);
        template
    }

    fn row(fields: &[(&str, Datum)]) -> Row {
        Row::new(
            fields
                .iter()
                .map(|(k, v)| (Arc::from(*k), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn render_takes_seeded_choices_from_their_own_call() {
        // The template draws while compiling (a folded `choice`) and the
        // choices draw at render: seeded, the choices are the reference's
        // own re-seeded call, not the ones the render used.
        let compiled = CompiledTemplate::compile(&template(
            "{{ ['a', 'b', 'c', 'd'] | choice }} ||| {{ answer_choices[0] }}",
            Some("{{ ['p', 'q', 'r', 's', 't', 'u'] | random }} ||| z"),
        ))
        .unwrap();
        assert!(!compiled.apply_choices_equal_own_call(true));
        let row = Row::default();
        let mut differed = false;
        for seed in 0..32 {
            let options = ApplyOptions {
                seed: Some(seed),
                ..ApplyOptions::default()
            };
            let rendered = compiled.render(&row, &options).unwrap();
            let applied = compiled.apply(&row, &options).unwrap();
            let own_call = compiled.answer_choices(&row, &options).unwrap();
            assert_eq!(rendered.parts, applied.parts);
            assert_eq!(rendered.answer_choices, own_call);
            differed |= applied.answer_choices != own_call;
        }
        assert!(differed, "no seed shows the two calls apart");
        // Unseeded, the choices are the ones the render used.
        let rendered = compiled.render(&row, &ApplyOptions::default()).unwrap();
        assert_eq!(
            rendered.answer_choices.as_ref().unwrap()[0],
            rendered.parts[1]
        );
    }

    #[test]
    fn compiled_templates_cross_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<CompiledTemplate>();
    }

    #[test]
    fn applies_like_promptsource() {
        let compiled = CompiledTemplate::compile(&template(
            "{{text}} Label? ||| {{ answer_choices[label] }}",
            Some("No ||| Yes"),
        ))
        .expect("compiles");
        let applied = compiled
            .apply(
                &row(&[("text", Datum::str("a ||| b")), ("label", Datum::Int(-1))]),
                &ApplyOptions::default(),
            )
            .expect("applies");
        assert_eq!(applied.parts, vec!["a ||| b Label?", "Yes"]);
        assert_eq!(
            applied.answer_choices,
            Some(vec!["No".to_string(), "Yes".to_string()])
        );
        assert_eq!(
            compiled.fixed_answer_choices().expect("renders"),
            Some(vec!["No".to_string(), "Yes".to_string()])
        );
    }

    #[test]
    fn truncation_applies_to_the_last_operand() {
        let compiled = CompiledTemplate::compile(&template("{{ n * 2 }}", None)).expect("compiles");
        let applied = compiled
            .apply(&row(&[("n", Datum::Int(3))]), &ApplyOptions::default())
            .expect("applies");
        assert_eq!(applied.parts, vec!["222"]);
    }

    #[test]
    fn hyphenated_keys_are_renamed() {
        let compiled =
            CompiledTemplate::compile(&template("{{ video_id }}", None)).expect("compiles");
        let applied = compiled
            .apply(
                &row(&[("video-id", Datum::str("v1"))]),
                &ApplyOptions::default(),
            )
            .expect("applies");
        assert_eq!(applied.parts, vec!["v1"]);
        assert_eq!(compiled.undeclared_variables(), vec!["video_id"]);
    }

    #[test]
    fn spans_follow_parts() {
        let compiled =
            CompiledTemplate::compile(&template("Q: {{ q }} ||| {{ a }}", None)).expect("compiles");
        let options = ApplyOptions {
            track_spans: true,
            ..ApplyOptions::default()
        };
        let applied = compiled
            .apply(
                &row(&[("q", Datum::str("why")), ("a", Datum::str("because"))]),
                &options,
            )
            .expect("applies");
        assert_eq!(applied.spans, vec![vec![3..6], vec![0..7]]);
    }

    #[test]
    fn huge_row_values_render_in_linear_time() {
        let text = "word ".repeat(20 << 20);
        let row = row(&[("text", Datum::str(&text))]);
        let compiled =
            CompiledTemplate::compile(&template("{{ text }} ||| {{ text | length }}", None))
                .expect("compiles");
        let applied = compiled
            .apply(&row, &ApplyOptions::default())
            .expect("applies");
        assert_eq!(applied.parts[0].len(), 2047);
        assert_eq!(applied.parts[1], (100 << 20).to_string());
        let untruncated = ApplyOptions {
            truncate: false,
            ..ApplyOptions::default()
        };
        let applied = compiled.apply(&row, &untruncated).expect("applies");
        assert_eq!(applied.parts[0].len(), (100 << 20) - 1);
    }

    #[test]
    fn runaway_renders_stop() {
        let untruncated = ApplyOptions {
            truncate: false,
            ..ApplyOptions::default()
        };
        for source in [
            "{% for i in range(10**9) %}x{% endfor %}",
            "{{ 'x' * 10**10 }}",
            "{{ range(10**9) | list | length }}",
            "{{ '%999999999999s' % 'a' }}",
            "{{ 'ab'.center(10**12) }}",
            "{{ range(0, 2**62) | join }}",
        ] {
            let compiled = CompiledTemplate::compile(&template(source, None)).expect("compiles");
            let error = compiled
                .apply(&Row::default(), &untruncated)
                .expect_err(source);
            assert_eq!(error.kind, "RenderLimitExceeded", "{source}");
        }
        // With truncation the right operand becomes a string, as in PromptSource.
        let compiled =
            CompiledTemplate::compile(&template("{{ 'x' * 10**10 }}", None)).expect("compiles");
        let error = compiled
            .apply(&Row::default(), &ApplyOptions::default())
            .expect_err("fails");
        assert_eq!(error.kind, "TypeError");
    }
}
