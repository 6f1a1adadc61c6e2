//! Everything a user sees: result lines on stdout, and on stderr the warnings, progress bar,
//! summary and `-v` bodies. Colour is decided per stream here, not by `colored`'s stdout test.

mod report;
pub mod table;
pub mod terminal;
pub mod workbook;

pub use report::{check_target, Lang, Platform, Report, ReportSetup, ReportUnwritable, RunSummary};

use crate::cli::{ColorChoice, OutputFormat};
use crate::notice::{NoticeResult, Outcome, SkipReason};
use crate::settings::Settings;
use crate::text::{escape_controls, pad};
use colored::Colorize;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// stdout behind one buffer per process, so that a hurried exit ([`flush_held_stdout`]) can
/// still write the lines held in it.
fn stdout_buffer() -> &'static Mutex<io::BufWriter<io::Stdout>> {
    static STDOUT: OnceLock<Mutex<io::BufWriter<io::Stdout>>> = OnceLock::new();
    STDOUT.get_or_init(|| Mutex::new(io::BufWriter::with_capacity(32 * 1024, io::stdout())))
}

/// Warnings held while a run's results stream to a stderr that is not a terminal, written
/// with the held stdout lines (see [`Console::hold_stdout`]).
fn stderr_buffer() -> &'static Mutex<Vec<u8>> {
    static STDERR: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    STDERR.get_or_init(|| Mutex::new(Vec::new()))
}

/// Writes whatever lines wait in the stdout and stderr buffers, for an exit that skips the
/// run's own ending (a second Ctrl-C). A failure has nowhere left to be said.
pub fn flush_held_stdout() {
    let _ = stdout_buffer()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .flush();
    write_held_stderr();
}

/// The held warnings, written; a stderr that cannot take them is ignored, as everywhere.
fn write_held_stderr() {
    let mut held = stderr_buffer().lock().unwrap_or_else(|e| e.into_inner());
    if !held.is_empty() {
        let _ = io::stderr().lock().write_all(&held);
        held.clear();
    }
}

/// Whether stdout and stderr are one file (`> log 2>&1`, `2>&1 | tee`): held warnings then
/// go into the stdout buffer, so that each stays after its result line.
fn one_file_for_both() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::MetadataExt;
        let identity = |fd: std::os::fd::BorrowedFd<'_>| {
            let file = std::fs::File::from(fd.try_clone_to_owned().ok()?);
            file.metadata().ok().map(|m| (m.dev(), m.ino()))
        };
        let out = identity(io::stdout().as_fd());
        out.is_some() && out == identity(io::stderr().as_fd())
    }
    #[cfg(not(unix))]
    {
        false
    }
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

/// A result as its `--json` line: `{"type":"result", …the result's fields}`, so that a script
/// tells it from the summary line that ends the run.
fn result_json(result: &NoticeResult) -> String {
    #[derive(serde::Serialize)]
    struct Typed<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        #[serde(flatten)]
        result: &'a NoticeResult,
    }
    let typed = Typed {
        kind: "result",
        result,
    };
    // A struct of strings, numbers and lists: serialising it cannot fail.
    serde_json::to_string(&typed).unwrap_or_default()
}

/// Counts per outcome, for the summary and the exit code; the skips of notices rejected
/// earlier also apart, since they keep the run from succeeding.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    counts: HashMap<Outcome, u64>,
    rejected_earlier: u64,
}

impl Tally {
    pub fn add(&mut self, result: &NoticeResult) {
        *self.counts.entry(result.outcome).or_default() += 1;
        if result.skip_reason == Some(SkipReason::RejectedEarlier) {
            self.rejected_earlier += 1;
        }
    }

    /// Skipped because the platform rejected them earlier and they have not changed.
    pub fn rejected_earlier(&self) -> u64 {
        self.rejected_earlier
    }

    pub fn get(&self, outcome: Outcome) -> u64 {
        self.counts.get(&outcome).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
}

/// The terminal side of a run, shared by all workers.
pub struct Console {
    format: OutputFormat,
    color_out: bool,
    color_err: bool,
    quiet: bool,
    verbose: bool,
    stdout_is_terminal: bool,
    stderr_is_terminal: bool,
    progress: Mutex<Option<ProgressBar>>,
    /// Whether lines may wait in the stdout buffer until [`Console::flush_stdout`]: set while
    /// a run's results stream to a stdout that is not a terminal.
    holding: AtomicBool,
    /// Likewise for warnings on a stderr that is not a terminal.
    holding_err: AtomicBool,
    /// stdout and stderr are one file.
    one_file: bool,
    /// The first error writing stdout; nothing more is written there after it.
    stdout_error: OnceLock<(io::ErrorKind, String)>,
    /// Column widths of the result lines so far: they only grow, so columns stay put.
    widths: Mutex<Widths>,
}

/// Display widths (terminal cells) of the result line's columns.
#[derive(Debug, Clone, Copy)]
struct Widths {
    policy: usize,
    order: usize,
    what: usize,
}

impl Widths {
    /// Room for the usual policy number, a generated orderNo and a dealDesc of up to eleven
    /// Chinese characters: lines stream out, so later widths cannot be known in advance.
    const START: Widths = Widths {
        policy: 11,
        order: 23,
        what: 24,
    };
    /// A long error message is not padded to: the lines after it would be mostly blanks.
    const WHAT_MAX: usize = 32;
}

/// What the end-of-run summary says besides the counts.
pub struct SummaryContext<'a> {
    /// Where the notices went: `test (porsche-avatar.chinahuanong.com.cn)`.
    pub destination: &'a str,
    pub interrupted: bool,
    /// Whether a journal recorded the run, so that running again resumes it.
    pub journaled: bool,
}

impl Console {
    pub fn new(settings: &Settings) -> Console {
        // We decide colour per stream ourselves; `colored` must then not second-guess us.
        colored::control::set_override(true);
        let stdout_is_terminal = terminal::stdout_is_terminal();
        let stderr_is_terminal = terminal::stderr_is_terminal();
        let color_err = use_color(settings.color, stderr_is_terminal);
        // The progress bar is styled by `console`, which has its own idea; ours wins.
        console::set_colors_enabled(color_err);
        console::set_colors_enabled_stderr(color_err);
        Console {
            format: settings.output,
            color_out: use_color(settings.color, stdout_is_terminal),
            color_err,
            quiet: settings.quiet,
            verbose: settings.verbose,
            stdout_is_terminal,
            stderr_is_terminal,
            progress: Mutex::new(None),
            holding: AtomicBool::new(false),
            holding_err: AtomicBool::new(false),
            one_file: !stdout_is_terminal && !stderr_is_terminal && one_file_for_both(),
            stdout_error: OnceLock::new(),
            widths: Mutex::new(Widths::START),
        }
    }

    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// Whether stderr is a terminal (or `AVATAR_FORCE_TTY` says to behave as if), and `-q`
    /// does not silence it: where the line saying where notices go is worth printing.
    pub fn talks_to_a_person(&self) -> bool {
        self.stderr_is_terminal && !self.quiet
    }

    /// One line on stdout, written as given: a result, a problem, an envelope or a history
    /// row. When it cannot be written (a closed pipe, a full disk) the first error is kept in
    /// [`Console::stdout_failure`], for the caller to act on, and nothing more is tried.
    /// While a progress bar is drawn, the bar is lifted for the line and drawn again below
    /// it: stdout and stderr share the screen, and a line written under a live bar would be
    /// glued to it and leave a stale bar behind.
    pub fn out(&self, line: &str) {
        let write = || {
            let mut out = stdout_buffer().lock().unwrap_or_else(|e| e.into_inner());
            if self.stdout_error.get().is_some() {
                return;
            }
            let mut written = out
                .write_all(line.as_bytes())
                .and_then(|()| out.write_all(b"\n"));
            if !self.holding.load(Ordering::Relaxed) {
                written = written.and_then(|()| out.flush());
            }
            if let Err(e) = written {
                let _ = self.stdout_error.set((e.kind(), e.to_string()));
            }
        };
        self.above_the_bar(write);
    }

    /// Lets result lines wait in the stdout buffer (one write for many lines) when stdout is
    /// not a terminal; `false` writes what waits and goes back to a write per line. Whoever
    /// holds flushes whenever it is about to wait for more, so a reader of the pipe sees each
    /// line as soon as the run pauses.
    pub fn hold_stdout(&self, hold: bool) {
        self.holding
            .store(hold && !self.stdout_is_terminal, Ordering::Relaxed);
        // On a terminal stderr also carries the progress bar: nothing waits there.
        self.holding_err
            .store(hold && !self.stderr_is_terminal, Ordering::Relaxed);
        if !hold {
            self.flush_stdout();
        }
    }

    /// Writes the lines waiting in the stdout buffer, then the warnings held for stderr.
    pub fn flush_stdout(&self) {
        if let Err(e) = stdout_buffer()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .flush()
        {
            let _ = self.stdout_error.set((e.kind(), e.to_string()));
        }
        write_held_stderr();
    }

    /// Runs `write` with the progress bar, if any, lifted off the screen.
    fn above_the_bar(&self, write: impl FnOnce()) {
        let progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        match progress.as_ref() {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    /// Why stdout could not be written, once it could not.
    pub fn stdout_failure(&self) -> Option<&str> {
        self.stdout_error.get().map(|(_, e)| e.as_str())
    }

    /// The exit code of a command that sends nothing (`history`, `validate`, a dry run), given
    /// the code it would have: a reader that went away (`| head`) chose to stop, which is no
    /// failure; a stdout that could not take the output (a full disk) is exit 3, said once.
    pub fn offline_exit(&self, code: u8, what: &str) -> u8 {
        match self.stdout_error.get() {
            None => code,
            Some((io::ErrorKind::BrokenPipe, _)) => code,
            Some((_, e)) => {
                self.error(&format!("could not write {what} to stdout: {e}"));
                crate::error::code::FAILED
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
        if self.holding.load(Ordering::Relaxed) || self.holding_err.load(Ordering::Relaxed) {
            self.flush_stdout();
        }
        self.above_the_bar(|| {
            let _ = io::stderr().lock().write_all(line.as_bytes());
        });
    }

    /// A warning line: held with the results while they are (see [`Console::hold_stdout`]),
    /// in the stdout buffer itself when both streams are one file.
    fn warn_raw(&self, text: &str) {
        if !self.holding_err.load(Ordering::Relaxed) {
            return self.err_raw(text);
        }
        if self.one_file {
            let mut out = stdout_buffer().lock().unwrap_or_else(|e| e.into_inner());
            let _ = out
                .write_all(text.as_bytes())
                .and_then(|()| out.write_all(b"\n"));
            return;
        }
        let mut held = stderr_buffer().lock().unwrap_or_else(|e| e.into_inner());
        held.extend_from_slice(text.as_bytes());
        held.push(b'\n');
        if held.len() >= 32 * 1024 {
            drop(held);
            write_held_stderr();
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
            let label = if self.color_err {
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
        let label = if self.color_err {
            "error:".red().bold().to_string()
        } else {
            "error:".into()
        };
        format!("{label} {}", escape_controls(message))
    }

    /// Where `-v` bodies go, or `None` without `-v`. The client escapes the bodies; the
    /// `> `/`< ` lines around them are its own.
    pub fn verbose_sink(self: &Arc<Self>) -> Option<crate::client::VerboseSink> {
        self.verbose.then(|| {
            let console = Arc::clone(self);
            Arc::new(move |text: String| console.err_raw(&text)) as crate::client::VerboseSink
        })
    }

    /// A progress bar on stderr, only when stderr is a terminal and not `-q`. Uncoloured when
    /// stderr is (`--color never`, NO_COLOR).
    pub fn start_progress(&self, total: u64) {
        if self.quiet || !self.stderr_is_terminal {
            return;
        }
        let target = ProgressDrawTarget::term_like(Box::new(terminal::Stderr::new()));
        let bar = ProgressBar::with_draw_target(Some(total), target);
        let template = if self.color_err {
            "{bar:40.cyan/blue} {pos}/{len} notices  {per_sec}  eta {eta}"
        } else {
            "{bar:40} {pos}/{len} notices  {per_sec}  eta {eta}"
        };
        bar.set_style(
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        *self.progress.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }

    /// Ends the bar: left on the screen at its last count (the run's end), or taken off it
    /// (an interrupt, whose message follows). Either way nothing draws it again.
    pub fn finish_progress(&self, keep: bool) {
        if let Some(bar) = self
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            if keep {
                bar.finish();
                // The bar ends padded to the terminal's width without a newline: on a terminal
                // the next line wraps below it, elsewhere it would be glued on.
                let _ = writeln!(io::stderr().lock());
            } else {
                bar.finish_and_clear();
            }
        }
    }

    /// Whether a result of this outcome gets its own line. On a terminal, in text, the rows
    /// that were not sent at all (skipped, notSent) are only counted in the summary: a re-run
    /// of 400 rows would otherwise bury the 11 that mattered. `-v` lists them; JSON and a
    /// piped stdout keep one line per notice for scripts.
    fn lists(&self, outcome: Outcome) -> bool {
        let quiet_kind = matches!(outcome, Outcome::Skipped | Outcome::NotSent);
        !(quiet_kind
            && self.format == OutputFormat::Text
            && self.stdout_is_terminal
            && !self.verbose)
    }

    /// Whether this result gets its own line: a skip of a rejection does, even on a
    /// terminal, since it keeps the run from succeeding.
    fn lists_result(&self, result: &NoticeResult) -> bool {
        self.lists(result.outcome) || result.skip_reason == Some(SkipReason::RejectedEarlier)
    }

    /// A notice's result: its line on stdout, its warnings on stderr. Whether stdout took it
    /// is then in [`Console::stdout_failure`].
    pub fn result(&self, result: &NoticeResult) {
        if let Some(bar) = self
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            bar.inc(1);
        }
        match self.format {
            OutputFormat::Json => self.out(&result_json(result)),
            OutputFormat::Text | OutputFormat::Csv | OutputFormat::Jsonl | OutputFormat::Xlsx
                if self.lists_result(result) =>
            {
                self.out(&self.text_line(result));
            }
            OutputFormat::Text | OutputFormat::Csv | OutputFormat::Jsonl | OutputFormat::Xlsx => {}
        }
        for warning in &result.warnings {
            self.warn(&format!("{}: {warning}", result.policy_no));
        }
    }

    /// `accepted  P2024000001  QS…  1 成功  5 ms`: the fixed-width columns first, the free
    /// text after them, each padded by display width so Chinese text does not shift them.
    fn text_line(&self, r: &NoticeResult) -> String {
        let what = match (&r.deal_code, &r.error) {
            (_, Some(error))
                if matches!(
                    r.outcome,
                    Outcome::Failed | Outcome::InDoubt | Outcome::NotSent
                ) =>
            {
                error.clone()
            }
            (Some(code), _) => format!("{code} {}", r.deal_desc.as_deref().unwrap_or("")),
            (None, _) => "-".into(),
        };
        let time = match (r.outcome, &r.skip_text) {
            (Outcome::Skipped, Some(text)) => text.clone(),
            (Outcome::Skipped, None) => "accepted earlier".to_string(),
            (Outcome::NotSent, _) => "not sent".to_string(),
            _ => format!("{} ms", r.elapsed_ms),
        };
        // dealDesc and errors carry the server's text: one result, one line, no terminal codes.
        let policy = escape_controls(&r.policy_no);
        let order = escape_controls(r.order_no.as_deref().unwrap_or("-"));
        let what = escape_controls(what.trim_end());
        let widths = {
            let mut w = self.widths.lock().unwrap_or_else(|e| e.into_inner());
            w.policy = w.policy.max(crate::text::width(&policy));
            w.order = w.order.max(crate::text::width(&order));
            w.what = w.what.max(crate::text::width(&what).min(Widths::WHAT_MAX));
            *w
        };
        let line = format!(
            "{}  {}  {}  {}  {time}",
            pad(r.outcome.as_str(), 8),
            pad(&policy, widths.policy),
            pad(&order, widths.order),
            pad(&what, widths.what),
        );
        if !self.color_out {
            return line;
        }
        match r.outcome {
            Outcome::Accepted => line.green().to_string(),
            Outcome::Rejected => line.yellow().to_string(),
            Outcome::Failed => line.red().to_string(),
            Outcome::InDoubt => line.magenta().to_string(),
            Outcome::Skipped | Outcome::NotSent => line.dimmed().to_string(),
        }
    }

    /// The end-of-run summary on stderr: the counts, where the notices went, the rows that
    /// were only counted, and how to resume a run that stopped early.
    pub fn summary(&self, tally: &Tally, elapsed: Duration, context: &SummaryContext<'_>) {
        let secs = elapsed.as_secs_f64();
        let sent = tally.total() - tally.get(Outcome::Skipped) - tally.get(Outcome::NotSent);
        let rate = if secs > 0.0 { sent as f64 / secs } else { 0.0 };
        let parts: Vec<String> = Outcome::ALL
            .iter()
            .map(|o| format!("{} {}", tally.get(*o), o.as_str()))
            .collect();
        self.note(&format!(
            "{} notices: {} in {:.2} s ({:.1} notices/s); to {}",
            tally.total(),
            parts.join(", "),
            secs,
            rate,
            context.destination,
        ));
        let rejected_earlier = tally.rejected_earlier();
        if rejected_earlier > 0 {
            self.note(&format!(
                "{rejected_earlier} rejected earlier, not re-sent; --retry-rejected sends them again"
            ));
        }
        let unlisted: Vec<String> = [Outcome::Skipped, Outcome::NotSent]
            .into_iter()
            .filter(|o| !self.lists(*o) && tally.get(*o) > 0)
            .map(|o| {
                let n = tally.get(o);
                // The rejections skipped were listed one by one.
                let n = if o == Outcome::Skipped {
                    n - rejected_earlier
                } else {
                    n
                };
                (o, n)
            })
            .filter(|(_, n)| *n > 0)
            .map(|(o, n)| format!("{n} {}", o.as_str()))
            .collect();
        if !unlisted.is_empty() {
            self.note(&format!(
                "{} not listed one by one (-v lists them)",
                unlisted.join(" and ")
            ));
        }
        let not_sent = tally.get(Outcome::NotSent);
        if context.interrupted || not_sent > 0 {
            let why = if context.interrupted {
                "interrupted"
            } else {
                "stopped early"
            };
            self.note(&if context.journaled {
                format!(
                    "{why}: {not_sent} notice(s) not sent; run the same command again to resume                      (what was accepted is skipped, what was in flight is resent under the same orderNo)"
                )
            } else {
                format!(
                    "{why}: {not_sent} notice(s) not sent; without a journal, running the same                      command again sends every notice again"
                )
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_the_choice_and_the_terminal() {
        assert!(use_color(ColorChoice::Always, false));
        assert!(!use_color(ColorChoice::Never, true));
        assert!(!use_color(ColorChoice::Auto, false));
    }

    #[test]
    fn the_tally_counts_each_outcome() {
        let mut t = Tally::default();
        let notice = crate::notice::Notice {
            line: None,
            policy_no: "P".into(),
            order_no: None,
            details: Default::default(),
            platform: None,
            raw: None,
        };
        let result = |o| NoticeResult::new(&notice, o);
        t.add(&result(Outcome::Accepted));
        t.add(&result(Outcome::Accepted));
        t.add(&result(Outcome::Failed));
        let mut skipped = result(Outcome::Skipped);
        skipped.skip_reason = Some(SkipReason::RejectedEarlier);
        t.add(&skipped);
        assert_eq!(t.rejected_earlier(), 1);
        assert_eq!(t.get(Outcome::Accepted), 2);
        assert_eq!(t.get(Outcome::Rejected), 0);
        assert_eq!(t.total(), 4);
    }
}
