//! The catalog pane: moving, filtering, and opening a prompt.

use crate::app::editor::TextBuffer;
use crate::app::state::*;
use crate::app::{Action, App};
use crate::core::template::Template;

impl App {
    pub(super) fn catalog_action(&mut self, action: Action) {
        let rows = self.catalog.rows().len();
        if rows == 0 {
            if action == Action::Filter {
                self.start_filter();
            }
            return;
        }
        let selected = self.catalog.selected;
        let target = match action {
            Action::Up => selected.saturating_sub(1),
            Action::Down => selected + 1,
            Action::PageUp => selected.saturating_sub(10),
            Action::PageDown => selected + 10,
            Action::Top => 0,
            Action::Bottom => rows - 1,
            Action::Select | Action::Right => {
                if matches!(
                    self.catalog.rows().get(selected),
                    Some(CatalogRow::Template { .. })
                ) {
                    self.focus = Focus::Editor;
                } else {
                    self.select_catalog_row(selected + 1);
                }
                return;
            }
            Action::Filter => return self.start_filter(),
            _ => return,
        };
        self.select_catalog_row(target.min(rows - 1));
    }

    /// Selects a catalog row and opens its prompt (browsing previews live).
    pub(in crate::app) fn select_catalog_row(&mut self, index: usize) {
        let rows = self.catalog.rows();
        if rows.is_empty() {
            return;
        }
        let index = index.min(rows.len() - 1);
        self.catalog.selected = index;
        match rows[index] {
            CatalogRow::Template { file, template } => self.open(Selection { file, template }),
            CatalogRow::File { file, .. }
                if self.catalog.files[file].templates.templates.is_empty() =>
            {
                self.browse(file)
            }
            CatalogRow::File { .. } => {}
        }
    }

    /// `/` starts a new filter, as `/` starts a new search in helix, vim and
    /// less: what is typed is the whole filter, never appended to the last one.
    fn start_filter(&mut self) {
        self.set_filter(String::new());
        self.open_prompt(PromptKind::Filter, "");
    }

    /// Narrows the catalog: the selection lands on the best (first) match and
    /// the list scrolls to the top, so the first group's heading shows.
    /// Clearing the filter keeps the prompt that is open.
    pub(super) fn set_filter(&mut self, filter: String) {
        self.catalog.filter = filter;
        let rows = self.catalog.rows();
        self.catalog.scroll.set(0);
        let keep = self
            .current
            .filter(|_| self.catalog.filter.is_empty())
            .and_then(|current| {
                rows.iter().position(|row| {
                    *row == CatalogRow::Template {
                        file: current.file,
                        template: current.template,
                    }
                })
            });
        match keep {
            Some(index) => self.catalog.selected = index,
            None => {
                let first = rows
                    .iter()
                    .position(|r| matches!(r, CatalogRow::Template { .. }));
                self.select_catalog_row(first.unwrap_or(0));
            }
        }
    }

    /// The catalog selection when the catalog has focus, else the prompt in the editor.
    pub(super) fn target_selection(&self) -> Option<Selection> {
        if self.focus == Focus::Catalog && self.main_has_keys() {
            if let Some(CatalogRow::Template { file, template }) =
                self.catalog.rows().get(self.catalog.selected)
            {
                return Some(Selection {
                    file: *file,
                    template: *template,
                });
            }
        }
        self.current
    }

    pub(super) fn target_template(&self) -> Option<&Template> {
        let selection = self.target_selection()?;
        self.catalog
            .files
            .get(selection.file)?
            .templates
            .templates
            .get(selection.template)
    }

    pub(super) fn target_file(&self) -> Option<usize> {
        if self.focus == Focus::Catalog {
            match self.catalog.rows().get(self.catalog.selected) {
                Some(CatalogRow::File { file, .. }) | Some(CatalogRow::Template { file, .. }) => {
                    return Some(*file)
                }
                None => {}
            }
        }
        self.current
            .map(|s| s.file)
            .or(if self.catalog.files.is_empty() {
                None
            } else {
                Some(0)
            })
    }

    /// Puts a prompt in the editor and asks for its preview.
    pub(in crate::app) fn open(&mut self, selection: Selection) {
        let Some(file) = self.catalog.files.get(selection.file) else {
            return;
        };
        let Some(template) = file.templates.templates.get(selection.template) else {
            return;
        };
        let file_changed = self.shown_file() != Some(selection.file);
        let same_prompt = self.current == Some(selection);
        self.current = Some(selection);
        self.browsing = None;
        if !same_prompt {
            self.editor = TextBuffer::new(&template.jinja);
        }
        if file_changed {
            self.find_splits_of(selection.file);
        }
        self.request_preview();
    }
}
