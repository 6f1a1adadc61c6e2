//! `batch` over real HTTP: the whole file checked before anything is sent, concurrency and
//! rate, exit codes when outcomes mix, re-runs that send only what is left, kill -9 and two
//! processes on one journal, a file edited between the passes, dry runs, and the summary a run
//! ends with.

mod common;

use common::{
    by_policy, journal_files, json_lines, outcomes, policies_csv, policies_with_orders, snapshot,
    text, to, Env, Gate, Reply, Server,
};
use predicates::prelude::*;
use std::collections::HashSet;
use std::time::{Duration, Instant};

// Checked whole before anything is sent

#[test]
fn three_bad_rows_in_ten_thousand_are_all_named_and_nothing_is_sent() {
    let env = Env::new();
    let mut csv = String::from("policyNo,orderNo,amount,refund_date\n");
    for i in 1..=10_000 {
        let (amount, date) = match i {
            1234 => ("12.345", "2021-05-10 12:00:00"),
            5000 => ("1", "2021/05/10"),
            9000 => ("-3", "2021-05-10 12:00:00"),
            _ => ("1.5", "2021-05-10 12:00:00"),
        };
        csv.push_str(&format!("P{i:06},O{i:06},{amount},{date}\n"));
    }
    let file = env.write("big.csv", csv);
    let file = file.to_str().unwrap();
    let server = Server::always(Reply::accept()).expect_hits(0);
    // Data row i is on physical line i + 1.
    let lines = ["big.csv:1235:", "big.csv:5001:", "big.csv:9001:"];
    let out = env
        .cmd()
        .args(["validate", file])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    for line in lines {
        assert!(stdout.contains(line), "{line} missing from {stdout}");
    }
    let out = env
        .cmd()
        .args(server.batch_args(&[file]))
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = text(&out.stderr);
    for line in lines {
        assert!(stderr.contains(line), "{line} missing from {stderr}");
    }
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("nothing was sent"));
    for file in journal_files(&env.journal()) {
        assert!(!file.exists(), "an invalid run created {}", file.display());
    }
}

#[test]
fn a_row_edited_between_the_passes_behind_an_unchanged_size_and_time_is_not_sent() {
    let env = Env::new();
    // Rows of ~150 bytes: the edit lands past what the second pass reads ahead (its buffers,
    // and about a thousand rows waiting for the held requests).
    let long = "0".repeat(56);
    let mut csv = String::from("policyNo,orderNo,amount\n");
    for i in 1..=9000 {
        csv.push_str(&format!("P{i:06}-{long},O{i:06}-{long},1.50\n"));
    }
    let path = env.write("c.csv", csv);
    let file = path.to_str().unwrap();
    let held = Gate::new();
    let server = Server::start(vec![held.hold(Reply::accept()); 16], Reply::accept());
    let mut args = server.batch_args(&[file]);
    args.extend(["--concurrency", "16", "--json"]);
    let child = env.spawn(&args);
    server.wait_for_hits(16);
    // Row 8990 names another policy of the same length, and the file keeps its time: only a
    // comparison of the row itself can tell.
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let before = std::fs::read_to_string(&path).unwrap();
    let after = before.replace("P008990-", "X008990-");
    assert_eq!(before.len(), after.len());
    std::fs::write(&path, after).unwrap();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_modified(modified).unwrap();
    drop(f);
    held.open();
    let out = child.finish();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("c.csv:8991: not the row that was checked"),
        "{stderr}"
    );
    let seen: HashSet<String> = server
        .seen()
        .iter()
        .map(|s| s.policy_no()[..7].to_string())
        .collect();
    assert!(!seen.contains("X008990") && !seen.contains("P008990"));
    assert!(seen.contains("P008989") && seen.contains("P008991"));
    assert_eq!(
        json_lines(&out.stdout).len(),
        8999,
        "every other row has its result"
    );
}

// Concurrency, rate and exit codes

#[test]
fn concurrency_past_1024_is_refused_before_anything_is_sent() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(5));
    let server = Server::always(Reply::accept()).expect_hits(0);
    for n in ["1025", "2000", "1000000", "0"] {
        let mut args = server.batch_args(&[file.to_str().unwrap(), "--generate-order-no"]);
        args.extend(["--concurrency", n]);
        let (_, stderr) = env.run(&args, 2);
        assert!(stderr.contains("--concurrency"), "{n}: {stderr}");
        assert!(stderr.contains("from 1 to 1024"), "{n}: {stderr}");
    }
    assert!(!env.journal().exists());
}

#[test]
fn concurrency_past_1024_in_the_config_is_refused() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(5));
    let config = env.write("config.toml", "concurrency = 5000\n");
    let server = Server::always(Reply::accept()).expect_hits(0);
    let mut args = vec!["--config", config.to_str().unwrap()];
    args.extend(server.batch_args(&[file.to_str().unwrap(), "--generate-order-no"]));
    let (_, stderr) = env.run(&args, 2);
    assert!(
        stderr.contains("concurrency must be from 1 to 1024"),
        "{stderr}"
    );
}

#[test]
fn concurrency_1024_is_allowed_and_sends_every_row() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(5));
    let server = Server::always(Reply::accept()).expect_hits(5);
    let mut args = server.batch_args(&[file.to_str().unwrap(), "--generate-order-no"]);
    args.extend(["--concurrency", "1024"]);
    env.run(&args, 0);
}

#[test]
fn a_rate_out_of_range_is_a_usage_error_naming_the_range() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(3));
    let server = Server::always(Reply::accept()).expect_hits(0);
    for rate in [
        "1e-19", "1e-300", "0", "-5", "0.001", "100001", "1e300", "inf", "NaN", "fast",
    ] {
        let mut args = server.batch_args(&[file.to_str().unwrap(), "--generate-order-no"]);
        args.extend(["--rate", rate]);
        let (_, stderr) = env.run(&args, 2);
        assert!(stderr.contains("--rate"), "{rate}: {stderr}");
        assert!(stderr.contains("from 0.01 to 100000"), "{rate}: {stderr}");
        assert!(!stderr.contains("panicked"), "{rate}: {stderr}");
    }
}

#[test]
fn rates_at_both_ends_of_the_range_send() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(1));
    let server = Server::always(Reply::accept()).expect_hits(2);
    for rate in ["0.01", "100000"] {
        let mut args = server.batch_args(&[file.to_str().unwrap(), "--generate-order-no"]);
        args.extend(["--rate", rate, "--force"]);
        env.run(&args, 0);
    }
}

#[test]
fn rate_caps_requests_per_second_across_workers() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(11));
    let server = Server::always(Reply::accept()).expect_hits(11);
    let mut args = server.batch_args(&[file.to_str().unwrap()]);
    args.extend(["--generate-order-no", "--concurrency", "8", "--rate", "20"]);
    let start = Instant::now();
    env.cmd().args(&args).assert().code(0);
    // Eleven starts at 20 per second are at least ten intervals of 50 ms apart.
    assert!(
        start.elapsed() >= Duration::from_millis(500),
        "{:?}",
        start.elapsed()
    );
    env.cmd().args(&args).args(["--rate", "0"]).assert().code(2);
}

#[test]
fn fail_fast_stops_after_the_first_rejection() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(50));
    let server = Server::start(vec![Reply::Deal("0", "拒绝")], Reply::accept());
    let mut args = server.batch_args(&[file.to_str().unwrap()]);
    args.extend([
        "--generate-order-no",
        "--concurrency",
        "1",
        "--fail-fast",
        "--json",
    ]);
    let out = env.cmd().args(&args).assert().code(1).get_output().clone();
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 50);
    assert_eq!(results[0]["outcome"], "rejected");
    assert!(
        results[1..].iter().all(|r| r["outcome"] == "notSent"),
        "{results:?}"
    );
    assert_eq!(server.hits(), 1);
}

#[test]
fn mixed_outcomes_exit_with_the_first_code_that_applies() {
    // accepted + rejected: 1.
    let env = Env::new();
    let server = Server::start(
        vec![Reply::accept(), Reply::Deal("0", "no")],
        Reply::accept(),
    );
    let file = policies_with_orders(&env, 2);
    let mut args = to(&server);
    args.extend(["batch", &file, "--concurrency", "1"].map(String::from));
    env.cmd().args(&args).assert().code(1);

    // accepted + rejected + failed: 3.
    let env = Env::new();
    let server = Server::start(
        vec![
            Reply::accept(),
            Reply::Deal("0", "no"),
            Reply::Raw(400, "text/plain", "bad".into()),
        ],
        Reply::accept(),
    );
    let file = policies_with_orders(&env, 3);
    let mut args = to(&server);
    args.extend(["batch", &file, "--concurrency", "1"].map(String::from));
    env.cmd().args(&args).assert().code(3);

    // rejected + failed + accepted, then interrupted: 130.
    let env = Env::new();
    let held = Gate::new();
    let server = Server::start(
        vec![
            Reply::Deal("0", "no"),
            Reply::Raw(400, "text/plain", "bad".into()),
        ],
        held.hold(Reply::accept()),
    );
    let file = policies_with_orders(&env, 5);
    let mut args = to(&server);
    args.extend(["batch", &file, "--concurrency", "1", "--json"].map(String::from));
    let mut run = env.spawn(&args);
    server.wait_for_hits(3);
    run.signal(libc::SIGTERM);
    run.wait_for_stderr("stopping");
    held.open();
    let out = run.finish();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert_eq!(
        outcomes(&out),
        ["rejected", "failed", "accepted", "notSent", "notSent"]
    );
}

// Re-runs: what was settled is skipped, the rest is sent

#[test]
fn rerunning_a_finished_batch_sends_nothing_and_skips_every_row() {
    let env = Env::new();
    let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\nP2,O2\nP3,O3\n");
    let server = Server::always(Reply::accept()).expect_hits(3);
    let args = server.batch_args(&[file.to_str().unwrap()]);
    env.cmd().args(&args).assert().code(0);
    let out = env
        .cmd()
        .args(&args)
        .arg("--json")
        .assert()
        .code(0)
        .get_output()
        .clone();
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 3);
    for r in &results {
        assert_eq!(r["outcome"], "skipped");
        assert_eq!(r["attempts"], 0);
        assert!(r["uuid"].is_null());
        assert_eq!(r["dealCode"], "1");
    }
}

#[test]
fn a_rerun_with_new_rows_sends_only_those_and_reports_the_rest_as_accepted_earlier() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(3 + 2);
    let first = env.write("first.csv", "policyNo,orderNo\nP1,O1\nP2,O2\nP3,O3\n");
    env.cmd()
        .args(server.batch_args(&[first.to_str().unwrap(), "--json"]))
        .assert()
        .code(0);
    let again = env.write(
        "again.csv",
        "policyNo,orderNo\nP1,O1\nP4,O4\nP2,O2\nP5,O5\nP3,O3\n",
    );
    let out = env
        .cmd()
        .args(server.batch_args(&[again.to_str().unwrap(), "--json"]))
        .assert()
        .code(0)
        .get_output()
        .clone();
    let sent: Vec<String> = server
        .seen()
        .iter()
        .skip(3)
        .map(|s| s.policy_no().to_string())
        .collect();
    let mut sent_sorted = sent.clone();
    sent_sorted.sort();
    assert_eq!(sent_sorted, ["P4", "P5"], "sent in the re-run: {sent:?}");
    let mut results = json_lines(&out.stdout);
    results.sort_by_key(|r| r["line"].as_u64());
    let seen: Vec<(&str, &str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["policyNo"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
                r["orderNo"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("P1", "skipped", "O1"),
            ("P4", "accepted", "O4"),
            ("P2", "skipped", "O2"),
            ("P5", "accepted", "O5"),
            ("P3", "skipped", "O3"),
        ]
    );
    for r in results.iter().filter(|r| r["outcome"] == "skipped") {
        assert_eq!(r["dealCode"], "1", "{r}");
        assert_eq!(r["dealDesc"], "成功", "{r}");
        assert_eq!(r["attempts"], 0, "{r}");
    }
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("5 notices: 2 accepted, 3 skipped in "),
        "{stderr}"
    );
}

#[test]
fn a_forced_rerun_sends_every_row_again() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(4);
    let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\nP2,O2\n");
    let file = file.to_str().unwrap();
    env.cmd()
        .args(server.batch_args(&[file, "--json"]))
        .assert()
        .code(0);
    let out = env
        .cmd()
        .args(server.batch_args(&[file, "--json"]))
        .arg("--force")
        .assert()
        .code(0)
        .get_output()
        .clone();
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 2);
    assert!(
        results.iter().all(|r| r["outcome"] == "accepted"),
        "{results:?}"
    );
}

#[test]
fn force_resends_under_the_journals_order_number() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(2);
    let first = env.write("first.csv", "policyNo,orderNo\nP1,O1\n");
    let again = env.write("again.csv", "policyNo\nP1\n");
    env.cmd()
        .args(server.batch_args(&[first.to_str().unwrap()]))
        .assert()
        .code(0);
    env.cmd()
        .args(server.batch_args(&[again.to_str().unwrap()]))
        .arg("--force")
        .assert()
        .code(0);
    let orders: Vec<String> = server
        .seen()
        .iter()
        .map(|s| s.head("orderNo").to_string())
        .collect();
    assert_eq!(orders, ["O1", "O1"]);
}

#[test]
fn a_different_order_number_for_a_notice_already_sent_is_an_input_error_naming_both() {
    let env = Env::new();
    let server = Server::always(Reply::Deal("0", "稍后再试")).expect_hits(1);
    let first = env.write("first.csv", "policyNo,orderNo\nP1,O1\n");
    let second = env.write("second.csv", "policyNo,orderNo\nP1,O2\n");
    env.cmd()
        .args(server.batch_args(&[first.to_str().unwrap()]))
        .assert()
        .code(1);
    env.cmd()
        .args(server.batch_args(&[second.to_str().unwrap()]))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("O1").and(predicate::str::contains("O2")))
        .stderr(predicate::str::contains("second.csv:2:"));
}

/// Many chunks of rows: the first pass's lookups run on two threads past the first chunk, and
/// their results must come back in the file's order.
#[test]
fn a_long_file_is_judged_in_its_own_order_across_lookup_threads() {
    const ROWS: usize = 1500;
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(ROWS);
    let csv = |changed: &[usize]| {
        let mut text = String::from("policyNo,orderNo,amount\n");
        for i in 1..=ROWS {
            let amount = if changed.contains(&i) { "2.00" } else { "1.00" };
            text.push_str(&format!("P{i:05},O{i:05},{amount}\n"));
        }
        text
    };
    let first = env.write("first.csv", csv(&[]));
    let first = first.to_str().unwrap();
    env.cmd()
        .args(server.batch_args(&[first, "--json"]))
        .assert()
        .code(0);

    // Two rows whose amount changed since they were accepted: each named by its line, in
    // order, and nothing sent.
    let changed = env.write("changed.csv", csv(&[700, 1400]));
    let out = env
        .cmd()
        .args(server.batch_args(&[changed.to_str().unwrap(), "--json"]))
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("changed.csv:701: orderNo: policy P00700 was accepted")
            && stderr.contains("(and 1 more row like it, up to line 1401)")
            && stderr.contains("amount 1.00 → 2.00"),
        "{stderr}"
    );

    // The same file again: every row skipped, each with its own orderNo.
    let out = env
        .cmd()
        .args(server.batch_args(&[first, "--json"]))
        .assert()
        .code(0)
        .get_output()
        .clone();
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), ROWS);
    for r in &results {
        assert_eq!(r["outcome"], "skipped", "{r}");
        let policy = r["policyNo"].as_str().unwrap();
        let order = r["orderNo"].as_str().unwrap();
        assert_eq!(&policy[1..], &order[1..], "{r}");
    }
    assert_eq!(server.hits(), ROWS);
}

/// Where the settled rows cannot be written down (no temporary directory), every row goes the
/// engine's way: the accepted ones are still skipped by the claim, and nothing is sent twice.
#[test]
fn without_a_temporary_directory_a_rerun_still_skips_and_sends_nothing() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(2);
    let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\nP2,O2\n");
    let file = file.to_str().unwrap();
    env.cmd()
        .args(server.batch_args(&[file, "--json"]))
        .assert()
        .code(0);
    let out = env
        .cmd()
        .env("TMPDIR", env.path("no-such-directory"))
        .args(server.batch_args(&[file, "--json"]))
        .assert()
        .code(0)
        .get_output()
        .clone();
    let results = json_lines(&out.stdout);
    let seen: Vec<(&str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["outcome"].as_str().unwrap(),
                r["orderNo"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(seen.len(), 2, "{}", text(&out.stderr));
    assert!(
        seen.contains(&("skipped", "O1")) && seen.contains(&("skipped", "O2")),
        "{seen:?}"
    );
    assert_eq!(server.hits(), 2);
}

#[test]
fn dry_run_reads_the_journal_and_writes_nothing() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let first = env.write("first.csv", "policyNo,orderNo\nP1,O1\n");
    env.cmd()
        .args(server.batch_args(&[first.to_str().unwrap()]))
        .assert()
        .code(0);
    let both = env.write("both.csv", "policyNo,orderNo\nP1,O1\nP2,O2\n");
    let before = std::fs::read(env.journal()).unwrap();
    let out = env
        .cmd()
        .args(server.batch_args(&[both.to_str().unwrap()]))
        .arg("--dry-run")
        .assert()
        .code(0)
        .stderr(predicate::str::contains("P1: would be skipped"))
        .get_output()
        .clone();
    let envelopes = json_lines(&out.stdout);
    assert_eq!(envelopes.len(), 1);
    assert_eq!(envelopes[0]["secondRefundReq"]["policyNo"], "P2");
    assert!(
        std::fs::read(env.journal()).unwrap() == before,
        "the dry run changed the journal"
    );
    // A reader may leave SQLite's shared-memory index, but never a WAL with anything in it.
    let mut wal = env.journal().into_os_string();
    wal.push("-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal_len, 0, "the dry run wrote to the WAL");
}

// Killed, or two at once: each policy sent once, under one orderNo

#[test]
fn killed_mid_batch_then_rerun_loses_nothing_and_doubles_only_what_was_in_flight() {
    let env = Env::new();
    let file = env.write("cancellations.csv", policies_csv(1000));
    let file = file.to_str().unwrap();
    // 150 answers, then every request is held: the kill lands with requests in flight
    // however slow the machine.
    let held = Gate::new();
    let server = Server::start(vec![Reply::accept(); 150], held.hold(Reply::accept()));
    let mut args = server.batch_args(&[file]);
    args.extend(["--generate-order-no", "--concurrency", "4"]);
    let child = env.spawn(&args);
    server.wait_for_hits(151);
    child.kill();
    held.open();
    // What the journal holds in doubt: sent or about to be, no outcome recorded.
    let out = env
        .cmd()
        .args([
            "history",
            "--json",
            "--outcome",
            "inDoubt",
            "--limit",
            "2000",
        ])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let in_doubt: HashSet<String> = json_lines(&out.stdout)
        .iter()
        .map(|r| r["policyNo"].as_str().unwrap().to_string())
        .collect();

    let out = env
        .cmd()
        .args(&args)
        .arg("--json")
        .assert()
        .code(0)
        .get_output()
        .clone();
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 1000);
    assert!(results
        .iter()
        .all(|r| r["outcome"] == "accepted" || r["outcome"] == "skipped"));

    let seen = by_policy(&server);
    assert_eq!(seen.len(), 1000, "every policy reached the server");
    // Only a notice the journal held in doubt goes out again: the requests in flight, and
    // answers that came back but were not yet committed when the kill landed.
    let doubled: Vec<_> = seen.iter().filter(|(_, orders)| orders.len() > 1).collect();
    assert!(!doubled.is_empty(), "the requests in flight went out again");
    for (policy, orders) in &doubled {
        assert!(
            in_doubt.contains(*policy),
            "{policy} was recorded as answered, yet sent again: {orders:?}"
        );
        assert_eq!(orders.len(), 2, "{policy} sent more than twice");
    }
    for (policy, orders) in &seen {
        let distinct: HashSet<_> = orders.iter().collect();
        assert_eq!(
            distinct.len(),
            1,
            "{policy} went out under several orderNos: {orders:?}"
        );
    }
    // The journal agrees: every notice accepted.
    let out = env
        .cmd()
        .args(["history", "--json", "--outcome", "accepted"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert_eq!(json_lines(&out.stdout).len(), 1000);
}

#[test]
fn two_processes_on_one_file_and_journal_send_each_policy_once() {
    let env = Env::new();
    let file = env.write("cancellations.csv", policies_csv(300));
    let file = file.to_str().unwrap();
    // Every request is held until both runs have requests in flight at once.
    let held = Gate::new();
    let server = Server::always(held.hold(Reply::accept()));
    let mut args = server.batch_args(&[file]);
    args.extend(["--generate-order-no", "--json"]);
    let run = |name: &str, concurrency: &str| {
        let mut own = args.clone();
        own.extend(["--concurrency", concurrency]);
        own.extend(["-H", name]);
        env.spawn(&own)
    };
    // A has four requests in flight and, its workers claiming ahead, more rows claimed. B's
    // workers find those claimed and wait; the others fill B's eight slots with later rows:
    // twelve requests in flight, four from A and eight from B, no policy in both.
    let a = run("X-Run: A", "4");
    server.wait_for_hits(4);
    let b = run("X-Run: B", "8");
    server.wait_for_hits(12);
    let in_flight: Vec<String> = server
        .seen()
        .iter()
        .map(|s| s.header("x-run").unwrap_or("?").to_string())
        .collect();
    assert_eq!(
        in_flight.iter().filter(|r| *r == "A").count(),
        4,
        "{in_flight:?}"
    );
    assert_eq!(
        in_flight.iter().filter(|r| *r == "B").count(),
        8,
        "{in_flight:?}"
    );
    let policies: std::collections::HashSet<String> = server
        .seen()
        .iter()
        .map(|s| s.policy_no().to_string())
        .collect();
    assert_eq!(policies.len(), 12, "a policy in flight from both runs");
    held.open();
    let (a, b) = (a.finish(), b.finish());
    assert_eq!(a.status.code(), Some(0), "{}", text(&a.stderr));
    assert_eq!(b.status.code(), Some(0), "{}", text(&b.stderr));
    let seen = by_policy(&server);
    assert_eq!(seen.len(), 300);
    assert!(
        seen.values().all(|orders| orders.len() == 1),
        "a policy was sent twice"
    );
    let accepted = |o: &std::process::Output| {
        json_lines(&o.stdout)
            .iter()
            .filter(|r| r["outcome"] == "accepted")
            .count()
    };
    assert!(accepted(&a) >= 4 && accepted(&b) >= 4, "both runs sent");
    assert_eq!(
        accepted(&a) + accepted(&b),
        300,
        "each policy accepted by exactly one of the two runs"
    );
    for out in [&a, &b] {
        let results = json_lines(&out.stdout);
        assert_eq!(results.len(), 300);
        assert!(results
            .iter()
            .all(|r| r["outcome"] == "accepted" || r["outcome"] == "skipped"));
    }
}

// The summary

/// `--json`: every result says it is one, and the run ends with one summary line that says
/// what the exit code hides, where the notices went and by whose word, and which run it was.
#[test]
fn a_json_run_ends_with_one_summary_that_says_what_the_exit_code_hides() {
    let env = Env::new();
    // P1 accepted, P2 rejected, P3 answered 404 (failed): exit 3, which hides the rejection.
    let server = Server::start(
        vec![
            Reply::accept(),
            Reply::Deal("0", "no"),
            Reply::Raw(404, "text/plain", "gone".into()),
        ],
        Reply::accept(),
    )
    .expect_hits(4);
    let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\nP2,O2\nP3,O3\n");
    let out = env
        .cmd()
        .args(server.batch_args(&[file.to_str().unwrap()]))
        .args(["--concurrency", "1", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r["type"] == "result"), "{results:?}");
    let summary = common::summary_line(&out.stdout);
    assert_eq!(summary["exitCode"], 3);
    let counts = &summary["counts"];
    assert_eq!(
        (
            &counts["accepted"],
            &counts["rejected"],
            &counts["failed"],
            &counts["skipped"],
            &counts["notSent"],
            &counts["rejectedEarlier"],
            &counts["total"]
        ),
        (
            &1.into(),
            &1.into(),
            &1.into(),
            &0.into(),
            &0.into(),
            &0.into(),
            &3.into()
        )
    );
    assert_eq!(
        summary["platform"]["endpoint"],
        format!("{}/avatar/refund/second/refundNotice", server.url)
    );
    assert_eq!(summary["platform"]["source"], "flag --base-url");
    assert_eq!(summary["platform"]["production"], false);
    assert!(summary["platform"]["name"].is_null());
    assert_eq!(summary["channel"], "HN_HT_QNW");
    assert_eq!(summary["interrupted"], false);
    let run_id = summary["runId"].as_str().unwrap().to_string();
    assert_eq!(run_id.len(), 12, "{summary}");
    for at in ["startedAt", "endedAt"] {
        let t = summary[at].as_str().unwrap();
        assert!(
            t.ends_with("+08:00") && chrono::DateTime::parse_from_rfc3339(t).is_ok(),
            "{t}"
        );
    }
    assert!(summary["startedAt"].as_str() <= summary["endedAt"].as_str());
    // The next run: P3 is sent again, P2 skipped as rejected earlier and counted apart; the
    // run exits 1 for it; another run id.
    let out = env
        .cmd()
        .args(server.batch_args(&[file.to_str().unwrap()]))
        .args(["--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let summary = common::summary_line(&out.stdout);
    assert_eq!(summary["exitCode"], 1);
    assert_eq!(summary["counts"]["accepted"], 1);
    assert_eq!(summary["counts"]["rejectedEarlier"], 1);
    assert_eq!(summary["counts"]["skipped"], 2, "{summary}");
    assert_ne!(summary["runId"], run_id.as_str());
    // A refused run (nothing sent) still ends with a summary, exit 2 and why.
    let bad = env.write("bad.csv", "policyNo,amount\nP9,ten\n");
    let out = env
        .cmd()
        .args(server.batch_args(&[bad.to_str().unwrap()]))
        .args(["--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let summary = common::summary_line(&out.stdout);
    assert_eq!(summary["exitCode"], 2);
    assert_eq!(summary["counts"]["total"], 0);
    assert!(
        summary["error"]
            .as_str()
            .unwrap()
            .contains("nothing was sent"),
        "{summary}"
    );
}

/// A run as a script's log shows it, whole: every result line on stdout, then the warnings
/// and the summary on stderr, with the times, rates and the server's port replaced
/// (tests/common/snapshot.rs). The first run of a file meets every outcome; the next one
/// skips what was settled, sends the rest again and says what it skipped; a run that stops at
/// the first rejection says how to resume.
#[test]
fn a_runs_result_lines_and_summary_are_as_committed() {
    let env = Env::new();
    let server = Server::start(
        vec![
            Reply::accept(),
            Reply::Deal("0", "保单不存在"),
            Reply::Raw(400, "text/plain", "bad request".into()),
            Reply::Raw(200, "text/html", "<html>maintenance</html>".into()),
        ],
        Reply::accept(),
    );
    let file = env.write(
        "c.csv",
        "policyNo,orderNo,amount\nP1,O1,10.20\nP2,O2,5\nP3,O3,1\nP4,O4,2.50\nP5,O5,7\n",
    );
    let run = |extra: &[&str]| {
        let out = env
            .cmd()
            .args(server.batch_args(&[file.to_str().unwrap(), "--concurrency", "1"]))
            .args(["--retries", "0"])
            .args(extra)
            .output()
            .unwrap();
        format!(
            "exit code {}\n--- stdout\n{}--- stderr\n{}",
            out.status.code().unwrap_or(-1),
            text(&out.stdout),
            text(&out.stderr)
        )
    };
    snapshot::settings(&env).bind(|| {
        insta::assert_snapshot!("summary_of_a_first_run", run(&[]));
        insta::assert_snapshot!("summary_of_the_next_run", run(&[]));
        let stops = env.write("stops.csv", "policyNo,orderNo\nP6,O6\nP7,O7\nP8,O8\n");
        let rejects = Server::start(vec![Reply::Deal("0", "拒绝")], Reply::accept());
        let out = env
            .cmd()
            .args(rejects.batch_args(&[stops.to_str().unwrap(), "--fail-fast"]))
            .args(["--concurrency", "1"])
            .output()
            .unwrap();
        insta::assert_snapshot!(
            "summary_of_a_run_stopped_early",
            format!("{}{}", text(&out.stdout), text(&out.stderr))
        );
    });
}
