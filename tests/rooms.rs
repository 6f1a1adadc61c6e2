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
