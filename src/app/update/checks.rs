//! Keeps [`crate::app::checks::Checks`] current after each event.

use crate::app::App;

impl App {
    pub(super) fn refresh_checks(&mut self) {
        let selection = self.current;
        let file = selection.and_then(|s| self.catalog.files.get(s.file));
        let template =
            selection.and_then(|s| file.and_then(|f| f.templates.templates.get(s.template)));
        let (row, features) = match &self.preview.result {
            Some(result) => (result.row.as_ref(), result.features.as_slice()),
            None => (None, &[][..]),
        };
        self.checks
            .refresh(file.map(|f| &f.templates), template, row, features);
    }
}
