//! The binary on a real pseudo-terminal: the production prompt (asked on the terminal, `yes`
//! proceeds, anything else declines with nothing sent), a dry run that needs no prompt, and
//! colour that follows the terminal and NO_COLOR.

mod common;

use common::pty::{screen_lines, sized_terminal, start, OnTerminal, Terminal, EVERYWHERE};
use common::{text, Env, Reply, Server};
use std::fs::File;
use std::process::Stdio;

const CHANNEL: &str = "HN_HT_QNW";

/// `--env prod`, configured at a loopback test server: production as far as the prompt goes.
fn prod(env: &Env, server: &Server, args: &[&str]) -> std::process::Command {
    let mut cmd = env.std_cmd();
    cmd.args(env.production_at(&server.url))
        .args(["--policy-source", CHANNEL])
        .args(args);
    cmd
}

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
    let only_stdout = OnTerminal {
        stdin: false,
        stdout: true,
        stderr: false,
    };
    let mut run = start(cmd, slave, only_stdout);
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
    let is_bar = |l: &str| l.contains("notices  ") && l.contains('\u{2588}');
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
    assert!(bars[0].contains("200/200 notices"), "{}", bars[0]);
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
