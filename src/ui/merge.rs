//! The merge dialog: a prompt changed both here and on disk, its two
//! versions side by side, and what the merge combined on its own.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::{visible, Ui};
use crate::app::merge::Merge;
use crate::app::{file_title, App, Confirm};
use crate::core::template::Template;

pub fn draw(ui: &Ui, frame: &mut Frame, area: Rect, app: &App, confirm: &Confirm) {
    let Confirm::OutsideChange { file, merge } = confirm else {
        return;
    };
    let Some(conflict) = merge.pending() else {
        return;
    };
    let rect = Rect {
        x: area.x + 2.min(area.width / 8),
        y: area.y + 1.min(area.height / 8),
        width: area.width.saturating_sub(4).min(150),
        height: area.height.saturating_sub(2),
    };
    frame.render_widget(Clear, rect);
    let title = app
        .catalog
        .files
        .get(*file)
        .map_or("?".to_owned(), file_title);
    let block = super::overlay::dialog_block(ui, format!(" Changed on disk: {title} "));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);

    let position = merge.choices.len() + 1;
    let mut heading = vec![Line::raw(
        "This file changed on disk while you have unsaved edits here.",
    )];
    heading.push(Line::raw(combined_line(merge)));
    let mut asked = vec![Span::styled(
        format!(
            "Changed on both sides ({position} of {}): `{}`",
            merge.conflicts.len(),
            conflict.name()
        ),
        ui.style("ui.warning"),
    )];
    let others = conflict.other_differences();
    if !others.is_empty() {
        asked.push(Span::raw(format!("; also differ: {}", others.join(", "))));
    }
    heading.push(Line::from(asked));
    // Word wrapping may take a row more than the cells need; one spare row.
    let width = inner.width.max(1) as usize;
    let rows: usize = heading
        .iter()
        .map(|l| l.width().div_ceil(width).max(1))
        .sum();
    let heading_height = (rows as u16 + 1).min(inner.height / 2);
    let heading = Paragraph::new(heading).wrap(Wrap { trim: true });
    let [top, sides, hint] = Layout::vertical([
        Constraint::Length(heading_height),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(heading, top);
    let [mine, theirs] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(sides);
    side(
        ui,
        frame,
        mine,
        " Mine (m) ",
        conflict.mine.as_ref(),
        "deleted here",
    );
    side(
        ui,
        frame,
        theirs,
        " Theirs, on disk (t) ",
        conflict.theirs.as_ref(),
        "deleted on disk",
    );
    frame.render_widget(
        Paragraph::new(Line::styled(confirm.hint(), ui.style("ui.warning"))),
        hint,
    );
}

fn combined_line(merge: &Merge) -> String {
    let summary = merge.summary();
    if summary.is_empty() {
        "Nothing else differs.".to_owned()
    } else {
        format!("Combined on their own: {summary}.")
    }
}

/// One side's version of the prompt: its jinja, and its answer choices
/// when it has some.
fn side(
    ui: &Ui,
    frame: &mut Frame,
    area: Rect,
    title: &str,
    template: Option<&Template>,
    gone: &str,
) {
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(ui.style("dialog.border"))
        .title(Line::styled(title.to_owned(), ui.style("ui.title")));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let inner = Rect {
        width: inner.width.saturating_sub(1),
        ..inner
    };
    let lines: Vec<Line> = match template {
        None => vec![Line::styled(format!("({gone})"), ui.style("ui.dim"))],
        Some(template) => {
            let mut lines: Vec<Line> = template
                .jinja
                .lines()
                .map(|line| Line::raw(visible(line)))
                .collect();
            if let Some(choices) = &template.answer_choices {
                lines.push(Line::default());
                lines.push(Line::styled(
                    format!("answer choices: {}", visible(choices)),
                    ui.style("ui.dim"),
                ));
            }
            lines
        }
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .style(ui.style("dialog")),
        inner,
    );
}
