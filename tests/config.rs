//! Settings over the built binary: the command line, then environment variables, then the
//! config file, then defaults, for every setting; the target platform as one setting whose
//! source every message names.

mod common;

use common::{text, Env, Reply, Server};

const CHANNEL: &str = "HN_HT_QNW";

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
    // -v's platform line, the line before sending, the summary.
    assert!(
        lines.iter().any(|l| l.starts_with("platform: "))
            && lines
                .iter()
                .any(|l| l.starts_with("sending 1 notice(s) to "))
            && lines.iter().any(|l| l.starts_with("1 notices: ")),
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

/// Channel, journal, timeout, headers: the command line over the variable over the file.
#[test]
fn every_other_setting_follows_the_same_order() {
    let env = Env::new();
    // Doctor's probes (a HEAD each) go here; the one notice to `sender`.
    let server = Server::always(Reply::accept());
    let sender = Server::always(Reply::accept()).expect_hits(1);
    let config = env.write(
        "c.toml",
        format!(
            "policy_source = \"FILE\"\njournal = \"{}\"\ntimeout_secs = 7\n",
            env.path("file.sqlite3").display()
        ),
    );
    let run = |extra: &[&str]| {
        env.cmd()
            .env("AVATAR_CONFIG", &config)
            .env("AVATAR_POLICY_SOURCE", "VAR")
            .args(["--base-url", &server.url])
            .args(extra)
            .arg("doctor")
            .output()
            .unwrap()
    };
    let row = |stdout: &str, name: &str| {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_default()
            .to_string()
    };
    let out = text(&run(&[]).stdout);
    assert!(
        row(&out, "policy_source").contains("VAR  (environment variable AVATAR_POLICY_SOURCE)"),
        "{out}"
    );
    // AVATAR_JOURNAL (set by the test harness) beats the file.
    assert!(
        row(&out, "journal").ends_with("(environment variable AVATAR_JOURNAL)"),
        "{out}"
    );
    assert!(
        row(&out, "timeout_secs").contains("7  (config file"),
        "{out}"
    );
    let out = text(
        &run(&[
            "--policy-source",
            "FLAG",
            "--journal",
            "/tmp/flag.sqlite3",
            "--timeout",
            "2",
        ])
        .stdout,
    );
    assert!(
        row(&out, "policy_source").contains("FLAG  (flag --policy-source)"),
        "{out}"
    );
    assert!(row(&out, "journal").ends_with("(flag --journal)"), "{out}");
    assert!(
        row(&out, "timeout_secs").contains("2  (flag --timeout)"),
        "{out}"
    );
    // A send really uses the winner: the channel in the envelope is the flag's.
    env.cmd()
        .env("AVATAR_CONFIG", &config)
        .env("AVATAR_POLICY_SOURCE", "VAR")
        .args(["--base-url", &sender.url, "--policy-source", "FLAG"])
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .assert()
        .code(0);
    assert_eq!(sender.seen()[0].head("policySource"), "FLAG");
}
