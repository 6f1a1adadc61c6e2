//! README promises that no other test file checks: signals, retries and redirects, exit-code
//! precedence, a journal failing mid-run, environment variables, default paths, config keys,
//! and the README's own first command. Each test fails if its promise is dropped.

mod common;

use common::{json_lines, text, Env, Gate, Reply, Running, Server, PATIENCE};
use predicates::prelude::*;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CHANNEL: &str = "HN_HT_QNW";

/// Global options for `server` and the channel code.
fn to(server: &Server) -> Vec<String> {
    vec![
        "--base-url".into(),
        server.url.clone(),
        "--policy-source".into(),
        CHANNEL.into(),
    ]
}

/// A CSV of `n` policies P1… with order numbers O1….
fn csv(env: &Env, n: usize) -> String {
    let mut csv = String::from("policyNo,orderNo\n");
    for i in 1..=n {
        csv.push_str(&format!("P{i},O{i}\n"));
    }
    env.write("c.csv", csv).to_str().unwrap().to_string()
}

fn outcomes(out: &std::process::Output) -> Vec<String> {
    json_lines(&out.stdout)
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_string())
        .collect()
}

fn count(outcomes: &[String], outcome: &str) -> usize {
    outcomes.iter().filter(|o| *o == outcome).count()
}

fn history(env: &Env, args: &[&str]) -> Vec<serde_json::Value> {
    let out = env
        .cmd()
        .args(["history", "--json"])
        .args(args)
        .assert()
        .code(0)
        .get_output()
        .clone();
    json_lines(&out.stdout)
}

// ---- Signals ----

#[test]
fn a_first_ctrl_c_lets_the_requests_in_flight_finish_and_exits_130() {
    let env = Env::new();
    let held = Gate::new();
    let server = Server::always(held.hold(Reply::accept()));
    let file = csv(&env, 10);
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
fn a_second_ctrl_c_quits_at_once_leaving_what_was_in_flight_in_doubt() {
    let env = Env::new();
    let held = Gate::new();
    let server = Server::always(held.hold(Reply::accept()));
    let file = csv(&env, 10);
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

// ---- Retries and redirects ----

#[test]
fn redirects_are_not_followed_and_count_as_failed() {
    for status in [301, 302, 307] {
        let env = Env::new();
        // Following the redirect would reach an accepting server.
        let elsewhere = Server::always(Reply::accept()).expect_hits(0);
        let location = format!("{}/avatar/refund/second/refundNotice", elsewhere.url);
        let server =
            Server::start(vec![Reply::Redirect(status, location)], Reply::accept()).expect_hits(1);
        let mut args = to(&server);
        args.extend(["send", "--policy", "P1", "--order-no", "O1", "--json"].map(String::from));
        let out = env.cmd().args(&args).assert().code(3).get_output().clone();
        let result = &json_lines(&out.stdout)[0];
        assert_eq!(result["outcome"], "failed", "{status}: {result}");
        assert_eq!(result["httpStatus"], status);
        assert_eq!(result["attempts"], 1);
    }
}

#[test]
fn timeouts_and_http_408_are_retried() {
    let env = Env::new();
    let held = Gate::new();
    let server = Server::always(held.hold(Reply::accept())).expect_hits(2);
    let mut args = to(&server);
    args.extend(
        [
            "--timeout",
            "1",
            "--retries",
            "1",
            "send",
            "--policy",
            "P1",
            "--order-no",
            "O1",
            "--json",
        ]
        .map(String::from),
    );
    let out = env.cmd().args(&args).assert().code(3).get_output().clone();
    held.open();
    let result = &json_lines(&out.stdout)[0];
    assert_eq!(result["attempts"], 2, "{result}");
    assert!(result["error"].as_str().unwrap().contains("timed out"));

    let env = Env::new();
    let server = Server::start(
        vec![Reply::Raw(408, "text/plain", "request timeout".into())],
        Reply::accept(),
    )
    .expect_hits(2);
    let mut args = to(&server);
    args.extend(["send", "--policy", "P1", "--order-no", "O1", "--json"].map(String::from));
    let out = env.cmd().args(&args).assert().code(0).get_output().clone();
    let result = &json_lines(&out.stdout)[0];
    assert_eq!(result["outcome"], "accepted");
    assert_eq!(result["attempts"], 2);
}

#[test]
fn by_default_a_notice_is_retried_three_times() {
    let env = Env::new();
    let server =
        Server::always(Reply::Raw(503, "text/html", "<html>busy</html>".into())).expect_hits(4);
    let mut args = to(&server);
    args.extend(["send", "--policy", "P1", "--order-no", "O1", "--json"].map(String::from));
    let out = env.cmd().args(&args).assert().code(3).get_output().clone();
    let result = &json_lines(&out.stdout)[0];
    assert_eq!(result["attempts"], 4);
    assert_eq!(result["outcome"], "failed");
}

// ---- Exit codes ----

#[test]
fn mixed_outcomes_exit_with_the_first_code_that_applies() {
    // accepted + rejected: 1.
    let env = Env::new();
    let server = Server::start(
        vec![Reply::accept(), Reply::Deal("0", "no")],
        Reply::accept(),
    );
    let file = csv(&env, 2);
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
    let file = csv(&env, 3);
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
    let file = csv(&env, 5);
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

#[test]
fn a_journal_failing_mid_run_exits_3() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let file = csv(&env, 300);
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

// ---- Environment variables ----

#[test]
fn avatar_env_chooses_the_environment() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    // Production by the variable alone (its URL from the config): it asks, and with no
    // terminal it refuses.
    let config = env.write(
        "config.toml",
        format!("[environments.prod]\nbase_url = \"{}\"\n", server.url),
    );
    env.cmd()
        .env("AVATAR_ENV", "prod")
        .env("AVATAR_CONFIG", &config)
        .args(["--policy-source", CHANNEL])
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("PRODUCTION"));
    // The sandbox by the variable alone: sent and accepted with no URL given.
    env.cmd()
        .env("AVATAR_ENV", "sandbox")
        .args(["--policy-source", "DEMO", "send", "--policy", "P1"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("accepted"));
    // The flag beats the variable.
    env.cmd()
        .env("AVATAR_ENV", "prod")
        .args([
            "--env",
            "sandbox",
            "--policy-source",
            "DEMO",
            "send",
            "--policy",
            "P2",
        ])
        .assert()
        .code(0);
}

#[test]
fn avatar_base_url_and_avatar_config_are_read() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(2);
    env.cmd()
        .env("AVATAR_BASE_URL", &server.url)
        .args([
            "--policy-source",
            "FROM_FLAG",
            "send",
            "--policy",
            "P1",
            "--order-no",
            "O1",
        ])
        .assert()
        .code(0);
    let config = env.write(
        "elsewhere.toml",
        format!(
            "policy_source = \"FROM_CONFIG\"\n[environments.test]\nbase_url = \"{}\"\n",
            server.url
        ),
    );
    env.cmd()
        .env("AVATAR_CONFIG", &config)
        .args(["send", "--policy", "P2", "--order-no", "O2"])
        .assert()
        .code(0);
    let seen = server.seen();
    assert_eq!(seen[0].policy_no(), "P1");
    assert_eq!(seen[1].head("policySource"), "FROM_CONFIG");
    // A named config that is missing is an error naming it.
    env.cmd()
        .env("AVATAR_CONFIG", "/nonexistent/avatar.toml")
        .args(["send", "--policy", "P3", "--dry-run"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/avatar.toml"));
}

#[test]
fn colour_is_always_with_the_flag_and_never_in_a_pipe_by_default() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let run = |color: Option<&str>, no_color: bool, order: &str| {
        let mut cmd = env.cmd();
        cmd.args(to(&server))
            .args(["send", "--policy", order, "--order-no", order]);
        if let Some(c) = color {
            cmd.args(["--color", c]);
        }
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd.assert().code(0).get_output().clone();
        text(&out.stdout)
    };
    assert!(run(Some("always"), false, "P1").contains("\x1b["));
    // The flag is the user's explicit word: it beats NO_COLOR.
    assert!(run(Some("always"), true, "P2").contains("\x1b["));
    assert!(!run(None, false, "P3").contains("\x1b["));
    assert!(!run(Some("never"), false, "P4").contains("\x1b["));
}

// ---- Default paths ----

#[test]
fn the_default_config_file_is_read_from_the_config_dir() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let dir = env.path("config").join("avatar-cli");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "policy_source = \"FROM_DEFAULT_CONFIG\"\n[environments.test]\nbase_url = \"{}\"\n",
            server.url
        ),
    )
    .unwrap();
    env.cmd()
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .assert()
        .code(0);
    assert_eq!(server.seen()[0].head("policySource"), "FROM_DEFAULT_CONFIG");
}

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

// ---- Config keys ----

fn config(env: &Env, server: &Server, extra: &str) -> PathBuf {
    env.write(
        "config.toml",
        format!(
            "policy_source = \"{CHANNEL}\"\n{extra}\n[environments.test]\nbase_url = \"{}\"\n",
            server.url
        ),
    )
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
    let file = csv(&env, 20);
    let mut counts = Vec::new();
    for (level, journal) in [("normal", "normal.sqlite3"), ("full", "full.sqlite3")] {
        let config = config(&env, &server, &format!("journal_sync = \"{level}\""));
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

#[test]
fn generate_order_no_and_order_no_prefix_in_the_config() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(2);
    let plain = config(&env, &server, "");
    env.cmd()
        .arg("--config")
        .arg(&plain)
        .args(["send", "--policy", "P1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--generate-order-no"));
    let generating = config(&env, &server, "generate_order_no = true");
    env.cmd()
        .arg("--config")
        .arg(&generating)
        .args(["send", "--policy", "P1"])
        .assert()
        .code(0);
    let prefixed = config(
        &env,
        &server,
        "generate_order_no = true\norder_no_prefix = \"ZXQ\"",
    );
    env.cmd()
        .arg("--config")
        .arg(&prefixed)
        .args(["send", "--policy", "P2"])
        .assert()
        .code(0);
    let seen = server.seen();
    let (first, second) = (seen[0].head("orderNo"), seen[1].head("orderNo"));
    assert!(first.starts_with("QS") && first.len() == 23, "{first}");
    assert!(second.starts_with("ZXQ") && second.len() == 24, "{second}");
}

#[test]
fn config_headers_reach_the_server_and_flags_override_them() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(2);
    let key = env.write("gateway.key", "from-file-value\n");
    let config = config(
        &env,
        &server,
        &format!(
            "[headers]\nX-Gateway-Key = \"@{}\"\nX-Team = \"refunds\"",
            key.display()
        ),
    );
    env.cmd()
        .arg("--config")
        .arg(&config)
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("from-file-value").not());
    env.cmd()
        .arg("--config")
        .arg(&config)
        .args(["-H", "X-Team: override"])
        .args(["send", "--policy", "P2", "--order-no", "O2"])
        .assert()
        .code(0);
    let seen = server.seen();
    assert_eq!(seen[0].header("x-gateway-key"), Some("from-file-value"));
    assert_eq!(seen[0].header("x-team"), Some("refunds"));
    assert_eq!(seen[1].header("x-team"), Some("override"));
}

#[test]
fn interface_type_overrides_the_envelope_head() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    env.cmd()
        .args(to(&server))
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .args(["--interface-type", "refundNoticeV2"])
        .assert()
        .code(0);
    assert_eq!(server.seen()[0].head("interfaceType"), "refundNoticeV2");
    env.cmd()
        .args(to(&server))
        .args(["send", "--policy", "P2", "--order-no", "O2"])
        .args(["--interface-type", "bad type"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--interface-type"));
}

// ---- Production without a terminal ----

#[test]
fn a_dry_run_on_production_needs_no_confirmation() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let out = env
        .cmd()
        .args(env.production_at(&server.url))
        .args(["--policy-source", CHANNEL])
        .args(["send", "--policy", "P1", "--order-no", "O1", "--dry-run"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert_eq!(json_lines(&out.stdout)[0]["head"]["orderNo"], "O1");
}

// ---- The README's first command ----

#[test]
fn the_readmes_first_command_sends_five_notices_to_the_built_in_sandbox() {
    let env = Env::new();
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cancellations.csv");
    let out = env
        .cmd()
        .env_remove("AVATAR_JOURNAL")
        .args(["--env", "sandbox", "batch"])
        .arg(&csv)
        .assert()
        .code(0)
        .get_output()
        .clone();
    let stdout = text(&out.stdout);
    let accepted: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("accepted"))
        .collect();
    assert_eq!(accepted.len(), 5, "{stdout}");
    for n in 1..=5 {
        assert!(stdout.contains(&format!("P202400000{n}")), "{stdout}");
    }
    assert!(text(&out.stderr).contains("5 notices: 5 accepted"));
    // No real journal: the sandbox keeps its own, so that a second run skips.
    let state = env.path("state").join("avatar-cli");
    assert!(!state.join("journal.sqlite3").exists());
    assert!(state.join("sandbox.sqlite3").is_file());
}
