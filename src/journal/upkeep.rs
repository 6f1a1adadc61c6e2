//! Looking after a journal kept for years, whatever the backend: what it holds ([`stats`]), a
//! consistent copy while runs write to it ([`backup`]), and dropping old bodies while keeping
//! every fact ([`prune_bodies`]). Each is one function here that hands the work to the
//! backend; a backend that cannot do one says what to use instead.

use super::{sqlite, JournalError, State};
use serde::Serialize;
use std::path::Path;

/// What a journal holds, for `journal stats`. Times are RFC 3339 in China Standard Time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// The backend, as a user would name it: "SQLite".
    pub backend: &'static str,
    pub schema_version: i64,
    pub notices: u64,
    pub attempts: u64,
    /// What the journal takes on disk (SQLite: the file and its write-ahead log).
    pub bytes: u64,
    /// Of that, the request and answer bodies as stored.
    pub body_bytes: u64,
    /// Attempts whose bodies `journal prune` dropped.
    pub pruned_attempts: u64,
    /// One per platform (endpoint) and channel, in that order.
    pub groups: Vec<Group>,
}

/// The notices of one platform and channel.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub endpoint: String,
    pub policy_source: String,
    pub notices: u64,
    pub attempts: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub failed: u64,
    pub in_doubt: u64,
    pub not_sent: u64,
    /// When its oldest and newest notice were first recorded.
    pub oldest: Option<String>,
    pub newest: Option<String>,
}

impl Group {
    /// Counts `n` notices in `state`.
    pub fn count(&mut self, state: State, n: u64) {
        let slot = match state {
            State::Accepted => &mut self.accepted,
            State::Rejected => &mut self.rejected,
            State::Failed => &mut self.failed,
            State::InDoubt => &mut self.in_doubt,
            State::NotSent => &mut self.not_sent,
        };
        *slot += n;
        self.notices += n;
    }
}

/// What a backup wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Backup {
    pub notices: u64,
    pub attempts: u64,
    pub bytes: u64,
}

/// What pruning freed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pruned {
    /// Attempts whose request or answer body was dropped.
    pub attempts: u64,
    /// Bodies dropped: a request and an answer count as two.
    pub bodies: u64,
    /// Their size as stored.
    pub bytes: u64,
}

/// What the journal at `path` holds; `None` when there is none yet.
pub fn stats(path: &Path) -> Result<Option<Stats>, JournalError> {
    sqlite::upkeep::stats(path)
}

/// Copies the journal at `path` to `to`, consistent as of one moment even while other runs
/// write to it; `to` appears complete or not at all, and replaces a file there only when
/// `replace`. `None` when there is no journal at `path`.
pub fn backup(path: &Path, to: &Path, replace: bool) -> Result<Option<Backup>, JournalError> {
    sqlite::upkeep::backup(path, to, replace)
}

/// Drops the request and answer bodies of the attempts started before `before` (UTC
/// milliseconds), keeping every other fact, and records when; `None` when there is no journal
/// at `path`. Runs may go on writing meanwhile.
pub fn prune_bodies(path: &Path, before: i64) -> Result<Option<Pruned>, JournalError> {
    sqlite::upkeep::prune_bodies(path, before)
}
