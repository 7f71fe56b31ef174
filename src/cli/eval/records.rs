//! `eval --out`: one JSON object per (template, row), written in row order
//! while results arrive in any order.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use crate::core::template::Template;
use crate::model::run::{Job, Mode, RowResult};

/// One line of `--out`.
#[derive(Serialize)]
struct RowRecord<'a> {
    template_id: &'a str,
    template_name: &'a str,
    row: usize,
    mode: Mode,
    input: Option<&'a str>,
    target: Option<&'a str>,
    answer_choices: Option<&'a [String]>,
    loglikelihoods: Option<&'a [f64]>,
    gold_index: Option<usize>,
    pred_index: Option<usize>,
    pred: Option<&'a str>,
    correct: Option<bool>,
    correct_norm: Option<bool>,
    completion: Option<&'a str>,
    exact_match: Option<f64>,
    f1: Option<f64>,
    error: Option<&'a str>,
}

/// A row of the range: a job to send (its index among the jobs), or why it is skipped.
pub enum Entry {
    Job(usize),
    Skipped {
        row: usize,
        reason: String,
        input: Option<String>,
        target: Option<String>,
        choices: Option<Vec<String>>,
    },
}

/// Writes `--out` lines in row order while results arrive in any order.
pub struct OrderedWriter<'a> {
    entries: &'a [Entry],
    jobs: &'a [Job],
    template: &'a Template,
    mode: Mode,
    /// Entry position of each job, by job index.
    job_entry: Vec<usize>,
    pending: BTreeMap<usize, RowResult>,
    next_entry: usize,
}

impl<'a> OrderedWriter<'a> {
    pub fn new(
        entries: &'a [Entry],
        jobs: &'a [Job],
        template: &'a Template,
        mode: Mode,
    ) -> OrderedWriter<'a> {
        let job_entry = entries
            .iter()
            .enumerate()
            .filter(|(_, entry)| matches!(entry, Entry::Job(_)))
            .map(|(position, _)| position)
            .collect();
        OrderedWriter {
            entries,
            jobs,
            template,
            mode,
            job_entry,
            pending: BTreeMap::new(),
            next_entry: 0,
        }
    }

    pub fn push(
        &mut self,
        job_index: usize,
        result: RowResult,
        out: &mut dyn Write,
    ) -> anyhow::Result<()> {
        self.pending.insert(self.job_entry[job_index], result);
        self.drain(out)
    }

    fn drain(&mut self, out: &mut dyn Write) -> anyhow::Result<()> {
        while let Some(entry) = self.entries.get(self.next_entry) {
            let line = match entry {
                Entry::Skipped { .. } => self.line(entry, None)?,
                Entry::Job(_) => match self.pending.remove(&self.next_entry) {
                    Some(result) => self.line(entry, Some(&result))?,
                    None => return Ok(()),
                },
            };
            out.write_all(&line)?;
            out.flush()?;
            self.next_entry += 1;
        }
        Ok(())
    }

    /// Writes what is left: skipped rows after the last result, and rows
    /// whose results arrived when the run stopped early.
    pub fn finish(&mut self, out: &mut dyn Write) -> anyhow::Result<()> {
        self.drain(out)?;
        let rest: Vec<(usize, RowResult)> = std::mem::take(&mut self.pending).into_iter().collect();
        for (position, result) in rest {
            out.write_all(&self.line(&self.entries[position], Some(&result))?)?;
        }
        Ok(())
    }

    fn line(&self, entry: &Entry, result: Option<&RowResult>) -> anyhow::Result<Vec<u8>> {
        let mut record = RowRecord {
            template_id: &self.template.id,
            template_name: &self.template.name,
            row: 0,
            mode: self.mode,
            input: None,
            target: None,
            answer_choices: None,
            loglikelihoods: None,
            gold_index: None,
            pred_index: None,
            pred: None,
            correct: None,
            correct_norm: None,
            completion: None,
            exact_match: None,
            f1: None,
            error: None,
        };
        match entry {
            Entry::Skipped {
                row,
                reason,
                input,
                target,
                choices,
            } => {
                record.row = *row;
                record.input = input.as_deref();
                record.target = target.as_deref();
                record.answer_choices = choices.as_deref().filter(|c| !c.is_empty());
                record.error = Some(reason);
            }
            Entry::Job(job_index) => {
                let job = &self.jobs[*job_index];
                let result = result.expect("a job's line is written with its result");
                record.row = job.row;
                record.input = Some(&job.input);
                record.target = Some(&job.target);
                record.error = result.error.as_deref();
                if self.mode == Mode::Rank {
                    record.answer_choices = Some(&job.choices);
                    record.gold_index = job.gold;
                    if result.error.is_none() {
                        record.loglikelihoods = result.loglikelihoods.as_deref();
                        record.pred_index = result.pred_index;
                        record.pred = result.pred_index.map(|index| job.choices[index].as_str());
                        record.correct =
                            Some(result.pred_index.is_some() && result.pred_index == job.gold);
                        record.correct_norm = Some(
                            result.pred_norm_index.is_some() && result.pred_norm_index == job.gold,
                        );
                    }
                } else {
                    record.answer_choices = Some(job.choices.as_slice()).filter(|c| !c.is_empty());
                    record.completion = result.completion.as_deref();
                    record.exact_match = result.exact_match;
                    record.f1 = result.f1;
                }
            }
        }
        let mut line = serde_json::to_vec(&record)?;
        line.push(b'\n');
        Ok(line)
    }
}
