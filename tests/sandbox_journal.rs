//! `--env sandbox` keeps a journal of its own, so that the README's first command, run twice,
//! shows the skip-and-resume a real run has, without ever touching a real journal.

mod common;

use common::{text, Env};
use std::path::PathBuf;

fn readme_csv() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/cancellations.csv")
}

/// The README's first command, as a newcomer types it: no AVATAR_JOURNAL.
fn first_command(env: &Env) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.env_remove("AVATAR_JOURNAL")
        .args(["--env", "sandbox", "batch"])
        .arg(readme_csv());
    cmd
}

fn state(env: &Env, file: &str) -> PathBuf {
    env.path("state").join("avatar-cli").join(file)
}

#[test]
fn the_readme_command_twice_skips_all_five_the_second_time() {
    let env = Env::new();
    let first = first_command(&env).assert().code(0).get_output().clone();
    let first = text(&first.stdout);
    assert_eq!(
        first.lines().filter(|l| l.starts_with("accepted")).count(),
        5,
        "{first}"
    );
    let second = first_command(&env).assert().code(0).get_output().clone();
    let second = text(&second.stdout);
    let skipped: Vec<&str> = second
        .lines()
        .filter(|l| l.starts_with("skipped"))
        .collect();
    assert_eq!(skipped.len(), 5, "{second}");
    assert_eq!(second.lines().count(), 5, "{second}");
    // Each under the orderNo the first run generated.
    for line in skipped {
        let order = line.split_whitespace().nth(4).expect("orderNo");
        assert!(first.contains(order), "{order} not in {first}");
    }
    assert!(state(&env, "sandbox.sqlite3").is_file());
    assert!(
        !state(&env, "journal.sqlite3").exists(),
        "the real journal was created"
    );
}

#[test]
fn a_journal_named_only_by_avatar_journal_is_left_alone() {
    let env = Env::new(); // AVATAR_JOURNAL points at env.journal()
    for _ in 0..2 {
        env.cmd()
            .args(["--env", "sandbox", "--policy-source", "DEMO", "batch"])
            .arg(readme_csv())
            .assert()
            .code(0);
    }
    assert!(
        !env.journal().exists(),
        "a rehearsal went into the real journal"
    );
    assert!(state(&env, "sandbox.sqlite3").is_file());
}

#[test]
fn journal_and_no_journal_on_the_command_line_still_win() {
    let env = Env::new();
    let mine = env.path("rehearsal.sqlite3");
    for _ in 0..2 {
        first_command(&env)
            .arg("--journal")
            .arg(&mine)
            .assert()
            .code(0);
    }
    assert!(mine.is_file());
    assert!(!state(&env, "sandbox.sqlite3").exists());
    // Without a journal nothing is remembered: both runs accept.
    for _ in 0..2 {
        let out = first_command(&env)
            .arg("--no-journal")
            .assert()
            .code(0)
            .get_output()
            .clone();
        assert_eq!(text(&out.stdout).matches("accepted").count(), 5);
    }
    assert!(!state(&env, "sandbox.sqlite3").exists());
}

#[test]
fn history_env_sandbox_shows_the_rehearsals() {
    let env = Env::new();
    first_command(&env).assert().code(0);
    let out = env
        .cmd()
        .env_remove("AVATAR_JOURNAL")
        .args(["history", "--env", "sandbox", "--json"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let rows = common::json_lines(&out.stdout);
    assert_eq!(rows.len(), 5, "{}", text(&out.stdout));
    assert!(rows
        .iter()
        .all(|r| r["endpoint"] == "sandbox" && r["state"] == "accepted"));
}
