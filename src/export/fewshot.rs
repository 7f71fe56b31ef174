//! Few-shot demonstrations for the row-taking commands: a demonstration
//! split read and rendered on demand, and `export --num-fewshot`'s renderer
//! that puts each row's demonstrations before its input.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::core::apply::Rendered;
use crate::core::datum::Row;
use crate::core::fewshot::{self, Demonstration, FewshotPlan};
use crate::data::Source;

use super::RowRenderer;

/// A demonstration split read on demand: each row is read and rendered at
/// most once, from any thread.
pub struct DemoPool<'a> {
    plan: FewshotPlan,
    source: Mutex<Box<dyn Source>>,
    /// Renders a pool row (with its row number) as a demonstration.
    render: RenderDemo<'a>,
    rendered: Mutex<HashMap<usize, Option<Demonstration>>>,
    /// The first row that could not be read: a broken file is an error,
    /// not a reason to pass rows over silently.
    read_error: Mutex<Option<String>>,
}

/// Renders row `j` of the pool as a demonstration (`None`: failed or blank).
pub type RenderDemo<'a> = Box<dyn Fn(usize, &Row) -> Option<Demonstration> + Send + Sync + 'a>;

impl<'a> DemoPool<'a> {
    pub fn new(plan: FewshotPlan, source: Box<dyn Source>, render: RenderDemo<'a>) -> Self {
        DemoPool {
            plan,
            source: Mutex::new(source),
            render,
            rendered: Mutex::new(HashMap::new()),
            read_error: Mutex::new(None),
        }
    }

    pub fn plan(&self) -> &FewshotPlan {
        &self.plan
    }

    /// Row `row`'s demonstrations, in order.
    pub fn demonstrations(&self, row: usize) -> Vec<Demonstration> {
        self.plan.select(row, |j| self.demonstration(j))
    }

    fn demonstration(&self, j: usize) -> Option<Demonstration> {
        if let Some(done) = lock(&self.rendered).get(&j) {
            return done.clone();
        }
        let read = lock(&self.source).row(j as u64);
        let demo = match read {
            Ok(row) => (self.render)(j, &row),
            Err(error) => {
                let mut slot = lock(&self.read_error);
                if slot.is_none() {
                    *slot = Some(format!("demonstration row {j}: {error}"));
                }
                None
            }
        };
        lock(&self.rendered).insert(j, demo.clone());
        demo
    }

    /// Fails when a demonstration row could not be read.
    pub fn check(&self) -> anyhow::Result<()> {
        match lock(&self.read_error).take() {
            Some(message) => Err(anyhow::anyhow!(message)),
            None => Ok(()),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere cannot leave these maps half-written in a way that
    // matters: an entry is inserted whole.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A template's renderer whose rows' inputs carry their demonstrations:
/// the input becomes the joined prompt (lm-evaluation-harness' join with
/// its default target delimiter); target and answer choices stay the row's.
pub struct FewshotRenderer<'a> {
    inner: &'a dyn RowRenderer,
    /// The export's `--seed`: row `i` renders with `base_seed + i`, which
    /// is how this renderer learns `i`.
    base_seed: u64,
    pool: DemoPool<'a>,
}

impl<'a> FewshotRenderer<'a> {
    /// Demonstrations from `source` (`plan` says whether it is the split
    /// exported), each rendered as the exported row of that number is.
    pub fn new(
        inner: &'a dyn RowRenderer,
        base_seed: u64,
        plan: FewshotPlan,
        source: Box<dyn Source>,
    ) -> Self {
        let render: RenderDemo<'a> = Box::new(move |j, row| {
            let rendered = inner.render(row, base_seed.wrapping_add(j as u64)).ok()?;
            Demonstration::from_parts(j, &rendered.parts)
        });
        FewshotRenderer {
            inner,
            base_seed,
            pool: DemoPool::new(plan, source, render),
        }
    }

    pub fn check(&self) -> anyhow::Result<()> {
        self.pool.check()
    }
}

impl RowRenderer for FewshotRenderer<'_> {
    fn render(&self, row: &Row, seed: u64) -> Result<Rendered, String> {
        let mut rendered = self.inner.render(row, seed)?;
        let index = seed.wrapping_sub(self.base_seed) as usize;
        // A blank input stays blank: the row is not kept, demonstrations or not.
        if let Some(input) = rendered.parts.first_mut().filter(|input| !input.is_empty()) {
            let demos = self.pool.demonstrations(index);
            *input = fewshot::join(&demos, input, fewshot::DEFAULT_TARGET_DELIMITER);
        }
        Ok(rendered)
    }

    fn variables(&self) -> Option<Vec<String>> {
        self.inner.variables()
    }
}
