//! `send` over real HTTP: one notice and each answer the platform may give (accepted,
//! rejected, retried, redirected, failed), what goes on the wire, what the answer is checked
//! for, and the flags of the command.

mod common;

use common::raw::{whole, RawServer};
use common::{deal, json_lines, send_to, text, to, Env, Gate, Reply, Server, CHANNEL};
use predicates::prelude::*;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// `send` against the scripted server at `server`, with a channel code and an order number.
fn send(env: &Env, server: &Server) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.args([
        "--base-url",
        &server.url,
        "--policy-source",
        "HN_HT_QNW",
        "send",
        "--order-no",
        "QS1",
    ]);
    cmd
}

// Answers, retries and redirects

#[test]
fn two_503s_then_accepted_takes_three_attempts_with_three_uuids_and_one_order_no() {
    let env = Env::new();
    let server = Server::start(
        vec![
            Reply::Raw(503, "text/html", "<html>busy</html>".into()),
            Reply::Raw(503, "text/html", "<html>busy</html>".into()),
        ],
        Reply::accept(),
    )
    .expect_hits(3);
    let out = send(&env, &server)
        .args(["--policy", "P1", "--json"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["outcome"], "accepted");
    assert_eq!(results[0]["attempts"], 3);
    let seen = server.seen();
    let uuids: HashSet<&str> = seen.iter().map(|s| s.head("uuid")).collect();
    let orders: HashSet<&str> = seen.iter().map(|s| s.head("orderNo")).collect();
    assert_eq!(uuids.len(), 3, "{uuids:?}");
    assert_eq!(orders, HashSet::from(["QS1"]));
    assert_eq!(results[0]["uuid"], seen[2].head("uuid"));
}

#[test]
fn a_rejection_exits_1_and_is_not_retried() {
    let env = Env::new();
    let server = Server::always(Reply::Deal("0", "保单不存在")).expect_hits(1);
    send(&env, &server)
        .args(["--policy", "P1"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("rejected"))
        .stdout(predicate::str::contains("0 保单不存在"));
}

#[test]
fn an_html_500_page_is_retried_then_failed_with_exit_3() {
    let env = Env::new();
    let page = "<!DOCTYPE html><html><body><h1>500 Internal Server Error</h1></body></html>";
    let server = Server::always(Reply::Raw(500, "text/html", page.into())).expect_hits(2);
    send(&env, &server)
        .args(["--retries", "1", "--policy", "P1"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("failed"))
        .stdout(predicate::str::contains("HTTP 500"))
        .stdout(predicate::str::contains("500 Internal Server Error"));
}

#[test]
fn a_connection_dropped_after_the_request_is_retried_then_in_doubt_with_exit_3() {
    let env = Env::new();
    let server = Server::always(Reply::Drop).expect_hits(2);
    let out = send(&env, &server)
        .args(["--retries", "1", "--policy", "P1", "--json"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let result = &json_lines(&out.stdout)[0];
    // The request was written before the connection closed: the platform may have it.
    assert_eq!(result["outcome"], "inDoubt");
    assert_eq!(result["attempts"], 2);
    assert!(result["httpStatus"].is_null());
}

#[test]
fn a_2xx_body_that_is_not_json_is_in_doubt_at_once() {
    let env = Env::new();
    let server = Server::always(Reply::Raw(
        200,
        "text/html",
        "<html>maintenance</html>".into(),
    ))
    .expect_hits(1);
    send(&env, &server)
        .args(["--policy", "P1"])
        .assert()
        .code(3)
        .stdout(predicate::str::starts_with("inDoubt"))
        .stdout(predicate::str::contains("unreadable answer"));
}

#[test]
fn an_answer_slower_than_the_timeout_is_in_doubt() {
    let env = Env::new();
    // Never answered while the run lasts: only the timeout can end it (the command's own time
    // limit would fail the test first).
    let held = Gate::new();
    let server = Server::always(held.hold(Reply::accept())).expect_hits(1);
    send(&env, &server)
        .args(["--timeout", "1", "--retries", "0", "--policy", "P1"])
        .assert()
        .code(3)
        .stdout(predicate::str::starts_with("inDoubt"))
        .stdout(predicate::str::contains("timed out"));
    held.open();
}

#[test]
fn other_4xx_fail_at_once() {
    let env = Env::new();
    let server = Server::always(Reply::Raw(
        400,
        "application/json",
        "{\"error\":\"bad\"}".into(),
    ))
    .expect_hits(1);
    send(&env, &server)
        .args(["--policy", "P1"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("HTTP 400"));
}

#[test]
fn retry_after_is_honoured() {
    let env = Env::new();
    let server = Server::start(vec![Reply::RetryAfter(429, 2)], Reply::accept()).expect_hits(2);
    let start = Instant::now();
    send(&env, &server)
        .args(["--policy", "P1"])
        .assert()
        .code(0);
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn redirects_are_not_followed_and_count_as_failed() {
    for status in [301, 302, 307] {
        let env = Env::new();
        // Following the redirect would reach an accepting server.
        let elsewhere = Server::always(Reply::accept()).expect_hits(0);
        let location = format!("{}/avatar/refund/second/refundNotice", elsewhere.url);
        let server =
            Server::start(vec![Reply::Redirect(status, location)], Reply::accept()).expect_hits(1);
        let mut args = to(&server);
        args.extend(["send", "--policy", "P1", "--order-no", "O1", "--json"].map(String::from));
        let out = env.cmd().args(&args).assert().code(3).get_output().clone();
        let result = &json_lines(&out.stdout)[0];
        assert_eq!(result["outcome"], "failed", "{status}: {result}");
        assert_eq!(result["httpStatus"], status);
        assert_eq!(result["attempts"], 1);
    }
}

#[test]
fn timeouts_and_http_408_are_retried() {
    let env = Env::new();
    let held = Gate::new();
    let server = Server::always(held.hold(Reply::accept())).expect_hits(2);
    let mut args = to(&server);
    args.extend(
        [
            "--timeout",
            "1",
            "--retries",
            "1",
            "send",
            "--policy",
            "P1",
            "--order-no",
            "O1",
            "--json",
        ]
        .map(String::from),
    );
    let out = env.cmd().args(&args).assert().code(3).get_output().clone();
    held.open();
    let result = &json_lines(&out.stdout)[0];
    assert_eq!(result["attempts"], 2, "{result}");
    assert!(result["error"].as_str().unwrap().contains("timed out"));

    let env = Env::new();
    let server = Server::start(
        vec![Reply::Raw(408, "text/plain", "request timeout".into())],
        Reply::accept(),
    )
    .expect_hits(2);
    let mut args = to(&server);
    args.extend(["send", "--policy", "P1", "--order-no", "O1", "--json"].map(String::from));
    let out = env.cmd().args(&args).assert().code(0).get_output().clone();
    let result = &json_lines(&out.stdout)[0];
    assert_eq!(result["outcome"], "accepted");
    assert_eq!(result["attempts"], 2);
}

#[test]
fn by_default_a_notice_is_retried_three_times() {
    let env = Env::new();
    let server =
        Server::always(Reply::Raw(503, "text/html", "<html>busy</html>".into())).expect_hits(4);
    let mut args = to(&server);
    args.extend(["send", "--policy", "P1", "--order-no", "O1", "--json"].map(String::from));
    let out = env.cmd().args(&args).assert().code(3).get_output().clone();
    let result = &json_lines(&out.stdout)[0];
    assert_eq!(result["attempts"], 4);
    assert_eq!(result["outcome"], "failed");
}

// What the answer is checked for: reported, never trusted silently

#[test]
fn every_server_quirk_of_the_spec_is_read() {
    let env = Env::new();
    // The sample answer as printed: trailing comma, respTime in epoch millis, policyNo "123".
    let sample = r#"{
      "secondRefundResp": { "dealCode": "1", "dealDesc": "成功", "policyNo": "123", },
      "head": { "interfaceType": "proposalOrder", "orderNo": "QS1", "policySource": "HN_HT_QNW",
                "respTime": 1671435862121, "uuid": "b5c9c977-8ba0-4ade-93c7-914ad0147342" }
    }"#;
    let now_cst =
        chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let string_time = format!(
        r#"{{"secondRefundResp":{{"dealCode":1,"dealDesc":"ok","policyNo":"P1"}},
            "head":{{"orderNo":"QS1","respTime":"{}"}}}}"#,
        now_cst.format("%Y-%m-%d %H:%M:%S")
    );
    for (body, warnings) in [(sample.to_string(), 3), (string_time, 1)] {
        let server = Server::always(Reply::Raw(200, "application/json", body)).expect_hits(1);
        let out = send(&env, &server)
            .args(["--policy", "P1", "--json"])
            .assert()
            .code(0)
            .get_output()
            .clone();
        let result = &json_lines(&out.stdout)[0];
        assert_eq!(result["outcome"], "accepted");
        assert_eq!(result["dealCode"], "1");
        // The sample's policyNo and uuid do not match the request, and its respTime is in 2022;
        // the second answer only lacks a uuid.
        assert_eq!(
            result["warnings"].as_array().unwrap().len(),
            warnings,
            "{result}"
        );
        assert!(text(&out.stderr).contains("warning:"));
    }
}

type Change = dyn Fn(&mut Value) + Send + Sync;

/// Answers each request with `change` applied to a proper answer.
fn answering(change: impl Fn(&mut Value) + Send + Sync + 'static) -> RawServer {
    RawServer::start(move |_, request, stream| {
        let mut answer = deal(request, "1", "成功");
        change(&mut answer);
        whole(stream, 200, answer.to_string().as_bytes());
    })
}

#[test]
fn a_resp_time_that_is_no_time_is_a_warning() {
    for raw in [json!(1e300), json!(i64::MIN), json!("9999-99-99 99:99:99")] {
        let env = Env::new();
        let value = raw.clone();
        let server = answering(move |a| a["head"]["respTime"] = value.clone());
        let out = send_to(&env, &server.url)
            .args(["--policy", "P1", "--order-no", "O1", "--json"])
            .assert()
            .code(0)
            .get_output()
            .clone();
        let result = &json_lines(&out.stdout)[0];
        assert_eq!(result["outcome"], "accepted");
        let warnings = result["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 1, "{raw}: {warnings:?}");
        assert!(
            warnings[0].as_str().unwrap().contains("is not a time"),
            "{raw}: {warnings:?}"
        );
        assert!(text(&out.stderr).contains("respTime"), "{raw}");
    }
}

#[test]
fn a_wrong_or_missing_echoed_order_no_is_a_warning() {
    let cases: [(&str, Box<Change>); 2] = [
        (
            "the answer's orderNo 'WRONG' does not match the request's 'O1'",
            Box::new(|a| a["head"]["orderNo"] = json!("WRONG")),
        ),
        (
            "the answer has no orderNo",
            Box::new(|a| {
                a["head"].as_object_mut().unwrap().remove("orderNo");
            }),
        ),
    ];
    for (want, change) in cases {
        let env = Env::new();
        let server = answering(change);
        let out = send_to(&env, &server.url)
            .args(["--policy", "P1", "--order-no", "O1", "--json"])
            .assert()
            .code(0)
            .get_output()
            .clone();
        let result = &json_lines(&out.stdout)[0];
        assert_eq!(result["warnings"], json!([want]));
        assert!(text(&out.stderr).contains(&format!("P1: {want}")));
    }
}

// What is sent, and what is printed

#[test]
fn the_json_result_object_has_exactly_the_documented_fields() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let out = send(&env, &server)
        .args(["--policy", "P1", "-o", "json"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let result = &json_lines(&out.stdout)[0];
    let mut keys: Vec<&str> = result
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "attempts",
            "dealCode",
            "dealDesc",
            "elapsedMs",
            "error",
            "httpStatus",
            "line",
            "orderNo",
            "outcome",
            "policyNo",
            "skipReason",
            "type",
            "uuid",
            "warnings"
        ]
    );
    assert!(result["line"].is_null());
    assert_eq!(result["type"], "result");
    assert!(result["skipReason"].is_null());
    assert_eq!(common::summary_line(&out.stdout)["counts"]["accepted"], 1);
    assert_eq!(result["httpStatus"], 200);
    assert_eq!(result["orderNo"], "QS1");
    assert!(result["error"].is_null());
    assert_eq!(result["warnings"], serde_json::json!([]));
}

#[test]
fn req_time_is_china_standard_time_whatever_the_machine_zone() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    send(&env, &server)
        .env("TZ", "America/New_York")
        .args(["--policy", "P1"])
        .assert()
        .code(0);
    let seen = server.seen();
    let req_time =
        chrono::NaiveDateTime::parse_from_str(seen[0].head("reqTime"), "%Y-%m-%d %H:%M:%S")
            .unwrap();
    let now_cst = chrono::Utc::now().naive_utc() + chrono::Duration::hours(8);
    assert!(
        (now_cst - req_time).num_seconds().abs() < 60,
        "reqTime {req_time} vs {now_cst}"
    );
    assert_eq!(seen[0].head("interfaceType"), "recissionNotice");
    assert_eq!(seen[0].head("policySource"), "HN_HT_QNW");
    uuid::Uuid::parse_str(seen[0].head("uuid")).unwrap();
}

#[test]
fn optional_fields_go_on_the_wire_exactly_as_typed_and_absent_ones_not_at_all() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(2);
    send(&env, &server)
        .args([
            "--policy",
            "P1",
            "--amount",
            "10.2",
            "--refund-date",
            "2021-05-10 12:00:00",
            "--status",
            "1",
        ])
        .args(["--installment", "1:10.2:2021-05-10 11:59:59"])
        .assert()
        .code(0);
    let env2 = Env::new();
    send(&env2, &server)
        .args(["--policy", "P2"])
        .assert()
        .code(0);
    let seen = server.seen();
    assert_eq!(
        seen[0].body["secondRefundReq"],
        serde_json::json!({
            "policyNo": "P1", "secondRefundAmount": 10.2, "secondRefundDate": "2021-05-10 12:00:00",
            "secondRefundStatus": 1,
            "installmentList": [{"payNo": 1, "amount": 10.2, "refundTime": "2021-05-10 11:59:59"}]
        })
    );
    assert_eq!(
        seen[1].body["secondRefundReq"],
        serde_json::json!({"policyNo": "P2"})
    );
}

#[test]
fn interface_type_overrides_the_envelope_head() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    env.cmd()
        .args(to(&server))
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .args(["--interface-type", "refundNoticeV2"])
        .assert()
        .code(0);
    assert_eq!(server.seen()[0].head("interfaceType"), "refundNoticeV2");
    env.cmd()
        .args(to(&server))
        .args(["send", "--policy", "P2", "--order-no", "O2"])
        .args(["--interface-type", "bad type"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--interface-type"));
}

#[test]
fn verbose_shows_bodies_but_never_header_values() {
    let env = Env::new();
    let key = env.write("key.txt", "s3cret-from-file\n");
    let server = Server::always(Reply::accept()).expect_hits(1);
    let out = send(&env, &server)
        .args(["-v", "--policy", "P1", "-H", "X-Gateway-Key: s3cret-inline"])
        .arg("-H")
        .arg(format!("X-Other: @{}", key.display()))
        .assert()
        .code(0)
        .get_output()
        .clone();
    let stderr = text(&out.stderr);
    assert!(stderr.contains("\"policyNo\":\"P1\""), "{stderr}");
    assert!(stderr.contains("X-Gateway-Key: <redacted>"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
    assert!(!text(&out.stdout).contains("s3cret"));
    let seen = server.seen();
    assert_eq!(seen[0].header("x-gateway-key"), Some("s3cret-inline"));
    assert_eq!(seen[0].header("x-other"), Some("s3cret-from-file"));
    assert!(seen[0]
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
}

#[test]
fn quiet_leaves_stderr_empty_and_results_on_stdout() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    send(&env, &server)
        .args(["-q", "--policy", "P1"])
        .assert()
        .code(0)
        .stderr(predicate::str::is_empty())
        .stdout(predicate::str::contains("accepted"));
}

#[test]
fn dry_run_prints_the_envelope_and_sends_nothing() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let out = send(&env, &server)
        .args(["--dry-run", "--policy", "P1", "--amount", "3"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let envelope = &json_lines(&out.stdout)[0];
    assert_eq!(envelope["head"]["orderNo"], "QS1");
    assert_eq!(envelope["secondRefundReq"]["secondRefundAmount"], 3.0);
    for suffix in ["", "-wal", "-shm"] {
        let mut file = env.journal().into_os_string();
        file.push(suffix);
        assert!(
            !std::path::Path::new(&file).exists(),
            "a dry run writes no journal: {file:?}"
        );
    }
}

#[test]
fn a_dry_run_says_the_url_it_would_post_to() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let out = env
        .cmd()
        .args(["--base-url", &server.url, "--policy-source", CHANNEL])
        .args(["send", "--policy", "P1", "--order-no", "O1", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "would POST to {}/avatar/refund/second/refundNotice",
            server.url
        )),
        "{stderr}"
    );
    assert!(
        !text(&out.stdout).contains("would POST"),
        "stdout has envelopes only"
    );
}

// The command's flags

#[test]
fn bad_flags_exit_2_with_nothing_sent() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    send(&env, &server)
        .args(["--policy", "P1", "--bogus"])
        .assert()
        .code(2);
    send(&env, &server)
        .args(["--policy", "P1", "--amount", "10.234"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--amount"));
    send(&env, &server)
        .args(["--policy", "P1", "--refund-date", "2021-05-10T12:00:00"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("yyyy-MM-dd HH:mm:ss"));
    send(&env, &server)
        .args(["--policy", "P 1"])
        .assert()
        .code(2);
    // --order-no goes with a single --policy.
    send(&env, &server)
        .args(["--policy", "P1", "--policy", "P2"])
        .assert()
        .code(2);
}

#[test]
fn a_missing_order_number_is_an_input_error_unless_generation_is_on() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    env.cmd()
        .args([
            "--base-url",
            &server.url,
            "--policy-source",
            "HN",
            "send",
            "--policy",
            "P1",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--order-no"));
    env.cmd()
        .args([
            "--base-url",
            &server.url,
            "--policy-source",
            "HN",
            "send",
            "--policy",
            "P1",
            "--generate-order-no",
        ])
        .assert()
        .code(0);
    let order = server.seen()[0].head("orderNo").to_string();
    assert!(order.starts_with("QS") && order.len() == 23, "{order}");
}

#[test]
fn no_channel_code_is_an_error_that_says_how_to_give_one() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    env.cmd()
        .args([
            "--base-url",
            &server.url,
            "send",
            "--policy",
            "P1",
            "--order-no",
            "O",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--policy-source"));
}

#[test]
fn a_malformed_header_or_unreadable_ca_is_a_usage_error_with_nothing_sent() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    send(&env, &server)
        .args(["--policy", "P1", "-H", "no colon here"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'Name: value'"));
    send(&env, &server)
        .args(["--policy", "P1", "-H", "X-Key: @/nonexistent/key"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/key"));
    send(&env, &server)
        .args(["--policy", "P1", "--cacert", "/nonexistent/ca.pem"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/ca.pem"));
}
