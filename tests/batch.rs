//! `batch` over real HTTP: validation before sending, the journal's guarantees under kill -9,
//! SIGTERM and two processes at once, encodings, reports.

mod common;

use common::{json_lines, text, Env, Gate, Reply, Running, Server};
use predicates::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::Path;
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

fn spawn_batch(env: &Env, args: &[&str]) -> Running {
    env.spawn(args)
}

/// The journal and the files SQLite keeps beside it.
fn journal_files(journal: &Path) -> Vec<std::path::PathBuf> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|suffix| {
            let mut name = journal.as_os_str().to_owned();
            name.push(suffix);
            std::path::PathBuf::from(name)
        })
        .collect()
}

#[test]
fn killed_mid_batch_then_rerun_loses_nothing_and_doubles_only_what_was_in_flight() {
    let env = Env::new();
    let file = env.write("cancellations.csv", policies_csv(1000));
    let file = file.to_str().unwrap();
    // 150 answers, then every request is held: the kill lands with requests in flight
    // however slow the machine.
    let held = Gate::new();
    let server = Server::start(vec![Reply::accept(); 150], held.hold(Reply::accept()));
    let mut args = batch_args(&server, file);
    args.extend(["--generate-order-no", "--concurrency", "4"]);
    let child = spawn_batch(&env, &args);
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
    let mut args = batch_args(&server, file);
    args.extend(["--generate-order-no", "--json"]);
    let run = |name: &str, concurrency: &str| {
        let mut own = args.clone();
        own.extend(["--concurrency", concurrency]);
        own.extend(["-H", name]);
        spawn_batch(&env, &own)
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
        .code(0)
        .stderr(predicate::str::contains("GB18030").not());
    let seen = server.seen();
    let mut sent: Vec<(&str, &str)> = seen
        .iter()
        .map(|s| (s.policy_no(), s.head("orderNo")))
        .collect();
    sent.sort_unstable();
    // The BOM is not part of the first column's name, so 保单号 is found and read.
    assert_eq!(sent, [("P2024000001", "QS001"), ("P2024000002", "QS002")]);
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
    for file in journal_files(&env.journal()) {
        assert!(!file.exists(), "an invalid run created {}", file.display());
    }
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
    // Four rows are answered; the next four are held until the run has taken the signal.
    let held = Gate::new();
    let server = Server::start(vec![Reply::accept(); 4], held.hold(Reply::accept()));
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
    let mut child = spawn_batch(&env, &args);
    server.wait_for_hits(8);
    child.signal(libc::SIGTERM);
    child.wait_for_stderr("stopping");
    held.open();
    let out = child.finish();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 400, "one result per row, notSent included");
    let count = |outcome: &str| results.iter().filter(|r| r["outcome"] == outcome).count();
    assert_eq!(
        count("accepted"),
        8,
        "every request in flight finished and was recorded"
    );
    assert_eq!(server.hits(), 8, "nothing new started after the signal");
    assert_eq!(count("notSent"), 392);
    assert!(
        text(&out.stderr).contains("400 notices: 8 accepted"),
        "the summary is printed: {}",
        text(&out.stderr)
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
        "\u{feff}line,policyNo,orderNo,secondRefundAmount,secondRefundDate,secondRefundStatus,\
         outcome,dealCode,dealDesc,httpStatus,attempts,uuid,elapsedMs,error,skipReason,\
         platform,endpoint,channel,sentAt"
    );
    assert!(
        lines[1].starts_with("2,P1,O1,,,,accepted,1,成功,200,1,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("3,P2,O2,,,,rejected,0,no,200,1,"),
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
fn the_json_lines_report_has_each_row_as_soon_as_its_result_arrives() {
    let env = Env::new();
    let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\nP2,O2\nP3,O3\n");
    let held = Gate::new();
    let server = Server::start(vec![Reply::accept()], held.hold(Reply::accept()));
    let report = env.path("report.jsonl");
    let mut args = batch_args(&server, file.to_str().unwrap());
    args.extend(["--concurrency", "1", "--report", report.to_str().unwrap()]);
    let mut child = spawn_batch(&env, &args);
    // P1 answered, P2 held: the run is still going, and P1 is in the report already.
    server.wait_for_hits(2);
    child.wait_for_stdout("P1");
    let start = Instant::now();
    let rows = loop {
        let rows = std::fs::read(&report)
            .map(|b| json_lines(&b))
            .unwrap_or_default();
        if !rows.is_empty() || start.elapsed() > common::PATIENCE {
            break rows;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["policyNo"], "P1");
    assert_eq!(rows[0]["outcome"], "accepted");
    assert_eq!(server.hits(), 2, "P2 is still held");
    held.open();
    let out = child.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows = json_lines(&std::fs::read(&report).unwrap());
    let policies: Vec<&str> = rows
        .iter()
        .map(|r| r["policyNo"].as_str().unwrap())
        .collect();
    assert_eq!(policies, ["P1", "P2", "P3"]);
}

#[test]
fn header_values_are_never_written_to_the_journal_or_the_report() {
    let env = Env::new();
    let key = env.write("key.txt", "s3cret-from-file\n");
    // One of each, twice: accepted, rejected, and failed with an error message.
    let replies = [
        Reply::accept(),
        Reply::Deal("0", "no"),
        Reply::Raw(400, "text/plain", "bad request".into()),
    ];
    let server = Server::start(
        replies.iter().chain(&replies).cloned().collect(),
        Reply::accept(),
    )
    .expect_hits(6);
    for (n, report) in [(1, "report.csv"), (4, "report.jsonl")] {
        let file = env.write(
            &format!("c{n}.csv"),
            format!(
                "policyNo,orderNo\nP{},O{}\nP{},O{}\nP{},O{}\n",
                n,
                n,
                n + 1,
                n + 1,
                n + 2,
                n + 2
            ),
        );
        let report = env.path(report);
        let out = env
            .cmd()
            .args(batch_args(&server, file.to_str().unwrap()))
            .args([
                "-v",
                "--concurrency",
                "1",
                "-H",
                "X-Gateway-Key: s3cret-inline",
            ])
            .arg("-H")
            .arg(format!("X-Other: @{}", key.display()))
            .arg("--report")
            .arg(&report)
            .assert()
            .code(3)
            .get_output()
            .clone();
        assert!(!text(&out.stdout).contains("s3cret"));
        assert!(!text(&out.stderr).contains("s3cret"));
        let written = text(&std::fs::read(&report).unwrap());
        assert!(written.contains("bad request"), "{written}");
        assert!(!written.contains("s3cret"), "{written}");
    }
    let seen = server.seen();
    assert!(seen
        .iter()
        .all(|s| s.header("x-gateway-key") == Some("s3cret-inline")
            && s.header("x-other") == Some("s3cret-from-file")));
    // Everything SQLite wrote, main file and WAL alike.
    let mut bytes = Vec::new();
    for file in journal_files(&env.journal()) {
        if let Ok(b) = std::fs::read(&file) {
            bytes.extend(b);
        }
    }
    let holds = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(
        holds(b"bad request"),
        "the journal holds what the run recorded"
    );
    assert!(!holds(b"s3cret"), "the journal holds a header value");
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
    let before = std::fs::read(env.journal()).unwrap();
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
    let mut args = batch_args(&server, file);
    args.extend(["--concurrency", "16", "--json"]);
    let child = spawn_batch(&env, &args);
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
        .args(batch_args(&server, file.to_str().unwrap()))
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
        .args(batch_args(&server, file.to_str().unwrap()))
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
        .args(batch_args(&server, bad.to_str().unwrap()))
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
