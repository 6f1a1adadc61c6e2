//! The journal over the built binary: what it makes of a run that follows another (an
//! orderNo stays with its policy, a rejection is not sent again unchanged, changed content is
//! never silently skipped), where it lives and who may read it, how it syncs, its upgrades from
//! older versions, and what happens when it cannot be trusted or written: a newer schema, a
//! path that is no file, a creation killed half-way, a full disk, a read-only mount.

mod common;

use common::{
    config_for, count, data, demo_at, history, json_lines, outcomes, policies_with_orders,
    show_json, text, to, Env, Gate, Reply, Running, Server, CHANNEL, DEMO_CHANNEL,
};
use predicates::prelude::*;
use serde_json::Value;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn send(env: &Env, server: &Server, args: &[&str]) -> Output {
    env.cmd()
        .args([
            "--base-url",
            &server.url,
            "--policy-source",
            CHANNEL,
            "send",
        ])
        .args(args)
        .output()
        .unwrap()
}

fn batch(env: &Env, server: &Server, csv: &str, args: &[&str]) -> Output {
    let file = env.write("rows.csv", csv);
    env.cmd()
        .args([
            "--base-url",
            &server.url,
            "--policy-source",
            CHANNEL,
            "batch",
        ])
        .arg(&file)
        .args(args)
        .output()
        .unwrap()
}

// An orderNo stays with its policy

#[test]
fn another_order_no_for_an_accepted_notice_is_refused_naming_both() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let out = send(&env, &server, &["--policy", "P1", "--order-no", "A1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = send(&env, &server, &["--policy", "P1", "--order-no", "B1"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("policy P1 was already sent under orderNo A1")
            && stderr.contains("orderNo B1 is given now"),
        "{stderr}"
    );
    assert!(text(&out.stdout).is_empty(), "{}", text(&out.stdout));
    // The journal's own orderNo, or none, is still a plain skip.
    let out = send(&env, &server, &["--policy", "P1", "--order-no", "A1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("skipped"));
}

#[test]
fn a_thousand_rows_naming_other_order_numbers_exit_2_and_send_nothing() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1000);
    let first: String = (0..1000).fold("policyNo,orderNo\n".to_string(), |csv, i| {
        csv + &format!("P{i},A{i}\n")
    });
    let out = batch(&env, &server, &first, &["--concurrency", "8"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let second: String = (0..1000).fold("policyNo,orderNo\n".to_string(), |csv, i| {
        csv + &format!("P{i},B{i}\n")
    });
    let out = batch(&env, &server, &second, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    assert_eq!(server.hits(), 1000);
}

#[test]
fn an_order_no_the_journal_holds_for_another_policy_is_refused_in_the_first_pass() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let out = send(&env, &server, &["--policy", "P1", "--order-no", "O1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = batch(
        &env,
        &server,
        "policyNo,orderNo\nP7,O7\nP2,O1\n",
        &["--json"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "rows.csv:3: orderNo: orderNo O1 is already the orderNo of policy P1 (sent 20"
        ),
        "{stderr}"
    );
    // Nothing of the file was sent, not even its good row.
    assert!(json_lines(&out.stdout).is_empty());
    // On another channel the same orderNo is another order.
    let out = env
        .cmd()
        .args([
            "--base-url",
            &server.url,
            "--policy-source",
            "OTHER",
            "send",
        ])
        .args(["--policy", "P2", "--order-no", "O1", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

// Rejections, and content that changed since it was sent

#[test]
fn an_unchanged_rejection_is_skipped_until_asked_and_the_run_exits_1() {
    let env = Env::new();
    let server =
        Server::start(vec![Reply::Deal("0", "保单已退保")], Reply::accept()).expect_hits(2);
    let csv = "policyNo,orderNo\nP1,O1\n";
    let out = batch(&env, &server, csv, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    // The next night: not sent again, said apart, and still exit 1.
    let out = batch(&env, &server, csv, &["--json"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(server.hits(), 1);
    let result = &json_lines(&out.stdout)[0];
    assert_eq!(result["outcome"], "skipped");
    assert_eq!(result["skipReason"], "rejectedEarlier");
    assert_eq!(result["dealCode"], "0");
    assert_eq!(result["dealDesc"], "保单已退保");
    assert_eq!(result["attempts"], 0);
    assert!(
        stderr.contains("1 rejected earlier, not re-sent; --retry-rejected sends them again"),
        "{stderr}"
    );
    // In text, the line says what the platform said and when.
    let out = batch(&env, &server, csv, &[]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("skipped")
            && stdout.contains("0 保单已退保")
            && stdout.contains("rejected earlier: 0 保单已退保, 20"),
        "{stdout}"
    );
    // Asked: sent again, under the same orderNo.
    let out = batch(&env, &server, csv, &["--retry-rejected"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(server.hits(), 2);
    assert_eq!(server.seen()[1].head("orderNo"), "O1");
}

#[test]
fn a_changed_rejection_is_sent_as_a_correction() {
    let env = Env::new();
    let server = Server::start(vec![Reply::Deal("0", "金额不符")], Reply::accept()).expect_hits(2);
    let out = batch(&env, &server, "policyNo,orderNo,amount\nP1,O1,10.00\n", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let out = batch(&env, &server, "policyNo,orderNo,amount\nP1,O1,12.00\n", &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("correction of the earlier attempt: amount"),
        "{stderr}"
    );
}

fn amount_sent(seen: &common::Seen) -> f64 {
    seen.body["secondRefundReq"]["secondRefundAmount"]
        .as_f64()
        .unwrap_or(f64::NAN)
}

#[test]
fn a_changed_amount_after_acceptance_is_refused_and_force_sends_it_under_the_same_order() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(2);
    let send = |amount: &str, extra: &[&str]| {
        demo_at(&env, &server.url)
            .args(["send", "--policy", "P1", "--amount", amount])
            .args(extra)
            .output()
            .unwrap()
    };
    let first = send("10.00", &["--order-no", "O1"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    // The corrected row, with the order number from the journal.
    let again = send("20.00", &[]);
    let err = text(&again.stderr);
    assert_eq!(again.status.code(), Some(2), "{err}");
    assert!(err.contains("amount 10.00 → 20.00"), "{err}");
    assert!(err.contains("policy P1 was accepted at"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert!(again.stdout.is_empty(), "{}", text(&again.stdout));
    assert_eq!(
        server.hits(),
        1,
        "nothing may leave for a refused correction"
    );
    // The same correction in a batch (and its dry run) is refused before anything is sent.
    let csv = env.write("fix.csv", "policyNo,amount\nP1,20.00\n");
    for dry in [true, false] {
        let mut cmd = demo_at(&env, &server.url);
        cmd.arg("batch").arg(&csv);
        if dry {
            cmd.arg("--dry-run");
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("amount 10.00 → 20.00"));
    }
    assert_eq!(server.hits(), 1);
    // Forced: one request, the new amount, the notice's orderNo.
    let forced = send("20.00", &["--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].head("orderNo"), "O1");
    assert_eq!(amount_sent(&seen[1]), 20.0);
    // The same content again is skipped, as before.
    let same = send("20.00", &[]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stderr));
    assert!(
        text(&same.stdout).starts_with("skipped"),
        "{}",
        text(&same.stdout)
    );
}

#[test]
fn a_corrected_rejected_notice_is_sent_again_as_a_correction() {
    let env = Env::new();
    let server =
        Server::start(vec![Reply::Deal("0", "amount is wrong")], Reply::accept()).expect_hits(2);
    let first = demo_at(&env, &server.url)
        .args([
            "send",
            "--policy",
            "P1",
            "--order-no",
            "O1",
            "--amount",
            "10",
        ])
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(1), "{}", text(&first.stderr));
    // The dry run says what the run will do, and sends nothing.
    let dry = demo_at(&env, &server.url)
        .args(["send", "--policy", "P1", "--amount", "20", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    assert!(
        text(&dry.stderr).contains("correction of the earlier attempt: amount 10.00 → 20.00"),
        "{}",
        text(&dry.stderr)
    );
    assert_eq!(server.hits(), 1);
    let fixed = demo_at(&env, &server.url)
        .args(["send", "--policy", "P1", "--amount", "20", "--json"])
        .output()
        .unwrap();
    assert_eq!(fixed.status.code(), Some(0), "{}", text(&fixed.stderr));
    let result = &json_lines(&fixed.stdout)[0];
    assert_eq!(result["outcome"], "accepted");
    assert_eq!(
        result["warnings"][0],
        "correction of the earlier attempt: amount 10.00 → 20.00"
    );
    let seen = server.seen();
    assert_eq!(seen[1].head("orderNo"), "O1");
    assert_eq!(amount_sent(&seen[1]), 20.0);
}

#[test]
fn a_notice_in_doubt_with_other_content_is_refused_until_forced() {
    let env = Env::new();
    let gate = common::Gate::new();
    let server = Server::start(vec![gate.hold(Reply::accept())], Reply::accept());
    // Killed while its request waits for an answer: in doubt.
    let run = env.spawn([
        "--base-url",
        &server.url,
        "--policy-source",
        DEMO_CHANNEL,
        "send",
        "--policy",
        "P1",
        "--order-no",
        "O1",
        "--amount",
        "10",
    ]);
    server.wait_for_hits(1);
    run.signal(libc::SIGKILL);
    let _ = run.finish();
    gate.open();
    let changed = demo_at(&env, &server.url)
        .args(["send", "--policy", "P1", "--amount", "20"])
        .output()
        .unwrap();
    let err = text(&changed.stderr);
    assert_eq!(changed.status.code(), Some(2), "{err}");
    assert!(err.contains("may have reached the platform"), "{err}");
    assert!(err.contains("amount 10.00 → 20.00"), "{err}");
    assert_eq!(server.hits(), 1);
    let forced = demo_at(&env, &server.url)
        .args(["send", "--policy", "P1", "--amount", "20", "--force"])
        .output()
        .unwrap();
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].head("orderNo"), "O1");
    assert_eq!(amount_sent(&seen[1]), 20.0);
}

#[test]
fn a_dry_run_ends_with_totals_and_names_production_in_capitals() {
    let env = Env::new();
    let server = Server::start(
        vec![Reply::accept(), Reply::Deal("0", "no")],
        Reply::accept(),
    )
    .expect_hits(2);
    let out = batch(
        &env,
        &server,
        "policyNo,orderNo\nP1,O1\nP2,O2\n",
        &["--concurrency", "1"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let out = batch(
        &env,
        &server,
        "policyNo,orderNo\nP1,O1\nP2,O2\nP3,O3\nP4,O4\n",
        &["--dry-run"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let host = server.url.trim_start_matches("http://");
    assert!(
        stderr.contains(&format!(
            "dry run: would send 2, skip 1 accepted earlier, 1 rejected earlier; to {host} (from --base-url)"
        )),
        "{stderr}"
    );
    assert_eq!(json_lines(&out.stdout).len(), 2);
    // Production, in capitals, before and after.
    let out = env
        .cmd()
        .args(env.production_at(&server.url))
        .args([
            "--policy-source",
            CHANNEL,
            "send",
            "--policy",
            "P9",
            "--order-no",
            "O9",
        ])
        .arg("--dry-run")
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("(PRODUCTION, from --env)"), "{stderr}");
    assert!(
        stderr.contains(
            "dry run: would send 1, skip 0 accepted earlier, 0 rejected earlier; to PRODUCTION ("
        ),
        "{stderr}"
    );
}

// Where it lives, who may read it, how it syncs

#[test]
fn the_default_journal_is_in_the_state_dir_and_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    for _ in 0..2 {
        env.cmd()
            .env_remove("AVATAR_JOURNAL")
            .args(to(&server))
            .args(["send", "--policy", "P1", "--order-no", "O1"])
            .assert()
            .code(0);
    }
    let journal = env.path("state").join("avatar-cli").join("journal.sqlite3");
    let mode = std::fs::metadata(&journal)
        .unwrap_or_else(|e| panic!("{}: {e}", journal.display()))
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(!env.journal().exists());
    // The second run skipped through it (one hit in all).
    env.cmd()
        .env_remove("AVATAR_JOURNAL")
        .args(["history", "--json"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"P1\""));
}

#[cfg(unix)]
#[test]
fn a_new_journal_is_private_to_its_user() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let server = Server::always(Reply::accept());
    env.cmd()
        .args([
            "--base-url",
            &server.url,
            "--policy-source",
            "HN",
            "send",
            "--policy",
            "P1",
            "--order-no",
            "O1",
        ])
        .assert()
        .code(0);
    let mode = std::fs::metadata(env.journal())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn no_journal_sends_without_skipping() {
    let env = Env::new();
    let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\n");
    let server = Server::always(Reply::accept()).expect_hits(2);
    for _ in 0..2 {
        env.cmd()
            .args(server.batch_args(&[file.to_str().unwrap()]))
            .arg("--no-journal")
            .assert()
            .code(0);
    }
    assert!(!env.journal().exists());
}

#[test]
fn no_journal_beats_the_journal_flag_and_avatar_journal() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(2);
    let named = env.path("named.sqlite3");
    for _ in 0..2 {
        // AVATAR_JOURNAL is set by Env; --journal names another file.
        env.cmd()
            .args(to(&server))
            .arg("--journal")
            .arg(&named)
            .args(["--no-journal", "send", "--policy", "P1", "--order-no", "O1"])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("accepted"));
    }
    assert!(!named.exists());
    assert!(!env.journal().exists());
}

/// How many fsync/fdatasync calls a run made on `journal`'s files, counted by strace.
fn journal_syncs(env: &Env, args: &[&str], journal: &Path) -> usize {
    let trace = env.path("strace.txt");
    let std = env.std_cmd();
    let mut cmd = std::process::Command::new("strace");
    cmd.env_clear();
    for (k, v) in std.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.args(["-f", "-qq", "-y", "-e", "trace=fsync,fdatasync", "-o"])
        .arg(&trace)
        .arg(std.get_program())
        .args(args)
        .stdin(std::process::Stdio::null());
    let out = Running::spawn(cmd).finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let name = journal.file_name().unwrap().to_str().unwrap().to_string();
    std::fs::read_to_string(&trace)
        .expect("strace output")
        .lines()
        .filter(|l| l.contains(&name))
        .count()
}

#[test]
fn journal_sync_full_syncs_every_commit() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let file = policies_with_orders(&env, 20);
    let mut counts = Vec::new();
    for (level, journal) in [("normal", "normal.sqlite3"), ("full", "full.sqlite3")] {
        let config = config_for(&env, &server, &format!("journal_sync = \"{level}\""));
        let journal = env.path(journal);
        let args = [
            "--config",
            config.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
            "batch",
            &file,
            "--concurrency",
            "1",
        ];
        counts.push(journal_syncs(&env, &args, &journal));
    }
    let (normal, full) = (counts[0], counts[1]);
    eprintln!("journal syncs: normal {normal}, full {full}");
    // Twenty notices, each with commits before and after its request: FULL syncs the WAL at
    // every commit, NORMAL only at checkpoints.
    assert!(full >= 20, "full: {full} syncs");
    assert!(full >= normal + 20, "normal: {normal}, full: {full}");
}

// Upgrades of older journals, and a newer one refused

/// The endpoint the version 1 fixture was written against (nothing listens there: every
/// notice these tests run over it is skipped or a dry run).
const FIXTURE_ENDPOINT: &str = "http://127.0.0.1:18740";

/// DUP1's first acceptance, recorded under the spelling `HTTP://127.0.0.1:18740/`.
const DUP1_FIRST_ORDER: &str = "QS261129214709678VAKIKO";

const DUP1_SECOND_ORDER: &str = "QS261129214710718Q4M0HJ";

const REJ1_ORDER: &str = "QS261129214710785OUUGKH";

/// Copies a committed journal fixture to the test's journal path.
fn fixture(env: &Env, name: &str) {
    std::fs::copy(data(name), env.journal()).expect("copy the fixture");
}

/// The version 1 fixture, copied to the test's journal path.
fn v1_journal(env: &Env) -> PathBuf {
    fixture(env, "journal-v1.sqlite3");
    env.journal()
}

fn user_version(path: &Path) -> i64 {
    rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

/// The schema version of the test's journal.
fn schema_version(env: &Env) -> i64 {
    user_version(&env.journal())
}

fn states(env: &Env) -> Vec<(String, String)> {
    let out = env.cmd().args(["history", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut all: Vec<(String, String)> = json_lines(&out.stdout)
        .iter()
        .map(|r| {
            (
                r["policyNo"].as_str().unwrap().to_string(),
                r["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    all.sort();
    all
}

fn fixture_send(env: &Env, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.args([
        "--base-url",
        FIXTURE_ENDPOINT,
        "--policy-source",
        "DEMO",
        "send",
    ])
    .args(extra);
    cmd
}

#[test]
fn a_version_1_journal_is_upgraded_once_and_keeps_every_notice() {
    let env = Env::new();
    let path = v1_journal(&env);
    assert_eq!(user_version(&path), 1);

    // The first writer upgrades; the accepted notices are skipped, under either spelling.
    for policy in ["ACC1", "DUP1"] {
        let out = fixture_send(&env, &["--policy", policy])
            .assert()
            .code(0)
            .get_output()
            .clone();
        assert!(
            text(&out.stdout).starts_with("skipped"),
            "{policy}: {out:?}"
        );
    }
    assert_eq!(user_version(&path), 6);

    let rows = history(&env, &[]);
    let mut policies: Vec<&str> = rows
        .iter()
        .map(|r| r["policyNo"].as_str().unwrap())
        .collect();
    policies.sort();
    assert_eq!(
        policies,
        ["ACC1", "DOUBT1", "DUP1", "FAIL1", "REJ1"],
        "{rows:?}"
    );
    let state = |p: &str| {
        rows.iter().find(|r| r["policyNo"] == p).unwrap()["state"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(state("ACC1"), "accepted");
    assert_eq!(state("REJ1"), "rejected");
    assert_eq!(state("FAIL1"), "failed");
    assert_eq!(state("DOUBT1"), "inDoubt");
    assert_eq!(state("DUP1"), "accepted");
    for r in &rows {
        assert_eq!(r["endpoint"], FIXTURE_ENDPOINT, "{r}");
    }
    // The row kept is the first acceptance; the other's attempt follows it.
    let dup = rows.iter().find(|r| r["policyNo"] == "DUP1").unwrap();
    assert_eq!(dup["orderNo"], DUP1_FIRST_ORDER, "{dup}");
    assert_eq!(dup["attempts"], 2, "{dup}");
    let mut attempts = history(&env, &["--attempts", "--policy", "DUP1"]);
    attempts.sort_by_key(|a| a["attempt"].as_u64());
    let seen: Vec<(u64, &str)> = attempts
        .iter()
        .map(|a| {
            (
                a["attempt"].as_u64().unwrap(),
                a["orderNo"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(seen, [(1, DUP1_FIRST_ORDER), (2, DUP1_SECOND_ORDER)]);

    // The in-doubt notice is resent under its orderNo, the rejected one found under the
    // respelled key: the journal's orderNo is used, no new one is needed.
    let out = fixture_send(&env, &["--policy", "REJ1", "--dry-run", "--retry-rejected"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(text(&out.stdout).contains(REJ1_ORDER), "{out:?}");
}

#[test]
fn a_version_1_journal_migrates_to_the_latest_in_one_go() {
    let env = Env::new();
    fixture(&env, "journal-v1.sqlite3");
    assert_eq!(schema_version(&env), 1);
    let out = demo_at(&env, "http://127.0.0.1:18740")
        .args(["send", "--policy", "ACC1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("skipped"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(schema_version(&env), 6);
    let after = states(&env);
    for (policy, state) in [
        ("ACC1", "accepted"),
        ("DUP1", "accepted"),
        ("REJ1", "rejected"),
        ("FAIL1", "failed"),
        ("DOUBT1", "inDoubt"),
    ] {
        assert!(
            after.contains(&(policy.to_string(), state.to_string())),
            "{after:?}"
        );
    }
}

#[test]
fn a_version_2_journal_migrates_keeps_every_state_and_skips_what_it_accepted() {
    let env = Env::new();
    fixture(&env, "journal-v2.sqlite3");
    assert_eq!(schema_version(&env), 2);
    let before = states(&env);
    assert_eq!(
        before,
        [
            ("ACC1".to_string(), "accepted".to_string()),
            ("DOUBT1".into(), "inDoubt".into()),
            ("FAIL1".into(), "failed".into()),
            ("REJ1".into(), "rejected".into()),
        ]
    );
    // Nothing listens there: a notice that were sent would fail. ACC1 was accepted before the
    // journal kept content, so another amount is no correction it can see: skipped, as before.
    let csv = env.write("again.csv", "policyNo,amount\nACC1,20.00\n");
    let out = demo_at(&env, "http://127.0.0.1:18752")
        .arg("batch")
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("skipped"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(schema_version(&env), 6);
    assert_eq!(states(&env), before);
    // The old attempts read with no bodies; the notice still shows whole.
    let shown = show_json(&env, &["ACC1"]);
    assert_eq!(shown["orderNo"], "ORDACC1");
    assert!(shown["attemptList"][0].get("request").is_none());
}

#[test]
fn a_version_2_journal_gains_runs_and_its_old_attempts_name_none() {
    let env = Env::new();
    fixture(&env, "journal-v2.sqlite3");
    let old_attempts = history(&env, &["--attempts"]);
    assert!(!old_attempts.is_empty());
    // A run that upgrades it, sending one notice.
    let server = Server::always(Reply::accept());
    let csv = env.write("new.csv", "policyNo,orderNo\nNEW1,ORDNEW1\n");
    let out = demo_at(&env, &server.url)
        .args(["batch", "--json"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(schema_version(&env), 6);
    let run = common::summary_line(&out.stdout)["runId"]
        .as_str()
        .unwrap()
        .to_string();

    // The one run it has is that one; the attempts made before it name no run.
    let runs = history(&env, &["runs"]);
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0]["runId"], run.as_str());
    assert_eq!(runs[0]["counts"]["accepted"], 1);
    assert_eq!(runs[0]["exitCode"], 0);
    let attempts = history(&env, &["--attempts"]);
    assert_eq!(attempts.len(), old_attempts.len() + 1, "{attempts:#?}");
    for a in &attempts {
        let expected = if a["policyNo"] == "NEW1" {
            Value::from(run.as_str())
        } else {
            Value::Null
        };
        assert_eq!(a["runId"], expected, "{a}");
    }
    let sent: Vec<String> = history(&env, &["--run", "last"])
        .iter()
        .map(|n| n["policyNo"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sent, ["NEW1"]);
}

#[test]
fn readers_of_a_version_1_journal_normalise_endpoints_and_change_nothing() {
    let env = Env::new();
    let path = v1_journal(&env);
    let before = std::fs::read(&path).unwrap();

    // REJ1 was recorded under 'http://127.0.0.1:18740/': found under the canonical key.
    let out = fixture_send(&env, &["--policy", "REJ1", "--dry-run", "--retry-rejected"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(text(&out.stdout).contains(REJ1_ORDER), "{out:?}");
    let out = fixture_send(&env, &["--policy", "DUP1", "--dry-run"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(
        text(&out.stderr).contains(&format!(
            "already accepted under orderNo {DUP1_FIRST_ORDER}"
        )),
        "{out:?}"
    );
    let rows = history(
        &env,
        &["--environment", FIXTURE_ENDPOINT, "--policy", "REJ1"],
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["endpoint"], FIXTURE_ENDPOINT);

    assert_eq!(user_version(&path), 1);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_journal_of_a_newer_schema_is_refused_by_writers_and_readers() {
    let env = Env::new();
    let path = v1_journal(&env);
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 7)
        .unwrap();
    let expected = "newer avatar-cli (schema version 7, this one knows up to 6)";
    let out = fixture_send(&env, &["--policy", "ACC1"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(text(&out.stderr).contains(expected), "{out:?}");
    let out = env
        .cmd()
        .arg("history")
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(text(&out.stderr).contains(expected), "{out:?}");
    assert_eq!(user_version(&path), 7);
}

// A journal that cannot be trusted or written

#[test]
fn a_corrupt_journal_stops_the_run_before_anything_is_sent() {
    let env = Env::new();
    std::fs::write(
        env.journal(),
        "this is not a database, it is a shopping list\n".repeat(200),
    )
    .unwrap();
    let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\n");
    let server = Server::always(Reply::accept()).expect_hits(0);
    env.cmd()
        .args(server.batch_args(&[file.to_str().unwrap()]))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("journal.sqlite3"));
}

/// `send`, `send --dry-run` and `history` on `journal`: each must exit 2 at once, naming the
/// path and what it is. A FIFO would block an open for good, so every run has a time limit.
fn refused_everywhere(env: &Env, server: &Server, journal: &Path, what: &str) {
    let shown = journal.display().to_string();
    let runs: [&[&str]; 3] = [
        &["send", "--policy", "P1", "--generate-order-no"],
        &["send", "--policy", "P1", "--generate-order-no", "--dry-run"],
        &["history"],
    ];
    for args in runs {
        let out = env
            .cmd()
            .timeout(Duration::from_secs(20))
            .arg("--journal")
            .arg(journal)
            .args(["--base-url", &server.url, "--policy-source", "DEMO"])
            .args(args)
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what} {args:?}: {out:?}");
        assert!(
            stderr.contains(&format!("{shown} is {what}, not a regular file")),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
#[cfg(unix)]
fn a_journal_path_that_is_not_a_regular_file_is_refused_before_it_is_opened() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);

    let fifo = env.path("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    refused_everywhere(&env, &server, &fifo, "a named pipe (FIFO)");

    let socket = env.path("socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    refused_everywhere(&env, &server, &socket, "a socket");

    refused_everywhere(&env, &server, Path::new("/dev/null"), "a character device");
    refused_everywhere(&env, &server, Path::new("/dev/zero"), "a character device");
    refused_everywhere(&env, &server, env.dir.path(), "a directory");

    // A symlink to a regular file is fine.
    let target = env.path("real.sqlite3");
    let link = env.path("link.sqlite3");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = env
        .cmd()
        .arg("--journal")
        .arg(&link)
        .args(["history"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(text(&out.stderr).contains("a symbolic link to a file that does not exist"));
    std::fs::write(&target, "").unwrap();
    env.cmd()
        .arg("--journal")
        .arg(&link)
        .args(["history"])
        .assert()
        .code(0);
}

/// Sends P to `server` with `journal`, expecting it accepted now or skipped as accepted by the
/// run that was killed, then reads it back from `history`.
fn sends_and_reads(env: &Env, server: &Server, journal: &Path, policy: &str) {
    let out = env
        .cmd()
        .arg("--journal")
        .arg(journal)
        .args(["--base-url", &server.url, "--policy-source", "DEMO"])
        .args(["send", "--policy", policy, "--generate-order-no"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{policy}: {out:?}");
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("accepted") || stdout.starts_with("skipped"),
        "{policy}: {out:?}"
    );
    let out = env
        .cmd()
        .arg("--journal")
        .arg(journal)
        .args(["history", "--json", "--policy", policy])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{policy}: {out:?}");
    let rows = json_lines(&out.stdout);
    assert_eq!(rows.len(), 1, "{policy}: {out:?}");
    assert_eq!(rows[0]["state"], "accepted", "{policy}: {out:?}");
}

#[test]
fn a_run_killed_in_its_first_milliseconds_never_bricks_a_new_journal() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let started = Instant::now();
    let tries = 40;
    for i in 0..tries {
        let journal = env.path(&format!("try{i}/journal.sqlite3"));
        let policy = format!("P{i}");
        let mut child = env
            .std_cmd()
            .arg("--journal")
            .arg(&journal)
            .args(["--base-url", &server.url, "--policy-source", "DEMO"])
            .args(["send", "--policy", &policy, "--generate-order-no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Not a wait for anything: the kill is meant to land at a random point of start-up.
        std::thread::sleep(Duration::from_millis(fastrand::u64(0..=30)));
        let _ = child.kill();
        let _ = child.wait();
        sends_and_reads(&env, &server, &journal, &policy);
        // No temporary file of a creation is left once the journal is in place.
        let dir = journal.parent().unwrap();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(!name.ends_with(".new"), "try {i}: {name} left behind");
        }
    }
    eprintln!("{tries} kills in {:?}", started.elapsed());
}

#[test]
fn a_creation_killed_half_way_by_an_older_version_is_recovered() {
    // Captured from a run killed ~5 ms after start: a 4 KiB file with no schema, in rollback
    // mode, and the hot rollback file of its switch to WAL.
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let journal = env.journal();
    for suffix in ["", "-journal"] {
        std::fs::copy(
            data(&format!("halfmade/journal.sqlite3{suffix}")),
            env.path(&format!("journal.sqlite3{suffix}")),
        )
        .unwrap();
    }
    assert_eq!(std::fs::metadata(&journal).unwrap().len(), 4096);
    // A reader first (history, and the read `send` does before it writes) ...
    let out = env.cmd().arg("history").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(text(&out.stderr).contains("no journal at"), "{out:?}");
    // ... then a writer.
    sends_and_reads(&env, &server, &journal, "P1");
    assert!(!env.path("journal.sqlite3-journal").exists());
}

#[test]
fn a_writer_killed_with_a_rollback_file_on_a_real_journal_loses_no_record() {
    // A journal of ours with a hot rollback file: a process was killed mid-transaction in
    // rollback mode. A write-capable read rolls the file back; a reader alone could not.
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let journal = env.journal();
    sends_and_reads(&env, &server, &journal, "P1");

    let crashed = env.path("crashed");
    std::fs::create_dir(&crashed).unwrap();
    let conn = rusqlite::Connection::open(&journal).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = DELETE; PRAGMA cache_size = 1; BEGIN IMMEDIATE;
         UPDATE notices SET state = 'rejected', deal_desc = hex(randomblob(3000));
         CREATE TABLE filler (x); INSERT INTO filler
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
             SELECT hex(randomblob(500)) FROM n;",
    )
    .unwrap();
    for name in ["journal.sqlite3", "journal.sqlite3-journal"] {
        std::fs::copy(env.path(name), crashed.join(name)).unwrap();
    }
    conn.execute_batch("ROLLBACK").unwrap();
    drop(conn);
    let copy = crashed.join("journal.sqlite3");
    assert!(
        crashed
            .join("journal.sqlite3-journal")
            .metadata()
            .unwrap()
            .len()
            > 0
    );

    let out = env
        .cmd()
        .arg("--journal")
        .arg(&copy)
        .args(["history", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let rows = json_lines(&out.stdout);
    assert_eq!(rows.len(), 1, "{out:?}");
    assert_eq!(rows[0]["state"], "accepted", "{out:?}");
    // And a writer picks it up as it was, in WAL mode again.
    sends_and_reads(&env, &server, &copy, "P1");
}

#[test]
fn a_journal_failing_mid_run_exits_3() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let file = policies_with_orders(&env, 300);
    let mut cmd = env.std_cmd();
    cmd.args(to(&server))
        .args(["batch", &file, "--json"])
        .stdin(std::process::Stdio::null());
    // Files this process writes may not grow past 256 KiB: the journal opens (its schema is
    // far smaller), then its WAL hits the limit after some notices. SIGXFSZ is ignored so
    // the write fails with EFBIG instead of killing the process.
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 256 * 1024,
                rlim_max: 256 * 1024,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = Running::spawn(cmd).finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("the journal failed mid-run"), "{stderr}");
    let outcomes = outcomes(&out);
    assert_eq!(outcomes.len(), 300);
    // The notices the failure hit say so: failed if it came before their request, else with
    // what the platform answered and "not recorded".
    let hit = json_lines(&out.stdout)
        .iter()
        .filter(|r| {
            let error = r["error"].as_str().unwrap_or_default();
            match r["outcome"].as_str().unwrap() {
                "failed" => error.starts_with("the journal failed"),
                _ => error.contains("not recorded in the journal"),
            }
        })
        .count();
    assert!(hit >= 1, "{}", text(&out.stdout));
    assert!(
        count(&outcomes, "notSent") > 0,
        "the run stopped: {outcomes:?}"
    );
}

#[test]
fn an_acceptance_the_journal_cannot_record_is_accepted_not_recorded_and_exits_3() {
    let env = Env::new();
    let held = Gate::new();
    let server = Server::start(vec![held.hold(Reply::accept())], Reply::accept());
    let mut cmd = env.std_cmd();
    cmd.args(to(&server))
        .args(["send", "--policy", "P1", "--order-no", "O1", "--json"])
        .stdin(std::process::Stdio::null());
    // SIGXFSZ ignored, so that a write past the size limit set below fails (EFBIG) instead of
    // killing the process.
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let run = Running::spawn(cmd);
    server.wait_for_hits(1);
    // The claim and the attempt are committed (the request left after them). From now on no
    // file of the process may grow: the commit of the answer fails, as on a full disk.
    let wal = std::fs::metadata(env.path("journal.sqlite3-wal"))
        .unwrap()
        .len();
    let limit = libc::rlimit {
        rlim_cur: wal,
        rlim_max: libc::RLIM_INFINITY,
    };
    let pid = libc::pid_t::try_from(run.id()).unwrap();
    // SAFETY: prlimit(2) on a child this test spawned and has not reaped; no old limit asked.
    let rc = unsafe { libc::prlimit(pid, libc::RLIMIT_FSIZE, &limit, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
    held.open();
    let out = run.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("the journal failed mid-run"), "{stderr}");
    let result = &json_lines(&out.stdout)[0];
    assert_eq!(result["outcome"], "accepted", "{result}");
    assert!(
        result["error"]
            .as_str()
            .unwrap()
            .contains("not recorded in the journal"),
        "{result}"
    );
    assert!(
        stderr.contains("P1: not recorded in the journal"),
        "{stderr}"
    );
    // As said: the journal holds it in doubt, and the next run resends it under the same
    // orderNo.
    assert_eq!(history(&env, &["--outcome", "inDoubt"]).len(), 1);
    let out = env
        .cmd()
        .args(to(&server))
        .args(["send", "--policy", "P1", "--order-no", "O1", "--json"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let result = &json_lines(&out.stdout)[0];
    assert_eq!(result["outcome"], "accepted");
    assert!(result["warnings"][0]
        .as_str()
        .unwrap()
        .starts_with("resent"));
    assert!(server.seen().iter().all(|s| s.head("orderNo") == "O1"));
}

/// Runs `script` with `sh` in a mount namespace of its own (so a mount there is seen by
/// nothing else and goes when it ends), with the binary as `$BIN` and the test's environment.
/// `None`, with a note, where this machine does not allow it (no `unshare`, not root and no
/// user namespaces, or `mount` refused: the script exits 77 for that).
fn in_mount_namespace(env: &Env, script: &str) -> Option<Output> {
    let bin = assert_cmd::cargo::cargo_bin("avatar-cli");
    for flags in [&["-m"][..], &["-r", "-m"][..]] {
        let std = env.std_cmd();
        let mut cmd = Command::new("unshare");
        cmd.env_clear();
        for (k, v) in std.get_envs() {
            if let Some(v) = v {
                cmd.env(k, v);
            }
        }
        let out = cmd
            .args(flags)
            .args(["sh", "-c", script])
            .env("BIN", &bin)
            .env("DIR", env.dir.path())
            .output();
        match out {
            Ok(out) if out.status.code() == Some(77) => {
                eprintln!("note: mount refused here: {}", text(&out.stderr));
                continue;
            }
            Ok(out) if text(&out.stderr).starts_with("unshare:") => continue,
            Ok(out) => return Some(out),
            Err(e) => {
                eprintln!("note: no unshare here ({e})");
                return None;
            }
        }
    }
    eprintln!("note: skipped: this machine allows no private mount for the test");
    None
}

#[test]
fn a_full_disk_is_named_as_such_not_as_permissions_or_io() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let rows: String = (0..200).map(|i| format!("Q{i}\n")).collect();
    env.write("rows.csv", format!("policyNo\n{rows}"));
    let script = r#"
        set -u
        mkdir -p "$DIR/small"
        mount -t tmpfs -o size=16m tmpfs "$DIR/small" || exit 77
        J="$DIR/small/journal.sqlite3"
        run() { "$BIN" --journal "$J" --base-url "$URL" --policy-source DEMO "$@"; }
        run send --policy P0 --generate-order-no >/dev/null 2>&1 || { echo "first send failed" >&2; exit 90; }
        # No room at all; then a little (what the reserve held); then plenty.
        dd if=/dev/zero of="$DIR/small/reserve" bs=4k count=32 2>/dev/null
        dd if=/dev/zero of="$DIR/small/fill" bs=64k 2>/dev/null
        echo "--- at open"
        run batch "$DIR/rows.csv" --generate-order-no 2>&1 >/dev/null; echo "rc=$?"
        rm "$DIR/small/reserve"
        echo "--- mid-run"
        run batch "$DIR/rows.csv" --generate-order-no 2>&1 >/dev/null; echo "rc=$?"
        rm "$DIR/small/fill"
        echo "--- after freeing space"
        run batch "$DIR/rows.csv" --generate-order-no 2>&1 >/dev/null; echo "rc=$?"
    "#;
    let script = script.replace("$URL", &server.url);
    let Some(out) = in_mount_namespace(&env, &script) else {
        return;
    };
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let parts: Vec<&str> = stdout.split("--- ").skip(1).collect();
    assert_eq!(parts.len(), 3, "{stdout}");
    let full = "the disk holding the journal";
    for part in &parts[..2] {
        assert!(part.contains(full), "{stdout}");
        assert!(
            part.contains("is full; free space, then run again"),
            "{stdout}"
        );
        assert!(!part.contains("permissions"), "{stdout}");
        assert!(!part.contains("disk I/O error"), "{stdout}");
        assert!(!part.contains("rc=0"), "{stdout}");
    }
    assert!(parts[0].contains("rc=2"), "{stdout}");
    // Once there is room again, the run completes.
    assert!(parts[2].contains("rc=0"), "{stdout}");
    assert!(!parts[2].contains(full), "{stdout}");
}

#[test]
fn history_and_dry_run_read_a_journal_on_a_read_only_mount() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(2);
    let archive = env.path("archive");
    let journal = archive.join("journal.sqlite3");
    sends_and_reads(&env, &server, &journal, "P1");
    // Archived as the file alone: no WAL index for SQLite to use, none it may create.
    for suffix in ["-wal", "-shm"] {
        let sidecar = archive.join(format!("journal.sqlite3{suffix}"));
        if let Ok(m) = std::fs::metadata(&sidecar) {
            assert_eq!(m.len() > 0, suffix == "-shm", "{suffix}");
            std::fs::remove_file(sidecar).unwrap();
        }
    }

    // A second archive whose WAL still holds a commit, as when it was copied while in use.
    let unclean = env.path("unclean");
    std::fs::create_dir(&unclean).unwrap();
    let live = env.path("live.sqlite3");
    sends_and_reads(&env, &server, &live, "P2");
    let conn = rusqlite::Connection::open(&live).unwrap();
    conn.execute_batch(
        "PRAGMA wal_autocheckpoint = 0; UPDATE notices SET deal_desc = 'changed later'",
    )
    .unwrap();
    for suffix in ["", "-wal"] {
        std::fs::copy(
            env.path(&format!("live.sqlite3{suffix}")),
            unclean.join(format!("journal.sqlite3{suffix}")),
        )
        .unwrap();
    }
    drop(conn);
    assert!(
        unclean
            .join("journal.sqlite3-wal")
            .metadata()
            .unwrap()
            .len()
            > 0
    );

    let script = r#"
        set -u
        for d in archive unclean; do
            mount --bind "$DIR/$d" "$DIR/$d" && mount -o remount,ro,bind "$DIR/$d" "$DIR/$d" || exit 77
        done
        echo "--- history"
        "$BIN" --journal "$DIR/archive/journal.sqlite3" history --json; echo "rc=$?"
        echo "--- dry run"
        "$BIN" --journal "$DIR/archive/journal.sqlite3" --base-url "$URL" --policy-source DEMO send --policy P1 --dry-run 2>&1; echo "rc=$?"
        echo "--- unclean"
        "$BIN" --journal "$DIR/unclean/journal.sqlite3" history 2>&1; echo "rc=$?"
        echo "--- files"
        ls "$DIR/archive"
    "#;
    let script = script.replace("$URL", &server.url);
    let Some(out) = in_mount_namespace(&env, &script) else {
        return;
    };
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let parts: Vec<&str> = stdout.split("--- ").skip(1).collect();
    assert_eq!(parts.len(), 4, "{stdout}");
    let rows: Vec<Value> = parts[0]
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{stdout}");
    assert_eq!(rows[0]["policyNo"], "P1");
    assert_eq!(rows[0]["state"], "accepted");
    assert!(parts[0].contains("rc=0"), "{stdout}");
    assert!(
        parts[1].contains("P1: would be skipped: already accepted") && parts[1].contains("rc=0"),
        "{stdout}"
    );
    assert!(parts[2].contains("was not closed cleanly"), "{stdout}");
    assert!(parts[2].contains("journal.sqlite3-wal"), "{stdout}");
    assert!(parts[2].contains("rc=2"), "{stdout}");
    assert!(!parts[2].contains("permissions"), "{stdout}");
    assert_eq!(parts[3].trim(), "files\njournal.sqlite3", "{stdout}");
}
