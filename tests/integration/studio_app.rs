//! The studio driven through `App::update`, as keys and worker answers
//! arrive, without a terminal.

use crate::studio_support;

use promptstudio::app::{
    Action, CatalogRow, Confirm, Context, Effect, Event, Focus, Key, KeyChord, Mods, Overlay,
    PreviewError, PromptKind, Rendered, View,
};
use studio_support::*;

fn key(c: char) -> Event {
    Event::Key(KeyChord::plain(Key::Char(c)))
}

fn special(key: Key) -> Event {
    Event::Key(KeyChord::plain(key))
}

fn ctrl(c: char) -> Event {
    Event::Key(KeyChord::ctrl(c))
}

fn typed(app: &mut TestApp, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| app.update(key(c))).collect()
}

fn preview_requests(effects: &[Effect]) -> Vec<&promptstudio::app::PreviewRequest> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Preview(request) => Some(request),
            _ => None,
        })
        .collect()
}

#[test]
fn opens_on_the_first_prompt_and_asks_for_its_preview() {
    let mut app = app(workspace());
    let effects = app.take_effects();
    let requests = preview_requests(&effects);
    assert_eq!(requests.len(), 1);
    assert_eq!(&*requests[0].template.name, "classify_question_first");
    assert_eq!(
        requests[0].split.as_ref().map(|s| s.name.as_str()),
        Some("test")
    );
    assert_eq!(app.context(), Context::Catalog);
    assert_eq!(
        app.editor.text(),
        "What label best describes this news article?\n{{text}} ||| {{answer_choices[label]}}"
    );
}

#[test]
fn typing_edits_the_template_marks_it_dirty_and_rerenders_latest_first() {
    let mut app = app(workspace());
    app.take_effects();
    app.update(Event::Action(Action::FocusEditor));
    app.update(Event::Action(Action::Bottom));
    let effects = typed(&mut app, " {{label}}");
    let requests = preview_requests(&effects);
    assert_eq!(requests.len(), 10, "one request per keystroke");
    assert!(requests
        .windows(2)
        .all(|w| w[0].generation < w[1].generation));
    assert!(requests
        .last()
        .unwrap()
        .template
        .jinja
        .ends_with("{{answer_choices[label]}} {{label}}"));
    assert!(app.current_file().unwrap().dirty);

    // An answer to an old request is dropped; the newest one is shown.
    let stale = promptstudio::app::PreviewResult {
        generation: requests[0].generation,
        outcome: Ok(Rendered::default()),
        row: None,
        row_count: Some(3),
        counting: false,
        features: Vec::new(),
        elapsed: Default::default(),
        fewshot: None,
    };
    app.update(Event::Preview(stale));
    assert!(app.preview.result.is_none());
    answer(
        &mut app,
        Ok(Rendered {
            parts: vec!["in".into(), "out".into()],
            ..Rendered::default()
        }),
        None,
    );
    assert!(!app.preview.pending());

    // Undo takes the typed word back with its space; redo returns it.
    // "Modified" compares with the disk: back at the saved text, it clears.
    app.update(ctrl('z'));
    assert!(app.editor.text().ends_with("{{answer_choices[label]}}"));
    assert!(
        !app.current_file().unwrap().dirty,
        "undone to the saved text"
    );
    assert!(!app.any_dirty());
    app.update(ctrl('y'));
    assert!(app
        .editor
        .text()
        .ends_with("{{answer_choices[label]}} {{label}}"));
    assert!(app.current_file().unwrap().dirty);
}

#[test]
fn after_a_save_undoing_back_to_the_saved_text_is_not_modified() {
    let mut app = app(workspace());
    app.update(Event::Action(Action::FocusEditor));
    typed(&mut app, "x");
    app.update(ctrl('s'));
    assert!(!app.any_dirty());
    app.update(special(Key::End));
    typed(&mut app, "y");
    assert!(app.any_dirty());
    app.update(ctrl('z'));
    assert!(
        app.editor.text().starts_with("xWhat"),
        "{}",
        app.editor.text()
    );
    assert!(!app.any_dirty());
}

#[test]
fn save_writes_through_the_workspace_and_clears_the_dirty_mark() {
    let workspace = workspace();
    let mut app = app(workspace.clone());
    app.update(Event::Action(Action::FocusEditor));
    typed(&mut app, "x");
    app.update(ctrl('s'));
    let saves = workspace.saves.lock().unwrap();
    assert_eq!(saves.len(), 1);
    assert!(saves[0].templates[0].jinja.starts_with('x'));
    assert!(!app.any_dirty());
}

#[test]
fn a_file_changed_on_disk_is_never_overwritten_silently() {
    let workspace = workspace();
    let mut app = app(workspace.clone());
    app.update(Event::Action(Action::FocusEditor));
    typed(&mut app, "x");
    let path = app.current_file().unwrap().templates.path.clone();
    workspace.changed_on_disk.lock().unwrap().push(path);
    app.update(ctrl('s'));
    assert!(matches!(
        app.overlay,
        Overlay::Confirm(Confirm::OverwriteChanged { .. })
    ));
    assert!(workspace.saves.lock().unwrap().is_empty());
    app.update(key('o'));
    assert_eq!(workspace.saves.lock().unwrap().len(), 1);
    assert!(!app.any_dirty());
}

#[test]
fn quitting_with_unsaved_work_asks() {
    let mut app = app(workspace());
    assert!(app
        .update(ctrl('q'))
        .iter()
        .any(|e| matches!(e, Effect::Quit)));
    app.update(Event::Action(Action::FocusEditor));
    typed(&mut app, "x");
    assert!(!app
        .update(ctrl('q'))
        .iter()
        .any(|e| matches!(e, Effect::Quit)));
    assert_eq!(app.overlay, Overlay::Confirm(Confirm::QuitUnsaved));
    app.update(special(Key::Esc));
    assert_eq!(app.overlay, Overlay::None);
    app.update(ctrl('q'));
    assert!(app
        .update(key('q'))
        .iter()
        .any(|e| matches!(e, Effect::Quit)));
}

#[test]
fn new_duplicate_rename_and_delete_prompts() {
    let mut app = app(workspace());
    app.update(key('n'));
    assert!(matches!(&app.overlay, Overlay::Prompt(p) if p.kind == PromptKind::NewPrompt));
    typed(&mut app, "recommend");
    app.update(special(Key::Enter));
    match &app.overlay {
        Overlay::Prompt(p) => assert_eq!(
            p.error.as_deref(),
            Some("`recommend` is already a prompt of this dataset")
        ),
        other => panic!("expected the prompt to stay open, got {other:?}"),
    }
    typed(&mut app, " again");
    app.update(special(Key::Enter));
    assert_eq!(app.overlay, Overlay::None);
    let created = app.current_template().unwrap().clone();
    assert_eq!(&*created.name, "recommend again");
    assert!(uuid::Uuid::parse_str(&created.id).is_ok());
    assert_eq!(app.focus, Focus::Editor);

    app.update(Event::Action(Action::FocusCatalog));
    app.update(key('c'));
    app.update(special(Key::Enter));
    assert_eq!(
        &*app.current_template().unwrap().name,
        "recommend again (copy)"
    );
    assert_ne!(app.current_template().unwrap().id, created.id);

    app.update(Event::Action(Action::FocusCatalog));
    app.update(key('r'));
    for _ in 0.."recommend again (copy)".len() {
        app.update(special(Key::Backspace));
    }
    typed(&mut app, "renamed");
    app.update(special(Key::Enter));
    assert_eq!(&*app.current_template().unwrap().name, "renamed");

    app.update(Event::Action(Action::FocusCatalog));
    let before = app.current_file().unwrap().templates.templates.len();
    app.update(key('d'));
    assert!(matches!(
        app.overlay,
        Overlay::Confirm(Confirm::DeletePrompt { .. })
    ));
    app.update(key('n'));
    assert_eq!(
        app.current_file().unwrap().templates.templates.len(),
        before
    );
    app.update(key('d'));
    app.update(key('y'));
    let file = app.current_file().unwrap();
    assert_eq!(file.templates.templates.len(), before - 1);
    assert!(file
        .templates
        .templates
        .iter()
        .all(|t| &*t.name != "renamed"));
}

#[test]
fn the_catalog_filter_narrows_as_you_type_and_esc_clears_it() {
    let mut app = app(workspace());
    app.update(key('/'));
    typed(&mut app, "rte gpt");
    let rows = app.catalog.rows();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(matches!(rows[0], CatalogRow::File { shown: 1, .. }));
    assert_eq!(&*app.current_template().unwrap().name, "GPT-3 style");
    app.update(special(Key::Enter));
    assert_eq!(app.catalog.filter, "rte gpt");
    app.update(special(Key::Esc));
    assert_eq!(app.catalog.filter, "");
    assert_eq!(app.catalog.rows().len(), 6);
}

/// `/` starts a new filter instead of appending to the last one; Ctrl-W
/// and Ctrl-U delete a word and the line; the best match is selected and
/// the first group's heading stays in view.
#[test]
fn a_new_filter_replaces_the_last_and_lands_on_the_best_match() {
    let mut app = app(workspace());
    app.update(key('/'));
    typed(&mut app, "rec");
    app.update(special(Key::Enter));
    assert_eq!(app.catalog.filter, "rec");
    app.update(key('/'));
    typed(&mut app, "rte gpt");
    assert_eq!(app.catalog.filter, "rte gpt");
    app.update(ctrl('w'));
    assert_eq!(app.catalog.filter, "rte ");
    app.update(ctrl('w'));
    assert_eq!(app.catalog.filter, "");
    typed(&mut app, "ab cd");
    app.update(ctrl('u'));
    assert_eq!(app.catalog.filter, "");
    match &app.overlay {
        Overlay::Prompt(p) => assert_eq!((p.text.as_str(), p.cursor), ("", 0)),
        other => panic!("{other:?}"),
    }
    app.update(special(Key::Esc));

    // which_section is open and matches `ction`, but the matcher ranks
    // classify_question_first (`c` at a word start, then `tion`) first.
    app.update(key('j'));
    app.update(key('j'));
    assert_eq!(&*app.current_template().unwrap().name, "which_section");
    app.catalog.scroll.set(3);
    app.update(key('/'));
    typed(&mut app, "ction");
    assert_eq!(
        &*app.current_template().unwrap().name,
        "classify_question_first"
    );
    assert_eq!(app.catalog.selected, 1);
    assert_eq!(app.catalog.scroll.get(), 0, "the group heading shows");

    // `wrt` ranks write_headline above is_it_sports.
    let workspace = workspace();
    {
        let mut files = workspace.files.lock().unwrap();
        files[0]
            .templates
            .push(template("is_it_sports", "{{text}}", None));
        files[0]
            .templates
            .push(template("write_headline", "{{text}}", None));
    }
    let mut app = studio_support::app(workspace);
    app.update(key('/'));
    typed(&mut app, "wrt");
    assert_eq!(&*app.current_template().unwrap().name, "write_headline");
}

/// Pickers rank with the same matcher, and Ctrl-W / Ctrl-U work there too.
#[test]
fn the_language_picker_ranks_english_first_for_eng() {
    let mut app = app(workspace());
    app.update(Event::Action(Action::FocusMetadata));
    for _ in 0..6 {
        app.update(special(Key::Down));
    }
    app.update(special(Key::Enter));
    typed(&mut app, "eng");
    let Overlay::Picker(picker) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert_eq!(picker.options[picker.visible()[0]].0, "en");
    app.update(ctrl('w'));
    let Overlay::Picker(picker) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert_eq!(picker.filter, "");
}

#[test]
fn row_navigation_stays_in_range() {
    let mut app = app(workspace());
    answer(&mut app, Ok(Rendered::default()), None);
    app.update(Event::Action(Action::FocusPreview));
    let effects = app.update(key('j'));
    assert_eq!(preview_requests(&effects)[0].row, 1);
    app.update(key('G'));
    assert_eq!(app.preview.row, 2);
    assert!(
        preview_requests(&app.update(key('j'))).is_empty(),
        "already on the last row"
    );
    app.update(key(':'));
    typed(&mut app, "7");
    app.update(special(Key::Enter));
    match &app.overlay {
        Overlay::Prompt(p) => assert_eq!(p.error.as_deref(), Some("rows are 0–2")),
        other => panic!("{other:?}"),
    }
    // Rows count from 0, as in `datasets`, `render --row` and `check`.
    app.update(special(Key::Backspace));
    typed(&mut app, "3");
    app.update(special(Key::Enter));
    match &app.overlay {
        Overlay::Prompt(p) => assert_eq!(p.error.as_deref(), Some("rows are 0–2")),
        other => panic!("{other:?}"),
    }
    app.update(special(Key::Backspace));
    typed(&mut app, "1");
    app.update(special(Key::Enter));
    assert_eq!(app.preview.row, 1);
    app.update(key(':'));
    typed(&mut app, "0");
    app.update(special(Key::Enter));
    assert_eq!(app.preview.row, 0);
    let effects = app.update(key('s'));
    assert_eq!(
        preview_requests(&effects)[0].split.as_ref().unwrap().name,
        "train"
    );
    let effects = app.update(key('S'));
    assert!(effects.is_empty());
    for _ in 0..3 {
        app.update(special(Key::Backspace));
    }
    typed(&mut app, "42");
    let effects = app.update(special(Key::Enter));
    assert_eq!(preview_requests(&effects)[0].seed, 42);
}

#[test]
fn outside_changes_reload_and_keep_the_selection_or_ask_when_dirty() {
    let workspace = workspace();
    let mut app = app(workspace.clone());
    app.update(key('j'));
    let selected = app.current_template().unwrap().clone();
    assert_eq!(&*selected.name, "recommend");
    let path = app.current_file().unwrap().templates.path.clone();
    {
        let mut files = workspace.files.lock().unwrap();
        files[0].templates.reverse();
        files[0].templates[1].jinja = "changed elsewhere ||| {{label}}".into();
    }
    app.update(Event::FileChanged(path.clone()));
    assert_eq!(
        app.current_template().unwrap().id,
        selected.id,
        "selection follows the id"
    );
    assert_eq!(app.editor.text(), "changed elsewhere ||| {{label}}");
    assert!(!app.any_dirty());

    app.update(Event::Action(Action::FocusEditor));
    typed(&mut app, "mine ");
    workspace.files.lock().unwrap()[0].templates[1].jinja = "theirs".into();
    app.update(Event::FileChanged(path.clone()));
    assert!(matches!(
        app.overlay,
        Overlay::Confirm(Confirm::OutsideChange { .. })
    ));
    app.update(key('m'));
    assert!(app.editor.text().starts_with("mine "));
    assert!(app.any_dirty());

    workspace.files.lock().unwrap()[0].templates[1].jinja = "theirs again".into();
    app.update(Event::FileChanged(path));
    app.update(key('t'));
    assert_eq!(app.editor.text(), "theirs again");
    assert!(!app.any_dirty());
}

#[test]
fn metadata_fields_are_edited_in_place() {
    let mut app = app(workspace());
    app.update(Event::Action(Action::FocusMetadata));
    for _ in 0..3 {
        app.update(special(Key::Down));
    }
    app.update(key(' '));
    assert_eq!(
        app.current_template().unwrap().metadata.original_task,
        Some(false)
    );
    app.update(special(Key::Down));
    app.update(special(Key::Down));
    app.update(special(Key::Enter));
    assert!(matches!(app.overlay, Overlay::Picker(_)));
    app.update(special(Key::Down));
    app.update(key(' '));
    app.update(special(Key::Enter));
    assert_eq!(
        app.current_template().unwrap().metadata.metrics,
        vec!["Accuracy".to_owned(), "ROUGE".to_owned()]
    );
    app.update(special(Key::Down));
    app.update(special(Key::Enter));
    typed(&mut app, "french");
    app.update(key(' '));
    app.update(special(Key::Enter));
    assert_eq!(
        app.current_template().unwrap().metadata.languages,
        vec!["en".to_owned(), "fr".to_owned()]
    );

    app.update(special(Key::Up));
    app.update(special(Key::Up));
    app.update(special(Key::Up));
    app.update(special(Key::Up));
    app.update(special(Key::Enter));
    for _ in 0..80 {
        app.update(special(Key::Backspace));
    }
    typed(&mut app, "Yes ||| No ||| Maybe");
    let effects = app.update(special(Key::Enter));
    assert_eq!(
        preview_requests(&effects)[0]
            .template
            .answer_choices
            .as_deref(),
        Some("Yes ||| No ||| Maybe")
    );
    assert!(app.any_dirty());
}

/// The answer-choices prompt previews the choices as they are typed; Esc
/// goes back to the kept ones and leaves the file unmodified.
#[test]
fn the_answer_choices_prompt_previews_while_typing() {
    let mut app = app(workspace());
    app.update(Event::Action(Action::FocusMetadata));
    app.update(special(Key::Down));
    app.update(special(Key::Down));
    app.update(special(Key::Enter));
    match &app.overlay {
        Overlay::Prompt(p) => assert_eq!(p.kind, PromptKind::AnswerChoices),
        other => panic!("{other:?}"),
    }
    let kept = app.current_template().unwrap().answer_choices.clone();
    app.update(ctrl('u'));
    let effects = typed(&mut app, "A ||| B");
    let requests = preview_requests(&effects);
    assert_eq!(
        requests.last().unwrap().template.answer_choices.as_deref(),
        Some("A ||| B")
    );
    assert_eq!(app.current_template().unwrap().answer_choices, kept);
    let effects = app.update(special(Key::Esc));
    assert_eq!(
        preview_requests(&effects)[0].template.answer_choices,
        kept,
        "the preview goes back"
    );
    assert!(!app.any_dirty());
}

/// Space and `e` in the preview expand and collapse nested row values, as
/// the row pane's hint promises, zoomed or not.
#[test]
fn space_and_e_in_the_preview_expand_nested_values() {
    let mut app = app(workspace());
    app.update(Event::Action(Action::FocusPreview));
    assert!(!app.preview.expanded);
    app.update(key(' '));
    assert!(app.preview.expanded);
    app.update(key('e'));
    assert!(!app.preview.expanded);
    app.update(Event::Action(Action::ToggleZoom));
    assert!(app.zoomed);
    app.update(key('e'));
    assert!(app.preview.expanded);
}

#[test]
fn help_opens_outside_the_editor_and_the_editor_types_question_marks() {
    let mut app = app(workspace());
    app.update(key('?'));
    assert_eq!(app.context(), Context::Help);
    app.update(special(Key::Esc));
    app.update(Event::Action(Action::FocusEditor));
    app.update(Event::Action(Action::Top));
    app.update(key('?'));
    assert!(app.editor.text().starts_with('?'));
    app.update(Event::Key(KeyChord {
        key: Key::F(1),
        mods: Mods::default(),
    }));
    assert_eq!(app.context(), Context::Help);
}

#[test]
fn template_errors_point_the_editor_at_their_location() {
    let mut app = app(workspace());
    let error = promptstudio::app::Diagnostic {
        message: "unexpected end of template".into(),
        line: Some(2),
        column: Some(5),
    };
    answer(&mut app, Err(PreviewError::Template(error)), None);
    app.update(Event::Action(Action::FocusEditor));
    app.update(ctrl('e'));
    assert_eq!(
        app.editor.cursor(),
        promptstudio::app::editor::Cursor { line: 1, column: 4 }
    );
}

#[test]
fn the_batch_view_asks_for_a_page_with_statistics_and_cancels_on_close() {
    let mut app = app(workspace());
    let effects = app.update(Event::Key(KeyChord {
        key: Key::F(5),
        mods: Mods::default(),
    }));
    assert_eq!(app.view, View::Batch);
    let batch = effects.iter().find_map(|e| match e {
        Effect::Batch(request) => Some(request),
        _ => None,
    });
    let batch = batch.expect("a batch request");
    assert!(batch.with_stats);
    assert_eq!((batch.offset, batch.count), (0, 50));
    let effects = app.update(key('q'));
    assert_eq!(app.view, View::Main);
    assert!(effects.iter().any(|e| matches!(e, Effect::CancelBatch)));
}

/// Alt-Z in the batch view does not zoom the catalog once the view closes.
#[test]
fn zoom_in_the_batch_view_does_not_outlive_it() {
    let mut app = app(workspace());
    app.update(special(Key::F(5)));
    assert_eq!(app.view, View::Batch);
    app.update(Event::Key(KeyChord {
        key: Key::Char('z'),
        mods: Mods {
            alt: true,
            ..Mods::default()
        },
    }));
    app.update(special(Key::Esc));
    assert_eq!(app.view, View::Main);
    assert!(!app.zoomed);
}

#[test]
fn a_changed_data_file_reopens_the_split() {
    let mut app = app(workspace());
    app.take_effects();
    let shown = app.preview.current_split().unwrap().found.paths[0].clone();
    let effects = app.update(Event::FileChanged(shown));
    let requests = preview_requests(&effects);
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].data_epoch, 1,
        "workers reopen sources of a new epoch"
    );
    let other = std::path::PathBuf::from("/ws/data/other/_/train.parquet");
    assert!(preview_requests(&app.update(Event::FileChanged(other))).is_empty());
}

#[test]
fn enter_in_the_batch_view_opens_that_row() {
    use promptstudio::app::{BatchRow, BatchUpdate};
    let workspace = workspace();
    let mut app = app(workspace.clone());
    app.update(Event::Key(KeyChord {
        key: Key::F(5),
        mods: Mods::default(),
    }));
    let rows = workspace
        .rows
        .iter()
        .enumerate()
        .map(|(index, row)| BatchRow {
            index,
            row: row.clone(),
            outcome: Ok(Rendered::default()),
        })
        .collect();
    let generation = app.batch.generation;
    app.update(Event::Batch(BatchUpdate::Page {
        generation,
        rows: Ok(rows),
        row_count: 3,
        features: Vec::new(),
    }));
    app.update(key('j'));
    app.update(key('j'));
    let effects = app.update(special(Key::Enter));
    assert_eq!(app.view, View::Main);
    assert_eq!(app.preview.row, 2);
    assert_eq!(preview_requests(&effects)[0].row, 2);
}

#[test]
fn ctrl_c_quits_from_overlays_too() {
    let mut app = app(workspace());
    app.update(key('?'));
    assert!(app
        .update(ctrl('c'))
        .iter()
        .any(|e| matches!(e, Effect::Quit)));
    let mut app = studio_support::app(workspace());
    app.update(key('/'));
    assert!(app
        .update(ctrl('c'))
        .iter()
        .any(|e| matches!(e, Effect::Quit)));
}

/// A dataset with rows and no templates.yaml is listed, empty; its first
/// prompt creates the file where PromptSource keeps it, and a file that
/// appears there meanwhile is not overwritten.
#[test]
fn a_dataset_without_templates_gets_its_first_prompt_and_file() {
    use promptstudio::app::Workspace;
    use promptstudio::workspace::FolderWorkspace;
    use std::sync::Arc;

    let root = tempfile::tempdir().expect("temp dir");
    let rows = root.path().join("data/fresh_news/_");
    std::fs::create_dir_all(&rows).unwrap();
    std::fs::write(
        rows.join("train.jsonl"),
        "{\"text\": \"a\", \"label\": 0}\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.path().join("data/empty_folder/_")).unwrap();
    let hub_rows = root.path().join("data/someone/their_set/_");
    std::fs::create_dir_all(&hub_rows).unwrap();
    std::fs::write(hub_rows.join("validation.parquet.partial"), "").unwrap();
    std::fs::write(hub_rows.join("validation.parquet"), "").unwrap();
    std::fs::create_dir_all(root.path().join("templates")).unwrap();
    let workspace = Arc::new(FolderWorkspace::new(root.path(), None, None));
    let (files, problems) = workspace.discover();
    assert!(problems.is_empty(), "{problems:?}");
    let listed: Vec<(&str, usize)> = files
        .iter()
        .map(|file| (file.dataset.as_str(), file.templates.len()))
        .collect();
    assert_eq!(listed, [("fresh_news", 0), ("someone/their_set", 0)]);
    assert_eq!(
        files[1].path,
        root.path()
            .join("templates/someone/their_set/templates.yaml")
    );

    let expected = root.path().join("templates/fresh_news/templates.yaml");
    let mut app = TestApp::new(workspace.clone());
    app.update(key('n'));
    typed(&mut app, "first");
    app.update(special(Key::Enter));
    assert_eq!(app.overlay, Overlay::None);
    typed(&mut app, "{{text}} ||| {{label}}");
    app.update(ctrl('s'));
    assert!(!app.any_dirty(), "{:?}", app.notice);
    let saved = promptstudio::core::template::DatasetTemplates::load(&expected).expect("saved");
    assert_eq!(saved.dataset, "fresh_news");
    assert_eq!(saved.templates.len(), 1);
    assert_eq!(&*saved.templates[0].jinja, "{{text}} ||| {{label}}");

    // Another new file: someone creates it on disk before the first save.
    let rows = root.path().join("data/other/sub");
    std::fs::create_dir_all(&rows).unwrap();
    std::fs::write(rows.join("test.csv"), "text\nb\n").unwrap();
    let (files, _) = workspace.discover();
    let mut other = files
        .into_iter()
        .find(|file| file.dataset == "other")
        .expect("listed");
    assert_eq!(other.subset.as_deref(), Some("sub"));
    let path = root.path().join("templates/other/sub/templates.yaml");
    assert_eq!(other.path, path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "theirs").unwrap();
    other
        .templates
        .push(promptstudio::core::template::Template::new("mine"));
    assert!(workspace.save(&mut other, false).is_err());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "theirs");
}

/// Shift-arrows select in the editor, ctrl-x cuts to the clipboard (OSC 52)
/// and the preview follows; typing replaces a selection; a plain arrow ends it.
#[test]
fn selecting_cutting_and_replacing_text_in_the_editor() {
    let shift = |key: Key| {
        Event::Key(KeyChord {
            key,
            mods: Mods {
                shift: true,
                ..Mods::default()
            },
        })
    };
    let mut app = app(workspace());
    app.update(Event::Action(Action::FocusEditor));
    let original = app.editor.text();
    for _ in 0.."What label".len() {
        app.update(shift(Key::Right));
    }
    assert_eq!(app.editor.selected_text().as_deref(), Some("What label"));
    let effects = app.update(ctrl('x'));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Copy(text) if text == "What label")),
        "{effects:?}"
    );
    assert!(
        !preview_requests(&effects).is_empty(),
        "the preview follows the cut"
    );
    assert_eq!(app.editor.text(), original["What label".len()..]);
    assert!(app.any_dirty());

    app.update(shift(Key::End));
    typed(&mut app, "Which topic?");
    assert_eq!(
        app.editor.text().lines().next(),
        Some("Which topic?"),
        "{}",
        app.editor.text()
    );
    app.update(shift(Key::Left));
    app.update(special(Key::Right));
    assert_eq!(app.editor.selection(), None);
    let effects = app.update(Event::Key(KeyChord {
        key: Key::Char('w'),
        mods: Mods {
            alt: true,
            ..Mods::default()
        },
    }));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Copy(_))));
}

/// Text cut with Ctrl-X stays in the studio's register and Ctrl-V pastes it,
/// whether or not a terminal clipboard took the OSC 52 copy.
#[test]
fn cut_text_is_kept_and_pasted_back_from_the_register() {
    let mut app = app(workspace());
    app.update(Event::Action(Action::FocusEditor));
    app.update(ctrl('v'));
    assert_eq!(
        app.notice.as_ref().map(|n| n.text.as_str()),
        Some("Nothing copied or cut yet")
    );
    let original = app.editor.text();
    for _ in 0.."What ".len() {
        app.update(Event::Key(KeyChord {
            key: Key::Right,
            mods: Mods {
                shift: true,
                ..Mods::default()
            },
        }));
    }
    app.update(ctrl('x'));
    assert_eq!(app.register.as_deref(), Some("What "));
    assert!(app.editor.text().starts_with("label"));
    let effects = app.update(ctrl('v'));
    assert_eq!(app.editor.text(), original);
    assert!(
        !preview_requests(&effects).is_empty(),
        "the preview follows"
    );
    assert!(!app.any_dirty(), "back to the text on disk");
}

/// The unsaved-changes dialog offers save, quit without saving, and stay;
/// `y` is none of them (it used to discard the edits without saying so).
#[test]
fn yes_in_the_unsaved_changes_dialog_does_not_discard_the_edits() {
    let mut app = app(workspace());
    app.update(Event::Action(Action::FocusEditor));
    typed(&mut app, "x");
    app.update(ctrl('q'));
    assert!(!app
        .update(key('y'))
        .iter()
        .any(|e| matches!(e, Effect::Quit)));
    assert_eq!(app.overlay, Overlay::Confirm(Confirm::QuitUnsaved));
    // Select gives no default here; any other action stays.
    app.update(Event::Action(Action::Select));
    assert_eq!(app.overlay, Overlay::Confirm(Confirm::QuitUnsaved));
    app.update(Event::Action(Action::Cancel));
    assert_eq!(app.overlay, Overlay::None);
}

fn disk_requests(effects: Vec<Effect>) -> Vec<promptstudio::app::disk::DiskRequest> {
    effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Disk(request) => Some(request),
            _ => None,
        })
        .collect()
}

/// Opening a prompt of another dataset asks a worker for its splits; the
/// preview waits for them, and an answer for a dataset left meanwhile is
/// dropped.
#[test]
fn splits_are_found_off_the_ui_thread_and_the_newest_answer_wins() {
    let workspace = workspace();
    let mut app = app(workspace.clone());
    app.take_effects();
    // To super_glue/rte's prompt (the last row), without answering.
    let effects = app.update_unsettled(Event::Action(Action::Bottom));
    assert!(preview_requests(&effects).is_empty(), "{effects:?}");
    let to_rte = disk_requests(effects);
    assert_eq!(to_rte.len(), 1, "{to_rte:?}");
    assert!(app.preview.resolving);
    assert!(app.preview.pending());
    // Back to ag_news before the answer comes.
    app.update_unsettled(Event::Action(Action::Top));
    let back = disk_requests(app.update_unsettled(Event::Action(Action::Down)));
    let stale = to_rte.into_iter().next().unwrap().perform(&*workspace);
    let effects = app.update(Event::Disk(stale));
    assert!(
        preview_requests(&effects).is_empty(),
        "a stale answer asks nothing"
    );
    assert!(app.preview.resolving);
    let answer = back.into_iter().next().unwrap().perform(&*workspace);
    let effects = app.update(Event::Disk(answer));
    let requests = preview_requests(&effects);
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].split.as_ref().map(|s| s.name.as_str()),
        Some("test")
    );
    assert!(!app.preview.resolving);
}

/// A save is written by a worker: edits typed while it is on its way stay
/// unsaved, a second save waits for the first, and the watcher's echo of
/// our own write is not taken for an outside change.
#[test]
fn saves_go_through_the_disk_worker_and_edits_made_meanwhile_stay_unsaved() {
    let workspace = workspace();
    let mut app = app(workspace.clone());
    app.update(Event::Action(Action::FocusEditor));
    typed(&mut app, "x");
    let first = disk_requests(app.update_unsettled(ctrl('s')));
    assert_eq!(first.len(), 1);
    assert!(
        workspace.saves.lock().unwrap().is_empty(),
        "nothing written on the UI thread"
    );
    typed(&mut app, "y");
    assert!(
        disk_requests(app.update_unsettled(ctrl('s'))).is_empty(),
        "the second save waits for the first"
    );
    let answer = first.into_iter().next().unwrap().perform(&*workspace);
    let second = disk_requests(app.update_unsettled(Event::Disk(answer)));
    assert!(app.any_dirty(), "the y typed meanwhile is not saved yet");
    assert_eq!(second.len(), 1, "the queued save goes out now");
    let answer = second.into_iter().next().unwrap().perform(&*workspace);
    app.update(Event::Disk(answer));
    assert!(!app.any_dirty());
    let saves = workspace.saves.lock().unwrap().clone();
    assert_eq!(saves.len(), 2);
    assert!(saves[1].templates[0].jinja.starts_with("xy"));

    // Typed after the save, then the watcher reports our own write: no dialog.
    typed(&mut app, "z");
    let path = app.current_file().unwrap().templates.path.clone();
    app.update(Event::FileChanged(path));
    assert_eq!(app.overlay, Overlay::None);
    assert!(app.editor.text().starts_with("xyz"));
}

fn journaled(effects: &[Effect]) -> Option<&Vec<promptstudio::core::template::DatasetTemplates>> {
    effects.iter().rev().find_map(|e| match e {
        Effect::Journal(files) => Some(files),
        _ => None,
    })
}

/// Unsaved files are journaled after each edit (templates only), and the
/// journal goes when nothing is unsaved any more.
#[test]
fn edits_are_journaled_until_saved() {
    let mut app = app(workspace());
    assert!(
        journaled(&app.take_effects()).is_none(),
        "nothing to journal at start"
    );
    app.update(Event::Action(Action::FocusEditor));
    let effects = typed(&mut app, "x");
    let files = journaled(&effects).expect("the edit is journaled");
    assert_eq!(files.len(), 1);
    assert!(files[0].templates[0].jinja.starts_with("xWhat label"));
    // Moving around changes nothing unsaved: no journal write.
    assert!(journaled(&app.update(Event::Action(Action::Down))).is_none());
    let effects = app.update(ctrl('s'));
    assert_eq!(journaled(&effects).map(Vec::len), Some(0), "{effects:?}");
}

fn edited_journal(
    workspace: &MemoryWorkspace,
) -> Vec<promptstudio::core::template::DatasetTemplates> {
    let mut file = workspace.files.lock().unwrap()[0].clone();
    file.templates[0].jinja = "restored {{text}} ||| {{label}}".into();
    file.templates.remove(2);
    vec![file]
}

#[test]
fn an_earlier_sessions_journal_is_offered_back_and_restored_as_unsaved_edits() {
    let workspace = workspace();
    let mut app = app(workspace.clone());
    app.take_effects();
    app.update(Event::Journal(Ok(edited_journal(&workspace))));
    let Overlay::Confirm(Confirm::RestoreJournal { prompts, .. }) = &app.overlay else {
        panic!("expected the restore dialog, got {:?}", app.overlay);
    };
    assert_eq!(
        prompts,
        &[
            "ag_news: classify_question_first",
            "ag_news: which_section (deleted)"
        ]
    );
    // Keys other than the dialog's do nothing; quitting is not one of them.
    assert!(app.update(ctrl('q')).is_empty());
    let effects = app.update(key('r'));
    assert_eq!(app.overlay, Overlay::None);
    assert_eq!(app.editor.text(), "restored {{text}} ||| {{label}}");
    assert!(app.any_dirty(), "restored edits are unsaved");
    assert_eq!(app.current_file().unwrap().templates.templates.len(), 2);
    assert!(!preview_requests(&effects).is_empty());
    let files = journaled(&effects).expect("journaled again as this session's");
    assert_eq!(files[0].templates.len(), 2);
}

#[test]
fn discarding_an_earlier_sessions_journal_removes_it_and_keeps_the_files() {
    let workspace = workspace();
    let mut app = app(workspace.clone());
    let before = app.editor.text();
    app.update(Event::Journal(Ok(edited_journal(&workspace))));
    let effects = app.update(key('d'));
    assert_eq!(journaled(&effects).map(Vec::len), Some(0));
    assert_eq!(app.editor.text(), before);
    assert!(!app.any_dirty());

    // A journal that matches the files (saved after all) is not offered.
    let mut app = studio_support::app(workspace.clone());
    let same = vec![workspace.files.lock().unwrap()[0].clone()];
    let effects = app.update(Event::Journal(Ok(same)));
    assert_eq!(app.overlay, Overlay::None);
    assert_eq!(journaled(&effects).map(Vec::len), Some(0));
}

/// "Save all and quit" hands over the journal's removal before quitting.
#[test]
fn saving_all_and_quitting_removes_the_journal_first() {
    let mut app = app(workspace());
    app.update(Event::Action(Action::FocusEditor));
    typed(&mut app, "x");
    app.update(ctrl('q'));
    let effects = app.update(key('s'));
    let journal = effects
        .iter()
        .position(|e| matches!(e, Effect::Journal(files) if files.is_empty()));
    let quit = effects.iter().position(|e| matches!(e, Effect::Quit));
    assert!(journal.is_some() && quit.is_some(), "{effects:?}");
    assert!(journal < quit, "{effects:?}");
}
