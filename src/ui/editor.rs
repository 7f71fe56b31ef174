//! The template editor (highlighted, with line numbers and the error
//! marker) and the metadata form.

use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{ellipsize, one_line, scroll_into_view, Ui};
use crate::app::{languages, App, MetaField};

pub fn draw(ui: &Ui, frame: &mut Frame, area: Rect, app: &App, focused: bool) {
    let error = app.template_error();
    let mut block = ui.block(" Template ", focused);
    if let Some(error) = error {
        let location = match (error.line, error.column) {
            (Some(line), Some(column)) => format!(" ✖ {line}:{column} "),
            (Some(line), None) => format!(" ✖ line {line} "),
            _ => " ✖ ".to_owned(),
        };
        block = block.title_bottom(Line::styled(
            format!("{location}{} ", one_line(&error.message)),
            ui.style("editor.error"),
        ));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if app.current.is_none() {
        frame.render_widget(
            Paragraph::new(
                "No prompt open: pick one in the catalog, or press n there to create one.",
            )
            .style(ui.style("ui.dim")),
            inner,
        );
        return;
    }
    let buffer = &app.editor;
    let lines = buffer.lines();
    let cursor = buffer.cursor();
    let gutter = lines.len().to_string().len() + 1;
    let text_width = (inner.width as usize).saturating_sub(gutter + 1).max(1);
    let height = inner.height as usize;
    let top = scroll_into_view(&buffer.scroll, cursor.line, height);
    // Long lines scroll sideways so the cursor column stays visible.
    let left = cursor.column.saturating_sub(text_width - 1);
    let tokens = ui.highlighter.highlight(lines);
    let error_at = error.and_then(|e| {
        Some((
            e.line?.checked_sub(1)?,
            e.column.unwrap_or(1).saturating_sub(1),
        ))
    });
    let mut out = Vec::with_capacity(height);
    for (index, line) in lines.iter().enumerate().skip(top).take(height) {
        let number_style = if index == cursor.line {
            ui.style("editor.line_number.current")
        } else if error_at.is_some_and(|(l, _)| l == index) {
            ui.style("editor.error")
        } else {
            ui.style("editor.line_number")
        };
        let mut spans = vec![
            Span::styled(
                format!("{:>width$} ", index + 1, width = gutter - 1),
                number_style,
            ),
            Span::raw(" "),
        ];
        let error_column = error_at.filter(|(l, _)| *l == index).map(|(_, c)| c);
        spans.extend(styled_line(
            ui,
            line,
            &tokens[index],
            left,
            text_width,
            error_column,
        ));
        out.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(out), inner);
    if focused && app.overlay == crate::app::Overlay::None {
        let x = inner.x + (gutter + 1 + cursor.column - left) as u16;
        let y = inner.y + (cursor.line - top) as u16;
        frame.set_cursor_position(Position { x, y });
    }
}

/// The visible part of one line, styled by its tokens; the character at the
/// error column (or the end of the line) gets the error style.
fn styled_line(
    ui: &Ui,
    line: &str,
    tokens: &[super::highlight::Token],
    left: usize,
    width: usize,
    error_column: Option<usize>,
) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut column = 0;
    for (range, class) in tokens {
        let style = ui.style(class.theme_key());
        for c in line[range.clone()].chars() {
            if column >= left && column < left + width {
                let style = if Some(column) == error_column {
                    ui.style("editor.error")
                } else {
                    style
                };
                push_char(&mut spans, c, style);
            }
            column += 1;
        }
    }
    if let Some(error) = error_column {
        if error >= column && error >= left && error < left + width {
            spans.push(Span::styled(" ", ui.style("editor.error")));
        }
    }
    spans
}

fn push_char(spans: &mut Vec<Span<'static>>, c: char, style: Style) {
    let c = if c == '\t' { ' ' } else { c };
    if let Some(last) = spans.last_mut() {
        if last.style == style {
            last.content.to_mut().push(c);
            return;
        }
    }
    spans.push(Span::styled(c.to_string(), style));
}

/// The metadata form: one line per field.
pub fn draw_metadata(ui: &Ui, frame: &mut Frame, area: Rect, app: &App, focused: bool) {
    let block = ui.block(" Metadata ", focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(template) = app.current_template() else {
        return;
    };
    let label_width = 18;
    let value_width = (inner.width as usize).saturating_sub(label_width + 1);
    let flag = |value: Option<bool>| match value {
        Some(true) => "yes".to_owned(),
        Some(false) => "no".to_owned(),
        None => "unset".to_owned(),
    };
    let language_names: Vec<String> = template
        .metadata
        .languages
        .iter()
        .map(|code| match languages().find(|(c, _)| c == code) {
            Some((_, name)) => format!("{code} ({name})"),
            None => format!("{code} (not ISO 639-1)"),
        })
        .collect();
    let mut lines = Vec::new();
    for (index, field) in MetaField::ALL.iter().enumerate() {
        let value = match field {
            MetaField::Name => template.name.to_string(),
            MetaField::Reference => template.reference.to_string(),
            MetaField::AnswerChoices => template
                .answer_choices
                .as_deref()
                .unwrap_or("none")
                .to_owned(),
            MetaField::OriginalTask => flag(template.metadata.original_task),
            MetaField::ChoicesInPrompt => flag(template.metadata.choices_in_prompt),
            MetaField::Metrics => template.metadata.metrics.join(", "),
            MetaField::Languages => language_names.join(", "),
        };
        let line = Line::from(vec![
            Span::styled(
                format!("{:<label_width$} ", field.label()),
                ui.style("preview.field"),
            ),
            Span::styled(
                ellipsize(&one_line(&value), value_width),
                ui.style("preview.value"),
            ),
        ]);
        lines.push(if focused && index == app.meta_field {
            line.patch_style(ui.style("ui.selection"))
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
