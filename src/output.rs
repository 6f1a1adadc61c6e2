//! Everything a user sees: result lines on stdout, and on stderr the warnings, progress bar,
//! summary and `-v` bodies. Colour is decided per stream here, not by `colored`'s stdout test.

use crate::cli::{ColorChoice, OutputFormat};
use crate::config::Settings;
use crate::notice::{NoticeResult, Outcome};
use colored::Colorize;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
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
        }
    }

    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// One line on stdout: a result, a problem, an envelope or a history row.
    pub fn out(&self, line: &str) {
        let mut out = self.stdout.lock().unwrap_or_else(|e| e.into_inner());
        // A closed pipe (`| head`) is not an error worth a message; the run goes on and the
        // journal still records everything.
        let _ = writeln!(out, "{line}");
    }

    fn err_line(&self, line: &str) {
        let progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        match progress.as_ref() {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// Informational line on stderr; silenced by `-q`.
    pub fn note(&self, message: &str) {
        if !self.quiet {
            self.err_line(message);
        }
    }

    pub fn warn(&self, message: &str) {
        if !self.quiet {
            let label = if self.color_err {
                "warning:".yellow().bold().to_string()
            } else {
                "warning:".into()
            };
            self.err_line(&format!("{label} {message}"));
        }
    }

    /// Errors are shown even with `-q`.
    pub fn error(&self, message: &str) {
        let label = if self.color_err {
            "error:".red().bold().to_string()
        } else {
            "error:".into()
        };
        self.err_line(&format!("{label} {message}"));
    }

    /// Where `-v` bodies go, or `None` without `-v`.
    pub fn verbose_sink(self: &Arc<Self>) -> Option<crate::client::VerboseSink> {
        self.verbose.then(|| {
            let console = Arc::clone(self);
            Arc::new(move |text: String| console.err_line(&text)) as crate::client::VerboseSink
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

    /// A notice's result: its line on stdout, its warnings on stderr.
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
            OutputFormat::Text => self.out(&self.text_line(result)),
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
pub enum Report {
    Csv(Box<csv::Writer<File>>),
    Jsonl(BufWriter<File>),
}

const REPORT_COLUMNS: [&str; 11] = [
    "line",
    "policyNo",
    "orderNo",
    "outcome",
    "dealCode",
    "dealDesc",
    "httpStatus",
    "attempts",
    "uuid",
    "elapsedMs",
    "error",
];

impl Report {
    pub fn create(path: &Path) -> anyhow::Result<Report> {
        let file = File::create(path).map_err(|e| {
            crate::user_error!("--report {}: cannot create it: {e}", path.display())
        })?;
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("jsonl"))
        {
            return Ok(Report::Jsonl(BufWriter::new(file)));
        }
        let mut writer = csv::Writer::from_writer(file);
        writer.write_record(REPORT_COLUMNS)?;
        writer.flush()?;
        Ok(Report::Csv(Box::new(writer)))
    }

    pub fn write(&mut self, r: &NoticeResult) -> io::Result<()> {
        match self {
            Report::Jsonl(w) => {
                serde_json::to_writer(&mut *w, r)?;
                w.write_all(b"\n")?;
                w.flush()
            }
            Report::Csv(w) => {
                let opt = |v: Option<String>| v.unwrap_or_default();
                w.write_record([
                    opt(r.line.map(|l| l.to_string())),
                    r.policy_no.clone(),
                    opt(r.order_no.clone()),
                    r.outcome.as_str().to_string(),
                    opt(r.deal_code.clone()),
                    opt(r.deal_desc.clone()),
                    opt(r.http_status.map(|s| s.to_string())),
                    r.attempts.to_string(),
                    opt(r.uuid.clone()),
                    r.elapsed_ms.to_string(),
                    opt(r.error.clone()),
                ])?;
                w.flush()
            }
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
        t.add(Outcome::Accepted);
        t.add(Outcome::Accepted);
        t.add(Outcome::Failed);
        assert_eq!(t.get(Outcome::Accepted), 2);
        assert_eq!(t.get(Outcome::Rejected), 0);
        assert_eq!(t.total(), 3);
    }
}
