//! The journal: a SQLite file that records every notice and every attempt, keyed by
//! (endpoint, policy source, policy number). It is what makes a re-run safe (README, "Order
//! numbers and the journal"): accepted notices are skipped, in-doubt ones are re-sent under the
//! same orderNo, and two processes sharing the file never send the same notice at once. What
//! to do with each notice is decided in one place, [`rule::decide`].
//!
//! Writes go through ONE writer thread that owns the write connection and commits whatever ops
//! are queued in one transaction (group commit), so the journal keeps up with a batch of many
//! thousand notices per second. Reads use their own connections ([`JournalReader`]).

mod claim;
mod health;
mod history;
mod migrate;
mod owner;
pub mod rule;
mod schema;
mod writer;

#[cfg(test)]
mod tests;

pub use health::health;
#[cfg(test)]
pub use history::Recorded;
pub use history::{AttemptRow, HistoryFilter, JournalReader, Lookups, NoticeRow, RecordView};
pub use schema::skip_memory_statistics;

use crate::notice::Outcome;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use tokio::sync::oneshot;
use writer::Op;

/// How hard a commit insists on reaching the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JournalSync {
    /// WAL + `synchronous=NORMAL`: survives the process being killed.
    Normal,
    /// WAL + `synchronous=FULL`: survives power loss too, at a cost in speed.
    Full,
}

/// What identifies a notice: the resolved base URL, the channel code and the policy number.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NoticeKey {
    pub endpoint: String,
    pub policy_source: String,
    pub policy_no: String,
}

/// The state of a notice as the journal knows it, across runs. Not to be confused with a run's
/// [`Outcome`] for one notice: a skip is an outcome, never a recorded state.
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

pub use crate::notice::AttemptEnd;

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
    #[error("journal: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the journal was closed")]
    Closed,
    /// A bug in the caller, or a claim taken over as stale: refusing to record a send for it.
    #[error("notice {notice_id} is not claimed by this run, so it must not be sent now")]
    NotClaimed { notice_id: i64 },
    #[error("the journal has no {what} with id {id}")]
    NotFound { what: &'static str, id: i64 },
}

/// A path in a message: one line, whatever its name holds.
fn shown(path: &Path) -> String {
    crate::text::escape_controls(&path.to_string_lossy()).into_owned()
}

/// The write side of the journal. Cheap to clone; the writer thread stops (releasing this
/// handle's claims) when the last clone is dropped or [`Journal::close`]d.
#[derive(Clone)]
pub struct Journal {
    inner: Arc<Inner>,
}

struct Inner {
    // An Option only so that Drop can hang up before joining the writer.
    tx: Option<mpsc::Sender<Op>>,
    thread: Option<writer::WriterThread>,
    path: PathBuf,
    /// The run id this handle's claims carry.
    run: String,
    #[cfg(test)]
    owner: String,
}

impl Inner {
    fn shutdown(&mut self) -> Result<(), JournalError> {
        drop(self.tx.take());
        match self.thread.take() {
            Some(handle) => handle.join().unwrap_or_else(|_| {
                Err(JournalError::Write {
                    path: self.path.clone(),
                    reason: "the journal writer panicked".into(),
                })
            }),
            None => Ok(()),
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

impl Journal {
    /// Opens (creating it, mode 0600, and its directories) the journal at `path`, checking
    /// that it can be written before anything is sent.
    pub fn open(path: &Path, sync: JournalSync) -> Result<Journal, JournalError> {
        Self::open_with(path, sync, schema::BUSY_TIMEOUT)
    }

    fn open_with(
        path: &Path,
        sync: JournalSync,
        busy_timeout: std::time::Duration,
    ) -> Result<Journal, JournalError> {
        let conn = schema::open_write(path, sync, busy_timeout)?;
        let owner = owner::Owner::new_run();
        let run = owner.run.clone();
        #[cfg(test)]
        let description = owner.describe();
        let (tx, thread) = writer::spawn(conn, path.to_path_buf(), owner)?;
        Ok(Journal {
            inner: Arc::new(Inner {
                tx: Some(tx),
                thread: Some(thread),
                path: path.to_path_buf(),
                run,
                #[cfg(test)]
                owner: description,
            }),
        })
    }

    /// The id of this run, as the journal records it with every claim.
    pub fn run_id(&self) -> &str {
        &self.inner.run
    }

    /// A run id for a run without a journal: the same shape as the journal's.
    pub fn new_run_id() -> String {
        owner::fresh_run_id()
    }

    /// Who this handle's claims name as their owner (host, pid, run id).
    #[cfg(test)]
    pub fn owner(&self) -> &str {
        &self.inner.owner
    }

    /// Stops the writer once this is the last clone, releasing the claims it still holds.
    #[cfg(test)]
    pub fn close(self) -> Result<(), JournalError> {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => inner.shutdown(),
            Err(_) => Ok(()),
        }
    }

    async fn call<T>(
        &self,
        op: impl FnOnce(oneshot::Sender<Result<T, JournalError>>) -> Op,
    ) -> Result<T, JournalError> {
        let (reply, answer) = oneshot::channel();
        let tx = self.inner.tx.as_ref().ok_or(JournalError::Closed)?;
        tx.send(op(reply)).map_err(|_| JournalError::Closed)?;
        answer.await.map_err(|_| JournalError::Closed)?
    }

    /// [`Journal::claim_sending`] without a first attempt.
    #[cfg(test)]
    pub async fn claim(
        &self,
        key: NoticeKey,
        given: Option<String>,
        generated: Option<String>,
        force: bool,
        content: Option<rule::Content>,
    ) -> Result<Claim, JournalError> {
        let resend = rule::Resend {
            force,
            retry_rejected: false,
        };
        self.claim_sending(key, given, generated, resend, content, None)
            .await
    }

    /// Chooses the orderNo: `given` > the journal's > `generated`; writes it (with user, host,
    /// time) and the claim before returning. With `first`, for a notice new to the journal
    /// whose orderNo is the one `first` carries, its first attempt too, in the same
    /// transaction: one commit to wait for before the request leaves instead of two. Otherwise `first` is not recorded,
    /// and the caller begins its attempt as usual. An attempt recorded this way and then not
    /// sent (the run stopped first) is taken back with [`Journal::withdraw`].
    pub async fn claim_sending(
        &self,
        key: NoticeKey,
        given: Option<String>,
        generated: Option<String>,
        resend: rule::Resend,
        content: Option<rule::Content>,
        first: Option<FirstAttempt>,
    ) -> Result<Claim, JournalError> {
        self.call(|reply| Op::Claim {
            key,
            given,
            generated,
            resend,
            content,
            first,
            reply,
        })
        .await
    }

    /// Takes back a notice [`Journal::claim_sending`] created with its first attempt, when
    /// that attempt was never sent: both rows go, as if the notice had never been claimed.
    pub async fn withdraw(&self, notice_id: i64, attempt_id: i64) -> Result<(), JournalError> {
        self.call(|reply| Op::Withdraw {
            notice_id,
            attempt_id,
            reply,
        })
        .await
    }

    /// Records an attempt (committed) before its request leaves, with its body exactly as
    /// sent and the notice's content; returns the attempt id.
    pub async fn begin_attempt(
        &self,
        notice_id: i64,
        uuid: String,
        req_time: String,
        request: Vec<u8>,
        content: Option<rule::Content>,
    ) -> Result<i64, JournalError> {
        self.call(|reply| Op::Begin {
            notice_id,
            uuid,
            req_time,
            request,
            content,
            reply,
        })
        .await
    }

    /// Records how an attempt ended (for an attempt that is retried).
    pub async fn finish_attempt(
        &self,
        attempt_id: i64,
        end: AttemptEnd,
    ) -> Result<(), JournalError> {
        self.call(|reply| Op::FinishAttempt {
            attempt_id,
            end,
            reply,
        })
        .await
    }

    /// Final state of the notice (Accepted/Rejected/Failed/InDoubt) and releases the claim, in one
    /// transaction with the last attempt's end when given. `Skipped` and `NotSent` record no
    /// state: they only release.
    pub async fn finish_notice(
        &self,
        notice_id: i64,
        last_attempt: Option<(i64, AttemptEnd)>,
        outcome: Outcome,
        deal_code: Option<String>,
        deal_desc: Option<String>,
        http_status: Option<u16>,
    ) -> Result<(), JournalError> {
        self.call(|reply| Op::FinishNotice {
            notice_id,
            last_attempt,
            outcome,
            deal_code,
            deal_desc,
            http_status,
            reply,
        })
        .await
    }

    /// Releases a claim without an outcome (the run stopped before sending; the notice keeps
    /// its previous state).
    pub async fn release(&self, notice_id: i64) -> Result<(), JournalError> {
        self.call(|reply| Op::Release { notice_id, reply }).await
    }
}
