//! `batch` over real HTTP: validation before sending, the journal's guarantees under kill -9,
//! SIGTERM and two processes at once, encodings, reports.

mod common;

use common::{json_lines, text, Env, Reply, Server};
use predicates::prelude::*;
use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A CSV of `n` policies P000001…, without order numbers.
fn policies_csv(n: usize) -> String {
    let mut csv = String::from("policyNo,amount\n");
    for i in 1..=n {
        csv.push_str(&format!("P{i:06},{}.{:02}\n", i % 1000, i % 100));
    }
    csv
}

fn batch_args<'a>(server: &'a Server, file: &'a str) -> Vec<&'a str> {
    vec![
        "--base-url",
        &server.url,
        "--policy-source",
        "HN_HT_QNW",
        "batch",
        file,
    ]
}

/// Requests per policy, and the order numbers each carried.
fn by_policy(server: &Server) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for seen in server.seen() {
        map.entry(seen.policy_no().to_string())
            .or_default()
            .push(seen.head("orderNo").to_string());
    }
    map
}

fn wait_for_hits(server: &Server, n: usize) {
    let start = Instant::now();
    while server.hits() < n {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the server saw only {} requests",
            server.hits()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn spawn_batch(env: &Env, args: &[&str]) -> std::process::Child {
    env.std_cmd()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start avatar-cli")
}

#[test]
fn killed_mid_batch_then_rerun_loses_nothing_and_doubles_only_what_was_in_flight() {
    let env = Env::new();
    let file = env.write("cancellations.csv", policies_csv(1000));
    let file = file.to_str().unwrap();
    let server = Server::always(Reply::Slow(
        Duration::from_millis(10),
        Box::new(Reply::accept()),
    ));
    let mut args = batch_args(&server, file);
    args.extend(["--generate-order-no", "--concurrency", "4"]);
    let mut child = spawn_batch(&env, &args);
    wait_for_hits(&server, 150);
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let sent_before = server.hits();
    assert!(
        sent_before < 1000,
        "the batch finished before it could be killed"
    );

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
    let doubled: Vec<_> = seen.iter().filter(|(_, orders)| orders.len() > 1).collect();
    assert!(
        doubled.len() <= 4,
        "more than --concurrency policies sent twice: {doubled:?}"
    );
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
    let server = Server::always(Reply::Slow(
        Duration::from_millis(2),
        Box::new(Reply::accept()),
    ));
    let mut args = batch_args(&server, file);
    args.extend(["--generate-order-no", "--json"]);
    let a = spawn_batch(&env, &args);
    let b = spawn_batch(&env, &args);
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!(a.status.code(), Some(0), "{}", text(&a.stderr));
    assert_eq!(b.status.code(), Some(0), "{}", text(&b.stderr));
    let seen = by_policy(&server);
    assert_eq!(seen.len(), 300);
    assert!(
        seen.values().all(|orders| orders.len() == 1),
        "a policy was sent twice"
    );
    let accepted = [&a, &b]
        .iter()
        .flat_map(|o| json_lines(&o.stdout))
        .filter(|r| r["outcome"] == "accepted")
        .count();
    assert_eq!(
        accepted, 300,
        "each policy accepted by exactly one of the two runs"
    );
}

#[test]
fn gbk_csv_with_bom_and_chinese_headers_sends_the_right_policy_numbers() {
    let env = Env::new();
    let csv = "保单号,订单号,退费金额,退费日期\nP2024000001,QS001,10.2,2021-05-10 12:00:00\nP2024000002,QS002,0.5,2021-05-11 08:30:00\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(csv);
    let file = env.write("导出.csv", &gbk);
    let server = Server::always(Reply::accept()).expect_hits(2);
    env.cmd()
        .args(batch_args(&server, file.to_str().unwrap()))
        .assert()
        .code(0)
        .stderr(predicate::str::contains("GB18030"));
    let seen = server.seen();
    let mut policies: Vec<&str> = seen.iter().map(|s| s.policy_no()).collect();
    policies.sort_unstable();
    assert_eq!(policies, ["P2024000001", "P2024000002"]);
    assert!(seen
        .iter()
        .any(|s| s.body["secondRefundReq"]["secondRefundAmount"] == 10.2));

    // The same content as UTF-8 with Excel's BOM.
    let env = Env::new();
    let file = env.write("bom.csv", format!("\u{feff}{csv}"));
    let server = Server::always(Reply::accept()).expect_hits(2);
    env.cmd()
        .args(batch_args(&server, file.to_str().unwrap()))
        .assert()
        .code(0);
}

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
        .args(batch_args(&server, file))
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
}

#[test]
fn rerunning_a_finished_batch_sends_nothing_and_skips_every_row() {
    let env = Env::new();
    let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\nP2,O2\nP3,O3\n");
    let server = Server::always(Reply::accept()).expect_hits(3);
    let args = batch_args(&server, file.to_str().unwrap());
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
fn force_resends_under_the_journals_order_number() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(2);
    let first = env.write("first.csv", "policyNo,orderNo\nP1,O1\n");
    let again = env.write("again.csv", "policyNo\nP1\n");
    env.cmd()
        .args(batch_args(&server, first.to_str().unwrap()))
        .assert()
        .code(0);
    env.cmd()
        .args(batch_args(&server, again.to_str().unwrap()))
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
        .args(batch_args(&server, first.to_str().unwrap()))
        .assert()
        .code(1);
    env.cmd()
        .args(batch_args(&server, second.to_str().unwrap()))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("O1").and(predicate::str::contains("O2")))
        .stderr(predicate::str::contains("second.csv:2:"));
}

#[test]
fn sigterm_lets_requests_in_flight_finish_and_exits_130() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(400));
    let file = file.to_str().unwrap();
    let server = Server::always(Reply::Slow(
        Duration::from_millis(300),
        Box::new(Reply::accept()),
    ));
    let report = env.path("report.csv");
    let mut args = batch_args(&server, file);
    args.extend([
        "--generate-order-no",
        "--concurrency",
        "4",
        "--json",
        "--report",
        report.to_str().unwrap(),
    ]);
    let child = spawn_batch(&env, &args);
    wait_for_hits(&server, 6);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 400, "one result per row, notSent included");
    let sent = results
        .iter()
        .filter(|r| r["outcome"] == "accepted")
        .count();
    assert_eq!(
        sent,
        server.hits(),
        "every request in flight finished and was recorded"
    );
    assert!(results.iter().filter(|r| r["outcome"] == "notSent").count() >= 380);
    assert!(
        text(&out.stderr).contains("notices:"),
        "the summary is printed"
    );
    let rows = std::fs::read_to_string(&report).unwrap();
    assert_eq!(
        rows.lines().count(),
        401,
        "header plus one row per input row"
    );
    // Nothing in doubt: the rerun sends exactly the rest, each policy once in all.
    let out = env
        .cmd()
        .args(["history", "--json", "--outcome", "inDoubt"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(json_lines(&out.stdout).is_empty());
    // Same endpoint as the first run, many workers so the slow server does not drag.
    let mut rerun = batch_args(&server, file);
    rerun.extend(["--generate-order-no", "--concurrency", "64"]);
    env.cmd().args(&rerun).assert().code(0);
    let seen = by_policy(&server);
    assert_eq!(seen.len(), 400);
    assert!(
        seen.values().all(|orders| orders.len() == 1),
        "a policy was sent twice"
    );
}

#[test]
fn fail_fast_stops_after_the_first_rejection() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(50));
    let server = Server::start(vec![Reply::Deal("0", "拒绝")], Reply::accept());
    let mut args = batch_args(&server, file.to_str().unwrap());
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
fn the_report_has_one_row_per_input_row_with_the_documented_columns() {
    let env = Env::new();
    let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\nP2,O2\n");
    let server = Server::start(vec![Reply::accept()], Reply::Deal("0", "no"));
    let report = env.path("report.csv");
    env.cmd()
        .args(batch_args(&server, file.to_str().unwrap()))
        .args(["--concurrency", "1", "--report", report.to_str().unwrap()])
        .assert()
        .code(1);
    let report = std::fs::read_to_string(&report).unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(
        lines[0],
        "line,policyNo,orderNo,outcome,dealCode,dealDesc,httpStatus,attempts,uuid,elapsedMs,error"
    );
    assert!(
        lines[1].starts_with("2,P1,O1,accepted,1,成功,200,1,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("3,P2,O2,rejected,0,no,200,1,"),
        "{}",
        lines[2]
    );

    let jsonl = env.path("report.jsonl");
    let env2 = Env::new();
    env2.cmd()
        .args(batch_args(&server, file.to_str().unwrap()))
        .args(["--report", jsonl.to_str().unwrap()])
        .assert()
        .code(1);
    assert_eq!(json_lines(&std::fs::read(&jsonl).unwrap()).len(), 2);
}

#[test]
fn standard_input_and_json_lines_are_read() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(3);
    env.cmd()
        .args(batch_args(&server, "-"))
        .write_stdin("policyNo,orderNo\nP1,O1\nP2,O2\n")
        .assert()
        .code(0);
    let jsonl = env.write(
        "c.jsonl",
        "{\"policyNo\":\"P3\",\"orderNo\":\"O3\",\"secondRefundAmount\":10.2}\n",
    );
    env.cmd()
        .args(batch_args(&server, jsonl.to_str().unwrap()))
        .assert()
        .code(0);
    assert_eq!(
        server.seen()[2].body["secondRefundReq"]["secondRefundAmount"],
        10.2
    );
    env.cmd()
        .args(batch_args(&server, "-"))
        .write_stdin("policyNo\n\n")
        .assert()
        .code(0)
        .stderr(predicate::str::contains("0 notices"));
}

#[test]
fn dry_run_reads_the_journal_and_writes_nothing() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let first = env.write("first.csv", "policyNo,orderNo\nP1,O1\n");
    env.cmd()
        .args(batch_args(&server, first.to_str().unwrap()))
        .assert()
        .code(0);
    let both = env.write("both.csv", "policyNo,orderNo\nP1,O1\nP2,O2\n");
    let modified = std::fs::metadata(env.journal())
        .unwrap()
        .modified()
        .unwrap();
    let out = env
        .cmd()
        .args(batch_args(&server, both.to_str().unwrap()))
        .arg("--dry-run")
        .assert()
        .code(0)
        .stderr(predicate::str::contains("P1: would be skipped"))
        .get_output()
        .clone();
    let envelopes = json_lines(&out.stdout);
    assert_eq!(envelopes.len(), 1);
    assert_eq!(envelopes[0]["secondRefundReq"]["policyNo"], "P2");
    assert_eq!(
        std::fs::metadata(env.journal())
            .unwrap()
            .modified()
            .unwrap(),
        modified
    );
}

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
        .args(batch_args(&server, file.to_str().unwrap()))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("journal.sqlite3"));
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
            .args(batch_args(&server, file.to_str().unwrap()))
            .arg("--no-journal")
            .assert()
            .code(0);
    }
    assert!(!env.journal().exists());
}

#[test]
fn rate_caps_requests_per_second_across_workers() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(11));
    let server = Server::always(Reply::accept()).expect_hits(11);
    let mut args = batch_args(&server, file.to_str().unwrap());
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
fn a_missing_input_file_is_named() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    env.cmd()
        .args(batch_args(&server, "/nonexistent/cancellations.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/cancellations.csv"));
}
