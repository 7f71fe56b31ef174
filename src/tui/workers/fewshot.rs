//! The preview's few-shot prompt, assembled on the preview thread.

use crate::app::backend::CompiledPrompt;
use crate::app::{FewshotPrompt, PreviewError, PreviewRequest, Rendered};
use crate::core::fewshot::{self, Demonstration, FewshotPlan};
use crate::data::SplitRows;

use super::guarded;

/// Row `index`'s demonstrations, drawn and joined as `render --num-fewshot`
/// does, from the split shown (so the row is never its own demonstration).
pub(super) fn fewshot_prompt(
    source: &dyn SplitRows,
    compiled: &dyn CompiledPrompt,
    request: &PreviewRequest,
    index: usize,
    outcome: &Result<Rendered, PreviewError>,
) -> FewshotPrompt {
    let plan = FewshotPlan {
        shots: request.shots,
        seed: request.fewshot_seed,
        // The draws depend on the split's size, so a text split still being
        // counted is waited for (only when few-shot is on).
        pool_rows: source.wait_for_row_count().unwrap_or(0),
        same_split: true,
    };
    let demonstrations = plan.select(index, |j| {
        let row = source.row(j).ok()?;
        let rendered = guarded(|| compiled.apply(&row, Some(request.seed), false)).ok()?;
        Demonstration::from_parts(j, &rendered.parts)
    });
    let prompt = outcome.as_ref().ok().map(|rendered| {
        fewshot::join(
            &demonstrations,
            rendered.parts.first().map_or("", String::as_str),
            fewshot::DEFAULT_TARGET_DELIMITER,
        )
    });
    FewshotPrompt {
        shots: request.shots,
        demonstrations,
        prompt,
    }
}
