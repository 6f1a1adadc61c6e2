//! The run as the journal records it (`history runs`): written just before its first claim,
//! so that every attempt names a run the journal holds, and finished with its counts and exit
//! code when it ends. A run that claims nothing (every notice skipped as the first pass found
//! it) writes nothing until its end, and is recorded whole then: a re-run of a finished batch
//! stays one that reports its skips without a commit. A run killed midway keeps no end:
//! `history runs` says it is unfinished.

use super::ReadyRun;
use crate::journal::{FinishRun, Journal, RunCounts, RunDetails};
use crate::notice::{Outcome, Tally};
use crate::output::Console;
use chrono::{DateTime, Utc};

/// What the journal records of `ready`, which started at `started_at`; `None` without a
/// journal.
pub(super) fn details(ready: &ReadyRun, started_at: DateTime<Utc>) -> Option<RunDetails> {
    ready.journal.as_ref()?;
    Some(RunDetails {
        started_at,
        command: super::command_line::recorded(std::env::args_os()),
        input: ready.input.clone(),
        env: ready.destination.env.map(str::to_string),
        endpoint: ready.plan.endpoint.clone(),
        production: ready.destination.production,
        policy_source: ready.plan.policy_source.clone(),
        notices: ready.expected,
    })
}

/// How a run ended, as its journal records it besides the counts.
pub(super) struct Ending<'a> {
    pub interrupted: bool,
    pub exit_code: u8,
    /// Why the run failed as a whole (the journal, the output), if it did.
    pub error: Option<&'a str>,
}

/// Records how the run ended. Its notices are in the journal whatever happens here: a failure
/// only leaves the run looking unfinished (or unlisted), and is said so.
pub(super) async fn finish(
    journal: &Journal,
    run: RunDetails,
    tally: &Tally,
    end: Ending<'_>,
    console: &Console,
) {
    let finish = FinishRun {
        run,
        ended_at: crate::clock::now(),
        counts: RunCounts {
            accepted: tally.get(Outcome::Accepted),
            rejected: tally.get(Outcome::Rejected),
            failed: tally.get(Outcome::Failed),
            in_doubt: tally.get(Outcome::InDoubt),
            skipped: tally.get(Outcome::Skipped),
            not_sent: tally.get(Outcome::NotSent),
            rejected_earlier: tally.rejected_earlier(),
        },
        interrupted: end.interrupted,
        exit_code: end.exit_code,
        error: end.error.map(str::to_string),
    };
    if let Err(e) = journal.run(finish).await {
        console.warn(&format!(
            "could not record the end of run {} in the journal ({e}); every notice's outcome \
             is recorded, but `avatar-cli history runs` will not list the run as finished",
            journal.run_id()
        ));
    }
}
