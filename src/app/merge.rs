//! Three-way merge of a templates file by template id: what the studio
//! holds (mine), what the disk now holds (theirs), and the file as last
//! loaded or saved (the base both started from).
//!
//! A prompt changed on one side only takes that side's version (added and
//! removed prompts included); a prompt changed on both sides, differently,
//! is a [`Conflict`] the user decides. Nothing either side changed is
//! dropped without a choice.

use std::sync::Arc;

use crate::core::template::{DatasetTemplates, Template};

/// Which side's version of a conflicting prompt to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Mine,
    Theirs,
}

/// A prompt changed on both sides since the base; `None` where that side
/// deleted it.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub id: Arc<str>,
    pub mine: Option<Template>,
    pub theirs: Option<Template>,
}

impl Conflict {
    /// The prompt's name (mine if I still have it).
    pub fn name(&self) -> &str {
        self.mine
            .as_ref()
            .or(self.theirs.as_ref())
            .map_or("?", |t| &t.name)
    }

    /// What differs besides the jinja, for a dialog that shows the jinja.
    pub fn other_differences(&self) -> Vec<&'static str> {
        let (Some(mine), Some(theirs)) = (&self.mine, &self.theirs) else {
            return Vec::new();
        };
        let mut fields = Vec::new();
        if mine.name != theirs.name {
            fields.push("name");
        }
        if mine.answer_choices != theirs.answer_choices {
            fields.push("answer choices");
        }
        if mine.reference != theirs.reference {
            fields.push("reference");
        }
        if mine.metadata != theirs.metadata {
            fields.push("metadata");
        }
        if mine.extra != theirs.extra {
            fields.push("other keys");
        }
        fields
    }
}

/// A prompt's place in the merged file.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// Decided by the merge (`None`: removed).
    Take(Option<Template>),
    /// Decided by the user: conflict number `n`.
    Ask(usize),
}

/// The merge of one file, with the conflicts still to be decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Merge {
    /// The disk's version: the merged file's new base, and where its
    /// fingerprint, anchors and path come from.
    pub theirs: DatasetTemplates,
    pub conflicts: Vec<Conflict>,
    /// The user's choice for each conflict decided so far, in order.
    pub choices: Vec<Side>,
    /// Prompts whose outside change was taken on its own: (name, what happened).
    pub taken: Vec<String>,
    /// Prompts whose edits here were kept over an unchanged disk version.
    pub kept: Vec<String>,
    /// Mine's top-level keys, when only I changed them.
    mine_extra: Option<Vec<(String, crate::core::template::Value)>>,
    /// In mine's order, then the prompts only the disk has, in its order.
    order: Vec<(Arc<str>, Outcome)>,
}

impl Merge {
    /// Merges `mine` and `theirs`, both derived from `base`.
    pub fn new(
        base: &DatasetTemplates,
        mine: &DatasetTemplates,
        theirs: &DatasetTemplates,
    ) -> Merge {
        let mut merge = Merge {
            theirs: theirs.clone(),
            conflicts: Vec::new(),
            choices: Vec::new(),
            taken: Vec::new(),
            kept: Vec::new(),
            mine_extra: (mine.extra != base.extra).then(|| mine.extra.clone()),
            order: Vec::new(),
        };
        let ids = mine
            .templates
            .iter()
            .map(|t| &t.id)
            .chain(
                theirs
                    .templates
                    .iter()
                    .map(|t| &t.id)
                    .filter(|id| mine.template_by_id(id).is_none()),
            )
            .chain(base.templates.iter().map(|t| &t.id).filter(|id| {
                mine.template_by_id(id).is_none() && theirs.template_by_id(id).is_none()
            }));
        for id in ids {
            let before = base.template_by_id(id);
            let ours = mine.template_by_id(id);
            let disk = theirs.template_by_id(id);
            let outcome = if ours == disk {
                Outcome::Take(ours.cloned())
            } else if ours == before {
                merge.taken.push(describe(before, disk));
                Outcome::Take(disk.cloned())
            } else if disk == before {
                merge.kept.push(describe(before, ours));
                Outcome::Take(ours.cloned())
            } else {
                merge.conflicts.push(Conflict {
                    id: id.clone(),
                    mine: ours.cloned(),
                    theirs: disk.cloned(),
                });
                Outcome::Ask(merge.conflicts.len() - 1)
            };
            merge.order.push((id.clone(), outcome));
        }
        merge
    }

    /// The next conflict to decide, if any.
    pub fn pending(&self) -> Option<&Conflict> {
        self.conflicts.get(self.choices.len())
    }

    /// Decides the next conflict.
    pub fn choose(&mut self, side: Side) {
        if self.pending().is_some() {
            self.choices.push(side);
        }
    }

    /// Whether the disk's version changed nothing the studio did not have.
    pub fn nothing_from_theirs(&self) -> bool {
        self.taken.is_empty() && self.conflicts.is_empty()
    }

    /// The merged file, once every conflict is decided: the disk's file
    /// with the merged prompts (undecided conflicts keep mine).
    pub fn merged(&self) -> DatasetTemplates {
        let mut merged = self.theirs.clone();
        if let Some(extra) = &self.mine_extra {
            merged.extra = extra.clone();
        }
        merged.templates = self
            .order
            .iter()
            .filter_map(|(_, outcome)| match outcome {
                Outcome::Take(template) => template.clone(),
                Outcome::Ask(n) => {
                    let conflict = &self.conflicts[*n];
                    match self.choices.get(*n) {
                        Some(Side::Theirs) => conflict.theirs.clone(),
                        _ => conflict.mine.clone(),
                    }
                }
            })
            .collect();
        merged
    }

    /// One line on what was combined on its own.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.taken.is_empty() {
            parts.push(format!("took theirs: {}", self.taken.join(", ")));
        }
        if !self.kept.is_empty() {
            parts.push(format!("kept yours: {}", self.kept.join(", ")));
        }
        for (conflict, side) in self.conflicts.iter().zip(&self.choices) {
            let side = match side {
                Side::Mine => "yours",
                Side::Theirs => "theirs",
            };
            parts.push(format!("`{}`: {side}", conflict.name()));
        }
        parts.join("; ")
    }
}

/// `` `name` `` with what happened to it between `before` and `after`.
fn describe(before: Option<&Template>, after: Option<&Template>) -> String {
    match (before, after) {
        (None, Some(added)) => format!("`{}` (added)", added.name),
        (Some(removed), None) => format!("`{}` (deleted)", removed.name),
        (Some(old), Some(new)) if old.name != new.name => {
            format!("`{}` (renamed from `{}`)", new.name, old.name)
        }
        (_, Some(changed)) => format!("`{}`", changed.name),
        (None, None) => "?".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(id: &str, name: &str, jinja: &str) -> Template {
        let mut template = Template::new(name);
        template.id = id.into();
        template.jinja = jinja.into();
        template
    }

    fn file(templates: Vec<Template>) -> DatasetTemplates {
        let mut file = DatasetTemplates::new("/t/templates.yaml", "d", None);
        file.templates = templates;
        file
    }

    fn jinja_of(file: &DatasetTemplates, id: &str) -> Option<String> {
        file.template_by_id(id).map(|t| t.jinja.to_string())
    }

    #[test]
    fn changes_to_different_prompts_combine() {
        let base = file(vec![
            prompt("a", "a", "A"),
            prompt("b", "b", "B"),
            prompt("c", "c", "C"),
            prompt("d", "d", "D"),
        ]);
        let mut mine = base.clone();
        mine.templates[0].jinja = "A mine".into();
        mine.templates.retain(|t| &*t.id != "c");
        mine.templates.push(prompt("m", "new mine", "M"));
        let mut theirs = base.clone();
        theirs.templates[1].jinja = "B theirs".into();
        theirs.templates.retain(|t| &*t.id != "d");
        theirs.templates.push(prompt("t", "new theirs", "T"));
        let merge = Merge::new(&base, &mine, &theirs);
        assert!(merge.conflicts.is_empty());
        let merged = merge.merged();
        assert_eq!(jinja_of(&merged, "a").as_deref(), Some("A mine"));
        assert_eq!(jinja_of(&merged, "b").as_deref(), Some("B theirs"));
        assert_eq!(jinja_of(&merged, "c"), None);
        assert_eq!(jinja_of(&merged, "d"), None);
        assert_eq!(jinja_of(&merged, "m").as_deref(), Some("M"));
        assert_eq!(jinja_of(&merged, "t").as_deref(), Some("T"));
        assert_eq!(
            merge.summary(),
            "took theirs: `b`, `d` (deleted), `new theirs` (added); kept yours: `a`, `new mine` (added), `c` (deleted)"
        );
    }

    #[test]
    fn the_same_prompt_changed_on_both_sides_is_asked_for() {
        let base = file(vec![prompt("a", "a", "A"), prompt("b", "b", "B")]);
        let mut mine = base.clone();
        mine.templates[0].jinja = "A mine".into();
        mine.templates[1].jinja = "B mine".into();
        let mut theirs = base.clone();
        theirs.templates[0].jinja = "A theirs".into();
        theirs.templates.remove(1);
        let mut merge = Merge::new(&base, &mine, &theirs);
        assert_eq!(merge.conflicts.len(), 2);
        assert_eq!(merge.pending().unwrap().name(), "a");
        merge.choose(Side::Theirs);
        assert_eq!(merge.pending().unwrap().theirs, None, "deleted there");
        merge.choose(Side::Mine);
        assert!(merge.pending().is_none());
        let merged = merge.merged();
        assert_eq!(jinja_of(&merged, "a").as_deref(), Some("A theirs"));
        assert_eq!(jinja_of(&merged, "b").as_deref(), Some("B mine"));
    }

    #[test]
    fn the_same_change_on_both_sides_is_no_conflict() {
        let base = file(vec![prompt("a", "a", "A")]);
        let mut mine = base.clone();
        mine.templates[0].jinja = "same".into();
        let theirs = mine.clone();
        let merge = Merge::new(&base, &mine, &theirs);
        assert!(merge.nothing_from_theirs());
        assert_eq!(merge.merged().templates, mine.templates);
    }
}
