//! The command lines the tests run most, each written once: a notice sent to a test server, a
//! batch of a file, the journal read back with `history`, and what a run printed, taken apart.

use super::{json_lines, text, Env, Server};
use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

/// The channel code (head.policySource) the tests send under.
pub const CHANNEL: &str = "HN_HT_QNW";

/// The channel of the tests that rehearse as the README does.
pub const DEMO_CHANNEL: &str = "DEMO";

/// Global options for `server` and the channel code.
pub fn to(server: &Server) -> Vec<String> {
    vec![
        "--base-url".into(),
        server.url.clone(),
        "--policy-source".into(),
        CHANNEL.into(),
    ]
}

/// `send` to `url` under the channel code; the notice's flags follow.
pub fn send_to(env: &Env, url: &str) -> Command {
    let mut cmd = env.cmd();
    cmd.args(["--base-url", url, "--policy-source", CHANNEL, "send"]);
    cmd
}

/// `send` of one notice (policy P1, order O1) for channel HN to `base_url`, not retried, with a
/// 10 s timeout.
pub fn send_one_to(env: &Env, base_url: &str) -> Command {
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

/// `batch` of `file` to `url` under the channel code, order numbers generated.
pub fn batch_to(env: &Env, url: &str, file: &Path) -> Command {
    let mut cmd = env.cmd();
    cmd.args(["--base-url", url, "--policy-source", CHANNEL, "batch"])
        .arg(file)
        .arg("--generate-order-no");
    cmd
}

/// `batch` of `file` against `server`, with `env_vars` and extra arguments after the file; order
/// numbers generated.
pub fn batch_output(
    env: &Env,
    server: &Server,
    file: &Path,
    env_vars: &[(&str, &str)],
    extra: &[&str],
) -> Output {
    batch_to(env, &server.url, file)
        .args(extra)
        .envs(env_vars.iter().copied())
        .output()
        .expect("run the binary")
}

/// The binary against `url` with the test's journal, the DEMO channel and no retries; the
/// command follows.
pub fn demo_at(env: &Env, url: &str) -> Command {
    let mut cmd = env.cmd();
    cmd.args([
        "--base-url",
        url,
        "--policy-source",
        DEMO_CHANNEL,
        "--retries",
        "0",
    ]);
    cmd
}

/// The rows of `history --json` with `args`, which must succeed.
pub fn history(env: &Env, args: &[&str]) -> Vec<Value> {
    history_by(env.cmd(), args)
}

/// The same, run by `cmd` (the binary, with what the test set on it).
pub fn history_by(mut cmd: Command, args: &[&str]) -> Vec<Value> {
    let out = cmd
        .arg("history")
        .arg("--json")
        .args(args)
        .assert()
        .code(0)
        .get_output()
        .clone();
    json_lines(&out.stdout)
}

/// The one notice `history show` with `args` prints as JSON.
pub fn show_json(env: &Env, args: &[&str]) -> Value {
    let out = env
        .cmd()
        .args(["history", "show"])
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 1, "{}", text(&out.stdout));
    lines.remove(0)
}

/// The outcome of every result of a `--json` run, in the order printed.
pub fn outcomes(out: &Output) -> Vec<String> {
    json_lines(&out.stdout)
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_string())
        .collect()
}

/// How many of `outcomes` are `outcome`.
pub fn count(outcomes: &[String], outcome: &str) -> usize {
    outcomes.iter().filter(|o| *o == outcome).count()
}

/// Stdout, then stderr.
pub fn output_text(out: &Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}
