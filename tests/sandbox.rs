//! `avatar-cli sandbox` as a user runs it: a server process on loopback, rehearsed against.

mod common;

use common::{text, Env, PATIENCE};
use predicates::prelude::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

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
