//! Help texts and the manual page: every command's help ends with examples, keeps the global
//! options under their own heading and offers only the options that matter to it; `batch
//! --help` lists the columns a file may have; the man page is roff. Every help text, short and
//! long, is also compared whole with its snapshot under tests/snapshots/.

mod common;

use avatar_cli::cli::Cli;
use clap::CommandFactory;
use common::{text, Env};

fn help(env: &Env, args: &[&str]) -> String {
    let out = env.cmd().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    text(&out.stdout)
}

const COMMANDS: [&str; 7] = [
    "send",
    "batch",
    "validate",
    "history",
    "sandbox",
    "completions",
    "man",
];

#[test]
fn every_commands_help_ends_with_examples() {
    let env = Env::new();
    for command in COMMANDS {
        for flag in ["--help", "-h"] {
            let help = help(&env, &[command, flag]);
            let (_, examples) = help
                .rsplit_once("\nExamples:\n")
                .unwrap_or_else(|| panic!("{command} {flag}: no examples\n{help}"));
            let lines: Vec<&str> = examples.lines().filter(|l| !l.is_empty()).collect();
            assert!(
                lines.iter().all(|l| l.starts_with("  ")),
                "{command} {flag}: the examples are not last\n{help}"
            );
            assert!(
                lines
                    .iter()
                    .any(|l| l.trim_start().starts_with("avatar-cli ")
                        && l.contains(&format!(" {command}"))),
                "{command} {flag}: no example of {command}\n{help}"
            );
        }
    }
    let top = help(&env, &["--help"]);
    assert!(top.contains("\nExamples:\n"), "{top}");
}

/// The lines under `heading` of a help text, up to the next heading.
fn section(help: &str, heading: &str) -> String {
    let start = help
        .find(&format!("\n{heading}:\n"))
        .unwrap_or_else(|| panic!("no {heading}\n{help}"));
    help[start + heading.len() + 3..]
        .lines()
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn global_options_have_their_own_heading() {
    let env = Env::new();
    for command in ["send", "batch", "validate", "history", "sandbox"] {
        for flag in ["--help", "-h"] {
            let help = help(&env, &[command, flag]);
            let global = section(&help, "Global options");
            let own = section(&help, "Options");
            for option in [
                "--env",
                "--base-url",
                "--config",
                "--json",
                "--color",
                "--quiet",
            ] {
                assert!(global.contains(option), "{command}: {option}\n{help}");
                assert!(!own.contains(option), "{command}: {option}\n{help}");
            }
        }
    }
    let send = help(&env, &["send", "--help"]);
    assert!(
        section(&send, "Options").contains("--policy <NO>"),
        "{send}"
    );
    assert!(
        !section(&send, "Global options").contains("--policy "),
        "{send}"
    );
}

#[test]
fn a_command_offers_only_the_options_that_matter_to_it() {
    let env = Env::new();
    let sending = [
        "--timeout",
        "--retries",
        "--no-journal",
        "--cacert",
        "--header",
        "--policy-source",
    ];
    // The options listed, not the examples (sandbox's show the sending command to try).
    let options = |command: &str| {
        let help = help(&env, &[command, "--help"]);
        help.split("\nExamples:\n").next().unwrap().to_string()
    };
    for command in ["validate", "history", "sandbox", "completions", "man"] {
        let help = options(command);
        for option in sending {
            // history filters on the channel: its own --policy-source, not the sending one.
            if command == "history" && option == "--policy-source" {
                continue;
            }
            assert!(!help.contains(option), "{command} offers {option}\n{help}");
        }
    }
    for command in ["validate", "sandbox"] {
        let help = options(command);
        assert!(!help.contains("--journal"), "{command}\n{help}");
    }
    assert!(help(&env, &["history", "--help"]).contains("--journal <FILE|URL>"));
    assert!(!help(&env, &["history", "--help"]).contains("--environment"));
    for command in ["send", "batch"] {
        let help = help(&env, &[command, "--help"]);
        for option in sending.iter().chain(&["--journal"]) {
            assert!(help.contains(option), "{command} lacks {option}\n{help}");
        }
    }
    // Old scripts still put them before the command.
    let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\n");
    env.cmd()
        .args([
            "--timeout",
            "5",
            "--retries",
            "1",
            "--no-journal",
            "-H",
            "X-A: b",
        ])
        .arg("validate")
        .arg(&file)
        .assert()
        .code(0);
}

#[test]
fn batch_help_lists_the_columns_and_formats() {
    let env = Env::new();
    let help = help(&env, &["batch", "--help"]);
    for needed in [
        "保单号",
        "订单号",
        "退费金额",
        "退费日期",
        "退费状态",
        "分期列表",
        "policy_no",
        "secondRefundAmount",
        "yyyy-MM-dd HH:mm:ss",
        "China Standard Time",
        "PAYNO:AMOUNT:yyyy-MM-dd HH:mm:ss",
        "journal holds",
        "--generate-order-no",
        "GB18030",
    ] {
        assert!(help.contains(needed), "{needed}\n{help}");
    }
    // The short help points there.
    assert!(help_short_points_to_long(&env, "batch"));
    assert!(help_short_points_to_long(&env, "validate"));
}

fn help_short_points_to_long(env: &Env, command: &str) -> bool {
    help(env, &[command, "-h"]).contains("see --help")
}

#[test]
fn every_column_name_the_help_lists_is_recognised() {
    let env = Env::new();
    let help = help(&env, &["batch", "--help"]);
    let table: Vec<Vec<String>> = help
        .split_once("\nColumns")
        .expect("a column table")
        .1
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| {
            let names = l.trim_start().split("  ").next().unwrap();
            names.split(", ").map(str::to_string).collect()
        })
        .collect();
    assert_eq!(table.len(), 6, "{help}");
    let values = [
        "P1",
        "O1",
        "10.20",
        "2024-05-10 12:00:00",
        "1",
        "1:10.20:2024-05-10 12:00:00",
    ];
    let widest = table.iter().map(Vec::len).max().unwrap();
    for spelling in 0..widest {
        let header: Vec<&str> = table
            .iter()
            .map(|names| names[spelling.min(names.len() - 1)].as_str())
            .collect();
        let file = env.write(
            "names.csv",
            format!("{}\n{}\n", header.join(","), values.join(",")),
        );
        let out = env.cmd().arg("validate").arg(&file).output().unwrap();
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{header:?}: {all}");
        assert!(
            all.contains("1 valid notice(s), 0 error(s), 0 warning(s)"),
            "{header:?}: {all}"
        );
    }
}

#[test]
fn the_help_says_what_fix_does_and_its_exit_code() {
    let env = Env::new();
    let (stdout, _) = env.run(&["validate", "--help"], 0);
    assert!(stdout.contains("--fix <OUT>"), "{stdout}");
    assert!(
        stdout.contains("The exit code is OUT's: 0 when it has no errors left, 2 otherwise"),
        "{stdout}"
    );
}

#[test]
fn the_man_page_is_roff_with_the_commands_and_examples() {
    let env = Env::new();
    let page = help(&env, &["man"]);
    assert!(page.contains("\n.TH avatar-cli 1 "), "{page}");
    for needed in [
        "avatar\\-cli\\-batch(1)",
        ".SH EXAMPLES",
        ".SH \"GLOBAL OPTIONS\"",
    ] {
        assert!(page.contains(needed), "{needed}\n{page}");
    }
    let batch = help(&env, &["man", "batch"]);
    assert!(batch.contains("保单号") && batch.contains(".nf"), "{batch}");
}

/// Every command and subcommand, as the words that name it after `avatar-cli`: the top level
/// (no words) first.
fn command_paths() -> Vec<Vec<String>> {
    fn walk(command: &clap::Command, path: Vec<String>, paths: &mut Vec<Vec<String>>) {
        paths.push(path.clone());
        for sub in command.get_subcommands() {
            if sub.is_hide_set() || sub.get_name() == "help" {
                continue;
            }
            let mut path = path.clone();
            path.push(sub.get_name().to_string());
            walk(sub, path, paths);
        }
    }
    let mut cli = Cli::command();
    cli.build();
    let mut paths = Vec::new();
    walk(&cli, Vec::new(), &mut paths);
    paths
}

/// Help texts have nothing that changes from run to run: they are compared as they are.
#[test]
fn every_help_text_short_and_long_is_as_committed() {
    let env = Env::new();
    let paths = command_paths();
    assert!(paths.len() > COMMANDS.len(), "{paths:?}");
    for path in paths {
        let name = ["avatar-cli".to_string()]
            .iter()
            .chain(&path)
            .cloned()
            .collect::<Vec<_>>()
            .join("-");
        for (flag, length) in [("-h", "short"), ("--help", "long")] {
            let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
            args.push(flag);
            insta::assert_snapshot!(format!("{name}_{length}"), help(&env, &args));
        }
    }
}
