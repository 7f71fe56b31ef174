//! The studio's apply function as a [`RowRenderer`].

use crate::core::apply::{ApplyOptions, CompiledTemplate, Rendered};
use crate::core::datum::Row;
use crate::core::template::Template;

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

    /// `apply --seed`'s record fields for this row and seed
    /// ([`CompiledTemplate::render`], as the studio's preview renders).
    fn render(&self, row: &Row, seed: u64) -> Result<Rendered, String> {
        let options = ApplyOptions {
            truncate: true,
            seed: Some(seed),
            track_spans: false,
        };
        self.compiled
            .render(row, &options)
            .map_err(|error| error.to_string())
    }
}

/// Compiles a template for export.
pub fn compile(template: &Template) -> anyhow::Result<Box<dyn RowRenderer>> {
    Ok(Box::new(EngineRenderer::new(CompiledTemplate::compile(
        template,
    )?)))
}
