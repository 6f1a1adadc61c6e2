//! The writer thread: the only user of the write connection. It opens a `BEGIN IMMEDIATE`
//! transaction for the first queued op, runs it and every op that is waiting or arrives while
//! the group is gathered ([`Gather`], up to [`GROUP_MAX`]), commits once, then answers each —
//! so one commit (the costly part) serves every worker that asked meanwhile. The answers go
//! back to the runtime's thread as one message per group ([`Answers`]).

use super::ops::{self as sql, Ctx, Finish, Stmts};
use super::schema::{classify, classify_errno, system_errno};
use crate::journal::owner::{self, Owner};
use crate::journal::threaded::{Reply, Request, WriterThread};
use crate::journal::{Answer, JournalError, Op};
use rusqlite::Connection;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Enough to absorb every worker of a large batch in one commit; small enough that the
/// transaction (and the write lock other processes wait for) stays short.
const GROUP_MAX: usize = 256;

/// An op that has run, waiting for the commit before its answer may be given.
struct Done(Reply, Result<Answer, JournalError>);

impl Done {
    fn deliver(self) {
        // A caller that stopped waiting is no reason to stop the writer.
        let _ = self.0.send(self.1);
    }

    fn failed(self, err: JournalError) -> Done {
        Done(self.0, Err(err))
    }
}

/// Where a group's answers are given: by a task on the runtime that opened the journal, or,
/// without one (or once it is gone), here on the writer's thread.
struct Answers(Option<tokio::sync::mpsc::UnboundedSender<Vec<Done>>>);

impl Answers {
    fn start() -> Answers {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Answers(None);
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<Done>>();
        runtime.spawn(async move {
            while let Some(group) = rx.recv().await {
                group.into_iter().for_each(Done::deliver);
            }
        });
        Answers(Some(tx))
    }

    fn give(&self, group: Vec<Done>) {
        let group = match &self.0 {
            Some(tx) => match tx.send(group) {
                Ok(()) => return,
                Err(unsent) => unsent.0,
            },
            None => group,
        };
        group.into_iter().for_each(Done::deliver);
    }
}

struct Writer<'c> {
    conn: &'c Connection,
    /// Answers go to the runtime's thread in one message per group, and are given there: one
    /// wake-up of that thread per commit instead of one per op.
    answers: Answers,
    st: Stmts<'c>,
    ctx: Ctx,
    path: PathBuf,
    /// Notices this handle holds, released when it closes.
    held: HashSet<i64>,
}

pub(crate) fn spawn(
    conn: Connection,
    path: PathBuf,
    owner: Owner,
) -> Result<(mpsc::Sender<Request>, WriterThread), JournalError> {
    let (tx, rx) = mpsc::channel();
    // The thread prepares its statements (they borrow the connection it owns) and says whether
    // that worked before `open` returns.
    let (ready_tx, ready_rx) = mpsc::channel();
    let thread_path = path.clone();
    let answers = Answers::start();
    let handle = std::thread::Builder::new()
        .name("journal-writer".into())
        .spawn(move || {
            let path = thread_path;
            let result = match Stmts::prepare(&conn) {
                Err(e) => {
                    let _ = ready_tx.send(Err(classify(&path, e)));
                    Ok(())
                }
                Ok(st) => {
                    let _ = ready_tx.send(Ok(()));
                    let ctx = Ctx {
                        owner: owner.clone(),
                        user: owner::user(),
                        host: owner::host(),
                    };
                    let writer = Writer {
                        conn: &conn,
                        answers,
                        st,
                        ctx,
                        path: path.clone(),
                        held: HashSet::new(),
                    };
                    writer.run(rx)
                }
            };
            // Only now: until its claims are released they must keep reading as live.
            owner.retire();
            let closed = conn.close().map_err(|(_, e)| classify(&path, e));
            result.and(closed)
        })
        .map_err(|e| JournalError::Write {
            path: path.clone(),
            reason: format!("cannot start the writer thread: {e}"),
        })?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok((tx, handle)),
        Ok(Err(e)) => {
            let _ = handle.join();
            Err(e)
        }
        Err(_) => Err(JournalError::Write {
            path,
            reason: "the journal writer stopped at start".into(),
        }),
    }
}

impl Writer<'_> {
    fn run(mut self, rx: mpsc::Receiver<Request>) -> Result<(), JournalError> {
        while let Ok(first) = rx.recv() {
            self.commit_group(&mut Gather::new(first, &rx));
        }
        self.close()
    }

    /// Runs the group's ops in one transaction as they arrive, commits once, then answers them
    /// all; a SQL failure rolls the group back and every op taken gets it.
    fn commit_group(&mut self, ops: &mut Gather<'_>) {
        let mut done = Vec::new();
        let mut claimed = Vec::new();
        let mut released = Vec::new();
        self.st.begin();
        let failure = match self.conn.execute_batch("BEGIN IMMEDIATE") {
            Err(e) => {
                done.extend(
                    ops.next()
                        .map(|(_, reply)| Done(reply, Err(JournalError::Closed))),
                );
                Some(e)
            }
            Ok(()) => {
                let mut failure = None;
                for (op, reply) in ops.by_ref() {
                    let (answer, sql_failure) = self.run_op(op, &mut claimed, &mut released);
                    done.push(Done(reply, answer));
                    if sql_failure.is_some() {
                        failure = sql_failure;
                        break;
                    }
                }
                failure.or_else(|| self.conn.execute_batch("COMMIT").err())
            }
        };
        match failure {
            None => {
                self.held.extend(claimed);
                for id in released {
                    self.held.remove(&id);
                }
                self.answers.give(done);
            }
            Some(e) => {
                let errno = system_errno(self.conn);
                // Nothing of the group is on disk: every op taken gets the error, run or not.
                if !self.conn.is_autocommit() {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                let failed = done
                    .into_iter()
                    .map(|d| d.failed(classify_errno(&self.path, clone_err(&e), errno)))
                    .collect();
                self.answers.give(failed);
            }
        }
    }

    /// Runs one op; the error beside its answer is a SQL failure that spoils the group.
    fn run_op(
        &mut self,
        op: Op,
        claimed: &mut Vec<i64>,
        released: &mut Vec<i64>,
    ) -> (Result<Answer, JournalError>, Option<rusqlite::Error>) {
        let st = &mut self.st;
        let ctx = &self.ctx;
        match op {
            Op::ClaimNotice(op) => {
                let r = sql::claim(st, ctx, op).map(|(c, id)| {
                    claimed.extend(id);
                    Ok(c)
                });
                split(r, Answer::Claim)
            }
            Op::BeginAttempt(op) => split(sql::begin_attempt(st, ctx, op), Answer::Attempt),
            Op::FinishAttempt(op) => split(
                sql::finish_attempt(st, op.attempt_id, &op.end),
                Answer::Done,
            ),
            Op::FinishNotice(op) => {
                let notice_id = op.notice_id;
                let last = op.last_attempt.as_ref().map(|(id, end)| (*id, end));
                let finish = Finish {
                    outcome: op.outcome,
                    deal_code: op.deal_code.as_deref(),
                    deal_desc: op.deal_desc.as_deref(),
                    http_status: op.http_status,
                };
                let r = sql::finish_notice(st, ctx, notice_id, last, finish);
                released_if_done(&r, notice_id, released);
                split(r, Answer::Done)
            }
            Op::Release(op) => {
                let r = sql::release(st, ctx, op.notice_id);
                released_if_done(&r, op.notice_id, released);
                split(r, Answer::Done)
            }
            Op::Withdraw(op) => {
                let r = sql::withdraw(st, ctx, op.notice_id, op.attempt_id);
                released_if_done(&r, op.notice_id, released);
                split(r, Answer::Done)
            }
            Op::StartRun(op) => split(sql::record_run(st, ctx, &op.run, None), Answer::Done),
            Op::FinishRun(op) => split(sql::record_run(st, ctx, &op.run, Some(&op)), Answer::Done),
        }
    }

    /// Releases what this handle still holds (notices whose sends were never finished stay in
    /// doubt through their open attempt).
    fn close(mut self) -> Result<(), JournalError> {
        let held: Vec<i64> = self.held.drain().collect();
        if held.is_empty() {
            return Ok(());
        }
        let c = |e| classify_errno(&self.path, e, system_errno(self.conn));
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(c)?;
        for id in held {
            if let Err(e) = sql::release(&mut self.st, &self.ctx, id) {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(c(e));
            }
        }
        self.conn.execute_batch("COMMIT").map_err(c)
    }
}

/// An op's answer, and apart from it a SQL failure, which spoils the whole group: the op then
/// answers `Closed`, and the group's error reaches every op.
fn split<T>(
    r: sql::OpResult<T>,
    wrap: impl FnOnce(T) -> Answer,
) -> (Result<Answer, JournalError>, Option<rusqlite::Error>) {
    match r {
        Ok(own) => (own.map(wrap), None),
        Err(e) => (Err(JournalError::Closed), Some(e)),
    }
}

/// A notice finished or released is no longer held by this handle once its group commits.
fn released_if_done(r: &sql::OpResult<()>, notice_id: i64, released: &mut Vec<i64>) {
    if matches!(r, Ok(Ok(()))) {
        released.push(notice_id);
    }
}

/// The ops of one group, taken as they come: whatever is queued, and while more than one op
/// has come, whatever else arrives within [`GATHER_GAP`] of the last (for at most
/// [`GATHER_HOLD`] in all). Workers of a busy run send ops a few microseconds apart; waiting
/// that long for them is what lets one commit serve many, and the ops already taken are run
/// meanwhile rather than waited on. A lone op (a `send`) is committed at once.
struct Gather<'r> {
    first: Option<Request>,
    rx: &'r mpsc::Receiver<Request>,
    taken: usize,
    until: Instant,
}

/// How long a group waits for one more op once the queue is empty.
const GATHER_GAP: Duration = Duration::from_micros(50);
/// How long a group stays open, at most.
const GATHER_HOLD: Duration = Duration::from_micros(1_000);

impl<'r> Gather<'r> {
    fn new(first: Request, rx: &'r mpsc::Receiver<Request>) -> Gather<'r> {
        Gather {
            first: Some(first),
            rx,
            taken: 0,
            until: Instant::now() + GATHER_HOLD,
        }
    }
}

impl Iterator for Gather<'_> {
    type Item = Request;

    fn next(&mut self) -> Option<Request> {
        if self.taken >= GROUP_MAX {
            return None;
        }
        let op = match self.first.take() {
            Some(op) => op,
            None => match self.rx.try_recv() {
                Ok(op) => op,
                Err(_) if self.taken < 2 => return None,
                Err(_) => {
                    let left = self.until.saturating_duration_since(Instant::now());
                    self.rx.recv_timeout(left.min(GATHER_GAP)).ok()?
                }
            },
        };
        self.taken += 1;
        Some(op)
    }
}

/// `rusqlite::Error` is not `Clone`; every op of a failed group needs its own copy.
fn clone_err(e: &rusqlite::Error) -> rusqlite::Error {
    match e {
        rusqlite::Error::SqliteFailure(code, msg) => {
            rusqlite::Error::SqliteFailure(*code, msg.clone())
        }
        other => rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(other.to_string()),
        ),
    }
}
