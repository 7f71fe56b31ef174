//! `--num-fewshot K [--fewshot-split S] [--fewshot-seed N]`, shared by
//! `render`, `apply`, `export` and `eval`.

use clap::Args;

use crate::core::fewshot::{FewshotPlan, DEFAULT_SEED};
use crate::core::template::DatasetTemplates;
pub use crate::export::fewshot::DemoPool;
use crate::export::fewshot::RenderDemo;

use super::target::{self, DataArgs};

#[derive(Debug, Clone, Default, Args)]
pub struct FewshotArgs {
    /// Put K solved examples before each row's input (other rows rendered
    /// by the same template, joined as lm-evaluation-harness joins them).
    #[arg(long, value_name = "K")]
    pub num_fewshot: Option<usize>,
    /// The split the demonstrations come from (default: the split rendered;
    /// a row is then never its own demonstration).
    #[arg(long, value_name = "SPLIT", requires = "num_fewshot")]
    pub fewshot_split: Option<String>,
    /// Row i's demonstrations are drawn with Python's random.Random(N + i).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SEED)]
    pub fewshot_seed: u64,
}

impl FewshotArgs {
    /// The plan for a pool of `pool_rows` rows; `same_split` when the pool
    /// is the split being rendered. `None` without `--num-fewshot`.
    pub fn plan(&self, pool_rows: usize, same_split: bool) -> Option<FewshotPlan> {
        self.num_fewshot.map(|shots| FewshotPlan {
            shots,
            seed: self.fewshot_seed,
            pool_rows,
            same_split,
        })
    }
}

impl FewshotArgs {
    /// The demonstrations' pool for `file`'s rows (`--fewshot-split`, else
    /// the split rendered), each pool row rendered by `render` as the
    /// command renders its rows; `None` without `--num-fewshot`.
    pub fn demo_pool<'a>(
        &self,
        rows_from: &DataArgs,
        file: &DatasetTemplates,
        render: RenderDemo<'a>,
    ) -> anyhow::Result<Option<DemoPool<'a>>> {
        if self.num_fewshot.is_none() {
            return Ok(None);
        }
        let (pool_source, same_split) =
            rows_from.open_fewshot_pool(file, self.fewshot_split.as_deref())?;
        let pool_rows = target::row_count(pool_source.as_ref())?;
        Ok(self
            .plan(pool_rows, same_split)
            .map(|plan| DemoPool::new(plan, pool_source, render)))
    }
}
