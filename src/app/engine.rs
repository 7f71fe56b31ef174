//! The real [`Engine`]: PromptSource's `apply` semantics from `core::apply`,
//! the same function `render`, `apply` and `export` use, so the preview is
//! byte for byte what the export writes.

use std::sync::Arc;

use super::backend::{CompiledPrompt, Diagnostic, Engine, Rendered};
use crate::core::apply::{ApplyOptions, CompiledTemplate, TemplateSource};
use crate::core::datum::Row;
use crate::core::template::Template;

/// The crate's template engine.
#[derive(Debug, Default, Clone, Copy)]
pub struct CoreEngine;

impl Engine for CoreEngine {
    fn compile(&self, template: &Template) -> Result<Arc<dyn CompiledPrompt>, Diagnostic> {
        CompiledTemplate::compile(template)
            .map(|compiled| Arc::new(compiled) as Arc<dyn CompiledPrompt>)
            .map_err(|error| match error.source {
                TemplateSource::Jinja => Diagnostic {
                    message: error.message,
                    line: Some(error.line),
                    column: Some(error.column),
                },
                // The editor shows the jinja: a location in the answer
                // choices expression would point at the wrong text.
                TemplateSource::AnswerChoices => Diagnostic {
                    message: format!(
                        "in the answer choices, line {}, column {}: {}",
                        error.line, error.column, error.message
                    ),
                    line: None,
                    column: None,
                },
            })
    }
}

impl CompiledPrompt for CompiledTemplate {
    fn apply(
        &self,
        row: &Row,
        seed: Option<u64>,
        track_spans: bool,
    ) -> Result<Rendered, Diagnostic> {
        let options = ApplyOptions {
            seed,
            track_spans,
            ..ApplyOptions::default()
        };
        // The render `apply` and `export` use, answer choices included.
        CompiledTemplate::render(self, row, &options).map_err(|error| Diagnostic {
            message: format!("{}: {}", error.kind, error.message),
            line: error.line,
            column: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_shows_the_choices_export_writes() {
        // A template and choices that both draw: the preview's choices are
        // the ones `apply --seed` and `export` take, not the render's own.
        let mut template = Template::new("draws");
        template.jinja = Arc::from("{{ ['a', 'b', 'c', 'd'] | choice }} ||| x");
        template.answer_choices = Some(Arc::from("{{ ['p', 'q', 'r', 's', 't'] | random }} ||| z"));
        let preview = CoreEngine.compile(&template).unwrap();
        let export = crate::export::engine::compile(&template).unwrap();
        let row = Row::default();
        for seed in 0..16 {
            let shown = preview.apply(&row, Some(seed), true).unwrap();
            let written = export.render(&row, seed).unwrap();
            assert_eq!(shown.parts, written.parts);
            assert_eq!(shown.answer_choices, written.answer_choices, "seed {seed}");
        }
    }
}
