//! `promptstudio eval` on the sample workspace against the in-process
//! vLLM-shaped server: numbers, `--out` records, the cache, exit codes.

use crate::fake_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fake_server::{Config, FakeServer, Scoring};
use serde_json::Value;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data")
}

/// The binary with a clean environment: its own cache and config folders,
/// none of the OpenAI variables or proxies of the machine running the tests.
fn promptstudio(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_promptstudio"));
    command.args(args).env_clear();
    command
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
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

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// What the fake model gives `delimiter + choice` after an input that does
/// not end in a space: its tokens are the choice's own.
fn expected_loglikelihood(choice: &str) -> f64 {
    let config = Config::default();
    fake_server::tokens(&format!(" {choice}"))
        .iter()
        .map(|token| fake_server::token_logprob(&config, token))
        .sum()
}

#[test]
fn rank_classification_on_the_sample_workspace() {
    let home = tempfile::tempdir().unwrap();
    let server = FakeServer::start(Config::default());
    let out = home.path().join("rows.jsonl");
    let workspace = sample();
    let args = [
        "eval",
        "--workspace",
        workspace.to_str().unwrap(),
        "--dataset",
        "news_topics",
        "--template",
        "classify_with_choices",
        "--template",
        "varied_instruction",
        "--endpoint",
        &server.endpoint(),
        "--json",
        "--out",
        out.to_str().unwrap(),
    ];
    let output = promptstudio(home.path(), &args, &[]);
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    // Progress (plain lines when stderr is not a terminal) counts rows, not renders.
    let progress = String::from_utf8_lossy(&output.stderr);
    assert!(progress.contains(": 8 rows to do"), "{progress}");
    assert!(!progress.contains("renders"), "{progress}");
    assert_eq!(report["endpoint"], server.endpoint());
    assert_eq!(report["model"], "fake-model");
    assert_eq!(report["dataset"], "news_topics");
    assert_eq!(report["subset"], Value::Null);
    assert_eq!(report["split"], "validation");
    let records = lines(&out);
    assert_eq!(records.len(), 16);

    // The inputs are apply --seed 0's parts[0], row for row.
    let apply = promptstudio(
        home.path(),
        &[
            "apply",
            "--workspace",
            workspace.to_str().unwrap(),
            "--dataset",
            "news_topics",
            "--template",
            "classify_with_choices",
            "--template",
            "varied_instruction",
            "--seed",
            "0",
        ],
        &[],
    );
    let applied: Vec<Value> = stdout(&apply)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    for (record, applied) in records.iter().zip(&applied) {
        assert_eq!(record["template_id"], applied["template_id"]);
        assert_eq!(record["row"], applied["row"]);
        assert_eq!(record["input"], applied["parts"][0]);
        assert_eq!(record["target"], applied["parts"][1]);
        assert_eq!(record["answer_choices"], applied["answer_choices"]);
    }

    for (index, template) in report["templates"].as_array().unwrap().iter().enumerate() {
        assert_eq!(template["mode"], "rank");
        assert_eq!(
            (template["rows"].as_u64(), template["skipped"].as_u64()),
            (Some(8), Some(0))
        );
        assert_eq!(template["errors"], 0);
        let rows = &records[index * 8..index * 8 + 8];
        let mut hits = Vec::new();
        let mut norm_hits = Vec::new();
        for record in rows {
            let choices: Vec<&str> = record["answer_choices"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            let expected: Vec<f64> = choices.iter().map(|c| expected_loglikelihood(c)).collect();
            let got: Vec<f64> = record["loglikelihoods"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            for (got, expected) in got.iter().zip(&expected) {
                assert!((got - expected).abs() < 1e-9, "{got} vs {expected}");
            }
            // The fake model prefers short choices: "World" (−6/8) on raw
            // scores; normalised, every choice scores about −1/8 per
            // character and "Science and Technology" (−23/8 over 22) wins.
            let gold = choices.iter().position(|c| *c == record["target"]).unwrap();
            assert_eq!(record["gold_index"], gold);
            assert_eq!(record["pred_index"], 0);
            assert_eq!(record["pred"], "World");
            hits.push(f64::from(u8::from(gold == 0)));
            norm_hits.push(f64::from(u8::from(gold == 3)));
            assert_eq!(record["correct"], gold == 0);
            assert_eq!(record["correct_norm"], gold == 3);
            assert_eq!(record["error"], Value::Null);
            assert_eq!(record["completion"], Value::Null);
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let stderr = |v: &[f64]| {
            let m = mean(v);
            (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
                / (v.len() as f64).sqrt()
        };
        let metrics = &template["metrics"];
        assert!((metrics["acc"].as_f64().unwrap() - mean(&hits)).abs() < 1e-9);
        assert!((metrics["acc_stderr"].as_f64().unwrap() - stderr(&hits)).abs() < 1e-9);
        assert!((metrics["acc_norm"].as_f64().unwrap() - mean(&norm_hits)).abs() < 1e-9);
        assert!((metrics["acc_norm_stderr"].as_f64().unwrap() - stderr(&norm_hits)).abs() < 1e-9);
    }
    assert_eq!(server.posts(), 16);

    // The rerun is served from the cache: no request, the same report.
    let again = stdout(&promptstudio(home.path(), &args, &[]));
    assert_eq!(serde_json::from_str::<Value>(&again).unwrap(), report);
    assert_eq!(server.posts(), 16);
    // --no-cache sends them again.
    let mut uncached = args.to_vec();
    uncached.push("--no-cache");
    stdout(&promptstudio(home.path(), &uncached, &[]));
    assert_eq!(server.posts(), 32);
}

#[test]
fn generation_reports_squad_rouge_bleu_and_what_is_not_computed() {
    use promptstudio::model::{bleu, metrics, rouge};
    let home = tempfile::tempdir().unwrap();
    let workspace = sample();
    let selection = [
        "--workspace",
        workspace.to_str().unwrap(),
        "--dataset",
        "news_topics",
        "--template",
        "write_headline",
        "--template",
        "is_it_sports",
        "--rows",
        "0..3",
    ];
    // The fake model answers the first row's target, the second's with
    // more words, the third "I do not know".
    let mut apply_args = vec!["apply", "--seed", "0"];
    apply_args.extend_from_slice(&selection);
    let applied: Vec<Value> = stdout(&promptstudio(home.path(), &apply_args, &[]))
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let mut answers = std::collections::HashMap::new();
    for record in applied.iter().filter(|r| r["row"] == 0 || r["row"] == 1) {
        let target = record["parts"][1].as_str().unwrap();
        let answer = if record["row"] == 0 {
            target.to_string()
        } else {
            format!("{target} and more words")
        };
        answers.insert(record["parts"][0].as_str().unwrap().to_string(), answer);
    }
    let server = FakeServer::start(Config {
        answers,
        ..Config::default()
    });
    let out = home.path().join("rows.jsonl");
    let mut args = vec!["eval"];
    args.extend_from_slice(&selection);
    let endpoint = server.endpoint();
    args.extend_from_slice(&[
        "--mode",
        "generate",
        "--max-tokens",
        "100",
        "--endpoint",
        &endpoint,
        "--json",
        "--out",
        out.to_str().unwrap(),
    ]);
    let report: Value =
        serde_json::from_str(&stdout(&promptstudio(home.path(), &args, &[]))).unwrap();
    let records = lines(&out);
    assert_eq!(records.len(), 6);
    for (index, template) in report["templates"].as_array().unwrap().iter().enumerate() {
        let rows = &records[index * 3..index * 3 + 3];
        assert_eq!(template["mode"], "generate");
        assert_eq!(template["scored"], 3);
        let mut em = Vec::new();
        let mut f1 = Vec::new();
        let mut rouge1 = Vec::new();
        let mut pairs = Vec::new();
        for (row, record) in rows.iter().enumerate() {
            let completion = record["completion"].as_str().unwrap();
            let target = record["target"].as_str().unwrap();
            match row {
                0 => assert_eq!(completion, target),
                1 => assert_eq!(completion, format!("{target} and more words")),
                _ => assert_eq!(completion, "I do not know"),
            }
            assert_eq!(
                record["exact_match"],
                metrics::exact_match(completion, target)
            );
            assert_eq!(record["f1"], metrics::f1(completion, target));
            em.push(metrics::exact_match(completion, target));
            f1.push(metrics::f1(completion, target));
            rouge1.push(rouge::score(target, completion).rouge1);
            pairs.push((completion, target));
            assert_eq!(record["loglikelihoods"], Value::Null);
        }
        let metrics_json = &template["metrics"];
        let close = |name: &str, expected: f64| {
            let got = metrics_json[name].as_f64().unwrap();
            assert!((got - expected).abs() < 1e-9, "{name}: {got} vs {expected}");
        };
        close("exact_match", metrics::mean(&em).unwrap());
        close("exact_match_stderr", metrics::mean_stderr(&em).unwrap());
        close("f1", metrics::mean(&f1).unwrap());
        close("f1_stderr", metrics::mean_stderr(&f1).unwrap());
        if template["template_name"] == "write_headline" {
            close("rouge1", metrics::mean(&rouge1).unwrap());
            close("bleu", bleu::corpus_bleu(pairs.iter().copied()));
            for name in ["rouge2", "rouge2_stderr", "rougeL", "rougeL_stderr"] {
                assert!(metrics_json[name].is_f64(), "{name}");
            }
        } else {
            assert!(metrics_json.get("rouge1").is_none());
            assert!(metrics_json.get("bleu").is_none());
        }
    }

    // The table shows the same, with the declared metrics.
    args.retain(|arg| *arg != "--json");
    let table = stdout(&promptstudio(home.path(), &args, &[]));
    assert!(
        table.starts_with(&format!("model fake-model at {endpoint}\n")),
        "{table}"
    );
    for metric in ["exact_match", "f1", "rouge1", "rouge2", "rougeL", "bleu"] {
        assert!(
            table.contains(&format!("  {metric} ")),
            "{metric} in {table}"
        );
    }
    assert!(
        table.contains("rows 3 · scored 3 · skipped 0 · errors 0"),
        "{table}"
    );
    assert_eq!(server.posts(), 6, "the table came from the cache");
}

#[test]
fn a_server_without_logprobs_is_reported_with_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let server = FakeServer::start(Config {
        scoring: Scoring::NoLogprobs,
        ..Config::default()
    });
    let workspace = sample();
    let output = promptstudio(
        home.path(),
        &[
            "eval",
            "--workspace",
            workspace.to_str().unwrap(),
            "--dataset",
            "news_topics",
            "--template",
            "is_it_sports",
            "--endpoint",
            &server.endpoint(),
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("this server cannot score answer choices")
            && stderr.contains("--mode generate"),
        "{stderr}"
    );
    assert_eq!(server.posts(), 1);
}

#[test]
fn unauthorized_and_unreachable_exit_2_naming_endpoint_and_variable() {
    let home = tempfile::tempdir().unwrap();
    let server = FakeServer::start(Config {
        key: Some("the-right-key".into()),
        ..Config::default()
    });
    let workspace = sample();
    let base = [
        "eval",
        "--workspace",
        workspace.to_str().unwrap(),
        "--dataset",
        "news_topics",
        "--template",
        "is_it_sports",
        "--limit",
        "2",
    ];
    let with = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        promptstudio(home.path(), &args, env)
    };
    let endpoint = server.endpoint();
    let output = with(
        &["--endpoint", &endpoint, "--api-key-env", "LAB_KEY"],
        &[("LAB_KEY", "a-wrong-key")],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&endpoint) && stderr.contains("$LAB_KEY"),
        "{stderr}"
    );
    assert!(!stderr.contains("a-wrong-key"), "{stderr}");

    // The SDKs' variables, and the right key: it is sent, never stored.
    let output = with(
        &["--json"],
        &[
            ("OPENAI_BASE_URL", &endpoint),
            ("OPENAI_API_KEY", "the-right-key"),
        ],
    );
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["templates"][0]["scored"], 2);
    let cache = std::fs::read(home.path().join("cache/promptstudio/responses.sqlite")).unwrap();
    assert!(!cache.windows(13).any(|w| w == b"the-right-key"));

    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let closed = format!("http://127.0.0.1:{port}/v1");
    let output = with(&["--endpoint", &closed, "--timeout", "2"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot reach {closed}")),
        "{stderr}"
    );
}

#[test]
fn the_workspace_model_table_is_read() {
    let home = tempfile::tempdir().unwrap();
    let server = FakeServer::start(Config::default());
    // A copy of the sample workspace with a promptstudio.toml naming the server.
    let workspace = home.path().join("ws");
    copy_tree(&sample(), &workspace);
    std::fs::write(
        workspace.join("promptstudio.toml"),
        format!(
            "[model]\nendpoint = \"{}\"\nmodel = \"second-model\"\n",
            server.endpoint()
        ),
    )
    .unwrap();
    let output = promptstudio(
        home.path(),
        &[
            "eval",
            "--workspace",
            workspace.to_str().unwrap(),
            "--dataset",
            "news_topics",
            "--template",
            "is_it_sports",
            "--limit",
            "1",
            "--json",
            "--no-cache",
        ],
        &[],
    );
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["model"], "second-model");
    assert!(server.bodies()[0].contains("\"model\":\"second-model\""));
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
