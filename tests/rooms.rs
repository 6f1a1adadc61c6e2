//! What the prepare -> deliver redesign promises users beyond the existing suite: a send that
//! repeats an attempt whose answer never came says so.

mod common;

use common::{json_lines, Env, Reply, Server};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn a_resend_of_an_in_doubt_notice_says_so_in_its_warnings() {
    let env = Env::new();
    // The first request hangs until the process is killed: its attempt stays in doubt.
    let server = Server::start(
        vec![Reply::Slow(
            Duration::from_secs(120),
            Box::new(Reply::accept()),
        )],
        Reply::accept(),
    );
    let args = [
        "--base-url",
        &server.url,
        "--policy-source",
        "HN_HT_QNW",
        "send",
        "--policy",
        "P1",
        "--order-no",
        "O1",
        "--json",
    ];
    let mut child = env
        .std_cmd()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
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
    child.kill().expect("SIGKILL");
    child.wait().unwrap();

    let out = env.cmd().args(args).assert().code(0).get_output().clone();
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["outcome"], "accepted");
    assert_eq!(results[0]["orderNo"], "O1");
    let warnings = results[0]["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w == "resent: an earlier attempt may have reached the platform; same orderNo"),
        "{warnings:?}"
    );

    // A notice that was never in doubt carries no such warning.
    let fresh = [
        "--base-url",
        &server.url,
        "--policy-source",
        "HN_HT_QNW",
        "send",
        "--policy",
        "P2",
        "--order-no",
        "O2",
        "--json",
    ];
    let out = env.cmd().args(fresh).assert().code(0).get_output().clone();
    assert_eq!(
        json_lines(&out.stdout)[0]["warnings"],
        serde_json::json!([])
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
