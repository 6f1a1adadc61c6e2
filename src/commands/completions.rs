//! `completions <SHELL>`: the script clap_complete generates from the CLI definition, repaired
//! where the generator gets it wrong for this program, so that bash, zsh and fish complete
//! every command's options and values.
//!
//! Each repair is computed from the CLI definition, not written for today's options, so a
//! new option or command is completed without touching this file. tests/completions.rs drives
//! each shell to check the result.

use crate::cli::Cli;
use crate::output::Console;
use clap::CommandFactory;
use clap_complete::Shell;
use std::collections::BTreeSet;

/// The program the scripts complete.
const BIN: &str = "avatar-cli";

/// The script for `shell`: what `completions SHELL` prints and `completions/` holds.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    // Generating builds `cmd`, which the repairs then read.
    clap_complete::generate(shell, &mut cmd, BIN, &mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let repaired = match shell {
        Shell::Bash => bash(&cmd, text),
        Shell::Zsh => zsh(&cmd, text),
        Shell::Fish => fish(&cmd, text),
        _ => text,
    };
    repaired.into_bytes()
}

pub fn run(shell: Shell, console: &Console) -> Result<u8, crate::error::Refusal> {
    console.out_bytes(&script(shell));
    Ok(console.offline_exit(crate::error::code::OK, "the script"))
}

/// clap_complete's separator between the names in the state of a bash script.
const BASH_SEP: &str = "__subcmd__";

fn bash(cmd: &clap::Command, script: String) -> String {
    bash_files(cmd, bash_labels(script))
}

/// For a program name with a hyphen, clap_complete (4.6.12 and before) spells the state of
/// `avatar-cli batch` two ways: the loop over the words sets `avatar__cli__subcmd__batch`,
/// the case that completes it is labelled `avatar__subcmd__cli__subcmd__batch`. No label
/// matched, so after a command bash offered nothing but file names. The labels (the lines of
/// the second case, eight spaces in) take the loop's spelling.
fn bash_labels(script: String) -> String {
    script.replace(
        &bash_label(&BIN.replace('-', BASH_SEP)),
        &bash_label(&BIN.replace('-', "__")),
    )
}

fn bash_label(state: &str) -> String {
    format!("\n        {state}{BASH_SEP}")
}

/// What a command that reads a file (`batch FILE`) completes once no option wants a value:
/// file names, as zsh and fish do, where clap_complete offered every option for an empty word
/// and left file names to bash's fallback.
const BASH_FILE_NAMES: &str = r#"
            # A word that is no option is a file name.
            local IFS=$'\n'
            COMPREPLY=( $(compgen -f -- "${cur}") )
            if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
                compopt -o filenames
            fi
            return 0
            ;;"#;

/// In the case of each command that takes a file and no subcommand, words that do not start
/// with `-` complete as file names.
fn bash_files(cmd: &clap::Command, mut script: String) -> String {
    let offer_options = "\n            COMPREPLY=( $(compgen -W \"${opts}\" -- \"${cur}\") )\n            return 0\n            ;;";
    for (path, c) in command_paths(cmd) {
        let takes_a_file = c.get_positionals().any(|a| {
            matches!(
                a.get_value_hint(),
                clap::ValueHint::FilePath | clap::ValueHint::AnyPath
            )
        });
        if path.is_empty() || c.has_subcommands() || !takes_a_file {
            continue;
        }
        let state: Vec<String> = std::iter::once(BIN.replace('-', "__"))
            .chain(path.iter().map(|name| name.replace('-', BASH_SEP)))
            .collect();
        let head = format!("\n        {})\n", state.join(BASH_SEP));
        let Some(start) = script.find(&head) else {
            continue;
        };
        let Some(end) = script[start..].find(offer_options).map(|i| start + i) else {
            continue;
        };
        // The program name is word 0, so the command's first word is its depth.
        let first_word = format!(" || ${{COMP_CWORD}} -eq {} ]]", path.len() + 1);
        let case = script[start..end].replacen(&first_word, " ]]", 1);
        script.replace_range(
            start..end + offer_options.len(),
            &format!("{case}{BASH_FILE_NAMES}"),
        );
    }
    script
}

/// clap_complete writes an option's value name into zsh's `_arguments` spec unescaped: the
/// quotes and colon of `'NAME: VALUE'` broke the spec, and zsh completed nothing at all for a
/// command with `-H`. Such names are escaped as the help texts are.
fn zsh(cmd: &clap::Command, mut script: String) -> String {
    let names: BTreeSet<String> = command_paths(cmd)
        .into_iter()
        .flat_map(|(_, c)| c.get_opts())
        .filter_map(|a| Some(a.get_value_names()?.first()?.to_string()))
        .filter(|name| name.contains(['\'', ':', '\\']))
        .collect();
    for name in names {
        let escaped = name
            .replace('\\', "\\\\")
            .replace('\'', "'\\''")
            .replace(':', "\\:");
        script = script.replace(&format!("]:{name}:"), &format!("]:{escaped}:"));
    }
    script
}

/// The command and all its subcommands at any depth, each with the names that lead to it.
fn command_paths(cmd: &clap::Command) -> Vec<(Vec<&str>, &clap::Command)> {
    let mut all = vec![(Vec::new(), cmd)];
    let mut i = 0;
    while i < all.len() {
        let (path, c) = all[i].clone();
        all.extend(c.get_subcommands().map(|sub| {
            let mut to = path.clone();
            to.push(sub.get_name());
            (to, sub)
        }));
        i += 1;
    }
    all
}

/// Three things clap_complete's fish script misses:
/// - the options before the command are read with `argparse`, which knows no aliases:
///   `avatar-cli --channel X batch --<TAB>` offered nothing. The aliases are added.
/// - an option still waiting for its value fails that `argparse`, so `avatar-cli --env <TAB>`
///   offered file names instead of test, prod and sandbox. The words before it are judged.
/// - no positional argument is completed: `completions <TAB>` and `man <TAB>` offered file
///   names. Their values are added, for each command.
fn fish(cmd: &clap::Command, script: String) -> String {
    let name = BIN.replace('-', "_");
    let optspecs = format!("function __fish_{name}_global_optspecs\n    string join \\n");
    let aliases: String = cmd
        .get_arguments()
        .filter(|a| !a.is_positional())
        .flat_map(|a| {
            let value = if takes_values(a) { "=" } else { "" };
            let longs = a.get_visible_aliases().unwrap_or_default();
            let shorts = a.get_visible_short_aliases().unwrap_or_default();
            longs
                .into_iter()
                .map(str::to_string)
                .chain(shorts.into_iter().map(String::from))
                .map(move |alias| format!(" {alias}{value}"))
        })
        .collect();
    let argparse = format!("    argparse -s (__fish_{name}_global_optspecs) -- $cmd 2>/dev/null\n");
    let retry = format!(
        "{argparse}    or argparse -s (__fish_{name}_global_optspecs) -- $cmd[1..-2] 2>/dev/null\n"
    );
    let mut script = script
        .replacen(&optspecs, &format!("{optspecs}{aliases}"), 1)
        .replacen(&argparse, &retry, 1);
    for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
        for arg in sub.get_positionals() {
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| {
                    let help = v.get_help().map(|h| h.to_string()).unwrap_or_default();
                    format!(
                        "{}\\t'{}'",
                        fish_quoted(v.get_name()),
                        fish_quoted(&help.replace('\n', " "))
                    )
                })
                .collect();
            if !values.is_empty() {
                script.push_str(&format!(
                    "complete -c {BIN} -n \"__fish_{name}_using_subcommand {}\" -f -a \"{}\"\n",
                    sub.get_name(),
                    values.join("\n")
                ));
            }
        }
    }
    script
}

fn takes_values(arg: &clap::Arg) -> bool {
    arg.get_num_args().is_none_or(|n| n.takes_values())
}

/// `text` inside `'…'` inside `"…"`: fish reads the double quotes first, then `complete -a`
/// reads the single quotes.
fn fish_quoted(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('\'', "\\'")
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('$', "\\$")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(shell: Shell) -> String {
        String::from_utf8(script(shell)).unwrap()
    }

    /// Every state the loop over the words can reach has its case: the bash repair took.
    #[test]
    fn every_bash_state_has_its_case() {
        let script = text(Shell::Bash);
        let states: BTreeSet<&str> = script
            .lines()
            .filter_map(|l| l.trim().strip_prefix("cmd=\"")?.strip_suffix('"'))
            .filter(|state| !state.is_empty())
            .collect();
        let labels: BTreeSet<&str> = script
            .lines()
            .filter_map(|l| l.strip_prefix("        ")?.strip_suffix(')'))
            .collect();
        assert!(states.contains("avatar__cli__subcmd__batch"), "{states:?}");
        let missing: Vec<_> = states.difference(&labels).collect();
        assert!(missing.is_empty(), "states without a case: {missing:?}");
        // And the commands that read a file complete file names.
        let batch = script
            .split("\n        avatar__cli__subcmd__batch)\n")
            .nth(1)
            .and_then(|rest| rest.split("\n            ;;").next())
            .unwrap();
        assert!(batch.contains("compgen -f -- \"${cur}\""), "{batch}");
        assert!(!batch.contains("COMP_CWORD"), "{batch}");
    }

    #[test]
    fn each_fish_repair_took() {
        let script = text(Shell::Fish);
        assert!(script.contains(" channel="), "alias in the optspecs");
        assert!(script.contains("-- $cmd[1..-2] 2>/dev/null\n    or return\n"));
        assert!(script.contains("using_subcommand completions\" -f -a \"bash"));
    }

    #[test]
    fn zsh_value_names_are_escaped() {
        let script = text(Shell::Zsh);
        assert!(script.contains(":'\\''NAME\\: VALUE'\\'':_default'"));
        assert!(!script.contains(":'NAME: VALUE':"));
    }

    #[test]
    fn fish_quoting_survives_both_readings() {
        assert_eq!(fish_quoted("it's $HOME"), "it\\\\'s \\$HOME");
    }
}
