//! What a person sees on a terminal, tested through pipes with `AVATAR_FORCE_TTY=1` (the
//! program then behaves as on a terminal): colour and the bar, the production prompt, the
//! line saying where notices go, no floods of skipped or notSent rows, aligned columns with
//! Chinese text, and reports that Excel reads in input order. `tests/terminal.rs` has the
//! real pseudo-terminal.

mod common;

use common::{json_lines, text, Env, Gate, Reply, Server};
use std::process::Output;
use std::time::Duration;

const CHANNEL: &str = "HN_HT_QNW";

fn csv_of(policies: &[&str]) -> String {
    let mut csv = String::from("policyNo,secondRefundAmount,secondRefundDate,secondRefundStatus\n");
    for (i, p) in policies.iter().enumerate() {
        csv.push_str(&format!("{p},{}.50,2024-05-10 12:00:00,{}\n", i + 1, i % 2));
    }
    csv
}

/// `batch` of `file` against `server`, with `env_vars` and extra arguments after the file.
fn batch(
    env: &Env,
    server: &Server,
    file: &std::path::Path,
    env_vars: &[(&str, &str)],
    extra: &[&str],
) -> Output {
    env.cmd()
        .args([
            "--base-url",
            &server.url,
            "--policy-source",
            CHANNEL,
            "batch",
        ])
        .arg(file)
        .args(["--generate-order-no"])
        .args(extra)
        .envs(env_vars.iter().copied())
        .output()
        .expect("run the binary")
}

const TTY: (&str, &str) = ("AVATAR_FORCE_TTY", "1");

// 1. Colour, the bar and the prompt, as on a terminal.

#[test]
fn a_forced_terminal_gets_colour_and_a_bar_and_color_never_uncolours_both() {
    let env = Env::new();
    let file = env.write("c.csv", csv_of(&["P1", "P2", "P3"]));
    let server = Server::always(Reply::accept());
    let out = batch(&env, &server, &file, &[TTY], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(stdout.contains("\x1b[32m"), "results in green: {stdout:?}");
    assert!(stderr.contains("3/3 notices"), "the bar: {stderr:?}");
    assert!(stderr.contains("\x1b[36m"), "a cyan bar: {stderr:?}");
    for (vars, args) in [
        (vec![TTY], vec!["--color", "never"]),
        (vec![TTY, ("NO_COLOR", "1")], vec![]),
    ] {
        let env = Env::new();
        let file = env.write("c.csv", csv_of(&["P1", "P2", "P3"]));
        let out = batch(&env, &server, &file, &vars, &args);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(stderr.contains("3/3 notices"), "still a bar: {stderr:?}");
        assert!(
            !stdout.contains("\x1b[") && !stderr.contains("m\u{2588}"),
            "{vars:?} {args:?}: no colour anywhere: {stdout:?} {stderr:?}"
        );
        for sgr in ["\x1b[3", "\x1b[1m", "\x1b[2m"] {
            assert!(!stderr.contains(sgr), "{vars:?} {args:?}: {stderr:?}");
        }
    }
    // Piped, without the variable: no bar, no colour.
    let env = Env::new();
    let file = env.write("c.csv", csv_of(&["P1", "P2", "P3"]));
    let out = batch(&env, &server, &file, &[], &[]);
    assert!(
        !text(&out.stderr).contains("notices  "),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stdout).contains('\x1b'));
}

#[test]
fn a_forced_terminal_asks_before_production_and_yes_sends() {
    for (answer, code, hits) in [("yes\n", 0, 1), ("no\n", 2, 0)] {
        let env = Env::new();
        let server = Server::always(Reply::accept()).expect_hits(hits);
        let out = env
            .cmd()
            .args(env.production_at(&server.url))
            .args(["--policy-source", CHANNEL, "send", "--policy", "P1"])
            .args(["--order-no", "O1"])
            .env(TTY.0, TTY.1)
            .write_stdin(answer)
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{answer:?}: {stderr}");
        assert!(stderr.contains("Type 'yes'"), "{stderr}");
        assert!(stderr.contains("PRODUCTION (127.0.0.1)"), "{stderr}");
    }
}

// 2. Where notices go.

#[test]
fn before_sending_one_line_says_where_notices_go_and_the_summary_repeats_it() {
    let env = Env::new();
    let file = env.write("c.csv", csv_of(&["P1", "P2"]));
    let server = Server::always(Reply::accept());
    let host = server.url.trim_start_matches("http://").to_string();
    let out = batch(&env, &server, &file, &[TTY], &[]);
    let stderr = text(&out.stderr);
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!(
            "sending 2 notice(s) to {host} (from --base-url) for channel {CHANNEL}; journal "
        )),
        "{stderr}"
    );
    assert!(first.ends_with("journal.sqlite3"), "{first}");
    assert!(
        stderr.contains("2 accepted") && stderr.contains(&format!("; to {host} (from --base-url)")),
        "{stderr}"
    );
    // Piped, the summary still names the platform; the line before sending is for people.
    let env = Env::new();
    let file = env.write("c.csv", csv_of(&["P1", "P2"]));
    let out = batch(&env, &server, &file, &[], &[]);
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("sending 2"), "{stderr}");
    assert!(
        stderr.contains(&format!("to {host} (from --base-url)")),
        "{stderr}"
    );
}

#[test]
fn the_sandbox_and_no_journal_are_named_as_such() {
    let env = Env::new();
    let file = env.write("c.csv", csv_of(&["P1"]));
    let out = env
        .cmd()
        .args([
            "--env",
            "sandbox",
            "--no-journal",
            "--policy-source",
            "DEMO",
        ])
        .arg("batch")
        .arg(&file)
        .env(TTY.0, TTY.1)
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("sending 1 notice(s) to the built-in sandbox (127.0.0.1:")
            && stderr.contains("for channel DEMO; no journal"),
        "{stderr}"
    );
}

#[test]
fn a_dry_run_says_the_url_it_would_post_to() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let out = env
        .cmd()
        .args(["--base-url", &server.url, "--policy-source", CHANNEL])
        .args(["send", "--policy", "P1", "--order-no", "O1", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "would POST to {}/avatar/refund/second/refundNotice",
            server.url
        )),
        "{stderr}"
    );
    assert!(
        !text(&out.stdout).contains("would POST"),
        "stdout has envelopes only"
    );
}

// 3. No floods.

#[test]
fn on_a_terminal_skipped_rows_are_counted_not_listed_unless_verbose() {
    let env = Env::new();
    let policies: Vec<String> = (1..=20).map(|i| format!("P{i:03}")).collect();
    let names: Vec<&str> = policies.iter().map(String::as_str).collect();
    let server = Server::always(Reply::accept());
    let first = env.write("first.csv", csv_of(&names[..19]));
    assert_eq!(
        batch(&env, &server, &first, &[], &[]).status.code(),
        Some(0)
    );
    let all = env.write("all.csv", csv_of(&names));

    let out = batch(&env, &server, &all, &[TTY], &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(stdout.lines().count(), 1, "only the one sent: {stdout}");
    assert!(stdout.contains("P020"), "{stdout}");
    assert!(
        stderr.contains("19 skipped not listed one by one (-v lists them)"),
        "{stderr}"
    );

    let out = batch(&env, &server, &all, &[TTY], &["-v", "--force"]);
    let listed = text(&out.stdout);
    assert_eq!(listed.lines().count(), 20, "{listed}");

    // Piped and --json keep one line per notice, as scripts read them.
    let out = batch(&env, &server, &all, &[], &[]);
    assert_eq!(
        text(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("skipped"))
            .count(),
        20
    );
    let out = batch(&env, &server, &all, &[TTY], &["--json"]);
    assert_eq!(json_lines(&out.stdout).len(), 20);
}

#[test]
fn an_interrupted_run_is_summed_up_and_says_how_to_resume() {
    let env = Env::new();
    let policies: Vec<String> = (1..=50).map(|i| format!("P{i:03}")).collect();
    let names: Vec<&str> = policies.iter().map(String::as_str).collect();
    let file = env.write("c.csv", csv_of(&names));
    let held = Gate::new();
    let server = Server::start(vec![Reply::accept(); 2], held.hold(Reply::accept()));
    let mut cmd = env.std_cmd();
    cmd.args([
        "--base-url",
        &server.url,
        "--policy-source",
        CHANNEL,
        "batch",
    ])
    .arg(&file)
    .args(["--generate-order-no", "--concurrency", "2"])
    .env(TTY.0, TTY.1)
    .stdin(std::process::Stdio::null());
    let mut run = common::Running::spawn(cmd);
    server.wait_for_hits(4);
    run.signal(libc::SIGINT);
    run.wait_for_stderr("stopping");
    held.open();
    let out = run.finish();
    assert_eq!(out.status.code(), Some(130));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(!stdout.contains("notSent"), "no flood: {stdout}");
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
    assert!(
        stderr.contains("46 notSent not listed one by one"),
        "{stderr}"
    );
    assert!(
        stderr.contains("interrupted: 46 notice(s) not sent; run the same command again to resume"),
        "{stderr}"
    );
}

// 4. Lines that line up.

/// Cells up to where the elapsed time starts, on every result line.
fn time_columns(stdout: &str) -> Vec<usize> {
    stdout
        .lines()
        .map(|l| {
            let at = l.rfind(' ').unwrap();
            let before = &l[..at];
            let at = before.rfind("  ").expect("a time column") + 2;
            unicode_width::UnicodeWidthStr::width(&l[..at])
        })
        .collect()
}

#[test]
fn result_columns_line_up_with_chinese_text_and_the_order_comes_before_it() {
    let env = Env::new();
    let file = env.write("c.csv", csv_of(&["P1", "P2", "P3", "P4"]));
    let server = Server::start(
        vec![
            Reply::Deal("1", "成功"),
            Reply::Deal("0", "保单不存在"),
            Reply::Deal("0", "no"),
            Reply::Deal("0", "退保日期早于承保日期"),
        ],
        Reply::accept(),
    );
    let out = batch(&env, &server, &file, &[], &["--concurrency", "1"]);
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
    let columns = time_columns(&stdout);
    assert!(
        columns.windows(2).all(|w| w[0] == w[1]),
        "{columns:?}\n{stdout}"
    );
    for line in stdout.lines() {
        let order = line.find("QS").expect("an orderNo");
        let code = line.find(" 1 ").or_else(|| line.find(" 0 ")).unwrap();
        assert!(order < code, "the orderNo before the free text: {line}");
    }
    let first = stdout.lines().next().unwrap();
    assert!(first.starts_with("accepted  P1  "), "{first}");
}

#[test]
fn rejected_failed_and_in_doubt_have_different_colours() {
    let env = Env::new();
    let file = env.write("c.csv", csv_of(&["P1", "P2", "P3"]));
    let server = Server::start(
        vec![
            Reply::Deal("0", "no"),
            Reply::Raw(400, "text/plain", "bad".into()),
            Reply::Raw(200, "text/html", "<html>busy</html>".into()),
        ],
        Reply::accept(),
    );
    let out = batch(&env, &server, &file, &[TTY], &["--concurrency", "1"]);
    let stdout = text(&out.stdout);
    let line = |outcome: &str| {
        stdout
            .lines()
            .find(|l| l.contains(outcome))
            .unwrap_or_else(|| panic!("no {outcome}: {stdout}"))
            .to_string()
    };
    assert!(
        line("rejected").starts_with("\x1b[33m"),
        "yellow: {stdout:?}"
    );
    assert!(line("failed").starts_with("\x1b[31m"), "red: {stdout:?}");
    assert!(
        line("inDoubt").starts_with("\x1b[35m"),
        "magenta: {stdout:?}"
    );
}

// 12. Reports for Excel.

#[test]
fn a_csv_report_has_a_bom_the_rows_fields_and_input_order() {
    let env = Env::new();
    let names = ["P1", "P2", "P3", "P4", "P5", "P6"];
    let file = env.write("c.csv", csv_of(&names));
    // The first answer is held: results arrive out of input order.
    let server = Server::start(
        vec![Reply::Slow(
            Duration::from_millis(700),
            Box::new(Reply::accept()),
        )],
        Reply::accept(),
    );
    let report = env.path("report.csv");
    let out = batch(
        &env,
        &server,
        &file,
        &[],
        &["--concurrency", "3", "--report", report.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Whichever of the first three requests reached the server first was held: its result
    // came after later rows', so the results arrived out of input order.
    let stdout = text(&out.stdout);
    let arrived: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(arrived.len(), names.len(), "{stdout}");
    assert_ne!(arrived, names, "results arrived in input order: {stdout}");
    let bytes = std::fs::read(&report).unwrap();
    assert!(
        bytes.starts_with(b"\xef\xbb\xbfline,policyNo,orderNo,"),
        "{:?}",
        text(&bytes)
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let policies: Vec<&str> = rows.iter().map(|r| &r[col("policyNo")]).collect();
    assert_eq!(policies, names, "input order");
    // As the input wrote it (1.50), not as a number (1.5).
    assert_eq!(&rows[0][col("secondRefundAmount")], "1.50");
    assert_eq!(&rows[1][col("secondRefundDate")], "2024-05-10 12:00:00");
    assert_eq!(&rows[1][col("secondRefundStatus")], "1");
    assert_eq!(&rows[0][col("outcome")], "accepted");
    assert_eq!(&rows[0][col("dealDesc")], "成功");
    assert!(col("secondRefundAmount") < col("outcome"));
}
