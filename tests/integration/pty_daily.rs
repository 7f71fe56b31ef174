//! The studio in a pseudo-terminal for what only a terminal shows: a paste
//! without bracketed paste, and the sample workspace opened with no
//! argument outside a workspace.

#![cfg(feature = "tui")]

use std::time::Duration;

use crate::pty_e2e::{write_workspace, Studio};

/// A terminal that does not bracket pastes sends the pasted text as keys
/// in one read: its tab is text in the template, not a focus change.
#[test]
fn a_paste_without_bracketed_paste_keeps_its_tabs_in_the_editor() {
    let workspace = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    write_workspace(workspace.path());
    let mut studio = Studio::start(workspace.path(), home.path());
    studio.wait_for("the first preview", |s| {
        s.contains("Topic of: Phelps wins gold in Athens")
    });
    studio.send(b"\t");
    std::thread::sleep(Duration::from_millis(300));
    // No ESC[200~ around it: as a terminal without bracketed paste sends it.
    studio.send(b"ab\tcd");
    std::thread::sleep(Duration::from_millis(300));
    studio.send(b"Z");
    studio.wait_for("the pasted text and the Z after it in the template", |s| {
        s.contains("cdZTopic of:")
    });
}

/// With no argument, in a folder that is no workspace, the studio opens
/// its own sample workspace, copied (writable) under $XDG_DATA_HOME.
#[test]
fn no_argument_outside_a_workspace_opens_a_copy_of_the_sample_workspace() {
    let elsewhere = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let data_home = home.path().join("data");
    let studio = Studio::spawn(
        None,
        Some(elsewhere.path()),
        home.path(),
        &[("XDG_DATA_HOME", data_home.to_str().unwrap())],
    );
    studio.wait_for("the sample catalog", |s| s.contains("news_topics"));
    let copy = data_home.join("promptstudio/sample-data");
    assert!(copy.join("templates/news_topics/templates.yaml").is_file());
    assert!(copy.join("data/news_topics/_/train.parquet").is_file());
}
