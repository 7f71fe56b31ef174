//! The template editor (highlighted, with line numbers and the error
//! marker) and the metadata form.

use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{ellipsize, one_line, scroll_into_view, Ui};
use crate::app::wrap::{cells, shown_char, wrap, ScreenRow};
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
    let mut inner = block.inner(area);
    frame.render_widget(block, area);
    let problems = super::checks::lines(ui, app, inner.width as usize, inner.height as usize);
    if !problems.is_empty() {
        let rows = problems.len() as u16;
        inner.height -= rows;
        let below = Rect {
            y: inner.y + inner.height,
            height: rows,
            ..inner
        };
        frame.render_widget(Paragraph::new(problems), below);
    }
    if app.current.is_none() {
        frame.render_widget(
            Paragraph::new(
                "No prompt open: pick one in the catalog, or press n there to create one.",
            )
            .style(ui.style("ui.dim"))
            .wrap(ratatui::widgets::Wrap { trim: true }),
            inner,
        );
        return;
    }
    let buffer = &app.editor;
    let lines = buffer.lines();
    let cursor = buffer.cursor();
    let gutter = lines.len().to_string().len() + 1;
    let text_width = (inner.width as usize).saturating_sub(gutter + 1).max(2);
    let height = inner.height as usize;
    buffer.wrap_width.set(text_width);
    // Long lines wrap (at a space when there is one) into screen rows;
    // scrolling counts screen rows, so the cursor's row stays in view.
    let rows: Vec<ScreenRow> = lines
        .iter()
        .enumerate()
        .flat_map(|(index, line)| wrap(index, line, text_width))
        .collect();
    let cursor_row = rows
        .iter()
        .rposition(|row| row.line == cursor.line && row.columns.start <= cursor.column)
        .unwrap_or(0);
    let top = scroll_into_view(&buffer.scroll, cursor_row, height);
    let tokens = ui.highlighter.highlight(lines);
    let error_at = error.and_then(|e| {
        Some((
            e.line?.checked_sub(1)?,
            e.column.unwrap_or(1).saturating_sub(1),
        ))
    });
    let mut out = Vec::with_capacity(height);
    for row in rows.iter().skip(top).take(height) {
        let index = row.line;
        let line = &lines[index];
        let number_style = if index == cursor.line {
            ui.style("editor.line_number.current")
        } else if error_at.is_some_and(|(l, _)| l == index) {
            ui.style("editor.error")
        } else {
            ui.style("editor.line_number")
        };
        let number = if row.columns.start == 0 {
            format!("{:>width$} ", index + 1, width = gutter - 1)
        } else {
            " ".repeat(gutter)
        };
        let mut spans = vec![Span::styled(number, number_style), Span::raw(" ")];
        let marks = Marks {
            error_column: error_at.filter(|(l, _)| *l == index).map(|(_, c)| c),
            matches: search_matches(line, &app.search),
            selected: buffer.selection().and_then(|(start, end)| {
                if index < start.line || index > end.line {
                    return None;
                }
                let from = if index == start.line { start.column } else { 0 };
                // A selected line break shows as one selected cell.
                let to = if index == end.line {
                    end.column
                } else {
                    usize::MAX
                };
                Some(from..to)
            }),
        };
        spans.extend(styled_line(ui, app, line, &tokens[index], row, &marks));
        out.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(out), inner);
    if focused && app.overlay == crate::app::Overlay::None && cursor_row >= top {
        let row = &rows[cursor_row];
        let before = lines[cursor.line]
            .chars()
            .skip(row.columns.start)
            .take(cursor.column - row.columns.start);
        let x = inner.x + (gutter + 1 + cells(before).min(text_width - 1)) as u16;
        let y = inner.y + (cursor_row - top) as u16;
        frame.set_cursor_position(Position { x, y });
    }
}

/// What to mark on a line besides its highlighting (columns in characters).
struct Marks {
    error_column: Option<usize>,
    /// Column ranges matching the search.
    matches: Vec<std::ops::Range<usize>>,
    /// The selected columns of this line (to `usize::MAX`: its end too).
    selected: Option<std::ops::Range<usize>>,
}

/// Where `needle` occurs in `line`, case-insensitively, in character columns.
fn search_matches(line: &str, needle: &str) -> Vec<std::ops::Range<usize>> {
    let fold = |c: char| c.to_lowercase().next().unwrap_or(c);
    let needle: Vec<char> = needle.chars().map(fold).collect();
    if needle.is_empty() {
        return Vec::new();
    }
    let chars: Vec<char> = line.chars().map(fold).collect();
    let mut found = Vec::new();
    let mut start = 0;
    while start + needle.len() <= chars.len() {
        if chars[start..start + needle.len()] == needle[..] {
            found.push(start..start + needle.len());
            start += needle.len();
        } else {
            start += 1;
        }
    }
    found
}

/// The visible part of one line, styled by its tokens; search matches get
/// the search style, and the character at the error column (or the end of
/// the line) the error style.
fn styled_line(
    ui: &Ui,
    app: &App,
    line: &str,
    tokens: &[super::highlight::Token],
    row: &ScreenRow,
    marks: &Marks,
) -> Vec<Span<'static>> {
    let error_column = marks.error_column;
    let mut spans = Vec::new();
    let mut column = 0;
    for (range, class) in tokens {
        let mut style = ui.style(class.theme_key());
        if *class == super::highlight::Class::Variable
            && super::checks::is_unknown(app, &line[range.clone()])
        {
            style = style.patch(ui.style("editor.warning"));
        }
        for c in line[range.clone()].chars() {
            if row.columns.contains(&column) {
                let style = if Some(column) == error_column {
                    ui.style("editor.error")
                } else if marks.selected.as_ref().is_some_and(|s| s.contains(&column)) {
                    style.patch(ui.style("editor.selection"))
                } else if marks.matches.iter().any(|m| m.contains(&column)) {
                    style.patch(ui.style("editor.search"))
                } else {
                    style
                };
                push_char(&mut spans, shown_char(c), style);
            }
            column += 1;
        }
    }
    if row.last {
        // Past the end of the line: an error there, or a selected line break.
        if error_column.is_some_and(|error| error >= column) {
            spans.push(Span::styled(" ", ui.style("editor.error")));
        } else if marks.selected.as_ref().is_some_and(|s| s.end > column) {
            spans.push(Span::styled(" ", ui.style("editor.selection")));
        }
    }
    spans
}

fn push_char(spans: &mut Vec<Span<'static>>, c: char, style: Style) {
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

#[cfg(test)]
mod tests {
    use super::search_matches;

    #[test]
    fn search_matches_are_case_insensitive_and_do_not_overlap() {
        assert_eq!(
            search_matches("Label {{ label }} lab", "LAB"),
            vec![0..3, 9..12, 18..21]
        );
        assert_eq!(search_matches("aaaa", "aa"), vec![0..2, 2..4]);
        assert!(search_matches("text", "").is_empty());
        assert!(search_matches("é", "ée").is_empty());
    }
}
