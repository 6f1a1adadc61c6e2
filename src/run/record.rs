//! The run as the journal records it (`history runs`): started once the run is confirmed and
//! its journal open, before its first notice is claimed, so that every attempt names a run
//! the journal holds, and a run that only skipped is listed too; finished with its counts and
//! exit code when it ends. A run killed midway keeps no end: `history runs` says it is
//! unfinished.

use super::deliver::RunEnd;
use super::ReadyRun;
use crate::error::Refusal;
use crate::journal::{FinishRun, Journal, RunCounts, StartRun};
use crate::notice::Outcome;
use crate::output::Console;
use chrono::{DateTime, Utc};

impl ReadyRun {
    /// Records the run's start in its journal (a run without one records nothing) and says
    /// when it started. A journal that cannot take it refuses the run: nothing was sent.
    pub(super) async fn record_start(&self) -> Result<DateTime<Utc>, Refusal> {
        let started_at = crate::clock::now();
        let Some(journal) = &self.journal else {
            return Ok(started_at);
        };
        let start = StartRun {
            started_at,
            command: super::command_line::recorded(std::env::args_os()),
            input: self.input.clone(),
            env: self.destination.env.map(str::to_string),
            endpoint: self.plan.endpoint.clone(),
            production: self.destination.production,
            policy_source: self.plan.policy_source.clone(),
            notices: self.expected,
        };
        journal.run(start).await?;
        Ok(started_at)
    }
}

/// Records how the run ended. Its notices are in the journal whatever happens here: a failure
/// only leaves the run looking unfinished, and is said so.
pub(super) async fn finish(journal: &Journal, end: &RunEnd, console: &Console) {
    let tally = &end.tally;
    let finish = FinishRun {
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
        exit_code: end.exit_code(),
        error: end.error().map(str::to_string),
    };
    if let Err(e) = journal.run(finish).await {
        console.warn(&format!(
            "could not record the end of run {} in the journal ({e}); every notice's outcome \
             is recorded, but `avatar-cli history runs` will list the run as unfinished",
            journal.run_id()
        ));
    }
}
