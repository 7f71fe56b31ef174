//! The checks' findings under the template editor, and which variables to
//! mark in it.

use ratatui::text::Line;

use super::{ellipsize, one_line, Ui};
use crate::app::App;

/// At most this many rows of the editor go to findings.
const MOST_ROWS: usize = 3;

/// The findings to show under a template `width` cells wide in a pane
/// `height` rows high: none when the pane is too small to spare rows.
pub fn lines(ui: &Ui, app: &App, width: usize, height: usize) -> Vec<Line<'static>> {
    let messages = app.checks.messages(app.current_template());
    if messages.is_empty() || height < 6 {
        return Vec::new();
    }
    let room = MOST_ROWS.min(height / 3).max(1);
    let shown = if messages.len() > room {
        room - 1
    } else {
        room
    };
    let mut lines: Vec<Line> = messages
        .iter()
        .take(shown)
        .map(|message| {
            Line::styled(
                ellipsize(&format!("⚠ {}", one_line(message)), width),
                ui.style("editor.warning"),
            )
        })
        .collect();
    if messages.len() > shown {
        lines.push(Line::styled(
            format!("⚠ … and {} more", messages.len() - shown),
            ui.style("editor.warning"),
        ));
    }
    lines
}

/// Whether the editor should mark this variable as not being a column.
pub fn is_unknown(app: &App, name: &str) -> bool {
    app.checks.unknown.iter().any(|u| u.name == name)
}
