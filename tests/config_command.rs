//! `config init|show|path` over the built binary: a commented config file written where it is
//! looked for (mode 0600, its directory created, never over an existing file), read back by
//! `config show` with every setting's source, and `config path` saying where it looks.

mod common;

use common::{json_lines, text, Env};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

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
