//! The command line as a person meets it: an option given twice (the last one wins, before
//! or after the command), values out of range, and usage mistakes said in one line with the
//! fix.

mod common;

use common::{text, Env, Reply, Server};
use predicates::prelude::*;
use std::process::Output;
use std::time::Duration;

/// The one line on stderr of a run that must fail with exit 2.
fn usage_error(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    stderr
}

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
