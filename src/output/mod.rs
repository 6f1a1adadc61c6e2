//! Everything a user sees: the one [`Console`] every line goes through, a run's result lines
//! and summary, the `--report` file, tables that fit the terminal, and what counts as one.

mod console;
mod progress;
mod report;
mod results;
pub mod table;
pub mod terminal;
// The results workbook: `--report FILE.xlsx` and `history --output xlsx` are to write through it;
// until they do, only `validate --fix` uses a part of it.
#[allow(dead_code)]
pub mod workbook;

pub use console::Console;
pub use report::Report;
pub use results::SummaryContext;

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
