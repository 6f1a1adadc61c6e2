//! Which platform a run reaches, and how: `--env` and `--base-url` as one setting whose source
//! every message names, one endpoint whatever the spelling of its URL, production never
//! without a confirmation, no credentials in a URL, plain HTTP to loopback only, proxies, and
//! TLS failures put in words.

mod common;

use common::{json_lines, output_text, send_one_to, text, Env, Reply, Server, CHANNEL};
use predicates::prelude::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

// One setting, named with its source

/// A variable naming one platform never redirects a run whose command line names another.
#[test]
fn env_on_the_command_line_wins_whole_over_avatar_base_url() {
    let env = Env::new();
    let elsewhere = Server::always(Reply::accept()).expect_hits(0);
    let out = env
        .cmd()
        .env("AVATAR_BASE_URL", &elsewhere.url)
        .args(["--env", "sandbox", "--policy-source", "DEMO"])
        .args(["send", "--policy", "SBX1"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(text(&out.stdout).starts_with("accepted  SBX1"), "{stderr}");
    assert!(
        stderr.contains("to the built-in sandbox (127.0.0.1:") && stderr.contains(", from --env)"),
        "{stderr}"
    );
    assert!(!stderr.contains("--base-url"), "{stderr}");
    // The user's real journal (AVATAR_JOURNAL) was not touched: the sandbox keeps its own.
    assert!(!env.journal().exists());
}

#[test]
fn base_url_on_the_command_line_wins_whole_over_avatar_env() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let out = env
        .cmd()
        .env("AVATAR_ENV", "prod")
        .args(["--base-url", &server.url, "--policy-source", CHANNEL])
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let host = server.url.trim_start_matches("http://");
    assert!(
        stderr.contains(&format!("to {host} (from --base-url)")),
        "{stderr}"
    );
    assert!(!stderr.contains("PRODUCTION"), "{stderr}");
}

#[test]
fn env_and_base_url_naming_two_platforms_at_one_level_are_a_usage_error() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let out = env
        .cmd()
        .args(["--env", "prod", "--base-url", &server.url])
        .args(["--policy-source", CHANNEL, "send", "--policy", "P1"])
        .args(["--order-no", "O1", "--yes"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--env prod (https://avatar.chinahuanong.com.cn)")
            && stderr.contains(&format!("--base-url {}", server.url))
            && stderr.contains("two different platforms"),
        "{stderr}"
    );
    // The same pair from the environment: the message names the variables.
    let out = env
        .cmd()
        .env("AVATAR_ENV", "test")
        .env("AVATAR_BASE_URL", &server.url)
        .args(["--policy-source", CHANNEL, "send", "--policy", "P1"])
        .args(["--order-no", "O1"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("AVATAR_ENV=test") && stderr.contains("AVATAR_BASE_URL="),
        "{stderr}"
    );
    assert!(!env.journal().exists());
    // Both naming the same platform (in two spellings) is no conflict.
    let ok = Server::always(Reply::accept()).expect_hits(1);
    let config_ok = env.write(
        "same.toml",
        format!("[environments.test]\nbase_url = \"{}/\"\n", ok.url),
    );
    env.cmd()
        .args(["--config", config_ok.to_str().unwrap()])
        .args(["--env", "test", "--base-url", &ok.url])
        .args(["--policy-source", CHANNEL, "send", "--policy", "P1"])
        .args(["--order-no", "O1"])
        .assert()
        .code(0);
}

/// The line before sending, the summary, `-v` and `doctor` all name the same, true source.
#[test]
fn every_message_names_where_the_target_came_from() {
    let env = Env::new();
    // The notice, then doctor's HEAD.
    let server = Server::always(Reply::accept()).expect_hits(2);
    let host = server.url.trim_start_matches("http://").to_string();
    let out = env
        .cmd()
        .env("AVATAR_BASE_URL", &server.url)
        .env("AVATAR_FORCE_TTY", "1")
        .args(["--policy-source", CHANNEL, "-v"])
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let named = format!("{host} (from AVATAR_BASE_URL)");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(&named)).collect();
    // -v's platform line, the line before sending, the summary (whose destination has a
    // line of its own where the counts leave it no room).
    assert!(
        lines.iter().any(|l| l.starts_with("platform: "))
            && lines
                .iter()
                .any(|l| l.starts_with("sending 1 notice(s) to "))
            && lines
                .iter()
                .any(|l| l.ends_with(&format!("; to {named}")) || *l == format!("to {named}")),
        "{stderr}"
    );
    let doctor = env
        .cmd()
        .env("AVATAR_BASE_URL", &server.url)
        .arg("doctor")
        .output()
        .unwrap();
    let stdout = text(&doctor.stdout);
    assert!(
        stdout.contains("(from AVATAR_BASE_URL; not production)"),
        "{stdout}"
    );
    // From the config file: its path and line.
    let config = env.write("c.toml", "# the desk's settings\nenv = \"sandbox\"\n");
    let out = env
        .cmd()
        .args([
            "--config",
            config.to_str().unwrap(),
            "--policy-source",
            "DEMO",
        ])
        .args(["send", "--policy", "P1", "--dry-run"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("the built-in sandbox, from ~/c.toml:2"),
        "{stderr}"
    );
}

// One endpoint, whatever the spelling

#[test]
fn a_notice_accepted_on_one_spelling_is_skipped_on_the_others() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let port = server.url.rsplit(':').next().unwrap().to_string();
    send_one_to(&env, &server.url)
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
        send_one_to(&env, &spelling)
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
    send_one_to(&env, &format!("HTTP://0x7f.0.0.1:{port}/./"))
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
    send_one_to(&env, &format!("http://localhost:{port}"))
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("accepted"));
    send_one_to(&env, &format!("HTTP://LOCALHOST.:{port}/"))
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
    send_one_to(&env, &server.url)
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("accepted"));
}

// Production

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
        let mut cmd = send_one_to(&env, spelling);
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
fn production_without_a_terminal_or_yes_sends_nothing() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    env.cmd()
        .args(env.production_at(&server.url))
        .args(["--policy-source", "HN_HT_QNW", "send", "--order-no", "QS1"])
        .args(["--policy", "P1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("PRODUCTION"))
        .stderr(predicate::str::contains("--yes"));
    for suffix in ["", "-wal", "-shm"] {
        let mut file = env.journal().into_os_string();
        file.push(suffix);
        assert!(
            !std::path::Path::new(&file).exists(),
            "nothing may be written either: {file:?}"
        );
    }
}

#[test]
fn production_with_yes_sends() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    env.cmd()
        .args(env.production_at(&server.url))
        .args(["--policy-source", "HN_HT_QNW", "send", "--order-no", "QS1"])
        .args(["--policy", "P1", "--yes"])
        .assert()
        .code(0);
}

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

// What a base URL may not be

#[test]
fn credentials_in_a_base_url_are_refused_without_showing_them() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let port = server.url.rsplit(':').next().unwrap().to_string();
    let url = format!("http://avatar:Pa55w0rdXYZ@127.0.0.1:{port}");
    let out = send_one_to(&env, &url).output().unwrap();
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

#[test]
fn plain_http_is_refused_except_to_loopback() {
    let env = Env::new();
    env.cmd()
        .args([
            "--base-url",
            "http://example.com",
            "--policy-source",
            "HN",
            "send",
            "--policy",
            "P1",
            "--order-no",
            "O",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("loopback"));
}

// Proxies

#[test]
fn a_loopback_target_never_goes_through_a_proxy() {
    let env = Env::new();
    let proxy = Server::always(Reply::accept()).expect_hits(0);
    let target = Server::always(Reply::accept()).expect_hits(1);
    let mut cmd = send_one_to(&env, &target.url);
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
        let mut cmd = send_one_to(&env, "https://avatar.example");
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
        send_one_to(&env, &server.url)
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
    let out = send_one_to(&env, &url)
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
    let out = send_one_to(&env, &url).arg("--json").output().unwrap();
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
    send_one_to(&env, &url)
        .arg("--cacert")
        .arg(&ca)
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("accepted"));
}
