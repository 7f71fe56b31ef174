//! Ctrl-C in the middle of an export, as a separate process: finished
//! outputs stay, nothing half-written is left under a final name, and a
//! rerun completes the export with the same bytes as an uninterrupted one.
//!
//! The child is this test binary re-run on `child_process_entry` with
//! `EXPORT_INTERRUPT_CHILD` set; it exports with a deliberately slow
//! stand-in renderer so the signal lands mid-way.

use crate::corpus;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Parser;
use promptstudio::cli::export::{execute, ExportArgs};
use promptstudio::core::apply::Rendered;
use promptstudio::core::datum::{Datum, Row};
use promptstudio::core::template::Template;
use promptstudio::export::manifest::Manifest;
use promptstudio::export::RowRenderer;

const CHILD_ENV: &str = "EXPORT_INTERRUPT_CHILD";
const STARTED_MARKER: &str = "started";

#[derive(Parser)]
struct Command {
    #[command(flatten)]
    args: ExportArgs,
}

fn conformance() -> Option<PathBuf> {
    corpus::conformance("index.json")
}

/// Echoes the row's text; optionally slow, and announcing its first render
/// (by which time the signal handlers are in place) with a marker file.
struct Echo {
    delay: Duration,
    marker: Option<PathBuf>,
}

impl RowRenderer for Echo {
    fn render(&self, row: &Row, _seed: u64) -> Result<Rendered, String> {
        if let Some(marker) = &self.marker {
            let _ = std::fs::write(marker, "");
        }
        std::thread::sleep(self.delay);
        let text = match row.get("text") {
            Some(Datum::Str(text)) => text.to_string(),
            _ => return Err("no text".to_string()),
        };
        let label = match row.get("label") {
            Some(Datum::Int(label)) => label.to_string(),
            _ => return Err("no label".to_string()),
        };
        Ok(Rendered {
            parts: vec![text, label],
            answer_choices: None,
            spans: Vec::new(),
        })
    }
}

fn export(
    corpus: &Path,
    out: &Path,
    delay: Duration,
    marker: Option<PathBuf>,
) -> anyhow::Result<()> {
    let templates = corpus.join("templates/ag_news");
    let command = Command::try_parse_from([
        "export",
        "--templates",
        templates.to_str().unwrap(),
        "--workspace",
        corpus.to_str().unwrap(),
        "--dataset",
        "ag_news",
        "--out",
        out.to_str().unwrap(),
        "--threads",
        "2",
        "--quiet",
    ])?;
    let compile = move |_: &Template| -> anyhow::Result<Box<dyn RowRenderer>> {
        Ok(Box::new(Echo {
            delay,
            marker: marker.clone(),
        }))
    };
    execute(&command.args, &mut std::io::sink(), &compile).map(|_| ())
}

/// Runs only as the child process of `ctrl_c_keeps_finished_outputs_and_resumes`.
#[test]
fn child_process_entry() {
    let Some(out) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let out = PathBuf::from(out);
    let Some(corpus) = conformance() else { return };
    let marker = out.with_extension(STARTED_MARKER);
    if let Err(error) = export(&corpus, &out, Duration::from_millis(40), Some(marker)) {
        eprintln!("child stopped: {error:#}");
        std::process::exit(3);
    }
}

fn files_under(folder: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn ctrl_c_keeps_finished_outputs_and_resumes() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let Some(corpus) = conformance() else { return };
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("interrupted");
    let marker = out.with_extension(STARTED_MARKER);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "export_interrupt::child_process_entry",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, &out)
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !marker.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the child never started rendering"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the child ended before rendering: {status}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(3),
        "the child should stop with an error, got {status}"
    );

    // No partial file, and every file under a final name is a complete output.
    let manifest = Manifest::load(&out)
        .unwrap()
        .expect("the child wrote a manifest");
    let files = files_under(&out);
    assert!(
        files
            .iter()
            .all(|file| !file.to_string_lossy().ends_with(".partial")),
        "{files:?}"
    );
    for file in files
        .iter()
        .filter(|file| file.extension().is_some_and(|e| e == "parquet"))
    {
        let relative = file
            .strip_prefix(&out)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let entry = manifest
            .outputs
            .iter()
            .find(|entry| entry.files.contains(&relative))
            .unwrap_or_else(|| panic!("{relative} is not in the manifest"));
        assert!(
            entry.complete,
            "{relative} is under its final name but incomplete"
        );
    }
    let complete_before = manifest
        .outputs
        .iter()
        .filter(|entry| entry.complete)
        .count();
    assert!(
        complete_before < 14,
        "the signal came too late to interrupt anything"
    );

    // The rerun skips what was complete and finishes the rest.
    export(&corpus, &out, Duration::ZERO, None).unwrap();
    let manifest = Manifest::load(&out).unwrap().unwrap();
    assert_eq!(manifest.outputs.len(), 14);
    assert!(manifest.outputs.iter().all(|entry| entry.complete));

    let fresh = work.path().join("fresh");
    export(&corpus, &fresh, Duration::ZERO, None).unwrap();
    let relative = |root: &Path| -> Vec<PathBuf> {
        files_under(root)
            .into_iter()
            .filter(|file| file.extension().is_some_and(|e| e == "parquet"))
            .map(|file| file.strip_prefix(root).unwrap().to_path_buf())
            .collect()
    };
    assert_eq!(relative(&out), relative(&fresh));
    for file in relative(&fresh) {
        assert_eq!(
            std::fs::read(out.join(&file)).unwrap(),
            std::fs::read(fresh.join(&file)).unwrap(),
            "{}",
            file.display()
        );
    }
}
