//! The batch view (the current prompt over a page of rows, raw beside
//! rendered, with whole-split statistics) and the catalog statistics.

use std::collections::BTreeMap;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Gauge, Paragraph, Wrap};
use ratatui::Frame;

use super::{ellipsize, one_line, scroll_into_view, value, Ui};
use crate::app::stats::SplitStats;
use crate::app::{file_title, App, PreviewError, BATCH_PAGE};

pub fn draw_batch(ui: &Ui, frame: &mut Frame, area: Rect, app: &App) {
    let wide = area.width >= super::WIDE;
    let (list_area, detail_area, stats_area) = if wide {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
                .areas(area);
        let [detail, stats] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(16)]).areas(right);
        (left, detail, stats)
    } else {
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
        let [detail, stats] =
            Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
                .areas(bottom);
        (top, detail, stats)
    };
    let list_area = if app.model.batch.is_some() {
        let [list, eval] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(list_area);
        super::model::draw_batch_eval(ui, frame, eval, app);
        list
    } else {
        list_area
    };
    let [stats_area, distribution_area] = if wide {
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
            .areas(stats_area)
    } else {
        Layout::vertical([Constraint::Fill(1), Constraint::Percentage(45)]).areas(stats_area)
    };
    draw_page(ui, frame, list_area, app);
    draw_detail(ui, frame, detail_area, app);
    draw_stats(ui, frame, stats_area, app);
    draw_distribution(ui, frame, distribution_area, app);
}

/// At most this many targets are listed one by one; the rest is "other".
const TOP_TARGETS: usize = 10;

/// How the split's rendered targets (and its ClassLabel column's classes)
/// are spread: PromptSource's label distribution, over the whole split.
fn draw_distribution(ui: &Ui, frame: &mut Frame, area: Rect, app: &App) {
    let block = ui.block(" Targets ", false);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(stats) = &app.batch.stats else {
        return;
    };
    let height = inner.height as usize;
    let label_lines = stats.labels.as_ref().map_or(0, |l| l.names.len() + 2);
    // Targets first; the class list gets what is left, each at least 3 rows.
    let shown = height
        .saturating_sub(2 + label_lines.min(height / 2))
        .clamp(3, TOP_TARGETS);
    let (top, other) = stats.top_targets(shown);
    let counted: usize = top.iter().map(|(_, n)| n).sum::<usize>() + other;
    let width = inner.width as usize;
    // name, count (7), share (5), bar (the rest, at least 4).
    let name_width = (width / 2).clamp(6, 28);
    let bar_width = width.saturating_sub(name_width + 14).max(1);
    let line = |name: &str, n: usize, total: usize| {
        let share = if total == 0 {
            0.0
        } else {
            n as f64 / total as f64
        };
        Line::from(vec![
            Span::styled(
                format!("{:<name_width$}", ellipsize(&one_line(name), name_width)),
                ui.style("preview.field"),
            ),
            Span::styled(
                format!(" {n:>6} {:>4.0}% ", share * 100.0),
                ui.style("preview.value"),
            ),
            Span::styled(
                "▇".repeat((share * bar_width as f64).round() as usize),
                ui.style("chart.bar"),
            ),
        ])
    };
    let mut lines = Vec::new();
    if top.is_empty() {
        lines.push(Line::styled("no targets", ui.style("ui.dim")));
    }
    for (target, n) in &top {
        let name = if target.is_empty() { "(empty)" } else { target };
        lines.push(line(name, *n, counted));
    }
    if other > 0 {
        lines.push(line("(other)", other, counted));
    }
    if let Some(labels) = &stats.labels {
        lines.push(Line::styled(
            format!("{} (ClassLabel)", labels.column),
            ui.style("preview.label"),
        ));
        let total = labels.counts.iter().sum::<usize>() + labels.other;
        for (name, n) in labels.names.iter().zip(&labels.counts) {
            lines.push(line(name, *n, total));
        }
        if labels.other > 0 {
            lines.push(line("(no class)", labels.other, total));
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_page(ui: &Ui, frame: &mut Frame, area: Rect, app: &App) {
    let batch = &app.batch;
    let name = app.current_template().map_or("", |t| &*t.name);
    let end = batch.row_count.map_or(batch.offset + BATCH_PAGE, |c| {
        c.min(batch.offset + BATCH_PAGE)
    });
    let of = batch.row_count.map_or("?".to_owned(), |c| c.to_string());
    let block = ui.block(
        format!(
            " Batch · {name} · rows {}–{} of {of} ",
            batch.offset,
            end.saturating_sub(1)
        ),
        app.batch.focused,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let mut lines = Vec::new();
    match &batch.rows {
        None => lines.push(Line::styled("Rendering…", ui.style("ui.dim"))),
        Some(Err(PreviewError::Data(message))) => {
            lines.push(Line::styled(message.clone(), ui.style("ui.warning")))
        }
        Some(Err(error)) => lines.push(Line::styled(
            format!("{error:?}"),
            ui.style("preview.error"),
        )),
        Some(Ok(rows)) => {
            let height = inner.height as usize;
            let scroll =
                std::cell::Cell::new(batch.selected.saturating_sub(height.saturating_sub(1)));
            let top = scroll_into_view(&scroll, batch.selected, height);
            for (index, row) in rows.iter().enumerate().skip(top).take(height) {
                let wrong = super::model::wrong_mark(app, row.index);
                let number = format!("{:>6}{}", row.index, if wrong { "✗" } else { " " });
                let text = match &row.outcome {
                    Ok(rendered) if rendered.parts.iter().all(String::is_empty) => {
                        "∅∅∅ Blank result".to_owned()
                    }
                    Ok(rendered) => {
                        let target = rendered
                            .parts
                            .get(1)
                            .map_or(String::new(), |t| format!("  → {}", one_line(t)));
                        format!("{}{target}", one_line(&rendered.parts[0]))
                    }
                    Err(error) => format!("✖ {error}"),
                };
                let style = match &row.outcome {
                    Err(_) => ui.style("preview.error"),
                    Ok(_) => ui.style("preview.input"),
                };
                let mut line = Line::from(vec![
                    Span::styled(number, ui.style("ui.dim")),
                    Span::styled(ellipsize(&text, width.saturating_sub(7)), style),
                ]);
                if index == batch.selected {
                    line = line.patch_style(ui.style("ui.selection"));
                }
                lines.push(line);
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The selected row: raw fields beside the rendered prompt.
fn draw_detail(ui: &Ui, frame: &mut Frame, area: Rect, app: &App) {
    let Some(Ok(rows)) = &app.batch.rows else {
        frame.render_widget(ui.block(" Row ", false), area);
        return;
    };
    let Some(row) = rows.get(app.batch.selected) else {
        frame.render_widget(ui.block(" Row ", false), area);
        return;
    };
    let [raw, rendered] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let raw_block = ui.block(format!(" Row {} ", row.index), false);
    let raw_inner = raw_block.inner(raw);
    frame.render_widget(raw_block, raw);
    let mut raw_lines = Vec::new();
    for (name, datum) in &row.row.fields {
        let shown = value::display(datum, value::feature_of(&app.batch.features, name));
        super::preview::field_lines(ui, name, &shown, &mut raw_lines);
    }
    frame.render_widget(
        Paragraph::new(raw_lines).wrap(Wrap { trim: false }),
        raw_inner,
    );
    let block = ui.block(" Rendered ", false);
    let inner = block.inner(rendered);
    frame.render_widget(block, rendered);
    let mut lines = Vec::new();
    match &row.outcome {
        Ok(result) if result.parts.iter().all(String::is_empty) => {
            lines.push(Line::styled("∅∅∅ Blank result", ui.style("preview.blank")))
        }
        Ok(result) => {
            for (index, part) in result.parts.iter().enumerate() {
                let (label, style) = if index == 0 {
                    ("Input", "preview.input")
                } else {
                    ("Target", "preview.target")
                };
                lines.push(Line::styled(label, ui.style("preview.label")));
                lines.extend(
                    part.split('\n')
                        .map(|l| Line::styled(super::visible(l), ui.style(style))),
                );
            }
            if let Some(choices) = &result.answer_choices {
                lines.push(Line::styled("Answer choices", ui.style("preview.label")));
                lines.push(Line::styled(
                    choices.join(" | "),
                    ui.style("preview.choice"),
                ));
            }
        }
        Err(error) => lines.push(Line::styled(error.to_string(), ui.style("preview.error"))),
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn draw_stats(ui: &Ui, frame: &mut Frame, area: Rect, app: &App) {
    let block = ui.block(" Whole split ", false);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(stats) = &app.batch.stats else {
        frame.render_widget(Paragraph::new("Counting…").style(ui.style("ui.dim")), inner);
        return;
    };
    let [gauge, counts, chart] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(6),
        Constraint::Fill(1),
    ])
    .areas(inner);
    let ratio = if stats.total == 0 {
        1.0
    } else {
        stats.done as f64 / stats.total as f64
    };
    let label = if stats.finished {
        format!("{} rows", stats.total)
    } else {
        format!("{}/{} rows", stats.done, stats.total)
    };
    frame.render_widget(
        Gauge::default()
            .ratio(ratio.clamp(0.0, 1.0))
            .label(label)
            .gauge_style(ui.style("chart.progress")),
        gauge,
    );
    frame.render_widget(
        Paragraph::new(count_lines(ui, stats)).wrap(Wrap { trim: true }),
        counts,
    );
    let chart = match &stats.tokens {
        Some(tokens) => {
            let [characters, tokens_area] =
                Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(chart);
            super::chat_view::token_histogram(ui, frame, tokens_area, tokens);
            characters
        }
        None => chart,
    };
    let bars: Vec<Bar> = stats
        .histogram
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            Bar::default()
                .value(n as u64)
                .label(Line::raw(SplitStats::bucket_label(i)))
                .text_value(n.to_string())
        })
        .collect();
    let count = stats.histogram.len() as u16;
    // Gaps only when there is room for them; the labels need 3 columns.
    let gap = u16::from(chart.width >= count * 4 - 1);
    let bar_width = ((chart.width + gap) / count)
        .saturating_sub(gap)
        .clamp(1, 7);
    frame.render_widget(
        BarChart::default()
            .data(BarGroup::default().bars(&bars))
            .bar_width(bar_width)
            .bar_gap(gap)
            .bar_style(ui.style("chart.bar"))
            .block(ratatui::widgets::Block::new().title(Line::styled(
                "input length (characters, up to)",
                ui.style("ui.dim"),
            ))),
        chart,
    );
}

fn count_lines(ui: &Ui, stats: &SplitStats) -> Vec<Line<'static>> {
    let count = |label: &str, n: usize| {
        let style = if n > 0 {
            ui.style("ui.warning")
        } else {
            ui.style("preview.value")
        };
        Line::from(vec![
            Span::styled(format!("{label:<26}"), ui.style("preview.field")),
            Span::styled(n.to_string(), style),
        ])
    };
    let mut lines = vec![
        count("errors", stats.errors),
        count("blank outputs", stats.blank),
        count("empty targets", stats.empty_targets),
        count("targets not among choices", stats.target_not_in_choices),
    ];
    if let Some((row, message)) = &stats.first_error {
        lines.push(Line::styled(
            format!("first error, row {}: {}", row, one_line(message)),
            ui.style("preview.error"),
        ));
    }
    lines
}

/// PromptSource's helicopter view: the catalog in numbers.
pub fn draw_catalog_stats(ui: &Ui, frame: &mut Frame, area: Rect, app: &App) {
    let block = ui.block(" Catalog statistics ", true);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let files = &app.catalog.files;
    let templates = files.iter().flat_map(|f| f.templates.templates.iter());
    let prompts = templates.clone().count();
    let original = templates
        .clone()
        .filter(|t| t.metadata.original_task == Some(true))
        .count();
    let datasets: std::collections::BTreeSet<&str> =
        files.iter().map(|f| f.templates.dataset.as_str()).collect();
    let mut metrics: BTreeMap<&str, usize> = BTreeMap::new();
    let mut languages: BTreeMap<&str, usize> = BTreeMap::new();
    for template in templates {
        for metric in &template.metadata.metrics {
            *metrics.entry(metric).or_default() += 1;
        }
        for language in &template.metadata.languages {
            *languages.entry(language).or_default() += 1;
        }
    }
    let label = |text: &str| Span::styled(format!("{text:<28}"), ui.style("preview.field"));
    let value = |text: String| Span::styled(text, ui.style("preview.value"));
    let joined = |map: &BTreeMap<&str, usize>| {
        let mut entries: Vec<_> = map.iter().collect();
        entries.sort_by_key(|(name, n)| (std::cmp::Reverse(**n), **name));
        entries
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // The other columns take 45 and the bar about 10: the name gets the rest.
    let name = (inner.width as usize).saturating_sub(56).clamp(12, 40);
    let mut lines = vec![
        Line::from(vec![label("datasets"), value(datasets.len().to_string())]),
        Line::from(vec![
            label("dataset/subset files"),
            value(files.len().to_string()),
        ]),
        Line::from(vec![label("prompts"), value(prompts.to_string())]),
        Line::from(vec![
            label("original-task prompts"),
            value(original.to_string()),
        ]),
        Line::from(vec![label("metrics"), value(joined(&metrics))]),
        Line::from(vec![label("languages"), value(joined(&languages))]),
        Line::default(),
        Line::styled(
            format!(
                "{:<name$} {:>8} {:>9}  {:<12} {:>10}",
                "dataset/subset", "prompts", "original", "split", "rows"
            ),
            ui.style("preview.label"),
        ),
    ];
    let sizes = &app.split_sizes.sizes;
    let largest = sizes
        .iter()
        .filter_map(|(_, _, r)| r.as_ref().ok().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    for file in files {
        let title = file_title(file);
        let count = file.templates.templates.len();
        let original = file
            .templates
            .templates
            .iter()
            .filter(|t| t.metadata.original_task == Some(true))
            .count();
        let splits: Vec<_> = sizes.iter().filter(|(t, _, _)| *t == title).collect();
        let head = format!(
            "{:<name$} {:>8} {:>9}",
            ellipsize(&title, name),
            count,
            original
        );
        if splits.is_empty() {
            lines.push(Line::from(vec![
                value(head.clone()),
                Span::styled("  no rows found", ui.style("ui.dim")),
            ]));
        }
        for (i, (_, split, rows)) in splits.iter().enumerate() {
            let first = if i == 0 {
                head.clone()
            } else {
                " ".repeat(head.chars().count())
            };
            let (rows_text, bar) = match rows {
                // Log scale, as PromptSource's chart of training sizes.
                Ok(n) => (
                    n.to_string(),
                    "▇".repeat(
                        ((*n as f64 + 1.0).ln() / (largest as f64 + 1.0).ln() * 20.0).round()
                            as usize,
                    ),
                ),
                Err(error) => (format!("error: {error}"), String::new()),
            };
            lines.push(Line::from(vec![
                value(format!(
                    "{first}  {:<12} {:>10} ",
                    ellipsize(split, 12),
                    rows_text
                )),
                Span::styled(bar, ui.style("chart.bar")),
            ]));
        }
    }
    if app.split_sizes.requested && sizes.is_empty() && !files.is_empty() {
        lines.push(Line::styled("counting rows…", ui.style("ui.dim")));
    }
    let problems = &app.catalog.problems;
    if !problems.is_empty() {
        lines.push(Line::default());
        lines.push(Line::styled(
            format!("{} templates file(s) could not be read", problems.len()),
            ui.style("preview.error"),
        ));
        for problem in problems {
            lines.push(Line::styled(
                format!(
                    "{}: {}",
                    problem.path.display(),
                    one_line(&crate::app::backend::located_message(problem))
                ),
                ui.style("preview.error"),
            ));
        }
    }
    let scroll = app.split_sizes.scroll.min(lines.len().saturating_sub(1));
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), inner);
}
