//! Headers from `-H` and the config's `[headers]`, `@FILE` values among them: sent as given,
//! never shown, stored or reported (a value a server echoes back is redacted everywhere), and
//! refused before anything is sent when they would frame the request or name a file that is
//! no small regular file.

mod common;

use common::{
    config_for, journal_files, json_lines, output_text, send_one_to, text, Env, Reply, Server,
};
use predicates::prelude::*;
use std::path::Path;
use std::time::Duration;

#[test]
fn config_headers_reach_the_server_and_flags_override_them() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(2);
    let key = env.write("gateway.key", "from-file-value\n");
    let config = config_for(
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
fn headers_that_frame_the_request_are_refused_from_flags_and_config() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    for name in [
        "Content-Length",
        "transfer-encoding",
        "HOST",
        "Connection",
        "content-type",
        "Keep-Alive",
        "Upgrade",
        "TE",
        "Trailer",
        "Expect",
        "Proxy-Connection",
    ] {
        let out = send_one_to(&env, &server.url)
            .args(["-H", &format!("{name}: 5")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = text(&out.stderr);
        assert!(err.contains(&format!("-H '{name}: …'")), "{err}");
    }
    let config = env.write(
        "config.toml",
        "policy_source = \"HN\"\n\n[headers]\nX-Ok = \"1\"\nTransfer-Encoding = \"chunked\"\n",
    );
    env.cmd()
        .arg("--config")
        .arg(&config)
        .args(["--base-url", &server.url])
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "config.toml:5: [headers] Transfer-Encoding",
        ));
    assert!(!env.journal().exists());
}

#[test]
fn a_header_file_must_be_a_small_regular_file() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let fifo = env.path("key.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let dir = env.path("keys");
    std::fs::create_dir(&dir).unwrap();
    let big = env.write("big.key", vec![b'k'; 65 * 1024]);
    for (path, says) in [
        (Path::new("/dev/zero"), "a device"),
        (fifo.as_path(), "a FIFO"),
        (dir.as_path(), "a directory"),
        (big.as_path(), "larger than 64 KiB"),
    ] {
        let shown = path.display().to_string();
        // A FIFO without a writer would block a reader forever: this must end at once.
        let mut cmd = send_one_to(&env, &server.url);
        cmd.timeout(Duration::from_secs(20));
        cmd.args(["-H", &format!("X-Key: @{shown}")])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("-H 'X-Key: @{shown}'")))
            .stderr(predicate::str::contains(says));
        let config = env.write("config.toml", format!("[headers]\nX-Key = \"@{shown}\"\n"));
        let mut cmd = send_one_to(&env, &server.url);
        cmd.timeout(Duration::from_secs(20));
        cmd.arg("--config")
            .arg(&config)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("config.toml:2: [headers] X-Key"))
            .stderr(predicate::str::contains(says));
    }
    // At the limit it is fine, and its final line break is not part of the value.
    let key = env.write("ok.key", format!("{}\n", "k".repeat(64 * 1024 - 1)));
    let ok = Server::always(Reply::accept()).expect_hits(1);
    send_one_to(&env, &ok.url)
        .args(["-H", &format!("X-Key: @{}", key.display())])
        .assert()
        .code(0);
    assert_eq!(
        ok.seen()[0].header("X-Key").map(str::len),
        Some(64 * 1024 - 1)
    );
    assert!(!env.path("state").exists());
}

#[test]
fn a_malformed_header_never_shows_its_value() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    for raw in [
        "X-Key=SECRET123",
        "SECRET123",
        "Bearer SECRET123",
        "X-Key: SECRET123\u{7}",
    ] {
        let out = send_one_to(&env, &server.url)
            .args(["-H", raw])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{raw}");
        let all = output_text(&out);
        assert!(!all.contains("SECRET"), "{raw}: {all}");
    }
    send_one_to(&env, &server.url)
        .args(["-H", "X-Key=SECRET123"])
        .assert()
        .stderr(predicate::str::contains(
            "-H 'X-Key=…': a header is 'Name: value' or 'Name: @FILE'",
        ));
    for (config, line) in [
        ("[headers]\nX-Key = \"SECRET123\\u0001\"\n", 2),
        ("\n[headers]\nX-Key = SECRET123\n", 3),
        ("[headers]\nX-Key = 123456789\n", 2),
    ] {
        let path = env.write("config.toml", config);
        let out = send_one_to(&env, &server.url)
            .arg("--config")
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{config}");
        let all = output_text(&out);
        assert!(
            !all.contains("SECRET") && !all.contains("123456789"),
            "{config}: {all}"
        );
        assert!(all.contains("X-Key"), "{all}");
        assert!(
            all.contains(&format!("config.toml:{line}")) || all.contains(&format!("line {line}")),
            "{all}"
        );
    }
}

#[test]
fn header_values_a_server_echoes_are_redacted_everywhere() {
    let env = Env::new();
    let key_file = env.write("gateway.key", "Bearer FILESECRET456\n");
    // P1 accepted and P2 rejected, each answer echoing the headers into its dealDesc and a
    // field of its own; P3 gets an HTML error page listing them.
    let server = Server::start(
        vec![Reply::Echo("1"), Reply::Echo("0")],
        Reply::EchoPage(500),
    );
    let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\nP2,O2\nP3,O3\n");
    let report = env.path("report.csv");
    let run = |format: &str| {
        let mut cmd = env.cmd();
        cmd.args(["--base-url", &server.url, "--policy-source", "HN"])
            .args(["-H", "X-Gateway-Key: SECRET123", "-H", "X-Short: abc"])
            .arg("-H")
            .arg(format!("Authorization: @{}", key_file.display()))
            .args(["-v", "--retries", "0", format])
            .args(["batch", "--concurrency", "1", "--report"])
            .arg(&report)
            .arg(&file)
            .output()
            .unwrap()
    };
    let mut everything = Vec::new();
    let out = run("--json");
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    let results = json_lines(&out.stdout);
    assert_eq!(results[0]["outcome"], "accepted");
    assert!(
        results[0]["dealDesc"]
            .as_str()
            .unwrap()
            .contains("[redacted]"),
        "{}",
        results[0]
    );
    assert_eq!(results[2]["outcome"], "failed");
    everything.push(output_text(&out));
    everything.push(std::fs::read_to_string(&report).unwrap());
    // The same run again in text: P3 is sent again (failed), P1 and P2 are skipped or sent.
    let out = run("--output=text");
    everything.push(output_text(&out));
    for args in [
        vec!["history"],
        vec!["history", "--json"],
        vec!["history", "--attempts", "--json"],
        vec!["history", "show", "P1"],
        vec!["history", "show", "P2"],
        vec!["history", "show", "P3"],
    ] {
        let out = env.cmd().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        everything.push(output_text(&out));
    }
    let all = everything.join("\n");
    for secret in ["SECRET123", "FILESECRET456"] {
        assert!(!all.contains(secret), "{secret} shown:\n{all}");
    }
    assert!(all.contains("[redacted] abc [redacted]"), "{all}");
    // Three characters are no secret: hiding them would blank ordinary words.
    assert!(all.contains("abc"), "{all}");
    // Nor is it stored: the journal's files hold no secret, in any byte.
    let mut stored = Vec::new();
    for suffix in ["", "-wal"] {
        let mut name = env.journal().into_os_string();
        name.push(suffix);
        stored.extend(std::fs::read(&name).unwrap_or_default());
    }
    let stored = String::from_utf8_lossy(&stored);
    assert!(stored.contains("[redacted]"), "the answers are kept");
    assert!(!stored.contains("SECRET123") && !stored.contains("FILESECRET456"));
    // The server did get them.
    assert_eq!(server.seen()[0].header("X-Gateway-Key"), Some("SECRET123"));
}

#[test]
fn header_values_are_never_written_to_the_journal_or_the_report() {
    let env = Env::new();
    let key = env.write("key.txt", "s3cret-from-file\n");
    // One of each, twice: accepted, rejected, and failed with an error message.
    let replies = [
        Reply::accept(),
        Reply::Deal("0", "no"),
        Reply::Raw(400, "text/plain", "bad request".into()),
    ];
    let server = Server::start(
        replies.iter().chain(&replies).cloned().collect(),
        Reply::accept(),
    )
    .expect_hits(6);
    for (n, report) in [(1, "report.csv"), (4, "report.jsonl")] {
        let file = env.write(
            &format!("c{n}.csv"),
            format!(
                "policyNo,orderNo\nP{},O{}\nP{},O{}\nP{},O{}\n",
                n,
                n,
                n + 1,
                n + 1,
                n + 2,
                n + 2
            ),
        );
        let report = env.path(report);
        let out = env
            .cmd()
            .args(server.batch_args(&[file.to_str().unwrap()]))
            .args([
                "-v",
                "--concurrency",
                "1",
                "-H",
                "X-Gateway-Key: s3cret-inline",
            ])
            .arg("-H")
            .arg(format!("X-Other: @{}", key.display()))
            .arg("--report")
            .arg(&report)
            .assert()
            .code(3)
            .get_output()
            .clone();
        assert!(!text(&out.stdout).contains("s3cret"));
        assert!(!text(&out.stderr).contains("s3cret"));
        let written = text(&std::fs::read(&report).unwrap());
        assert!(written.contains("bad request"), "{written}");
        assert!(!written.contains("s3cret"), "{written}");
    }
    let seen = server.seen();
    assert!(seen
        .iter()
        .all(|s| s.header("x-gateway-key") == Some("s3cret-inline")
            && s.header("x-other") == Some("s3cret-from-file")));
    // Everything SQLite wrote, main file and WAL alike.
    let mut bytes = Vec::new();
    for file in journal_files(&env.journal()) {
        if let Ok(b) = std::fs::read(&file) {
            bytes.extend(b);
        }
    }
    let holds = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(
        holds(b"bad request"),
        "the journal holds what the run recorded"
    );
    assert!(!holds(b"s3cret"), "the journal holds a header value");
}
