//! Everything a user sees: result lines on stdout, and on stderr the warnings, progress bar,
//! summary and `-v` bodies. Colour is decided per stream here, not by `colored`'s stdout test.

use crate::cli::{ColorChoice, OutputFormat};
use crate::config::Settings;
use crate::error::Refusal;
use crate::notice::{NoticeResult, Outcome, REPORT_COLUMNS};
use crate::refuse;
use crate::text::{escape_controls, quote};
use colored::Colorize;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

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

/// Counts per outcome, for the summary and the exit code.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    counts: HashMap<Outcome, u64>,
}

impl Tally {
    pub fn add(&mut self, outcome: Outcome) {
        *self.counts.entry(outcome).or_default() += 1;
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
    stderr_is_terminal: bool,
    progress: Mutex<Option<ProgressBar>>,
    stdout: Mutex<io::Stdout>,
    /// The first error writing stdout; nothing more is written there after it.
    stdout_error: OnceLock<(io::ErrorKind, String)>,
}

impl Console {
    pub fn new(settings: &Settings) -> Console {
        // We decide colour per stream ourselves; `colored` must then not second-guess us.
        colored::control::set_override(true);
        let stderr_is_terminal = io::stderr().is_terminal();
        Console {
            format: settings.output,
            color_out: use_color(settings.color, io::stdout().is_terminal()),
            color_err: use_color(settings.color, stderr_is_terminal),
            quiet: settings.quiet,
            verbose: settings.verbose,
            stderr_is_terminal,
            progress: Mutex::new(None),
            stdout: Mutex::new(io::stdout()),
            stdout_error: OnceLock::new(),
        }
    }

    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// One line on stdout, written as given: a result, a problem, an envelope or a history
    /// row. When it cannot be written (a closed pipe, a full disk) the first error is kept in
    /// [`Console::stdout_failure`], for the caller to act on, and nothing more is tried.
    pub fn out(&self, line: &str) {
        let mut out = self.stdout.lock().unwrap_or_else(|e| e.into_inner());
        if self.stdout_error.get().is_some() {
            return;
        }
        if let Err(e) = writeln!(out, "{line}") {
            let _ = self.stdout_error.set((e.kind(), e.to_string()));
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
        let write = || {
            let _ = writeln!(io::stderr().lock(), "{text}");
        };
        let progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        match progress.as_ref() {
            Some(bar) => bar.suspend(write),
            None => write(),
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
            self.err_raw(&format!("{label} {}", escape_controls(message)));
        }
    }

    /// Errors are shown even with `-q`.
    pub fn error(&self, message: &str) {
        let label = if self.color_err {
            "error:".red().bold().to_string()
        } else {
            "error:".into()
        };
        self.err_raw(&format!("{label} {}", escape_controls(message)));
    }

    /// Where `-v` bodies go, or `None` without `-v`. The client escapes the bodies; the
    /// `> `/`< ` lines around them are its own.
    pub fn verbose_sink(self: &Arc<Self>) -> Option<crate::client::VerboseSink> {
        self.verbose.then(|| {
            let console = Arc::clone(self);
            Arc::new(move |text: String| console.err_raw(&text)) as crate::client::VerboseSink
        })
    }

    /// A progress bar on stderr, only when stderr is a terminal and not `-q`.
    pub fn start_progress(&self, total: u64) {
        if self.quiet || !self.stderr_is_terminal {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40.cyan/blue} {pos}/{len} notices  {per_sec}  eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        *self.progress.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }

    pub fn finish_progress(&self) {
        if let Some(bar) = self
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            bar.finish_and_clear();
        }
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
            OutputFormat::Json => self.out(&serde_json::to_string(result).unwrap_or_default()),
            OutputFormat::Text | OutputFormat::Csv => self.out(&self.text_line(result)),
        }
        for warning in &result.warnings {
            self.warn(&format!("{}: {warning}", result.policy_no));
        }
    }

    fn text_line(&self, r: &NoticeResult) -> String {
        let what = match (&r.deal_code, &r.error) {
            (_, Some(error)) if r.outcome == Outcome::Failed || r.outcome == Outcome::NotSent => {
                error.clone()
            }
            (Some(code), _) => format!("{code} {}", r.deal_desc.as_deref().unwrap_or("")),
            (None, _) => "-".into(),
        };
        let order = r.order_no.as_deref().unwrap_or("-");
        let time = match r.outcome {
            Outcome::Skipped => "accepted earlier".to_string(),
            Outcome::NotSent => "not sent".to_string(),
            _ => format!("{} ms", r.elapsed_ms),
        };
        let line = format!(
            "{:<9} {}  {}  {}  {}",
            r.outcome.as_str(),
            r.policy_no,
            what.trim_end(),
            order,
            time
        );
        // dealDesc and errors carry the server's text: one result, one line, no terminal codes.
        let line = escape_controls(&line).into_owned();
        if !self.color_out {
            return line;
        }
        match r.outcome {
            Outcome::Accepted => line.green().to_string(),
            Outcome::Rejected | Outcome::Failed => line.red().to_string(),
            Outcome::Skipped | Outcome::NotSent => line.dimmed().to_string(),
        }
    }

    /// The end-of-run summary on stderr.
    pub fn summary(&self, tally: &Tally, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let sent = tally.total() - tally.get(Outcome::Skipped) - tally.get(Outcome::NotSent);
        let rate = if secs > 0.0 { sent as f64 / secs } else { 0.0 };
        let parts: Vec<String> = Outcome::ALL
            .iter()
            .map(|o| format!("{} {}", tally.get(*o), o.as_str()))
            .collect();
        self.note(&format!(
            "{} notices: {} in {:.2} s ({:.1} notices/s)",
            tally.total(),
            parts.join(", "),
            secs,
            rate
        ));
    }
}

/// `--report FILE`: one row per input row, flushed as results arrive.
pub struct Report {
    path: PathBuf,
    writer: ReportWriter,
}

enum ReportWriter {
    Csv(Box<csv::Writer<File>>),
    Jsonl(BufWriter<File>),
}

/// The report could be created but not written: an output failure (exit 3), not a usage error.
#[derive(Debug, thiserror::Error)]
#[error("could not write the report {path}: {reason}; nothing was sent")]
pub struct ReportUnwritable {
    pub path: String,
    pub reason: String,
}

impl Report {
    /// Refuses a report path that is the input (a file, or what stdin reads when `input` is
    /// `None`) or the journal with its `-wal`/`-shm` files: creating the report would truncate
    /// it. Checked before anything is created.
    pub fn check_target(
        path: &Path,
        input: Option<&Path>,
        journal: Option<&Path>,
    ) -> Result<(), Refusal> {
        let refuse = |what: &str, other: &Path| {
            refuse!(
                Usage,
                "--report {}: that is {what} {}, which the report would overwrite; choose another report file",
                quote(&path.display().to_string()),
                quote(&other.display().to_string())
            )
        };
        match input {
            Some(input) if same_file(path, input) => return Err(refuse("the input file", input)),
            Some(_) => {}
            None => {
                if let (Some(stdin), Ok(report)) = (stdin_identity(), std::fs::metadata(path)) {
                    if stdin == (report.dev(), report.ino()) {
                        return Err(refuse!(
                            Usage,
                            "--report {}: that is the file standard input reads, which the report would overwrite; choose another report file",
                            quote(&path.display().to_string())
                        ));
                    }
                }
            }
        }
        if let Some(journal) = journal {
            for suffix in ["", "-wal", "-shm"] {
                let mut name = journal.as_os_str().to_owned();
                name.push(suffix);
                let file = PathBuf::from(name);
                if same_file(path, &file) {
                    return Err(refuse("the journal file", &file));
                }
            }
        }
        Ok(())
    }

    pub fn create(path: &Path) -> Result<Report, Refusal> {
        let file = File::create(path)
            .map_err(|e| refuse!(Usage, "--report {}: cannot create it: {e}", path.display()))?;
        let writer = if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("jsonl"))
        {
            ReportWriter::Jsonl(BufWriter::new(file))
        } else {
            let mut writer = csv::Writer::from_writer(file);
            let header = writer
                .write_record(REPORT_COLUMNS.map(|(name, _)| name))
                .map_err(io::Error::from)
                .and_then(|()| writer.flush());
            if let Err(e) = header {
                return Err(ReportUnwritable {
                    path: quote(&path.display().to_string()),
                    reason: e.to_string(),
                }
                .into());
            }
            ReportWriter::Csv(Box::new(writer))
        };
        Ok(Report {
            path: path.to_path_buf(),
            writer,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write(&mut self, r: &NoticeResult) -> io::Result<()> {
        match &mut self.writer {
            ReportWriter::Jsonl(w) => {
                serde_json::to_writer(&mut *w, r)?;
                w.write_all(b"\n")?;
                w.flush()
            }
            ReportWriter::Csv(w) => {
                let cells = REPORT_COLUMNS.map(|(_, cell)| cell(r));
                let cells: Vec<_> = cells.iter().map(|c| inert_cell(c)).collect();
                w.write_record(cells.iter().map(|c| c.as_bytes()))?;
                w.flush()
            }
        }
    }
}

/// A spreadsheet reads a cell starting with one of these as a formula; a leading `'` makes it
/// text. The server's dealDesc is not ours to trust.
fn inert_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// Device and inode, for "is this the same file".
fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// What standard input reads, when it is a regular file (`< input.csv`).
fn stdin_identity() -> Option<(u64, u64)> {
    use std::os::fd::AsFd;
    let fd = io::stdin().as_fd().try_clone_to_owned().ok()?;
    let meta = File::from(fd).metadata().ok()?;
    meta.is_file().then(|| (meta.dev(), meta.ino()))
}

/// The same existing file, or (when one does not exist yet) the same name in the same
/// directory: a journal that does not exist yet is created before the report is.
fn same_file(a: &Path, b: &Path) -> bool {
    if let (Some(a), Some(b)) = (identity(a), identity(b)) {
        return a == b;
    }
    let spelled = |p: &Path| -> Option<PathBuf> {
        let name = p.file_name()?;
        let parent = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        Some(parent.canonicalize().ok()?.join(name))
    };
    match (spelled(a), spelled(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
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
        t.add(Outcome::Accepted);
        t.add(Outcome::Accepted);
        t.add(Outcome::Failed);
        assert_eq!(t.get(Outcome::Accepted), 2);
        assert_eq!(t.get(Outcome::Rejected), 0);
        assert_eq!(t.total(), 3);
    }
}
