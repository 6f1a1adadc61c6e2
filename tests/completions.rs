//! The committed completion scripts and manual pages under `completions/` must match the CLI
//! as it is now (regenerate them with `UPDATE_COMPLETIONS=1 cargo test --test completions`),
//! and the scripts must complete: bash, zsh and fish are run with the script installed where
//! the README says, and asked to complete what a person types.

mod common;

use avatar_cli::cli::Cli;
use avatar_cli::commands::completions::script;
use clap::CommandFactory;
use clap_complete::Shell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

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
        let generated = script(shell);
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

/// What every shell must offer at the end of each line, exactly (in any order). The working
/// directory holds `cancellations.csv` and `results.csv`.
const CASES: &[(&str, &[&str])] = &[
    // After a command, its own options: the bash script once offered nothing here.
    ("avatar-cli batch --enc", &["--encoding"]),
    ("avatar-cli history --outc", &["--outcome"]),
    ("avatar-cli send --po", &["--policy", "--policy-source"]),
    // Options before the command, an alias among them, do not stop the command's completion.
    ("avatar-cli --channel X batch --fa", &["--fail-fast"]),
    ("avatar-cli -e prod history --att", &["--attempts"]),
    ("avatar-cli history --wi", &["--wide"]),
    // A command's own commands, and their options.
    ("avatar-cli config sh", &["show"]),
    ("avatar-cli config init --pa", &["--path"]),
    // Values.
    ("avatar-cli --env ", &["test", "prod", "sandbox"]),
    (
        "avatar-cli batch cancellations.csv -e ",
        &["test", "prod", "sandbox"],
    ),
    (
        "avatar-cli history --output ",
        &["text", "json", "csv", "jsonl", "xlsx"],
    ),
    (
        "avatar-cli batch cancellations.csv --report-headers ",
        &["en", "zh"],
    ),
    ("avatar-cli send --color ", &["auto", "always", "never"]),
    (
        "avatar-cli validate cancellations.csv --format ",
        &["csv", "jsonl"],
    ),
    (
        "avatar-cli batch cancellations.csv --encoding ",
        &["utf-8", "gb18030"],
    ),
    (
        "avatar-cli history --outcome ",
        &["accepted", "rejected", "failed", "inDoubt", "notSent"],
    ),
    ("avatar-cli completions f", &["fish"]),
    ("avatar-cli man ba", &["batch"]),
    // File names, for a command's FILE and an option's.
    ("avatar-cli batch c", &["cancellations.csv"]),
    (
        "avatar-cli validate ",
        &["cancellations.csv", "results.csv"],
    ),
    (
        "avatar-cli batch cancellations.csv --report r",
        &["results.csv"],
    ),
    ("avatar-cli history --out r", &["results.csv"]),
];

/// The lines to complete: the cases, then `avatar-cli COMMAND --` for every command.
fn lines() -> Vec<String> {
    CASES
        .iter()
        .map(|(line, _)| line.to_string())
        .chain(
            commands()
                .into_iter()
                .map(|(name, _)| format!("avatar-cli {name} --")),
        )
        .collect()
}

/// Every command with the long options (and their aliases) its help shows.
fn commands() -> Vec<(String, BTreeSet<String>)> {
    let mut cli = Cli::command();
    cli.build();
    cli.get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
        .map(|c| {
            let longs = c
                .get_arguments()
                .filter(|a| !a.is_hide_set() && !a.is_positional())
                .flat_map(|a| a.get_long_and_visible_aliases().unwrap_or_default())
                .map(|long| format!("--{long}"))
                .collect();
            (c.get_name().to_string(), longs)
        })
        .collect()
}

/// Checks what `shell` offered for [`lines`], one list per line.
fn check(shell: &str, offered: &[Vec<String>]) {
    let lines = lines();
    assert_eq!(offered.len(), lines.len(), "{shell}: {offered:?}");
    let mut wrong = Vec::new();
    for ((line, expected), got) in CASES.iter().zip(offered) {
        let got: BTreeSet<&str> = got.iter().map(String::as_str).collect();
        let expected: BTreeSet<&str> = expected.iter().copied().collect();
        if got != expected {
            wrong.push(format!("{line:?}: offered {got:?}, expected {expected:?}"));
        }
    }
    for ((name, longs), got) in commands().iter().zip(&offered[CASES.len()..]) {
        let missing: Vec<&String> = longs.iter().filter(|l| !got.contains(l)).collect();
        if !missing.is_empty() {
            wrong.push(format!("'avatar-cli {name} --': {missing:?} not offered"));
        }
    }
    assert!(wrong.is_empty(), "{shell}:\n{}", wrong.join("\n"));
}

/// A home of its own with the script that `avatar-cli completions SHELL` prints installed at
/// `install_at` (relative to HOME, where the README puts it), and a working directory with
/// two files to complete.
struct Home {
    env: common::Env,
    work: PathBuf,
}

impl Home {
    fn new(shell: &str, install_at: &str) -> Home {
        let env = common::Env::new();
        let out = env.cmd().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let installed = env.path(install_at);
        std::fs::create_dir_all(installed.parent().unwrap()).unwrap();
        std::fs::write(&installed, &out.stdout).unwrap();
        let work = env.path("work");
        std::fs::create_dir(&work).unwrap();
        for file in ["cancellations.csv", "results.csv"] {
            std::fs::write(work.join(file), "policyNo\\nP1\\n").unwrap();
        }
        Home { env, work }
    }

    /// `program` as the user runs it: this home, avatar-cli on the PATH, in the working
    /// directory.
    fn command(&self, program: &str) -> std::process::Command {
        let bin = assert_cmd::cargo::cargo_bin("avatar-cli");
        let path =
            std::env::join_paths(std::iter::once(bin.parent().unwrap().to_path_buf()).chain(
                std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
            ))
            .unwrap();
        let mut cmd = std::process::Command::new(program);
        cmd.env_clear()
            .env("HOME", self.env.dir.path())
            .env("XDG_CONFIG_HOME", self.env.path("config"))
            .env("PATH", path)
            .current_dir(&self.work)
            .stdin(std::process::Stdio::null());
        cmd
    }

    /// Runs `cmd`, which prints each line's candidates one per line, each list ended by
    /// `<<end>>`.
    fn candidates(&self, cmd: std::process::Command, shell: &str) -> Vec<Vec<String>> {
        let out = assert_cmd::Command::from_std(cmd)
            .timeout(common::PATIENCE)
            .output()
            .unwrap_or_else(|e| panic!("{shell} cannot run ({e}): install it (see .ci/run)"));
        let stdout = common::text(&out.stdout);
        assert!(
            out.status.success(),
            "{shell}: {:?}\n{stdout}\n{}",
            out.status,
            common::text(&out.stderr)
        );
        let mut lists = vec![Vec::new()];
        for line in stdout.lines() {
            if line == "<<end>>" {
                lists.push(Vec::new());
            } else {
                lists.last_mut().unwrap().push(line.to_string());
            }
        }
        lists.pop();
        lists
    }
}

/// Loads the script as bash-completion does on the first TAB after `avatar-cli` (its default
/// handler finds it where the README puts it), then for each line sets the words as bash does
/// for a completion (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT), calls the function the
/// script registered for avatar-cli, and prints COMPREPLY.
const BASH_DRIVER: &str = r#"
source /usr/share/bash-completion/bash_completion || exit 9
loader=$(complete -p -D) || exit 8
loader=${loader##* -F }
"${loader%% *}" avatar-cli '' avatar-cli
spec=$(complete -p avatar-cli) || exit 7
fn=${spec##* -F }
fn=${fn%% *}
for line; do
    COMP_LINE=$line
    COMP_POINT=${#line}
    read -ra COMP_WORDS <<< "$line"
    [[ $line == *' ' ]] && COMP_WORDS+=('')
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    COMPREPLY=()
    "$fn" avatar-cli "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\n' "${COMPREPLY[@]}" '<<end>>'
done
"#;

#[test]
fn bash_completes_every_commands_options_values_and_files() {
    let home = Home::new(
        "bash",
        ".local/share/bash-completion/completions/avatar-cli",
    );
    let mut cmd = home.command("bash");
    cmd.args(["--norc", "--noprofile", "-i", "-c", BASH_DRIVER, "bash"])
        .args(lines());
    check("bash", &home.candidates(cmd, "bash (with bash-completion)"));
}

#[test]
fn zsh_completes_every_commands_options_values_and_files() {
    let home = Home::new("zsh", ".zfunc/_avatar-cli");
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/complete.zsh");
    let mut cmd = home.command("zsh");
    cmd.arg("-f").arg(driver).args(lines());
    check("zsh", &home.candidates(cmd, "zsh"));
}

#[test]
fn fish_completes_every_commands_options_values_and_files() {
    // fish loads a command's completions by itself, from here, once the command is on the PATH.
    let home = Home::new("fish", "config/fish/completions/avatar-cli.fish");
    let mut cmd = home.command("fish");
    cmd.args([
        "-c",
        r#"for line in $argv; complete -C "$line" | string replace -r '\t.*' ''; echo '<<end>>'; end"#,
    ])
    .args(lines());
    check("fish", &home.candidates(cmd, "fish"));
}
