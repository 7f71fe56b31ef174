//! Mouse clicks select what is under them: a catalog row, a metadata
//! field, a place in the template (the click's focus change is
//! [`App::click`]'s).

use crate::app::editor::Cursor;
use crate::app::state::*;
use crate::app::wrap::{wrap, ScreenRow};
use crate::app::App;

impl App {
    pub(super) fn select_clicked(&mut self, column: u16, row: u16) {
        if self.overlay != Overlay::None || !self.main_has_keys() {
            return;
        }
        let areas = self.areas.get();
        // Inside the pane's border.
        let inside = |area: Option<Area>| {
            let area = area?;
            let (x, y) = (
                column.checked_sub(area.x + 1)?,
                row.checked_sub(area.y + 1)?,
            );
            (x + 2 <= area.width && y + 2 <= area.height).then_some((x as usize, y as usize))
        };
        if let Some((_, y)) = inside(areas.catalog) {
            let index = self.catalog.scroll.get() + y;
            if index < self.catalog.rows().len() {
                self.select_catalog_row(index);
            }
        } else if let Some((_, y)) = inside(areas.metadata) {
            if y < MetaField::ALL.len() {
                self.meta_field = y;
            }
        } else if let Some((x, y)) = inside(areas.editor) {
            if self.current.is_some() {
                self.click_in_editor(x, y);
            }
        }
    }

    /// Puts the cursor where the editor shows the clicked cell, as drawn
    /// last (line numbers, then a space, then the wrapped text).
    fn click_in_editor(&mut self, x: usize, y: usize) {
        let lines = self.editor.lines();
        let gutter = lines.len().to_string().len() + 1;
        let width = self.editor.wrap_width.get().max(2);
        let rows: Vec<ScreenRow> = lines
            .iter()
            .enumerate()
            .flat_map(|(index, line)| wrap(index, line, width))
            .collect();
        let Some(screen_row) = rows.get(self.editor.scroll.get() + y) else {
            return;
        };
        let offset = x.saturating_sub(gutter + 1);
        let column = (screen_row.columns.start + offset).min(screen_row.columns.end);
        self.editor.clear_selection();
        self.editor.set_cursor(Cursor {
            line: screen_row.line,
            column,
        });
    }

    pub(super) fn over_row_pane(&self, column: u16, row: u16) -> bool {
        self.overlay == Overlay::None
            && self.main_has_keys()
            && self
                .areas
                .get()
                .row
                .is_some_and(|area| area.contains(column, row))
    }

    /// Scrolls the row pane (wide layout): page keys in the preview, the
    /// wheel over the pane.
    pub(super) fn scroll_row_pane(&self, action: crate::app::Action) {
        use crate::app::Action;
        let scroll = &self.preview.row_scroll;
        match action {
            Action::PageDown => scroll.set(scroll.get() + 10),
            Action::PageUp => scroll.set(scroll.get().saturating_sub(10)),
            Action::Down => scroll.set(scroll.get() + 3),
            Action::Up => scroll.set(scroll.get().saturating_sub(3)),
            _ => {}
        }
    }
}
