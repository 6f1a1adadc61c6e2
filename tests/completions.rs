//! The committed completion scripts under `completions/` must match the CLI as it is now.
//! Regenerate them with `UPDATE_COMPLETIONS=1 cargo test --test completions`.

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
