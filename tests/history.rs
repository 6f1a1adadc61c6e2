//! `history`: what the journal recorded, filtered, as a table or JSON Lines. Every filter is
//! checked with rows it must keep and rows it must drop, so a filter that drops everything (or
//! nothing) fails.

mod common;

use chrono::{DateTime, Duration as Days, FixedOffset, Utc};
use common::{json_lines, text, Env, Gate, Reply, Server};
use predicates::prelude::*;
use std::collections::BTreeSet;
use std::time::Duration;

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

/// `history --json` with `args`, as rows.
fn history(env: &Env, args: &[&str]) -> Vec<serde_json::Value> {
    let out = env
        .cmd()
        .arg("history")
        .arg("--json")
        .args(args)
        .assert()
        .code(0)
        .get_output()
        .clone();
    json_lines(&out.stdout)
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
