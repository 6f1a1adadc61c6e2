//! Everything a user sees: the one [`Console`] every line goes through, a run's result lines
//! and summary, the `--report` file, tables that fit the terminal, and what counts as one.

mod console;
mod progress;
mod rejects;
mod report;
mod results;
pub mod table;
pub mod terminal;
pub mod workbook;

pub use console::Console;
pub use rejects::Rejects;
pub use report::{check_target, Lang, Platform, Report, ReportSetup, RunSummary};
pub use results::{SummaryContext, SUMMARY_WIDTH};

#[cfg(test)]
mod tests {

    use super::console::use_color;
    use crate::cli::ColorChoice;
    use crate::notice::{NoticeResult, Outcome, SkipReason, Tally};

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
