//! `history`: what the journal recorded, filtered, as a table or JSON Lines.

mod common;

use common::{json_lines, text, Env, Reply, Server};
use predicates::prelude::*;

fn send(env: &Env, server: &Server, policy: &str, order: &str) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.args([
        "--base-url",
        &server.url,
        "--policy-source",
        "HN_HT_QNW",
        "send",
        "--policy",
        policy,
        "--order-no",
        order,
    ]);
    cmd
}

#[test]
fn every_notice_and_attempt_is_shown_with_who_sent_it() {
    let env = Env::new();
    let ok = Server::always(Reply::accept());
    let flaky = Server::start(
        vec![Reply::Raw(503, "text/html", "busy".into())],
        Reply::Deal("0", "拒绝"),
    );
    send(&env, &ok, "P1", "O1").assert().code(0);
    send(&env, &flaky, "P2", "O2").assert().code(1);

    let out = env
        .cmd()
        .args(["history", "--json"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let rows = json_lines(&out.stdout);
    assert_eq!(rows.len(), 2);
    let p2 = rows.iter().find(|r| r["policyNo"] == "P2").unwrap();
    assert_eq!(p2["state"], "rejected");
    assert_eq!(p2["orderNo"], "O2");
    assert_eq!(p2["attempts"], 2);
    assert_eq!(p2["endpoint"], flaky.url.as_str());
    assert!(p2["osUser"].as_str().is_some_and(|u| !u.is_empty()), "{p2}");
    assert!(p2["host"].as_str().is_some_and(|h| !h.is_empty()), "{p2}");
    // ISO 8601 with an offset.
    let when = p2["lastSentAt"].as_str().unwrap();
    chrono::DateTime::parse_from_rfc3339(when).unwrap_or_else(|e| panic!("{when}: {e}"));

    let out = env
        .cmd()
        .args(["history", "--json", "--attempts", "--policy", "P2"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let attempts = json_lines(&out.stdout);
    assert_eq!(attempts.len(), 2);
    let uuids: std::collections::HashSet<_> =
        attempts.iter().map(|a| a["uuid"].to_string()).collect();
    assert_eq!(uuids.len(), 2);

    env.cmd()
        .args(["history"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("POLICY"))
        .stdout(predicate::str::contains("P1"))
        .stdout(predicate::str::contains("拒绝"));
}

#[test]
fn filters_narrow_the_rows() {
    let env = Env::new();
    let a = Server::always(Reply::accept());
    let b = Server::always(Reply::Deal("0", "no"));
    send(&env, &a, "P1", "O1").assert().code(0);
    send(&env, &b, "P2", "O2").assert().code(1);
    let count = |args: &[&str]| {
        let out = env
            .cmd()
            .arg("history")
            .arg("--json")
            .args(args)
            .assert()
            .code(0)
            .get_output()
            .clone();
        json_lines(&out.stdout).len()
    };
    assert_eq!(count(&[]), 2);
    assert_eq!(count(&["--policy", "P1"]), 1);
    assert_eq!(count(&["--outcome", "rejected"]), 1);
    assert_eq!(count(&["--environment", &a.url]), 1);
    assert_eq!(count(&["--environment", "prod"]), 0);
    assert_eq!(count(&["--since", "2000-01-01"]), 2);
    assert_eq!(count(&["--until", "2000-01-01"]), 0);
    assert_eq!(count(&["--limit", "1"]), 1);
    env.cmd()
        .args(["history", "--outcome", "maybe"])
        .assert()
        .code(2);
    env.cmd()
        .args(["history", "--since", "yesterday"])
        .assert()
        .code(2);
}

#[test]
fn no_journal_yet_is_not_an_error() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["history"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("no journal"));
    assert!(!env.journal().exists(), "history never creates a journal");
}
