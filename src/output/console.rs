//! The one console: every line a command writes, on stdout or stderr, goes through it, so that
//! colour, `-q`, the progress bar, held lines and a stdout that fails are handled in one
//! place. Colour is decided per stream here, not by `colored`'s stdout test.

use super::progress::Progress;
use super::terminal;
use crate::cli::{ColorChoice, GlobalArgs, OutputFormat};
use crate::client::VerboseSink;
use crate::text::escape_controls;
use colored::Colorize;
use std::io::{self, BufWriter, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// What a command writes, and how.
pub struct Console {
    format: OutputFormat,
    quiet: bool,
    verbose: bool,
    pub(super) out: Out,
    err: Err,
    /// stdout and stderr are one file (`> log 2>&1`, `2>&1 | tee`): held warnings then go into
    /// the stdout buffer, so that each stays after its result line.
    one_file: bool,
    progress: Mutex<Option<Progress>>,
    /// Column widths of the result lines so far: they only grow, so columns stay put.
    pub(super) widths: Mutex<super::results::Widths>,
}

/// stdout: results, one per line.
pub(super) struct Out {
    pub is_terminal: bool,
    /// The terminal's width in cells, when stdout is one: lines are cut to it.
    pub width: Option<usize>,
    pub color: bool,
    /// Whether lines may wait in the buffer until [`Console::flush_stdout`]: set while a run's
    /// results stream to a stdout that is not a terminal.
    holding: AtomicBool,
    buffer: Mutex<BufWriter<Stdout>>,
    /// The first error writing stdout; nothing more is written there after it.
    error: OnceLock<(io::ErrorKind, String)>,
}

/// stderr: everything else.
struct Err {
    is_terminal: bool,
    color: bool,
    /// Whether warnings wait with the results (see [`Console::hold_stdout`]).
    holding: AtomicBool,
    held: Mutex<Vec<u8>>,
}

/// Whether to colour a stream: `--color`, then NO_COLOR and TERM=dumb, then "is it a terminal".
pub fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_terminal
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

/// Whether stdout and stderr are one file.
fn one_file_for_both() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let identity = |fd: std::os::fd::BorrowedFd<'_>| {
        let file = std::fs::File::from(fd.try_clone_to_owned().ok()?);
        file.metadata().ok().map(|m| (m.dev(), m.ino()))
    };
    let out = identity(io::stdout().as_fd());
    out.is_some() && out == identity(io::stderr().as_fd())
}

impl Console {
    /// From the command line's own options (format, colour, `-v`, `-q`): a console exists
    /// before anything else is read, so that even a refusal of the settings is said through it.
    pub fn new(args: &GlobalArgs) -> Console {
        // We decide colour per stream ourselves; `colored` must then not second-guess us.
        colored::control::set_override(true);
        let out_terminal = terminal::stdout_is_terminal();
        let err_terminal = terminal::stderr_is_terminal();
        let err_color = use_color(args.color, err_terminal);
        // The progress bar is styled by `console`, which has its own idea; ours wins.
        console::set_colors_enabled(err_color);
        console::set_colors_enabled_stderr(err_color);
        Console {
            format: args.output.unwrap_or(OutputFormat::Text),
            quiet: args.quiet,
            verbose: args.verbose,
            out: Out {
                is_terminal: out_terminal,
                width: out_terminal.then(terminal::stdout_width),
                color: use_color(args.color, out_terminal),
                holding: AtomicBool::new(false),
                buffer: Mutex::new(BufWriter::with_capacity(32 * 1024, io::stdout())),
                error: OnceLock::new(),
            },
            err: Err {
                is_terminal: err_terminal,
                color: err_color,
                holding: AtomicBool::new(false),
                held: Mutex::new(Vec::new()),
            },
            one_file: !out_terminal && !err_terminal && one_file_for_both(),
            progress: Mutex::new(None),
            widths: Mutex::new(super::results::Widths::START),
        }
    }

    pub fn format(&self) -> OutputFormat {
        self.format
    }

    pub(super) fn verbose(&self) -> bool {
        self.verbose
    }

    /// Whether stderr is a terminal (or `AVATAR_FORCE_TTY` says to behave as if), and `-q`
    /// does not silence it: where the line saying where notices go is worth printing.
    pub fn talks_to_a_person(&self) -> bool {
        self.err.is_terminal && !self.quiet
    }

    /// One line on stdout, written as given: a result, a problem, an envelope or a history
    /// row. When it cannot be written (a closed pipe, a full disk) the first error is kept in
    /// [`Console::stdout_failure`], for the caller to act on, and nothing more is tried.
    /// While a progress bar is drawn, the bar is lifted for the line and drawn again below
    /// it: stdout and stderr share the screen, and a line written under a live bar would be
    /// glued to it and leave a stale bar behind.
    pub fn out(&self, line: &str) {
        let mut text = String::with_capacity(line.len() + 1);
        text.push_str(line);
        text.push('\n');
        self.out_bytes(text.as_bytes());
    }

    /// Bytes on stdout, as they are (a completion script, a manual page, a workbook).
    pub fn out_bytes(&self, bytes: &[u8]) {
        let write = || {
            let mut out = self.out.buffer.lock().unwrap_or_else(|e| e.into_inner());
            if self.out.error.get().is_some() {
                return;
            }
            let mut written = out.write_all(bytes);
            if !self.out.holding.load(Ordering::Relaxed) {
                written = written.and_then(|()| out.flush());
            }
            if let Err(e) = written {
                let _ = self.out.error.set((e.kind(), e.to_string()));
            }
        };
        self.above_the_bar(write);
    }

    /// Lets result lines wait in the stdout buffer (one write for many lines) when stdout is
    /// not a terminal; `false` writes what waits and goes back to a write per line. Whoever
    /// holds flushes whenever it is about to wait for more, so a reader of the pipe sees each
    /// line as soon as the run pauses.
    pub fn hold_stdout(&self, hold: bool) {
        self.out
            .holding
            .store(hold && !self.out.is_terminal, Ordering::Relaxed);
        // On a terminal stderr also carries the progress bar: nothing waits there.
        self.err
            .holding
            .store(hold && !self.err.is_terminal, Ordering::Relaxed);
        if !hold {
            self.flush_stdout();
        }
    }

    /// Writes the lines waiting in the stdout buffer, then the warnings held for stderr. Also
    /// for an exit that skips the run's own ending (a second Ctrl-C).
    pub fn flush_stdout(&self) {
        let flushed = self
            .out
            .buffer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .flush();
        if let Err(e) = flushed {
            let _ = self.out.error.set((e.kind(), e.to_string()));
        }
        self.write_held_stderr();
    }

    /// The held warnings, written; a stderr that cannot take them is ignored, as everywhere.
    fn write_held_stderr(&self) {
        let mut held = self.err.held.lock().unwrap_or_else(|e| e.into_inner());
        if !held.is_empty() {
            let _ = io::stderr().lock().write_all(&held);
            held.clear();
        }
    }

    /// Runs `write` with the progress bar, if any, lifted off the screen.
    fn above_the_bar(&self, write: impl FnOnce()) {
        let progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        match progress.as_ref() {
            Some(progress) => progress.bar().suspend(write),
            None => write(),
        }
    }

    /// Why stdout could not be written, once it could not.
    pub fn stdout_failure(&self) -> Option<&str> {
        self.out.error.get().map(|(_, e)| e.as_str())
    }

    /// The exit code of a command that sends nothing (`history`, `validate`, a dry run), given
    /// the code it would have: a reader that went away (`| head`) chose to stop, which is no
    /// failure; a stdout that could not take the output (a full disk) is exit 3, said once.
    pub fn offline_exit(&self, code: u8, what: &str) -> u8 {
        self.flush_stdout();
        match self.out.error.get() {
            None => code,
            Some((kind, e)) => {
                let reader_left = *kind == io::ErrorKind::BrokenPipe;
                if !reader_left {
                    self.error(&format!("could not write {what} to stdout: {e}"));
                }
                crate::error::written(code, reader_left)
            }
        }
    }

    /// Text already made safe for a terminal. A stderr that cannot be written is ignored: the
    /// journal is the record, and there is nowhere left to say anything.
    fn err_raw(&self, text: &str) {
        // One write for the line and its newline: stderr is unbuffered, and two writes per
        // warning showed in profiles.
        let mut line = String::with_capacity(text.len() + 1);
        line.push_str(text);
        line.push('\n');
        // Anything held goes first, so that lines keep their order in a file that has both.
        if self.out.holding.load(Ordering::Relaxed) || self.err.holding.load(Ordering::Relaxed) {
            self.flush_stdout();
        }
        self.above_the_bar(|| {
            let _ = io::stderr().lock().write_all(line.as_bytes());
        });
    }

    /// A warning line: held with the results while they are (see [`Console::hold_stdout`]),
    /// in the stdout buffer itself when both streams are one file.
    fn warn_raw(&self, text: &str) {
        if !self.err.holding.load(Ordering::Relaxed) {
            return self.err_raw(text);
        }
        if self.one_file {
            let mut out = self.out.buffer.lock().unwrap_or_else(|e| e.into_inner());
            let _ = out
                .write_all(text.as_bytes())
                .and_then(|()| out.write_all(b"\n"));
            return;
        }
        let mut held = self.err.held.lock().unwrap_or_else(|e| e.into_inner());
        held.extend_from_slice(text.as_bytes());
        held.push(b'\n');
        if held.len() >= 32 * 1024 {
            drop(held);
            self.write_held_stderr();
        }
    }

    /// Informational line on stderr; silenced by `-q`.
    pub fn note(&self, message: &str) {
        if !self.quiet {
            self.err_raw(&escape_controls(message));
        }
    }

    pub fn warn(&self, message: &str) {
        if !self.quiet {
            let label = if self.err.color {
                "warning:".yellow().bold().to_string()
            } else {
                "warning:".into()
            };
            self.warn_raw(&format!("{label} {}", escape_controls(message)));
        }
    }

    /// Errors are shown even with `-q`.
    pub fn error(&self, message: &str) {
        self.err_raw(&self.error_line(message));
    }

    /// An error written at once: not after the lines held for stdout, nor around the progress
    /// bar, either of which may be stuck behind a stdout that does not drain. For quitting.
    pub fn error_at_once(&self, message: &str) {
        let mut line = self.error_line(message);
        line.push('\n');
        let _ = io::stderr().lock().write_all(line.as_bytes());
    }

    fn error_line(&self, message: &str) -> String {
        let label = if self.err.color {
            "error:".red().bold().to_string()
        } else {
            "error:".into()
        };
        format!("{label} {}", escape_controls(message))
    }

    /// A question on stderr, without a line break after it, for an answer typed on stdin.
    pub fn ask(&self, question: &str) -> io::Result<()> {
        self.flush_stdout();
        let mut err = io::stderr().lock();
        err.write_all(escape_controls(question).as_bytes())?;
        err.flush()
    }

    /// Where `-v` bodies go, or `None` without `-v`. The client escapes the bodies; the
    /// `> `/`< ` lines around them are its own.
    pub fn verbose_sink(self: &Arc<Self>) -> Option<VerboseSink> {
        self.verbose.then(|| self.stderr_sink())
    }

    /// Lines for stderr as they come from another part of the program (the sandbox's log),
    /// escaped there; silenced by `-q`, as notes are.
    pub fn note_sink(self: &Arc<Self>) -> VerboseSink {
        let console = Arc::clone(self);
        Arc::new(move |text: String| {
            if !console.quiet {
                console.err_raw(&text);
            }
        })
    }

    fn stderr_sink(self: &Arc<Self>) -> VerboseSink {
        let console = Arc::clone(self);
        Arc::new(move |text: String| console.err_raw(&text))
    }

    /// A progress bar on stderr over the `to_send` of a run's `rows` notices, only when
    /// stderr is a terminal and not `-q`. Uncoloured when stderr is (`--color never`,
    /// NO_COLOR).
    pub fn start_progress(&self, rows: u64, to_send: u64) {
        if self.quiet || !self.err.is_terminal {
            return;
        }
        let progress = Progress::start(rows, to_send, self.err.color);
        *self.progress.lock().unwrap_or_else(|e| e.into_inner()) = Some(progress);
    }

    /// One more result, on the bar: `sent` when the notice went to the platform.
    pub(super) fn advance(&self, sent: bool) {
        if let Some(progress) = self
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            progress.advance(sent);
        }
    }

    /// Ends the bar: left on the screen at its last count (the run's end), or taken off it
    /// (an interrupt, whose message follows). Either way nothing draws it again.
    pub fn finish_progress(&self, keep: bool) {
        if let Some(progress) = self
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            if keep {
                progress.bar().finish();
                // The bar ends padded to the terminal's width without a newline: on a terminal
                // the next line wraps below it, elsewhere it would be glued on.
                let _ = writeln!(io::stderr().lock());
            } else {
                progress.bar().finish_and_clear();
            }
        }
    }
}

impl Drop for Console {
    /// Nothing the console holds is lost when it goes.
    fn drop(&mut self) {
        self.flush_stdout();
    }
}
