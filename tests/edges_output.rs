//! Honest exits and output that cannot be turned against its reader: answers too large to
//! read, a 2xx answer cut short, results that cannot be written, reports that would destroy
//! their input or the journal, and server text that tries to drive the terminal or a
//! spreadsheet.

mod common;

use common::{deal, json_lines, text, Env, Reply, Server};
use predicates::prelude::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// A loopback server that hands each request's socket to `reply`, which writes whatever raw
/// bytes the test needs (a cut-short body, a stall, 5 MB); the connection closes after it.
struct RawServer {
    url: String,
    seen: Arc<Mutex<Vec<Value>>>,
}

type Replier = dyn Fn(usize, &Value, &mut TcpStream) + Send + Sync;

impl RawServer {
    fn start(reply: impl Fn(usize, &Value, &mut TcpStream) + Send + Sync + 'static) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let reply: Arc<Replier> = Arc::new(reply);
        let shared = Arc::clone(&seen);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let seen = Arc::clone(&shared);
                let reply = Arc::clone(&reply);
                thread::spawn(move || {
                    let Some(request) = read_request(&stream) else {
                        return;
                    };
                    let n = {
                        let mut seen = seen.lock().unwrap();
                        seen.push(request.clone());
                        seen.len() - 1
                    };
                    let mut stream = stream;
                    reply(n, &request, &mut stream);
                });
            }
        });
        RawServer { url, seen }
    }

    fn seen(&self) -> Vec<Value> {
        self.seen.lock().unwrap().clone()
    }

    fn hits(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

fn read_request(stream: &TcpStream) -> Option<Value> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    let mut length = 0;
    reader.read_line(&mut line).ok()?;
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// A status line and headers; `length: None` leaves Content-Length out (the body then ends
/// when the connection closes).
fn head(status: u16, length: Option<usize>) -> String {
    let length = length.map_or(String::new(), |n| format!("content-length: {n}\r\n"));
    format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json;charset=UTF-8\r\nconnection: close\r\n{length}\r\n"
    )
}

/// A whole answer with this body.
fn whole(stream: &mut TcpStream, status: u16, body: &[u8]) {
    let _ = stream.write_all(head(status, Some(body.len())).as_bytes());
    let _ = stream.write_all(body);
}

/// Waits (for the client to hang up) instead of answering further; never longer than a minute.
fn stall(stream: &mut TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
    let _ = stream.read(&mut [0; 1]);
}

fn send_to(env: &Env, url: &str) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.args(["--base-url", url, "--policy-source", "HN_HT_QNW", "send"]);
    cmd
}

fn batch_to(env: &Env, url: &str, file: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.args(["--base-url", url, "--policy-source", "HN_HT_QNW", "batch"])
        .arg(file)
        .arg("--generate-order-no");
    cmd
}

fn policies_csv(n: usize) -> String {
    let mut csv = String::from("policyNo\n");
    for i in 1..=n {
        csv.push_str(&format!("P{i:05}\n"));
    }
    csv
}

/// `history --json` rows, optionally only those in `state`.
fn history(env: &Env, state: Option<&str>) -> Vec<Value> {
    let mut cmd = env.cmd();
    cmd.args(["history", "--json"]);
    if let Some(state) = state {
        cmd.args(["--outcome", state]);
    }
    let out = cmd.assert().code(0).get_output().clone();
    json_lines(&out.stdout)
}

fn dev_full() -> std::fs::File {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full")
}

// 6. The answer is read in chunks, at most 1 MiB of it.

#[test]
fn an_answer_larger_than_1_mib_is_not_retried_and_leaves_the_notice_in_doubt() {
    let big = vec![b'x'; 5 * 1024 * 1024];
    for (status, with_length) in [(200, true), (200, false), (503, true), (503, false)] {
        let env = Env::new();
        let body = big.clone();
        let server = RawServer::start(move |_, _, stream| {
            let _ = stream.write_all(head(status, with_length.then_some(body.len())).as_bytes());
            let _ = stream.write_all(&body);
        });
        let out = send_to(&env, &server.url)
            .args([
                "--retries",
                "3",
                "--policy",
                "P1",
                "--order-no",
                "O1",
                "--json",
            ])
            .assert()
            .code(3)
            .get_output()
            .clone();
        let result = &json_lines(&out.stdout)[0];
        let case = format!("HTTP {status}, length given: {with_length}");
        // Not read whole, so nothing says the platform did not take it.
        assert_eq!(result["outcome"], "inDoubt", "{case}");
        assert_eq!(history(&env, Some("inDoubt")).len(), 1, "{case}");
        assert!(
            result["error"]
                .as_str()
                .unwrap()
                .contains("answer larger than 1 MiB"),
            "{case}: {result}"
        );
        assert_eq!(server.hits(), 1, "{case}: not retried");
    }
}

// 11. No write may panic; results that cannot be written stop the run with exit 3.

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
    let in_doubt = history(&env, Some("inDoubt"));
    assert!(in_doubt.is_empty(), "{in_doubt:?}\n{stderr}");
    let accepted = history(&env, Some("accepted"));
    assert_eq!(
        accepted.len(),
        server.hits(),
        "every request sent is recorded with its answer"
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
    let rows = history(&env, None);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["state"], "accepted");
}

/// `batch` whose files may not grow past `bytes`, as on a disk that fills up; without a
/// journal, which would hit the limit too. SIGXFSZ is ignored so that the write fails (EFBIG)
/// instead of killing the process.
fn batch_with_file_limit(
    env: &Env,
    url: &str,
    file: &std::path::Path,
    bytes: u64,
) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = env.std_cmd();
    cmd.args([
        "--base-url",
        url,
        "--policy-source",
        "HN_HT_QNW",
        "--no-journal",
    ])
    .args(["batch", "--generate-order-no"])
    .arg(file)
    .stdin(Stdio::null());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

#[test]
fn a_report_on_a_full_disk_exits_3() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(3));
    let server = Server::always(Reply::accept()).expect_hits(0);
    // CSV: the header cannot be written, so nothing is sent.
    let out = batch_with_file_limit(&env, &server.url, &file, 0)
        .arg("--report")
        .arg(env.path("report.csv"))
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("could not write the report"), "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
}

#[test]
fn a_jsonl_report_that_fails_mid_run_stops_the_run_with_exit_3() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(40));
    let server = Server::always(Reply::accept());
    // Room for a few rows of the report, not for forty.
    let out = batch_with_file_limit(&env, &server.url, &file, 2048)
        .args(["--concurrency", "1", "--report"])
        .arg(env.path("report.jsonl"))
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("could not write the report"), "{stderr}");
    assert!(stderr.contains("stopped starting new notices"), "{stderr}");
    assert!(server.hits() < 40, "new notices were still started");
}

// 12. A 2xx status line means the platform took the request: never retried within the run.

fn cut_short(stalls: bool) {
    let env = Env::new();
    let server = RawServer::start(move |n, request, stream| {
        if n > 0 {
            return whole(
                stream,
                200,
                deal(request, "1", "成功").to_string().as_bytes(),
            );
        }
        let _ = stream.write_all(head(200, Some(500)).as_bytes());
        let _ = stream.write_all(b"{\"head\":{");
        if stalls {
            stall(stream);
        }
    });
    let out = send_to(&env, &server.url)
        .args(["--timeout", "1", "--retries", "3", "--policy", "P1"])
        .args(["--generate-order-no", "--json"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let result = &json_lines(&out.stdout)[0];
    assert_eq!(server.hits(), 1, "a 2xx answer was retried");
    assert_eq!(result["outcome"], "inDoubt");
    assert_eq!(result["httpStatus"], 200);
    let error = result["error"].as_str().unwrap();
    assert!(error.contains("may have reached the platform"), "{error}");
    let doubt = history(&env, Some("inDoubt"));
    assert_eq!(doubt.len(), 1, "{:?}", history(&env, None));
    // The next run resends it, under the same orderNo.
    send_to(&env, &server.url)
        .args(["--policy", "P1", "--generate-order-no"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("accepted"));
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0]["head"]["orderNo"], seen[1]["head"]["orderNo"]);
    assert_eq!(seen[1]["head"]["orderNo"], doubt[0]["orderNo"]);
}

#[test]
fn a_2xx_answer_cut_short_is_not_retried_and_left_in_doubt() {
    cut_short(false);
}

#[test]
fn a_2xx_answer_that_stalls_is_not_retried_and_left_in_doubt() {
    cut_short(true);
}

#[test]
fn a_timeout_after_the_request_was_sent_says_the_platform_may_have_it() {
    let env = Env::new();
    let server = RawServer::start(|_, _, stream| stall(stream));
    let out = send_to(&env, &server.url)
        .args(["--timeout", "1", "--retries", "1", "--policy", "P1"])
        .args(["--order-no", "O1", "--json"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let result = &json_lines(&out.stdout)[0];
    assert_eq!(result["outcome"], "inDoubt", "{result}");
    let error = result["error"].as_str().unwrap();
    assert!(
        error.contains("timed out waiting for the answer")
            && error.contains("it may have reached the platform"),
        "{error}"
    );
    // Still retried, under the same orderNo.
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s["head"]["orderNo"] == "O1"));
}

// 14. A report never overwrites the input or the journal.

#[test]
fn a_report_onto_the_input_is_refused_before_anything_happens() {
    let env = Env::new();
    let csv = policies_csv(2);
    let file = env.write("c.csv", &csv);
    let server = Server::always(Reply::accept()).expect_hits(0);
    batch_to(&env, &server.url, &file)
        .arg("--report")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--report"))
        .stderr(predicate::str::contains("input file"));
    // The same file under another name, and as standard input.
    let alias = env.path("alias.csv");
    std::fs::hard_link(&file, &alias).unwrap();
    let out = env
        .std_cmd()
        .args(["--base-url", &server.url, "--policy-source", "HN_HT_QNW"])
        .args(["batch", "-", "--generate-order-no", "--report"])
        .arg(&alias)
        .stdin(std::fs::File::open(&file).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("standard input"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv);
    assert!(!env.journal().exists(), "no journal was created");
}

#[test]
fn a_report_onto_the_journal_is_refused_before_anything_happens() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(2));
    let server = Server::always(Reply::accept());
    // No journal yet: the report would be created where the journal is about to be.
    batch_to(&env, &server.url, &file)
        .arg("--report")
        .arg(env.journal())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("journal"));
    assert!(!env.journal().exists());
    assert_eq!(server.hits(), 0);
    batch_to(&env, &server.url, &file).assert().code(0);
    assert_eq!(server.hits(), 2);
    let journal = env.journal();
    let wal = env.path("journal.sqlite3-wal");
    let other = env.path("journal-link.sqlite3");
    std::fs::hard_link(&journal, &other).unwrap();
    for report in [&journal, &wal, &other] {
        let before = std::fs::read(&journal).unwrap();
        batch_to(&env, &server.url, &file)
            .arg("--report")
            .arg(report)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("journal"));
        assert_eq!(std::fs::read(&journal).unwrap(), before, "{report:?}");
    }
    assert_eq!(history(&env, Some("accepted")).len(), 2);
    assert_eq!(server.hits(), 2);
}

/// A batch of `rows` with `--report report`, which must be refused before anything happens;
/// a hang (a FIFO opened for writing) fails the test instead of blocking it.
fn report_refused(env: &Env, server: &Server, report: &std::path::Path, why: &str) {
    let file = env.write("c.csv", policies_csv(2));
    let hits = server.hits();
    let out = batch_to(env, &server.url, &file)
        .timeout(Duration::from_secs(20))
        .arg("--report")
        .arg(report)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--report") && stderr.contains(why),
        "{report:?}: {stderr}"
    );
    assert_eq!(server.hits(), hits, "{report:?}: something was sent");
}

#[test]
fn a_report_that_leads_onto_a_journal_file_by_a_dangling_link_or_dots_is_refused() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let journal = env.journal();
    let link = env.path("rep.csv");
    let sub = env.path("sub");
    std::fs::create_dir(&sub).unwrap();
    // Before the journal exists, and again once it does: its side files come and go.
    for round in 0..2 {
        for side in [
            "journal.sqlite3-wal",
            "journal.sqlite3-shm",
            "journal.sqlite3",
        ] {
            let _ = std::fs::remove_file(&link);
            // Dangling while the side file does not exist: creating the report would create
            // it, as the journal's.
            std::os::unix::fs::symlink(side, &link).unwrap();
            report_refused(&env, &server, &link, "the journal file");
            report_refused(
                &env,
                &server,
                &sub.join("..").join(side),
                "the journal file",
            );
        }
        if round == 0 {
            assert!(!journal.exists(), "no journal was created");
            batch_to(&env, &server.url, &env.write("first.csv", "policyNo\nF1\n"))
                .assert()
                .code(0);
        }
    }
    // The journal is whole: its notice is there, and the next run skips it.
    assert_eq!(history(&env, Some("accepted")).len(), 1);
    assert_eq!(server.hits(), 1);
}

#[test]
fn a_report_that_is_a_fifo_a_device_or_a_directory_is_refused_without_hanging() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let fifo = env.path("report.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    report_refused(&env, &server, &fifo, "a FIFO");
    let link = env.path("to-fifo.csv");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    report_refused(&env, &server, &link, "a FIFO");
    report_refused(&env, &server, std::path::Path::new("/dev/null"), "a device");
    report_refused(&env, &server, env.dir.path(), "a directory");
    assert!(!env.journal().exists(), "no journal was created");
}

// 16. Server text reaches the terminal with its control characters made visible.

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
    let rows = history(&env, None);
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

// 17. A CSV report cannot smuggle a formula into a spreadsheet.

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

#[test]
fn csv_report_cells_that_a_spreadsheet_would_run_are_made_text() {
    let descs = [
        "=HYPERLINK(\"http://x\",\"y\")",
        "+1+1",
        "-1+1",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "成功",
    ];
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(descs.len()));
    let script = descs.iter().map(|d| Reply::Deal("1", d)).collect();
    let server = Server::start(script, Reply::accept());
    let report = env.path("report.csv");
    batch_to(&env, &server.url, &file)
        .args(["--concurrency", "1", "--report"])
        .arg(&report)
        .assert()
        .code(0);
    let mut reader = csv::Reader::from_path(&report).unwrap();
    let got: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[8].to_string())
        .collect();
    let want: Vec<String> = descs
        .iter()
        .map(|d| match *d {
            "成功" => d.to_string(),
            // Escaped like every control character, so no longer a formula's start.
            "\tx" => "\\tx".to_string(),
            "\rx" => "\\rx".to_string(),
            _ => format!("'{d}"),
        })
        .collect();
    assert_eq!(got, want);

    // JSON Lines reports stay exact.
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(1));
    let server = Server::always(Reply::Deal("1", descs[0]));
    let report = env.path("report.jsonl");
    batch_to(&env, &server.url, &file)
        .arg("--report")
        .arg(&report)
        .assert()
        .code(0);
    let rows = json_lines(&std::fs::read(&report).unwrap());
    assert_eq!(rows[0]["dealDesc"], descs[0]);
}

// The answer's echo and clock: reported, never trusted silently.

type Change = dyn Fn(&mut Value) + Send + Sync;

/// Answers each request with `change` applied to a proper answer.
fn answering(change: impl Fn(&mut Value) + Send + Sync + 'static) -> RawServer {
    RawServer::start(move |_, request, stream| {
        let mut answer = deal(request, "1", "成功");
        change(&mut answer);
        whole(stream, 200, answer.to_string().as_bytes());
    })
}

#[test]
fn a_resp_time_that_is_no_time_is_a_warning() {
    for raw in [json!(1e300), json!(i64::MIN), json!("9999-99-99 99:99:99")] {
        let env = Env::new();
        let value = raw.clone();
        let server = answering(move |a| a["head"]["respTime"] = value.clone());
        let out = send_to(&env, &server.url)
            .args(["--policy", "P1", "--order-no", "O1", "--json"])
            .assert()
            .code(0)
            .get_output()
            .clone();
        let result = &json_lines(&out.stdout)[0];
        assert_eq!(result["outcome"], "accepted");
        let warnings = result["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 1, "{raw}: {warnings:?}");
        assert!(
            warnings[0].as_str().unwrap().contains("is not a time"),
            "{raw}: {warnings:?}"
        );
        assert!(text(&out.stderr).contains("respTime"), "{raw}");
    }
}

#[test]
fn a_wrong_or_missing_echoed_order_no_is_a_warning() {
    let cases: [(&str, Box<Change>); 2] = [
        (
            "the answer's orderNo 'WRONG' does not match the request's 'O1'",
            Box::new(|a| a["head"]["orderNo"] = json!("WRONG")),
        ),
        (
            "the answer has no orderNo",
            Box::new(|a| {
                a["head"].as_object_mut().unwrap().remove("orderNo");
            }),
        ),
    ];
    for (want, change) in cases {
        let env = Env::new();
        let server = answering(change);
        let out = send_to(&env, &server.url)
            .args(["--policy", "P1", "--order-no", "O1", "--json"])
            .assert()
            .code(0)
            .get_output()
            .clone();
        let result = &json_lines(&out.stdout)[0];
        assert_eq!(result["warnings"], json!([want]));
        assert!(text(&out.stderr).contains(&format!("P1: {want}")));
    }
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
