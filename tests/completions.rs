//! The committed completion scripts and manual pages under `completions/` must match the CLI
//! as it is now. Regenerate them with `UPDATE_COMPLETIONS=1 cargo test --test completions`.

mod common;

use avatar_cli::cli::Cli;
use clap::CommandFactory;
use clap_complete::Shell;
use std::path::PathBuf;

const SCRIPTS: [(Shell, &str, &str); 5] = [
    (Shell::Bash, "bash", "avatar-cli.bash"),
    (Shell::Zsh, "zsh", "_avatar-cli"),
    (Shell::Fish, "fish", "avatar-cli.fish"),
    (Shell::PowerShell, "powershell", "_avatar-cli.ps1"),
    (Shell::Elvish, "elvish", "avatar-cli.elv"),
];

fn committed(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("completions")
        .join(file)
}

#[test]
fn committed_completions_match_the_cli() {
    let update = std::env::var_os("UPDATE_COMPLETIONS").is_some();
    let mut stale = Vec::new();
    for (shell, _, file) in SCRIPTS {
        let mut generated = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "avatar-cli", &mut generated);
        let path = committed(file);
        if update {
            std::fs::write(&path, &generated).expect("write completions");
        } else if std::fs::read(&path).ok().as_deref() != Some(&generated[..]) {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "completions/{stale:?} no longer match the CLI: run `UPDATE_COMPLETIONS=1 cargo test --test completions` and commit the result"
    );
}

#[test]
fn the_binary_prints_the_committed_scripts() {
    let env = common::Env::new();
    for (_, name, file) in SCRIPTS {
        let expected = std::fs::read(committed(file)).expect("committed completions");
        env.cmd()
            .args(["completions", name])
            .assert()
            .code(0)
            .stdout(expected);
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    common::Env::new()
        .cmd()
        .args(["completions", "tcsh"])
        .assert()
        .code(2);
}

#[test]
fn committed_man_pages_match_the_cli() {
    let update = std::env::var_os("UPDATE_COMPLETIONS").is_some();
    let pages = avatar_cli::commands::man::pages();
    let mut stale = Vec::new();
    for (file, roff) in &pages {
        let path = committed(file);
        if update {
            std::fs::write(&path, roff).expect("write man page");
        } else if std::fs::read(&path).ok().as_deref() != Some(&roff[..]) {
            stale.push(file.clone());
        }
    }
    // A page of a command that is gone would linger and mislead.
    let names: Vec<&str> = pages.iter().map(|(f, _)| f.as_str()).collect();
    for entry in std::fs::read_dir(committed("")).expect("completions/") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".1") && !names.contains(&name.as_str()) {
            if update {
                std::fs::remove_file(committed(&name)).expect("remove old page");
            } else {
                stale.push(name);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "completions/{stale:?} no longer match the CLI: run `UPDATE_COMPLETIONS=1 cargo test --test completions` and commit the result"
    );
    assert!(names.contains(&"avatar-cli.1") && names.contains(&"avatar-cli-batch.1"));
}

#[test]
fn the_binary_prints_the_committed_man_pages() {
    let env = common::Env::new();
    let expected = std::fs::read(committed("avatar-cli.1")).expect("committed page");
    env.cmd().arg("man").assert().code(0).stdout(expected);
    let expected = std::fs::read(committed("avatar-cli-batch.1")).expect("committed page");
    env.cmd()
        .args(["man", "batch"])
        .assert()
        .code(0)
        .stdout(expected);
    env.cmd()
        .args(["man", "bacth"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no manual page for 'bacth'"));
}
