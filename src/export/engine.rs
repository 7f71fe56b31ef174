//! The studio's apply function as a [`RowRenderer`].

use crate::core::apply::{ApplyOptions, CompiledTemplate};
use crate::core::datum::Row;
use crate::core::template::Template;

use super::record::Rendered;
use super::RowRenderer;

/// A compiled template applied as `promptstudio apply --seed` applies it.
pub struct EngineRenderer {
    compiled: CompiledTemplate,
}

impl EngineRenderer {
    pub fn new(compiled: CompiledTemplate) -> Self {
        EngineRenderer { compiled }
    }
}

impl RowRenderer for EngineRenderer {
    fn variables(&self) -> Option<Vec<String>> {
        Some(self.compiled.undeclared_variables())
    }

    /// `Template.apply` after `random.seed(seed)`, and the answer choices
    /// from their own call after `random.seed(seed)` again: exactly the
    /// fields `apply --seed` prints (and the conformance corpus records).
    fn render(&self, row: &Row, seed: u64) -> Result<Rendered, String> {
        let options = ApplyOptions {
            truncate: true,
            seed: Some(seed),
            track_spans: false,
        };
        let applied = self
            .compiled
            .apply(row, &options)
            .map_err(|error| error.to_string())?;
        let answer_choices = if self.compiled.apply_choices_equal_own_call(options.truncate) {
            applied.answer_choices
        } else {
            self.compiled
                .answer_choices(row, &options)
                .map_err(|error| format!("answer_choices: {error}"))?
        };
        Ok(Rendered {
            parts: applied.parts,
            answer_choices,
        })
    }
}

/// Compiles a template for export.
pub fn compile(template: &Template) -> anyhow::Result<Box<dyn RowRenderer>> {
    Ok(Box::new(EngineRenderer::new(CompiledTemplate::compile(
        template,
    )?)))
}
