//! The binary on a real pseudo-terminal: the production prompt (asked on the terminal, `yes`
//! proceeds, anything else declines with nothing sent), a dry run that needs no prompt, and
//! colour that follows the terminal and NO_COLOR.

mod common;

use common::{text, Env, Reply, Running, Server, PATIENCE};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CHANNEL: &str = "HN_HT_QNW";

/// The test's end of a pseudo-terminal: what the program wrote to its terminal, and a way to
/// type on it.
struct Terminal {
    master: File,
    screen: Arc<Mutex<Vec<u8>>>,
    /// Set when the program's end is closed and everything it wrote has been read.
    closed: Arc<AtomicBool>,
}

impl Terminal {
    /// Opens a pty; returns the test's end and the program's end.
    fn open() -> (Terminal, OwnedFd) {
        let (mut master, mut slave) = (-1, -1);
        // SAFETY: openpty writes two fresh descriptors; no name, termios or size is passed.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened and are owned here alone.
        let (master, slave) = unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().expect("dup the pty");
        let sink = Arc::clone(&screen);
        let closed = Arc::new(AtomicBool::new(false));
        let done = Arc::clone(&closed);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // EIO once the program's end is closed everywhere.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
            done.store(true, Ordering::SeqCst);
        });
        (
            Terminal {
                master,
                screen,
                closed,
            },
            slave,
        )
    }

    /// Everything written to the terminal, once the program has exited and closed it.
    fn final_screen(&self) -> String {
        let start = Instant::now();
        while !self.closed.load(Ordering::SeqCst) {
            assert!(start.elapsed() < PATIENCE, "the terminal was never closed");
            std::thread::sleep(Duration::from_millis(5));
        }
        self.screen()
    }

    fn screen(&self) -> String {
        text(&self.screen.lock().unwrap())
    }

    fn wait_for(&self, needle: &str, run: &mut Running) {
        let start = Instant::now();
        while !self.screen().contains(needle) {
            if run.has_exited() {
                let screen = self.final_screen();
                assert!(
                    screen.contains(needle),
                    "the program exited without {needle:?} on the terminal: {screen:?}\nstderr: {}",
                    run.stderr_text()
                );
                return;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "no {needle:?} on the terminal: {:?}\nstderr: {}",
                self.screen(),
                run.stderr_text()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn type_line(&mut self, line: &str) {
        self.master
            .write_all(format!("{line}\n").as_bytes())
            .expect("type on the terminal");
    }
}

/// Which of the program's streams are the terminal (the others are pipes, stdin empty).
struct OnTerminal {
    stdin: bool,
    stdout: bool,
    stderr: bool,
}

/// Starts the binary in a new session whose controlling terminal is `slave`, so that
/// `/dev/tty` opens to it. Streams not on the terminal are piped (stdout, stderr) or left as
/// the caller set them (stdin).
fn start(mut cmd: std::process::Command, slave: OwnedFd, on: OnTerminal) -> Running {
    let dup = || Stdio::from(slave.try_clone().expect("dup the pty"));
    if on.stdin {
        cmd.stdin(dup());
    }
    cmd.stdout(if on.stdout { dup() } else { Stdio::piped() });
    cmd.stderr(if on.stderr { dup() } else { Stdio::piped() });
    let control = if on.stdin {
        0
    } else if on.stderr {
        2
    } else {
        1
    };
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() < 0 || libc::ioctl(control, libc::TIOCSCTTY as _, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let running = Running::start(cmd);
    // Only the program holds the terminal now, so its exit closes it.
    drop(slave);
    running
}

/// `--env prod`, configured at a loopback test server: production as far as the prompt goes.
fn prod(env: &Env, server: &Server, args: &[&str]) -> std::process::Command {
    let mut cmd = env.std_cmd();
    cmd.args(env.production_at(&server.url))
        .args(["--policy-source", CHANNEL])
        .args(args);
    cmd
}

const EVERYWHERE: OnTerminal = OnTerminal {
    stdin: true,
    stdout: true,
    stderr: true,
};

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

/// A pseudo-terminal of `cols` columns (the one `Terminal::open` makes has no size).
fn sized_terminal(cols: u16) -> (Terminal, OwnedFd) {
    let (terminal, slave) = Terminal::open();
    let size = libc::winsize {
        ws_row: 50,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one winsize from a valid pointer.
    let rc = unsafe {
        libc::ioctl(
            std::os::fd::AsRawFd::as_raw_fd(&slave),
            libc::TIOCSWINSZ,
            &size,
        )
    };
    assert_eq!(rc, 0, "set the terminal size");
    (terminal, slave)
}

/// The lines a terminal `cols` wide shows after `bytes`: the scrollback and the screen as one
/// list. Enough of a terminal for a progress bar: printable text (a cell per character, with
/// the wrap an xterm does at the right edge), CR, LF, cursor up and down, erase in line;
/// other escape sequences (colour, cursor visibility) change nothing here.
fn screen_lines(bytes: &str, cols: usize) -> Vec<String> {
    let mut lines: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut chars = bytes.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => col = 0,
            '\n' => row += 1,
            '\x1b' if chars.peek() == Some(&'[') => {
                chars.next();
                let mut params = String::new();
                let mut fin = ' ';
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() || c == '@' || c == '~' {
                        fin = c;
                        break;
                    }
                    params.push(c);
                }
                let n: usize = params.trim_start_matches('?').parse().unwrap_or(1).max(1);
                match fin {
                    'A' => {
                        row = row.saturating_sub(n);
                        col = col.min(cols - 1);
                    }
                    'B' => row += n,
                    'C' => col = (col + n).min(cols - 1),
                    'D' => col = col.saturating_sub(n),
                    'G' => col = n - 1,
                    'K' => {
                        while lines.len() <= row {
                            lines.push(Vec::new());
                        }
                        let line = &mut lines[row];
                        match params.as_str() {
                            "2" => line.clear(),
                            "1" => line.iter_mut().take(col + 1).for_each(|c| *c = ' '),
                            _ => line.truncate(col),
                        }
                    }
                    _ => {}
                }
            }
            '\x1b' => {
                chars.next();
            }
            c if c.is_control() => {}
            c => {
                if col >= cols {
                    row += 1;
                    col = 0;
                }
                while lines.len() <= row {
                    lines.push(Vec::new());
                }
                let line = &mut lines[row];
                while line.len() < col {
                    line.push(' ');
                }
                if col < line.len() {
                    line[col] = c;
                } else {
                    line.push(c);
                }
                // A Chinese character takes two cells: the second holds a placeholder.
                let wide = unicode_width::UnicodeWidthChar::width(c).unwrap_or(1);
                if wide == 2 {
                    if col + 1 < line.len() {
                        line[col + 1] = '\u{0}';
                    } else {
                        line.push('\u{0}');
                    }
                }
                col += wide;
            }
        }
        while lines.len() <= row {
            lines.push(Vec::new());
        }
    }
    lines
        .into_iter()
        .map(|l| l.into_iter().filter(|c| *c != '\u{0}').collect::<String>())
        .map(|l| l.trim_end().to_string())
        .filter(|l| !l.is_empty())
        .collect()
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
