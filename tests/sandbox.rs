//! The sandbox: `avatar-cli sandbox` as a user runs it, a server process on loopback to
//! rehearse against; and `--env sandbox` in-process, with no network, no channel code needed
//! (it rehearses under `SANDBOX`, said once), and a journal of its own, so that the README's
//! first command, run twice, shows the skip-and-resume a real run has without ever touching a
//! real journal.

mod common;

use common::{data, json_lines, text, Env, PATIENCE};
use predicates::prelude::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

// `avatar-cli sandbox`, a process

/// A running `avatar-cli sandbox`, stopped with SIGTERM by `stop`, and killed and reaped on
/// drop so that a failing test leaves no server behind.
struct SandboxProcess {
    child: Child,
    url: String,
    log: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl SandboxProcess {
    fn start(args: &[&str]) -> SandboxProcess {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("avatar-cli"))
            .arg("sandbox")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the sandbox");
        // Its first line is its URL; read in a thread so a silent sandbox fails the test.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = Arc::clone(&log);
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut sandbox = SandboxProcess {
            child,
            url: String::new(),
            log,
            reader: Some(reader),
        };
        let line = rx
            .recv_timeout(PATIENCE)
            .expect("the sandbox printed no URL");
        sandbox.url = line.trim().to_string();
        sandbox
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then the exit status and everything it logged.
    fn stop(mut self) -> (Option<i32>, String) {
        terminate(&self.child);
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(start.elapsed() < PATIENCE, "the sandbox ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(10));
        };
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let log = self.log.lock().unwrap().clone();
        (status.code(), log)
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn terminate(child: &Child) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
}

/// Whether a process with this pid is still there (and not a zombie).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z')
        })
        .unwrap_or(false)
}

#[test]
fn a_failing_test_leaves_no_sandbox_running() {
    let pid = std::panic::catch_unwind(|| {
        let sandbox = SandboxProcess::start(&[]);
        let pid = sandbox.pid();
        assert!(alive(pid));
        std::panic::panic_any(pid);
    })
    .expect_err("the closure panics")
    .downcast::<u32>()
    .map(|pid| *pid)
    .expect("the pid");
    assert!(!alive(pid), "the sandbox {pid} outlived its test");
}

#[test]
fn a_rehearsal_against_the_sandbox_process() {
    let sandbox = SandboxProcess::start(&["--reject", "REJ*"]);
    assert!(
        sandbox.url.starts_with("http://127.0.0.1:"),
        "{}",
        sandbox.url
    );
    let env = Env::new();
    let send = |policy: &str| {
        let mut cmd = env.cmd();
        cmd.args([
            "--base-url",
            &sandbox.url,
            "--policy-source",
            "DEMO",
            "send",
            "--generate-order-no",
            "--policy",
            policy,
        ]);
        cmd
    };
    send("P2024000001")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("1 成功"));
    send("REJ0001")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("REJ*"));
    // Sent again: the journal skips what was accepted, and the sandbox never sees it.
    send("P2024000001")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("skipped"));
    let (code, log) = sandbox.stop();
    assert_eq!(code, Some(0), "{log}");
    let handled: Vec<&str> = log.lines().filter(|l| l.contains("dealCode=")).collect();
    assert_eq!(handled.len(), 2, "one log line per request handled:\n{log}");
    assert!(
        handled[0].contains("P2024000001") && handled[1].contains("REJ0001"),
        "{log}"
    );
}

#[test]
fn fail_rate_one_makes_every_request_a_503() {
    let sandbox = SandboxProcess::start(&["--fail-rate", "1", "--seed", "7"]);
    let env = Env::new();
    env.cmd()
        .args([
            "--base-url",
            &sandbox.url,
            "--policy-source",
            "DEMO",
            "--retries",
            "1",
        ])
        .args(["send", "--generate-order-no", "--policy", "P1"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("HTTP 503"));
    let (_, log) = sandbox.stop();
    assert_eq!(
        log.lines().filter(|l| l.contains(" 503 ")).count(),
        2,
        "{log}"
    );
}

#[test]
fn bad_sandbox_options_are_usage_errors() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["sandbox", "--fail-rate", "2"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(text(&out.stderr).contains("--fail-rate"));
}

// `--env sandbox`, in-process

/// The file the README's first command sends.
fn readme_csv() -> PathBuf {
    data("cancellations.csv")
}

#[test]
fn the_built_in_sandbox_accepts_with_no_network() {
    let env = Env::new();
    env.cmd()
        .env_remove("AVATAR_JOURNAL")
        .args([
            "--env",
            "sandbox",
            "send",
            "--policy-source",
            "DEMO",
            "--policy",
            "P2024000001",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("accepted"))
        .stdout(predicate::str::contains("P2024000001"))
        .stdout(predicate::str::contains("1 成功"));
    // The in-process sandbox keeps its own journal, never a real one.
    assert!(!env.journal().exists());
    let state = env.path("state").join("avatar-cli");
    assert!(!state.join("journal.sqlite3").exists());
    assert!(state.join("sandbox.sqlite3").is_file());
}

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

// No channel code needed

const NOTE: &str =
    "channel SANDBOX: --env sandbox needs no --policy-source (give one to rehearse under your own)";

#[test]
fn a_rehearsal_without_a_channel_is_sent_under_sandbox_said_once() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["--env", "sandbox", "batch"])
        .arg(readme_csv())
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        text(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("accepted"))
            .count(),
        5
    );
    assert_eq!(stderr.matches(NOTE).count(), 1, "{stderr}");
    assert!(
        !stderr.contains("warning"),
        "a note, not a warning: {stderr}"
    );
    let history = env
        .cmd()
        .args(["history", "--env", "sandbox", "--json"])
        .output()
        .unwrap();
    let rows = json_lines(&history.stdout);
    assert_eq!(rows.len(), 5);
    assert!(
        rows.iter().all(|r| r["policySource"] == "SANDBOX"),
        "{rows:?}"
    );
    // -q leaves it out; a dry run says it too.
    let quiet = env
        .cmd()
        .args([
            "--env",
            "sandbox",
            "-q",
            "send",
            "--policy",
            "P1",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert_eq!(quiet.status.code(), Some(0));
    assert!(text(&quiet.stderr).is_empty(), "{}", text(&quiet.stderr));
    let dry = env
        .cmd()
        .args(["--env", "sandbox", "send", "--policy", "P1", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(text(&dry.stderr).matches(NOTE).count(), 1);
    assert_eq!(
        json_lines(&dry.stdout)[0]["head"]["policySource"],
        "SANDBOX"
    );
}

#[test]
fn a_channel_given_wins_and_nothing_is_said() {
    let env = Env::new();
    for given in [vec!["--policy-source", "DEMO"], vec!["--channel", "DEMO"]] {
        let out = env
            .cmd()
            .args(["--env", "sandbox", "send", "--policy", "P1", "--dry-run"])
            .args(&given)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(
            !text(&out.stderr).contains("SANDBOX"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(json_lines(&out.stdout)[0]["head"]["policySource"], "DEMO");
    }
    let out = env
        .cmd()
        .env("AVATAR_POLICY_SOURCE", "FROMVAR")
        .args(["--env", "sandbox", "send", "--policy", "P1", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(
        json_lines(&out.stdout)[0]["head"]["policySource"],
        "FROMVAR"
    );
}

#[test]
fn doctor_and_config_show_name_the_channel_as_derived_from_the_sandbox() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["--env", "sandbox", "doctor", "--json"])
        .output()
        .unwrap();
    let doctor = &json_lines(&out.stdout)[0];
    let channel = doctor["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "policy_source")
        .unwrap()
        .clone();
    assert_eq!(channel["value"], "SANDBOX");
    assert_eq!(
        channel["source"],
        "env sandbox: a rehearsal needs no real channel"
    );
    let out = env
        .cmd()
        .args(["config", "show", "--env", "sandbox"])
        .output()
        .unwrap();
    assert!(
        text(&out.stdout)
            .lines()
            .any(|l| l
                == "policy_source      SANDBOX  (env sandbox: a rehearsal needs no real channel)"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn the_test_platform_still_needs_a_channel() {
    let env = Env::new();
    let out = env
        .cmd()
        .args([
            "--env",
            "test",
            "send",
            "--policy",
            "P1",
            "--order-no",
            "O1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("error: no channel code: pass --policy-source CODE"),
        "{}",
        text(&out.stderr)
    );
}

// A journal of its own

/// The README's first command, as a newcomer types it: no AVATAR_JOURNAL.
fn first_command(env: &Env) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.env_remove("AVATAR_JOURNAL")
        .args(["--env", "sandbox", "batch"])
        .arg(readme_csv());
    cmd
}

fn state(env: &Env, file: &str) -> PathBuf {
    env.path("state").join("avatar-cli").join(file)
}

#[test]
fn the_readme_command_twice_skips_all_five_the_second_time() {
    let env = Env::new();
    let first = first_command(&env).assert().code(0).get_output().clone();
    let first = text(&first.stdout);
    assert_eq!(
        first.lines().filter(|l| l.starts_with("accepted")).count(),
        5,
        "{first}"
    );
    let second = first_command(&env).assert().code(0).get_output().clone();
    let second = text(&second.stdout);
    let skipped: Vec<&str> = second
        .lines()
        .filter(|l| l.starts_with("skipped"))
        .collect();
    assert_eq!(skipped.len(), 5, "{second}");
    assert_eq!(second.lines().count(), 5, "{second}");
    // Each under the orderNo the first run generated.
    for line in skipped {
        let order = line.split_whitespace().nth(4).expect("orderNo");
        assert!(first.contains(order), "{order} not in {first}");
    }
    assert!(state(&env, "sandbox.sqlite3").is_file());
    assert!(
        !state(&env, "journal.sqlite3").exists(),
        "the real journal was created"
    );
}

#[test]
fn a_journal_named_only_by_avatar_journal_is_left_alone() {
    let env = Env::new(); // AVATAR_JOURNAL points at env.journal()
    for _ in 0..2 {
        env.cmd()
            .args(["--env", "sandbox", "--policy-source", "DEMO", "batch"])
            .arg(readme_csv())
            .assert()
            .code(0);
    }
    assert!(
        !env.journal().exists(),
        "a rehearsal went into the real journal"
    );
    assert!(state(&env, "sandbox.sqlite3").is_file());
}

#[test]
fn journal_and_no_journal_on_the_command_line_still_win() {
    let env = Env::new();
    let mine = env.path("rehearsal.sqlite3");
    for _ in 0..2 {
        first_command(&env)
            .arg("--journal")
            .arg(&mine)
            .assert()
            .code(0);
    }
    assert!(mine.is_file());
    assert!(!state(&env, "sandbox.sqlite3").exists());
    // Without a journal nothing is remembered: both runs accept.
    for _ in 0..2 {
        let out = first_command(&env)
            .arg("--no-journal")
            .assert()
            .code(0)
            .get_output()
            .clone();
        assert_eq!(text(&out.stdout).matches("accepted").count(), 5);
    }
    assert!(!state(&env, "sandbox.sqlite3").exists());
}

#[test]
fn history_env_sandbox_shows_the_rehearsals() {
    let env = Env::new();
    first_command(&env).assert().code(0);
    let out = env
        .cmd()
        .env_remove("AVATAR_JOURNAL")
        .args(["history", "--env", "sandbox", "--json"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let rows = common::json_lines(&out.stdout);
    assert_eq!(rows.len(), 5, "{}", text(&out.stdout));
    assert!(rows
        .iter()
        .all(|r| r["endpoint"] == "sandbox" && r["state"] == "accepted"));
}
