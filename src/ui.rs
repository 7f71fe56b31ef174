//! Widgets that only draw: they read [`App`] and never change it (the
//! scroll memos in the state are `Cell`s the drawing code keeps up to date).

pub mod batch;
pub mod card;
pub mod catalog;
pub mod chat_view;
pub mod checks;
pub mod editor;
pub mod highlight;
pub mod merge;
pub mod model;
pub mod overlay;
pub mod preview;
pub mod prompted;
pub mod status;
pub mod theme;
pub mod truncation;
pub mod value;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::{App, Area, Focus, PaneAreas, View};
pub use theme::{ColorDepth, Theme};

/// Below this the studio shows a message instead of its panes.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// From this width on, the catalog, editor and preview sit side by side.
pub const WIDE: u16 = 120;
/// From this width on, the batch view opens beside the main panes, so
/// edits show in it as they are typed.
pub const BATCH_BESIDE: u16 = 160;

/// What drawing needs besides the state.
pub struct Ui {
    pub theme: Theme,
    pub highlighter: highlight::Highlighter,
}

impl Ui {
    pub fn new(theme: Theme) -> Ui {
        Ui {
            theme,
            highlighter: highlight::Highlighter::default(),
        }
    }

    pub fn style(&self, name: &str) -> Style {
        self.theme.get(name)
    }

    /// A bordered block whose border shows focus.
    pub fn block<'a>(&self, title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
        let border = if focused {
            self.style("ui.border.focused")
        } else {
            self.style("ui.border")
        };
        Block::bordered()
            .border_type(if focused {
                BorderType::Thick
            } else {
                BorderType::Plain
            })
            .border_style(border)
            .title(title.into().style(self.style("ui.title")))
            .style(self.style("ui"))
    }

    /// Draws the whole screen.
    pub fn draw(&self, frame: &mut Frame, app: &App) {
        let area = frame.area();
        frame.render_widget(Block::new().style(self.style("ui")), area);
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let message = format!(
                "promptstudio needs a terminal of at least {MIN_WIDTH}x{MIN_HEIGHT}; this one is {}x{}.",
                area.width, area.height
            );
            frame.render_widget(
                Paragraph::new(message)
                    .style(self.style("ui.warning"))
                    .wrap(Wrap { trim: true }),
                area,
            );
            app.areas.set(PaneAreas::default());
            return;
        }
        let [title, body, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        status::draw_title(self, frame, title, app);
        status::draw_status(self, frame, status, app);
        match app.view {
            View::Main => self.draw_main(frame, body, app),
            View::Batch if body.width >= BATCH_BESIDE => {
                let [main, batch_area] =
                    Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                        .areas(body);
                self.draw_main(frame, main, app);
                batch::draw_batch(self, frame, batch_area, app);
                let mut areas = app.areas.get();
                areas.batch = Some(Area {
                    x: batch_area.x,
                    y: batch_area.y,
                    width: batch_area.width,
                    height: batch_area.height,
                });
                app.areas.set(areas);
            }
            View::Batch => {
                batch::draw_batch(self, frame, body, app);
                app.areas.set(PaneAreas::default());
            }
            View::Stats => batch::draw_catalog_stats(self, frame, body, app),
            View::Prompted => prompted::draw(self, frame, body, app),
            View::Card => card::draw(self, frame, body, app),
        }
        overlay::draw(self, frame, area, app);
    }

    fn draw_main(&self, frame: &mut Frame, body: Rect, app: &App) {
        let mut areas = Panes::default();
        if app.zoomed {
            match app.focus {
                Focus::Catalog => areas.catalog = Some(body),
                Focus::Editor => areas.editor = Some(body),
                Focus::Metadata => areas.metadata = Some(body),
                Focus::Preview => areas.preview = Some(body),
            }
            self.draw_panes(frame, app, areas, None);
            return;
        }
        let wide = body.width >= WIDE;
        let catalog_width = catalog_width(app, body.width);
        let [catalog, rest] =
            Layout::horizontal([Constraint::Length(catalog_width), Constraint::Fill(1)])
                .areas(body);
        areas.catalog = Some(catalog);
        let mut row_pane = None;
        if wide {
            let [middle, right] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(rest);
            let metadata_height = 9.min(middle.height / 2);
            let [editor, metadata] =
                Layout::vertical([Constraint::Fill(1), Constraint::Length(metadata_height)])
                    .areas(middle);
            let [preview, row] =
                Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(right);
            areas.editor = Some(editor);
            areas.metadata = Some(metadata);
            areas.preview = Some(preview);
            row_pane = Some(row);
        } else {
            let [top, bottom] =
                Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)])
                    .areas(rest);
            // At this size the metadata form takes the editor's place while it has focus.
            if app.focus == Focus::Metadata {
                areas.metadata = Some(top);
            } else {
                areas.editor = Some(top);
            }
            areas.preview = Some(bottom);
        }
        self.draw_panes(frame, app, areas, row_pane);
    }

    fn draw_panes(&self, frame: &mut Frame, app: &App, areas: Panes, row_pane: Option<Rect>) {
        let main_has_keys =
            app.view == View::Main || (app.view == View::Batch && !app.batch.focused);
        let focused = |focus: Focus| app.focus == focus && main_has_keys;
        if let Some(area) = areas.catalog {
            catalog::draw(self, frame, area, app, focused(Focus::Catalog));
        }
        if let Some(area) = areas.editor {
            editor::draw(self, frame, area, app, focused(Focus::Editor));
        }
        if let Some(area) = areas.metadata {
            editor::draw_metadata(self, frame, area, app, focused(Focus::Metadata));
        }
        if let Some(area) = areas.preview {
            preview::draw(
                self,
                frame,
                area,
                app,
                focused(Focus::Preview),
                row_pane.is_none(),
            );
        }
        if let Some(area) = row_pane {
            preview::draw_row_pane(self, frame, area, app);
        }
        let to_area = |rect: Option<Rect>| {
            rect.map(|r| Area {
                x: r.x,
                y: r.y,
                width: r.width,
                height: r.height,
            })
        };
        app.areas.set(PaneAreas {
            catalog: to_area(areas.catalog),
            editor: to_area(areas.editor),
            metadata: to_area(areas.metadata),
            preview: to_area(areas.preview),
            row: to_area(row_pane),
            batch: None,
        });
    }
}

/// Where the main view's panes go in this frame.
#[derive(Default)]
struct Panes {
    catalog: Option<Rect>,
    editor: Option<Rect>,
    metadata: Option<Rect>,
    preview: Option<Rect>,
}

/// Cuts a string to `width` characters, marking the cut with `…`.
pub fn ellipsize(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Text made safe to put in a cell: a tab becomes spaces, other control
/// characters (a CR of a CRLF row, an escape) their Unicode pictures, so
/// row values can never move the terminal's cursor or garble the screen.
pub fn visible(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push_str("    "),
            c if (c as u32) < 0x20 => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('�')),
            '\u{7f}' => out.push('␡'),
            c if c.is_control() => out.push('�'),
            c => out.push(c),
        }
    }
    out
}

/// A one-line summary of multi-line text (newlines shown as `⏎`).
pub fn one_line(text: &str) -> String {
    visible(&text.replace("\r\n", "⏎").replace(['\n', '\r'], "⏎"))
}

/// Keeps a list's selected index in view by updating its scroll memo.
/// The catalog's width: enough for its longest name (with the border, the
/// open marker and a file's count), from 24 columns (32 when wide) up to a
/// quarter of the terminal, so wide terminals do not cut names.
fn catalog_width(app: &App, width: u16) -> u16 {
    let least: u16 = if width >= WIDE { 32 } else { 24 };
    let longest = app
        .catalog
        .files
        .iter()
        .flat_map(|file| {
            let title = crate::app::file_title(file).chars().count() + 8;
            let names = file
                .templates
                .templates
                .iter()
                .map(|t| t.name.chars().count() + 4);
            std::iter::once(title).chain(names)
        })
        .max()
        .unwrap_or(0);
    let most = (width / 4).max(least);
    u16::try_from(longest)
        .unwrap_or(u16::MAX)
        .clamp(least, most)
}

pub fn scroll_into_view(scroll: &std::cell::Cell<usize>, selected: usize, height: usize) -> usize {
    let height = height.max(1);
    let mut top = scroll.get();
    if selected < top {
        top = selected;
    } else if selected >= top + height {
        top = selected + 1 - height;
    }
    scroll.set(top);
    top
}

pub fn label_span<'a>(ui: &Ui, text: &'a str) -> Span<'a> {
    Span::styled(text, ui.style("preview.label"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(visible("plain"), "plain");
        assert_eq!(visible("a\tb\r\x1b[2J"), "a    b␍␛[2J");
        assert_eq!(one_line("a\r\nb\nc"), "a⏎b⏎c");
        assert_eq!(ellipsize("abcdef", 4), "abc…");
    }
}
