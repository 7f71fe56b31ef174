//! `--num-fewshot` in `render`, `apply` and `eval`, and `eval
//! --chat-template`: the demonstrations drawn as Python draws them, joined
//! as lm-evaluation-harness joins them, and the prompt the server receives.

use crate::fake_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fake_server::{Config, FakeServer};
use serde_json::Value;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data")
}

fn promptstudio(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_promptstudio"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("HF_HOME", home.join("hf"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// `apply` on news_topics' validation split (8 rows) with extra flags.
fn apply(home: &Path, extra: &[&str]) -> Vec<Value> {
    let workspace = sample();
    let mut args = vec![
        "apply",
        "--workspace",
        workspace.to_str().unwrap(),
        "--dataset",
        "news_topics",
        "--template",
        "classify_with_choices",
        "--seed",
        "0",
    ];
    args.extend_from_slice(extra);
    json_lines(&stdout(&promptstudio(home, &args)))
}

/// `[j for j in random.Random(1234 + i).sample(range(8), 3) if j != i][:2]`
/// for i in range(8), printed by CPython 3.11.
const PYTHON_ROWS: [[usize; 2]; 8] = [
    [7, 6],
    [6, 4],
    [7, 5],
    [2, 7],
    [0, 3],
    [1, 2],
    [7, 2],
    [6, 1],
];

fn parts(record: &Value) -> (&str, &str) {
    (
        record["parts"][0].as_str().unwrap(),
        record["parts"][1].as_str().unwrap(),
    )
}

/// lm-evaluation-harness' join: `input + " " + target + "\n\n"` per
/// demonstration, then the input.
fn joined(plain: &[Value], demos: &[usize], input: &str) -> String {
    let mut prompt = String::new();
    for &j in demos {
        let (demo_input, demo_target) = parts(&plain[j]);
        prompt += &format!("{demo_input} {demo_target}\n\n");
    }
    prompt + input
}

#[test]
fn apply_adds_demonstration_rows_and_the_prompt() {
    let home = tempfile::tempdir().unwrap();
    let plain = apply(home.path(), &[]);
    let shots = apply(home.path(), &["--num-fewshot", "2"]);
    assert_eq!(plain.len(), 8);
    assert!(plain[0].get("fewshot_rows").is_none());
    for (i, (record, plain_record)) in shots.iter().zip(&plain).enumerate() {
        assert_eq!(
            record["parts"], plain_record["parts"],
            "parts stay the row's own"
        );
        let rows: Vec<usize> = serde_json::from_value(record["fewshot_rows"].clone()).unwrap();
        assert_eq!(rows, PYTHON_ROWS[i], "row {i}");
        assert_eq!(
            record["prompt"],
            joined(&plain, &rows, parts(plain_record).0),
            "row {i}"
        );
    }
    // Another seed, other demonstrations.
    let reseeded = apply(home.path(), &["--num-fewshot", "2", "--fewshot-seed", "7"]);
    assert_ne!(reseeded[0]["fewshot_rows"], shots[0]["fewshot_rows"]);
}

#[test]
fn render_shows_the_same_demonstrations_as_apply() {
    let home = tempfile::tempdir().unwrap();
    let workspace = sample();
    let shots = apply(home.path(), &["--num-fewshot", "2"]);
    let args = |json: bool| {
        let mut args = vec![
            "render",
            "--workspace",
            workspace.to_str().unwrap(),
            "--dataset",
            "news_topics",
            "--template",
            "classify_with_choices",
            "--seed",
            "0",
            "--row",
            "4",
            "--num-fewshot",
            "2",
        ];
        if json {
            args.push("--json");
        }
        args
    };
    let rendered: Value =
        serde_json::from_str(&stdout(&promptstudio(home.path(), &args(true)))).unwrap();
    assert_eq!(rendered["fewshot_rows"], shots[4]["fewshot_rows"]);
    assert_eq!(rendered["prompt"], shots[4]["prompt"]);
    assert_eq!(rendered["parts"], shots[4]["parts"]);
    let text = stdout(&promptstudio(home.path(), &args(false)));
    assert!(
        text.starts_with("Few-shot prompt (2 demonstrations: rows 0, 3):\n"),
        "{text}"
    );
}

#[test]
fn demonstrations_from_another_split_may_share_the_row_number() {
    let home = tempfile::tempdir().unwrap();
    let train = apply(home.path(), &["--split", "train"]);
    let plain = apply(home.path(), &[]);
    let shots = apply(
        home.path(),
        &["--num-fewshot", "3", "--fewshot-split", "train"],
    );
    for (record, plain_record) in shots.iter().zip(&plain) {
        let rows: Vec<usize> = serde_json::from_value(record["fewshot_rows"].clone()).unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|&j| j < train.len()));
        assert_eq!(
            record["prompt"],
            joined(&train, &rows, parts(plain_record).0)
        );
    }
}

#[test]
fn few_shot_rows_cannot_come_from_stdin() {
    let home = tempfile::tempdir().unwrap();
    let workspace = sample();
    let output = promptstudio(
        home.path(),
        &[
            "apply",
            "--workspace",
            workspace.to_str().unwrap(),
            "--dataset",
            "news_topics",
            "--data",
            "-",
            "--num-fewshot",
            "2",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("stdin"), "{stderr}");
}

fn eval(home: &Path, server: &FakeServer, extra: &[&str]) -> Vec<Value> {
    let workspace = sample();
    let out = home.join("rows.jsonl");
    let endpoint = server.endpoint();
    let mut args = vec![
        "eval",
        "--workspace",
        workspace.to_str().unwrap(),
        "--dataset",
        "news_topics",
        "--template",
        "classify_with_choices",
        "--endpoint",
        &endpoint,
        "--no-cache",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let report: Value = serde_json::from_str(&stdout(&promptstudio(home, &args))).unwrap();
    let shots = extra
        .iter()
        .position(|arg| *arg == "--num-fewshot")
        .map(|at| extra[at + 1].parse::<u64>().unwrap());
    assert_eq!(report["num_fewshot"].as_u64(), shots);
    assert_eq!(report["fewshot_seed"].as_u64(), shots.map(|_| 1234));
    json_lines(&std::fs::read_to_string(&out).unwrap())
}

fn request_prompts(server: &FakeServer) -> Vec<Value> {
    server
        .bodies()
        .iter()
        .filter_map(|body| serde_json::from_str::<Value>(body).ok())
        .filter(|body| body.get("prompt").is_some())
        .collect()
}

#[test]
fn eval_scores_the_few_shot_prompt() {
    let home = tempfile::tempdir().unwrap();
    let server = FakeServer::start(Config::default());
    let shots = apply(home.path(), &["--num-fewshot", "2"]);
    let records = eval(home.path(), &server, &["--num-fewshot", "2"]);
    assert_eq!(records.len(), 8);
    for (record, applied) in records.iter().zip(&shots) {
        assert_eq!(record["input"], applied["prompt"]);
    }
    let bodies = request_prompts(&server);
    assert_eq!(bodies.len(), 8);
    for body in &bodies {
        let first = body["prompt"][0].as_str().unwrap();
        assert!(
            shots
                .iter()
                .any(|applied| first == format!("{} World", applied["prompt"].as_str().unwrap())),
            "{first}"
        );
        assert!(body.get("add_special_tokens").is_none());
    }
}

/// tiny-chat's template (sample-data/models/tiny-chat) written out by hand.
fn tiny_chat(turns: &[(&str, &str)]) -> String {
    let mut text = "<s><|im_start|>system\nYou are a helpful assistant.<|im_end|>\n".to_string();
    for (role, content) in turns {
        text += &format!("<|im_start|>{role}\n{content}<|im_end|>\n");
    }
    text + "<|im_start|>assistant\n"
}

#[test]
fn eval_with_a_chat_template_scores_the_templated_prompt_without_added_special_tokens() {
    let home = tempfile::tempdir().unwrap();
    let server = FakeServer::start(Config::default());
    let plain = apply(home.path(), &[]);
    let model = sample().join("models/tiny-chat");
    let records = eval(
        home.path(),
        &server,
        &[
            "--chat-template",
            model.to_str().unwrap(),
            "--num-fewshot",
            "2",
        ],
    );
    assert_eq!(records.len(), 8);
    for (i, record) in records.iter().enumerate() {
        let mut turns = Vec::new();
        for &j in &PYTHON_ROWS[i] {
            let (input, target) = parts(&plain[j]);
            turns.push(("user", input));
            turns.push(("assistant", target));
        }
        turns.push(("user", parts(&plain[i]).0));
        assert_eq!(record["input"], tiny_chat(&turns), "row {i}");
    }
    let bodies = request_prompts(&server);
    assert_eq!(bodies.len(), 8);
    for body in &bodies {
        assert_eq!(body["add_special_tokens"], false);
        // No target delimiter after the generation prompt.
        let first = body["prompt"][0].as_str().unwrap();
        assert!(first.ends_with("<|im_start|>assistant\nWorld"), "{first}");
    }
}

/// The records of the one JSON Lines output under `out`.
fn exported_records(out: &Path) -> Vec<Value> {
    let mut found = Vec::new();
    for task in std::fs::read_dir(out).unwrap() {
        let task = task.unwrap().path();
        if task.is_dir() {
            for file in std::fs::read_dir(&task).unwrap() {
                found.push(file.unwrap().path());
            }
        }
    }
    assert_eq!(found.len(), 1, "{found:?}");
    json_lines(&std::fs::read_to_string(&found[0]).unwrap())
}

fn export(home: &Path, out: &Path, extra: &[&str]) -> Output {
    let workspace = sample();
    let mut args = vec![
        "export",
        "--workspace",
        workspace.to_str().unwrap(),
        "--dataset",
        "news_topics",
        "--template",
        "classify_with_choices",
        "--split",
        "validation",
        "--format",
        "jsonl",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    if !extra.contains(&"--style") {
        args.extend_from_slice(&["--style", "completion"]);
    }
    promptstudio(home, &args)
}

#[test]
fn export_writes_the_few_shot_prompt_and_refuses_to_mix_settings() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("export");
    // The template draws nothing, so export's per-row seeds render as apply's.
    let shots = apply(home.path(), &["--num-fewshot", "2"]);
    stdout(&export(home.path(), &out, &["--num-fewshot", "2"]));
    let records = exported_records(&out);
    assert_eq!(records.len(), 8);
    for (record, applied) in records.iter().zip(&shots) {
        assert_eq!(record["prompt"], applied["prompt"]);
        assert_eq!(record["completion"], applied["parts"][1]);
    }
    let again = export(home.path(), &out, &[]);
    assert_eq!(again.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("fewshot"), "{stderr}");
}

#[test]
fn export_messages_with_a_chat_template_adds_the_rendered_text_and_its_tokens() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("export");
    let model = sample().join("models/tiny-chat");
    let plain = apply(home.path(), &[]);
    stdout(&export(
        home.path(),
        &out,
        &[
            "--style",
            "messages",
            "--chat-template",
            model.to_str().unwrap(),
            "--tokenizer",
            model.join("tokenizer.json").to_str().unwrap(),
        ],
    ));
    let records = exported_records(&out);
    assert_eq!(records.len(), 8);
    for (record, applied) in records.iter().zip(&plain) {
        let (input, target) = parts(applied);
        // No generation prompt: the conversation ends with the assistant's turn.
        let expected = format!(
            "<s><|im_start|>system\nYou are a helpful assistant.<|im_end|>\n\
             <|im_start|>user\n{input}<|im_end|>\n<|im_start|>assistant\n{target}<|im_end|>\n"
        );
        assert_eq!(record["text"], expected);
        assert_eq!(record["messages"][0]["content"], input);
    }

    // The count is chat-template render's prompt_tokens for the same conversation.
    let conversation = home.path().join("conversation.json");
    let (input, target) = parts(&plain[0]);
    std::fs::write(
        &conversation,
        serde_json::json!({"messages": [
            {"role": "user", "content": input},
            {"role": "assistant", "content": target},
        ]})
        .to_string(),
    )
    .unwrap();
    let rendered: Value = serde_json::from_str(&stdout(&promptstudio(
        home.path(),
        &[
            "chat-template",
            "render",
            "--chat-template",
            model.to_str().unwrap(),
            "--conversation",
            conversation.to_str().unwrap(),
            "--tokenizer",
            model.to_str().unwrap(),
            "--json",
        ],
    )))
    .unwrap();
    assert_eq!(rendered["output"], records[0]["text"]);
    assert!(rendered["prompt_tokens"].as_u64().unwrap() > 10);
    assert_eq!(records[0]["text_tokens"], rendered["prompt_tokens"]);

    let wrong_style = export(
        home.path(),
        &home.path().join("other"),
        &["--chat-template", model.to_str().unwrap()],
    );
    assert_eq!(wrong_style.status.code(), Some(2));
}
