//! The studio binary in a pseudo-terminal, read back through vt100: the
//! preview follows typing, an outside edit of templates.yaml reloads,
//! saving writes the file, and an unsaved edit survives a `kill -9`.
//!
//! Runs `promptstudio <workspace>`; `PROMPTSTUDIO_STUDIO_BIN` points it at
//! another build of the studio (e.g. an example) when needed.

#![cfg(feature = "tui")]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use parquet::arrow::ArrowWriter;
use portable_pty::{native_pty_system, CommandBuilder, PtySize};
use promptstudio::core::template::{DatasetTemplates, Template};

const ROWS: u16 = 30;
const COLS: u16 = 110;
const TIMEOUT: Duration = Duration::from_secs(20);

pub(crate) fn write_workspace(root: &Path) {
    let templates_dir = root.join("templates/ag_news");
    std::fs::create_dir_all(&templates_dir).unwrap();
    let mut file = DatasetTemplates::new(templates_dir.join("templates.yaml"), "ag_news", None);
    let mut template = Template::new("classify");
    template.jinja = "Topic of: {{text}} ||| {{ answer_choices[label] }}".into();
    template.answer_choices = Some("World ||| Sports ||| Business ||| Sci/Tech".into());
    template.metadata.languages = vec!["en".into()];
    file.templates.push(template);
    file.save().unwrap();

    let data_dir = root.join("data/ag_news/_");
    std::fs::create_dir_all(&data_dir).unwrap();
    let text: ArrayRef = Arc::new(StringArray::from(vec![
        "Phelps wins gold in Athens",
        "Oil prices rise again",
    ]));
    let label: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
    let batch = RecordBatch::try_from_iter([("text", text), ("label", label)]).unwrap();
    let output = std::fs::File::create(data_dir.join("test.parquet")).unwrap();
    let mut writer = ArrowWriter::try_new(output, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

pub(crate) struct Studio {
    screen: Arc<Mutex<vt100::Parser>>,
    /// Everything the studio wrote, for sequences the screen does not keep (OSC 52).
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Studio {
    /// The studio on `workspace`, with its config and state (journal)
    /// folders in `home`, never the user's.
    pub(crate) fn start(workspace: &Path, home: &Path) -> Studio {
        Studio::start_with(workspace, home, &[])
    }

    /// As [`Studio::start`], with `env` set (and `TMUX` only when given).
    fn start_with(workspace: &Path, home: &Path, env: &[(&str, &str)]) -> Studio {
        Studio::spawn(Some(workspace), None, home, env)
    }

    /// The studio opened on `workspace` (none: no argument) in folder `cwd`.
    pub(crate) fn spawn(
        workspace: Option<&Path>,
        cwd: Option<&Path>,
        home: &Path,
        env: &[(&str, &str)],
    ) -> Studio {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let binary = std::env::var("PROMPTSTUDIO_STUDIO_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_promptstudio").to_owned());
        let mut command = CommandBuilder::new(binary);
        if let Some(workspace) = workspace {
            command.arg(workspace);
        }
        if let Some(cwd) = cwd {
            command.cwd(cwd);
        }
        command.env("TERM", "xterm-256color");
        command.env("XDG_CONFIG_HOME", home.join("config"));
        command.env("XDG_STATE_HOME", home.join("state"));
        command.env_remove("NO_COLOR");
        command.env_remove("TMUX");
        for (name, value) in env {
            command.env(name, value);
        }
        let child = pty.slave.spawn_command(command).unwrap();
        drop(pty.slave);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
        let mut reader = pty.master.try_clone_reader().unwrap();
        let parser = screen.clone();
        let raw = Arc::new(Mutex::new(Vec::new()));
        let raw_copy = raw.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                parser.lock().unwrap().process(&buffer[..n]);
                raw_copy.lock().unwrap().extend_from_slice(&buffer[..n]);
            }
        });
        let writer = pty.master.take_writer().unwrap();
        // The master must outlive the child's use of the terminal.
        std::mem::forget(pty.master);
        Studio {
            screen,
            raw,
            writer,
            child,
        }
    }

    pub(crate) fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    pub(crate) fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) {
        let started = Instant::now();
        while started.elapsed() < TIMEOUT {
            if ready(&self.contents()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "timed out waiting for {what}; the screen shows:\n{}",
            self.contents()
        );
    }

    pub(crate) fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
    }
}

impl Drop for Studio {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[test]
fn type_reload_and_save_in_a_real_terminal() {
    let workspace = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    write_workspace(workspace.path());
    let templates_path = workspace.path().join("templates/ag_news/templates.yaml");
    let mut studio = Studio::start(workspace.path(), home.path());

    // The first prompt opens with its preview on row 0.
    studio.wait_for("the first preview", |s| {
        s.contains("Topic of: Phelps wins gold in Athens") && s.contains("Sports")
    });

    // Someone else adds a prompt and saves atomically: the catalog reloads
    // and keeps the selection.
    let mut outside = DatasetTemplates::load(&templates_path).unwrap();
    let mut added = Template::new("added_outside");
    added.jinja = "{{text}}".into();
    outside.templates.push(added);
    outside.save().unwrap();
    studio.wait_for("the reload", |s| {
        s.contains("added_outside") && s.contains("Topic of: Phelps")
    });

    // Into the editor (tab), type at the start of the template: the preview follows.
    studio.send(b"\t");
    studio.send(b"Hello ");
    studio.wait_for("the preview to follow typing", |s| {
        s.contains("Hello Topic of: Phelps wins gold in Athens")
    });
    studio.wait_for("the dirty mark", |s| s.contains("modified"));

    // Next row (ctrl-n).
    studio.send(b"\x0e");
    studio.wait_for("row 1", |s| {
        s.contains("Hello Topic of: Oil prices rise again") && s.contains("Business")
    });

    // Save (ctrl-s): the file on disk has the edit, and the outside prompt.
    studio.send(b"\x13");
    studio.wait_for("the save notice", |s| s.contains("Saved"));
    // The watcher sees our own save; that is not an outside change.
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        !studio.contents().contains("Reloaded"),
        "{}",
        studio.contents()
    );
    let saved = DatasetTemplates::load(&templates_path).unwrap();
    let classify = saved.template_by_name("classify").unwrap();
    assert_eq!(
        &*classify.jinja,
        "Hello Topic of: {{text}} ||| {{ answer_choices[label] }}"
    );
    assert!(saved.template_by_name("added_outside").is_some());
    assert_eq!(
        std::fs::read_to_string(&templates_path).unwrap(),
        saved.to_yaml()
    );

    // Copy (alt-c): the rendered input and target go out as OSC 52.
    studio.send(b"\x1bc");
    let expected = format!(
        "\x1b]52;c;{}\x07",
        base64("Hello Topic of: Oil prices rise again\n\nBusiness")
    );
    let started = Instant::now();
    while !String::from_utf8_lossy(&studio.raw.lock().unwrap()).contains(&expected) {
        assert!(
            started.elapsed() < TIMEOUT,
            "no OSC 52 sequence for the copy"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Quit (ctrl-q): nothing is unsaved, so it exits at once.
    studio.send(b"\x11");
    studio.wait_for_exit(true);
}

impl Studio {
    fn wait_for_exit(&mut self, success: bool) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert_eq!(status.success(), success, "exit status {status:?}");
                return;
            }
            assert!(
                started.elapsed() < TIMEOUT,
                "the studio did not quit; screen:\n{}",
                self.contents()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Inside tmux (`$TMUX` set), a copy goes out wrapped in tmux's DCS
/// passthrough, each ESC of the OSC 52 sequence doubled, since tmux's default
/// `set-clipboard external` drops a bare OSC 52 from an application.
#[test]
fn copy_inside_tmux_goes_through_tmux_passthrough() {
    let workspace = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    write_workspace(workspace.path());
    let mut studio = Studio::start_with(
        workspace.path(),
        home.path(),
        &[("TMUX", "/tmp/tmux-1000/default,1234,0")],
    );
    studio.wait_for("the first preview", |s| {
        s.contains("Topic of: Phelps wins gold in Athens")
    });
    studio.send(b"\x1bc");
    let expected = format!(
        "\x1bPtmux;\x1b\x1b]52;c;{}\x07\x1b\\",
        base64("Topic of: Phelps wins gold in Athens\n\nSports")
    );
    let started = Instant::now();
    while !String::from_utf8_lossy(&studio.raw.lock().unwrap()).contains(&expected) {
        assert!(
            started.elapsed() < TIMEOUT,
            "no tmux-wrapped OSC 52 sequence for the copy"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    studio.send(b"\x11");
    studio.wait_for_exit(true);
}

/// The journals in the state folder, with their text (not the temporary
/// files of writes in progress).
fn journals(state: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(state.join("promptstudio")) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.starts_with("journal-") && name.ends_with(".json")
        })
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .collect()
}

#[test]
fn an_unsaved_edit_survives_a_kill_and_is_restored() {
    let copy = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("state");
    write_workspace(copy.path());
    let templates_path = copy.path().join("templates/ag_news/templates.yaml");
    let on_disk = std::fs::read_to_string(&templates_path).unwrap();

    let mut studio = Studio::start(copy.path(), home.path());
    studio.wait_for("the first preview", |s| s.contains("Topic of: Phelps"));
    studio.send(b"\t");
    studio.send(b"Unsaved ");
    studio.wait_for("the preview to follow typing", |s| {
        s.contains("Unsaved Topic of: Phelps")
    });
    let started = Instant::now();
    while !journals(&state)
        .iter()
        .any(|j| j.contains("Unsaved Topic of"))
    {
        assert!(
            started.elapsed() < TIMEOUT,
            "no journal in {}",
            state.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // SIGKILL: no handler, no cleanup, no restoring of anything.
    let pid = studio.child.process_id().expect("the studio's pid");
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    studio.wait_for_exit(false);
    assert_eq!(std::fs::read_to_string(&templates_path).unwrap(), on_disk);

    // The next start in the workspace offers the edit back.
    let mut studio = Studio::start(copy.path(), home.path());
    studio.wait_for("the restore dialog", |s| {
        s.contains("Unsaved edits from the last session") && s.contains("ag_news: classify")
    });
    studio.send(b"r");
    studio.wait_for("the restored edit in the preview", |s| {
        s.contains("Unsaved Topic of: Phelps") && s.contains("modified")
    });
    assert_eq!(
        std::fs::read_to_string(&templates_path).unwrap(),
        on_disk,
        "restored as an unsaved edit, not saved"
    );
    // Save all and quit: the file has the edit and the journal is gone.
    studio.send(b"\x11");
    studio.wait_for("the unsaved-changes dialog", |s| {
        s.contains("save all and quit")
    });
    studio.send(b"s");
    studio.wait_for_exit(true);
    let saved = DatasetTemplates::load(&templates_path).unwrap();
    assert!(saved
        .template_by_name("classify")
        .unwrap()
        .jinja
        .starts_with("Unsaved Topic of"));
    assert!(journals(&state).is_empty(), "the journal outlived the save");
    let left: Vec<_> = std::fs::read_dir(state.join("promptstudio"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name())
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "left in the state folder: {left:?}");
}

/// RFC 4648 base64, to build the expected OSC 52 payload independently of the studio's encoder.
fn base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let mut n = 0u32;
        for (i, &b) in chunk.iter().enumerate() {
            n |= u32::from(b) << (16 - 8 * i);
        }
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
        out.push_str(&"=".repeat(3 - chunk.len()));
    }
    out
}
