//! A run's results as a person or a script reads them: one line (or JSON object) per notice,
//! and the summary at the end.

use super::Console;
use crate::cli::OutputFormat;
use crate::notice::{NoticeResult, Outcome, SkipReason, Tally};
use crate::text::{escape_controls, pad};
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
    /// Chinese characters: lines stream out, so later widths cannot be known in advance.
    pub(super) const START: Widths = Widths {
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
        self.advance();
        match self.format() {
            OutputFormat::Json => self.out(&result_json(result)),
            OutputFormat::Text | OutputFormat::Csv | OutputFormat::Jsonl
                if self.lists_result(result) =>
            {
                self.out(&self.text_line(result));
            }
            OutputFormat::Text | OutputFormat::Csv | OutputFormat::Jsonl => {}
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
                    "{why}: {not_sent} notice(s) not sent; run the same command again to resume \
                     (what was accepted is skipped, what was in flight is resent under the same orderNo)"
                )
            } else {
                format!(
                    "{why}: {not_sent} notice(s) not sent; without a journal, running the same \
                     command again sends every notice again"
                )
            });
        }
    }
}
