//! `failed` or `inDoubt`: a notice is failed only when its request provably never reached the
//! platform (no connection) or the platform answered, readably, that it did not take it. Any
//! attempt that may have arrived without such an answer leaves it in doubt: in the run's
//! result, in the journal (`history --outcome inDoubt`), for the rule (changed content is
//! refused) and for the next run (resent under the same orderNo, with a warning).

mod common;

use common::raw::{head, stall, whole, RawServer};
use common::{deal, history, json_lines, send_to, text, Env, Reply, Server, CHANNEL, PATIENCE};
use predicates::prelude::*;
use serde_json::Value;
use std::io::Write;
use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn send(env: &Env, url: &str, args: &[&str]) -> std::process::Output {
    send_to(env, url)
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
    history(env, &["--outcome", state])
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
fn a_timeout_after_the_request_was_sent_says_the_platform_may_have_it() {
    let env = Env::new();
    let server = RawServer::start(|_, _, stream| stall(stream));
    let out = send_to(&env, &server.url)
        .args(["--timeout", "1", "--retries", "1", "--policy", "P1"])
        .args(["--order-no", "O1", "--json"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let result = &json_lines(&out.stdout)[0];
    assert_eq!(result["outcome"], "inDoubt", "{result}");
    let error = result["error"].as_str().unwrap();
    assert!(
        error.contains("timed out waiting for the answer")
            && error.contains("it may have reached the platform"),
        "{error}"
    );
    // Still retried, under the same orderNo.
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s["head"]["orderNo"] == "O1"));
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

fn cut_short(stalls: bool) {
    let env = Env::new();
    let server = RawServer::start(move |n, request, stream| {
        if n > 0 {
            return whole(
                stream,
                200,
                deal(request, "1", "成功").to_string().as_bytes(),
            );
        }
        let _ = stream.write_all(head(200, Some(500)).as_bytes());
        let _ = stream.write_all(b"{\"head\":{");
        if stalls {
            stall(stream);
        }
    });
    let out = send_to(&env, &server.url)
        .args(["--timeout", "1", "--retries", "3", "--policy", "P1"])
        .args(["--generate-order-no", "--json"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let result = &json_lines(&out.stdout)[0];
    assert_eq!(server.hits(), 1, "a 2xx answer was retried");
    assert_eq!(result["outcome"], "inDoubt");
    assert_eq!(result["httpStatus"], 200);
    let error = result["error"].as_str().unwrap();
    assert!(error.contains("may have reached the platform"), "{error}");
    let doubt = history(&env, &["--outcome", "inDoubt"]);
    assert_eq!(doubt.len(), 1, "{:?}", history(&env, &[]));
    // The next run resends it, under the same orderNo.
    send_to(&env, &server.url)
        .args(["--policy", "P1", "--generate-order-no"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("accepted"));
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0]["head"]["orderNo"], seen[1]["head"]["orderNo"]);
    assert_eq!(seen[1]["head"]["orderNo"], doubt[0]["orderNo"]);
}

#[test]
fn a_2xx_answer_cut_short_is_not_retried_and_left_in_doubt() {
    cut_short(false);
}

#[test]
fn a_2xx_answer_that_stalls_is_not_retried_and_left_in_doubt() {
    cut_short(true);
}

#[test]
fn an_answer_larger_than_1_mib_is_not_retried_and_leaves_the_notice_in_doubt() {
    let big = vec![b'x'; 5 * 1024 * 1024];
    for (status, with_length) in [(200, true), (200, false), (503, true), (503, false)] {
        let env = Env::new();
        let body = big.clone();
        let server = RawServer::start(move |_, _, stream| {
            let _ = stream.write_all(head(status, with_length.then_some(body.len())).as_bytes());
            let _ = stream.write_all(&body);
        });
        let out = send_to(&env, &server.url)
            .args([
                "--retries",
                "3",
                "--policy",
                "P1",
                "--order-no",
                "O1",
                "--json",
            ])
            .assert()
            .code(3)
            .get_output()
            .clone();
        let result = &json_lines(&out.stdout)[0];
        let case = format!("HTTP {status}, length given: {with_length}");
        // Not read whole, so nothing says the platform did not take it.
        assert_eq!(result["outcome"], "inDoubt", "{case}");
        assert_eq!(history(&env, &["--outcome", "inDoubt"]).len(), 1, "{case}");
        assert!(
            result["error"]
                .as_str()
                .unwrap()
                .contains("answer larger than 1 MiB"),
            "{case}: {result}"
        );
        assert_eq!(server.hits(), 1, "{case}: not retried");
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
fn a_resend_of_an_in_doubt_notice_says_so_in_its_warnings() {
    let env = Env::new();
    // The first request hangs until the process is killed: its attempt stays in doubt.
    let server = Server::start(
        vec![Reply::Slow(
            Duration::from_secs(120),
            Box::new(Reply::accept()),
        )],
        Reply::accept(),
    );
    let args = [
        "--base-url",
        &server.url,
        "--policy-source",
        "HN_HT_QNW",
        "send",
        "--policy",
        "P1",
        "--order-no",
        "O1",
        "--json",
    ];
    let mut child = env
        .std_cmd()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start avatar-cli");
    let start = Instant::now();
    while server.hits() < 1 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no request arrived"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();

    let out = env.cmd().args(args).assert().code(0).get_output().clone();
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["outcome"], "accepted");
    assert_eq!(results[0]["orderNo"], "O1");
    let warnings = results[0]["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w == "resent: an earlier attempt may have reached the platform; same orderNo"),
        "{warnings:?}"
    );

    // A notice that was never in doubt carries no such warning.
    let fresh = [
        "--base-url",
        &server.url,
        "--policy-source",
        "HN_HT_QNW",
        "send",
        "--policy",
        "P2",
        "--order-no",
        "O2",
        "--json",
    ];
    let out = env.cmd().args(fresh).assert().code(0).get_output().clone();
    assert_eq!(
        json_lines(&out.stdout)[0]["warnings"],
        serde_json::json!([])
    );
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
