//! How row values look in the raw-row views: the data layer's
//! `format_cell` (ClassLabel names, Python's repr for nested values, long
//! text elided with a count), plus a one-line summary for collapsed
//! containers.

use crate::core::datum::Datum;
use crate::data::features::{format_cell, CellFormat, Feature};

/// Generous limits: the pane wraps long text, but a 100 MB cell must not
/// be laid out on every frame.
fn cell_format() -> CellFormat {
    CellFormat {
        max_chars: 20_000,
        max_items: 200,
    }
}

/// A value shown in full (up to the limits above).
pub fn display(value: &Datum, feature: Option<&Feature>) -> String {
    format_cell(value, feature, &cell_format())
}

/// The feature of a column, if the split declares one.
pub fn feature_of<'a>(features: &'a [(String, Feature)], column: &str) -> Option<&'a Feature> {
    features
        .iter()
        .find(|(name, _)| name == column)
        .map(|(_, feature)| feature)
}

/// A short summary for a collapsed container: `[…] 3 items`, `{…} 2 keys`.
pub fn summary(value: &Datum) -> Option<String> {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    match value {
        Datum::List(items) => Some(format!("[…] {} item{}", items.len(), plural(items.len()))),
        Datum::Dict(entries) => Some(format!(
            "{{…}} {} key{}",
            entries.len(),
            plural(entries.len())
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn class_labels_and_summaries() {
        let names = Feature::ClassLabel {
            names: vec!["World".into(), "Sports".into()],
        };
        assert_eq!(display(&Datum::Int(1), Some(&names)), "1 (Sports)");
        assert_eq!(display(&Datum::str("plain 'text'"), None), "plain 'text'");
        let list = Datum::List(Arc::from(vec![Datum::str("a"), Datum::Int(2)]));
        assert_eq!(display(&list, None), "['a', 2]");
        assert_eq!(summary(&list).as_deref(), Some("[…] 2 items"));
        assert_eq!(summary(&Datum::Int(1)), None);
    }
}
