//! The state of a notice as a journal records it, whatever the backend.

use serde::Serialize;

/// The state of a notice as the journal knows it, across runs. Not to be confused with a run's
/// [`crate::notice::Outcome`] for one notice: a skip is an outcome, never a recorded state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum State {
    Accepted,
    Rejected,
    Failed,
    /// The request may or may not have reached the platform: the last attempt has no end
    /// (killed mid-request), or attempts ended without a readable answer after one that may
    /// have arrived (stored as `inDoubt`).
    InDoubt,
    /// Recorded (with its orderNo) but never sent.
    NotSent,
}

impl State {
    pub const ALL: [State; 5] = [
        State::Accepted,
        State::Rejected,
        State::Failed,
        State::InDoubt,
        State::NotSent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Accepted => "accepted",
            State::Rejected => "rejected",
            State::Failed => "failed",
            State::InDoubt => "inDoubt",
            State::NotSent => "notSent",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s))
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state of a notice from its stored columns. A notice whose last attempt has no
/// `finished_at` is in doubt (a live holder is reported as Busy before this is asked), as is
/// one stored as `inDoubt` (an attempt that may have reached the platform ended without a
/// readable answer); one that was sent but never given a final state counts as failed.
pub(crate) fn derive_state(stored: Option<&str>, attempts: i64, last_open: bool) -> State {
    if last_open {
        return State::InDoubt;
    }
    match stored.and_then(State::parse) {
        Some(state) => state,
        None if attempts > 0 => State::Failed,
        None => State::NotSent,
    }
}

/// The same rule in SQL (SQLite's and PostgreSQL's), for filtering; `n` is the notice, `la` its last attempt.
pub(crate) const STATE_SQL: &str = "CASE
    WHEN la.id IS NOT NULL AND la.finished_at IS NULL THEN 'inDoubt'
    WHEN n.state IS NOT NULL THEN n.state
    WHEN n.attempts > 0 THEN 'failed'
    ELSE 'notSent' END";
