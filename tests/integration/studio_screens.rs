//! Snapshots of the main screens at 80x24 and 160x48, drawn with ratatui's
//! TestBackend from states reached through `App::update`.

#![cfg(feature = "tui")]

use crate::studio_support;

use promptstudio::app::stats::SplitStats;
use promptstudio::app::{
    Action, App, BatchRow, BatchUpdate, Diagnostic, Event, Key, KeyChord, PreviewError, Rendered,
};
use promptstudio::ui::{ColorDepth, Theme, Ui};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use studio_support::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn draw(app: &App, width: u16, height: u16) -> TestBackend {
    let ui = Ui::new(Theme::default_for(ColorDepth::None));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| ui.draw(frame, app)).unwrap();
    terminal.backend().clone()
}

fn snapshot(name: &str, app: &App) {
    for (width, height) in SIZES {
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), draw(app, width, height));
    }
}

fn rendered_first_row(app: &mut App) {
    let text = workspace().rows[0].clone();
    let input = "What label best describes this news article?\nHarbour Traders Win Back Their Losses (Wire) Wire - Dealers on the harbour exchange, long the gloomiest of market watchers, are buying again.";
    let value_start = input.find("Harbour Traders").unwrap();
    answer(
        app,
        Ok(Rendered {
            parts: vec![input.into(), "Business".into()],
            answer_choices: Some(vec![
                "World politics".into(),
                "Sports".into(),
                "Business".into(),
                "Science and technology".into(),
            ]),
            spans: vec![vec![value_start..input.len()], vec![0..8]],
        }),
        Some(text),
    );
}

#[test]
fn editor_with_preview() {
    let mut app = app(workspace());
    app.update(Event::Action(Action::FocusEditor));
    rendered_first_row(&mut app);
    snapshot("editor_with_preview", &app);
}

#[test]
fn template_error() {
    let mut app = app(workspace());
    app.update(Event::Action(Action::FocusEditor));
    app.update(Event::Action(Action::Bottom));
    for c in " {% if".chars() {
        app.update(Event::Key(KeyChord::plain(Key::Char(c))));
    }
    let error = Diagnostic {
        message: "unexpected end of template, expected 'end of statement block'".into(),
        line: Some(2),
        column: Some(36),
    };
    answer(
        &mut app,
        Err(PreviewError::Template(error)),
        Some(workspace().rows[0].clone()),
    );
    snapshot("template_error", &app);
}

#[test]
fn blank_result_and_metadata() {
    let mut app = app(workspace());
    app.update(Event::Action(Action::FocusMetadata));
    answer(
        &mut app,
        Ok(Rendered {
            parts: vec![String::new()],
            ..Rendered::default()
        }),
        Some(workspace().rows[2].clone()),
    );
    snapshot("blank_result_and_metadata", &app);
}

#[test]
fn batch_view() {
    let mut app = app(workspace());
    rendered_first_row(&mut app);
    app.update(Event::Action(Action::BatchView));
    let rows = workspace().rows.clone();
    let page: Vec<BatchRow> = rows
        .iter()
        .enumerate()
        .map(|(index, row)| BatchRow {
            index,
            row: row.clone(),
            outcome: if index == 2 {
                Err(Diagnostic {
                    message: "list object has no element 3".into(),
                    line: Some(2),
                    column: None,
                })
            } else {
                Ok(Rendered {
                    parts: vec![
                        format!("Article {index} text"),
                        ["Business", "Sports"][index].into(),
                    ],
                    ..Rendered::default()
                })
            },
        })
        .collect();
    let generation = app.batch.generation;
    app.update(Event::Batch(BatchUpdate::Page {
        generation,
        rows: Ok(page),
        row_count: 3,
        features: vec![("label".into(), labels())],
    }));
    let mut stats = SplitStats::new(7600);
    stats.done = 7600;
    stats.finished = true;
    stats.errors = 12;
    stats.blank = 1;
    stats.empty_targets = 3;
    stats.target_not_in_choices = 4;
    stats.histogram = [10, 200, 3000, 3500, 800, 70, 8, 0, 0, 0];
    stats.first_error = Some((2, "line 2: list object has no element 3".into()));
    app.update(Event::Batch(BatchUpdate::Stats { generation, stats }));
    snapshot("batch_view", &app);
}

#[test]
fn catalog_with_filter() {
    let mut app = app(workspace());
    app.update(Event::Key(KeyChord::plain(Key::Char('/'))));
    for c in "sect".chars() {
        app.update(Event::Key(KeyChord::plain(Key::Char(c))));
    }
    app.update(Event::Key(KeyChord::plain(Key::Enter)));
    snapshot("catalog_with_filter", &app);
}

#[test]
fn help_overlay() {
    let mut app = app(workspace());
    app.update(Event::Action(Action::Help));
    snapshot("help_overlay", &app);
}

/// The hint lists exactly the keys the dialog answers to (from one list).
#[test]
fn unsaved_changes_dialog() {
    let mut app = app(workspace());
    app.update(Event::Action(Action::FocusEditor));
    app.update(Event::Key(KeyChord::plain(Key::Char('x'))));
    rendered_first_row(&mut app);
    app.update(Event::Key(KeyChord::ctrl('q')));
    snapshot("unsaved_changes_dialog", &app);
}

/// An earlier session's unsaved edits, offered back at start.
#[test]
fn restore_dialog() {
    let workspace = workspace();
    let mut app = app(workspace.clone());
    rendered_first_row(&mut app);
    let mut journaled = workspace.files.lock().unwrap()[0].clone();
    journaled.templates[1].jinja = "edited".into();
    journaled
        .templates
        .push(promptstudio::core::template::Template::new("added"));
    app.update(Event::Journal(Ok(vec![journaled])));
    snapshot("restore_dialog", &app);
}

#[test]
fn catalog_statistics() {
    let mut app = app(workspace());
    app.update(Event::Action(Action::CatalogStats));
    app.update(Event::SplitSize {
        title: "ag_news".into(),
        split: "test".into(),
        rows: Ok(7600),
    });
    app.update(Event::SplitSize {
        title: "ag_news".into(),
        split: "train".into(),
        rows: Ok(120000),
    });
    snapshot("catalog_statistics", &app);
}

/// On a wide terminal the catalog widens to its longest name (up to a
/// quarter of the screen) instead of cutting it at a fixed width.
#[test]
fn the_catalog_widens_with_the_terminal() {
    let workspace = workspace();
    workspace.files.lock().unwrap()[0].templates.push(template(
        "summarize_the_article_then_write_a_headline",
        "{{text}}",
        None,
    ));
    let app = TestApp::new(workspace);
    let screen = format!("{:?}", draw(&app, 200, 48));
    assert!(
        screen.contains("summarize_the_article_then_write_a_headline"),
        "{screen}"
    );
    let narrow = format!("{:?}", draw(&app, 80, 24));
    assert!(narrow.contains("summarize_the_artic…"), "{narrow}");
}

/// An empty workspace's message wraps in the narrow catalog, uncut.
#[test]
fn empty_workspace() {
    let app = TestApp::new(std::sync::Arc::new(MemoryWorkspace::default()));
    snapshot("empty_workspace", &app);
}

#[test]
fn too_small_a_terminal_says_so() {
    let app = app(workspace());
    insta::assert_snapshot!(draw(&app, 50, 10));
}

#[test]
fn clicks_focus_the_pane_under_the_mouse() {
    use promptstudio::app::Focus;
    let mut app = app(workspace());
    draw(&app, 80, 24);
    app.update(Event::Click {
        column: 40,
        row: 20,
    });
    assert_eq!(app.focus, Focus::Preview);
    app.update(Event::Click { column: 40, row: 3 });
    assert_eq!(app.focus, Focus::Editor);
    app.update(Event::Click { column: 5, row: 5 });
    assert_eq!(app.focus, Focus::Catalog);
}

#[test]
fn zoom_gives_the_focused_pane_the_whole_screen() {
    let mut app = app(workspace());
    rendered_first_row(&mut app);
    app.update(Event::Action(Action::FocusPreview));
    app.update(Event::Action(Action::ToggleZoom));
    let screen = draw(&app, 80, 24);
    let text = format!("{screen}");
    assert!(text.contains("Preview"));
    assert!(!text.contains("Catalog"), "{text}");
    assert!(!text.contains("Template"), "{text}");
}

/// Wide characters take two cells: the cursor after three CJK characters
/// sits three cells further right than after three ASCII ones, and the text
/// after them is drawn in place.
#[test]
fn wide_characters_keep_the_editor_cursor_in_place() {
    fn cursor_after_typing(text: &str) -> (u16, String) {
        let mut app = app(workspace());
        app.update(Event::Action(Action::FocusEditor));
        for c in text.chars() {
            app.update(Event::Key(KeyChord::plain(Key::Char(c))));
        }
        let ui = Ui::new(Theme::default_for(ColorDepth::None));
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        terminal.draw(|frame| ui.draw(frame, &app)).unwrap();
        let cursor = terminal.get_cursor_position().unwrap();
        (cursor.x, format!("{}", terminal.backend()))
    }
    let (ascii_x, _) = cursor_after_typing("abc");
    let (wide_x, screen) = cursor_after_typing("日本語");
    assert_eq!(wide_x, ascii_x + 3, "{screen}");
    assert!(screen.contains("日本語What label"), "{screen}");
}

/// Selected text is drawn in the theme's selection style, and only it.
#[test]
fn the_selection_is_drawn_in_its_style() {
    let mut app = app(workspace());
    app.update(Event::Action(Action::FocusEditor));
    for _ in 0..4 {
        app.update(Event::Action(Action::SelectRight));
    }
    let theme = Theme::default_for(ColorDepth::TrueColor);
    let selected_bg = theme
        .get("editor.selection")
        .bg
        .expect("the theme colours selections");
    let ui = Ui::new(theme);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| ui.draw(frame, &app)).unwrap();
    let buffer = terminal.backend().buffer();
    let row = (0..24)
        .find(|&y| {
            (0..80)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .contains("What label")
        })
        .expect("the template's first line is on screen");
    let line: Vec<_> = (0..80).map(|x| &buffer[(x, row)]).collect();
    let start = (0..80)
        .find(|&x| line[x].symbol() == "W")
        .expect("the line starts");
    let selected: String = line
        .iter()
        .filter(|cell| cell.bg == selected_bg)
        .map(|cell| cell.symbol())
        .collect();
    assert_eq!(selected, "What");
    assert_eq!(line[start].bg, selected_bg);
}

/// The studio at 80x24 after typing 96 characters at the start of the
/// template's first line, which makes it wrap; drawn once.
fn app_with_a_wrapped_first_line() -> (TestApp, Ui, Terminal<TestBackend>) {
    let mut app = app(workspace());
    app.update(Event::Action(Action::FocusEditor));
    for _ in 0..12 {
        for c in "lengthy ".chars() {
            app.update(Event::Key(KeyChord::plain(Key::Char(c))));
        }
    }
    let ui = Ui::new(Theme::default_for(ColorDepth::None));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| ui.draw(frame, &app)).unwrap();
    (app, ui, terminal)
}

/// A line longer than the editor wraps at a space onto an unnumbered row,
/// and the cursor at its end is drawn on that row.
#[test]
fn long_lines_wrap_and_the_cursor_follows() {
    let (_app, _ui, mut terminal) = app_with_a_wrapped_first_line();
    let cursor = terminal.get_cursor_position().unwrap();
    let screen = format!("{}", terminal.backend());
    let rows: Vec<&str> = screen.lines().collect();
    let first = rows
        .iter()
        .position(|row| row.contains("1  lengthy"))
        .expect("the first line is drawn");
    // The typed text (96 characters) does not fit the editor's width: its
    // words continue on the next row, which has no line number.
    assert!(rows[first + 1].contains("   lengthy"), "{screen}");
    assert!(!rows[first].contains("What"), "{screen}");
    assert!(cursor.y as usize > first, "{screen}");
    assert!(screen.contains("What label"), "{screen}");
}

/// Up and down on a wrapped line go to its other screen rows, not to the
/// lines around it.
#[test]
fn up_and_down_move_by_screen_rows_in_a_wrapped_line() {
    let (mut app, ui, mut terminal) = app_with_a_wrapped_first_line();
    // The cursor is on the third screen row of line 1, before "What".
    let before = terminal.get_cursor_position().unwrap();
    app.update(Event::Key(KeyChord::plain(Key::Up)));
    terminal.draw(|frame| ui.draw(frame, &app)).unwrap();
    let up = terminal.get_cursor_position().unwrap();
    let screen = format!("{}", terminal.backend());
    assert_eq!(app.editor.cursor().line, 0, "{screen}");
    assert_eq!((up.x, up.y), (before.x, before.y - 1), "{screen}");
    app.update(Event::Key(KeyChord::plain(Key::Down)));
    terminal.draw(|frame| ui.draw(frame, &app)).unwrap();
    assert_eq!(terminal.get_cursor_position().unwrap(), before, "{screen}");
    app.update(Event::Key(KeyChord::plain(Key::Down)));
    assert_eq!(app.editor.cursor().line, 1, "{screen}");
}
