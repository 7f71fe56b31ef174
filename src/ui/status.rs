//! The title line (where you are) and the status line (a notice, or the key
//! hints of the focused pane, generated from the keymap).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::Ui;
use crate::app::{file_title, Action, App, Context, Overlay};

pub fn draw_title(ui: &Ui, frame: &mut Frame, area: Rect, app: &App) {
    let style = ui.style("status");
    // (priority, span): on a narrow terminal whole segments go, least
    // important first, rather than the line being cut mid-word.
    let mut segments = vec![(9, Span::styled(" promptstudio ", ui.style("status.key")))];
    if let Some(path) = &app.workspace_path {
        segments.push((4, Span::styled(format!(" {} ", shown_path(path)), style)));
    }
    if let Some(file) = app.current_file() {
        segments.push((7, Span::styled(format!(" {}", file_title(file)), style)));
        if file.dirty {
            segments.push((8, Span::styled(" ● modified", ui.style("status.dirty"))));
        }
    }
    if let Some(template) = app.current_template() {
        segments.push((6, Span::styled(format!("  ›  {}", template.name), style)));
    }
    let preview = &app.preview;
    if let Some(split) = preview.current_split() {
        segments.push((
            5,
            Span::styled(format!("  │  {} row {}", split.name, preview.row), style),
        ));
        if let Some(count) = preview.row_count {
            let text = if preview.counting {
                format!(" · {count}+ rows, counting…")
            } else {
                format!(" · {count} rows")
            };
            segments.push((2, Span::styled(text, style)));
        }
        segments.push((
            1,
            Span::styled(format!("  │  seed {}", preview.seed), style),
        ));
    }
    if app.mouse {
        segments.push((3, Span::styled("  │  mouse", style)));
    }
    if let Some(model) = super::model::title_segment(ui, app) {
        // A server that cannot be used matters more than where the row is.
        let priority = if app.model.status.is_problem() { 6 } else { 4 };
        segments.push((priority, model));
    }
    let spans = fit_by_priority(segments, area.width as usize);
    frame.render_widget(Paragraph::new(Line::from(spans)).style(style), area);
}

/// A path with the home folder written `~`.
pub fn shown_path(path: &std::path::Path) -> String {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    match home
        .as_deref()
        .and_then(|home| path.strip_prefix(home).ok())
    {
        Some(rest) if !rest.as_os_str().is_empty() => format!("~/{}", rest.display()),
        _ => path.display().to_string(),
    }
}

/// Drops the lowest-priority segments (the later one first among equals)
/// until the rest fit in `width`; keeps their order.
fn fit_by_priority(mut segments: Vec<(u8, Span<'static>)>, width: usize) -> Vec<Span<'static>> {
    let used = |segments: &[(u8, Span)]| segments.iter().map(|(_, s)| s.width()).sum::<usize>();
    while segments.len() > 1 && used(&segments) > width {
        let lowest = segments
            .iter()
            .enumerate()
            .rev()
            .min_by_key(|(_, (priority, _))| *priority)
            .map(|(index, _)| index)
            .unwrap_or(0);
        segments.remove(lowest);
    }
    segments.into_iter().map(|(_, span)| span).collect()
}

pub fn draw_status(ui: &Ui, frame: &mut Frame, area: Rect, app: &App) {
    if let Some(notice) = &app.notice {
        let style = if notice.is_error {
            ui.style("status.error")
        } else {
            ui.style("status.notice")
        };
        frame.render_widget(
            Paragraph::new(format!(" {}", super::one_line(&notice.text))).style(style),
            area,
        );
        return;
    }
    let hints = hints(app);
    let mut spans = Vec::new();
    let mut used = 0;
    for (key, label) in hints {
        let width = key.chars().count() + label.chars().count() + 3;
        if used + width > area.width as usize {
            break;
        }
        used += width;
        spans.push(Span::styled(format!(" {key}"), ui.style("status.key")));
        spans.push(Span::styled(format!(" {label} "), ui.style("status")));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(ui.style("status")),
        area,
    );
}

/// (key, short label) pairs: the context's own bindings first, then the
/// global ones that matter most. Confirmations show their own choices.
pub fn hints(app: &App) -> Vec<(String, String)> {
    if let Overlay::Confirm(_) = app.overlay {
        return Vec::new();
    }
    let context = app.context();
    let mut hints: Vec<(String, String)> = Vec::new();
    let mut seen = Vec::new();
    let mut add = |action: Action, keys: &[crate::app::KeyChord]| {
        if seen.contains(&action) || keys.is_empty() {
            return;
        }
        seen.push(action);
        let keys: Vec<String> = keys.iter().take(2).map(|k| k.to_string()).collect();
        hints.push((keys.join("/"), short(action)));
    };
    let global_first = !matches!(context, Context::Prompt | Context::Picker | Context::Help);
    if global_first {
        let global = app.keymap.bindings_of(Context::Global);
        for wanted in [Action::Help, Action::Save] {
            if let Some((_, keys)) = global.iter().find(|(a, _)| *a == wanted) {
                let keys: Vec<_> = keys
                    .iter()
                    .copied()
                    .filter(|k| !(context.takes_text() && k.text().is_some()))
                    .collect();
                add(wanted, &keys);
            }
        }
    }
    for (action, keys) in app.keymap.bindings_of(context) {
        if is_hint_worthy(context, action) {
            add(action, &keys);
        }
    }
    if global_first {
        let global = app.keymap.bindings_of(Context::Global);
        for wanted in [
            Action::Help,
            Action::Save,
            Action::FocusNext,
            Action::BatchView,
            Action::Quit,
        ] {
            if let Some((_, keys)) = global.iter().find(|(a, _)| *a == wanted) {
                let keys: Vec<_> = keys
                    .iter()
                    .copied()
                    .filter(|k| !(context.takes_text() && k.text().is_some()))
                    .collect();
                add(wanted, &keys);
            }
        }
    }
    hints
}

/// Movement and selection keys are obvious (and in the help); the hints
/// show what is not, and leave room for `tab` (which does not indent).
fn is_hint_worthy(context: Context, action: Action) -> bool {
    let movement = action.is_motion()
        || action.is_selection()
        || matches!(
            action,
            Action::Backspace | Action::Delete | Action::Newline | Action::PasteRegister
        );
    !movement || matches!(context, Context::Help)
}

/// The action's keymap name in words (`next_row` -> `next row`): short
/// enough for the status line, and the same words a keymap file uses.
pub fn short(action: Action) -> String {
    action.name().replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_titles_drop_whole_segments_least_important_first() {
        let segments = || {
            vec![
                (9, Span::raw("[app]")),
                (1, Span::raw("[seed]")),
                (5, Span::raw("[row]")),
                (1, Span::raw("[late]")),
            ]
        };
        let text = |spans: Vec<Span>| {
            spans
                .iter()
                .map(|s| s.content.to_string())
                .collect::<String>()
        };
        assert_eq!(
            text(fit_by_priority(segments(), 100)),
            "[app][seed][row][late]"
        );
        assert_eq!(text(fit_by_priority(segments(), 16)), "[app][seed][row]");
        assert_eq!(text(fit_by_priority(segments(), 12)), "[app][row]");
        assert_eq!(text(fit_by_priority(segments(), 3)), "[app]");
    }
}
