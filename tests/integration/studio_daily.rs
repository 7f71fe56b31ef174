//! What a day of real work with the studio needs (issue 9): outside
//! changes merged by template id, files deleted on disk, checks while
//! typing. Driven through `App::update`, screens through `TestBackend`.

use crate::studio_support;

use promptstudio::app::{Action, Confirm, Event, Key, KeyChord, Overlay};
use studio_support::*;

fn key(c: char) -> Event {
    Event::Key(KeyChord::plain(Key::Char(c)))
}

fn typed(app: &mut TestApp, text: &str) {
    for c in text.chars() {
        app.update(key(c));
    }
}

fn jinja_of(app: &TestApp, file: usize, name: &str) -> Option<String> {
    app.catalog.files[file]
        .templates
        .template_by_name(name)
        .map(|t| t.jinja.to_string())
}

#[cfg(feature = "tui")]
fn screen(app: &promptstudio::app::App, width: u16, height: u16) -> String {
    use promptstudio::ui::{ColorDepth, Theme, Ui};
    let ui = Ui::new(Theme::default_for(ColorDepth::None));
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| ui.draw(frame, app)).unwrap();
    terminal.backend().to_string()
}

/// Edits here to one prompt, and another program's edits to another prompt
/// and a prompt it added: both survive, without a question, and saving
/// writes both.
#[test]
fn outside_changes_to_other_prompts_merge_with_unsaved_edits() {
    let workspace = workspace();
    let mut app = app(workspace.clone());
    let path = app.current_file().unwrap().templates.path.clone();
    app.update(Event::Action(Action::FocusEditor));
    typed(&mut app, "mine ");
    {
        let mut files = workspace.files.lock().unwrap();
        let which = files[0]
            .templates
            .iter_mut()
            .find(|t| &*t.name == "which_section")
            .unwrap();
        which.jinja = "theirs ||| {{answer_choices[label]}}".into();
        files[0]
            .templates
            .push(template("added_there", "{{text}} ||| x", None));
        files[0].templates.retain(|t| &*t.name != "recommend");
    }
    app.update(Event::FileChanged(path));
    assert_eq!(app.overlay, Overlay::None, "nothing to ask");
    assert!(app.editor.text().starts_with("mine What label"));
    assert_eq!(
        jinja_of(&app, 0, "which_section").as_deref(),
        Some("theirs ||| {{answer_choices[label]}}")
    );
    assert!(jinja_of(&app, 0, "added_there").is_some());
    assert!(jinja_of(&app, 0, "recommend").is_none());
    let notice = app.notice.clone().unwrap().text;
    assert!(notice.contains("`which_section`"), "{notice}");
    assert!(notice.contains("`recommend` (deleted)"), "{notice}");
    assert!(app.any_dirty());

    app.update(Event::Action(Action::Save));
    let saves = workspace.saves.lock().unwrap().clone();
    assert_eq!(saves.len(), 1);
    let saved = &saves[0];
    assert!(saved.templates.iter().any(|t| t.jinja.starts_with("mine ")));
    assert!(saved
        .templates
        .iter()
        .any(|t| t.jinja.starts_with("theirs ")));
    assert!(saved.templates.iter().any(|t| &*t.name == "added_there"));
    assert!(!app.any_dirty());
}

/// The same prompt changed on both sides: the dialog names it and shows
/// both versions; each conflicting prompt is decided on its own.
#[test]
fn the_same_prompt_changed_on_both_sides_asks_with_both_versions() {
    let workspace = workspace();
    let mut app = app(workspace.clone());
    let path = app.current_file().unwrap().templates.path.clone();
    app.update(Event::Action(Action::FocusEditor));
    typed(&mut app, "mine ");
    {
        let mut files = workspace.files.lock().unwrap();
        files[0].templates[0].jinja = "theirs {{text}} ||| x".into();
        files[0].templates[2].jinja = "other theirs ||| x".into();
    }
    app.update(Event::FileChanged(path.clone()));
    let Overlay::Confirm(Confirm::OutsideChange { merge, .. }) = &app.overlay else {
        panic!("expected the merge dialog, got {:?}", app.overlay);
    };
    assert_eq!(merge.conflicts.len(), 1);
    assert_eq!(merge.pending().unwrap().name(), "classify_question_first");
    #[cfg(feature = "tui")]
    {
        let shown = screen(&app, 120, 30);
        assert!(shown.contains("`classify_question_first`"), "{shown}");
        assert!(shown.contains("mine What label best describes"), "{shown}");
        assert!(shown.contains("theirs {{text}} ||| x"), "{shown}");
        assert!(shown.contains("took theirs: `which_section`"), "{shown}");
        insta::assert_snapshot!("merge_dialog_120x30", shown);
    }
    app.update(key('t'));
    assert_eq!(app.overlay, Overlay::None);
    assert_eq!(app.editor.text(), "theirs {{text}} ||| x");
    assert_eq!(
        jinja_of(&app, 0, "which_section").as_deref(),
        Some("other theirs ||| x")
    );
    assert!(!app.any_dirty(), "theirs everywhere: nothing left to save");

    // Mine this time.
    app.update(Event::Action(Action::Top));
    app.update(Event::Action(Action::LineStart));
    typed(&mut app, "again ");
    workspace.files.lock().unwrap()[0].templates[0].jinja = "theirs again ||| y".into();
    app.update(Event::FileChanged(path.clone()));
    app.update(key('m'));
    assert_eq!(app.editor.text(), "again theirs {{text}} ||| x");
    assert!(app.any_dirty());
    app.update(Event::Action(Action::Save));
    let saves = workspace.saves.lock().unwrap().clone();
    assert_eq!(saves.len(), 1, "the merge's base is the disk's version");
    assert_eq!(&*saves[0].templates[0].jinja, "again theirs {{text}} ||| x");
}

/// Esc decides nothing: the disk's change is not taken, and saving still
/// asks before overwriting it, offering the merge again.
#[test]
fn deciding_later_keeps_the_outside_change_protected() {
    let workspace = workspace();
    let mut app = app(workspace.clone());
    let path = app.current_file().unwrap().templates.path.clone();
    app.update(Event::Action(Action::FocusEditor));
    typed(&mut app, "mine ");
    {
        let mut files = workspace.files.lock().unwrap();
        files[0].templates[0].jinja = "theirs ||| x".into();
        files[0].templates[1].jinja = "their other ||| x".into();
    }
    app.update(Event::FileChanged(path.clone()));
    app.update(Event::Key(KeyChord::plain(Key::Esc)));
    assert_eq!(app.overlay, Overlay::None);
    assert!(app.editor.text().starts_with("mine "));
    workspace.changed_on_disk.lock().unwrap().push(path);
    app.update(Event::Action(Action::Save));
    assert!(matches!(
        app.overlay,
        Overlay::Confirm(Confirm::OverwriteChanged { .. })
    ));
    assert!(workspace.saves.lock().unwrap().is_empty());
    app.update(key('m'));
    assert!(
        matches!(app.overlay, Overlay::Confirm(Confirm::OutsideChange { .. })),
        "{:?}",
        app.overlay
    );
    app.update(key('m'));
    assert_eq!(
        jinja_of(&app, 0, "recommend").as_deref(),
        Some("their other ||| x")
    );
    assert!(app.editor.text().starts_with("mine "));
}

/// A file deleted on disk is said to be deleted, and can be written again
/// from the studio's copy or closed.
#[test]
fn a_file_deleted_on_disk_is_reported_and_can_be_saved_again_or_closed() {
    let workspace = workspace();
    let mut app = app(workspace.clone());
    let path = app.current_file().unwrap().templates.path.clone();
    let removed = workspace.files.lock().unwrap().remove(0);
    app.update(Event::FileChanged(path.clone()));
    assert_eq!(
        app.overlay,
        Overlay::Confirm(Confirm::DeletedOutside { file: 0 })
    );
    #[cfg(feature = "tui")]
    {
        let shown = screen(&app, 100, 30);
        assert!(shown.contains("was deleted on disk"), "{shown}");
        assert!(!shown.contains("changed on disk"), "{shown}");
    }
    app.update(key('s'));
    let saves = workspace.saves.lock().unwrap().clone();
    assert_eq!(saves.len(), 1, "written again");
    assert_eq!(saves[0].templates, removed.templates);
    assert!(!app.any_dirty());

    workspace.files.lock().unwrap().retain(|f| f.path != path);
    app.update(Event::FileChanged(path.clone()));
    app.update(key('c'));
    assert_eq!(app.catalog.files.len(), 1, "closed");
    assert_eq!(
        app.current_file().map(|f| f.templates.dataset.as_str()),
        Some("super_glue")
    );
    assert_eq!(app.overlay, Overlay::None);
}

fn show_row(app: &mut TestApp, row: promptstudio::core::datum::Row) {
    answer(
        app,
        Ok(promptstudio::app::Rendered {
            parts: vec!["x".into(), "y".into()],
            answer_choices: None,
            spans: Vec::new(),
        }),
        Some(row),
    );
}

/// A variable that is not a column is named, with the closest columns, as
/// it is typed, and marked in the editor.
#[test]
fn a_variable_that_is_not_a_column_is_flagged_with_the_closest_names() {
    let mut app = app(workspace());
    show_row(&mut app, ag_news_row("Some news", 2));
    assert!(app.checks.unknown.is_empty(), "{:?}", app.checks.unknown);
    app.update(Event::Action(Action::FocusEditor));
    typed(&mut app, "{{ lable }} ");
    assert_eq!(app.checks.unknown.len(), 1);
    assert_eq!(app.checks.unknown[0].name, "lable");
    assert_eq!(app.checks.unknown[0].suggestions, vec!["label"]);
    let messages = app.checks.messages(app.current_template());
    assert_eq!(
        messages[0],
        "`lable` is not a column: did you mean `label`?"
    );
    #[cfg(feature = "tui")]
    {
        use promptstudio::ui::{ColorDepth, Theme, Ui};
        let ui = Ui::new(Theme::default_for(ColorDepth::None));
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
        terminal.draw(|frame| ui.draw(frame, &app)).unwrap();
        let buffer = terminal.backend().buffer().clone();
        let shown = terminal.backend().to_string();
        assert!(
            shown.contains("⚠ `lable` is not a column: did you mean `label`?"),
            "{shown}"
        );
        // The variable's cells are underlined (colour-free: NO_COLOR).
        let (x, y) = (0..buffer.area.height)
            .flat_map(|y| (0..buffer.area.width).map(move |x| (x, y)))
            .find(|&(x, y)| {
                buffer[(x, y)].symbol() == "l"
                    && buffer[(x + 1, y)].symbol() == "a"
                    && buffer[(x + 2, y)].symbol() == "b"
                    && buffer[(x + 3, y)].symbol() == "l"
            })
            .expect("the variable on screen");
        assert!(buffer[(x, y)]
            .modifier
            .contains(ratatui::style::Modifier::UNDERLINED));
    }
    // Fixed: the mark goes.
    for _ in 0..4 {
        app.update(Event::Action(Action::Left));
    }
    for _ in 0..2 {
        app.update(Event::Action(Action::Backspace));
    }
    typed(&mut app, "el");
    assert!(
        app.editor.text().starts_with("{{ label }}"),
        "{}",
        app.editor.text()
    );
    assert!(app.checks.unknown.is_empty(), "{:?}", app.checks.unknown);
}

/// A hyphenated column is written with an underscore in templates, as
/// PromptSource renames it.
#[test]
fn a_hyphenated_column_written_with_its_hyphen_is_explained() {
    use promptstudio::core::datum::{Datum, Row};
    let mut app = app(workspace());
    show_row(
        &mut app,
        Row::new(vec![
            ("question-X".into(), Datum::str("why?")),
            ("label".into(), Datum::Int(0)),
        ]),
    );
    app.update(Event::Action(Action::FocusEditor));
    typed(&mut app, "{{question-X}} ");
    let messages = app.checks.messages(app.current_template());
    assert!(
        messages.contains(
            &"`question-X` reads as `question - X`: templates write this column `question_X`"
                .to_owned()
        ),
        "{messages:?}"
    );
    assert!(
        !messages.iter().any(|m| m.starts_with("`question` is not")),
        "the hyphen explains it: {messages:?}"
    );
}

/// `check`'s findings for the open file show before saving: a duplicated
/// prompt's jinja, a duplicate name.
#[test]
fn check_findings_for_the_open_file_show_before_saving() {
    let workspace = workspace();
    let mut app = app(workspace.clone());
    assert!(app.checks.findings.is_empty(), "{:?}", app.checks.findings);
    app.update(key('c'));
    app.update(Event::Key(KeyChord::plain(Key::Enter)));
    let codes: Vec<&str> = app.checks.findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, vec!["duplicate-jinja"]);
    let messages = app.checks.messages(app.current_template());
    assert_eq!(
        messages[0],
        "classify_question_first (copy): same jinja as template 'classify_question_first' [duplicate-jinja]"
    );
    assert!(workspace.saves.lock().unwrap().is_empty());
}

/// A class index outside the ClassLabel's names (a test split's -1) is flagged.
#[test]
fn a_label_out_of_range_on_the_row_is_flagged() {
    let mut app = app(workspace());
    show_row(&mut app, ag_news_row("Hidden label", -1));
    let messages = app.checks.messages(app.current_template());
    assert_eq!(
        messages,
        vec!["`label` is -1 on this row, not a class (0 to 3): no real target here"]
    );
    show_row(&mut app, ag_news_row("Real label", 3));
    assert!(app.checks.out_of_range.is_empty());
}

/// Where `text` is on a drawn screen: (column, row) of its first cell.
#[cfg(feature = "tui")]
fn find_on_screen(app: &promptstudio::app::App, text: &str) -> (u16, u16) {
    let shown = screen(app, 160, 48);
    let lines: Vec<&str> = shown.lines().collect();
    for (y, line) in lines.iter().enumerate() {
        let line = line.trim_matches('"');
        if let Some(at) = line.find(text) {
            return (line[..at].chars().count() as u16, y as u16);
        }
    }
    panic!("`{text}` not on screen:\n{shown}");
}

/// With `--mouse`, a click selects the item under it, not only its pane.
#[cfg(feature = "tui")]
#[test]
fn a_click_selects_the_catalog_row_metadata_field_or_editor_place_under_it() {
    let mut app = app(workspace());
    let (x, y) = find_on_screen(&app, "which_section");
    app.update(Event::Click { column: x, row: y });
    assert_eq!(&*app.current_template().unwrap().name, "which_section");

    let (x, y) = find_on_screen(&app, "Languages");
    app.update(Event::Click { column: x, row: y });
    assert_eq!(app.focus, promptstudio::app::Focus::Metadata);
    assert_eq!(app.meta_field, 6);

    let (x, y) = find_on_screen(&app, "Which section of");
    app.update(Event::Click {
        column: x + 6,
        row: y,
    });
    assert_eq!(app.focus, promptstudio::app::Focus::Editor);
    let cursor = app.editor.cursor();
    assert_eq!((cursor.line, cursor.column), (1, 6));
}

/// The workspace folder is on screen, so two studios on two workspaces
/// cannot be mixed up.
#[cfg(feature = "tui")]
#[test]
fn the_workspace_path_is_in_the_title() {
    let mut app = app(workspace());
    app.workspace_path = Some("/work/projects/news-prompts".into());
    let shown = screen(&app, 160, 48);
    let title = shown.lines().next().unwrap();
    assert!(title.contains(" /work/projects/news-prompts "), "{title}");
    assert!(title.contains("classify_question_first"), "{title}");
}

/// A row with more columns than the row pane has lines scrolls: page keys
/// in the preview, the wheel over the pane.
#[cfg(feature = "tui")]
#[test]
fn the_row_pane_scrolls_through_a_wide_row() {
    use promptstudio::core::datum::{Datum, Row};
    let mut app = app(workspace());
    let fields: Vec<(std::sync::Arc<str>, Datum)> = (0..60)
        .map(|i| (format!("column_{i:02}").into(), Datum::Int(i)))
        .collect();
    show_row(&mut app, Row::new(fields));
    let first = screen(&app, 160, 48);
    assert!(first.contains("column_00: 0"), "{first}");
    assert!(!first.contains("column_59: 59"), "{first}");
    assert!(first.contains("fields 1-"), "{first}");
    app.update(Event::Action(Action::FocusPreview));
    for _ in 0..6 {
        app.update(Event::Key(KeyChord::plain(Key::PageDown)));
        screen(&app, 160, 48);
    }
    let last = screen(&app, 160, 48);
    assert!(last.contains("column_59: 59"), "{last}");
    assert!(!last.contains("column_00: 0"), "{last}");

    // The wheel over the row pane scrolls it back up.
    let area = app.areas.get().row.expect("a row pane at 160 columns");
    for _ in 0..30 {
        app.update(Event::Scroll {
            column: area.x + 2,
            row: area.y + 2,
            down: false,
        });
    }
    let back = screen(&app, 160, 48);
    assert!(back.contains("column_00: 0"), "{back}");
}

/// PromptSource cuts every `{{ }}` output at 2048 characters: the preview
/// marks where it cut, the row pane which values it will cut.
#[cfg(feature = "tui")]
#[test]
fn truncation_by_promptsource_is_marked() {
    use promptstudio::app::engine::CoreEngine;
    use promptstudio::app::Engine;
    let mut app = app(workspace());
    let long = "word ".repeat(700);
    let row = ag_news_row(long.trim_end(), 1);
    let template = app.current_template().unwrap().clone();
    let rendered = CoreEngine
        .compile(&template)
        .unwrap()
        .apply(&row, Some(0), true)
        .unwrap();
    assert!(rendered.parts[0].ends_with("..."), "cut by the engine");
    answer(&mut app, Ok(rendered), Some(row));
    let shown = screen(&app, 160, 48);
    assert!(
        shown.contains("✂ text: prompts get its first 2048 characters"),
        "{shown}"
    );
    app.update(Event::Action(Action::FocusPreview));
    app.update(Event::Action(Action::ToggleZoom));
    let zoomed = screen(&app, 160, 48);
    assert!(
        zoomed.contains("word... ✂ cut at 2048 characters"),
        "{zoomed}"
    );

    // A short value is not marked.
    app.update(Event::Action(Action::ToggleZoom));
    let short = ag_news_row("A short story.", 1);
    let template = app.current_template().unwrap().clone();
    let rendered = CoreEngine
        .compile(&template)
        .unwrap()
        .apply(&short, Some(0), true)
        .unwrap();
    answer(&mut app, Ok(rendered), Some(short));
    assert!(!screen(&app, 160, 48).contains('✂'));
}

fn prompted_requests(
    effects: Vec<promptstudio::app::Effect>,
) -> Vec<promptstudio::app::prompted::PromptedRequest> {
    effects
        .into_iter()
        .filter_map(|effect| match effect {
            promptstudio::app::Effect::PromptedRow(request) => Some(request),
            _ => None,
        })
        .collect()
}

/// The prompted dataset: every prompt of the dataset applied to the
/// current row, one under the other, following the row keys.
#[cfg(feature = "tui")]
#[test]
fn the_prompted_dataset_shows_every_prompt_on_the_current_row() {
    use promptstudio::app::backend::Workspace;
    use promptstudio::app::engine::CoreEngine;
    let workspace = workspace();
    let mut app = app(workspace.clone());
    app.take_effects();
    let requests = prompted_requests(app.update(Event::Action(Action::PromptedView)));
    assert_eq!(requests.len(), 1);
    let request = requests.into_iter().next().unwrap();
    assert_eq!((request.row, request.templates.len()), (0, 3));
    let source = workspace.open(&request.split).unwrap();
    let result = request.perform(&CoreEngine, source.clone());
    app.update(Event::Prompted(result));
    let shown = screen(&app, 160, 48);
    for expected in [
        "classify_question_first",
        "recommend",
        "which_section",
        "Would you recommend the following article to a politician?",
        "→ Business",
        "→ No",
    ] {
        assert!(shown.contains(expected), "{expected}:\n{shown}");
    }

    let next = prompted_requests(app.update(Event::Key(KeyChord::ctrl('n'))));
    assert_eq!(next.len(), 1, "the next row is rendered");
    assert_eq!(next[0].row, 1);
    let result = next
        .into_iter()
        .next()
        .unwrap()
        .perform(&CoreEngine, source);
    app.update(Event::Prompted(result));
    assert!(screen(&app, 160, 48).contains("→ Sports"));
    app.update(key('q'));
    assert_eq!(app.view, promptstudio::app::View::Main);
}

/// A dataset with rows and no prompts yet can be browsed: selecting it
/// shows its rows, the row keys move through them, and its first prompt
/// opens on the row shown.
#[cfg(feature = "tui")]
#[test]
fn a_dataset_without_prompts_shows_its_rows() {
    use promptstudio::app::Effect;
    let workspace = workspace();
    workspace.files.lock().unwrap()[0].templates.clear();
    let mut app = app(workspace.clone());
    app.take_effects();
    assert_eq!(app.current_file().unwrap().templates.dataset, "super_glue");
    let effects = app.update(Event::Action(Action::Top));
    assert_eq!(app.browsing, Some(0));
    assert!(app.current.is_none());
    let preview = effects
        .iter()
        .find_map(|e| match e {
            Effect::Preview(request) => Some(request.clone()),
            _ => None,
        })
        .expect("the rows are asked for");
    assert_eq!(
        preview.split.as_ref().map(|s| s.name.as_str()),
        Some("test")
    );
    show_row(&mut app, workspace.rows[0].clone());
    let shown = screen(&app, 160, 48);
    assert!(shown.contains("This dataset has no prompts yet"), "{shown}");
    assert!(shown.contains("text: Harbour Traders"), "{shown}");

    let next = app.update(Event::Key(KeyChord::ctrl('n')));
    assert!(
        next.iter()
            .any(|e| matches!(e, Effect::Preview(r) if r.row == 1)),
        "{next:?}"
    );
    app.update(key('n'));
    typed(&mut app, "first");
    app.update(Event::Key(KeyChord::plain(Key::Enter)));
    assert_eq!(app.browsing, None);
    assert_eq!(&*app.current_template().unwrap().name, "first");
    assert_eq!(app.preview.row, 1, "the row browsed stays");
}

/// The dataset card (README.md beside the data, where the Hub keeps it)
/// and the columns' features, in a view of their own.
#[cfg(feature = "tui")]
#[test]
fn the_dataset_card_and_features_are_shown() {
    use promptstudio::workspace::FolderWorkspace;
    use std::sync::Arc;
    let root = tempfile::tempdir().unwrap();
    let rows = root.path().join("data/fresh_news/_");
    std::fs::create_dir_all(&rows).unwrap();
    std::fs::write(
        rows.join("train.jsonl"),
        "{\"text\": \"a\", \"label\": 0}\n",
    )
    .unwrap();
    std::fs::write(
        root.path().join("data/fresh_news/README.md"),
        "---\nlicense: mit\n---\n# Fresh news\n\nStories written for tests.\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.path().join("templates")).unwrap();
    let workspace = Arc::new(FolderWorkspace::new(root.path(), None, None));
    let mut app = TestApp::new(workspace);
    app.take_effects();
    assert_eq!(
        app.browsing,
        Some(0),
        "a dataset without prompts is browsed"
    );
    show_row(&mut app, ag_news_row("a", 0));
    app.update(Event::Key(KeyChord::plain(Key::F(9))));
    assert_eq!(app.view, promptstudio::app::View::Card);
    let shown = screen(&app, 120, 30);
    assert!(shown.contains("# Fresh news"), "{shown}");
    assert!(shown.contains("Stories written for tests."), "{shown}");
    assert!(
        !shown.contains("license: mit"),
        "front matter left out: {shown}"
    );
    assert!(
        shown.contains("label: ClassLabel(4: World, Sports"),
        "{shown}"
    );
    app.update(key('q'));
    assert_eq!(app.view, promptstudio::app::View::Main);
}
