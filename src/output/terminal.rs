//! Is a stream a terminal, and the progress bar's own way of drawing on stderr.
//!
//! `AVATAR_FORCE_TTY=1` makes the program behave as on a terminal whatever its streams are
//! (colour, the progress bar, the production prompt, the quieter text output), so that this
//! behaviour can be tested with pipes; a real terminal is still tested in `tests/terminal.rs`.

use indicatif::TermLike;
use std::io::{self, IsTerminal, Write};

/// The variable that makes every stream count as a terminal.
pub const FORCE_TTY: &str = "AVATAR_FORCE_TTY";

/// True when `AVATAR_FORCE_TTY` is set to anything but empty or `0`.
pub fn forced() -> bool {
    std::env::var_os(FORCE_TTY).is_some_and(|v| !v.is_empty() && v != "0")
}

pub fn stdout_is_terminal() -> bool {
    forced() || io::stdout().is_terminal()
}

pub fn stderr_is_terminal() -> bool {
    forced() || io::stderr().is_terminal()
}

pub fn stdin_is_terminal() -> bool {
    forced() || io::stdin().is_terminal()
}

/// The cells a line on stdout may take: `COLUMNS` when it holds a width (as git and Python
/// read it, so a script or a user can set it), else the terminal's, else 80.
pub fn stdout_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or_else(|| {
            console::Term::stdout()
                .size_checked()
                .map(|(_, cols)| usize::from(cols))
        })
        .unwrap_or(80)
}

/// The progress bar's target: stderr, drawn with plain ANSI cursor moves. indicatif's own
/// stderr target hides itself when stderr is no terminal, which a forced terminal must not.
#[derive(Debug)]
pub struct Stderr {
    width: u16,
}

impl Stderr {
    pub fn new() -> Stderr {
        let width = console::Term::stderr()
            .size_checked()
            .map_or(80, |(_, cols)| cols);
        Stderr { width }
    }

    fn put(&self, text: &str) -> io::Result<()> {
        io::stderr().lock().write_all(text.as_bytes())
    }
}

impl TermLike for Stderr {
    fn width(&self) -> u16 {
        self.width
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        if n == 0 {
            return Ok(());
        }
        self.put(&format!("\x1b[{n}A"))
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        if n == 0 {
            return Ok(());
        }
        self.put(&format!("\x1b[{n}B"))
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        if n == 0 {
            return Ok(());
        }
        self.put(&format!("\x1b[{n}C"))
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        if n == 0 {
            return Ok(());
        }
        self.put(&format!("\x1b[{n}D"))
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        self.put(&format!("{s}\n"))
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        self.put(s)
    }

    fn clear_line(&self) -> io::Result<()> {
        self.put("\r\x1b[2K")
    }

    fn flush(&self) -> io::Result<()> {
        io::stderr().flush()
    }
}
