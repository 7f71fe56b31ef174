//! The dataset card view: the split's columns with their features, then
//! the card (README.md) as text.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{visible, Ui};
use crate::app::card::card_body;
use crate::app::App;

pub fn draw(ui: &Ui, frame: &mut Frame, area: Rect, app: &App) {
    let dataset = app
        .current_file()
        .or_else(|| app.browsing.and_then(|file| app.catalog.files.get(file)));
    let title = dataset.map_or("?".to_owned(), crate::app::file_title);
    let block = ui.block(format!(" Dataset card · {title} · q closes "), true);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = vec![Line::styled("Features", ui.style("preview.label"))];
    if let Some(result) = &app.preview.result {
        let columns: Vec<&str> = match &result.row {
            Some(row) => row.column_names().collect(),
            None => result
                .features
                .iter()
                .map(|(name, _)| name.as_str())
                .collect(),
        };
        for column in columns {
            let feature = result
                .features
                .iter()
                .find(|(name, _)| name == column)
                .map_or("(no feature declared)".to_owned(), |(_, f)| f.describe());
            lines.push(Line::from(vec![
                Span::styled(format!("{column}: "), ui.style("preview.field")),
                Span::styled(feature, ui.style("preview.value")),
            ]));
        }
    }
    lines.push(Line::default());
    match &app.card.text {
        None => lines.push(Line::styled("Reading the card…", ui.style("ui.dim"))),
        Some(Err(message)) => lines.push(Line::styled(message.clone(), ui.style("ui.dim"))),
        Some(Ok((path, text))) => {
            lines.push(Line::styled(
                format!("Card: {}", path.display()),
                ui.style("preview.label"),
            ));
            lines.extend(card_body(text).lines().map(|l| Line::raw(visible(l))));
        }
    }
    let scroll = app.card.scroll.min(lines.len().saturating_sub(1));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll as u16, 0)),
        inner,
    );
}
