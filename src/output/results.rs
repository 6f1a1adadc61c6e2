//! A run's results as a person or a script reads them: one line (or JSON object) per notice,
//! and the summary at the end.

use super::table::cut;
use super::Console;
use crate::cli::OutputFormat;
use crate::notice::{NoticeResult, Outcome, SkipReason, Tally};
use crate::text::{escape_controls, fit_parts, pad, Part};
use colored::Colorize;
use std::time::Duration;

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

/// Display widths (terminal cells) of the result line's columns.
#[derive(Debug, Clone, Copy)]
pub(super) struct Widths {
    policy: usize,
    order: usize,
    what: usize,
}

impl Widths {
    /// Room for the usual policy number, a generated orderNo and a dealDesc of up to eleven
    /// Chinese characters, until the first pass says how wide the columns are.
    pub(super) const START: Widths = Widths {
        policy: 11,
        order: 23,
        what: 24,
    };
    /// A long error message is not padded to: the lines after it would be mostly blanks.
    const WHAT_MAX: usize = 32;
    /// The free text's column on a wide terminal: room for an error's gist, not a paragraph.
    const WHAT_ON_TERMINAL: usize = 48;
    /// On a terminal the free text keeps at least this much room, however narrow it is.
    const WHAT_MIN: usize = 12;
    /// The outcome column, and the time column's usual `12345 ms`.
    const OUTCOME: usize = 8;
    const TIME: usize = 8;

    /// The free text's room on a line of `line` cells, after the other columns and the gaps.
    fn what_room(&self, line: usize) -> usize {
        let others = Self::OUTCOME + self.policy + self.order + Self::TIME + 4 * 2;
        line.saturating_sub(others).max(Self::WHAT_MIN)
    }
}
/// What the end-of-run summary says besides the counts.
pub struct SummaryContext<'a> {
    /// Where the notices went: `test (porsche-avatar.chinahuanong.com.cn)`.
    pub destination: &'a str,
    pub interrupted: bool,
    /// Whether a journal recorded the run, so that running again resumes it.
    pub journaled: bool,
    /// `--skip-invalid`: the rows set aside and the rejects they are in.
    pub set_aside: Option<(u64, &'a std::path::Path)>,
}

impl Console {
    /// The first pass's widest policy number and orderNo, in cells: the result columns are
    /// that wide from the first line, so that they do not shift as the run goes.
    pub fn expect_columns(&self, policy: usize, order: usize) {
        let mut w = self.widths.lock().unwrap_or_else(|e| e.into_inner());
        w.policy = w.policy.max(policy);
        w.order = w.order.max(order);
    }

    /// Whether a result of this outcome gets its own line. On a terminal, in text, the rows
    /// that were not sent at all (skipped, notSent) are only counted in the summary: a re-run
    /// of 400 rows would otherwise bury the 11 that mattered. `-v` lists them; JSON and a
    /// piped stdout keep one line per notice for scripts.
    fn lists(&self, outcome: Outcome) -> bool {
        let quiet_kind = matches!(outcome, Outcome::Skipped | Outcome::NotSent);
        !(quiet_kind
            && self.format() == OutputFormat::Text
            && self.out.is_terminal
            && !self.verbose())
    }

    /// Whether this result gets its own line: a skip of a rejection does, even on a
    /// terminal, since it keeps the run from succeeding.
    fn lists_result(&self, result: &NoticeResult) -> bool {
        self.lists(result.outcome) || result.skip_reason == Some(SkipReason::RejectedEarlier)
    }

    /// A notice's result: its line on stdout, its warnings on stderr. Whether stdout took it
    /// is then in [`Console::stdout_failure`].
    pub fn result(&self, result: &NoticeResult) {
        self.advance(!matches!(
            result.outcome,
            Outcome::Skipped | Outcome::NotSent
        ));
        match self.format() {
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
        let mut what = escape_controls(what.trim_end()).into_owned();
        let widths = {
            let mut w = self.widths.lock().unwrap_or_else(|e| e.into_inner());
            w.policy = w.policy.max(crate::text::width(&policy));
            w.order = w.order.max(crate::text::width(&order));
            // On a terminal the free text has a column of its own width from the first line,
            // the room the line leaves it (at most WHAT_ON_TERMINAL), and is cut to it: the
            // whole text is in --json and the report. In a file it is whole, padded to at most
            // WHAT_MAX.
            match self.out.width {
                Some(line) => {
                    w.what = w.what_room(line).min(Widths::WHAT_ON_TERMINAL);
                    what = cut(&what, w.what);
                }
                None => w.what = w.what.max(crate::text::width(&what).min(Widths::WHAT_MAX)),
            }
            *w
        };
        let line = format!(
            "{}  {}  {}  {}  {time}",
            pad(r.outcome.as_str(), 8),
            pad(&policy, widths.policy),
            pad(&order, widths.order),
            pad(&what, widths.what),
        );
        if !self.out.color {
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
        for line in summary_lines(tally, elapsed, context.destination) {
            self.note(&line);
        }
        if let Some((rows, file)) = context.set_aside.filter(|(rows, _)| *rows > 0) {
            self.note(&format!(
                "{rows} invalid row(s) set aside, not sent, in {}",
                crate::text::quote(&file.display().to_string())
            ));
            self.note("(fix them there, then run batch on that file)");
        }
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
            // Two lines, each within SUMMARY_WIDTH.
            let (first, second) = if context.journaled {
                (
                    "; run the same command again to resume",
                    "(what was accepted is skipped; what was in flight goes again, same orderNo)",
                )
            } else {
                (
                    "",
                    "without a journal, running the same command again sends every notice again",
                )
            };
            self.note(&format!("{why}: {not_sent} notice(s) not sent{first}"));
            self.note(second);
        }
    }
}

/// A summary line fits this many cells, as a terminal's default width does.
pub const SUMMARY_WIDTH: usize = 80;

/// `5 notices: 3 accepted, 2 skipped in 0.04 s (75.0 sent/s); to test (…)`: the counts that
/// are not zero, the time and the rate of the notices sent, and where they went, on as many
/// lines of [`SUMMARY_WIDTH`] as it takes (each part whole on one).
fn summary_lines(tally: &Tally, elapsed: Duration, destination: &str) -> Vec<String> {
    let secs = elapsed.as_secs_f64();
    let sent = tally.total() - tally.get(Outcome::Skipped) - tally.get(Outcome::NotSent);
    let rate = if secs > 0.0 { sent as f64 / secs } else { 0.0 };
    let counts: Vec<String> = Outcome::ALL
        .iter()
        .filter(|o| tally.get(**o) > 0)
        .map(|o| format!("{} {}", tally.get(*o), o.as_str()))
        .collect();
    let total = tally.total();
    let noun = if total == 1 { "notice" } else { "notices" };
    let mut parts = vec![Part::first(format!(
        "{total} {noun}{}",
        if counts.is_empty() { "" } else { ":" }
    ))];
    for (i, count) in counts.into_iter().enumerate() {
        let same_line = if i == 0 { " " } else { ", " };
        parts.push(Part {
            same_line,
            at_end: same_line.trim_end(),
            text: count,
        });
    }
    parts.push(Part {
        same_line: " ",
        at_end: "",
        // A run that sent nothing has no rate to speak of.
        text: if sent == 0 {
            format!("in {secs:.2} s")
        } else {
            format!("in {secs:.2} s ({rate:.1} sent/s)")
        },
    });
    parts.push(Part {
        same_line: "; ",
        at_end: "",
        text: format!("to {destination}"),
    });
    fit_parts(parts, SUMMARY_WIDTH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notice::{Notice, NoticeResult};

    fn tally(counts: &[(Outcome, usize)]) -> Tally {
        let notice = Notice {
            line: None,
            policy_no: "P".into(),
            order_no: None,
            details: Default::default(),
            platform: None,
            raw: None,
        };
        let mut t = Tally::default();
        for (outcome, n) in counts {
            for _ in 0..*n {
                t.add(&NoticeResult::new(&notice, *outcome));
            }
        }
        t
    }

    #[test]
    fn a_short_summary_is_one_line_of_the_counts_that_are_not_zero() {
        let t = tally(&[(Outcome::Accepted, 3), (Outcome::Skipped, 2)]);
        let lines = summary_lines(&t, Duration::from_millis(40), "test (10.0.0.1)");
        assert_eq!(
            lines,
            ["5 notices: 3 accepted, 2 skipped in 0.04 s (75.0 sent/s); to test (10.0.0.1)"]
        );
        // Where the destination does not fit, it has the next line.
        let lines = summary_lines(
            &t,
            Duration::from_millis(40),
            "the built-in sandbox (127.0.0.1:1)",
        );
        assert_eq!(
            lines,
            [
                "5 notices: 3 accepted, 2 skipped in 0.04 s (75.0 sent/s)",
                "to the built-in sandbox (127.0.0.1:1)"
            ]
        );
    }

    #[test]
    fn every_line_of_a_long_summary_fits_eighty_columns() {
        let t = tally(&[
            (Outcome::Accepted, 9990),
            (Outcome::Rejected, 2),
            (Outcome::Failed, 2),
            (Outcome::InDoubt, 2),
            (Outcome::Skipped, 2),
            (Outcome::NotSent, 2),
        ]);
        let destination = "PRODUCTION (porsche-avatar.chinahuanong.com.cn, from AVATAR_BASE_URL)";
        let lines = summary_lines(&t, Duration::from_secs(1234), destination);
        assert_eq!(
            lines,
            [
                "10000 notices: 9990 accepted, 2 rejected, 2 failed, 2 inDoubt, 2 skipped,",
                "2 notSent in 1234.00 s (8.1 sent/s)",
                &format!("to {destination}"),
            ]
        );
        for line in &lines {
            assert!(crate::text::width(line) <= SUMMARY_WIDTH, "{line}");
        }
    }

    #[test]
    fn one_notice_is_not_notices() {
        let t = tally(&[(Outcome::Accepted, 1)]);
        let lines = summary_lines(&t, Duration::from_millis(10), "x");
        assert_eq!(
            lines,
            ["1 notice: 1 accepted in 0.01 s (100.0 sent/s); to x"]
        );
    }

    #[test]
    fn a_run_that_sent_nothing_gives_no_rate() {
        let t = tally(&[(Outcome::Skipped, 3)]);
        let lines = summary_lines(&t, Duration::from_millis(10), "x");
        assert_eq!(lines, ["3 notices: 3 skipped in 0.01 s; to x"]);
    }
}
