//! `avatar-cli sandbox` as a user runs it: a server process on loopback, rehearsed against.

mod common;

use common::{text, Env};
use predicates::prelude::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `avatar-cli sandbox`, stopped with SIGTERM on drop.
struct SandboxProcess {
    child: Child,
    url: String,
}

impl SandboxProcess {
    fn start(args: &[&str]) -> SandboxProcess {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("avatar-cli"))
            .arg("sandbox")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the sandbox");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("its URL");
        SandboxProcess {
            child,
            url: line.trim().to_string(),
        }
    }

    /// SIGTERM, then the exit status and everything it logged.
    fn stop(mut self) -> (Option<i32>, String) {
        terminate(&self.child);
        let status = self.child.wait().expect("wait");
        let mut log = String::new();
        std::io::Read::read_to_string(self.child.stderr.as_mut().unwrap(), &mut log).unwrap();
        (status.code(), log)
    }
}

fn terminate(child: &Child) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
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
