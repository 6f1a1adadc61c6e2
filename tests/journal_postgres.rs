//! The PostgreSQL journal over the built binary, as tests/journal.rs, tests/chaos.rs and
//! tests/in_doubt.rs check the SQLite one: two processes on two machines' worth of homes share
//! one journal and send each notice once, under one orderNo; a run killed mid-batch leaves only
//! in-doubt notices, resent under their orderNo; changed content is refused; `history` in each
//! view and `doctor` read it. Each test has a database of its own on the server
//! `AVATAR_TEST_PG` names (tests/pg/start.sh starts one).

mod common;

#[path = "pg/testdb.rs"]
mod testdb;

use common::{by_policy, history_by, json_lines, text, Env, Reply, Server, CHANNEL};
use std::collections::HashSet;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};
use testdb::TestDb;

/// The binary in `env`'s home, its journal the database.
fn on(env: &Env, db: &TestDb) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.env("AVATAR_JOURNAL", &db.url);
    cmd
}

fn batch(env: &Env, db: &TestDb, server: &Server, csv: &std::path::Path, extra: &[&str]) -> Output {
    on(env, db)
        .args([
            "--base-url",
            &server.url,
            "--policy-source",
            CHANNEL,
            "batch",
        ])
        .arg(csv)
        .args(["--json"])
        .args(extra)
        .output()
        .unwrap()
}

fn rows(from: usize, to: usize) -> String {
    let mut csv = String::from("policyNo,amount\n");
    for i in from..to {
        csv.push_str(&format!("P{i:03},{i}.00\n"));
    }
    csv
}

#[test]
fn two_processes_with_homes_of_their_own_send_each_shared_notice_once() {
    let db = TestDb::create();
    let server = Server::always(Reply::Slow(
        Duration::from_millis(20),
        Box::new(Reply::accept()),
    ));
    let (a, b) = (Env::new(), Env::new());
    let csv_a = a.write("a.csv", rows(0, 60));
    let csv_b = b.write("b.csv", rows(30, 90));
    let start = |env: &Env, csv: &std::path::Path| {
        let mut cmd = env.std_cmd();
        cmd.env("AVATAR_JOURNAL", &db.url)
            .args(["--base-url", &server.url, "--policy-source", CHANNEL])
            .args(["batch", "--generate-order-no"])
            .arg(csv)
            .arg("--json")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().unwrap()
    };
    let (first, second) = (start(&a, &csv_a), start(&b, &csv_b));
    let (first, second) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );
    for out in [&first, &second] {
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let sent = by_policy(&server);
    assert_eq!(sent.len(), 90, "every policy reached the platform");
    for (policy, orders) in &sent {
        assert_eq!(orders.len(), 1, "{policy} was sent {orders:?}");
    }
    // Each shared notice: accepted by one run, skipped by the other, under the one orderNo.
    let results: Vec<_> = json_lines(&first.stdout)
        .into_iter()
        .chain(json_lines(&second.stdout))
        .filter(|r| r["type"] == "result")
        .collect();
    for r in &results {
        let policy = r["policyNo"].as_str().unwrap();
        assert_eq!(r["orderNo"].as_str().unwrap(), sent[policy][0], "{r}");
    }
    let accepted = results
        .iter()
        .filter(|r| r["outcome"] == "accepted")
        .count();
    assert_eq!(accepted, 90);
    let journal = history_by(on(&a, &db), &["--limit", "0"]);
    assert_eq!(journal.len(), 90);
    assert!(journal.iter().all(|n| n["state"] == "accepted"));
}

#[test]
fn a_batch_killed_mid_request_leaves_only_that_notice_in_doubt_and_resends_it_once() {
    let db = TestDb::create();
    let env = Env::new();
    // The third request hangs until the process is killed.
    let server = Server::start(
        vec![
            Reply::accept(),
            Reply::accept(),
            Reply::Slow(Duration::from_secs(120), Box::new(Reply::accept())),
        ],
        Reply::accept(),
    );
    let csv = env.write(
        "rows.csv",
        "policyNo,orderNo\nP1,O1\nP2,O2\nP3,O3\nP4,O4\nP5,O5\n",
    );
    let mut child = env
        .std_cmd()
        .env("AVATAR_JOURNAL", &db.url)
        .args(["--base-url", &server.url, "--policy-source", CHANNEL])
        .args(["batch", "--concurrency", "1"])
        .arg(&csv)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while server.hits() < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no third request"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();

    let before = by_policy(&server);
    // P3's request went out unanswered; P2's acceptance may not have been committed yet.
    let doubt: HashSet<String> = history_by(on(&env, &db), &["--outcome", "inDoubt"])
        .iter()
        .map(|n| n["policyNo"].as_str().unwrap().to_string())
        .collect();
    assert!(doubt.contains("P3") && doubt.len() <= 2, "{doubt:?}");
    let states: HashSet<String> = history_by(on(&env, &db), &[])
        .iter()
        .filter(|n| !doubt.contains(n["policyNo"].as_str().unwrap()))
        .map(|n| n["state"].as_str().unwrap().to_string())
        .collect();
    assert!(
        states.iter().all(|s| s == "accepted" || s == "notSent"),
        "only in-doubt notices may be left unsettled: {states:?}"
    );

    let again = batch(&env, &db, &server, &csv, &[]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    let sent = by_policy(&server);
    for i in 1..=5 {
        let policy = format!("P{i}");
        let earlier = before.get(&policy).map_or(0, Vec::len);
        // Sent again only when in doubt, or never sent; always under its one orderNo.
        let more = usize::from(doubt.contains(&policy) || earlier == 0);
        assert_eq!(sent[&policy].len(), earlier + more, "{policy}: {sent:?}");
        assert!(
            sent[&policy].iter().all(|o| *o == format!("O{i}")),
            "{sent:?}"
        );
    }
    let show = on(&env, &db)
        .args(["history", "show", "P3", "--json"])
        .output()
        .unwrap();
    assert_eq!(show.status.code(), Some(0), "{}", text(&show.stderr));
    let shown = text(&show.stdout);
    assert!(shown.contains("\"attempt\":2"), "{shown}");
}

#[test]
fn changed_content_after_acceptance_is_refused() {
    let db = TestDb::create();
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let first = env.write("first.csv", "policyNo,orderNo,amount\nP1,O1,10.00\n");
    let out = batch(&env, &db, &server, &first, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let changed = env.write("changed.csv", "policyNo,orderNo,amount\nP1,O1,20.00\n");
    let out = batch(&env, &db, &server, &changed, &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("amount 10.00 → 20.00"), "{err}");
}

#[test]
fn history_in_every_view_and_doctor_read_the_database() {
    let db = TestDb::create();
    let env = Env::new();
    let server = Server::start(vec![Reply::Deal("0", "rejected here")], Reply::accept());
    let csv = env.write("rows.csv", "policyNo,orderNo\nP1,O1\nP2,O2\n");
    let out = batch(&env, &db, &server, &csv, &["--concurrency", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));

    let notices = history_by(on(&env, &db), &[]);
    assert_eq!(notices.len(), 2);
    let rejected = history_by(on(&env, &db), &["--outcome", "rejected"]);
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["dealDesc"], "rejected here");
    let runs = history_by(on(&env, &db), &["runs"]);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["state"], "finished");
    assert_eq!(runs[0]["counts"]["accepted"], 1);
    let attempts = history_by(
        on(&env, &db),
        &["--run", runs[0]["runId"].as_str().unwrap(), "--attempts"],
    );
    assert_eq!(attempts.len(), 2);

    let csv_out = on(&env, &db)
        .args(["history", "--output", "csv"])
        .output()
        .unwrap();
    assert_eq!(csv_out.status.code(), Some(0), "{}", text(&csv_out.stderr));
    let csv_text = text(&csv_out.stdout);
    assert_eq!(csv_text.lines().count(), 3, "{csv_text}");
    assert!(
        csv_text.contains("O1") && csv_text.contains("O2"),
        "{csv_text}"
    );

    let doctor = on(&env, &db)
        .args([
            "--base-url",
            &server.url,
            "--policy-source",
            CHANNEL,
            "doctor",
        ])
        .output()
        .unwrap();
    let report = text(&doctor.stdout) + &text(&doctor.stderr);
    assert!(report.contains("schema version 5"), "{report}");
    assert!(report.contains("2 notices, 0 in doubt"), "{report}");
    assert!(!report.contains("s3cret"));
}

#[test]
fn a_password_in_the_url_is_never_shown() {
    let db = TestDb::create();
    let env = Env::new();
    // trust authentication ignores the password; it must still never be printed.
    let url = db.url.replacen("://postgres@", "://postgres:s3cret@", 1);
    let out = env
        .cmd()
        .env("AVATAR_JOURNAL", &url)
        .args(["config", "show"])
        .output()
        .unwrap();
    let shown = text(&out.stdout) + &text(&out.stderr);
    assert!(shown.contains("postgres:[redacted]@"), "{shown}");
    assert!(!shown.contains("s3cret"), "{shown}");
}

#[test]
fn journal_stats_backup_and_prune_name_the_way_to_do_it_in_postgresql() {
    let db = TestDb::create();
    let env = Env::new();
    let url = db.url.replacen("://postgres@", "://postgres:s3cret@", 1);
    let backup = env.path("copy.sqlite3").display().to_string();
    for args in [
        vec!["journal", "stats"],
        vec!["journal", "backup", backup.as_str()],
        vec!["journal", "prune", "--bodies-before", "2020-01-01"],
    ] {
        let out = env
            .cmd()
            .env("AVATAR_JOURNAL", &url)
            .args(&args)
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("is in PostgreSQL"), "{args:?}: {err}");
        assert!(err.contains("pg_dump"), "{args:?}: {err}");
        assert!(!err.contains("s3cret"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert!(!env.path("copy.sqlite3").exists());
}

#[test]
fn journal_copy_goes_both_ways_skips_what_is_there_and_refuses_another_order_no() {
    let db = TestDb::create();
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let send = |journal: &str, policy: &str, order: &str| {
        let out = env
            .cmd()
            .env("AVATAR_JOURNAL", journal)
            .args([
                "--base-url",
                &server.url,
                "--policy-source",
                CHANNEL,
                "send",
            ])
            .args(["--policy", policy, "--order-no", order])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    };
    let copy = |from: &str, to: &str, code: i32| env.run(&["journal", "copy", from, to], code);
    let file = env.journal().display().to_string();
    send(&file, "P1", "O1");
    send(&file, "P2", "O2");

    // SQLite into PostgreSQL, then again: all there already.
    let (out, _) = copy(&file, &db.url, 0);
    assert_eq!(
        out,
        "copied 2 notices, 2 attempts, 2 runs; 0 already there\n"
    );
    let (out, _) = copy(&file, &db.url, 0);
    assert_eq!(
        out,
        "copied 0 notices, 0 attempts, 0 runs; 4 already there\n"
    );
    assert_eq!(history_by(on(&env, &db), &[]).len(), 2);

    // What the database gained since goes back into a new file, with everything else.
    send(&db.url, "P3", "O3");
    let back = env.path("back.sqlite3").display().to_string();
    let (out, _) = copy(&db.url, &back, 0);
    assert_eq!(
        out,
        "copied 3 notices, 3 attempts, 3 runs; 0 already there\n"
    );
    let mut cmd = env.cmd();
    cmd.env("AVATAR_JOURNAL", &back);
    let copied = history_by(cmd, &["show", "P3"]);
    assert_eq!(copied[0]["orderNo"], "O3", "{copied:?}");
    // Bodies travel as they were sent and received, whatever each journal stores them as
    // (a SQLite journal packs them): P1's request and answer, there and back again.
    let bodies = |journal: &str| {
        let mut cmd = env.cmd();
        cmd.env("AVATAR_JOURNAL", journal);
        let shown = history_by(cmd, &["show", "P1"]);
        let attempt = &shown[0]["attemptList"][0];
        (attempt["request"].clone(), attempt["answer"].clone())
    };
    let original = bodies(&file);
    assert!(
        original
            .0
            .as_str()
            .is_some_and(|r| r.contains("\"policyNo\":\"P1\"")),
        "{original:?}"
    );
    assert!(
        original.1.as_str().is_some_and(|a| a.contains("dealCode")),
        "{original:?}"
    );
    assert_eq!(bodies(&db.url), original);
    assert_eq!(bodies(&back), original);

    // A journal that sent P1 under another orderNo is not merged: nothing is written.
    let other = env.path("other.sqlite3").display().to_string();
    send(&other, "P1", "O9");
    send(&other, "P4", "O4");
    let (out, err) = copy(&other, &db.url, 2);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("policy P1 (orderNo O1 there, O9 here)"),
        "{err}"
    );
    assert_eq!(history_by(on(&env, &db), &[]).len(), 3);
    assert_eq!(history_by(on(&env, &db), &["runs"]).len(), 3);
}
