//! `failed` or `inDoubt`: a notice is failed only when its request provably never reached the
//! platform (no connection) or the platform answered, readably, that it did not take it. Any
//! attempt that may have arrived without such an answer leaves it in doubt: in the run's
//! result, in the journal (`history --outcome inDoubt`), for the rule (changed content is
//! refused) and for the next run (resent under the same orderNo, with a warning).

mod common;

use common::{json_lines, text, Env, Reply, Server, PATIENCE};
use serde_json::Value;
use std::net::TcpListener;
use std::time::{Duration, Instant};

const CHANNEL: &str = "HN_HT_QNW";

fn send(env: &Env, url: &str, args: &[&str]) -> std::process::Output {
    env.cmd()
        .args(["--base-url", url, "--policy-source", CHANNEL, "send"])
        .args(args)
        .output()
        .expect("run avatar-cli")
}

fn only_result(out: &std::process::Output) -> Value {
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 1, "{}", text(&out.stderr));
    results[0].clone()
}

/// The policies `history` lists in `state`.
fn in_state(env: &Env, state: &str) -> Vec<String> {
    let out = env
        .cmd()
        .args(["history", "--json", "--outcome", state])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    json_lines(&out.stdout)
        .iter()
        .map(|r| r["policyNo"].as_str().unwrap().to_string())
        .collect()
}

/// Asserts that the result's error says `what`.
fn says(result: &Value, what: &str) {
    let error = result["error"].as_str().unwrap_or_default();
    assert!(error.contains(what), "no {what:?} in {result}");
}

/// A loopback address where nothing listens: connections to it are refused.
fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

#[test]
fn a_refused_connection_is_failed_not_in_doubt() {
    let env = Env::new();
    let out = send(
        &env,
        &closed_port(),
        &[
            "--retries",
            "1",
            "--policy",
            "P1",
            "--order-no",
            "O1",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let result = only_result(&out);
    assert_eq!(result["outcome"], "failed", "{result}");
    assert_eq!(result["attempts"], 2);
    says(&result, "cannot connect");
    assert_eq!(in_state(&env, "failed"), ["P1"]);
    assert!(in_state(&env, "inDoubt").is_empty());
}

#[test]
fn a_timeout_then_an_error_answer_leaves_the_notice_in_doubt_everywhere() {
    let env = Env::new();
    // Attempt 1 is answered only after the client gave up (the platform took it); attempt 2
    // gets a 503. The next run's request is accepted.
    let server = Server::start(
        vec![
            Reply::Slow(Duration::from_secs(3), Box::new(Reply::accept())),
            Reply::Raw(503, "text/html", "<h1>busy</h1>".into()),
        ],
        Reply::accept(),
    );
    let first = [
        "--timeout",
        "1",
        "--retries",
        "1",
        "--policy",
        "P1",
        "--amount",
        "10.00",
        "--order-no",
        "O1",
        "--json",
    ];
    let out = send(&env, &server.url, &first);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let result = only_result(&out);
    assert_eq!(result["outcome"], "inDoubt", "{result}");
    assert_eq!(result["attempts"], 2);
    let error = result["error"].as_str().unwrap();
    assert!(
        error.contains("HTTP 503") && error.contains("may have reached the platform"),
        "{error}"
    );
    assert_eq!(server.hits(), 2);
    assert_eq!(in_state(&env, "inDoubt"), ["P1"]);
    assert!(in_state(&env, "failed").is_empty());

    // Changed content is refused: the platform may hold the first.
    let changed = send(
        &env,
        &server.url,
        &["--policy", "P1", "--amount", "20.00", "--order-no", "O1"],
    );
    assert_eq!(changed.status.code(), Some(2), "{}", text(&changed.stderr));
    assert!(
        text(&changed.stderr).contains("may have reached the platform"),
        "{}",
        text(&changed.stderr)
    );
    assert_eq!(server.hits(), 2, "nothing was sent");

    // The same content is resent under the same orderNo, with a word.
    let again = send(
        &env,
        &server.url,
        &[
            "--policy",
            "P1",
            "--amount",
            "10.00",
            "--order-no",
            "O1",
            "--json",
        ],
    );
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    let result = only_result(&again);
    assert_eq!(result["outcome"], "accepted");
    assert!(
        result["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("resent: an earlier attempt may have reached the platform"),
        "{result}"
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|s| s.head("orderNo") == "O1"));
    assert_eq!(in_state(&env, "accepted"), ["P1"]);
}

#[test]
fn a_2xx_answer_that_cannot_be_read_is_in_doubt_and_not_retried() {
    for (body, what) in [
        ("", "an empty body"),
        ("{\"head\":", "cut JSON"),
        ("<html>maintenance</html>", "HTML"),
    ] {
        let env = Env::new();
        let server = Server::always(Reply::Raw(200, "text/html", body.into())).expect_hits(1);
        let out = send(
            &env,
            &server.url,
            &["--policy", "P1", "--order-no", "O1", "--json"],
        );
        assert_eq!(out.status.code(), Some(3), "{what}: {}", text(&out.stderr));
        let result = only_result(&out);
        assert_eq!(result["outcome"], "inDoubt", "{what}: {result}");
        assert_eq!(result["httpStatus"], 200, "{what}");
        assert_eq!(in_state(&env, "inDoubt"), ["P1"], "{what}");
    }
}

#[test]
fn a_notice_in_doubt_stays_in_doubt_when_the_next_run_is_turned_away() {
    let env = Env::new();
    // The first run's connection is closed after the request was written; the next run's
    // request is refused with a 400 the client reads whole.
    let server = Server::start(
        vec![Reply::Drop],
        Reply::Raw(400, "application/json", "{\"error\":\"bad\"}".into()),
    )
    .expect_hits(2);
    let args = [
        "--retries",
        "0",
        "--policy",
        "P1",
        "--order-no",
        "O1",
        "--json",
    ];
    let out = send(&env, &server.url, &args);
    assert_eq!(only_result(&out)["outcome"], "inDoubt");
    let out = send(&env, &server.url, &args);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let result = only_result(&out);
    // This run's answer says "not taken", but the first run's request may have been.
    assert_eq!(result["outcome"], "inDoubt", "{result}");
    says(&result, "an earlier attempt may have reached the platform");
    assert_eq!(in_state(&env, "inDoubt"), ["P1"]);
}

#[test]
fn stopped_while_waiting_to_retry_after_a_timeout_is_in_doubt() {
    let env = Env::new();
    // Attempt 1 times out; attempt 2 is asked to wait a minute before the next.
    let server = Server::start(
        vec![
            Reply::Slow(Duration::from_secs(3), Box::new(Reply::accept())),
            Reply::RetryAfter(503, 60),
        ],
        Reply::accept(),
    )
    .expect_hits(2);
    let run = env.spawn([
        "--base-url",
        &server.url,
        "--policy-source",
        CHANNEL,
        "--timeout",
        "1",
        "send",
        "--policy",
        "P1",
        "--order-no",
        "O1",
        "--json",
    ]);
    // Both attempts' ends are in the journal: the run now waits out the minute.
    let start = Instant::now();
    let ended = || {
        let out = env
            .cmd()
            .args(["history", "--json", "--attempts"])
            .output()
            .unwrap();
        let attempts = json_lines(&out.stdout);
        attempts.len() == 2 && attempts.iter().all(|a| !a["finishedAt"].is_null())
    };
    while !ended() {
        assert!(start.elapsed() < PATIENCE, "the attempts never ended");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Were the process killed now, the journal already says in doubt.
    assert_eq!(in_state(&env, "inDoubt"), ["P1"]);
    run.signal(libc::SIGINT);
    let out = run.finish_within(Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let result = only_result(&out);
    assert_eq!(result["outcome"], "inDoubt", "{result}");
    says(&result, "stopped before the next attempt");
    assert_eq!(in_state(&env, "inDoubt"), ["P1"]);
}
