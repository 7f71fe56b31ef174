//! The catalog: templates files and their prompts, narrowed by the filter.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{ellipsize, scroll_into_view, Ui};
use crate::app::{file_title, App, CatalogRow, Selection};

pub fn draw(ui: &Ui, frame: &mut Frame, area: Rect, app: &App, focused: bool) {
    let catalog = &app.catalog;
    let prompts: usize = catalog
        .files
        .iter()
        .map(|f| f.templates.templates.len())
        .sum();
    let title = if catalog.filter.is_empty() {
        format!(
            " Catalog · {prompts} prompt{} ",
            if prompts == 1 { "" } else { "s" }
        )
    } else {
        format!(" Catalog · /{} ", catalog.filter)
    };
    let block = ui.block(title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = catalog.rows();
    let width = inner.width as usize;
    let mut lines = Vec::new();
    if rows.is_empty() {
        let message = if catalog.files.is_empty() {
            "No templates.yaml found in this workspace. Press n to create a prompt once a file exists."
        } else {
            "Nothing matches the filter (esc clears it)."
        };
        // The pane is narrow: the message wraps rather than being cut.
        let message = Paragraph::new(Line::styled(message, ui.style("ui.dim")))
            .wrap(ratatui::widgets::Wrap { trim: true });
        return frame.render_widget(message, inner);
    }
    let height = inner.height as usize;
    let top = scroll_into_view(&catalog.scroll, catalog.selected, height);
    for (index, row) in rows.iter().enumerate().skip(top).take(height) {
        let selected = index == catalog.selected;
        let line = match *row {
            CatalogRow::File { file, shown } => {
                let entry = &catalog.files[file];
                let dirty = if entry.dirty { " ●" } else { "" };
                let count = if shown == entry.templates.templates.len() {
                    format!(" ({shown})")
                } else {
                    format!(" ({shown}/{})", entry.templates.templates.len())
                };
                let name = ellipsize(
                    &file_title(entry),
                    width.saturating_sub(count.len() + dirty.len()),
                );
                Line::from(vec![
                    Span::styled(name, ui.style("catalog.dataset")),
                    Span::styled(count, ui.style("ui.dim")),
                    Span::styled(dirty, ui.style("ui.warning")),
                ])
            }
            CatalogRow::Template { file, template } => {
                let name = &catalog.files[file].templates.templates[template].name;
                let open = app.current == Some(Selection { file, template });
                let marker = if open { "› " } else { "  " };
                Line::from(vec![
                    Span::styled(marker, ui.style("ui.border.focused")),
                    Span::styled(
                        ellipsize(name, width.saturating_sub(2)),
                        ui.style("catalog.prompt"),
                    ),
                ])
            }
        };
        lines.push(if selected {
            let style = if focused {
                ui.style("ui.selection")
            } else {
                ui.style("ui.dim")
                    .add_modifier(ratatui::style::Modifier::REVERSED)
            };
            pad(line, width).patch_style(style)
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Extends a line to the full width so a selection bar covers the row.
fn pad(mut line: Line<'static>, width: usize) -> Line<'static> {
    let used = line.width();
    if used < width {
        line.spans.push(Span::raw(" ".repeat(width - used)));
    }
    line
}
