//! What the commands write, and when it cannot be written: results onto a full stdout, a
//! reader that leaves, a closed stderr, stdout and stderr in one file; and server text that
//! tries to drive the terminal, forge a line or hide itself, made visible where a person
//! reads it and kept exact in JSON.

mod common;

use common::{batch_to, history, json_lines, policies_csv, send_to, text, Env, Reply, Server};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

fn dev_full() -> std::fs::File {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full")
}

#[test]
fn batch_json_onto_a_full_stdout_stops_and_exits_3_with_nothing_in_doubt() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(40));
    let server = Server::always(Reply::Slow(
        Duration::from_millis(20),
        Box::new(Reply::accept()),
    ));
    let mut cmd = env.std_cmd();
    cmd.args(["--base-url", &server.url, "--policy-source", "HN_HT_QNW"])
        .args([
            "batch",
            "--generate-order-no",
            "--concurrency",
            "2",
            "--json",
        ])
        .arg(&file)
        .stdout(dev_full())
        .stderr(Stdio::piped());
    let out = cmd.output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("could not write the results to stdout")
            && stderr.contains("stopped starting new notices; the journal has every result"),
        "{stderr}"
    );
    assert!(server.hits() < 40, "new notices were still started");
    let in_doubt = history(&env, &["--outcome", "inDoubt"]);
    assert!(in_doubt.is_empty(), "{in_doubt:?}\n{stderr}");
    let accepted = history(&env, &["--outcome", "accepted"]);
    assert_eq!(
        accepted.len(),
        server.hits(),
        "every request sent is recorded with its answer"
    );
}

#[test]
fn validate_and_dry_run_onto_a_full_stdout_exit_3() {
    let env = Env::new();
    let csv = env.write("some.csv", "policyNo,amount\nP1,1.x\nP2,2.00\n");
    let out = env
        .std_cmd()
        .args(["validate"])
        .arg(&csv)
        .stdout(dev_full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("could not write the problems"));

    let server = Server::always(Reply::accept()).expect_hits(0);
    let good = env.write("good.csv", policies_csv(3));
    let out = env
        .std_cmd()
        .args(["--base-url", &server.url, "--policy-source", "HN_HT_QNW"])
        .args(["batch", "--dry-run", "--generate-order-no"])
        .arg(&good)
        .stdout(dev_full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("could not write the envelopes"));
}

#[test]
fn history_stops_quietly_when_its_reader_leaves_and_fails_on_a_full_disk() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let csv = env.write("many.csv", policies_csv(400));
    batch_to(&env, &server.url, &csv).assert().code(0);

    // `history | head -1`: the reader leaves after one line; that is its choice, not a failure.
    let mut child = env
        .std_cmd()
        .args(["history", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"policyNo\""), "{first}");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("error"),
        "{}",
        text(&out.stderr)
    );

    // A full disk is a failure: the history the user asked for was not written.
    let out = env
        .std_cmd()
        .args(["history", "--json"])
        .stdout(dev_full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("could not write the history"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_closed_stderr_under_v_is_ignored_and_the_notice_accepted() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let mut child = env
        .std_cmd()
        .args([
            "-v",
            "--base-url",
            &server.url,
            "--policy-source",
            "HN_HT_QNW",
        ])
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Closing the read end makes every write to stderr fail with EPIPE.
    drop(child.stderr.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("accepted"));
    let rows = history(&env, &[]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["state"], "accepted");
}

/// `batch … > log 2>&1`: result lines wait in a buffer while the run streams, and so do the
/// warnings; in one file each warning must still come after its own result line.
#[test]
fn in_one_file_for_stdout_and_stderr_each_warning_follows_its_result() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(30));
    // Answers that echo nothing: every notice draws warnings about its answer.
    let answer = r#"{"head":{"policySource":"HN_HT_QNW","respTime":1671435862121,"interfaceType":"recissionNotice","orderNo":"X","uuid":"X"},"secondRefundResp":{"dealCode":"1","dealDesc":"ok","policyNo":"X"}}"#;
    let server = Server::always(Reply::Raw(200, "application/json", answer.into()));
    let log_path = env.path("log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut cmd = env.std_cmd();
    cmd.args(["--base-url", &server.url, "--policy-source", "HN_HT_QNW"])
        .args(["batch", "--generate-order-no", "--concurrency", "4"])
        .arg(&file)
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    let status = cmd.status().unwrap();
    assert_eq!(status.code(), Some(0));
    let log = std::fs::read_to_string(&log_path).unwrap();
    let mut current: Option<&str> = None;
    let (mut results, mut warnings) = (0, 0);
    for line in log.lines() {
        if let Some(rest) = line.strip_prefix("accepted") {
            current = rest.split_whitespace().next();
            results += 1;
        } else if let Some(rest) = line.strip_prefix("warning: ") {
            let policy = rest.split(':').next();
            assert_eq!(policy, current, "a warning away from its result:\n{log}");
            warnings += 1;
        }
    }
    assert_eq!(results, 30, "{log}");
    assert!(warnings >= 30, "{log}");
}

// Server text that would act on the terminal

const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\nrejected  FAKE";

fn has_terminal_codes(bytes: &[u8]) -> bool {
    bytes.iter().any(|b| *b == 0x1b || *b == 0x07)
}

#[test]
fn a_hostile_deal_desc_cannot_drive_the_terminal_or_forge_a_line() {
    let env = Env::new();
    let server = Server::always(Reply::Deal("0", HOSTILE));
    let out = send_to(&env, &server.url)
        .args(["-v", "--policy", "P1", "--order-no", "O1"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(!has_terminal_codes(&out.stdout), "{:?}", text(&out.stdout));
    assert!(!has_terminal_codes(&out.stderr), "{:?}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout:?}");
    assert!(stdout.starts_with("rejected  P1"), "{stdout:?}");
    assert!(
        stdout.contains("\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\nrejected  FAKE"),
        "{stdout:?}"
    );
    // The -v trace keeps its own line structure around the escaped body.
    let stderr = text(&out.stderr);
    assert!(stderr.lines().any(|l| l.starts_with("< {")), "{stderr}");
    assert!(
        !stderr.lines().any(|l| l.starts_with("rejected")),
        "{stderr}"
    );

    // JSON stays exact.
    let out = send_to(&env, &server.url)
        .args(["--policy", "P2", "--order-no", "O2", "--json"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_eq!(json_lines(&out.stdout)[0]["dealDesc"], HOSTILE);

    // The history table, notices and attempts.
    for args in [&["history"][..], &["history", "--attempts"]] {
        let out = env.cmd().args(args).assert().code(0).get_output().clone();
        assert!(!has_terminal_codes(&out.stdout), "{:?}", text(&out.stdout));
        assert_eq!(text(&out.stdout).lines().count(), 3, "header and two rows");
    }
    let rows = history(&env, &[]);
    assert!(rows.iter().all(|r| r["dealDesc"] == HOSTILE));
}

#[test]
fn a_hostile_error_page_is_escaped_in_the_result_line() {
    let env = Env::new();
    let page = "\u{1b}]0;pwned\u{7}<html>down</html>\u{1b}[2J";
    let server = Server::always(Reply::Raw(500, "text/html", page.into()));
    let out = send_to(&env, &server.url)
        .args(["-v", "--retries", "0", "--policy", "P1", "--order-no", "O1"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert!(!has_terminal_codes(&out.stdout), "{:?}", text(&out.stdout));
    assert!(!has_terminal_codes(&out.stderr), "{:?}", text(&out.stderr));
    assert!(text(&out.stdout).contains("<html>down</html>"));
}

/// What a terminal acts on instead of showing: controls, a line separator, a zero-width
/// space, bidirectional overrides.
const INVISIBLE: &str =
    "a\u{1b}]0;x\u{7}b\rc\0d\u{202e}e\u{200b}f\u{2028}g\u{2066}h\u{9b}i\u{feff}j";

fn has_invisible(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
    })
}

#[test]
fn csv_reports_and_text_lines_escape_what_a_terminal_would_act_on_and_json_stays_exact() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(1));
    let server = Server::always(Reply::Deal("0", INVISIBLE));
    let report = env.path("report.csv");
    let out = batch_to(&env, &server.url, &file)
        .arg("--report")
        .arg(&report)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let line = text(&out.stdout);
    assert!(!has_invisible(&line), "{line:?}");
    assert!(
        line.contains("a\\u{1b}]0;x\\u{7}b\\rc\\u{0}d\\u{202e}e\\u{200b}f\\u{2028}g\\u{2066}h\\u{9b}i\\u{feff}j"),
        "{line:?}"
    );
    let csv = String::from_utf8(std::fs::read(&report).unwrap()).unwrap();
    // The report's own BOM and line ends aside.
    let body = csv.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    assert!(!has_invisible(&body), "{csv:?}");
    assert!(body.contains("a\\u{1b}]0;x\\u{7}b"), "{csv:?}");
    for args in [vec!["history"], vec!["history", "show", "P00001"]] {
        let out = env.cmd().args(&args).assert().code(0).get_output().clone();
        let shown = text(&out.stdout);
        assert!(shown.contains("a\\u{1b}]0;x"), "{args:?}: {shown:?}");
        assert!(!has_invisible(&shown), "{args:?}: {shown:?}");
    }
    // JSON (stdout and JSON Lines reports) carries the exact text.
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(1));
    let report = env.path("report.jsonl");
    let out = batch_to(&env, &server.url, &file)
        .args(["--json", "--report"])
        .arg(&report)
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_eq!(json_lines(&out.stdout)[0]["dealDesc"], INVISIBLE);
    assert_eq!(
        json_lines(&std::fs::read(&report).unwrap())[0]["dealDesc"],
        INVISIBLE
    );
}
