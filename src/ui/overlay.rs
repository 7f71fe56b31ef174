//! Overlays drawn over the screen: help (generated from the keymap),
//! confirmations, one-line prompts and the multi-select picker.

use ratatui::layout::{Constraint, Flex, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::{ellipsize, Ui};
use crate::app::{file_title, Action, App, Confirm, Context, Overlay, Picker, PromptInput};

pub fn draw(ui: &Ui, frame: &mut Frame, area: Rect, app: &App) {
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => help(ui, frame, area, app, *scroll),
        Overlay::Confirm(confirm) => confirm_dialog(ui, frame, area, app, confirm),
        Overlay::Prompt(input) => prompt(ui, frame, area, input),
        Overlay::Picker(picker) => picker_dialog(ui, frame, area, picker),
        Overlay::ModelPicker(picker) => super::chat_view::model_picker(ui, frame, area, picker),
    }
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [column] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(column);
    rect
}

pub(super) fn dialog_block<'a>(ui: &Ui, title: impl Into<Line<'a>>) -> Block<'a> {
    Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(ui.style("dialog.border"))
        .title(title.into().style(ui.style("dialog.border")))
        .style(ui.style("dialog"))
}

/// The help lines: every context's bindings, with every key bound.
/// The help's lines for a dialog `width` cells wide: descriptions too long
/// for the space beside their keys wrap onto indented lines, never cut.
pub fn help_lines(ui: &Ui, app: &App, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for &context in Context::ALL {
        let bindings = app.keymap.bindings_of(context);
        if bindings.is_empty() {
            continue;
        }
        let heading = match context {
            Context::Global => "Everywhere (plain characters type text in the editor)",
            Context::Catalog => "Catalog",
            Context::Editor => "Template editor",
            Context::Metadata => "Metadata form",
            Context::Preview => "Preview",
            Context::Batch => "Batch view",
            Context::Stats => "Catalog statistics",
            Context::Prompted => "Prompted dataset",
            Context::Card => "Dataset card",
            Context::Picker => "Lists to pick from (metrics, languages, models)",
            Context::Prompt => "Text prompts (filter, row, seed, names)",
            Context::Help => "This help",
        };
        let heading = format!("{heading}  [{}]", context.name());
        lines.push(Line::styled(heading, ui.style("preview.label")));
        for (action, keys) in bindings {
            let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            let keys = format!("  {:<22}", keys.join(" "));
            let indent = crate::app::wrap::cells(keys.chars());
            let description = action.description();
            let rows = crate::app::wrap::wrap(0, description, width.saturating_sub(indent).max(8));
            let chars: Vec<char> = description.chars().collect();
            for (index, row) in rows.iter().enumerate() {
                let text: String = chars[row.columns.clone()].iter().collect();
                let lead = if index == 0 {
                    keys.clone()
                } else {
                    " ".repeat(indent)
                };
                lines.push(Line::from(vec![
                    Span::styled(
                        lead,
                        ui.style("status.key")
                            .bg(ui.style("dialog").bg.unwrap_or_default()),
                    ),
                    Span::styled(text.trim_end().to_owned(), ui.style("dialog")),
                ]));
            }
        }
        lines.push(Line::default());
    }
    lines.push(Line::styled(
        format!(
            "Keys come from assets/keymap.toml and {}.",
            crate::app::keymap::user_keymap_path()
                .map_or("the XDG config folder".to_owned(), |p| p
                    .display()
                    .to_string())
        ),
        ui.style("ui.dim"),
    ));
    lines
}

fn help(ui: &Ui, frame: &mut Frame, area: Rect, app: &App, scroll: usize) {
    let rect = centered(
        area,
        area.width.saturating_sub(4).min(90),
        area.height.saturating_sub(2),
    );
    frame.render_widget(Clear, rect);
    let close = app
        .keymap
        .key_for(Context::Help, Action::Cancel)
        .map_or("esc".to_owned(), |k| k.to_string());
    let block = dialog_block(ui, " Help ").title_bottom(Line::styled(
        format!(" {close} closes · ↑↓ scroll "),
        ui.style("dialog.border"),
    ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let lines = help_lines(ui, app, inner.width as usize);
    let scroll = scroll.min(lines.len().saturating_sub(inner.height as usize));
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), inner);
}

fn confirm_dialog(ui: &Ui, frame: &mut Frame, area: Rect, app: &App, confirm: &Confirm) {
    if let Confirm::RestoreJournal { prompts, .. } = confirm {
        return restore_dialog(ui, frame, area, confirm, prompts);
    }
    let (title, question) = match confirm {
        Confirm::DeletePrompt { file, template } => {
            let name = app
                .catalog
                .files
                .get(*file)
                .and_then(|f| f.templates.templates.get(*template))
                .map_or("?", |t| &*t.name);
            (
                " Delete prompt ",
                format!("Delete `{name}`? The file changes when you save."),
            )
        }
        Confirm::QuitUnsaved => {
            let dirty: Vec<String> = app
                .catalog
                .files
                .iter()
                .filter(|f| f.dirty)
                .map(file_title)
                .collect();
            (
                " Unsaved changes ",
                format!("Unsaved changes in: {}.", dirty.join(", ")),
            )
        }
        Confirm::OutsideChange { .. } => return super::merge::draw(ui, frame, area, app, confirm),
        Confirm::DeletedOutside { file } => (
            " Deleted on disk ",
            format!(
                "{} was deleted on disk. The studio still has it{}.",
                app.catalog.files.get(*file).map_or("?".to_owned(), |f| f
                    .templates
                    .path
                    .display()
                    .to_string()),
                if app.catalog.files.get(*file).is_some_and(|f| f.dirty) {
                    ", with unsaved edits"
                } else {
                    ""
                }
            ),
        ),
        Confirm::RestoreJournal { .. } => return,
        Confirm::OverwriteChanged { file } => (
            " Not saved ",
            format!(
                "{} changed on disk since it was loaded. Nothing was written.",
                app.catalog.files.get(*file).map_or("?".to_owned(), |f| f
                    .templates
                    .path
                    .display()
                    .to_string())
            ),
        ),
    };
    let width = area.width.saturating_sub(4).min(70);
    let rect = centered(area, width, 7);
    frame.render_widget(Clear, rect);
    let block = dialog_block(ui, title);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let text = vec![
        Line::raw(question),
        Line::default(),
        Line::styled(confirm.hint(), ui.style("ui.warning")),
    ];
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .style(ui.style("dialog")),
        inner,
    );
}

/// The prompts an earlier session left unsaved, one per line.
fn restore_dialog(ui: &Ui, frame: &mut Frame, area: Rect, confirm: &Confirm, prompts: &[String]) {
    let width = area.width.saturating_sub(4).min(70);
    // Borders, the first line, the blank line and the hint: 5 rows.
    let room = area.height.saturating_sub(7) as usize;
    let shown = prompts.len().min(room).max(1);
    let rect = centered(area, width, shown as u16 + 5);
    frame.render_widget(Clear, rect);
    let block = dialog_block(ui, " Unsaved edits from the last session ");
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let mut text = vec![Line::raw(
        "The studio stopped before these edits were saved:",
    )];
    for (index, prompt) in prompts.iter().take(shown).enumerate() {
        let line = if index + 1 == shown && shown < prompts.len() {
            format!("  … and {} more", prompts.len() - index)
        } else {
            format!("  {prompt}")
        };
        text.push(Line::raw(ellipsize(&line, inner.width as usize)));
    }
    text.push(Line::default());
    text.push(Line::styled(confirm.hint(), ui.style("ui.warning")));
    frame.render_widget(Paragraph::new(text).style(ui.style("dialog")), inner);
}

fn prompt(ui: &Ui, frame: &mut Frame, area: Rect, input: &PromptInput) {
    let width = area.width.saturating_sub(4).min(72);
    let height = if input.error.is_some() { 4 } else { 3 };
    // The filter sits at the top so the catalog it narrows stays visible.
    let rect = if input.kind == crate::app::PromptKind::Filter {
        Rect {
            y: area.y + 1,
            ..centered(area, width, height)
        }
    } else {
        centered(area, width, height)
    };
    frame.render_widget(Clear, rect);
    let block = dialog_block(ui, format!(" {} ", input.kind.title())).title_bottom(Line::styled(
        " enter ok · esc cancel ",
        ui.style("dialog.border"),
    ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let visible = inner.width.saturating_sub(1) as usize;
    let left = input.cursor.saturating_sub(visible);
    let shown: String = input.text.chars().skip(left).take(visible).collect();
    let mut lines = vec![Line::raw(shown)];
    if let Some(error) = &input.error {
        lines.push(Line::styled(error.clone(), ui.style("preview.error")));
    }
    frame.render_widget(Paragraph::new(lines).style(ui.style("dialog")), inner);
    frame.set_cursor_position(Position {
        x: inner.x + (input.cursor - left) as u16,
        y: inner.y,
    });
}

fn picker_dialog(ui: &Ui, frame: &mut Frame, area: Rect, picker: &Picker) {
    let rect = centered(
        area,
        area.width.saturating_sub(4).min(56),
        area.height.saturating_sub(4).min(20),
    );
    frame.render_widget(Clear, rect);
    let block = dialog_block(ui, format!(" {} ", picker.field.label())).title_bottom(Line::styled(
        " type to filter · space toggle · enter ok · esc cancel ",
        ui.style("dialog.border"),
    ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let mut lines = vec![Line::from(vec![
        Span::styled("filter: ", ui.style("ui.dim")),
        Span::raw(picker.filter.clone()),
    ])];
    lines.push(Line::styled(
        ellipsize(
            &format!("chosen: {}", picker.chosen.join(", ")),
            inner.width as usize,
        ),
        ui.style("ui.dim"),
    ));
    let visible = picker.visible();
    let height = (inner.height as usize).saturating_sub(2);
    let top = picker.selected.saturating_sub(height.saturating_sub(1));
    for (row, &option) in visible.iter().enumerate().skip(top).take(height) {
        let (value, label) = &picker.options[option];
        let mark = if picker.chosen.contains(value) {
            "[x] "
        } else {
            "[ ] "
        };
        let line = Line::raw(format!("{mark}{label}"));
        lines.push(if row == picker.selected {
            line.style(ui.style("ui.selection"))
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines).style(ui.style("dialog")), inner);
}
