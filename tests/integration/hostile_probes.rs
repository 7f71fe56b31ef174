//! The probes of issue 11 through the real binary, each under a 4 GiB
//! address-space cap (`ulimit -v`, as the probes were run): deep templates,
//! templates that ask for more memory than a render may have, and an export
//! with such a template among healthy ones. Each must end in a clean exit
//! (0, 1 or 2) with a message naming the template; a stack overflow or an
//! allocation failure would be SIGABRT / SIGSEGV (no exit code) instead.
//!
//! The watchdog only catches hangs (a probe that never ends); how fast the
//! probes end is measured by `scripts/probe_limits.sh`, not asserted here.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The cap the probes ran under: 4 GiB of address space, in KiB for `ulimit -v`.
const ADDRESS_SPACE_KIB: u64 = 4 * 1024 * 1024;
const WATCHDOG: Duration = Duration::from_secs(240);

fn capped(arguments: &[&str]) -> Output {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_promptstudio"))
        .args(arguments)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sh runs");
    let started = Instant::now();
    loop {
        if child
            .try_wait()
            .expect("the probe can be waited for")
            .is_some()
        {
            return child.wait_with_output().expect("the probe's output");
        }
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            panic!("probe {arguments:?} still running after {WATCHDOG:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// The hungry probes of issue 11 (item 4) and one that must stay cheap.
fn probes() -> Vec<(&'static str, &'static str)> {
    vec![
        ("lazy_reverse", "{{ range(10**18)[::-1][0] }} ||| x"),
        ("slice_huge", "{{ [1,2,3]|slice(10**9)|list }} ||| x"),
        (
            "doubling",
            "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }} ||| x",
        ),
        ("sort_ten_million", "{{ range(10**7)|list|sort|length }} ||| x"),
        (
            "parentheses",
            // 2,000 nested parentheses: the parser's depth limit, not the stack.
            "PARENS",
        ),
        ("healthy", "{{ text }} ||| {{ label }}"),
    ]
}

/// A workspace with dataset `tiny` (3 rows) and the probe templates; the
/// one that does not compile only when `with_syntax_error` (an export
/// refuses a dataset with a template that does not compile before writing
/// anything: that is `check`'s finding, not a row failure).
fn workspace(with_syntax_error: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut yaml = String::from("dataset: tiny\ntemplates:\n");
    for (i, (name, jinja)) in probes().into_iter().enumerate() {
        if jinja == "PARENS" && !with_syntax_error {
            continue;
        }
        let jinja = if jinja == "PARENS" {
            format!(
                "{{{{ {}1{} }}}} ||| x",
                "(".repeat(2_000),
                ")".repeat(2_000)
            )
        } else {
            jinja.to_string()
        };
        let id = format!("7c1d2e3f-0000-4000-8000-{:012}", i + 1);
        yaml.push_str(&format!(
            "  {id}: !Template\n    answer_choices: null\n    id: {id}\n    jinja: {}\n    metadata: !TemplateMetadata\n      choices_in_prompt: null\n      languages: []\n      metrics: []\n      original_task: null\n    name: {name}\n    reference: ''\n",
            serde_json::to_string(&jinja).expect("a JSON string")
        ));
    }
    let templates = dir.path().join("templates/tiny");
    std::fs::create_dir_all(&templates).expect("folder");
    std::fs::write(templates.join("templates.yaml"), yaml).expect("yaml");
    let data = dir.path().join("data/tiny/_");
    std::fs::create_dir_all(&data).expect("folder");
    std::fs::write(
        data.join("train.jsonl"),
        "{\"text\": \"a\", \"label\": 0}\n{\"text\": \"b\", \"label\": 1}\n{\"text\": \"c\", \"label\": 0}\n",
    )
    .expect("rows");
    dir
}

#[test]
fn every_render_probe_ends_cleanly_under_a_4_gib_cap() {
    let dir = workspace(true);
    let workspace = arg(dir.path());
    for (name, _) in probes() {
        let output = capped(&[
            "render",
            "--workspace",
            workspace,
            "--dataset",
            "tiny",
            "--template",
            name,
        ]);
        let code = output.status.code();
        match name {
            "lazy_reverse" => {
                assert_eq!(code, Some(0), "{name}: {}", text(&output));
                assert!(
                    text(&output).contains("999999999999999999"),
                    "{name}: {}",
                    text(&output)
                );
            }
            "healthy" => assert_eq!(code, Some(0), "{name}: {}", text(&output)),
            "parentheses" => {
                assert!(
                    matches!(code, Some(1 | 2)),
                    "{name}: {:?} {}",
                    output.status,
                    text(&output)
                );
                assert!(
                    text(&output).contains("nests too deeply"),
                    "{name}: {}",
                    text(&output)
                );
            }
            _ => {
                assert_eq!(
                    code,
                    Some(2),
                    "{name}: {:?} {}",
                    output.status,
                    text(&output)
                );
                assert!(
                    text(&output).contains("RenderLimitExceeded"),
                    "{name}: {}",
                    text(&output)
                );
            }
        }
    }
}

#[test]
fn an_export_counts_and_skips_hungry_rows_and_completes_the_rest_under_a_4_gib_cap() {
    let dir = workspace(false);
    let out = dir.path().join("out");
    let output = capped(&[
        "export",
        "--workspace",
        arg(dir.path()),
        "--dataset",
        "tiny",
        "--format",
        "jsonl",
        "--quiet",
        "--out",
        arg(&out),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let manifest = std::fs::read_to_string(out.join("manifest.json")).expect("a manifest");
    let manifest: serde_json::Value = serde_json::from_str(&manifest).expect("JSON");
    let manifest_text = manifest.to_string();
    // Three hungry templates fail on each of the 3 rows; the other two are
    // written in full.
    let mut errors = 0;
    let mut kept = 0;
    collect_counts(&manifest, &mut errors, &mut kept);
    assert_eq!(errors, 3 * 3, "{manifest_text}");
    assert_eq!(kept, 2 * 3, "{manifest_text}");
}

/// Sums every `errors` and `kept` count in the manifest, wherever the
/// per-template entries sit.
fn collect_counts(value: &serde_json::Value, errors: &mut u64, kept: &mut u64) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value.as_u64()) {
                    ("errors", Some(n)) => *errors += n,
                    ("kept", Some(n)) => *kept += n,
                    _ => collect_counts(value, errors, kept),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_counts(item, errors, kept);
            }
        }
        _ => {}
    }
}
