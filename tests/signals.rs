//! Ctrl-C and SIGTERM: the first lets the requests in flight finish, accounts for every row
//! (notSent for the rest), leaves nothing in doubt and exits 130; a second quits at once,
//! however busy the run, leaving in doubt only what may have been sent; a notice waiting out a
//! backoff ends failed, to be sent again by the next run.

mod common;

use common::{
    by_policy, count, history, json_lines, outcomes, policies_csv, policies_with_orders, text, to,
    Env, Gate, Reply, Running, Server, PATIENCE,
};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn a_first_ctrl_c_lets_the_requests_in_flight_finish_and_exits_130() {
    let env = Env::new();
    let held = Gate::new();
    let server = Server::always(held.hold(Reply::accept()));
    let file = policies_with_orders(&env, 10);
    let mut args = to(&server);
    args.extend(["batch", &file, "--concurrency", "2", "--json"].map(String::from));
    let mut run = env.spawn(&args);
    server.wait_for_hits(2);
    run.signal(libc::SIGINT);
    run.wait_for_stderr("stopping");
    held.open();
    let out = run.finish();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let outcomes = outcomes(&out);
    assert_eq!(outcomes.len(), 10);
    assert_eq!(count(&outcomes, "accepted"), 2, "{outcomes:?}");
    assert_eq!(count(&outcomes, "notSent"), 8, "{outcomes:?}");
    assert_eq!(server.hits(), 2);
    assert!(history(&env, &["--outcome", "inDoubt"]).is_empty());
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
    let mut args = server.batch_args(&[file]);
    args.extend([
        "--generate-order-no",
        "--concurrency",
        "4",
        "--json",
        "--report",
        report.to_str().unwrap(),
    ]);
    let mut child = env.spawn(&args);
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
    let mut rerun = server.batch_args(&[file]);
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
fn a_second_ctrl_c_quits_at_once_leaving_what_was_in_flight_in_doubt() {
    let env = Env::new();
    let held = Gate::new();
    let server = Server::always(held.hold(Reply::accept()));
    let file = policies_with_orders(&env, 10);
    let mut args = to(&server);
    // A timeout far beyond the test's patience: only the second Ctrl-C can end this run.
    args.extend(["--timeout", "600", "batch", &file, "--concurrency", "2"].map(String::from));
    let mut run = env.spawn(&args);
    server.wait_for_hits(2);
    run.signal(libc::SIGINT);
    run.wait_for_stderr("stopping");
    run.signal(libc::SIGINT);
    let out = run.finish_within(Duration::from_secs(30));
    held.open();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("interrupted again"),
        "{}",
        text(&out.stderr)
    );
    // The two requests in flight are in doubt. So may be notices claimed ahead for the next
    // free slot (their first attempt recorded), if the second Ctrl-C came before the first
    // one's withdrawal of them was committed; none of those reached the server.
    let in_doubt: Vec<String> = history(&env, &["--outcome", "inDoubt"])
        .iter()
        .map(|r| r["policyNo"].as_str().unwrap().to_string())
        .collect();
    let sent: Vec<String> = server
        .seen()
        .iter()
        .map(|s| s.policy_no().to_string())
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent.iter().all(|p| in_doubt.contains(p)), "{in_doubt:?}");
    assert!(
        in_doubt.len() <= 8,
        "more in doubt than in flight and claimed: {in_doubt:?}"
    );
}

/// Only `main` ends the process now: a second SIGTERM during a delivery still quits at once,
/// with exit 130 and the message, while a request hangs.
#[test]
fn a_second_interrupt_quits_at_once_with_exit_130() {
    use std::io::{BufRead, BufReader, Read};
    let env = Env::new();
    let server = Server::always(Reply::Slow(
        Duration::from_secs(120),
        Box::new(Reply::accept()),
    ));
    let file = env.write("three.csv", "policyNo\nP1\nP2\nP3\n");
    let mut child = env
        .std_cmd()
        .args(["--base-url", &server.url, "--policy-source", "HN_HT_QNW"])
        // Long enough that only quitting at once ends the run soon after the second signal.
        .args(["--timeout", "60"])
        .args(["batch", "--generate-order-no", file.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start avatar-cli");
    let start = Instant::now();
    while server.hits() < 1 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no request arrived"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = child.id().to_string();
    let term = || {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(status.success());
    };
    term();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("stopping:") {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "stderr ended early"
        );
    }
    let second = Instant::now();
    term();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(
        second.elapsed() < Duration::from_secs(20),
        "did not quit at once: {:?}",
        second.elapsed()
    );
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(
        rest.contains("interrupted again: quitting; notices in flight are in doubt"),
        "{rest}"
    );
}

/// The promise for a second Ctrl-C: the process is gone within a second. The bound leaves
/// room for a loaded machine; it took about 3 s before.
const QUIT_WITHIN: Duration = Duration::from_millis(1500);

/// A busy batch: thousands of rows, a platform that holds every request, hundreds in flight.
/// Interrupted twice, 0.2 s apart; `drained` says whether its stdout is read while it runs.
/// Returns how long the process took to go after the second interrupt, and its stderr.
fn interrupted_twice_while_busy(drained: bool) -> (Duration, String) {
    let env = Env::new();
    let held = Gate::new();
    let server = Server::always(held.hold(Reply::accept()));
    let mut rows = String::from("policyNo,orderNo\n");
    for i in 1..=20_000 {
        rows.push_str(&format!("P{i},O{i}\n"));
    }
    let file = env.write("c.csv", rows);
    let mut cmd = env.std_cmd();
    cmd.args(to(&server))
        .arg("batch")
        .arg(&file)
        .args(["--concurrency", "256", "--json"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    // Undrained, stdout is a pipe nobody reads: it fills with the notSent lines after the first
    // interrupt, and every write to it then waits.
    cmd.stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Kept open and unread when not drained, so that writes to it wait rather than fail.
    let (stdout_reader, _unread) = if drained {
        let reader = std::thread::spawn(move || {
            let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        });
        (Some(reader), None)
    } else {
        (None, Some(stdout))
    };
    let run = Running::start_child(child);
    server.wait_for_hits(256);
    run.signal(libc::SIGINT);
    std::thread::sleep(Duration::from_millis(200));
    run.signal(libc::SIGINT);
    let second = Instant::now();
    let out = run.finish_within(PATIENCE);
    let took = second.elapsed();
    held.open();
    if let Some(reader) = stdout_reader {
        reader.join().unwrap();
    }
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    (took, text(&out.stderr))
}

#[test]
fn a_second_ctrl_c_is_honoured_within_a_second_under_load() {
    for drained in [true, false] {
        let (took, stderr) = interrupted_twice_while_busy(drained);
        assert!(
            took < QUIT_WITHIN,
            "stdout drained: {drained}: the process took {took:?} to go after the second Ctrl-C\n{stderr}"
        );
        assert!(stderr.contains("interrupted again"), "{stderr}");
    }
}

#[test]
fn ctrl_c_during_the_backoff_ends_that_notice_failed() {
    let env = Env::new();
    // The server asks for a minute between attempts.
    let server = Server::always(Reply::RetryAfter(503, 60));
    let mut args = to(&server);
    args.extend(["send", "--policy", "P1", "--order-no", "O1", "--json"].map(String::from));
    let run = env.spawn(&args);
    server.wait_for_hits(1);
    // The first attempt's end is in the journal: the run is now waiting out the backoff.
    let start = Instant::now();
    let attempt_ended = || {
        history(&env, &["--attempts"])
            .first()
            .is_some_and(|a| !a["finishedAt"].is_null())
    };
    while !attempt_ended() {
        assert!(start.elapsed() < PATIENCE, "the attempt never ended");
        std::thread::sleep(Duration::from_millis(10));
    }
    run.signal(libc::SIGINT);
    // Far less than the minute of backoff.
    let out = run.finish_within(Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let result = &json_lines(&out.stdout)[0];
    assert_eq!(result["outcome"], "failed", "{result}");
    assert_eq!(result["attempts"], 1);
    assert!(
        result["error"]
            .as_str()
            .unwrap()
            .contains("stopped before the next attempt"),
        "{result}"
    );
    assert_eq!(server.hits(), 1);
    // Failed, not in doubt: the next run sends it again.
    let rows = history(&env, &[]);
    assert_eq!(rows[0]["state"], "failed");
}
