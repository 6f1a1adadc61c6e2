//! `--env sandbox` needs no channel code: without one it rehearses under `SANDBOX`, says so
//! once on stderr, records it, and `doctor` and `config show` name its source as derived from
//! the sandbox. A real platform still needs the code the insurer assigned.

mod common;

use common::{json_lines, text, Env};
use std::path::PathBuf;

fn readme_csv() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/cancellations.csv")
}

const NOTE: &str =
    "channel SANDBOX: --env sandbox needs no --policy-source (give one to rehearse under your own)";

#[test]
fn a_rehearsal_without_a_channel_is_sent_under_sandbox_said_once() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["--env", "sandbox", "batch"])
        .arg(readme_csv())
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        text(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("accepted"))
            .count(),
        5
    );
    assert_eq!(stderr.matches(NOTE).count(), 1, "{stderr}");
    assert!(
        !stderr.contains("warning"),
        "a note, not a warning: {stderr}"
    );
    let history = env
        .cmd()
        .args(["history", "--env", "sandbox", "--json"])
        .output()
        .unwrap();
    let rows = json_lines(&history.stdout);
    assert_eq!(rows.len(), 5);
    assert!(
        rows.iter().all(|r| r["policySource"] == "SANDBOX"),
        "{rows:?}"
    );
    // -q leaves it out; a dry run says it too.
    let quiet = env
        .cmd()
        .args([
            "--env",
            "sandbox",
            "-q",
            "send",
            "--policy",
            "P1",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert_eq!(quiet.status.code(), Some(0));
    assert!(text(&quiet.stderr).is_empty(), "{}", text(&quiet.stderr));
    let dry = env
        .cmd()
        .args(["--env", "sandbox", "send", "--policy", "P1", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(text(&dry.stderr).matches(NOTE).count(), 1);
    assert_eq!(
        json_lines(&dry.stdout)[0]["head"]["policySource"],
        "SANDBOX"
    );
}

#[test]
fn a_channel_given_wins_and_nothing_is_said() {
    let env = Env::new();
    for given in [vec!["--policy-source", "DEMO"], vec!["--channel", "DEMO"]] {
        let out = env
            .cmd()
            .args(["--env", "sandbox", "send", "--policy", "P1", "--dry-run"])
            .args(&given)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(
            !text(&out.stderr).contains("SANDBOX"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(json_lines(&out.stdout)[0]["head"]["policySource"], "DEMO");
    }
    let out = env
        .cmd()
        .env("AVATAR_POLICY_SOURCE", "FROMVAR")
        .args(["--env", "sandbox", "send", "--policy", "P1", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(
        json_lines(&out.stdout)[0]["head"]["policySource"],
        "FROMVAR"
    );
}

#[test]
fn doctor_and_config_show_name_the_channel_as_derived_from_the_sandbox() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["--env", "sandbox", "doctor", "--json"])
        .output()
        .unwrap();
    let doctor = &json_lines(&out.stdout)[0];
    let channel = doctor["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "policy_source")
        .unwrap()
        .clone();
    assert_eq!(channel["value"], "SANDBOX");
    assert_eq!(
        channel["source"],
        "env sandbox: a rehearsal needs no real channel"
    );
    let out = env
        .cmd()
        .args(["config", "show", "--env", "sandbox"])
        .output()
        .unwrap();
    assert!(
        text(&out.stdout)
            .lines()
            .any(|l| l
                == "policy_source      SANDBOX  (env sandbox: a rehearsal needs no real channel)"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn the_test_platform_still_needs_a_channel() {
    let env = Env::new();
    let out = env
        .cmd()
        .args([
            "--env",
            "test",
            "send",
            "--policy",
            "P1",
            "--order-no",
            "O1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("error: no channel code: pass --policy-source CODE"),
        "{}",
        text(&out.stderr)
    );
}
