//! Settings over the built binary: the command line, then environment variables, then the
//! config file, then defaults, for every setting; config keys that change what is sent; a
//! mistake in the file named by its path and line; and `config init|show|path` (a commented
//! file written where it is looked for, mode 0600, never over an existing file, read back by
//! `config show` with every setting's source).

mod common;

use common::{config_for, json_lines, text, Env, Reply, Server, CHANNEL};
use predicates::prelude::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

// Where each setting comes from

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

#[test]
fn flag_beats_environment_beats_config() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(3);
    let config = env.write(
        "config.toml",
        format!(
            "policy_source = \"FROM_CONFIG\"\n[environments.test]\nbase_url = \"{}\"\n",
            server.url
        ),
    );
    let run = |extra_env: Option<&str>, flag: Option<&str>| {
        let mut cmd = env.cmd();
        cmd.arg("--config").arg(&config).args([
            "send",
            "--policy",
            "P1",
            "--order-no",
            "QS1",
            "--force",
        ]);
        if let Some(v) = extra_env {
            cmd.env("AVATAR_POLICY_SOURCE", v);
        }
        if let Some(v) = flag {
            cmd.args(["--policy-source", v]);
        }
        cmd.assert().code(0);
    };
    run(None, None);
    run(Some("FROM_ENV"), None);
    run(Some("FROM_ENV"), Some("FROM_FLAG"));
    let sources: Vec<String> = server
        .seen()
        .iter()
        .map(|s| s.head("policySource").to_string())
        .collect();
    assert_eq!(sources, ["FROM_CONFIG", "FROM_ENV", "FROM_FLAG"]);
}

#[test]
fn global_options_work_after_the_command_and_from_the_environment() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    env.cmd()
        .env("AVATAR_POLICY_SOURCE", "FROM_ENV")
        .args([
            "send",
            "--policy",
            "P1",
            "--order-no",
            "QS1",
            "--base-url",
            &server.url,
            "--json",
        ])
        .assert()
        .code(0);
    assert_eq!(server.seen()[0].head("policySource"), "FROM_ENV");
}

#[test]
fn avatar_env_chooses_the_environment() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    // Production by the variable alone (its URL from the config): it asks, and with no
    // terminal it refuses.
    let config = env.write(
        "config.toml",
        format!("[environments.prod]\nbase_url = \"{}\"\n", server.url),
    );
    env.cmd()
        .env("AVATAR_ENV", "prod")
        .env("AVATAR_CONFIG", &config)
        .args(["--policy-source", CHANNEL])
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("PRODUCTION"));
    // The sandbox by the variable alone: sent and accepted with no URL given.
    env.cmd()
        .env("AVATAR_ENV", "sandbox")
        .args(["--policy-source", "DEMO", "send", "--policy", "P1"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("accepted"));
    // The flag beats the variable.
    env.cmd()
        .env("AVATAR_ENV", "prod")
        .args([
            "--env",
            "sandbox",
            "--policy-source",
            "DEMO",
            "send",
            "--policy",
            "P2",
        ])
        .assert()
        .code(0);
}

#[test]
fn avatar_base_url_and_avatar_config_are_read() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(2);
    env.cmd()
        .env("AVATAR_BASE_URL", &server.url)
        .args([
            "--policy-source",
            "FROM_FLAG",
            "send",
            "--policy",
            "P1",
            "--order-no",
            "O1",
        ])
        .assert()
        .code(0);
    let config = env.write(
        "elsewhere.toml",
        format!(
            "policy_source = \"FROM_CONFIG\"\n[environments.test]\nbase_url = \"{}\"\n",
            server.url
        ),
    );
    env.cmd()
        .env("AVATAR_CONFIG", &config)
        .args(["send", "--policy", "P2", "--order-no", "O2"])
        .assert()
        .code(0);
    let seen = server.seen();
    assert_eq!(seen[0].policy_no(), "P1");
    assert_eq!(seen[1].head("policySource"), "FROM_CONFIG");
    // A named config that is missing is an error naming it.
    env.cmd()
        .env("AVATAR_CONFIG", "/nonexistent/avatar.toml")
        .args(["send", "--policy", "P3", "--dry-run"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/avatar.toml"));
}

#[test]
fn the_default_config_file_is_read_from_the_config_dir() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let dir = env.path("config").join("avatar-cli");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "policy_source = \"FROM_DEFAULT_CONFIG\"\n[environments.test]\nbase_url = \"{}\"\n",
            server.url
        ),
    )
    .unwrap();
    env.cmd()
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .assert()
        .code(0);
    assert_eq!(server.seen()[0].head("policySource"), "FROM_DEFAULT_CONFIG");
}

#[test]
fn generate_order_no_and_order_no_prefix_in_the_config() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(2);
    let plain = config_for(&env, &server, "");
    env.cmd()
        .arg("--config")
        .arg(&plain)
        .args(["send", "--policy", "P1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--generate-order-no"));
    let generating = config_for(&env, &server, "generate_order_no = true");
    env.cmd()
        .arg("--config")
        .arg(&generating)
        .args(["send", "--policy", "P1"])
        .assert()
        .code(0);
    let prefixed = config_for(
        &env,
        &server,
        "generate_order_no = true\norder_no_prefix = \"ZXQ\"",
    );
    env.cmd()
        .arg("--config")
        .arg(&prefixed)
        .args(["send", "--policy", "P2"])
        .assert()
        .code(0);
    let seen = server.seen();
    let (first, second) = (seen[0].head("orderNo"), seen[1].head("orderNo"));
    assert!(first.starts_with("QS") && first.len() == 23, "{first}");
    assert!(second.starts_with("ZXQ") && second.len() == 24, "{second}");
}

// Mistakes in the file

#[test]
fn a_malformed_config_names_the_file_line_and_key() {
    let env = Env::new();
    let config = env.write(
        "config.toml",
        "policy_source = \"HN\"\ntimeout_secs = \"soon\"\n",
    );
    env.cmd()
        .arg("--config")
        .arg(&config)
        .args(["send", "--policy", "P1", "--dry-run", "--order-no", "O1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("config.toml"))
        .stderr(predicate::str::contains("line 2"))
        .stderr(predicate::str::contains("timeout_secs"));
    env.cmd()
        .args([
            "--config",
            "/nonexistent/avatar.toml",
            "send",
            "--policy",
            "P1",
            "--dry-run",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/avatar.toml"));
}

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

// config init, show and path

/// Where the config is looked for in a test's environment (XDG_CONFIG_HOME is pinned).
fn default_place(env: &Env) -> PathBuf {
    env.path("config").join("avatar-cli").join("config.toml")
}

fn run(env: &Env, args: &[&str]) -> (i32, String, String) {
    let out = env.cmd().args(args).output().expect("run avatar-cli");
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_writes_a_commented_file_where_it_is_looked_for_readable_by_its_owner_alone() {
    let env = Env::new();
    let place = default_place(&env);
    let (code, out, err) = run(&env, &["config", "init"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.starts_with(&format!("wrote {}", place.display())) && err.contains("policy_source"),
        "{err}"
    );
    assert_eq!(mode(&place), 0o600);
    assert_eq!(mode(place.parent().unwrap()), 0o700);
    let written = std::fs::read_to_string(&place).unwrap();
    // The platforms, the channel and headers by @FILE, each key with a line on what it does.
    for line in [
        "# policy_source = \"HN_HT_QNW\"",
        "# [environments.test]",
        "# base_url = \"https://porsche-avatar.chinahuanong.com.cn\"",
        "# [environments.prod]",
        "# base_url = \"https://avatar.chinahuanong.com.cn\"",
        "# [headers]",
        "# X-Gateway-Key = \"@/etc/avatar-cli/gateway.key\"",
    ] {
        assert!(
            written.lines().any(|l| l == line),
            "{line} not in:\n{written}"
        );
    }
    let keys: Vec<&str> = written
        .lines()
        .filter_map(|l| l.strip_prefix("# ")?.split_once(" = ").map(|(k, _)| k))
        .collect();
    assert_eq!(keys.len(), 14, "{keys:?}");
    for (i, line) in written.lines().enumerate() {
        if keys.iter().any(|k| line.starts_with(&format!("# {k} = "))) {
            let before = written.lines().nth(i - 1).unwrap();
            let before = if before.starts_with("# [") {
                written.lines().nth(i - 2).unwrap()
            } else {
                before
            };
            assert!(
                before.starts_with("# ") && !before.contains(" = "),
                "{line} has no line saying what it does"
            );
        }
    }
    // It is read where it was written, and parses.
    let (code, out, err) = run(&env, &["config", "show"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.ends_with(&format!("config file: {} (read)\n", place.display())),
        "{out}"
    );
}

#[test]
fn init_never_overwrites_a_file_and_names_it() {
    let env = Env::new();
    let place = default_place(&env);
    std::fs::create_dir_all(place.parent().unwrap()).unwrap();
    std::fs::write(&place, "policy_source = \"MINE\"\n").unwrap();
    let (code, out, err) = run(&env, &["config", "init", "--policy-source", "OTHER"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [format!(
            "error: {} already exists, and is left as it is: edit it (`avatar-cli config show` \
             checks it), or write another with --path FILE",
            place.display()
        )]
    );
    assert_eq!(
        std::fs::read_to_string(&place).unwrap(),
        "policy_source = \"MINE\"\n"
    );
}

#[test]
fn init_with_a_channel_and_a_path_writes_it_in_and_show_names_its_line() {
    let env = Env::new();
    let file = env.path("deep/er/avatar.toml");
    let file_arg = file.to_str().unwrap();
    let (code, _, err) = run(
        &env,
        &[
            "config",
            "init",
            "--policy-source",
            "HN_HT_QNW",
            "--path",
            file_arg,
        ],
    );
    assert_eq!(code, 0, "{err}");
    // Not where the config is looked for: it says how to use it.
    assert!(
        err.contains(&format!("--config {file_arg} or AVATAR_CONFIG={file_arg}"))
            && err.ends_with(&format!(
                "check it with `avatar-cli --config {file_arg} config show`\n"
            )),
        "{err}"
    );
    assert!(!default_place(&env).exists());
    let written = std::fs::read_to_string(&file).unwrap();
    let line = written
        .lines()
        .position(|l| l == "policy_source = \"HN_HT_QNW\"")
        .expect("the channel, set")
        + 1;
    let (code, out, err) = run(&env, &["--config", file_arg, "config", "show"]);
    assert_eq!(code, 0, "{err}");
    let channel = out
        .lines()
        .find(|l| l.starts_with("policy_source"))
        .unwrap();
    assert_eq!(
        channel.split_whitespace().collect::<Vec<_>>(),
        [
            "policy_source",
            "HN_HT_QNW",
            "(config",
            "file",
            &format!("{file_arg}:{line})")
        ]
    );
    // The other settings keep their defaults: every one of the file's is commented out.
    assert!(out.contains("timeout_secs       30  (default)"), "{out}");
    // --json: one object, every setting with its value and source.
    let (code, out, _) = run(&env, &["--config", file_arg, "config", "show", "--json"]);
    assert_eq!(code, 0);
    let objects = json_lines(out.as_bytes());
    assert_eq!(objects.len(), 1, "{out}");
    let object = &objects[0];
    assert_eq!(object["configFile"]["read"], true);
    let settings = object["settings"].as_array().unwrap();
    let channel = settings
        .iter()
        .find(|s| s["name"] == "policy_source")
        .unwrap();
    assert_eq!(channel["value"], "HN_HT_QNW");
    assert_eq!(
        channel["source"],
        format!("config file {file_arg}:{line}").as_str()
    );
    assert!(settings.iter().any(|s| s["name"] == "journal"));
}

#[test]
fn init_refuses_a_bad_channel_or_a_place_it_cannot_write_and_writes_nothing() {
    let env = Env::new();
    let (code, _, err) = run(&env, &["config", "init", "--policy-source", "HN HT"]);
    assert_eq!(code, 2);
    assert!(err.contains("the channel code (--policy-source)"), "{err}");
    assert!(!default_place(&env).exists());
    let blocker = env.write("a-file", "");
    let inside = blocker.join("config.toml");
    let (code, _, err) = run(
        &env,
        &["config", "init", "--path", inside.to_str().unwrap()],
    );
    assert_eq!(code, 2);
    assert!(
        err.starts_with(&format!("error: cannot write {}", inside.display()))
            && err.contains("--path FILE"),
        "{err}"
    );
}

#[test]
fn init_as_json_says_what_it_wrote() {
    let env = Env::new();
    let (code, out, _) = run(&env, &["config", "init", "--json"]);
    assert_eq!(code, 0);
    let objects = json_lines(out.as_bytes());
    assert_eq!(objects.len(), 1, "{out}");
    assert_eq!(
        objects[0],
        serde_json::json!({
            "path": default_place(&env).to_str().unwrap(),
            "created": true,
            "read": true,
        })
    );
}

#[test]
fn show_names_the_source_of_each_setting_and_refuses_a_broken_file() {
    let env = Env::new();
    let (code, out, err) = run(
        &env,
        &["config", "show", "--timeout", "2.5", "--env", "prod"],
    );
    assert_eq!(code, 0, "{err}");
    let line = |name: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no {name} in {out}"))
            .to_string()
    };
    assert!(
        line("timeout_secs").ends_with("2.5  (flag --timeout)"),
        "{out}"
    );
    assert!(line("env").ends_with("prod  (flag --env)"), "{out}");
    assert!(line("journal").ends_with("(environment variable AVATAR_JOURNAL)"));
    assert!(line("policy_source").ends_with("none  (default)"));
    assert!(out.ends_with("(none there: defaults apply)\n"), "{out}");
    let broken = env.write(
        "broken.toml",
        "policy_source = \"HN\"\ntimeout_secs = \"thirty\"\n",
    );
    let (code, out, err) = run(
        &env,
        &["--config", broken.to_str().unwrap(), "config", "show"],
    );
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("line 2") && err.contains("timeout_secs"),
        "{err}"
    );
}

#[test]
fn path_prints_where_it_looks_and_says_whether_the_file_is_there() {
    let env = Env::new();
    let place = default_place(&env);
    let (code, out, err) = run(&env, &["config", "path"]);
    assert_eq!(code, 0);
    assert_eq!(out, format!("{}\n", place.display()));
    assert_eq!(
        err,
        "the default place; no file there yet (`avatar-cli config init` writes one)\n"
    );
    run(&env, &["config", "init"]);
    let (_, out, err) = run(&env, &["config", "path"]);
    assert_eq!(out, format!("{}\n", place.display()));
    assert_eq!(err, "the default place; the file is there\n");
    // Named by the variable, and as JSON.
    let named = env.path("named.toml");
    let out = env
        .cmd()
        .env("AVATAR_CONFIG", &named)
        .args(["config", "path", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let object = &json_lines(&out.stdout)[0];
    assert_eq!(object["path"], named.to_str().unwrap());
    assert_eq!(object["source"], "environment variable AVATAR_CONFIG");
    assert_eq!(object["exists"], false);
    // And init writes there.
    let out = env
        .cmd()
        .env("AVATAR_CONFIG", &named)
        .args(["config", "init"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(named.is_file());
}
