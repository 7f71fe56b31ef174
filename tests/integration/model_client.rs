//! The model layer against an in-process vLLM-shaped server: scoring
//! arithmetic, generation, faults, authorization, servers that cannot score,
//! the response cache and cancellation.

use crate::fake_server;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use fake_server::{Config, FakeServer, Fault, Scoring};
use promptstudio::model::cache::ResponseCache;
use promptstudio::model::client::{RequestError, RetryPolicy};
use promptstudio::model::config::{ApiKey, Connection};
use promptstudio::model::run::{Evaluator, Job, Mode, RowResult, RunError, Settings};

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        tries: 5,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    }
}

fn connect(server: &FakeServer, cache: Option<ResponseCache>) -> Evaluator {
    let mut connection = Connection::to(&server.endpoint());
    connection.timeout = Duration::from_millis(800);
    Evaluator::connect(&connection, quick_retries(), cache, &AtomicBool::new(false)).unwrap()
}

fn job(row: usize, input: &str, target: &str, choices: &[&str]) -> Job {
    let choices: Vec<String> = choices.iter().map(|c| c.to_string()).collect();
    Job {
        row,
        input: input.to_string(),
        target: target.to_string(),
        gold: choices.iter().position(|c| c == target),
        choices,
    }
}

fn run(
    evaluator: &Evaluator,
    jobs: &[Job],
    settings: &Settings,
    concurrency: usize,
) -> Vec<RowResult> {
    let mut results: Vec<Option<RowResult>> = vec![None; jobs.len()];
    evaluator
        .run(
            jobs,
            settings,
            concurrency,
            &AtomicBool::new(false),
            &mut |index, result| {
                assert!(
                    results[index].replace(result).is_none(),
                    "row {index} reported twice"
                );
            },
        )
        .unwrap();
    results
        .into_iter()
        .map(|r| r.expect("every row reported"))
        .collect()
}

fn rank() -> Settings {
    Settings::default()
}

fn logprobs(pairs: &[(&str, f64)]) -> HashMap<String, f64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn the_model_is_the_first_the_server_lists() {
    let server = FakeServer::start(Config::default());
    assert_eq!(connect(&server, None).model(), "fake-model");
}

#[test]
fn log_likelihoods_picks_and_normalised_picks_follow_the_arithmetic() {
    let server = FakeServer::start(Config {
        logprobs: logprobs(&[("yes", -0.25), ("no", -1.5)]),
        ..Config::default()
    });
    let evaluator = connect(&server, None);
    let jobs = [
        // "Is it? yes": tokens "Is"(0) " it?"(2) " yes"(6), then " x"(10).
        // The choice spans [6, 10): only " yes" counts.
        job(0, "Is it?", "no", &["yes", "no"]),
        // Default log-probability −len/8: " Sports" −7/8; " Science"
        // −8/8, " and" −4/8, " Technology" −11/8: −23/8.
        job(
            1,
            "Topic:",
            "Science and Technology",
            &["Sports", "Science and Technology"],
        ),
        // Code points, not bytes: "Où est-il?" is 10 characters (11 bytes);
        // " là-bas" starts at offset 10: −7/8. " ici" −4/8.
        job(2, "Où est-il?", "là-bas", &["là-bas", "ici"]),
        // Ties go to the first choice: " aa" and " bb" are both −3/8.
        job(3, "Pick:", "bb", &["aa", "bb"]),
    ];
    let results = run(&evaluator, &jobs, &rank(), 4);
    let expected: [[f64; 2]; 4] = [
        [-0.25, -1.5],
        [-7.0 / 8.0, -23.0 / 8.0],
        [-7.0 / 8.0, -4.0 / 8.0],
        [-3.0 / 8.0, -3.0 / 8.0],
    ];
    for (result, expected) in results.iter().zip(expected) {
        assert_eq!(result.error, None);
        let got = result.loglikelihoods.as_ref().unwrap();
        for (got, expected) in got.iter().zip(expected) {
            assert!((got - expected).abs() < 1e-9, "{got} vs {expected}");
        }
    }
    let picks: Vec<_> = results.iter().map(|r| r.pred_index).collect();
    assert_eq!(picks, [Some(0), Some(0), Some(1), Some(0)]);
    // acc_norm: −0.25/3 vs −1.5/2; −7/8/6 = −0.1458 vs −23/8/22 = −0.1307;
    // −7/8/6 = −0.1458 vs −4/8/3 = −0.1667; −3/8/2 both.
    let norm_picks: Vec<_> = results.iter().map(|r| r.pred_norm_index).collect();
    assert_eq!(norm_picks, [Some(0), Some(1), Some(0), Some(0)]);
    // One request per row, its choices as a list of prompts.
    let bodies = server.bodies();
    assert_eq!(bodies.len(), 4);
    let first: serde_json::Value =
        serde_json::from_str(bodies.iter().find(|b| b.contains("Is it?")).unwrap()).unwrap();
    assert_eq!(
        first["prompt"],
        serde_json::json!(["Is it? yes", "Is it? no"])
    );
    assert_eq!(first["echo"], true);
    assert_eq!(first["logprobs"], 1);
    assert_eq!(first["max_tokens"], 1);
    assert_eq!(first["temperature"], 0);
}

fn many_jobs() -> Vec<Job> {
    (0..24)
        .map(|i| {
            job(
                i,
                &format!("Question number {i}?"),
                "maybe not",
                &["yes", "maybe not", &format!("answer {}", i % 5)],
            )
        })
        .collect()
}

#[test]
fn results_with_injected_faults_equal_a_fault_free_run() {
    let clean_server = FakeServer::start(Config::default());
    let clean = run(&connect(&clean_server, None), &many_jobs(), &rank(), 4);
    assert!(clean.iter().all(|r| r.error.is_none()));

    let faults: HashMap<usize, Fault> = [
        (1, Fault::ServerError),
        (2, Fault::Malformed),
        (4, Fault::Drop),
        (6, Fault::TooMany(1)),
        (8, Fault::Slow(Duration::from_millis(2500))),
        (10, Fault::ServerError),
        (11, Fault::Drop),
    ]
    .into_iter()
    .collect();
    let faulty_server = FakeServer::start(Config {
        faults,
        ..Config::default()
    });
    let faulty = run(&connect(&faulty_server, None), &many_jobs(), &rank(), 4);
    assert_eq!(faulty, clean);
    // 24 rows, 7 faulted tries retried.
    assert_eq!(faulty_server.posts(), 24 + 7);
}

#[test]
fn a_row_that_keeps_failing_carries_its_error_and_the_run_goes_on() {
    // With one worker, posts 2..=6 are the five tries of the second row.
    let faults = (2..=6).map(|n| (n, Fault::ServerError)).collect();
    let server = FakeServer::start(Config {
        faults,
        ..Config::default()
    });
    let jobs = &many_jobs()[..4];
    let results = run(&connect(&server, None), jobs, &rank(), 1);
    assert!(
        results[1].error.as_deref().unwrap().contains("HTTP 500"),
        "{:?}",
        results[1]
    );
    assert_eq!(results[1].loglikelihoods, None);
    assert!(results
        .iter()
        .enumerate()
        .all(|(i, r)| i == 1 || r.error.is_none()));
    assert_eq!(server.posts(), 4 + 4);
}

#[test]
fn unauthorized_names_the_endpoint_and_the_variable_never_the_key() {
    let server = FakeServer::start(Config {
        key: Some("right-key".into()),
        ..Config::default()
    });
    let mut connection = Connection::to(&server.endpoint());
    connection.api_key = Some(ApiKey::new("wrong-key".into()));
    connection.api_key_env = Some("MY_SERVER_KEY".into());
    let error = Evaluator::connect(&connection, quick_retries(), None, &AtomicBool::new(false))
        .err()
        .expect("401");
    let message = error.to_string();
    assert!(matches!(
        error,
        RunError::Request(RequestError::Unauthorized { status: 401, .. })
    ));
    assert!(message.contains(&server.endpoint()), "{message}");
    assert!(message.contains("$MY_SERVER_KEY"), "{message}");
    assert!(!message.contains("wrong-key"), "{message}");
    // Not retried: one try.
    assert_eq!(server.authorizations().len(), 1);

    connection.api_key = Some(ApiKey::new("right-key".into()));
    connection.model = Some("fake-model".into());
    let evaluator =
        Evaluator::connect(&connection, quick_retries(), None, &AtomicBool::new(false)).unwrap();
    let results = run(&evaluator, &many_jobs()[..2], &rank(), 2);
    assert!(results.iter().all(|r| r.error.is_none()));
    assert!(server.authorizations()[1..]
        .iter()
        .all(|a| a == "Bearer right-key"));
}

#[test]
fn servers_that_cannot_score_are_detected_on_the_first_request() {
    for scoring in [Scoring::NoLogprobs, Scoring::RejectEcho] {
        let server = FakeServer::start(Config {
            scoring,
            ..Config::default()
        });
        let evaluator = connect(&server, None);
        let mut reported = 0;
        let error = evaluator
            .run(
                &many_jobs(),
                &rank(),
                4,
                &AtomicBool::new(false),
                &mut |_, _| reported += 1,
            )
            .unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, RunError::CannotScore(_)),
            "{scoring:?}: {message}"
        );
        assert!(message.contains("cannot score answer choices"), "{message}");
        assert!(message.contains("--mode generate"), "{message}");
        assert_eq!((reported, server.posts()), (0, 1), "{scoring:?}");
    }
}

#[test]
fn an_unreachable_server_stops_the_run_before_any_row() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut connection = Connection::to(&format!("http://127.0.0.1:{port}/v1"));
    connection.model = Some("m".into());
    let evaluator =
        Evaluator::connect(&connection, quick_retries(), None, &AtomicBool::new(false)).unwrap();
    let error = evaluator
        .run(
            &many_jobs(),
            &rank(),
            4,
            &AtomicBool::new(false),
            &mut |_, _| panic!("no row can be reported"),
        )
        .unwrap_err();
    assert!(
        matches!(error, RunError::Request(RequestError::Unreachable { .. })),
        "{error}"
    );
    assert!(error.to_string().contains(&format!("127.0.0.1:{port}")));
}

#[test]
fn a_rerun_is_served_from_the_cache_with_the_same_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("responses.sqlite");
    let server = FakeServer::start(Config::default());
    let first = run(
        &connect(&server, Some(ResponseCache::open(&path).unwrap())),
        &many_jobs(),
        &rank(),
        4,
    );
    assert_eq!(server.posts(), 24);
    let second = run(
        &connect(&server, Some(ResponseCache::open(&path).unwrap())),
        &many_jobs(),
        &rank(),
        4,
    );
    assert_eq!(server.posts(), 24, "the rerun sent requests");
    assert_eq!(first, second);
    // Another delimiter is another request.
    let other = Settings {
        target_delimiter: "\n".into(),
        ..rank()
    };
    run(
        &connect(&server, Some(ResponseCache::open(&path).unwrap())),
        &many_jobs()[..1],
        &other,
        1,
    );
    assert_eq!(server.posts(), 25);
}

#[test]
fn generation_scores_completions_against_targets() {
    let answers = [
        ("Capital of France?", "Paris, of course."),
        ("Capital of Italy?", "The city of Rome"),
        ("Capital of Spain?", "Madrid\nand more"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let server = FakeServer::start(Config {
        answers,
        ..Config::default()
    });
    let evaluator = connect(&server, None);
    let jobs = [
        job(0, "Capital of France?", "Paris", &[]),
        job(1, "Capital of Italy?", "Rome", &[]),
        job(2, "Capital of Spain?", "Madrid", &[]),
    ];
    let settings = Settings {
        mode: Mode::Generate,
        stop: vec!["\n".into()],
        seed: Some(7),
        ..Settings::default()
    };
    for chat in [false, true] {
        let settings = Settings {
            chat,
            ..settings.clone()
        };
        let results = run(&evaluator, &jobs, &settings, 2);
        let completions: Vec<_> = results
            .iter()
            .map(|r| r.completion.clone().unwrap())
            .collect();
        assert_eq!(
            completions,
            ["Paris, of course.", "The city of Rome", "Madrid"]
        );
        // "paris of course" vs "paris": p 1/3, r 1 -> F1 1/2.
        // "city of rome" vs "rome": p 1/3 -> 1/2. "madrid" exact.
        let em: Vec<_> = results.iter().map(|r| r.exact_match.unwrap()).collect();
        let f1: Vec<_> = results.iter().map(|r| r.f1.unwrap()).collect();
        assert_eq!(em, [0.0, 0.0, 1.0]);
        for (got, expected) in f1.iter().zip([0.5, 0.5, 1.0]) {
            assert!((got - expected).abs() < 1e-9);
        }
    }
    let body: serde_json::Value = serde_json::from_str(&server.bodies()[0]).unwrap();
    assert_eq!(body["max_tokens"], 64);
    assert_eq!(body["temperature"], 0);
    assert_eq!(body["seed"], 7);
    assert_eq!(body["stop"], serde_json::json!(["\n"]));
}

#[test]
fn streamed_generation_delivers_pieces_as_they_come() {
    let server = FakeServer::start(Config {
        answers: [("Say hi".to_string(), "Hello there, friend".to_string())].into(),
        ..Config::default()
    });
    let evaluator = connect(&server, None);
    for chat in [false, true] {
        let settings = Settings {
            mode: Mode::Generate,
            chat,
            ..Settings::default()
        };
        let mut pieces = Vec::new();
        let text = evaluator
            .stream_generation("Say hi", &settings, &AtomicBool::new(false), &mut |piece| {
                pieces.push(piece.to_string())
            })
            .unwrap();
        assert_eq!(text, "Hello there, friend");
        assert_eq!(pieces, ["Hello", " there,", " friend"]);
    }
}

#[test]
fn a_cancelled_run_stops_sending() {
    let server = FakeServer::start(Config::default());
    let evaluator = connect(&server, None);
    let cancel = AtomicBool::new(false);
    let mut reported = 0;
    let outcome = evaluator.run(&many_jobs(), &rank(), 1, &cancel, &mut |_, _| {
        reported += 1;
        if reported == 3 {
            cancel.store(true, Ordering::Relaxed);
        }
    });
    assert_eq!(outcome, Err(RunError::Cancelled));
    assert!(server.posts() < 24, "{} requests", server.posts());
    assert!((3..24).contains(&reported));
}
