//! Progress of an export: a bar with rows/s and ETA on a terminal, a plain
//! line every few seconds otherwise (logs of cluster jobs), or nothing.

use std::io::Write;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Seconds between two plain progress lines.
const LINE_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    Bar,
    Lines,
    Quiet,
}

impl ProgressMode {
    /// A bar when stderr is a terminal, plain lines otherwise.
    pub fn detect(quiet: bool) -> ProgressMode {
        use std::io::IsTerminal;
        if quiet {
            ProgressMode::Quiet
        } else if std::io::stderr().is_terminal() {
            ProgressMode::Bar
        } else {
            ProgressMode::Lines
        }
    }
}

/// Reports the renders of one split at a time, on stderr.
pub struct Progress {
    mode: ProgressMode,
    bar: Option<ProgressBar>,
    label: String,
    /// What is counted: "renders" for export, "rows" for eval.
    unit: &'static str,
    total: u64,
    done: u64,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    pub fn new(mode: ProgressMode) -> Progress {
        Progress {
            mode,
            bar: None,
            label: String::new(),
            unit: "renders",
            total: 0,
            done: 0,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    /// Counts `unit` instead of renders.
    pub fn counting(mut self, unit: &'static str) -> Progress {
        self.unit = unit;
        self
    }

    /// Starts a split of `total` units (for export, rows × templates).
    pub fn start(&mut self, label: &str, total: u64) {
        self.label = label.to_string();
        self.total = total;
        self.done = 0;
        self.started = Instant::now();
        self.last_line = self.started;
        match self.mode {
            ProgressMode::Bar => {
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                let style = ProgressStyle::with_template(&format!(
                    "{{msg}} [{{bar:30}}] {{human_pos}}/{{human_len}} {} {{per_sec}} ETA {{eta}}",
                    self.unit
                ))
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
                bar.set_style(style);
                bar.set_message(label.to_string());
                self.bar = Some(bar);
            }
            ProgressMode::Lines => self.line(&format!("{label}: {total} {} to do", self.unit)),
            ProgressMode::Quiet => {}
        }
    }

    pub fn advance(&mut self, renders: u64) {
        self.done += renders;
        match self.mode {
            ProgressMode::Bar => {
                if let Some(bar) = &self.bar {
                    bar.inc(renders);
                }
            }
            ProgressMode::Lines if self.last_line.elapsed() >= LINE_INTERVAL => {
                self.last_line = Instant::now();
                let elapsed = self.started.elapsed().as_secs_f64().max(1e-9);
                let rate = self.done as f64 / elapsed;
                let remaining = self.total.saturating_sub(self.done) as f64 / rate.max(1e-9);
                let percent = 100.0 * self.done as f64 / (self.total.max(1) as f64);
                self.line(&format!(
                    "{}: {}/{} {} ({percent:.0}%), {rate:.0}/s, ETA {remaining:.0}s",
                    self.label, self.done, self.total, self.unit
                ));
            }
            _ => {}
        }
    }

    /// Ends the split with a one-line summary.
    pub fn finish(&mut self, summary: &str) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if self.mode != ProgressMode::Quiet {
            self.line(summary);
        }
    }

    /// A message that is not progress (a skipped output, a warning).
    pub fn note(&mut self, message: &str) {
        if self.mode != ProgressMode::Quiet {
            match &self.bar {
                Some(bar) => bar.println(message),
                None => self.line(message),
            }
        }
    }

    fn line(&self, text: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }
}
