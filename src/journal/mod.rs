//! The journal: a record of every notice and every attempt, keyed by (endpoint, channel,
//! policy number). It is what makes a re-run safe (README, "Order numbers and the journal"):
//! accepted notices are skipped, in-doubt ones re-sent under the same orderNo, and two
//! processes sharing it never send the same notice at once. What to do with each notice is
//! decided in one place, [`rule::decide`], whatever the backend.
//!
//! This module is the seam: the types every backend shares, the write operations as data
//! ([`ops`]), the read side ([`read`]), and the two handles the rest of the program uses,
//! [`Journal`] (writes) and [`JournalReader`] (reads). A backend is one module behind it:
//! `sqlite/` keeps the journal in a SQLite file, `postgres/` in a PostgreSQL database; a
//! [`Location`] says which.

pub mod body;
mod copy;
mod location;
mod ops;
pub(crate) mod owner;
mod postgres;
mod read;
pub mod rule;
mod sqlite;
mod state;
mod threaded;
pub mod upkeep;

#[cfg(test)]
mod tests;

pub use crate::notice::AttemptEnd;
pub use copy::{Copied, CopyError};
pub use location::{Location, PgLocation};
pub use ops::{
    Answer, BeginAttempt, ClaimNotice, FinishAttempt, FinishNotice, FinishRun, Op, Operation,
    Release, RunDetails, StartRun, Withdraw,
};
pub use read::{
    AttemptRow, Health, HistoryFilter, Holder, JournalReader, Lookups, NoticeRow, RecordView,
    RunCounts, RunRow, RunState,
};
pub use state::State;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::oneshot;

/// How hard a commit insists on reaching the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JournalSync {
    /// Survives the process being killed.
    Normal,
    /// Survives power loss too, at a cost in speed.
    Full,
}

/// What identifies a notice: the resolved base URL, the channel code and the policy number.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NoticeKey {
    pub endpoint: String,
    pub policy_source: String,
    pub policy_no: String,
}

/// A first attempt built before the claim, to be recorded with it: the request's uuid,
/// reqTime and body, and the orderNo the body carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstAttempt {
    pub order_no: String,
    pub uuid: String,
    pub req_time: String,
    pub body: Vec<u8>,
}

/// The answer to [`Journal::claim_sending`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// This handle now holds the notice; send it under `order_no`, then `finish_notice` or
    /// `release` it.
    Claimed {
        notice_id: i64,
        order_no: String,
        /// A previous attempt has no outcome: this send repeats it under the same orderNo.
        in_doubt: bool,
        /// The notice's state before this claim; `None` when it was new.
        previous: Option<State>,
        /// Failed or rejected earlier with other content: each field that differs.
        correction: Option<Vec<String>>,
        /// The first attempt, recorded in the same transaction as the claim
        /// ([`Journal::claim_sending`]), when it was: its id.
        first_attempt: Option<i64>,
    },
    /// The platform holds (or may hold) other content for this notice; the message says
    /// which fields differ and what to do.
    ContentChanged { message: String },
    /// Rejected before and unchanged since (and neither `force` nor `retry_rejected`): skip
    /// it, saying what the platform answered and when.
    RejectedEarlier(rule::Rejection),
    /// Accepted before (and `force` was not given): skip it. The journal's orderNo and answer.
    AlreadyAccepted {
        order_no: String,
        deal_code: Option<String>,
        deal_desc: Option<String>,
    },
    /// Held by a live other process or handle; wait and claim again.
    Busy { owner: String },
    /// Already sent (at least one attempt) under another orderNo; sending it under `given`
    /// would send one notice under two orderNos.
    Conflict {
        journal_order_no: String,
        given: String,
    },
    /// A new notice with no given and no generated orderNo.
    NeedsOrderNo,
}

/// Every message says what the user can do about it.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(
        "the journal {} is locked by another program; wait until it finishes, or pass --journal <FILE> to use another journal",
        shown(path)
    )]
    Locked { path: PathBuf },
    #[error(
        "cannot write the journal {}: {reason}; make the file and its directory writable, or pass --journal <FILE> to use another journal",
        shown(path)
    )]
    Unwritable { path: PathBuf, reason: String },
    #[error(
        "the journal {} is {what}, not a regular file; pass --journal <FILE> naming a regular file (or one that does not exist yet)",
        shown(path)
    )]
    NotAFile { path: PathBuf, what: String },
    #[error(
        "the journal {} is on a network file system ({fs}), where SQLite's locks are not safe; keep the journal on a local disk (--journal <FILE>), or share one journal through PostgreSQL: --journal postgres://user@host/db",
        shown(path)
    )]
    NetworkFilesystem { path: PathBuf, fs: &'static str },
    #[error(
        "the disk holding the journal {} is full; free space, then run again (the journal resolves what was in flight)",
        shown(path)
    )]
    DiskFull { path: PathBuf },
    #[error(
        "the journal {} was not closed cleanly ({} beside it still has to be folded in), and that needs write access: run avatar-cli once where the file and its directory are writable, or copy both files elsewhere and read the copy",
        shown(path),
        shown(leftover)
    )]
    Unclean { path: PathBuf, leftover: PathBuf },
    #[error(
        "the journal {} is damaged or is not an avatar-cli journal ({reason}); move it aside (a new journal is then started, without the old records) or pass --journal <FILE>",
        shown(path)
    )]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "the journal {} was written by a newer avatar-cli (schema version {found}, this one knows up to {known}); upgrade avatar-cli or pass --journal <FILE>",
        shown(path)
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(
        "writing the journal {} failed: {reason}; check the disk, then run again (the journal resolves what was in flight)",
        shown(path)
    )]
    Write { path: PathBuf, reason: String },
    #[error(
        "the PostgreSQL journal {location} cannot be used: {reason}; check that the server runs and lets this user in (the password comes from the URL, PGPASSFILE or ~/.pgpass) and that the database exists, or pass --journal <FILE>"
    )]
    Postgres { location: String, reason: String },
    /// The backend failed in a way none of the above names.
    #[error("journal: {0}")]
    Store(String),
    #[error("the journal was closed")]
    Closed,
    /// A bug in the caller, or a claim taken over as stale: refusing to record a send for it.
    #[error("notice {notice_id} is not claimed by this run, so it must not be sent now")]
    NotClaimed { notice_id: i64 },
    #[error("the journal has no {what} with id {id}")]
    NotFound { what: &'static str, id: i64 },
}

impl From<JournalError> for crate::error::Refusal {
    fn from(e: JournalError) -> Self {
        crate::error::Refusal::Journal(e.to_string())
    }
}

impl JournalError {
    /// A lookup that failed in a journal that could be opened, as the refusal it is.
    pub fn reading(self) -> crate::error::Refusal {
        crate::error::Refusal::JournalRead(self.to_string())
    }
}

/// A path in a message: one line, whatever its name holds.
fn shown(path: &Path) -> String {
    crate::text::escape_controls(&path.to_string_lossy()).into_owned()
}

/// What a backend's write side does: runs operations, each answered once committed.
pub(crate) trait Backend: Send + Sync {
    /// Queues `op`; its answer comes on the receiver once it is committed (or failed).
    fn submit(&self, op: Op) -> oneshot::Receiver<Result<Answer, JournalError>>;
    /// The id this handle's claims carry: this run's.
    fn run_id(&self) -> &str;
    /// Stops taking operations, releases the claims still held, and says how that went.
    fn shut_down(&self) -> Result<(), JournalError>;
}

/// The write side of the journal. Cheap to clone; the backend stops (releasing this handle's
/// claims) when the last clone is dropped.
#[derive(Clone)]
pub struct Journal {
    backend: Arc<dyn Backend>,
}

impl Journal {
    /// Opens the journal at `at`, checking that it can be written before anything is sent: a
    /// file is created (mode 0600, and its directories), a database given its tables. `sync`
    /// is the file's; a database's commits are as durable as its server makes them.
    pub fn open(at: &Location, sync: JournalSync) -> Result<Journal, JournalError> {
        let backend: Arc<dyn Backend> = match at {
            Location::File(path) => Arc::new(sqlite::open_write(path, sync)?),
            Location::Postgres(pg) => Arc::new(postgres::open_write(pg)?),
        };
        Ok(Journal { backend })
    }

    /// The id of this run, as the journal records it with every claim.
    pub fn run_id(&self) -> &str {
        self.backend.run_id()
    }

    /// A run id for a run without a journal: the same shape as a journal's.
    pub fn new_run_id() -> String {
        std::iter::repeat_with(fastrand::alphanumeric)
            .take(12)
            .collect()
    }

    /// Runs one write operation and answers it once it is committed.
    pub async fn run<O: Operation>(&self, op: O) -> Result<O::Answer, JournalError> {
        let answer = self.backend.submit(op.into());
        let answer = answer.await.map_err(|_| JournalError::Closed)??;
        O::take(answer).ok_or(JournalError::Closed)
    }
}

impl JournalReader {
    /// Read-only; `None` when there is no journal at `at` (no file, an empty one, a database
    /// without the journal's tables). Never creates the journal or changes a record.
    pub fn open_existing(at: &Location) -> Result<Option<JournalReader>, JournalError> {
        Ok(match at {
            Location::File(path) => sqlite::open_read(path)?.map(|r| JournalReader(Box::new(r))),
            Location::Postgres(pg) => postgres::open_read(pg)?.map(|r| JournalReader(Box::new(r))),
        })
    }
}

/// The journal's health, read-only; `None` when there is no journal at `at` yet.
pub fn health(at: &Location) -> Result<Option<Health>, JournalError> {
    JournalReader::open_existing(at)?
        .map(|r| r.health())
        .transpose()
}

/// Every file the journal at `at` is kept in (the backend's side files too), so that nothing
/// else is ever written over one of them; none for a database.
pub fn files(at: &Location) -> Vec<PathBuf> {
    match at {
        Location::File(path) => sqlite::files(path),
        Location::Postgres(_) => Vec::new(),
    }
}

/// Settings the backends take once per process, before any journal is opened.
pub fn prepare_process() {
    sqlite::prepare_process();
}

/// Copies everything `from` holds into `to` (created if need be). Runs on the calling
/// thread, which must not drive async tasks: the PostgreSQL client blocks.
pub fn copy(from: &Location, to: &Location) -> Result<Copied, CopyError> {
    if from == to {
        return Err(CopyError::Same {
            from: from.to_string(),
            to: to.to_string(),
        });
    }
    let dump = match from {
        Location::File(path) => sqlite::dump::read(path)?,
        Location::Postgres(pg) => postgres::dump::read(pg)?,
    };
    let Some(dump) = dump else {
        return Err(CopyError::NoSource(from.to_string()));
    };
    let written = match to {
        Location::File(path) => sqlite::dump::write(path, &dump)?,
        Location::Postgres(pg) => postgres::dump::write(pg, &dump)?,
    };
    written.map_err(|(differ, more)| CopyError::Differs {
        from: from.to_string(),
        to: to.to_string(),
        differ,
        more,
    })
}
