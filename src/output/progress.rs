//! The progress bar of a run: how many of the notices to send have been sent, at what rate,
//! and how long the rest will take.
//!
//! It counts notices sent, not rows: a resumed run skips thousands of rows accepted earlier
//! in a moment, and counting them would make the rate and the time left fiction (a bar that
//! said `99.1511/s eta 28s` with four minutes to go). The rate is the run's average since
//! the bar started, which a rate limit or a steady platform makes exact.

use super::terminal;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::time::Duration;

/// A run's bar, and what it needs to keep its length true.
pub(super) struct Progress {
    bar: ProgressBar,
    /// Valid rows in the run, and how many of them the first pass found need no sending.
    rows: u64,
    planned_unsent: u64,
    /// Results so far that sent nothing (skipped, not sent).
    unsent: u64,
}

impl Progress {
    /// A bar over `to_send` of `rows` notices, on stderr.
    pub fn start(rows: u64, to_send: u64, color: bool) -> Progress {
        let target = ProgressDrawTarget::term_like(Box::new(terminal::Stderr::new()));
        let bar = ProgressBar::with_draw_target(Some(to_send), target);
        let template = if color {
            "{bar:40.cyan/blue} {pos}/{len} sent  {rate}  eta {left}"
        } else {
            "{bar:40} {pos}/{len} sent  {rate}  eta {left}"
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key(
                "rate",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.1}/s", rate(state.pos(), state.elapsed()));
                },
            )
            .with_key(
                "left",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let left = state.len().unwrap_or(0).saturating_sub(state.pos());
                    let _ = w.write_str(&time_left(left, state.pos(), state.elapsed()));
                },
            );
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress {
            bar,
            rows,
            planned_unsent: rows.saturating_sub(to_send),
            unsent: 0,
        }
    }

    /// One more result: a notice sent moves the bar; one that was planned to be sent but was
    /// not (skipped after all, or not sent at a stop) shortens it.
    pub fn advance(&mut self, sent: bool) {
        if sent {
            self.bar.inc(1);
            if self
                .bar
                .length()
                .is_some_and(|len| self.bar.position() > len)
            {
                // A row the first pass found settled was sent after all.
                self.bar.set_length(self.bar.position());
            }
            return;
        }
        self.unsent += 1;
        if self.unsent > self.planned_unsent {
            let len = self
                .rows
                .saturating_sub(self.unsent)
                .max(self.bar.position());
            self.bar.set_length(len);
        }
    }

    pub fn bar(&self) -> &ProgressBar {
        &self.bar
    }
}

/// Notices sent per second, from `sent` in `elapsed`.
fn rate(sent: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        sent as f64 / secs
    } else {
        0.0
    }
}

/// The time `left` notices take at the rate so far: `4m 05s`, `28s`; `-` before the first.
fn time_left(left: u64, sent: u64, elapsed: Duration) -> String {
    let rate = rate(sent, elapsed);
    if sent == 0 || rate <= 0.0 {
        return "-".into();
    }
    let secs = (left as f64 / rate).ceil() as u64;
    match (secs / 3600, secs / 60 % 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s:02}s"),
        (h, m, _) => format!("{h}h {m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_has_one_decimal_and_counts_what_was_sent() {
        assert_eq!(format!("{:.1}", rate(400, Duration::from_secs(4))), "100.0");
        assert_eq!(rate(0, Duration::ZERO), 0.0);
    }

    #[test]
    fn time_left_is_the_rest_at_the_rate_so_far() {
        // 100 sent in 4 s: 25/s; 6,000 left take 240 s.
        assert_eq!(time_left(6000, 100, Duration::from_secs(4)), "4m 00s");
        assert_eq!(time_left(50, 100, Duration::from_secs(4)), "2s");
        assert_eq!(time_left(100_000, 100, Duration::from_secs(4)), "1h 06m");
        assert_eq!(time_left(10, 0, Duration::from_secs(4)), "-");
    }

    #[test]
    fn skips_the_first_pass_foresaw_leave_the_length_alone_and_others_shorten_it() {
        let mut p = Progress {
            bar: ProgressBar::hidden(),
            rows: 10,
            planned_unsent: 6,
            unsent: 0,
        };
        p.bar.set_length(4);
        for _ in 0..6 {
            p.advance(false);
        }
        assert_eq!(p.bar.length(), Some(4));
        p.advance(true);
        p.advance(false);
        assert_eq!((p.bar.position(), p.bar.length()), (1, Some(3)));
        p.advance(true);
        p.advance(true);
        assert_eq!((p.bar.position(), p.bar.length()), (3, Some(3)));
    }
}
