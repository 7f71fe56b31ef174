//! Rows, splits, seeds and the preview request.

use crate::app::backend::SplitRef;
use crate::app::state::*;
use crate::app::App;

impl App {
    pub(super) fn move_row(&mut self, to: impl FnOnce(usize, Option<usize>) -> usize) {
        // While counting, the known count is no limit: the worker clamps.
        let count = self.preview.row_count.filter(|_| !self.preview.counting);
        let mut row = to(self.preview.row, count);
        if let Some(count) = count {
            row = row.min(count.saturating_sub(1));
        }
        if row != self.preview.row {
            self.preview.row = row;
            self.preview.scroll.set(0);
            self.request_preview();
        }
    }

    pub(super) fn next_split(&mut self) {
        if self.preview.splits.len() < 2 {
            return self.notify("No other split");
        }
        self.preview.split = (self.preview.split + 1) % self.preview.splits.len();
        self.preview.row = 0;
        self.preview.row_count = None;
        self.preview.counting = false;
        self.notify(format!(
            "Split {}",
            self.preview.splits[self.preview.split].name
        ));
        self.request_preview();
        if self.view == View::Batch {
            self.batch.offset = 0;
            self.request_batch(true);
        }
    }

    /// Asks the worker for the current prompt on the current row; the
    /// generation lets the newest answer win.
    /// The final count of a split the preview showed still counting.
    pub(super) fn rows_counted(
        &mut self,
        split: &[std::path::PathBuf],
        data_epoch: u64,
        rows: usize,
    ) {
        let current = self
            .preview
            .current_split()
            .is_some_and(|current| current.found.paths == split);
        if !current || data_epoch != self.data_epoch || !self.preview.counting {
            return;
        }
        self.preview.row_count = Some(rows);
        self.preview.counting = false;
        if self.preview.row >= rows {
            self.preview.row = rows.saturating_sub(1);
            self.request_preview();
        }
    }

    /// The splits of the dataset in the editor, found by a worker.
    pub(super) fn splits_found(&mut self, generation: u64, splits: Vec<SplitRef>) {
        if generation != self.preview.splits_generation {
            return;
        }
        self.preview.resolving = false;
        self.preview.split = self
            .preview
            .wanted_split
            .as_ref()
            .and_then(|name| splits.iter().position(|s| s.name == *name))
            .unwrap_or(0);
        self.preview.splits = splits;
        self.request_preview();
    }

    pub(in crate::app) fn request_preview(&mut self) {
        let Some(template) = self
            .current_template()
            .cloned()
            .or_else(|| self.browsed_rows())
        else {
            return;
        };
        self.request_preview_of(template);
    }

    /// Asks for a preview of `template` as given, which may be a draft not
    /// in the model yet (answer choices while they are typed).
    pub(in crate::app) fn request_preview_of(&mut self, template: crate::core::template::Template) {
        self.preview.generation += 1;
        self.model_preview_requested(&template);
        if self.preview.resolving {
            // Asked again once the splits are known; the bumped generation
            // already marks the shown preview as out of date.
            return;
        }
        self.effects.push(Effect::Preview(PreviewRequest {
            generation: self.preview.generation,
            template,
            split: self.preview.current_split().cloned(),
            row: self.preview.row,
            seed: self.preview.seed,
            data_epoch: self.data_epoch,
            shots: self.preview.shots,
            fewshot_seed: crate::core::fewshot::DEFAULT_SEED,
        }));
    }

    /// K = 0, 1, …, MAX_SHOTS, 0: demonstrations before the row's input.
    pub(super) fn cycle_fewshot(&mut self) {
        self.preview.shots = (self.preview.shots + 1) % (MAX_SHOTS + 1);
        match self.preview.shots {
            0 => self.notify("Few-shot off"),
            shots => self.notify(format!(
                "Few-shot {shots}: demonstrations from this split, seed {}",
                crate::core::fewshot::DEFAULT_SEED
            )),
        }
        self.preview.scroll.set(0);
        self.request_preview();
    }

    pub(super) fn copy_prompt(&mut self) {
        if self.copy_chat_prompt() {
            return;
        }
        match self.preview.result.as_ref().map(|r| &r.outcome) {
            Some(Ok(rendered)) => {
                let text = rendered.parts.join("\n\n");
                self.notify(format!(
                    "Copied {} characters (input and target)",
                    text.chars().count()
                ));
                self.register = Some(text.clone());
                self.effects.push(Effect::Copy(text));
            }
            _ => self.notify_error("Nothing rendered to copy"),
        }
    }
}
