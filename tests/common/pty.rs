//! A real pseudo-terminal for the tests that drive the binary as a person at a terminal sees
//! it: the program's streams on the terminal (or some of them), what it wrote read back, a way
//! to type on it, a size, and the lines a terminal of that width would show.

use super::{text, Running, PATIENCE};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The test's end of a pseudo-terminal: what the program wrote to its terminal, and a way to
/// type on it.
pub struct Terminal {
    master: File,
    screen: Arc<Mutex<Vec<u8>>>,
    /// Set when the program's end is closed and everything it wrote has been read.
    closed: Arc<AtomicBool>,
}

impl Terminal {
    /// Opens a pty; returns the test's end and the program's end.
    pub fn open() -> (Terminal, OwnedFd) {
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
    pub fn final_screen(&self) -> String {
        let start = Instant::now();
        while !self.closed.load(Ordering::SeqCst) {
            assert!(start.elapsed() < PATIENCE, "the terminal was never closed");
            std::thread::sleep(Duration::from_millis(5));
        }
        self.screen()
    }

    pub fn screen(&self) -> String {
        text(&self.screen.lock().unwrap())
    }

    pub fn wait_for(&self, needle: &str, run: &mut Running) {
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

    pub fn type_line(&mut self, line: &str) {
        self.master
            .write_all(format!("{line}\n").as_bytes())
            .expect("type on the terminal");
    }
}

/// Which of the program's streams are the terminal (the others are pipes, stdin empty).
pub struct OnTerminal {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
}

/// Starts the binary in a new session whose controlling terminal is `slave`, so that
/// `/dev/tty` opens to it. Streams not on the terminal are piped (stdout, stderr) or left as
/// the caller set them (stdin).
pub fn start(mut cmd: std::process::Command, slave: OwnedFd, on: OnTerminal) -> Running {
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

pub const EVERYWHERE: OnTerminal = OnTerminal {
    stdin: true,
    stdout: true,
    stderr: true,
};

/// stdout alone on the terminal: stderr a pipe, stdin as the caller set it.
pub const ONLY_STDOUT: OnTerminal = OnTerminal {
    stdin: false,
    stdout: true,
    stderr: false,
};

/// A pseudo-terminal of `cols` columns (the one `Terminal::open` makes has no size).
pub fn sized_terminal(cols: u16) -> (Terminal, OwnedFd) {
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
pub fn screen_lines(bytes: &str, cols: usize) -> Vec<String> {
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
                // A Chinese character takes two cells: one that does not fit before the right
                // edge goes to the next line whole, as xterm puts it.
                let wide = unicode_width::UnicodeWidthChar::width(c).unwrap_or(1);
                if col + wide > cols {
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
                // The second cell of a Chinese character holds a placeholder.
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
