//! `promptstudio chat-template render`: exact output, JSON, exit codes and
//! bad input naming the file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn promptstudio(args: &[&str], hf_home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_promptstudio"))
        .args(args)
        .env("HF_HOME", hf_home)
        .env_remove("HF_HUB_CACHE")
        .env_remove("PROMPTSTUDIO_NOW")
        .output()
        .expect("runs")
}

fn write(dir: &Path, relative: &str, text: &str) -> PathBuf {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, text).expect("write");
    path
}

const TEMPLATE: &str = "{{ bos_token }}{% for m in messages %}\n<|{{ m.role }}|>{{ m.content }}{{ eos_token }}\n{% endfor %}\n{% if add_generation_prompt %}<|assistant|>{% endif %}\n";

fn conversation(dir: &Path) -> PathBuf {
    write(
        dir,
        "conv.json",
        r#"{"messages": [{"role": "user", "content": "Héllo <b>"}]}"#,
    )
}

fn text(output: &Output) -> (i32, String, String) {
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

#[test]
fn chat_render_prints_exactly_the_string() {
    let dir = tempfile::tempdir().unwrap();
    let template = write(dir.path(), "t.jinja", TEMPLATE);
    let conv = conversation(dir.path());
    let args = [
        "chat-template",
        "render",
        "--chat-template",
        template.to_str().unwrap(),
        "--conversation",
        conv.to_str().unwrap(),
        "--add-generation-prompt",
        "--bos-token",
        "<s>",
        "--eos-token",
        "</s>",
    ];
    let (code, out, _) = text(&promptstudio(&args, dir.path()));
    assert_eq!(
        (code, out.as_str()),
        (0, "<s><|user|>Héllo <b></s>\n<|assistant|>")
    );
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let (code, out, _) = text(&promptstudio(&json_args, dir.path()));
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 0);
    assert_eq!(value["output"], "<s><|user|>Héllo <b></s>\n<|assistant|>");
}

#[test]
fn chat_render_takes_the_model_files_from_the_hub_cache() {
    let home = tempfile::tempdir().unwrap();
    let snapshot = home.path().join("hub/models--org--tiny/snapshots/abc");
    write(
        &snapshot,
        "tokenizer_config.json",
        &serde_json::json!({"chat_template": TEMPLATE, "bos_token": "<B>", "eos_token": {"content": "<E>"}}).to_string(),
    );
    let conv = conversation(home.path());
    let run = |extra: &[&str]| {
        let mut args = vec![
            "chat-template",
            "render",
            "--chat-template",
            "org/tiny",
            "--conversation",
            conv.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        text(&promptstudio(&args, home.path()))
    };
    assert_eq!(run(&[]).1, "<B><|user|>Héllo <b><E>\n");
    assert_eq!(run(&["--eos-token", "!"]).1, "<B><|user|>Héllo <b>!\n");
}

#[test]
fn chat_render_failures_exit_1_with_their_kind() {
    let dir = tempfile::tempdir().unwrap();
    let conv = conversation(dir.path());
    let cases = [
        (
            "{{ raise_exception('Only user roles') }}",
            "raise_exception",
            "Only user roles",
        ),
        ("{% set xs = [] %}{{ xs.append(1) }}", "security", ""),
        ("{{ messages[0].nope.deeper }}", "undefined", ""),
        ("{% for t in tools %}{% endfor %}", "invalid_operation", ""),
        ("{% if %}", "syntax", ""),
    ];
    for (source, kind, message) in cases {
        let template = write(dir.path(), "bad.jinja", source);
        let args = [
            "chat-template",
            "render",
            "--chat-template",
            template.to_str().unwrap(),
            "--conversation",
            conv.to_str().unwrap(),
        ];
        let mut json_args = args.to_vec();
        json_args.push("--json");
        let (code, out, _) = text(&promptstudio(&json_args, dir.path()));
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            (code, value["error"]["kind"].as_str()),
            (1, Some(kind)),
            "{source}"
        );
        if !message.is_empty() {
            assert_eq!(value["error"]["message"], message);
        }
        let (code, out, err) = text(&promptstudio(&args, dir.path()));
        assert_eq!((code, out.as_str()), (1, ""), "{source}");
        assert!(err.contains("bad.jinja") && err.contains(kind), "{err}");
    }
}

#[test]
fn chat_render_bad_input_is_a_usage_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let template = write(dir.path(), "t.jinja", TEMPLATE);
    let good = conversation(dir.path());
    let not_messages = write(
        dir.path(),
        "c.json",
        r#"{"messages": [{"content": "no role"}]}"#,
    );
    let no_template = write(
        dir.path(),
        "m/tokenizer_config.json",
        r#"{"bos_token": "<s>"}"#,
    );
    let named = write(
        dir.path(),
        "n/tokenizer_config.json",
        r#"{"chat_template": [{"name": "default", "template": "x"}]}"#,
    );
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "--chat-template",
                template.to_str().unwrap(),
                "--conversation",
                not_messages.to_str().unwrap(),
            ],
            "c.json: message 0 has no \"role\"",
        ),
        (
            &[
                "--chat-template",
                no_template.to_str().unwrap(),
                "--conversation",
                good.to_str().unwrap(),
            ],
            "tokenizer_config.json: no \"chat_template\"",
        ),
        (
            &[
                "--chat-template",
                named.to_str().unwrap(),
                "--chat-template-name",
                "rag",
                "--conversation",
                good.to_str().unwrap(),
            ],
            "no chat template named \"rag\" (it has default)",
        ),
        (
            &[
                "--chat-template",
                "org/absent",
                "--conversation",
                good.to_str().unwrap(),
            ],
            "no snapshot of model org/absent",
        ),
        (
            &[
                "--chat-template",
                template.to_str().unwrap(),
                "--conversation",
                good.to_str().unwrap(),
                "--now",
                "yesterday",
            ],
            "--now: \"yesterday\" is not an RFC 3339 time",
        ),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["chat-template", "render"];
        args.extend_from_slice(extra);
        let (code, _, err) = text(&promptstudio(&args, dir.path()));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(needle), "want {needle:?} in {err}");
    }
}

#[test]
fn chat_check_reports_where_minijinja_differs() {
    let dir = tempfile::tempdir().unwrap();
    let portable = write(dir.path(), "p.jinja", TEMPLATE);
    let escaping = write(
        dir.path(),
        "e.jinja",
        "{% for m in messages %}{{ m.content | tojson }}\n{% endfor %}",
    );
    let check = |path: &Path| {
        text(&promptstudio(
            &[
                "chat-template",
                "check",
                "--chat-template",
                path.to_str().unwrap(),
            ],
            dir.path(),
        ))
    };
    let (code, out, _) = check(&portable);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("minijinja renders all 8 conversations as transformers does"),
        "{out}"
    );
    let (code, out, _) = check(&escaping);
    assert_eq!(code, 1, "{out}");
    // The non-ASCII conversation's system prompt holds `<b>&</b>`: minijinja's tojson escapes it.
    assert!(
        out.contains("e.jinja: non_ascii (add_generation_prompt=false): outputs differ at line 1"),
        "{out}"
    );
    assert!(
        out.contains("minijinja:    \"\\\"R\u{e9}ponds en fran\u{e7}ais \\\\u003cb\\\\u003e"),
        "{out}"
    );

    let conv = conversation(dir.path());
    let args = [
        "chat-template",
        "render",
        "--chat-template",
        escaping.to_str().unwrap(),
        "--conversation",
        conv.to_str().unwrap(),
        "--engine",
        "minijinja",
    ];
    let (code, out, _) = text(&promptstudio(&args, dir.path()));
    assert_eq!((code, out.as_str()), (0, "\"Héllo \\u003cb\\u003e\"\n"));
}

#[test]
fn chat_render_counts_prompt_tokens_like_python_tokenizers() {
    let dir = tempfile::tempdir().unwrap();
    let template = write(dir.path(), "t.jinja", TEMPLATE);
    let conv = conversation(dir.path());
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chat");
    let tokenizer = fixtures.join("tokenizer.json");
    let args = [
        "chat-template",
        "render",
        "--chat-template",
        template.to_str().unwrap(),
        "--conversation",
        conv.to_str().unwrap(),
        "--add-generation-prompt",
        "--bos-token",
        "<s>",
        "--eos-token",
        "</s>",
        "--json",
        "--tokenizer",
        tokenizer.to_str().unwrap(),
    ];
    let (code, out, err) = text(&promptstudio(&args, dir.path()));
    assert_eq!(code, 0, "{err}");
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    // token_counts.json: the Python package's count of this very string.
    let counts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures.join("token_counts.json")).unwrap())
            .unwrap();
    let want = counts
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["text"] == value["output"])
        .expect("the rendered string is in the fixtures");
    assert_eq!(value["prompt_tokens"], want["tokens"]);
}

#[test]
fn render_json_counts_input_and_target_tokens() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "templates/tiny/templates.yaml",
        "dataset: tiny\ntemplates:\n  0b3a4c1e-0000-4000-8000-000000000009: !Template\n    answer_choices: null\n    id: 0b3a4c1e-0000-4000-8000-000000000009\n    jinja: '{{ text }} ||| {{ text }}'\n    metadata: !TemplateMetadata\n      choices_in_prompt: null\n      languages:\n      - en\n      metrics:\n      - Other\n      original_task: false\n    name: echo\n    reference: ''\n",
    );
    let rows = write(
        dir.path(),
        "rows.jsonl",
        "{\"text\": \"Hello! How are you?\"}\n",
    );
    let tokenizer =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chat/tokenizer.json");
    let templates = dir.path().join("templates");
    let args = [
        "render",
        "--templates",
        templates.to_str().unwrap(),
        "--dataset",
        "tiny",
        "--template",
        "echo",
        "--data",
        rows.to_str().unwrap(),
        "--json",
        "--tokenizer",
        tokenizer.to_str().unwrap(),
    ];
    let (code, out, err) = text(&promptstudio(&args, dir.path()));
    assert_eq!(code, 0, "{err}");
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    // token_counts.json: "Hello! How are you?" is 6 tokens for the Python package.
    assert_eq!(
        (
            value["input_tokens"].as_u64(),
            value["target_tokens"].as_u64()
        ),
        (Some(6), Some(6)),
        "{out}"
    );
}
