//! The network edge over the built binary: base URL spellings, credentials in URLs, proxy
//! variables, headers that frame the request, `@FILE` values, `--cacert`, TLS failures and
//! config values named by file and line.

mod common;

use common::{json_lines, text, Env, Reply, Server};
use predicates::prelude::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// `send` of one notice (policy P1, order O1) for channel HN to `base_url`.
fn send_to(env: &Env, base_url: &str) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.args([
        "--base-url",
        base_url,
        "--policy-source",
        "HN",
        "--retries",
        "0",
        "--timeout",
        "10",
        "send",
        "--policy",
        "P1",
        "--order-no",
        "O1",
    ]);
    cmd
}

/// Every proxy variable, pointing at `proxy`.
fn with_proxies(cmd: &mut assert_cmd::Command, proxy: &str) {
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env(name, proxy);
    }
}

fn output_text(out: &std::process::Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

// 1. Base URL spellings

#[test]
fn every_spelling_of_the_production_host_is_refused_without_a_terminal() {
    // Should the check fail, requests would go to this loopback "proxy", never out.
    let proxy = Server::always(Reply::accept()).expect_hits(0);
    for spelling in [
        "https://avatar.chinahuanong.com.cn.",
        "https://avatar.chinahuanong.com.cn:443",
        "HTTPS://AVATAR.ChinaHuanong.COM.CN",
        "https://avatar.chinahuanong.com.cn/",
        "https://avatar%2echinahuanong.com.cn./",
    ] {
        let env = Env::new();
        let mut cmd = send_to(&env, spelling);
        with_proxies(&mut cmd, &proxy.url);
        cmd.write_stdin("")
            .assert()
            .code(2)
            .stderr(predicate::str::contains("refusing to send"))
            .stderr(predicate::str::contains(
                "PRODUCTION (avatar.chinahuanong.com.cn)",
            ));
        assert!(!env.journal().exists(), "{spelling}");
    }
}

#[test]
fn a_notice_accepted_on_one_spelling_is_skipped_on_the_others() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let port = server.url.rsplit(':').next().unwrap().to_string();
    send_to(&env, &server.url)
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("accepted"));
    for spelling in [
        format!("http://127.0.0.1:{port}/"),
        format!("HTTP://127.0.0.1:{port}//"),
        format!("http://127.0.0.1:{port}/."),
        format!("http://127.0.0.1.:{port}"),
        format!("http://0x7f.0.0.1:{port}/"),
        format!("http://2130706433:{port}"),
    ] {
        send_to(&env, &spelling)
            .assert()
            .code(0)
            .stdout(predicate::str::starts_with("skipped"));
    }
    // history finds the rows under any spelling of the endpoint.
    for spelling in [
        format!("HTTP://127.0.0.1:{port}/./"),
        format!("http://2130706433:{port}"),
    ] {
        let out = env
            .cmd()
            .args(["history", "--json", "--environment", &spelling])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
        let rows = json_lines(&out.stdout);
        assert_eq!(rows.len(), 1, "{spelling}: {rows:?}");
        assert_eq!(rows[0]["endpoint"], format!("http://127.0.0.1:{port}"));
    }
    // The dry run and -v name the one spelling too.
    send_to(&env, &format!("HTTP://0x7f.0.0.1:{port}/./"))
        .args(["--dry-run", "--force", "-v"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(format!(
            "endpoint: http://127.0.0.1:{port}/avatar/refund/second/refundNotice"
        )));
}

#[test]
fn localhost_spellings_are_one_endpoint_and_not_127_0_0_1() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(2);
    let port = server.url.rsplit(':').next().unwrap().to_string();
    send_to(&env, &format!("http://localhost:{port}"))
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("accepted"));
    send_to(&env, &format!("HTTP://LOCALHOST.:{port}/"))
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("skipped"));
    let out = env
        .cmd()
        .args(["history", "--json", "--environment"])
        .arg(format!("http://LocalHost.:{port}/"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let rows = json_lines(&out.stdout);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["endpoint"], format!("http://localhost:{port}"));
    // Another host name, another endpoint: sent again.
    send_to(&env, &server.url)
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("accepted"));
}

// 2. Credentials in the URL

#[test]
fn credentials_in_a_base_url_are_refused_without_showing_them() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let port = server.url.rsplit(':').next().unwrap().to_string();
    let url = format!("http://avatar:Pa55w0rdXYZ@127.0.0.1:{port}");
    let out = send_to(&env, &url).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let all = output_text(&out);
    assert!(all.contains("-H 'Authorization: @FILE'"), "{all}");
    assert!(!all.contains("Pa55w0rdXYZ"), "{all}");
    assert!(!env.journal().exists());

    let config = env.write(
        "config.toml",
        format!("policy_source = \"HN\"\n[environments.test]\nbase_url = \"{url}\"\n"),
    );
    let out = env
        .cmd()
        .arg("--config")
        .arg(&config)
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let all = output_text(&out);
    assert!(all.contains("-H 'Authorization: @FILE'"), "{all}");
    assert!(all.contains("config.toml:3"), "{all}");
    assert!(!all.contains("Pa55w0rdXYZ"), "{all}");
    assert!(!env.journal().exists());
}

// 3. Proxy variables

#[test]
fn a_loopback_target_never_goes_through_a_proxy() {
    let env = Env::new();
    let proxy = Server::always(Reply::accept()).expect_hits(0);
    let target = Server::always(Reply::accept()).expect_hits(1);
    let mut cmd = send_to(&env, &target.url);
    with_proxies(&mut cmd, &proxy.url);
    let out = cmd
        .args(["-H", "X-Gateway-Key: SECRETKEY1", "-v"])
        .output()
        .unwrap();
    assert_eq!(
        (proxy.hits(), target.hits()),
        (0, 1),
        "{}",
        output_text(&out)
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("accepted"));
    let err = text(&out.stderr);
    assert!(err.contains("proxy: none (loopback target)"), "{err}");
    assert!(!err.contains("SECRETKEY1"), "{err}");
    assert_eq!(target.seen()[0].header("X-Gateway-Key"), Some("SECRETKEY1"));
}

#[test]
fn an_https_target_names_its_proxy_with_credentials_redacted() {
    // Dry runs: the proxy decision is made and shown, and nothing leaves the machine.
    let env = Env::new();
    let dry = |vars: &[(&str, &str)]| {
        let mut cmd = send_to(&env, "https://avatar.example");
        cmd.args(["--dry-run", "-v"]);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
        text(&out.stderr)
    };
    let err = dry(&[("HTTPS_PROXY", "http://proxyuser:PrOxYpw@127.0.0.1:3128")]);
    assert!(
        err.contains("proxy: http://…@127.0.0.1:3128 (from HTTPS_PROXY)"),
        "{err}"
    );
    assert!(
        !err.contains("PrOxYpw") && !err.contains("proxyuser"),
        "{err}"
    );
    let err = dry(&[("ALL_PROXY", "127.0.0.1:3128")]);
    assert!(
        err.contains("proxy: http://127.0.0.1:3128 (from ALL_PROXY)"),
        "{err}"
    );
    let err = dry(&[
        ("HTTPS_PROXY", "http://127.0.0.1:3128"),
        ("NO_PROXY", "localhost,.example"),
    ]);
    assert!(
        err.contains("proxy: none (avatar.example matches NO_PROXY)"),
        "{err}"
    );
    // HTTP_PROXY is for http:// targets, and those are loopback only.
    let err = dry(&[("HTTP_PROXY", "http://127.0.0.1:3128")]);
    assert!(err.contains("proxy: none (no https_proxy"), "{err}");
}

// 4. Headers that frame the request

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
        let out = send_to(&env, &server.url)
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

// 5. `@FILE` values

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
        let mut cmd = send_to(&env, &server.url);
        cmd.timeout(Duration::from_secs(20));
        cmd.args(["-H", &format!("X-Key: @{shown}")])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("-H 'X-Key: @{shown}'")))
            .stderr(predicate::str::contains(says));
        let config = env.write("config.toml", format!("[headers]\nX-Key = \"@{shown}\"\n"));
        let mut cmd = send_to(&env, &server.url);
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
    send_to(&env, &ok.url)
        .args(["-H", &format!("X-Key: @{}", key.display())])
        .assert()
        .code(0);
    assert_eq!(
        ok.seen()[0].header("X-Key").map(str::len),
        Some(64 * 1024 - 1)
    );
    assert!(!env.path("state").exists());
}

// 18. Header values are never printed

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
        let out = send_to(&env, &server.url)
            .args(["-H", raw])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{raw}");
        let all = output_text(&out);
        assert!(!all.contains("SECRET"), "{raw}: {all}");
    }
    send_to(&env, &server.url)
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
        let out = send_to(&env, &server.url)
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

// --cacert and TLS

/// A CA, and a certificate for 127.0.0.1 signed by it: (CA PEM, leaf DER, leaf key DER).
fn ca_and_leaf() -> (String, Vec<u8>, Vec<u8>) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "avatar-cli test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    (ca_cert.pem(), leaf.der().to_vec(), leaf_key.serialize_der())
}

/// A certificate for 127.0.0.1 that is its own CA: (PEM, DER, key DER).
fn self_signed_ca_for_loopback() -> (String, Vec<u8>, Vec<u8>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), cert.der().to_vec(), key.serialize_der())
}

/// An HTTPS server on 127.0.0.1 presenting `cert_der`, answering every notice as accepted.
/// Returns its base URL.
fn tls_server(cert_der: Vec<u8>, key_der: Vec<u8>) -> String {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![rustls::pki_types::CertificateDer::from(cert_der)],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key_der.into()),
        )
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = Arc::clone(&config);
            std::thread::spawn(move || {
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let tls = rustls::StreamOwned::new(conn, stream);
                let _ = serve_one_tls(tls);
            });
        }
    });
    url
}

fn serve_one_tls<S: Read + Write>(stream: S) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0;
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let answer = common::deal(&request, "1", "成功").to_string();
        let stream = reader.get_mut();
        write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
            answer.len()
        )?;
        stream.flush()?;
    }
}

#[test]
fn a_cacert_file_without_a_certificate_is_refused_at_start() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let key = rcgen::KeyPair::generate().unwrap().serialize_pem();
    let files = [
        env.write("empty.pem", ""),
        env.write("rows.csv", "policyNo,amount\nP1,10.2\n"),
        env.write("key.pem", key),
        "/dev/null".into(),
    ];
    for file in &files {
        let shown = file.display().to_string();
        send_to(&env, &server.url)
            .arg("--cacert")
            .arg(file)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "--cacert {shown}: no PEM certificate found in it"
            )));
    }
    assert!(!env.journal().exists());
}

#[test]
fn tls_verification_failures_are_put_in_words() {
    let env = Env::new();
    // A server whose certificate is its own CA: trusting it still fails, and says why.
    let (pem, der, key) = self_signed_ca_for_loopback();
    let url = tls_server(der, key);
    let ca = env.write("self.pem", pem);
    let out = send_to(&env, &url)
        .arg("--cacert")
        .arg(&ca)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    let error = json_lines(&out.stdout)[0]["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        error.contains("the server presents a CA certificate as its own")
            && error.contains("--cacert"),
        "{error}"
    );

    // A certificate from a CA this machine does not know: pass the CA, and it works.
    let (ca_pem, leaf, leaf_key) = ca_and_leaf();
    let url = tls_server(leaf, leaf_key);
    let out = send_to(&env, &url).arg("--json").output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    let error = json_lines(&out.stdout)[0]["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        error.contains("not signed by a CA this machine trusts") && error.contains("--cacert"),
        "{error}"
    );
    let ca = env.write("ca.pem", ca_pem);
    send_to(&env, &url)
        .arg("--cacert")
        .arg(&ca)
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("accepted"));
}

// Config values

#[test]
fn a_bad_config_value_names_the_file_and_line() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    for (body, line, says) in [
        (
            "env = \"x\"\n",
            2,
            "env = \"x\" is not test, prod or sandbox",
        ),
        ("timeout_secs = 0\n", 2, "timeout_secs must be at least 1"),
        ("concurrency = 0\n", 2, "concurrency must be from 1 to 1024"),
        ("retries = 99\n", 2, "retries must be at most 10"),
        ("order_no_prefix = \"Q S\"\n", 2, "order_no_prefix"),
        (
            "\n[environments.test]\nbase_url = \"http://example.com\"\n",
            4,
            "plain http:// is refused",
        ),
    ] {
        let config = env.write("config.toml", format!("policy_source = \"HN\"\n{body}"));
        let out = env
            .cmd()
            .arg("--config")
            .arg(&config)
            .args(["send", "--policy", "P1", "--order-no", "O1"])
            .args(if body.contains("environments") {
                vec![]
            } else {
                vec!["--base-url", &server.url]
            })
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{body}");
        let err = text(&out.stderr);
        let place = format!("config file {}:{line}: ", config.display());
        assert!(err.contains(&place) && err.contains(says), "{body}: {err}");
        assert!(!err.contains("--timeout"), "{err}");
    }
    // A flag's bad value still names the flag, whatever the file says.
    let config = env.write("config.toml", "timeout_secs = 5\n");
    env.cmd()
        .arg("--config")
        .arg(&config)
        .args(["--base-url", &server.url, "--timeout", "0"])
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--timeout must be at least 1"));
}
