//! The prompted dataset: every prompt of the dataset on the current row,
//! one under the other (PromptSource's "Prompted dataset viewer").

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{visible, Ui};
use crate::app::{file_title, App};

pub fn draw(ui: &Ui, frame: &mut Frame, area: Rect, app: &App) {
    let dataset = app.current_file().map_or("?".to_owned(), file_title);
    let split = app.preview.current_split().map_or("-", |s| s.name.as_str());
    let title = format!(
        " Prompted dataset · {dataset} · {split} row {} · ctrl-n/ctrl-p rows · q closes ",
        app.preview.row
    );
    let block = ui.block(title, true);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = Vec::new();
    match &app.prompted.result {
        None => lines.push(Line::styled("Rendering…", ui.style("ui.dim"))),
        Some(result) => match &result.outcomes {
            Err(message) => lines.push(Line::styled(message.clone(), ui.style("ui.warning"))),
            Ok(outcomes) => {
                for (name, outcome) in outcomes {
                    lines.push(Line::styled(name.clone(), ui.style("preview.label")));
                    match outcome {
                        Err(error) => {
                            lines.push(Line::styled(error.to_string(), ui.style("preview.error")))
                        }
                        Ok(rendered) => {
                            for line in rendered.parts.first().map_or("", String::as_str).lines() {
                                lines.push(Line::styled(visible(line), ui.style("preview.input")));
                            }
                            for target in rendered.parts.iter().skip(1) {
                                lines.push(Line::styled(
                                    format!("→ {}", visible(target)),
                                    ui.style("preview.target"),
                                ));
                            }
                        }
                    }
                    lines.push(Line::default());
                }
            }
        },
    }
    let scroll = app.prompted.scroll.min(lines.len().saturating_sub(1));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll as u16, 0)),
        inner,
    );
}
