//! `validate`: offline checks, nothing sent, no journal touched.

mod common;

use common::{json_lines, text, Env};

#[test]
fn flags_are_checked_offline_and_every_problem_is_listed() {
    let env = Env::new();
    let out = env
        .cmd()
        .args([
            "validate",
            "--policy",
            "P1",
            "--amount",
            "1.234",
            "--refund-date",
            "2021-5-1",
            "--status",
            "x",
        ])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stdout = text(&out.stdout);
    for flag in ["--amount", "--refund-date", "--status", "--order-no"] {
        assert!(stdout.contains(flag), "{flag} missing from:\n{stdout}");
    }
    assert!(!env.journal().exists());
}

#[test]
fn good_flags_pass_and_a_mismatch_is_only_a_warning() {
    let env = Env::new();
    let out = env
        .cmd()
        .args([
            "validate",
            "--json",
            "--policy",
            "P1",
            "--order-no",
            "O1",
            "--amount",
            "10",
        ])
        .args(["--installment", "1:9.5:2021-05-10 11:59:59"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let problems = json_lines(&out.stdout);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["severity"], "warning");
    for key in ["file", "line", "column", "message", "severity"] {
        assert!(problems[0].get(key).is_some(), "{key} missing");
    }
}

#[test]
fn generation_makes_a_missing_order_number_fine() {
    let env = Env::new();
    env.cmd()
        .args(["validate", "--policy", "P1"])
        .assert()
        .code(2);
    env.cmd()
        .args(["validate", "--policy", "P1", "--generate-order-no"])
        .assert()
        .code(0);
}

#[test]
fn json_problems_say_what_they_are_and_the_check_ends_with_a_summary() {
    let env = Env::new();
    let file = env.write(
        "c.csv",
        "policyNo,orderNo,amount\nP1,O1,10\nP2,O2,ten\nP3,O3,1.5\n",
    );
    let out = env
        .cmd()
        .args(["validate", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let problems = json_lines(&out.stdout);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["type"], "problem");
    let summary = common::summary_line(&out.stdout);
    assert_eq!(summary["valid"], 2);
    assert_eq!(summary["errors"], 1);
    assert_eq!(summary["warnings"], 0);
    assert_eq!(summary["exitCode"], 2);
    assert!(
        summary["file"].as_str().unwrap().ends_with("c.csv"),
        "{summary}"
    );
}
