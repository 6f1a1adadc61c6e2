//! `history` over the built binary: every notice and attempt with who sent it, each filter
//! checked with rows it must keep and rows it must drop (so that a filter that drops everything,
//! or nothing, fails), dates in China Standard Time, one notice whole (`history show`), the
//! exports `batch` reads back, and the table: plain in a pipe, fitted to a terminal's width
//! (columns shortened or left out in the order the README gives, a cut cell ending in `…`, no
//! character split across lines).

mod common;

use chrono::{DateTime, Duration as Days, FixedOffset, Utc};
use common::clock::clock_at;
use common::pty::{screen_lines, sized_terminal, start, Terminal, EVERYWHERE, ONLY_STDOUT};
use common::raw::RawServer;
use common::{
    batch_to, data, demo_at, history, history_by, json_lines, show_json, summary_line, text, Env,
    Gate, Reply, Server, CHANNEL, DEMO_CHANNEL,
};
use predicates::prelude::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

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

/// The policy numbers of `history --json` with `args`.
fn policies(env: &Env, args: &[&str]) -> BTreeSet<String> {
    history(env, args)
        .iter()
        .map(|r| r["policyNo"].as_str().unwrap().to_string())
        .collect()
}

fn set(policies: &[&str]) -> BTreeSet<String> {
    policies.iter().map(|p| p.to_string()).collect()
}

/// What a command prints, trimmed.
fn os_answer(program: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(out.status.success(), "{program} {args:?} failed");
    text(&out.stdout).trim().to_string()
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
    // The OS account is asked of the OS: a USER variable naming someone else changes nothing.
    send(&env, &flaky, "P2", "O2")
        .env("USER", "not-the-account")
        .env("LOGNAME", "not-the-account")
        .assert()
        .code(1);

    let rows = history(&env, &[]);
    assert_eq!(rows.len(), 2);
    let p2 = rows.iter().find(|r| r["policyNo"] == "P2").unwrap();
    assert_eq!(p2["state"], "rejected");
    assert_eq!(p2["orderNo"], "O2");
    assert_eq!(p2["attempts"], 2);
    assert_eq!(p2["endpoint"], flaky.url.as_str());
    let user = os_answer("id", &["-un"]);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| os_answer("hostname", &[]));
    for row in &rows {
        assert_eq!(row["osUser"], user.as_str(), "{row}");
        assert_eq!(row["host"], host.as_str(), "{row}");
    }
    // ISO 8601 with an offset.
    let when = p2["lastSentAt"].as_str().unwrap();
    DateTime::parse_from_rfc3339(when).unwrap_or_else(|e| panic!("{when}: {e}"));

    let attempts = history(&env, &["--attempts", "--policy", "P2"]);
    assert_eq!(attempts.len(), 2);
    let uuids: BTreeSet<_> = attempts.iter().map(|a| a["uuid"].to_string()).collect();
    assert_eq!(uuids.len(), 2);
    assert!(attempts.iter().all(|a| a["policyNo"] == "P2"));

    env.cmd()
        .args(["history"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("POLICY"))
        .stdout(predicate::str::contains("P1"))
        .stdout(predicate::str::contains("拒绝"))
        .stdout(predicate::str::contains(format!("{user}@{host}")));
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

// Filters

/// One journal with a notice in every state, on four endpoints:
/// `a`: P1 accepted, and of P5, P6 and P7 one accepted (whichever took the rate's first slot)
/// and two notSent (claimed, stopped before their turn); `b`: P2 rejected; `c`: P3 failed;
/// `d`: P4 in doubt (killed mid-request).
struct Ledger {
    env: Env,
    /// Of P5, P6 and P7: the one accepted, then the two left notSent.
    late: [String; 3],
    a: Server,
    b: Server,
    c: Server,
    d: Server,
    held: Gate,
}

impl Drop for Ledger {
    fn drop(&mut self) {
        self.held.open();
    }
}

fn ledger() -> Ledger {
    let env = Env::new();
    let a = Server::always(Reply::accept());
    let b = Server::always(Reply::Deal("0", "no"));
    let c = Server::always(Reply::Raw(400, "application/json", "{}".into()));
    let held = Gate::new();
    let d = Server::always(held.hold(Reply::accept()));
    send(&env, &a, "P1", "O1").assert().code(0);
    send(&env, &b, "P2", "O2").assert().code(1);
    send(&env, &c, "P3", "O3").assert().code(3);

    // In doubt: killed while its request is held by the server.
    let running = env.spawn([
        "--base-url",
        &d.url,
        "--policy-source",
        "HN_HT_QNW",
        "send",
        "--policy",
        "P4",
        "--order-no",
        "O4",
    ]);
    d.wait_for_hits(1);
    running.kill();

    // Not sent: one request a hundred seconds, so P6 and P7 are claimed and wait for their
    // slot when SIGTERM arrives.
    let csv = env.write("c.csv", "policyNo,orderNo\nP5,O5\nP6,O6\nP7,O7\n");
    let mut running = env.spawn([
        "--base-url",
        &a.url,
        "--policy-source",
        "HN_HT_QNW",
        "batch",
        csv.to_str().unwrap(),
        "--concurrency",
        "3",
        "--rate",
        "0.01",
    ]);
    // Three workers race for the rate's first slot: any one of the three may win it.
    running.wait_for_stdout("accepted");
    let start = std::time::Instant::now();
    while ["P5", "P6", "P7"]
        .iter()
        .any(|p| policies(&env, &["--policy", p]).is_empty())
    {
        assert!(
            start.elapsed() < common::PATIENCE,
            "P5, P6 and P7 never all claimed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    running.signal(libc::SIGTERM);
    let out = running.finish();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let first = stdout
        .lines()
        .find_map(|l| l.strip_prefix("accepted"))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("one accepted line")
        .to_string();
    let mut late = vec![first.clone()];
    late.extend(
        ["P5", "P6", "P7"]
            .iter()
            .map(|p| p.to_string())
            .filter(|p| *p != first),
    );
    Ledger {
        env,
        late: late.try_into().expect("three policies"),
        a,
        b,
        c,
        d,
        held,
    }
}

#[test]
fn each_outcome_filter_keeps_its_rows_and_drops_the_others() {
    let l = ledger();
    let env = &l.env;
    let [sent, unsent_a, unsent_b] = &l.late;
    assert_eq!(
        policies(env, &[]),
        set(&["P1", "P2", "P3", "P4", "P5", "P6", "P7"])
    );
    assert_eq!(
        policies(env, &["--outcome", "accepted"]),
        set(&["P1", sent])
    );
    assert_eq!(policies(env, &["--outcome", "rejected"]), set(&["P2"]));
    assert_eq!(policies(env, &["--outcome", "failed"]), set(&["P3"]));
    assert_eq!(policies(env, &["--outcome", "inDoubt"]), set(&["P4"]));
    assert_eq!(
        policies(env, &["--outcome", "notSent"]),
        set(&[unsent_a, unsent_b])
    );
    // Each row says what it was filtered on.
    for (state, policy) in [("inDoubt", "P4"), ("notSent", unsent_a), ("failed", "P3")] {
        let rows = history(env, &["--policy", policy]);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["state"], state, "{}", rows[0]);
    }
    // The in-doubt attempt has no answer recorded.
    let attempts = history(env, &["--attempts", "--outcome", "inDoubt"]);
    assert_eq!(attempts.len(), 1);
    assert!(attempts[0]["finishedAt"].is_null(), "{}", attempts[0]);
    env.cmd()
        .args(["history", "--outcome", "maybe"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("inDoubt"));
}

#[test]
fn policy_environment_and_limit_filters_keep_their_rows_and_drop_the_others() {
    let l = ledger();
    let env = &l.env;
    assert_eq!(policies(env, &["--policy", "P1"]), set(&["P1"]));
    assert_eq!(policies(env, &["--policy", "P9"]), set(&[]));
    // By URL, in any spelling of the same base URL.
    assert_eq!(policies(env, &["--environment", &l.b.url]), set(&["P2"]));
    assert_eq!(
        policies(env, &["--environment", &format!("{}/", l.a.url)]),
        set(&["P1", "P5", "P6", "P7"])
    );
    assert_eq!(policies(env, &["--environment", &l.d.url]), set(&["P4"]));
    // By name: the URL each name has in the config.
    let config = env.write(
        "names.toml",
        format!(
            "[environments.test]\nbase_url = \"{}\"\n[environments.prod]\nbase_url = \"{}\"\n",
            l.b.url, l.c.url
        ),
    );
    let config = config.to_str().unwrap();
    assert_eq!(
        policies(env, &["--config", config, "--environment", "test"]),
        set(&["P2"])
    );
    assert_eq!(
        policies(env, &["--config", config, "--environment", "prod"]),
        set(&["P3"])
    );
    // Without a config the names are the real platforms, which this journal never reached.
    assert_eq!(policies(env, &["--environment", "prod"]), set(&[]));
    assert_eq!(policies(env, &["--environment", "test"]), set(&[]));
    // Filters combine.
    assert_eq!(
        policies(
            env,
            &[
                "--environment",
                &l.a.url,
                "--outcome",
                "notSent",
                "--policy",
                &l.late[2]
            ]
        ),
        set(&[&l.late[2]])
    );
    assert_eq!(
        policies(env, &["--environment", &l.b.url, "--outcome", "accepted"]),
        set(&[])
    );
    let newest = history(env, &["--limit", "1"]);
    assert_eq!(newest.len(), 1);
    assert_eq!(history(env, &["--limit", "3"]).len(), 3);
}

#[test]
fn history_filters_by_channel_and_relative_time_and_limit() {
    let env = Env::new();
    let a = Server::always(Reply::accept());
    for (source, policy) in [("CH1", "P1"), ("CH2", "P2"), ("CH1", "P3")] {
        let out = env
            .cmd()
            .args(["--base-url", &a.url, "--policy-source", source])
            .args(["send", "--policy", policy, "--order-no", policy])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let policies = |args: &[&str]| -> Vec<String> {
        let out = env
            .cmd()
            .arg("history")
            .args(args)
            .arg("--json")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        json_lines(&out.stdout)
            .iter()
            .map(|r| r["policyNo"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(policies(&["--policy-source", "CH1"]), ["P3", "P1"]);
    assert_eq!(policies(&["--channel", "CH2"]), ["P2"]);
    assert_eq!(policies(&["--since", "1h"]), ["P3", "P2", "P1"]);
    assert_eq!(policies(&["--since", "today"]).len(), 3);
    assert!(policies(&["--until", "1h"]).is_empty());
    assert_eq!(policies(&["--limit", "2"]), ["P3", "P2"]);
    // Piped, everything; --limit 0 too.
    assert_eq!(policies(&[]).len(), 3);
    assert_eq!(policies(&["--limit", "0"]).len(), 3);
    let bad = env
        .cmd()
        .args(["history", "--since", "7x"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn history_filters_by_the_env_or_base_url_of_this_run_not_the_configs_default() {
    let env = Env::new();
    let a = Server::always(Reply::accept());
    let b = Server::always(Reply::accept());
    for (server, policy) in [(&a, "P1"), (&b, "P2")] {
        env.cmd()
            .args(["--base-url", &server.url, "--policy-source", "HN"])
            .args(["send", "--policy", policy, "--generate-order-no"])
            .assert()
            .code(0);
    }
    let config = env.write(
        "config.toml",
        format!(
            "env = \"test\"\n\n[environments.test]\nbase_url = \"{}\"\n",
            a.url
        ),
    );
    let count = |args: &[&str], vars: &[(&str, &str)]| {
        let out = env
            .cmd()
            .arg("--config")
            .arg(&config)
            .args(args)
            .envs(vars.iter().copied())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
        json_lines(&out.stdout).len()
    };
    // The config's default env does not filter: history reads one journal for all.
    assert_eq!(count(&["history", "--json"], &[]), 2);
    assert_eq!(count(&["history", "--json", "--base-url", &a.url], &[]), 1);
    assert_eq!(count(&["--base-url", &b.url, "history", "--json"], &[]), 1);
    assert_eq!(count(&["history", "--json", "--env", "test"], &[]), 1);
    assert_eq!(count(&["history", "--json", "--env", "prod"], &[]), 0);
    assert_eq!(
        count(&["history", "--json"], &[("AVATAR_BASE_URL", &b.url)]),
        1
    );
    assert_eq!(count(&["history", "--json"], &[("AVATAR_ENV", "test")]), 1);
    // The old spelling still works, for scripts.
    assert_eq!(
        count(&["history", "--json", "--environment", &b.url], &[]),
        1
    );
}

/// China Standard Time, the one offset history shows and reads bare dates in.
fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

/// A machine zone, as a POSIX TZ string (no tz database needed), whose calendar date differs
/// from China Standard Time's right now: a history that used the machine's zone would show
/// other offsets and other days.
fn far_zone() -> (&'static str, FixedOffset) {
    use chrono::Timelike;
    // UTC-12 is a day behind until 20:00 in Beijing; UTC+14 a day ahead from 18:00.
    if Utc::now().with_timezone(&cst()).hour() < 19 {
        ("<-12>12", FixedOffset::west_opt(12 * 3600).unwrap())
    } else {
        ("<+14>-14", FixedOffset::east_opt(14 * 3600).unwrap())
    }
}

#[test]
fn since_and_until_read_dates_in_china_standard_time_and_rfc3339_and_times_show_plus_8() {
    let env = Env::new();
    let (tz, offset) = far_zone();
    let server = Server::always(Reply::accept());
    send(&env, &server, "P1", "O1")
        .env("TZ", tz)
        .assert()
        .code(0);
    // A whole second starts between the two sends, so the "HH:mm:ss" form can tell them apart.
    let now = Utc::now();
    let boundary = DateTime::<Utc>::from_timestamp(now.timestamp() + 1, 0).unwrap();
    std::thread::sleep((boundary - now).to_std().unwrap() + Duration::from_millis(30));
    send(&env, &server, "P2", "O2")
        .env("TZ", tz)
        .assert()
        .code(0);

    let hist = |args: &[&str]| {
        let out = env
            .cmd()
            .env("TZ", tz)
            .arg("history")
            .arg("--json")
            .args(args)
            .assert()
            .code(0)
            .get_output()
            .clone();
        json_lines(&out.stdout)
            .iter()
            .map(|r| r["policyNo"].as_str().unwrap().to_string())
            .collect::<BTreeSet<_>>()
    };
    // A bare date-time is China Standard Time, not the machine's zone.
    let beijing = boundary.with_timezone(&cst());
    let beijing_text = beijing.format("%Y-%m-%d %H:%M:%S").to_string();
    assert_eq!(
        hist(&["--since", &beijing_text]),
        set(&["P2"]),
        "{beijing_text}"
    );
    assert_eq!(
        hist(&["--until", &beijing_text]),
        set(&["P1"]),
        "{beijing_text}"
    );
    // RFC 3339 keeps the offset it names, whatever it is.
    for rfc in [
        boundary.to_rfc3339(),
        beijing.to_rfc3339(),
        boundary.with_timezone(&offset).to_rfc3339(),
        boundary
            .with_timezone(&FixedOffset::east_opt(5 * 3600 + 45 * 60).unwrap())
            .to_rfc3339(),
    ] {
        assert_eq!(hist(&["--since", &rfc]), set(&["P2"]), "{rfc}");
        assert_eq!(hist(&["--until", &rfc]), set(&["P1"]), "{rfc}");
    }

    // Times are shown at +08:00, and the bare dates are days in China Standard Time.
    let out = env
        .cmd()
        .env("TZ", tz)
        .args(["history", "--json", "--attempts"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    for row in json_lines(&out.stdout) {
        for field in ["startedAt", "finishedAt", "firstSentAt", "lastSentAt"] {
            let when = row[field].as_str().unwrap();
            assert!(when.ends_with("+08:00"), "{field} {when} is not at +08:00");
        }
    }
    let out = env
        .cmd()
        .env("TZ", tz)
        .args(["history", "--json"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let rows = json_lines(&out.stdout);
    let mut days = Vec::new();
    for row in &rows {
        for field in ["createdAt", "firstSentAt", "lastSentAt"] {
            let when = row[field].as_str().unwrap();
            assert!(when.ends_with("+08:00"), "{field} {when} is not at +08:00");
        }
        let at = DateTime::parse_from_rfc3339(row["lastSentAt"].as_str().unwrap()).unwrap();
        assert_ne!(
            at.date_naive(),
            at.with_timezone(&offset).date_naive(),
            "the machine's zone must be on another day for this test to prove anything"
        );
        days.push((
            row["policyNo"].as_str().unwrap().to_string(),
            at.date_naive(),
        ));
    }
    let day = days[0].1;
    let on_or_after = |d: chrono::NaiveDate| {
        days.iter()
            .filter(|(_, day)| *day >= d)
            .map(|(p, _)| p.clone())
            .collect::<BTreeSet<_>>()
    };
    let on_or_before = |d: chrono::NaiveDate| {
        days.iter()
            .filter(|(_, day)| *day <= d)
            .map(|(p, _)| p.clone())
            .collect::<BTreeSet<_>>()
    };
    let fmt = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let next = day + Days::days(1);
    let before = day - Days::days(1);
    assert_eq!(hist(&["--since", &fmt(day)]), on_or_after(day));
    assert_eq!(
        hist(&["--until", &fmt(day)]),
        on_or_before(day),
        "--until includes the day"
    );
    assert_eq!(hist(&["--since", &fmt(next)]), on_or_after(next));
    assert_eq!(hist(&["--until", &fmt(before)]), on_or_before(before));
    assert!(!on_or_before(day).is_empty());
    // `today` starts at midnight in China Standard Time: both were sent on its today.
    assert_eq!(hist(&["--since", "today"]), set(&["P1", "P2"]));
    // The table shows the same times.
    let table = env
        .cmd()
        .env("TZ", tz)
        .arg("history")
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert!(text(&table).contains("+08:00"), "{}", text(&table));
    assert!(
        !text(&table).contains(&offset.to_string()),
        "{}",
        text(&table)
    );
    env.cmd()
        .args(["history", "--since", "last week"])
        .assert()
        .code(2);
}

// One notice whole: `history show`

/// An acceptance echoing the request, with a description that is easy to find.
fn accept_echo(body: &[u8]) -> Vec<u8> {
    let request: Value = serde_json::from_slice(body).expect("a JSON request");
    common::deal(&request, "1", "accepted by the raw server")
        .to_string()
        .into_bytes()
}

#[test]
fn history_show_prints_the_request_exactly_as_the_server_received_it_and_the_answer() {
    let env = Env::new();
    let server = RawServer::with_answer(accept_echo);
    let out = demo_at(&env, &server.url)
        .args([
            "send",
            "--policy",
            "P1",
            "--order-no",
            "O1",
            "--amount",
            "10.2",
        ])
        .args(["--installment", "1:10.2:2024-05-10 11:59:59"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let bodies = server.bodies();
    assert_eq!(bodies.len(), 1);
    let received = String::from_utf8(bodies[0].clone()).unwrap();

    let shown = show_json(&env, &["P1"]);
    assert_eq!(shown["state"], "accepted");
    assert_eq!(shown["orderNo"], "O1");
    assert_eq!(shown["policySource"], DEMO_CHANNEL);
    assert!(shown["osUser"].is_string() && shown["host"].is_string());
    assert_eq!(shown["content"]["amount"], "10.20");
    let attempt = &shown["attemptList"][0];
    // Byte for byte what arrived, and what went back.
    assert_eq!(attempt["request"].as_str().unwrap(), received);
    let answer: Value = serde_json::from_str(attempt["answer"].as_str().unwrap()).unwrap();
    assert_eq!(
        answer["secondRefundResp"]["dealDesc"],
        "accepted by the raw server"
    );
    assert_eq!(attempt["httpStatus"], 200);
    assert!(attempt["uuid"].as_str().unwrap().len() == 36);
    assert!(received.contains(attempt["uuid"].as_str().unwrap()));
    assert!(received.contains(attempt["reqTime"].as_str().unwrap()));
    assert!(attempt["elapsedMs"].is_u64());

    // The same for people.
    let human = env.cmd().args(["history", "show", "P1"]).output().unwrap();
    assert_eq!(human.status.code(), Some(0), "{}", text(&human.stderr));
    let page = text(&human.stdout);
    assert!(page.contains(&received), "{page}");
    assert!(page.contains("accepted by the raw server"), "{page}");
    assert!(page.contains("orderNo   O1"), "{page}");
}

#[test]
fn an_answer_over_64_kib_is_kept_cut_and_marked() {
    let env = Env::new();
    let server = RawServer::with_answer(|_| vec![b'x'; 100 * 1024]);
    let out = demo_at(&env, &server.url)
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let shown = show_json(&env, &["P1"]);
    let attempt = &shown["attemptList"][0];
    assert_eq!(attempt["answer"].as_str().unwrap().len(), 64 * 1024);
    assert_eq!(attempt["answerCut"], true);
    let human = env.cmd().args(["history", "show", "P1"]).output().unwrap();
    assert!(text(&human.stdout).contains("(cut at 64 KiB)"));
}

#[test]
fn history_show_asks_which_when_a_policy_is_in_the_journal_twice() {
    let env = Env::new();
    let a = Server::always(Reply::accept());
    let b = Server::always(Reply::Deal("0", "no"));
    for (server, source) in [(&a, "CH1"), (&b, "CH2")] {
        env.cmd()
            .args(["--base-url", &server.url, "--policy-source", source])
            .args(["send", "--policy", "P1", "--order-no", "O1"])
            .output()
            .unwrap();
    }
    let both = env.cmd().args(["history", "show", "P1"]).output().unwrap();
    let err = text(&both.stderr);
    assert_eq!(both.status.code(), Some(2), "{err}");
    assert!(err.contains("2 times"), "{err}");
    assert!(err.contains(&a.url) && err.contains(&b.url), "{err}");
    assert!(err.contains("CH1") && err.contains("CH2"), "{err}");
    assert_eq!(
        show_json(&env, &["P1", "--policy-source", "CH2"])["state"],
        "rejected"
    );
    assert_eq!(
        show_json(&env, &["P1", "--base-url", &a.url])["state"],
        "accepted"
    );
    let none = env.cmd().args(["history", "show", "P9"]).output().unwrap();
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none.stderr).contains("no notice for policy P9"));
}

// Exports that `batch` reads back

/// A batch where P2 and P4 fail (HTTP 503, no retries), one notice at a time.
fn batch_with_failures(env: &Env) -> (Server, std::path::PathBuf) {
    let fail = || Reply::Raw(503, "text/html", "<h1>busy</h1>".into());
    let server = Server::start(
        vec![
            Reply::accept(),
            fail(),
            Reply::accept(),
            fail(),
            Reply::accept(),
        ],
        Reply::accept(),
    );
    let csv = env.write(
        "night.csv",
        "policyNo,orderNo,amount,refund_date,status,installments\n\
         P1,O1,1.00,2024-05-10 00:00:00,1,\n\
         P2,O2,2.50,2024-05-10 00:00:00,1,1:1.50:2024-05-10 00:00:00;2:1.00:2024-05-11 00:00:00\n\
         P3,O3,3.00,2024-05-10 00:00:00,1,\n\
         P4,O4,4.00,,2,\n\
         P5,O5,5.00,2024-05-10 00:00:00,1,\n",
    );
    let out = demo_at(env, &server.url)
        .args(["batch", "--concurrency", "1"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    (server, csv)
}

#[test]
fn failed_notices_exported_as_csv_are_sent_again_exactly() {
    let env = Env::new();
    let (first, _) = batch_with_failures(&env);
    let sent_first: Vec<Value> = first
        .seen()
        .into_iter()
        .filter(|s| ["P2", "P4"].contains(&s.policy_no()))
        .map(|s| s.body["secondRefundReq"].clone())
        .collect();
    // The default view names why they failed.
    let table = env.cmd().arg("history").output().unwrap();
    let rows = text(&table.stdout);
    let p2 = rows.lines().find(|l| l.contains(" P2 ")).expect("P2's row");
    assert!(p2.contains("HTTP 503"), "{rows}");
    assert!(rows.lines().next().unwrap().contains("CHANNEL"), "{rows}");

    let export = env
        .cmd()
        .args(["history", "--outcome", "failed", "--output", "csv"])
        .output()
        .unwrap();
    assert_eq!(export.status.code(), Some(0), "{}", text(&export.stderr));
    let csv = env.write("failed.csv", &export.stdout);
    assert_eq!(
        text(&export.stdout).lines().count(),
        3,
        "{}",
        text(&export.stdout)
    );

    // Sent again to the platform it was exported from (which now accepts).
    let out = demo_at(&env, &first.url)
        .arg("batch")
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut resent: Vec<(String, String, Value)> = first
        .seen()
        .into_iter()
        .skip(5)
        .map(|s| {
            (
                s.policy_no().to_string(),
                s.head("orderNo").to_string(),
                s.body["secondRefundReq"].clone(),
            )
        })
        .collect();
    resent.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(resent.len(), 2);
    assert_eq!(resent[0].0, "P2");
    assert_eq!(resent[0].1, "O2");
    assert_eq!(resent[1].0, "P4");
    assert_eq!(resent[1].1, "O4");
    // The same content as the night's attempt, field for field.
    let mut first_sorted = sent_first.clone();
    first_sorted.sort_by_key(|v| v["policyNo"].as_str().unwrap_or("").to_string());
    assert_eq!(resent[0].2, first_sorted[0]);
    assert_eq!(resent[1].2, first_sorted[1]);
}

/// An export carries its platform and channel, and `batch` refuses it anywhere else: a test
/// platform's failures never reach production through a re-send.
#[test]
fn an_export_names_its_platform_and_batch_refuses_it_on_another() {
    let env = Env::new();
    let (first, _) = batch_with_failures(&env);
    for (format, name) in [("csv", "failed.csv"), ("jsonl", "failed.jsonl")] {
        let export = env
            .cmd()
            .args(["history", "--outcome", "failed", "--output", format])
            .output()
            .unwrap();
        assert_eq!(export.status.code(), Some(0), "{}", text(&export.stderr));
        let exported = text(&export.stdout);
        assert!(exported.contains(&first.url), "{exported}");
        assert!(exported.contains(DEMO_CHANNEL), "{exported}");
        let file = env.write(name, &export.stdout);
        // Another platform: nothing sent, the count and both platforms named.
        let other = Server::always(Reply::accept()).expect_hits(0);
        let out = demo_at(&env, &other.url)
            .arg("batch")
            .arg(&file)
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        let other_host = other.url.trim_start_matches("http://");
        assert!(
            stderr.contains(&format!(
                "endpoint: the row is for {}, but this run sends to {other_host} (from --base-url)",
                first.url
            )) && stderr.contains("on 2 rows"),
            "{stderr}"
        );
        // Another channel on the same platform: refused too.
        let out = env
            .cmd()
            .args([
                "--base-url",
                &first.url,
                "--policy-source",
                "OTHER",
                "batch",
            ])
            .arg(&file)
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "the row is for channel {DEMO_CHANNEL}, but this run's channel is OTHER"
            )),
            "{stderr}"
        );
    }
    // The JSON Lines export is what batch reads: sent back to its own platform, both go.
    let file = env.path("failed.jsonl");
    let out = demo_at(&env, &first.url)
        .arg("batch")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(first.hits(), 7);
}

#[test]
fn csv_output_is_for_history_only() {
    let env = Env::new();
    let out = env
        .cmd()
        .args([
            "--base-url",
            "http://127.0.0.1:9",
            "--policy-source",
            DEMO_CHANNEL,
        ])
        .args(["send", "--policy", "P1", "--order-no", "O1", "-o", "csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--output csv is for `history`"));
}

// The table, in a pipe and at a terminal

/// The journal on a terminal: stdout is a pseudo-terminal, stderr a pipe.
fn history_on_terminal(env: &Env, args: &[&str]) -> (String, String) {
    let (terminal, slave) = Terminal::open();
    let mut cmd = env.std_cmd();
    cmd.arg("history")
        .args(args)
        .stdin(std::process::Stdio::null());
    let out = start(cmd, slave, ONLY_STDOUT).finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    (terminal.final_screen(), text(&out.stderr))
}

#[test]
fn on_a_terminal_history_shows_the_newest_50_and_says_how_to_see_more() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let mut csv = String::from("policyNo,orderNo\n");
    for i in 0..60 {
        csv.push_str(&format!("P{i:03},O{i:03}\n"));
    }
    let file = env.write("sixty.csv", csv);
    let out = demo_at(&env, &server.url)
        .arg("batch")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let (screen, err) = history_on_terminal(&env, &[]);
    let rows = screen.lines().filter(|l| l.contains(" O0")).count();
    assert_eq!(rows, 50, "{screen}");
    assert!(
        err.contains("showing the newest 50 rows; --limit 0 shows all"),
        "{err}"
    );
    let (screen, err) = history_on_terminal(&env, &["--limit", "0"]);
    assert_eq!(screen.lines().filter(|l| l.contains(" O0")).count(), 60);
    assert!(!err.contains("showing the newest"), "{err}");
    // Piped: everything, nothing said.
    let piped = env.cmd().arg("history").output().unwrap();
    assert_eq!(text(&piped.stdout).lines().count(), 61);
    assert!(!text(&piped.stderr).contains("showing the newest"));
}

/// Notices sent before the ones with varied answers: with them, more than a screenful.
const PLAIN: usize = 52;

/// The answers of the last notices sent (the newest, shown first), in sending order.
const VARIED: [(&str, &str, Reply); 6] = [
    (
        "P2024000001",
        "QS221219154313290T12K25",
        Reply::Deal("1", "成功"),
    ),
    (
        "P2024000002",
        "O2",
        Reply::Deal("0", "保单号不存在，请核对保单号后重新提交退保通知"),
    ),
    (
        "P2024000003",
        "QS221219154313290T12K27",
        Reply::Deal("1", "退费成功，款项将在三个工作日内原路退回"),
    ),
    (
        "REJ0000000000000004",
        "O4",
        Reply::Deal(
            "0",
            "rejected: the refund date is earlier than the policy's effective date",
        ),
    ),
    (
        "P2024000005",
        "QS221219154313290T12K29",
        Reply::Deal("1", "成功"),
    ),
    ("P6", "O6", Reply::Deal("1", "受理成功")),
];

/// A journal of `PLAIN` accepted notices, then the `VARIED` ones, one at a time so that each
/// gets its answer.
fn journal(env: &Env) {
    let mut csv = String::from("policyNo,orderNo\n");
    for i in 0..PLAIN {
        csv.push_str(&format!("A{i:04},B{i:04}\n"));
    }
    send_rows(env, &csv, Reply::accept(), Vec::new());
    let mut csv = String::from("policyNo,orderNo\n");
    for (policy, order, _) in VARIED {
        csv.push_str(&format!("{policy},{order}\n"));
    }
    let script = VARIED.iter().map(|(_, _, reply)| reply.clone()).collect();
    send_rows(env, &csv, Reply::accept(), script);
}

fn send_rows(env: &Env, csv: &str, fallback: Reply, script: Vec<Reply>) {
    let server = Server::start(script, fallback);
    let file = env.write("notices.csv", csv);
    let out = env
        .cmd()
        .args(["--base-url", &server.url, "--policy-source", CHANNEL])
        .args(["batch", "--concurrency", "1"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        text(&out.stderr)
    );
}

/// What `history ARGS` wrote to a real terminal `cols` wide (stdout and stderr both on it),
/// as the lines written, each checked against the screen: none wider than the terminal, none
/// wrapped, no character broken.
fn on_terminal(env: &Env, cols: u16, args: &[&str]) -> Vec<String> {
    let (terminal, slave) = sized_terminal(cols);
    let mut cmd = env.std_cmd();
    cmd.arg("history").args(args);
    let out = start(cmd, slave, EVERYWHERE).finish();
    let raw = terminal.final_screen();
    assert_eq!(out.status.code(), Some(0), "{raw}");
    assert!(!raw.contains('\u{fffd}'), "a broken character: {raw}");
    assert!(
        !raw.contains('\x1b'),
        "no terminal codes in the table: {raw:?}"
    );
    let written: Vec<String> = raw
        .split('\n')
        .map(|l| l.trim_end_matches('\r').to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let cols = usize::from(cols);
    for line in &written {
        assert!(
            line.width() <= cols,
            "{} cells on a terminal of {cols}: {line:?}",
            line.width()
        );
    }
    let shown: Vec<String> = written.iter().map(|l| l.trim_end().to_string()).collect();
    assert_eq!(
        screen_lines(&raw, cols),
        shown,
        "the screen shows each line written, unwrapped"
    );
    written
}

/// The line as terminal cells: a Chinese character, then a placeholder for its second cell.
fn cells(line: &str) -> Vec<char> {
    let mut cells = Vec::new();
    for c in line.chars() {
        cells.push(c);
        if c.width() == Some(2) {
            cells.push('\0');
        }
    }
    cells
}

/// The header's titles with the cell each starts at.
fn titles(header: &str) -> Vec<(String, usize)> {
    let cells = cells(header);
    let mut found = Vec::new();
    let mut at = 0;
    while at < cells.len() {
        if cells[at] == ' ' {
            at += 1;
            continue;
        }
        let start = at;
        // A title may hold one space (LAST SENT); two end it.
        while at < cells.len() && !(cells[at] == ' ' && cells.get(at + 1).is_none_or(|c| *c == ' '))
        {
            at += 1;
        }
        found.push((cells[start..at].iter().collect(), start));
    }
    found
}

/// Every row's cells start where their titles do: a cell is never empty (`-` stands for no
/// value), so the cell at a title's place is not blank and the two before it are.
fn assert_aligned(lines: &[String]) {
    let columns = titles(&lines[0]);
    for line in &lines[1..] {
        let row = cells(line);
        for (title, at) in &columns {
            let starts = row.get(*at).is_some_and(|c| *c != ' ' && *c != '\0')
                && (*at == 0 || row[at - 2..*at] == [' ', ' ']);
            assert!(
                starts,
                "{title} does not start at cell {at} of {line:?}\n{lines:#?}"
            );
        }
    }
}

fn row_of<'a>(lines: &'a [String], policy: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.split_whitespace().any(|w| w == policy))
        .unwrap_or_else(|| panic!("no row for {policy}: {lines:#?}"))
}

#[test]
fn at_80_columns_the_table_keeps_what_matters_and_cuts_what_does_not_fit() {
    let env = Env::new();
    journal(&env);
    let lines = on_terminal(&env, 80, &[]);
    // The header, a screenful of rows, and the note saying there are more.
    assert_eq!(lines.len(), 1 + 50 + 1, "{lines:#?}");
    let header: Vec<String> = titles(&lines[0]).into_iter().map(|(t, _)| t).collect();
    assert_eq!(header, ["LAST SENT", "POLICY", "STATE", "DESC/ERROR"]);
    assert_aligned(&lines[..51]);
    assert!(lines[51].starts_with("showing the newest 50 rows"));
    // The newest are on the screen.
    for (policy, _, _) in VARIED {
        row_of(&lines, policy);
    }
    assert!(row_of(&lines, "P6").ends_with("受理成功"), "{lines:#?}");
    // Long answers are cut at the edge, each ending in the ellipsis; short ones stay whole.
    for policy in ["P2024000002", "P2024000003", "REJ0000000000000004"] {
        let row = row_of(&lines, policy);
        assert!(row.ends_with('…'), "{row:?}");
        assert!(row.width() >= 78, "the cut uses the room there is: {row:?}");
    }
    assert!(row_of(&lines, "P2024000002").contains("保单号不存在"));
    assert!(row_of(&lines, "P2024000001").ends_with("成功"));
}

#[test]
fn at_120_columns_more_columns_fit_and_every_line_still_does() {
    let env = Env::new();
    journal(&env);
    let lines = on_terminal(&env, 120, &[]);
    assert_eq!(lines.len(), 1 + 50 + 1, "{lines:#?}");
    let header: Vec<String> = titles(&lines[0]).into_iter().map(|(t, _)| t).collect();
    assert_eq!(
        header,
        ["LAST SENT", "POLICY", "ORDER", "STATE", "DESC/ERROR"]
    );
    assert_aligned(&lines[..51]);
    // What was cut at 80 columns is whole here; what is longer still is cut at the edge.
    let row = row_of(&lines, "P2024000003");
    assert!(row.contains("QS221219154313290T12K27"), "{row:?}");
    assert!(
        row.ends_with("退费成功，款项将在三个工作日内原路退回"),
        "{row:?}"
    );
    let row = row_of(&lines, "REJ0000000000000004");
    assert!(row.ends_with('…') && row.width() >= 118, "{row:?}");
    // A short answer is not padded out to the edge.
    assert!(row_of(&lines, "P6").ends_with("受理成功"));
    // One row per attempt fits too.
    let attempts = on_terminal(&env, 120, &["--attempts", "--limit", "10"]);
    assert_eq!(attempts.len(), 11, "{attempts:#?}");
    assert_aligned(&attempts);
    let attempts = on_terminal(&env, 80, &["--attempts", "--limit", "10"]);
    assert_aligned(&attempts);
}

#[test]
fn wide_shows_every_column_aligned_by_display_width() {
    let env = Env::new();
    journal(&env);
    let (terminal, slave) = sized_terminal(80);
    let mut cmd = env.std_cmd();
    cmd.args(["history", "--wide", "--limit", "10"]);
    let out = start(cmd, slave, EVERYWHERE).finish();
    assert_eq!(out.status.code(), Some(0));
    let raw = terminal.final_screen();
    let lines: Vec<String> = raw
        .split('\n')
        .map(|l| l.trim_end_matches('\r').to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let header: Vec<String> = titles(&lines[0]).into_iter().map(|(t, _)| t).collect();
    assert_eq!(
        header,
        [
            "LAST SENT",
            "ENDPOINT",
            "CHANNEL",
            "POLICY",
            "ORDER",
            "STATE",
            "CODE",
            "DESC/ERROR",
            "ATTEMPTS",
            "BY"
        ]
    );
    assert_aligned(&lines);
    assert!(!raw.contains('…'), "nothing is cut: {raw}");
}

/// The text table as `history` has always written it to a pipe, built from `--json`: each
/// column padded to its longest cell in characters, two spaces apart, no trailing spaces.
fn plain_table(rows: &[Value]) -> String {
    const COLUMNS: [(&str, &str); 10] = [
        ("LAST SENT", "lastSentAt"),
        ("ENDPOINT", "endpoint"),
        ("CHANNEL", "policySource"),
        ("POLICY", "policyNo"),
        ("ORDER", "orderNo"),
        ("STATE", "state"),
        ("CODE", "dealCode"),
        ("DESC/ERROR", "dealDesc"),
        ("ATTEMPTS", "attempts"),
        ("BY", "osUser"),
    ];
    let cell = |row: &Value, key: &str| match &row[key] {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let table: Vec<Vec<String>> = std::iter::once(COLUMNS.map(|(t, _)| t.to_string()).to_vec())
        .chain(rows.iter().map(|row| {
            COLUMNS
                .iter()
                .map(|(_, key)| match *key {
                    "osUser" => format!("{}@{}", cell(row, "osUser"), cell(row, "host")),
                    "dealDesc" if row[*key].is_null() => cell(row, "error"),
                    key => cell(row, key),
                })
                .collect()
        }))
        .collect();
    let widths: Vec<usize> = (0..COLUMNS.len())
        .map(|i| table.iter().map(|r| r[i].chars().count()).max().unwrap())
        .collect();
    table
        .iter()
        .map(|r| {
            let padded: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
                .collect();
            format!("{}\n", padded.join("  ").trim_end())
        })
        .collect()
}

#[test]
fn piped_output_is_the_plain_table_whatever_the_width() {
    let env = Env::new();
    journal(&env);
    let json = env.cmd().args(["history", "--json"]).output().unwrap();
    let rows = json_lines(&json.stdout);
    assert_eq!(rows.len(), PLAIN + VARIED.len());
    let expected = plain_table(&rows);
    for columns in [None, Some("40"), Some("200")] {
        let mut cmd = env.cmd();
        cmd.arg("history");
        if let Some(columns) = columns {
            cmd.env("COLUMNS", columns);
        }
        let out = cmd.output().unwrap();
        assert_eq!(text(&out.stdout), expected, "COLUMNS={columns:?}");
        assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    }
    // --wide changes nothing in a pipe either: every column is there already.
    let wide = env.cmd().args(["history", "--wide"]).output().unwrap();
    assert_eq!(text(&wide.stdout), expected);
}

#[test]
fn avatar_force_tty_makes_history_a_terminal_table_like_everything_else() {
    let env = Env::new();
    journal(&env);
    for (columns, width) in [(None, 80), (Some("120"), 120)] {
        let mut cmd = env.cmd();
        cmd.env("AVATAR_FORCE_TTY", "1").arg("history");
        if let Some(columns) = columns {
            cmd.env("COLUMNS", columns);
        }
        let out = cmd.output().unwrap();
        let stdout = text(&out.stdout);
        // A screenful, as on a real terminal, fitted to COLUMNS (80 when it is not set).
        assert_eq!(stdout.lines().count(), 51, "{stdout}");
        assert!(
            stdout.lines().all(|l| l.width() <= width)
                && stdout.lines().any(|l| l.width() > width - 10),
            "{width}:\n{stdout}"
        );
        assert!(text(&out.stderr).starts_with("showing the newest 50 rows"));
    }
    let piped = env.cmd().arg("history").output().unwrap();
    assert_eq!(
        text(&piped.stdout).lines().count(),
        1 + PLAIN + VARIED.len()
    );
}

/// The table, whole, as committed under tests/snapshots/: in a pipe, notice by notice and
/// attempt by attempt, and on terminals 80 and 120 columns wide. The journal is a committed
/// one with a notice in every state (tests/data/journal-v2.sqlite3), so that its times, its
/// endpoint and who sent each notice are the same on every machine.
#[test]
fn the_table_is_as_committed_in_a_pipe_and_at_80_and_120_columns() {
    let env = Env::new();
    std::fs::copy(data("journal-v2.sqlite3"), env.journal()).unwrap();
    let piped = |args: &[&str]| {
        let out = env.cmd().arg("history").args(args).assert().code(0);
        text(&out.get_output().stdout)
    };
    insta::assert_snapshot!("table_piped", piped(&[]));
    insta::assert_snapshot!("table_of_attempts_piped", piped(&["--attempts"]));
    for cols in [80, 120] {
        let lines = on_terminal(&env, cols, &[]);
        insta::assert_snapshot!(format!("table_at_{cols}_columns"), lines.join("\n"));
    }
}

// Runs: `history runs`, `--run`, and what each run recorded

/// A run's `--json` output: its summary's run id, and its exit code.
fn run_id(out: &std::process::Output) -> String {
    summary_line(&out.stdout)["runId"]
        .as_str()
        .unwrap_or_else(|| panic!("no run id: {}", text(&out.stdout)))
        .to_string()
}

/// The rows of `history runs --json` with `args`.
fn runs(env: &Env, args: &[&str]) -> Vec<Value> {
    history(env, &[&["runs"], args].concat())
}

/// Three runs: `accepting` takes a batch of P1 and P2 (exit 0), then the same batch again
/// skips both (exit 0), then `rejecting` rejects a `send` of P9 (exit 1). Their run ids, in
/// that order, and the batch's file.
fn three_runs(env: &Env, accepting: &Server, rejecting: &Server) -> ([String; 3], PathBuf) {
    let csv = env.write("two.csv", "policyNo,orderNo\nP1,O1\nP2,O2\n");
    let mut ids = Vec::new();
    for expected in [0, 0] {
        let out = demo_at(env, &accepting.url)
            .args(["batch", "--json"])
            .arg(&csv)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(expected), "{}", text(&out.stderr));
        ids.push(run_id(&out));
    }
    let out = demo_at(env, &rejecting.url)
        .args(["send", "--policy", "P9", "--order-no", "O9", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    ids.push(run_id(&out));
    (ids.try_into().unwrap(), csv)
}

#[test]
fn history_runs_lists_each_run_newest_first_with_its_counts_and_exit_code() {
    let env = Env::new();
    let accepting = Server::always(Reply::accept()).expect_hits(2);
    let rejecting = Server::always(Reply::Deal("0", "no")).expect_hits(1);
    let ([batch, again, send], csv) = three_runs(&env, &accepting, &rejecting);

    let rows = runs(&env, &[]);
    let ids: Vec<&str> = rows.iter().map(|r| r["runId"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [send.as_str(), again.as_str(), batch.as_str()],
        "{rows:#?}"
    );
    let (user, host) = (&rows[0]["osUser"], &rows[0]["host"]);
    assert!(!user.as_str().unwrap().is_empty() && !host.as_str().unwrap().is_empty());
    let counts = |accepted: u64, rejected: u64, skipped: u64| {
        serde_json::json!({"accepted": accepted, "rejected": rejected, "failed": 0,
            "inDoubt": 0, "skipped": skipped, "notSent": 0, "rejectedEarlier": 0})
    };
    let absolute = csv.canonicalize().unwrap();
    let file = Some(absolute.to_str().unwrap());
    let batch_line = format!(
        "--policy-source DEMO --retries 0 batch --json {}",
        csv.display()
    );
    for (row, url, counts, code, input, command) in [
        (
            &rows[2],
            &accepting.url,
            counts(2, 0, 0),
            0,
            file,
            batch_line.clone(),
        ),
        (
            &rows[1],
            &accepting.url,
            counts(0, 0, 2),
            0,
            file,
            batch_line.clone(),
        ),
        (
            &rows[0],
            &rejecting.url,
            counts(0, 1, 0),
            1,
            None,
            "--policy-source DEMO --retries 0 send --policy P9 --order-no O9 --json".into(),
        ),
    ] {
        assert_eq!(row["state"], "finished", "{row}");
        assert_eq!(row["counts"], counts, "{row}");
        assert_eq!(row["exitCode"], code, "{row}");
        assert_eq!(row["interrupted"], false, "{row}");
        assert_eq!(row["endpoint"], url.as_str(), "{row}");
        assert_eq!(row["policySource"], DEMO_CHANNEL, "{row}");
        assert_eq!(row["env"], Value::Null, "{row}");
        assert_eq!(row["input"].as_str(), input, "{row}");
        assert_eq!((&row["osUser"], &row["host"]), (user, host), "{row}");
        let recorded = row["command"].as_str().unwrap();
        assert!(
            recorded.starts_with(&format!("avatar-cli --base-url {url} "))
                && recorded.ends_with(&command),
            "{recorded}"
        );
        let (started, ended) = (&row["startedAt"], &row["endedAt"]);
        for when in [started, ended] {
            DateTime::parse_from_rfc3339(when.as_str().unwrap()).unwrap();
        }
        assert!(started.as_str() <= ended.as_str(), "{row}");
    }

    // The table names each run with its counts and exit code, newest first.
    let table = env.cmd().args(["history", "runs"]).output().unwrap();
    let table = text(&table.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert!(
        lines[0].starts_with("STARTED") && lines[0].contains("EXIT"),
        "{table}"
    );
    for (line, id, counts, code) in [
        (lines[1], &send, "1 rejected", "1"),
        (lines[2], &again, "2 skipped", "0"),
        (lines[3], &batch, "2 accepted", "0"),
    ] {
        let words: Vec<&str> = line.split("  ").map(str::trim).collect();
        assert!(words.contains(&id.as_str()), "{line}");
        assert!(words.contains(&counts), "{line}");
        assert!(words.contains(&code), "{line}");
    }

    // Filters: the platform, a policy the run sent, the run itself, a number of them.
    let only = |args: &[&str]| -> Vec<String> {
        runs(&env, args)
            .iter()
            .map(|r| r["runId"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        only(&["--base-url", &accepting.url]),
        [again.as_str(), batch.as_str()]
    );
    assert_eq!(only(&["--policy", "P9"]), [send.as_str()]);
    assert_eq!(only(&["--policy", "P1"]), [batch.as_str()]);
    assert_eq!(only(&["--run", &batch]), [batch.as_str()]);
    assert_eq!(only(&["--run", "last"]), [send.as_str()]);
    assert_eq!(only(&["--limit", "1"]), [send.as_str()]);
}

#[test]
fn run_filters_notices_and_attempts_to_what_that_run_sent() {
    let env = Env::new();
    let accepting = Server::always(Reply::accept());
    let rejecting = Server::always(Reply::Deal("0", "no"));
    let ([batch, again, send], _) = three_runs(&env, &accepting, &rejecting);

    assert_eq!(policies(&env, &["--run", "last"]), set(&["P9"]));
    assert_eq!(policies(&env, &["--run", &send]), set(&["P9"]));
    assert_eq!(policies(&env, &["--run", &batch]), set(&["P1", "P2"]));
    // The second batch skipped both: it sent nothing.
    assert!(policies(&env, &["--run", &again]).is_empty());
    // Beside the other filters.
    assert_eq!(
        policies(&env, &["--run", &batch, "--policy", "P2"]),
        set(&["P2"])
    );
    assert!(policies(&env, &["--run", &batch, "--outcome", "rejected"]).is_empty());
    // `last` is the newest run to the platform named.
    assert_eq!(
        policies(&env, &["--run", "last", "--base-url", &accepting.url]),
        BTreeSet::new(),
        "the newest run there is the one that skipped"
    );
    // Each attempt names its run.
    let attempts = history(&env, &["--attempts", "--run", &batch]);
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    assert!(attempts.iter().all(|a| a["runId"] == batch.as_str()));
    let all = history(&env, &["--attempts"]);
    assert_eq!(all.len(), 3, "{all:#?}");
    let p9 = all.iter().find(|a| a["policyNo"] == "P9").unwrap();
    assert_eq!(p9["runId"], send.as_str());
    // `history show` says which run sent each attempt.
    let out = env.cmd().args(["history", "show", "P9"]).output().unwrap();
    assert!(
        text(&out.stdout).contains(&format!("(run {send})")),
        "{out:?}"
    );

    // A run the journal does not hold is named, with what to type instead.
    let out = env
        .cmd()
        .args(["history", "--run", "nosuchrun123"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(
        text(&out.stderr).contains("--run 'nosuchrun123': no such run in the journal")
            && text(&out.stderr).contains("avatar-cli history runs"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_run_killed_midway_shows_as_unfinished_and_one_still_going_as_running() {
    let env = Env::new();
    let held = Gate::new();
    let server = Server::always(held.hold(Reply::accept()));
    let csv = env.write("two.csv", "policyNo,orderNo\nK1,O1\nK2,O2\n");
    let running = env.spawn([
        "--base-url",
        &server.url,
        "--policy-source",
        CHANNEL,
        "batch",
        csv.to_str().unwrap(),
        "--concurrency",
        "1",
    ]);
    // Its first notice is at the platform, its answer held: the run is under way.
    server.wait_for_hits(1);
    let rows = runs(&env, &[]);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0]["state"], "running", "{rows:#?}");
    running.kill();
    held.open();

    let rows = runs(&env, &[]);
    let run = &rows[0];
    assert_eq!(run["state"], "unfinished", "{run}");
    assert_eq!(run["endedAt"], Value::Null, "{run}");
    assert_eq!(run["counts"], Value::Null, "{run}");
    assert_eq!(run["exitCode"], Value::Null, "{run}");
    assert_eq!(
        (&run["sent"], &run["notices"]),
        (&1.into(), &2.into()),
        "{run}"
    );
    let table = env.cmd().args(["history", "runs"]).output().unwrap();
    let line = text(&table.stdout)
        .lines()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    assert!(line.contains("unfinished: 1 of 2 sent"), "{line}");
    // What it sent, in doubt, is listed under its id.
    let id = run["runId"].as_str().unwrap();
    let sent = history(&env, &["--run", id]);
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0]["state"], "inDoubt");

    // The next run resends it and finishes: listed above it, the killed one still unfinished.
    let out = batch_to(&env, &server.url, &csv).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows = runs(&env, &[]);
    let states: Vec<&str> = rows.iter().map(|r| r["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["finished", "unfinished"]);
}

#[test]
fn a_header_value_never_reaches_the_stored_command_line() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let key_file = env.write("key", "SECRET-FROM-A-FILE\n");
    let header_from_file = format!("X-File: @{}", key_file.display());
    let secrets = ["SECRET-ONE", "SECRET-TWO", "SECRET-THREE", "SECRET-FOUR"];
    let out = env
        .cmd()
        .args(["--base-url", &server.url, "--policy-source", CHANNEL])
        .args(["-H", "X-One: SECRET-ONE"])
        .arg("--header=X-Two: SECRET-TWO")
        .args(["send", "-qHX-Three: SECRET-THREE"])
        .args(["--header", "X-Four:SECRET-FOUR", "-H", &header_from_file])
        .args(["--policy", "P1", "--order-no", "O1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // They were sent: the test is about what was kept, not what was dropped.
    let seen = &server.seen()[0];
    for (name, value) in [
        ("X-One", "SECRET-ONE"),
        ("X-Two", "SECRET-TWO"),
        ("X-Three", "SECRET-THREE"),
        ("X-Four", "SECRET-FOUR"),
        ("X-File", "SECRET-FROM-A-FILE"),
    ] {
        assert_eq!(seen.header(name), Some(value), "{seen:?}");
    }

    let rows = runs(&env, &[]);
    let command = rows[0]["command"].as_str().unwrap();
    assert_eq!(
        command,
        format!(
            "avatar-cli --base-url {} --policy-source {CHANNEL} -H 'X-One: [redacted]' \
             '--header=X-Two: [redacted]' send '-qHX-Three: [redacted]' --header \
             'X-Four: [redacted]' -H 'X-File: [redacted]' --policy P1 --order-no O1",
            server.url
        )
    );
    // Not in the journal's bytes either, nor the file a value was read from.
    let mut stored = Vec::new();
    for file in common::journal_files(&env.journal()) {
        stored.extend(std::fs::read(&file).unwrap_or_default());
    }
    assert!(!stored.is_empty());
    let stored = String::from_utf8_lossy(&stored);
    assert!(
        stored.contains("X-Three: [redacted]"),
        "the command line is in the file"
    );
    for secret in secrets.iter().chain(&["SECRET-FROM-A-FILE", "/key"]) {
        assert!(!stored.contains(secret), "{secret} is in the journal");
    }
}

#[test]
fn history_runs_fits_the_terminal_at_80_and_120_columns() {
    let env = Env::new();
    let accepting = Server::always(Reply::accept());
    let rejecting = Server::always(Reply::Deal("0", "no"));
    let ([batch, again, send], _) = three_runs(&env, &accepting, &rejecting);
    let mut shown = Vec::new();
    for cols in [80, 120] {
        // Every line fits, none wraps, no character is split (`on_terminal` checks).
        let lines = on_terminal(&env, cols, &["runs"]);
        assert_eq!(lines.len(), 4, "{lines:#?}");
        let header: Vec<String> = titles(&lines[0]).into_iter().map(|(t, _)| t).collect();
        // The run's id (what --run takes), its counts and its exit code always stay.
        for title in ["RUN", "COUNTS", "EXIT"] {
            assert!(header.iter().any(|t| t == title), "{lines:#?}");
        }
        assert_aligned(&lines);
        for (line, id) in lines[1..].iter().zip([&send, &again, &batch]) {
            assert!(line.contains(id.as_str()), "{line:?}");
        }
        assert!(lines[1].contains("1 rejected"), "{lines:#?}");
        shown.push(header);
    }
    assert!(shown[1].len() > shown[0].len(), "{shown:?}");
    // --wide: every column whole.
    let (terminal, slave) = sized_terminal(80);
    let mut cmd = env.std_cmd();
    cmd.args(["history", "runs", "--wide"]);
    let out = start(cmd, slave, EVERYWHERE).finish();
    assert_eq!(out.status.code(), Some(0));
    let screen = terminal.final_screen();
    assert!(
        screen.contains("CHANNEL") && screen.contains("--order-no O9"),
        "{screen}"
    );
}

#[test]
fn history_runs_refuses_what_only_notices_have() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    send(&env, &server, "P1", "O1").assert().code(0);
    for (args, says) in [
        (
            &["runs", "--attempts"][..],
            "--attempts and --outcome are for notices",
        ),
        (
            &["runs", "--outcome", "failed"],
            "--attempts and --outcome are for notices",
        ),
        (&["runs", "--output", "csv"], "not runs: use --json"),
        (
            &["runs", "extra"],
            "history runs takes no other word: unexpected 'extra'",
        ),
        (&["show", "P1", "--run", "last"], "leave out --run"),
        (&["show"], "history show: which policy?"),
        (&["shows", "P1"], "unexpected 'shows'"),
    ] {
        let out = env.cmd().arg("history").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(
            text(&out.stderr).contains(says),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_journal_with_no_runs_lists_none_and_has_no_last_run() {
    let env = Env::new();
    std::fs::copy(data("journal-v2.sqlite3"), env.journal()).unwrap();
    let before = std::fs::read(env.journal()).unwrap();
    let out = env.cmd().args(["history", "runs"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    assert!(text(&out.stderr).contains("no runs match"), "{out:?}");
    let out = env
        .cmd()
        .args(["history", "--run", "last"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(
        text(&out.stderr).contains("--run last: the journal records no run yet"),
        "{}",
        text(&out.stderr)
    );
    // Read, never upgraded.
    assert_eq!(std::fs::read(env.journal()).unwrap(), before);
}

// Several policies at once: `history show A B C`

#[test]
fn history_show_takes_several_policies_and_shows_each_in_the_order_given() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    for (policy, order) in [("P1", "O1"), ("P2", "O2"), ("P3", "O3")] {
        send(&env, &server, policy, order).assert().code(0);
    }
    let out = env
        .cmd()
        .args(["history", "show", "P3", "P1", "P2", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown: Vec<String> = json_lines(&out.stdout)
        .iter()
        .map(|n| {
            assert_eq!(n["attemptList"].as_array().map(Vec::len), Some(1), "{n}");
            n["policyNo"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(shown, ["P3", "P1", "P2"]);

    // As text: each whole, as `history show P` prints it alone, one after the other.
    let alone: Vec<String> = ["P3", "P1"]
        .iter()
        .map(|p| {
            text(
                &env.cmd()
                    .args(["history", "show", p])
                    .output()
                    .unwrap()
                    .stdout,
            )
        })
        .collect();
    let both = env
        .cmd()
        .args(["history", "show", "P3", "P1"])
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(0));
    assert_eq!(text(&both.stdout), format!("{}\n{}", alone[0], alone[1]));

    // One the journal does not hold is named on stderr; the others are still shown.
    let out = env
        .cmd()
        .args(["history", "show", "P1", "NOPE", "P2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("policy    P1") && stdout.contains("policy    P2"),
        "{stdout}"
    );
    assert!(!stdout.contains("NOPE"), "{stdout}");
    assert!(
        text(&out.stderr).contains("no notice for policy NOPE in the journal"),
        "{}",
        text(&out.stderr)
    );
}

// `--since yesterday`, on a clock set with libfaketime

/// `history --json` with `args`, read when the clock says `now` (UTC).
fn policies_at(env: &Env, now: &str, args: &[&str]) -> BTreeSet<String> {
    let mut cmd = env.cmd();
    clock_at(&mut cmd, &format!("@{now}"));
    history_by(cmd, args)
        .iter()
        .map(|r| r["policyNo"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn since_yesterday_starts_at_yesterdays_midnight_in_china_standard_time() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    // Each notice sent at its own moment (UTC); China Standard Time is 8 hours ahead.
    for (policy, at) in [
        // 2026-11-30 23:30 CST: the day before yesterday.
        ("BEFORE", "2026-11-30 15:30:00"),
        // 2026-12-01 01:00 CST: yesterday, though still 30 November in UTC.
        ("YESTERDAY_EARLY", "2026-11-30 17:00:00"),
        // 2026-12-01 23:00 CST: yesterday.
        ("YESTERDAY_LATE", "2026-12-01 15:00:00"),
        // 2026-12-02 01:00 CST: today, though still 1 December in UTC.
        ("TODAY", "2026-12-01 17:00:00"),
    ] {
        let mut cmd = send(&env, &server, policy, &format!("O-{policy}"));
        clock_at(&mut cmd, &format!("@{at}"));
        cmd.assert().code(0);
    }
    // Read at 2026-12-02 14:00 CST.
    let now = "2026-12-02 06:00:00";
    assert_eq!(
        policies_at(&env, now, &["--since", "yesterday"]),
        set(&["YESTERDAY_EARLY", "YESTERDAY_LATE", "TODAY"])
    );
    assert_eq!(
        policies_at(&env, now, &["--since", "Yesterday", "--until", "today"]),
        set(&["YESTERDAY_EARLY", "YESTERDAY_LATE"])
    );
    assert_eq!(
        policies_at(&env, now, &["--since", "today"]),
        set(&["TODAY"])
    );
    assert_eq!(
        policies_at(&env, now, &["--until", "yesterday"]),
        set(&["BEFORE"])
    );
    // The runs were recorded at their own times, and filter the same way.
    let mut cmd = env.cmd();
    clock_at(&mut cmd, &format!("@{now}"));
    let out = cmd
        .args(["history", "runs", "--json", "--since", "yesterday"])
        .output()
        .unwrap();
    assert_eq!(json_lines(&out.stdout).len(), 3, "{}", text(&out.stdout));
}
