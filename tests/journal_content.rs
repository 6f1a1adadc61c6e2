//! The journal remembers what was sent: the content of each notice (a corrected row is never
//! silently skipped), each attempt's request and answer bodies (`history show`), schema
//! upgrades of older journals, a history view that scales, and re-sending what failed from
//! `history --output csv`. Every test runs the built binary over loopback HTTP.

mod common;

use common::pty::{start, OnTerminal, Terminal};
use common::{json_lines, text, Env, Reply, Server};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

const CHANNEL: &str = "DEMO";

/// The binary against `url` with the test's journal, channel and no retries.
fn at(env: &Env, url: &str) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.args([
        "--base-url",
        url,
        "--policy-source",
        CHANNEL,
        "--retries",
        "0",
    ]);
    cmd
}

/// A loopback server that keeps every request body byte for byte and answers each with the
/// body `answer` makes of it (HTTP 200, JSON content type).
struct RawServer {
    url: String,
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl RawServer {
    fn start(answer: fn(&[u8]) -> Vec<u8>) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&bodies);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let seen = Arc::clone(&seen);
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                    let mut length = 0usize;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let line = line.trim_end();
                        if line.is_empty() {
                            break;
                        }
                        if let Some((name, value)) = line.split_once(':') {
                            if name.eq_ignore_ascii_case("content-length") {
                                length = value.trim().parse().unwrap_or(0);
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let reply = answer(&body);
                    seen.lock().unwrap().push(body);
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        reply.len()
                    );
                    let mut stream = stream;
                    let _ = stream.write_all(head.as_bytes());
                    let _ = stream.write_all(&reply);
                });
            }
        });
        RawServer { url, bodies }
    }

    fn bodies(&self) -> Vec<Vec<u8>> {
        self.bodies.lock().unwrap().clone()
    }
}

/// An acceptance echoing the request, with a description that is easy to find.
fn accept_echo(body: &[u8]) -> Vec<u8> {
    let request: Value = serde_json::from_slice(body).expect("a JSON request");
    common::deal(&request, "1", "accepted by the raw server")
        .to_string()
        .into_bytes()
}

/// The one notice `history show POLICY --json` prints.
fn show_json(env: &Env, args: &[&str]) -> Value {
    let out = env
        .cmd()
        .args(["history", "show"])
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 1, "{}", text(&out.stdout));
    lines.remove(0)
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
        at(&env, &server.url)
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
        let mut cmd = at(&env, &server.url);
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
    let first = at(&env, &server.url)
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
    let dry = at(&env, &server.url)
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
    let fixed = at(&env, &server.url)
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
        CHANNEL,
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
    let changed = at(&env, &server.url)
        .args(["send", "--policy", "P1", "--amount", "20"])
        .output()
        .unwrap();
    let err = text(&changed.stderr);
    assert_eq!(changed.status.code(), Some(2), "{err}");
    assert!(err.contains("may have reached the platform"), "{err}");
    assert!(err.contains("amount 10.00 → 20.00"), "{err}");
    assert_eq!(server.hits(), 1);
    let forced = at(&env, &server.url)
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
fn history_show_prints_the_request_exactly_as_the_server_received_it_and_the_answer() {
    let env = Env::new();
    let server = RawServer::start(accept_echo);
    let out = at(&env, &server.url)
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
    assert_eq!(shown["policySource"], CHANNEL);
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
    let server = RawServer::start(|_| vec![b'x'; 100 * 1024]);
    let out = at(&env, &server.url)
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
    let out = at(env, &server.url)
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
    let out = at(&env, &first.url)
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

/// The journal on a terminal: stdout is a pseudo-terminal, stderr a pipe.
fn history_on_terminal(env: &Env, args: &[&str]) -> (String, String) {
    let (terminal, slave) = Terminal::open();
    let mut cmd = env.std_cmd();
    cmd.arg("history")
        .args(args)
        .stdin(std::process::Stdio::null());
    let only_stdout = OnTerminal {
        stdin: false,
        stdout: true,
        stderr: false,
    };
    let out = start(cmd, slave, only_stdout).finish();
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
    let out = at(&env, &server.url)
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

/// Copies a committed journal fixture to the test's journal path.
fn fixture(env: &Env, name: &str) {
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::copy(from, env.journal()).expect("copy the fixture");
}

fn schema_version(env: &Env) -> i64 {
    let conn = rusqlite::Connection::open(env.journal()).unwrap();
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
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
    let out = at(&env, "http://127.0.0.1:18752")
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
    assert_eq!(schema_version(&env), 4);
    assert_eq!(states(&env), before);
    // The old attempts read with no bodies; the notice still shows whole.
    let shown = show_json(&env, &["ACC1"]);
    assert_eq!(shown["orderNo"], "ORDACC1");
    assert!(shown["attemptList"][0].get("request").is_none());
}

#[test]
fn a_version_1_journal_migrates_to_the_latest_in_one_go() {
    let env = Env::new();
    fixture(&env, "journal-v1.sqlite3");
    assert_eq!(schema_version(&env), 1);
    let out = at(&env, "http://127.0.0.1:18740")
        .args(["send", "--policy", "ACC1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("skipped"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(schema_version(&env), 4);
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
fn csv_output_is_for_history_only() {
    let env = Env::new();
    let out = env
        .cmd()
        .args([
            "--base-url",
            "http://127.0.0.1:9",
            "--policy-source",
            CHANNEL,
        ])
        .args(["send", "--policy", "P1", "--order-no", "O1", "-o", "csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--output csv is for `history`"));
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
        assert!(exported.contains(CHANNEL), "{exported}");
        let file = env.write(name, &export.stdout);
        // Another platform: nothing sent, the count and both platforms named.
        let other = Server::always(Reply::accept()).expect_hits(0);
        let out = at(&env, &other.url)
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
                "the row is for channel {CHANNEL}, but this run's channel is OTHER"
            )),
            "{stderr}"
        );
    }
    // The JSON Lines export is what batch reads: sent back to its own platform, both go.
    let file = env.path("failed.jsonl");
    let out = at(&env, &first.url)
        .arg("batch")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(first.hits(), 7);
}
