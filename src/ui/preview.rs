//! The preview: the current row's rendered input, target and answer
//! choices (row-value spans highlighted), or the error; and the raw row.

use std::ops::Range;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{value, visible, Ui};
use crate::app::{App, FewshotPrompt, PreviewError, PreviewResult, Rendered};

pub fn draw(ui: &Ui, frame: &mut Frame, area: Rect, app: &App, focused: bool, include_row: bool) {
    let preview = &app.preview;
    let mut title = " Preview ".to_owned();
    if let Some(result) = &preview.result {
        title = format!(
            " Preview · {:.1} ms ",
            result.elapsed.as_secs_f64() * 1000.0
        );
    }
    if let Some(chat_title) = super::chat_view::title(app) {
        title = chat_title;
    }
    if preview.shots > 0 {
        title.push_str(&format!("· few-shot {} ", preview.shots));
    }
    if preview.pending() && app.current.is_some() {
        title.push_str("⋯ ");
    }
    let block = ui.block(title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = Vec::new();
    match (&app.current, &preview.result) {
        (None, Some(result)) if app.browsing.is_some() => {
            lines.push(Line::styled(
                "This dataset has no prompts yet: n in the catalog creates the first.",
                ui.style("ui.dim"),
            ));
            if let (true, Some(row)) = (include_row, &result.row) {
                lines.push(Line::default());
                lines.push(Line::styled(row_heading(app), ui.style("preview.label")));
                row_lines(ui, row, result, app.preview.expanded, &mut lines);
            }
        }
        (None, _) => lines.push(Line::styled("No prompt open.", ui.style("ui.dim"))),
        (Some(_), None) => lines.push(Line::styled("Rendering…", ui.style("ui.dim"))),
        (Some(_), Some(result)) => {
            super::chat_view::counts_lines(ui, app, result, &mut lines);
            if app.chat.view && result.outcome.is_ok() {
                super::chat_view::chat_lines(ui, app, result, &mut lines);
            } else {
                outcome_lines(ui, result, app, &mut lines);
            }
            super::model::section_lines(ui, app, &mut lines);
            if include_row {
                if let Some(row) = &result.row {
                    lines.push(Line::default());
                    lines.push(Line::styled(row_heading(app), ui.style("preview.label")));
                    row_lines(ui, row, result, app.preview.expanded, &mut lines);
                }
            }
        }
    }
    let scroll = preview.scroll.get().min(lines.len().saturating_sub(1));
    preview.scroll.set(scroll);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll as u16, 0)),
        inner,
    );
}

/// The raw row in its own pane (wide layout).
pub fn draw_row_pane(ui: &Ui, frame: &mut Frame, area: Rect, app: &App) {
    let mut lines = Vec::new();
    if let Some(result) = &app.preview.result {
        if let Some(row) = &result.row {
            row_lines(ui, row, result, app.preview.expanded, &mut lines);
        }
    }
    let height = area.height.saturating_sub(2) as usize;
    let scroll = app
        .preview
        .row_scroll
        .get()
        .min(lines.len().saturating_sub(height.max(1)));
    app.preview.row_scroll.set(scroll);
    let mut block = ui.block(format!(" {} ", row_heading(app)), false);
    if lines.len() > height {
        let shown = format!(
            " fields {}-{} of {} · PgUp/PgDn in the preview ",
            scroll + 1,
            (scroll + height).min(lines.len()),
            lines.len()
        );
        block = block.title_bottom(Line::styled(shown, ui.style("ui.dim")));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll as u16, 0)),
        inner,
    );
}

fn row_heading(app: &App) -> String {
    let preview = &app.preview;
    let split = preview.current_split().map_or("-", |s| s.name.as_str());
    match preview.row_count {
        Some(count) if preview.counting => {
            format!("Row {} · {count}+ rows, counting… · {split}", preview.row)
        }
        Some(count) => format!("Row {} · {count} rows · {split}", preview.row),
        None => format!("Row {} · {split}", preview.row),
    }
}

fn outcome_lines(ui: &Ui, result: &PreviewResult, app: &App, lines: &mut Vec<Line<'static>>) {
    match &result.outcome {
        Ok(rendered) => {
            if let Some(fewshot) = &result.fewshot {
                fewshot_lines(ui, fewshot, lines);
            }
            let cuts = super::truncation::row_has_cut_values(result.row.as_ref());
            rendered_lines(ui, rendered, cuts, lines)
        }
        Err(PreviewError::Template(diagnostic)) => {
            lines.push(Line::styled(
                "The template does not compile",
                ui.style("preview.error"),
            ));
            lines.push(Line::styled(
                diagnostic.to_string(),
                ui.style("preview.error"),
            ));
            if let Some(source) = diagnostic
                .line
                .and_then(|l| app.editor.lines().get(l.wrapping_sub(1)))
            {
                lines.push(Line::default());
                lines.push(Line::styled(visible(source), ui.style("jinja.text")));
                if let Some(column) = diagnostic.column {
                    lines.push(Line::styled(
                        format!("{}^", " ".repeat(column.saturating_sub(1))),
                        ui.style("preview.error"),
                    ));
                }
            }
        }
        Err(PreviewError::Render(diagnostic)) => {
            lines.push(Line::styled("Error on this row", ui.style("preview.error")));
            lines.push(Line::styled(
                diagnostic.to_string(),
                ui.style("preview.error"),
            ));
        }
        Err(PreviewError::Data(message)) => {
            lines.push(Line::styled(message.clone(), ui.style("ui.warning")))
        }
    }
}

/// The assembled few-shot prompt, headed by its demonstrations' row
/// numbers; the row's own parts follow it.
fn fewshot_lines(ui: &Ui, fewshot: &FewshotPrompt, lines: &mut Vec<Line<'static>>) {
    let rows: Vec<String> = fewshot
        .demonstrations
        .iter()
        .map(|demo| demo.row.to_string())
        .collect();
    let heading = match rows.len() {
        0 => format!("Few-shot prompt (K={}: no usable rows)", fewshot.shots),
        found => format!(
            "Few-shot prompt (K={}: {found} demonstrations, rows {})",
            fewshot.shots,
            rows.join(", ")
        ),
    };
    lines.push(Line::styled(heading, ui.style("preview.label")));
    if let Some(prompt) = &fewshot.prompt {
        text_lines(
            prompt,
            &[],
            ui.style("preview.input"),
            ui.style("preview.span"),
            (false, ui.style("ui.warning")),
            lines,
        );
    }
    lines.push(Line::default());
    lines.push(Line::styled("This row's parts", ui.style("ui.dim")));
}

fn rendered_lines(ui: &Ui, rendered: &Rendered, mark_cuts: bool, lines: &mut Vec<Line<'static>>) {
    if rendered.parts.iter().all(String::is_empty) {
        // PromptSource's own words for an empty render.
        lines.push(Line::styled("∅∅∅ Blank result", ui.style("preview.blank")));
    } else {
        for (index, part) in rendered.parts.iter().enumerate() {
            let (label, style) = match index {
                0 => ("Input".to_owned(), ui.style("preview.input")),
                1 if rendered.parts.len() == 2 => ("Target".to_owned(), ui.style("preview.target")),
                n => (format!("Target {n}"), ui.style("preview.target")),
            };
            lines.push(Line::styled(label, ui.style("preview.label")));
            if part.is_empty() {
                lines.push(Line::styled("(empty)", ui.style("preview.blank")));
            } else {
                let spans = rendered.spans.get(index).map_or(&[][..], Vec::as_slice);
                let cut = (mark_cuts, ui.style("ui.warning"));
                text_lines(part, spans, style, ui.style("preview.span"), cut, lines);
            }
        }
        if rendered.parts.len() == 1 {
            lines.push(Line::styled("Target", ui.style("preview.label")));
            lines.push(Line::styled(
                "(no target: the template has no |||)",
                ui.style("preview.blank"),
            ));
        }
    }
    if let Some(choices) = &rendered.answer_choices {
        lines.push(Line::styled(
            format!("Answer choices ({})", choices.len()),
            ui.style("preview.label"),
        ));
        let target = rendered.parts.get(1);
        for choice in choices {
            let is_target = Some(choice) == target;
            let (mark, style) = if is_target {
                ("● ", ui.style("preview.choice.target"))
            } else {
                ("○ ", ui.style("preview.choice"))
            };
            lines.push(Line::from(vec![
                Span::styled(mark, style),
                Span::styled(choice.clone(), style),
            ]));
        }
        if target.is_some_and(|t| !choices.contains(t)) {
            lines.push(Line::styled(
                "the target is not one of the choices",
                ui.style("ui.warning"),
            ));
        }
    }
}

/// Splits text into lines, styling the byte ranges that came from row values.
fn text_lines(
    text: &str,
    spans: &[Range<usize>],
    base: Style,
    highlight: Style,
    (mark_cuts, cut_style): (bool, Style),
    lines: &mut Vec<Line<'static>>,
) {
    // Where truncation cut an output: the end of its span gets a mark.
    let cut_ends: Vec<usize> = spans
        .iter()
        .filter(|span| {
            mark_cuts
                && text
                    .get((*span).clone())
                    .is_some_and(super::truncation::was_cut)
        })
        .map(|span| span.end)
        .collect();
    let mut offset = 0;
    for line in text.split('\n') {
        let end = offset + line.len();
        let mut pieces = Vec::new();
        let mut at = offset;
        for span in spans.iter().filter(|s| s.start < end && s.end > offset) {
            let start = span.start.max(at);
            let stop = span.end.min(end);
            if start > at && text.is_char_boundary(start) {
                pieces.push(Span::styled(visible(&text[at..start]), base));
                at = start;
            }
            if stop > at && text.is_char_boundary(stop) {
                pieces.push(Span::styled(visible(&text[at..stop]), highlight));
                at = stop;
                if cut_ends.contains(&stop) {
                    pieces.push(Span::styled(super::truncation::MARK, cut_style));
                }
            }
        }
        if at < end {
            pieces.push(Span::styled(visible(&text[at..end]), base));
        }
        lines.push(Line::from(pieces));
        offset = end + 1;
    }
}

/// `name: value`, with a multi-line value continuing on lines of its own.
pub fn field_lines(ui: &Ui, name: &str, shown: &str, lines: &mut Vec<Line<'static>>) {
    let mut text_lines = shown.split('\n');
    let first = text_lines.next().unwrap_or_default();
    lines.push(Line::from(vec![
        Span::styled(format!("{name}: "), ui.style("preview.field")),
        Span::styled(visible(first), ui.style("preview.value")),
    ]));
    for more in text_lines {
        lines.push(Line::styled(visible(more), ui.style("preview.value")));
    }
}

/// Every field of the row: ClassLabel names beside their ints, long text
/// wrapped by the paragraph, containers collapsed unless expanded.
fn row_lines(
    ui: &Ui,
    row: &crate::core::datum::Row,
    result: &PreviewResult,
    expanded: bool,
    lines: &mut Vec<Line<'static>>,
) {
    for (name, datum) in &row.fields {
        let collapsed = if expanded {
            None
        } else {
            value::summary(datum)
        };
        let shown = collapsed
            .unwrap_or_else(|| value::display(datum, value::feature_of(&result.features, name)));
        // Before the value: a long value would push a note after it out of view.
        if super::truncation::will_cut(datum) {
            lines.push(Line::styled(
                format!(
                    "✂ {name}: prompts get its first 2048 characters (PromptSource's truncation)"
                ),
                ui.style("ui.warning"),
            ));
        }
        field_lines(ui, name, &shown, lines);
    }
    if !expanded && row.fields.iter().any(|(_, d)| value::summary(d).is_some()) {
        lines.push(Line::styled(
            "(space in the preview expands nested values)",
            ui.style("ui.dim"),
        ));
    }
}
