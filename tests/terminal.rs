//! What a person sees at a terminal. On a real pseudo-terminal: the production prompt (asked
//! on the terminal, `yes` proceeds, anything else declines with nothing sent), a dry run that
//! needs no prompt, colour that follows the terminal and NO_COLOR, results above one progress
//! bar. Through pipes with `AVATAR_FORCE_TTY=1` (the program then behaves as on a terminal):
//! colour and the bar, the line saying where notices go, no floods of skipped or notSent rows,
//! and result columns aligned with Chinese text.

mod common;

use common::pty::{
    screen_lines, sized_terminal, start, OnTerminal, Terminal, EVERYWHERE, ONLY_STDOUT,
};
use common::{batch_output, csv_of, json_lines, text, to, Env, Gate, Reply, Server, CHANNEL};
use std::fs::File;
use std::process::Stdio;

/// `--env prod`, configured at a loopback test server: production as far as the prompt goes.
fn prod(env: &Env, server: &Server, args: &[&str]) -> std::process::Command {
    let mut cmd = env.std_cmd();
    cmd.args(env.production_at(&server.url))
        .args(["--policy-source", CHANNEL])
        .args(args);
    cmd
}

const TTY: (&str, &str) = ("AVATAR_FORCE_TTY", "1");

// The production prompt

#[test]
fn yes_on_the_terminal_sends_and_the_prompt_names_count_channel_and_host() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(2);
    let (mut terminal, slave) = Terminal::open();
    let cmd = prod(
        &env,
        &server,
        &[
            "send",
            "--policy",
            "P1",
            "--policy",
            "P2",
            "--generate-order-no",
        ],
    );
    let mut run = start(cmd, slave, EVERYWHERE);
    terminal.wait_for("Type 'yes'", &mut run);
    let prompt = terminal.screen();
    assert!(prompt.contains("2 refund notice(s)"), "{prompt}");
    assert!(prompt.contains("PRODUCTION (127.0.0.1)"), "{prompt}");
    assert!(prompt.contains(&format!("channel {CHANNEL}")), "{prompt}");
    assert_eq!(server.hits(), 0, "nothing is sent before the answer");
    terminal.type_line("yes");
    let out = run.finish();
    assert_eq!(out.status.code(), Some(0), "{}", terminal.screen());
    assert_eq!(server.hits(), 2);
}

#[test]
fn anything_but_yes_declines_with_exit_2_and_nothing_sent() {
    for answer in ["no", "y", "", "yes please"] {
        let env = Env::new();
        let server = Server::always(Reply::accept()).expect_hits(0);
        let (mut terminal, slave) = Terminal::open();
        let cmd = prod(
            &env,
            &server,
            &["send", "--policy", "P1", "--order-no", "O1"],
        );
        let mut run = start(cmd, slave, EVERYWHERE);
        terminal.wait_for("Type 'yes'", &mut run);
        terminal.type_line(answer);
        let out = run.finish();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{answer:?}: {}",
            terminal.screen()
        );
        let screen = terminal.final_screen();
        assert!(screen.contains("not confirmed"), "{answer:?}: {screen}");
        assert!(
            !env.journal().exists(),
            "{answer:?}: a declined run wrote a journal"
        );
    }
}

#[test]
fn batch_from_standard_input_still_asks_on_the_terminal() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(3);
    let (mut terminal, slave) = Terminal::open();
    let mut cmd = prod(&env, &server, &["batch", "-"]);
    // stdin is the CSV; stderr is the terminal.
    let mut run = {
        let csv = env.write("c.csv", "policyNo,orderNo\nP1,O1\nP2,O2\nP3,O3\n");
        let file = File::open(csv).unwrap();
        let on = OnTerminal {
            stdin: false,
            stdout: false,
            stderr: true,
        };
        // The CSV replaces the empty stdin `start` would give.
        cmd.stdin(file);
        start(cmd, slave, on)
    };
    terminal.wait_for("Type 'yes'", &mut run);
    assert!(
        terminal.screen().contains("3 refund notice(s)"),
        "{}",
        terminal.screen()
    );
    terminal.type_line("yes");
    let out = run.finish();
    assert_eq!(out.status.code(), Some(0), "{}", terminal.screen());
    assert_eq!(
        text(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("accepted"))
            .count(),
        3
    );
}

#[test]
fn a_dry_run_on_production_asks_nothing() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let (terminal, slave) = Terminal::open();
    let cmd = prod(
        &env,
        &server,
        &["send", "--policy", "P1", "--order-no", "O1", "--dry-run"],
    );
    // Nothing is typed: a prompt would wait for ever and the deadline would fail the test.
    let run = start(cmd, slave, EVERYWHERE);
    let out = run.finish();
    let screen = terminal.final_screen();
    assert_eq!(out.status.code(), Some(0), "{screen}");
    assert!(!screen.contains("Type 'yes'"), "{screen}");
    // It says, in capitals, where the notices would go.
    assert!(screen.contains("(PRODUCTION, from --env)"), "{screen}");
    assert!(screen.contains("\"orderNo\":\"O1\""), "{screen}");
}

#[test]
fn a_workbook_saved_over_while_production_is_confirmed_is_not_sent() {
    let env = Env::new();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/excel");
    let book = env.write(
        "book.xlsx",
        std::fs::read(fixtures.join("clean-zh.xlsx")).unwrap(),
    );
    let server = Server::always(Reply::accept()).expect_hits(0);
    let (mut terminal, slave) = Terminal::open();
    let cmd = prod(&env, &server, &["batch", book.to_str().unwrap()]);
    let mut run = start(cmd, slave, EVERYWHERE);
    // The prompt comes between the pass that checked the workbook and the one that sends it.
    terminal.wait_for("Type 'yes'", &mut run);
    assert!(terminal.screen().contains("5 refund notice(s)"));
    // Saved over in place, as a program writing into the same file would.
    std::fs::write(
        &book,
        std::fs::read(fixtures.join("clean-en.xlsx")).unwrap(),
    )
    .unwrap();
    terminal.type_line("yes");
    let out = run.finish();
    let screen = terminal.final_screen();
    assert_eq!(out.status.code(), Some(3), "{screen}");
    assert!(
        screen.contains(
            "changed since it was first read, so it is no longer the input that was checked"
        ),
        "{screen}"
    );
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

// Colour and the bar

/// A result line printed on a terminal, with `extra` arguments and environment.
fn result_on_terminal(extra_env: &[(&str, &str)], extra_args: &[&str]) -> String {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let (terminal, slave) = Terminal::open();
    let mut cmd = env.std_cmd();
    cmd.args(["--base-url", &server.url, "--policy-source", CHANNEL])
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .args(extra_args)
        .envs(extra_env.iter().copied())
        .stdin(Stdio::null());
    let mut run = start(cmd, slave, ONLY_STDOUT);
    terminal.wait_for("O1", &mut run);
    let out = run.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    terminal.final_screen()
}

#[test]
fn colour_follows_the_terminal_no_color_and_the_flag() {
    let coloured = result_on_terminal(&[], &[]);
    assert!(coloured.contains("\x1b[32m"), "{coloured:?}");
    assert!(coloured.contains("accepted"), "{coloured:?}");
    for (env, args) in [
        (vec![("NO_COLOR", "1")], vec![]),
        (vec![("TERM", "dumb")], vec![]),
        (vec![], vec!["--color", "never"]),
    ] {
        let plain = result_on_terminal(&env, &args);
        assert!(plain.contains("accepted"), "{plain:?}");
        assert!(!plain.contains('\x1b'), "{env:?} {args:?}: {plain:?}");
    }
}

#[test]
fn colour_is_always_with_the_flag_and_never_in_a_pipe_by_default() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let run = |color: Option<&str>, no_color: bool, order: &str| {
        let mut cmd = env.cmd();
        cmd.args(to(&server))
            .args(["send", "--policy", order, "--order-no", order]);
        if let Some(c) = color {
            cmd.args(["--color", c]);
        }
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd.assert().code(0).get_output().clone();
        text(&out.stdout)
    };
    assert!(run(Some("always"), false, "P1").contains("\x1b["));
    // The flag is the user's explicit word: it beats NO_COLOR.
    assert!(run(Some("always"), true, "P2").contains("\x1b["));
    assert!(!run(None, false, "P3").contains("\x1b["));
    assert!(!run(Some("never"), false, "P4").contains("\x1b["));
}

#[test]
fn a_batch_on_a_real_terminal_leaves_every_result_intact_above_one_bar() {
    const ROWS: usize = 200;
    const COLS: u16 = 120;
    let env = Env::new();
    let mut csv = String::from("policyNo\n");
    for i in 1..=ROWS {
        csv.push_str(&format!("P{i:010}\n"));
    }
    let file = env.write("c.csv", csv);
    let server = Server::always(Reply::accept()).expect_hits(ROWS);
    let (terminal, slave) = sized_terminal(COLS);
    let mut cmd = env.std_cmd();
    cmd.args([
        "--base-url",
        &server.url,
        "--policy-source",
        CHANNEL,
        "batch",
    ])
    .arg(&file)
    // Slow enough that the bar is drawn many times while results arrive.
    .args(["--generate-order-no", "--rate", "400", "--concurrency", "8"]);
    let run = start(cmd, slave, EVERYWHERE);
    let out = run.finish();
    let raw = terminal.final_screen();
    assert_eq!(out.status.code(), Some(0), "{raw:?}");
    let lines = screen_lines(&raw, COLS.into());
    let shown = lines.join("\n");
    let is_bar = |l: &str| l.contains(" sent  ") && l.contains('\u{2588}');
    let results: Vec<&String> = lines.iter().filter(|l| l.starts_with("accepted")).collect();
    assert_eq!(results.len(), ROWS, "every result on the screen:\n{shown}");
    for line in &results {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert!(
            fields.len() == 7
                && fields[1].len() == 11
                && fields[2].starts_with("QS")
                && fields[3..5] == ["1", "成功"]
                && fields[6] == "ms"
                && !is_bar(line),
            "a result line intact: {line:?}\n{shown}"
        );
    }
    let bars: Vec<&String> = lines.iter().filter(|l| is_bar(l)).collect();
    assert_eq!(bars.len(), 1, "one bar, no stale ones:\n{shown}");
    assert!(bars[0].contains("200/200 sent"), "{}", bars[0]);
    let bar_at = lines.iter().position(|l| is_bar(l)).unwrap();
    let last_result = lines
        .iter()
        .rposition(|l| l.starts_with("accepted"))
        .unwrap();
    assert!(last_result < bar_at, "results above the bar:\n{shown}");
    assert!(
        lines[bar_at + 1..]
            .iter()
            .any(|l| l.starts_with("200 notices: 200 accepted")),
        "the summary below it:\n{shown}"
    );
}

#[test]
fn a_forced_terminal_gets_colour_and_a_bar_and_color_never_uncolours_both() {
    let env = Env::new();
    let file = env.write("c.csv", csv_of(&["P1", "P2", "P3"]));
    let server = Server::always(Reply::accept());
    let out = batch_output(&env, &server, &file, &[TTY], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(stdout.contains("\x1b[32m"), "results in green: {stdout:?}");
    assert!(stderr.contains("3/3 sent"), "the bar: {stderr:?}");
    assert!(stderr.contains("\x1b[36m"), "a cyan bar: {stderr:?}");
    for (vars, args) in [
        (vec![TTY], vec!["--color", "never"]),
        (vec![TTY, ("NO_COLOR", "1")], vec![]),
    ] {
        let env = Env::new();
        let file = env.write("c.csv", csv_of(&["P1", "P2", "P3"]));
        let out = batch_output(&env, &server, &file, &vars, &args);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(stderr.contains("3/3 sent"), "still a bar: {stderr:?}");
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
    let out = batch_output(&env, &server, &file, &[], &[]);
    assert!(
        !text(&out.stderr).contains(" sent  "),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stdout).contains('\x1b'));
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
    let out = batch_output(&env, &server, &file, &[TTY], &["--concurrency", "1"]);
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

// Where notices go, and no floods

#[test]
fn before_sending_it_says_where_notices_go_and_the_summary_repeats_it() {
    let env = Env::new();
    let file = env.write("c.csv", csv_of(&["P1", "P2"]));
    let server = Server::always(Reply::accept());
    let host = server.url.trim_start_matches("http://").to_string();
    let out = batch_output(&env, &server, &file, &[TTY], &[]);
    let stderr = text(&out.stderr);
    let mut lines = stderr.lines();
    // Within 80 columns: the journal's path, which cannot fit them, on a line of its own.
    assert_eq!(
        lines.next(),
        Some(
            format!("sending 2 notice(s) to {host} (from --base-url) for channel {CHANNEL}")
                .as_str()
        ),
        "{stderr}"
    );
    let journal = lines.next().unwrap_or_default();
    assert!(
        journal.starts_with("journal ") && journal.ends_with("journal.sqlite3"),
        "{stderr}"
    );
    assert!(
        stderr.contains("2 accepted")
            && stderr
                .lines()
                .any(|l| l.ends_with(&format!("to {host} (from --base-url)"))),
        "{stderr}"
    );
    // Piped, the summary still names the platform; the line before sending is for people.
    let env = Env::new();
    let file = env.write("c.csv", csv_of(&["P1", "P2"]));
    let out = batch_output(&env, &server, &file, &[], &[]);
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
fn on_a_terminal_skipped_rows_are_counted_not_listed_unless_verbose() {
    let env = Env::new();
    let policies: Vec<String> = (1..=20).map(|i| format!("P{i:03}")).collect();
    let names: Vec<&str> = policies.iter().map(String::as_str).collect();
    let server = Server::always(Reply::accept());
    let first = env.write("first.csv", csv_of(&names[..19]));
    assert_eq!(
        batch_output(&env, &server, &first, &[], &[]).status.code(),
        Some(0)
    );
    let all = env.write("all.csv", csv_of(&names));

    let out = batch_output(&env, &server, &all, &[TTY], &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(stdout.lines().count(), 1, "only the one sent: {stdout}");
    assert!(stdout.contains("P020"), "{stdout}");
    assert!(
        stderr.contains("19 skipped not listed one by one (-v lists them)"),
        "{stderr}"
    );

    let out = batch_output(&env, &server, &all, &[TTY], &["-v", "--force"]);
    let listed = text(&out.stdout);
    assert_eq!(listed.lines().count(), 20, "{listed}");

    // Piped and --json keep one line per notice, as scripts read them.
    let out = batch_output(&env, &server, &all, &[], &[]);
    assert_eq!(
        text(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("skipped"))
            .count(),
        20
    );
    let out = batch_output(&env, &server, &all, &[TTY], &["--json"]);
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

// Lines that line up

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
    let out = batch_output(&env, &server, &file, &[], &["--concurrency", "1"]);
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

// The batch screen at 80 and 120 columns

/// A platform's description long enough that no terminal line has room for it.
const LONG_DESC: &str =
    "退保日期早于承保日期，请核实保单的承保日期与退保日期后再次提交本通知，如有疑问请联系客服";
/// What a gateway in front of the platform answers when it is down.
const GATEWAY_PAGE: &str =
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n\
    <body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n\
    <hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// Runs `rows` through `batch` on a real terminal `cols` wide, one notice at a time, with a
/// CSV report; the lines as the program wrote them (unwrapped) and its exit code.
fn batch_on_terminal(env: &Env, server: &Server, rows: &str, cols: u16) -> (Vec<String>, i32) {
    let file = env.write("c.csv", format!("policyNo,orderNo\n{rows}"));
    let (terminal, slave) = sized_terminal(cols);
    let mut cmd = env.std_cmd();
    cmd.args([
        "--base-url",
        &server.url,
        "--policy-source",
        CHANNEL,
        "--retries",
        "0",
    ])
    .arg("batch")
    .arg(&file)
    .args(["--concurrency", "1", "--report"])
    .arg(env.path("r.csv"));
    let out = start(cmd, slave, EVERYWHERE).finish();
    let raw = terminal.final_screen();
    (screen_lines(&raw, 1000), out.status.code().unwrap_or(-1))
}

/// The cell where each of a result line's columns starts: the policy, the orderNo, the free
/// text and the time (the last run of two spaces before the final word pair).
fn column_starts(line: &str) -> Vec<usize> {
    let cells = |byte: usize| text_width(&line[..byte]);
    let mut starts = Vec::new();
    let mut from = 0;
    for _ in 0..3 {
        let gap = from + line[from..].find("  ").expect("a column gap");
        let next = gap + line[gap..].find(|c: char| c != ' ').expect("a next column");
        starts.push(cells(next));
        from = next;
    }
    let trimmed = line.trim_end();
    let time = trimmed[..trimmed.rfind(' ').unwrap()].rfind("  ").unwrap() + 2;
    starts.push(cells(time));
    starts
}

fn text_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

#[test]
fn the_batch_screen_fits_80_and_120_columns_from_the_first_line_to_the_summary() {
    let rows = "P1,O1\nP2,O2\nP3,O3\nP20240000000000004,QS-ORDER-NUMBER-00000000004\n";
    for cols in [80u16, 120] {
        let env = Env::new();
        let server = Server::start(
            vec![
                Reply::Deal("1", "成功"),
                Reply::Deal("0", LONG_DESC),
                Reply::Raw(503, "text/html", GATEWAY_PAGE.into()),
            ],
            Reply::accept(),
        );
        let (lines, code) = batch_on_terminal(&env, &server, rows, cols);
        let shown = lines.join("\n");
        assert_eq!(code, 3, "a notice failed: exit 3\n{shown}");
        // Every line within the terminal; only a path too long for any has a line of its own.
        for line in &lines {
            assert!(
                text_width(line) <= cols.into() || line.starts_with("journal "),
                "{cols} columns: {line:?} is {} wide\n{shown}",
                text_width(line)
            );
        }
        let results: Vec<&String> = lines
            .iter()
            .filter(|l| {
                ["accepted ", "rejected ", "failed "]
                    .iter()
                    .any(|o| l.starts_with(o))
            })
            .collect();
        assert_eq!(results.len(), 4, "{shown}");
        // The columns stand where the widest policy and orderNo (the last row's) need them,
        // from the first line on.
        let starts: Vec<Vec<usize>> = results.iter().map(|l| column_starts(l)).collect();
        assert!(
            starts.windows(2).all(|w| w[0] == w[1]),
            "{starts:?}\n{shown}"
        );
        // The long description and the gateway's page are cut to their column, never wrapped
        // and never markup.
        let rejected = results.iter().find(|l| l.starts_with("rejected")).unwrap();
        assert!(
            rejected.contains("0 退保日期") && rejected.contains('…'),
            "{rejected}"
        );
        let failed = results.iter().find(|l| l.starts_with("failed")).unwrap();
        assert!(
            failed.contains("HTTP 503") && !failed.contains('<'),
            "{failed}"
        );
        // The bar counts the notices sent, its rate with one decimal.
        let bar = lines
            .iter()
            .find(|l| l.contains(" sent  "))
            .expect("the bar");
        assert!(bar.contains("4/4 sent"), "{bar}");
        let rate = bar.split_whitespace().find(|w| w.ends_with("/s")).unwrap();
        let digits = rate.trim_end_matches("/s");
        assert!(
            digits.split_once('.').is_some_and(|(_, d)| d.len() == 1),
            "{bar}"
        );
        // The summary: the counts that are not zero, where they went.
        assert!(
            shown.contains("4 notices: 2 accepted, 1 rejected, 1 failed in "),
            "{shown}"
        );
        // The report keeps what the screen cut.
        let report = std::fs::read_to_string(env.path("r.csv")).unwrap();
        assert!(report.contains(LONG_DESC), "{report}");
        assert!(
            report.contains("HTTP 503 Service Unavailable (HTML page: \"\"503 Service Temporarily Unavailable\"\")"),
            "{report}"
        );

        // Resumed with a new row: the bar counts what is sent now (the failed notice again,
        // the new one), not the rows settled earlier.
        let rows = format!("{rows}P5,O5\n");
        let (lines, code) = batch_on_terminal(&env, &server, &rows, cols);
        let shown = lines.join("\n");
        assert_eq!(code, 1, "the rejection stands\n{shown}");
        assert!(
            shown.contains("sending 2 of 5 notice(s) (the rest were sent before)"),
            "{shown}"
        );
        let bar = lines
            .iter()
            .find(|l| l.contains(" sent  "))
            .expect("the bar");
        assert!(bar.contains("2/2 sent"), "{bar}");
    }
}
