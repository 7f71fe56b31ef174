//! The model in the loop, drawn: the header's model segment, the preview's
//! model section (answer choices with their log-likelihoods as bars, the
//! pick and the target marked; or the streamed completion with exact match
//! and F1), and the batch view's evaluation pane.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Wrap};
use ratatui::Frame;

use super::{ellipsize, one_line, Ui};
use crate::app::model_state::{BatchEval, ModelStatus, PreviousSource, RowEval};
use crate::app::{Action, App, Context};
use crate::model::job::Prepared;
use crate::model::run::Mode;
use crate::model::summary::Summary;

/// Characters of the widest bar.
const BAR: usize = 20;

/// ` │ model NAME · state` for the header; none until the configuration is read.
pub fn title_segment(ui: &Ui, app: &App) -> Option<Span<'static>> {
    let model = &app.model;
    if model.status == ModelStatus::Unconfigured {
        return None;
    }
    let name = model
        .model
        .clone()
        .or_else(|| model.endpoint.clone())
        .unwrap_or_default();
    let style = if model.status.is_problem() {
        ui.style("status.error")
    } else {
        ui.style("status")
    };
    let auto = if model.auto { " · auto" } else { "" };
    Some(Span::styled(
        format!("  │  model {name} · {}{auto}", model.status.label()),
        style,
    ))
}

/// The first key bound to `action` (the focused context's, else a global one).
fn key_of(app: &App, context: Context, action: Action) -> String {
    [context, Context::Global]
        .iter()
        .flat_map(|context| app.keymap.bindings_of(*context))
        .find(|(bound, _)| *bound == action)
        .and_then(|(_, keys)| keys.first().map(|key| key.to_string()))
        .unwrap_or_else(|| action.name().to_string())
}

/// The preview's model section, when the model ran (or runs) on this row.
pub fn section_lines(ui: &Ui, app: &App, lines: &mut Vec<Line<'static>>) {
    let Some(row) = &app.model.row else {
        return;
    };
    let model = app.model.model.as_deref().unwrap_or("model");
    lines.push(Line::default());
    lines.push(Line::styled(
        format!("Model · {model} ({})", row.mode),
        ui.style("preview.label"),
    ));
    let job = match &row.prepared {
        Prepared::Job(job) => job,
        Prepared::Skipped { reason, .. } => {
            lines.push(Line::styled(
                format!("not sent: {reason}"),
                ui.style("ui.warning"),
            ));
            return;
        }
    };
    if let Some(failure) = &row.failure {
        lines.push(Line::styled(failure.clone(), ui.style("preview.error")));
        return;
    }
    if let Some(error) = row.result.as_ref().and_then(|r| r.error.as_ref()) {
        lines.push(Line::styled(
            format!("request failed: {error}"),
            ui.style("preview.error"),
        ));
        return;
    }
    match row.mode {
        Mode::Rank => rank_lines(ui, row, job, lines),
        Mode::Generate => generate_lines(ui, row, lines),
    }
}

fn rank_lines(
    ui: &Ui,
    row: &RowEval,
    job: &crate::model::run::Job,
    lines: &mut Vec<Line<'static>>,
) {
    let Some(result) = &row.result else {
        lines.push(Line::styled(
            format!("scoring {} answer choices…", job.choices.len()),
            ui.style("ui.dim"),
        ));
        return;
    };
    let Some(scores) = &result.loglikelihoods else {
        return;
    };
    // Each choice's share of the probability mass among the choices: the
    // bar a reader compares at a glance.
    let best = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = scores.iter().map(|score| (score - best).exp()).sum();
    let width = job
        .choices
        .iter()
        .map(|choice| choice.chars().count())
        .max()
        .unwrap_or(0)
        .min(28);
    for (index, (choice, score)) in job.choices.iter().zip(scores).enumerate() {
        let picked = result.pred_index == Some(index);
        let gold = job.gold == Some(index);
        let share = if total > 0.0 {
            (score - best).exp() / total
        } else {
            0.0
        };
        let filled = (share * BAR as f64).round() as usize;
        let style = match (picked, gold) {
            (true, true) => ui.style("preview.choice.target"),
            (true, false) => ui.style("preview.error"),
            _ => ui.style("preview.choice"),
        };
        lines.push(Line::from(vec![
            Span::styled(if picked { "▶" } else { " " }, style),
            Span::styled(if gold { "● " } else { "○ " }, style),
            Span::styled(
                format!("{:<width$} ", ellipsize(&one_line(choice), width)),
                style,
            ),
            Span::styled(format!("{score:>9.3} "), ui.style("ui.dim")),
            Span::styled("█".repeat(filled), style),
            Span::styled("·".repeat(BAR - filled.min(BAR)), ui.style("ui.dim")),
        ]));
    }
    let verdict = if result.pred_index == job.gold {
        Line::styled(
            "▶ the model's pick is the target",
            ui.style("preview.choice.target"),
        )
    } else {
        Line::styled(
            "▶ the model's pick is not the target (●)",
            ui.style("preview.error"),
        )
    };
    lines.push(verdict);
}

fn generate_lines(ui: &Ui, row: &RowEval, lines: &mut Vec<Line<'static>>) {
    let text = row
        .result
        .as_ref()
        .and_then(|result| result.completion.clone())
        .unwrap_or_else(|| row.streamed.clone());
    for line in text.split('\n') {
        lines.push(Line::styled(
            super::visible(line),
            ui.style("preview.target"),
        ));
    }
    match &row.result {
        None => lines.push(Line::styled("generating…", ui.style("ui.dim"))),
        Some(result) => lines.push(Line::styled(
            format!(
                "exact match {} · F1 {:.2}",
                result.exact_match.unwrap_or(0.0),
                result.f1.unwrap_or(0.0)
            ),
            ui.style("preview.label"),
        )),
    }
}

/// A mark before a row of the batch page that the model got wrong.
pub fn wrong_mark(app: &App, row: usize) -> bool {
    app.model
        .batch
        .as_ref()
        .is_some_and(|batch| batch.wrong.iter().any(|wrong| wrong.row == row))
}

/// The batch view's evaluation pane.
pub fn draw_batch_eval(ui: &Ui, frame: &mut Frame, area: Rect, app: &App) {
    let Some(batch) = &app.model.batch else {
        return;
    };
    let model = app.model.model.as_deref().unwrap_or("model");
    let block = ui.block(
        format!(
            " Model · {model} · {} · first {} rows of {} ",
            batch.mode, batch.rows, batch.split
        ),
        false,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [gauge, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    let (done, total) = batch.progress();
    let ratio = if total == 0 {
        1.0
    } else {
        done as f64 / total as f64
    };
    let label = if batch.finished {
        format!("{total} rows")
    } else if batch.jobs.is_empty() && batch.tally.skipped == 0 {
        "rendering…".to_owned()
    } else {
        format!("{done}/{total} rows")
    };
    frame.render_widget(
        Gauge::default()
            .ratio(ratio.clamp(0.0, 1.0))
            .label(label)
            .gauge_style(ui.style("chart.progress")),
        gauge,
    );
    frame.render_widget(
        Paragraph::new(batch_lines(ui, app, batch)).wrap(Wrap { trim: false }),
        body,
    );
}

fn batch_lines(ui: &Ui, app: &App, batch: &BatchEval) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(failure) = &batch.failure {
        lines.push(Line::styled(failure.clone(), ui.style("preview.error")));
    }
    let summary = batch.summary();
    let names: &[&str] = match batch.mode {
        Mode::Rank => &["acc", "acc_norm"],
        Mode::Generate => &["exact_match", "f1"],
    };
    let mut spans = Vec::new();
    for name in names {
        spans.push(Span::styled(
            metric_text(
                name,
                &summary,
                batch.previous.as_ref().filter(|_| batch.finished),
            ),
            ui.style("preview.label"),
        ));
        spans.push(Span::raw("   "));
    }
    lines.push(Line::from(spans));
    lines.push(Line::styled(
        format!(
            "scored {} · skipped {} · errors {}{}",
            summary.scored,
            summary.skipped,
            summary.errors,
            match batch.previous_source {
                Some(PreviousSource::Session) => " · (change) since the previous text",
                Some(PreviousSource::SavedInCache) => {
                    " · (change) since the saved text (answers from the cache)"
                }
                None => "",
            }
        ),
        ui.style("ui.dim"),
    ));
    if batch.wrong.is_empty() {
        if batch.finished && batch.failure.is_none() {
            lines.push(Line::styled(
                "No row wrong",
                ui.style("preview.choice.target"),
            ));
        }
        return lines;
    }
    let next = key_of(app, Context::Batch, Action::NextWrongRow);
    let open = key_of(app, Context::Batch, Action::Select);
    lines.push(Line::styled(
        format!(
            "Wrong ({}): {next} selects the next, {open} opens it in the preview",
            batch.wrong.len()
        ),
        ui.style("preview.label"),
    ));
    let selected = app.batch.offset + app.batch.selected;
    for wrong in &batch.wrong {
        let mut line = Line::from(vec![
            Span::styled(format!("{:>6} ", wrong.row), ui.style("ui.dim")),
            Span::styled(one_line(&wrong.answer), ui.style("preview.error")),
            Span::styled("  ≠  ", ui.style("ui.dim")),
            Span::styled(one_line(&wrong.target), ui.style("preview.target")),
        ]);
        if wrong.row == selected {
            line = line.patch_style(ui.style("ui.selection"));
        }
        lines.push(line);
    }
    lines
}

/// `acc 0.71 ± 0.05 (+0.06)`.
fn metric_text(name: &str, summary: &Summary, previous: Option<&Summary>) -> String {
    let Some(value) = summary.metric(name) else {
        return format!("{name} –");
    };
    let mut text = format!("{name} {value:.2}");
    if let Some(stderr) = summary.metric(&format!("{name}_stderr")) {
        text.push_str(&format!(" ± {stderr:.2}"));
    }
    if let Some(before) = previous.and_then(|previous| previous.metric(name)) {
        text.push_str(&format!(" ({:+.2})", value - before));
    }
    text
}
