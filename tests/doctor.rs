//! `doctor` over the built binary: settings and their sources, reachability of a loopback
//! platform (never a notice), the clock, the journal, exit codes and the `--json` object.

mod common;

use common::{text, Env, Reply, Server};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;

/// A platform that answers every request with 200, this `Date` header, and no body, and
/// reports each request line it saw.
fn dated_server(date: String) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                continue;
            }
            let _ = tx.send(line.trim_end().to_string());
            let mut header = String::new();
            while reader.read_line(&mut header).unwrap_or(0) > 0 && header.trim_end() != "" {
                header.clear();
            }
            let mut w = stream;
            let _ = write!(
                w,
                "HTTP/1.1 200 OK\r\nDate: {date}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (url, rx)
}

fn http_date(offset: chrono::Duration) -> String {
    (chrono::Utc::now() + offset)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn doctor(env: &Env, args: &[&str]) -> (i32, String, String) {
    let out = env
        .cmd()
        .arg("doctor")
        .args(args)
        .output()
        .expect("run doctor");
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

#[test]
fn a_loopback_platform_is_reached_without_a_notice() {
    let env = Env::new();
    let server = Server::always(Reply::Deal("1", "成功")).expect_hits(1);
    let (code, out, err) = doctor(&env, &["--base-url", &server.url]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok   DNS: 127.0.0.1 is 127.0.0.1"), "{out}");
    assert!(out.contains("ok   TCP: connected to 127.0.0.1:"), "{out}");
    assert!(
        out.contains("TLS: not used (plain http to loopback)"),
        "{out}"
    );
    assert!(out.contains("ok   HTTP: HEAD"), "{out}");
    assert!(
        out.contains("Clock: not checked: the answer has no Date header"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "Endpoint: {}/avatar/refund/second/refundNotice (from --base-url; not production)",
            server.url
        )),
        "{out}"
    );
    assert!(out.contains("none yet"), "{out}");
    assert!(out.contains("Result: all is well"), "{out}");
    // The one request carried no envelope.
    assert_eq!(server.seen()[0].body, Value::Null);
    assert!(!env.journal().exists(), "doctor created the journal");
}

#[test]
fn the_probe_is_a_head_of_the_base_url_and_the_clock_is_compared() {
    let env = Env::new();
    let (url, seen) = dated_server(http_date(chrono::Duration::seconds(0)));
    let (code, out, err) = doctor(&env, &["--base-url", &url]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok   Clock: in step with the server"), "{out}");
    let requests: Vec<String> = seen.try_iter().collect();
    assert_eq!(requests, ["HEAD / HTTP/1.1"]);

    // An hour off: said, with what to do; the platform is still reachable (exit 0).
    let (url, _seen) = dated_server(http_date(chrono::Duration::hours(-1)));
    let (code, out, err) = doctor(&env, &["--base-url", &url]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("FAIL Clock: 360"), "{out}");
    assert!(
        out.contains("s ahead of the server's Date: notices carry"),
        "{out}"
    );
    assert!(out.contains("set the clock (NTP)"), "{out}");
    let (_, json, _) = doctor(&env, &["--base-url", &url, "--json"]);
    let v: Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(
        (v["ok"].as_bool(), v["exitCode"].as_u64()),
        (Some(false), Some(0))
    );
}

#[test]
fn a_closed_port_is_exit_3() {
    let env = Env::new();
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let (code, out, err) = doctor(&env, &["--base-url", &url, "--timeout", "10"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("FAIL TCP: cannot connect"), "{out}");
    assert!(out.contains("HTTP: not tried"), "{out}");
    assert!(
        out.contains("Result: the platform cannot be reached (exit 3)"),
        "{out}"
    );
}

#[test]
fn a_bad_config_is_exit_2_naming_file_and_line() {
    let env = Env::new();
    let config = env.write("config.toml", "policy_source = \"HN\"\ntimeout_secs = 0\n");
    let (code, out, err) = doctor(&env, &["--config", config.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(&format!("{}:2: timeout_secs", config.display())),
        "{err}"
    );
    assert!(out.is_empty(), "{out}");
    let (code, out, _) = doctor(&env, &["--config", config.to_str().unwrap(), "--json"]);
    assert_eq!(code, 2);
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["exitCode"], 2);
    assert!(v["error"].as_str().unwrap().contains("timeout_secs"), "{v}");
}

#[test]
fn each_setting_names_where_it_came_from() {
    let env = Env::new();
    let server = Server::always(Reply::Deal("1", "成功"));
    let config = env.write(
        "config.toml",
        "# rehearsal settings\npolicy_source = \"HN_HT_QNW\"\nretries = 5\n\n[headers]\nX-Gateway-Key = \"s3cret-in-config\"\n",
    );
    let out = env
        .cmd()
        .env("AVATAR_CONFIG", &config)
        .env("AVATAR_BASE_URL", &server.url)
        .args([
            "doctor",
            "--timeout",
            "2.5",
            "-H",
            "X-Other: s3cret-on-flag",
        ])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let at = |line: usize| format!("(config file {}:{line})", config.display());
    let row = |name: &str| {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in {stdout}"))
            .to_string()
    };
    assert!(
        row("policy_source").contains("HN_HT_QNW") && row("policy_source").ends_with(&at(2)),
        "{stdout}"
    );
    assert!(
        row("retries").contains(" 5 ") && row("retries").ends_with(&at(3)),
        "{stdout}"
    );
    assert!(
        row("timeout_secs").contains("2.5") && row("timeout_secs").ends_with("(flag --timeout)"),
        "{stdout}"
    );
    assert!(
        row("base_url").ends_with("(environment variable AVATAR_BASE_URL)"),
        "{stdout}"
    );
    assert!(
        row("config").ends_with("(environment variable AVATAR_CONFIG)"),
        "{stdout}"
    );
    assert!(
        row("journal").ends_with("(environment variable AVATAR_JOURNAL)"),
        "{stdout}"
    );
    assert!(row("concurrency").ends_with("(default)"), "{stdout}");
    assert!(
        stdout.contains("X-Gateway-Key (value not shown)  ") && stdout.contains(&at(6)),
        "{stdout}"
    );
    assert!(
        stdout.contains("X-Other (value not shown)  (flag --header)"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("s3cret"),
        "a header value was shown: {stdout}"
    );
    // A flag over the variable, the variable over the file.
    let out = env
        .cmd()
        .env("AVATAR_CONFIG", &config)
        .env("AVATAR_POLICY_SOURCE", "FROM_VAR")
        .args(["--base-url", &server.url, "doctor"])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("FROM_VAR  (environment variable AVATAR_POLICY_SOURCE)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{}  (flag --base-url)", server.url)),
        "{stdout}"
    );
}

#[test]
fn json_is_one_object_with_settings_endpoint_checks_and_journal() {
    let env = Env::new();
    let server = Server::always(Reply::Deal("1", "成功"));
    // A journal with records in it.
    env.cmd()
        .args([
            "--base-url",
            &server.url,
            "--policy-source",
            "HN",
            "send",
            "--policy",
            "P1",
            "--order-no",
            "O1",
        ])
        .assert()
        .code(0);
    let (code, out, err) = doctor(&env, &["--base-url", &server.url, "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["exitCode"], 0);
    let settings = v["settings"].as_array().unwrap();
    assert!(settings
        .iter()
        .all(|s| s["name"].is_string() && s["value"].is_string() && s["source"].is_string()));
    let base = settings.iter().find(|s| s["name"] == "base_url").unwrap();
    assert_eq!(base["value"], server.url.as_str());
    assert_eq!(base["source"], "flag --base-url");
    assert_eq!(v["endpoint"]["production"], false);
    // A base URL of no named environment has no env name: it is not "test".
    assert_eq!(v["endpoint"]["environment"], Value::Null);
    assert_eq!(v["endpoint"]["source"], "flag --base-url");
    assert_eq!(v["endpoint"]["host"], "127.0.0.1");
    let names: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dns", "tcp", "tls", "http", "clock"]);
    assert_eq!(v["checks"][2]["ok"], Value::Null);
    assert_eq!(v["journal"]["path"], env.journal().display().to_string());
    let health = v["journal"]["checks"][0]["detail"].as_str().unwrap();
    assert!(
        health.contains("schema version") && health.contains("quick_check ok"),
        "{health}"
    );
    assert!(health.contains("1 notices, 0 in doubt"), "{health}");
    assert_eq!(v["configFile"]["read"], false);
}

#[test]
fn a_journal_that_is_not_one_is_exit_2() {
    let env = Env::new();
    std::fs::write(
        env.journal(),
        b"not a database, just text that is long enough",
    )
    .unwrap();
    let (code, out, err) = doctor(
        &env,
        &[
            "--env",
            "sandbox",
            "--journal",
            env.journal().to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("FAIL Journal"), "{out}");
    assert!(out.contains("Network: not needed"), "{out}");
}
