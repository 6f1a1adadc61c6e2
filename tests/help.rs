//! The command line as a person meets it: repeated options, help that answers the question,
//! and usage mistakes said in one line with the fix.

mod common;

use common::{Env, Reply, Server};
use predicates::prelude::*;
use serde_json::Value;
use std::process::Output;
use std::time::Duration;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_lines(bytes: &[u8]) -> Vec<Value> {
    text(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn help(env: &Env, args: &[&str]) -> String {
    let out = env.cmd().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    text(&out.stdout)
}

/// The one line on stderr of a run that must fail with exit 2.
fn usage_error(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    stderr
}

// 5. Repeating an option: the last one wins

#[test]
fn a_repeated_timeout_takes_its_last_value_before_and_after_the_command() {
    let env = Env::new();
    // Answers after 3 s: a 0.5 s timeout fails it, a 60 s one waits for it.
    let slow = || Reply::Slow(Duration::from_secs(3), Box::new(Reply::accept()));
    let server = Server::always(slow()).expect_hits(4);
    let base = [
        "--base-url",
        &server.url,
        "--policy-source",
        "HN",
        "--retries",
        "0",
    ];
    let runs: [(&[&str], &[&str], i32); 4] = [
        (&["--timeout", "60", "--timeout", "0.5"], &[], 3),
        (&["--timeout", "0.5", "--timeout", "60"], &[], 0),
        (
            &["--timeout", "60"],
            &["--timeout", "5", "--timeout", "0.5"],
            3,
        ),
        // After the command wins over before it: a wrapper's options come first.
        (&["--timeout", "0.5"], &["--timeout", "60"], 0),
    ];
    for (i, (before, after, code)) in runs.into_iter().enumerate() {
        let out = env
            .cmd()
            .args(base)
            .args(before)
            .arg("send")
            .args(["--policy", &format!("P{i}"), "--order-no", &format!("O{i}")])
            .args(after)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{before:?} {after:?}: {out:?}"
        );
        if code == 3 {
            assert!(text(&out.stdout).contains("timed out"), "{out:?}");
        }
    }
}

#[test]
fn a_timeout_out_of_range_names_the_range() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    for value in ["0", "-1", "3601", "0.0001"] {
        let out = env
            .cmd()
            .args(["--base-url", &server.url, "--policy-source", "HN"])
            .args([
                "send",
                "--policy",
                "P1",
                "--order-no",
                "O1",
                "--timeout",
                value,
            ])
            .output()
            .unwrap();
        let err = usage_error(&out);
        assert!(
            err.contains("--timeout") && err.contains("3600"),
            "{value}: {err}"
        );
    }
}

#[test]
fn json_and_output_are_one_choice_and_the_later_wins() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let run = |before: &[&str], after: &[&str], policy: &str| {
        env.cmd()
            .args(["--base-url", &server.url, "--policy-source", "HN"])
            .args(before)
            .args(["send", "--policy", policy, "--generate-order-no"])
            .args(after)
            .output()
            .unwrap()
    };
    let is_json = |out: &Output| {
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        text(&out.stdout).starts_with('{')
    };
    assert!(is_json(&run(&["-o", "json", "--json"], &[], "P1")));
    assert!(is_json(&run(&["-o", "text", "--json"], &[], "P2")));
    assert!(!is_json(&run(&["--json", "-o", "text"], &[], "P3")));
    assert!(!is_json(&run(&["--json"], &["-o", "text"], "P4")));
    assert!(is_json(&run(&["-o", "text"], &["--json"], "P5")));
    assert!(is_json(&run(&[], &["--json", "--output", "json"], "P6")));
    // -v then -q: quiet, so stderr holds no summary.
    let out = run(&["-v"], &["-q"], "P7");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(text(&out.stderr).is_empty(), "{out:?}");
}

// 6. Help that answers the question

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
    assert!(help(&env, &["history", "--help"]).contains("--journal <FILE>"));
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
fn history_filters_by_the_env_or_base_url_of_this_run_not_the_configs_default() {
    let env = Env::new();
    let a = Server::always(Reply::accept());
    let b = Server::always(Reply::accept());
    for (server, policy) in [(&a, "P1"), (&b, "P2")] {
        env.cmd()
            .args(["--base-url", &server.url, "--policy-source", "HN"])
            .args(["send", "--policy", policy, "--generate-order-no"])
            .assert()
            .code(0);
    }
    let config = env.write(
        "config.toml",
        format!(
            "env = \"test\"\n\n[environments.test]\nbase_url = \"{}\"\n",
            a.url
        ),
    );
    let count = |args: &[&str], vars: &[(&str, &str)]| {
        let out = env
            .cmd()
            .arg("--config")
            .arg(&config)
            .args(args)
            .envs(vars.iter().copied())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
        json_lines(&out.stdout).len()
    };
    // The config's default env does not filter: history reads one journal for all.
    assert_eq!(count(&["history", "--json"], &[]), 2);
    assert_eq!(count(&["history", "--json", "--base-url", &a.url], &[]), 1);
    assert_eq!(count(&["--base-url", &b.url, "history", "--json"], &[]), 1);
    assert_eq!(count(&["history", "--json", "--env", "test"], &[]), 1);
    assert_eq!(count(&["history", "--json", "--env", "prod"], &[]), 0);
    assert_eq!(
        count(&["history", "--json"], &[("AVATAR_BASE_URL", &b.url)]),
        1
    );
    assert_eq!(count(&["history", "--json"], &[("AVATAR_ENV", "test")]), 1);
    // The old spelling still works, for scripts.
    assert_eq!(
        count(&["history", "--json", "--environment", &b.url], &[]),
        1
    );
}

// 7. batch --help: what a person needs while building the file

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

// 15. The man page (its freshness is checked with the completions)

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

// Smaller messages

#[test]
fn a_base_url_with_the_endpoint_path_is_refused_showing_the_base() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let full = format!("{}/avatar/refund/second/refundNotice", server.url);
    let flag = env
        .cmd()
        .args(["--base-url", &full, "--policy-source", "HN"])
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .output()
        .unwrap();
    let variable = env
        .cmd()
        .env("AVATAR_BASE_URL", &full)
        .args([
            "--policy-source",
            "HN",
            "send",
            "--policy",
            "P1",
            "--order-no",
            "O1",
        ])
        .output()
        .unwrap();
    for out in [flag, variable] {
        let err = usage_error(&out);
        assert!(
            err.contains("appends")
                && err.contains(&format!("give '{}'", server.url))
                && err.contains(&format!("go to '{full}'")),
            "{err}"
        );
    }
    assert!(!env.journal().exists());
}

#[test]
fn a_date_split_from_its_time_asks_for_quotes() {
    let env = Env::new();
    let runs: [(&[&str], &str); 4] = [
        (
            &[
                "send",
                "--policy",
                "P1",
                "--refund-date",
                "2024-05-10",
                "12:00:00",
            ],
            "--refund-date '2024-05-10 12:00:00'",
        ),
        (
            &[
                "validate",
                "--policy",
                "P1",
                "--refund-date",
                "2024-05-10",
                "12:00:00",
            ],
            "--refund-date '2024-05-10 12:00:00'",
        ),
        (
            &[
                "send",
                "--policy",
                "P1",
                "--refund-date=2024-05-10",
                "12:00:00",
            ],
            "--refund-date='2024-05-10 12:00:00'",
        ),
        (
            &[
                "send",
                "--policy",
                "P1",
                "--installment",
                "1:5:2024-05-10",
                "12:00:00",
            ],
            "--installment '1:5:2024-05-10 12:00:00'",
        ),
    ];
    for (args, fix) in runs {
        let out = env.cmd().args(args).output().unwrap();
        let err = usage_error(&out);
        assert!(
            err.contains("quote") && err.contains(fix),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_bad_avatar_env_names_the_variable() {
    let env = Env::new();
    let out = env
        .cmd()
        .env("AVATAR_ENV", "staging")
        .args(["send", "--policy", "P1"])
        .output()
        .unwrap();
    let err = usage_error(&out);
    assert!(
        err.contains("AVATAR_ENV='staging'") && err.contains("test, prod or sandbox"),
        "{err}"
    );
    assert!(!err.contains("for '--env"), "{err}");
    // A flag overrides the variable, wherever it stands.
    for args in [&["--env", "test", "history"], &["history", "--env", "test"]] {
        env.cmd()
            .env("AVATAR_ENV", "staging")
            .args(args)
            .assert()
            .code(0);
    }
    let out = env
        .cmd()
        .args(["history", "--env", "stagin"])
        .output()
        .unwrap();
    assert!(usage_error(&out).contains("--env 'stagin'"));
}

#[test]
fn a_bare_policy_after_send_suggests_the_flag() {
    let env = Env::new();
    let out = env.cmd().args(["send", "P1"]).output().unwrap();
    let err = usage_error(&out);
    assert!(err.contains("--policy P1"), "{err}");
    // Other mistakes keep clap's own message.
    env.cmd()
        .args(["send", "--polcy", "P1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--policy"));
}

#[test]
fn an_option_of_other_commands_says_which_take_it() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["validate", "--timeout", "5", "x.csv"])
        .output()
        .unwrap();
    let err = usage_error(&out);
    assert!(
        err.contains("validate does not take --timeout: only send, batch and doctor do"),
        "{err}"
    );
    let out = env
        .cmd()
        .args(["--base-url", "http://127.0.0.1:1", "sandbox", "--journal=j"])
        .output()
        .unwrap();
    let err = usage_error(&out);
    assert!(
        err.contains("only send, batch, history and doctor do"),
        "{err}"
    );
}
