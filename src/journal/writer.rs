//! The writer thread: the only user of the write connection. It takes the first queued op,
//! drains whatever else is waiting (up to [`GROUP_MAX`]), runs them all in one `BEGIN
//! IMMEDIATE` transaction, commits once, then answers each — so one commit (the costly part)
//! serves every worker that was waiting.

use super::claim::{self, Ctx, Finish};
use super::owner::{self, Owner};
use super::schema::classify;
use super::{AttemptEnd, Claim, JournalError, NoticeKey};
use crate::notice::Outcome;
use rusqlite::Connection;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// Enough to absorb every worker of a large batch in one commit; small enough that the
/// transaction (and the write lock other processes wait for) stays short.
const GROUP_MAX: usize = 256;

type Reply<T> = oneshot::Sender<Result<T, JournalError>>;

pub(crate) enum Op {
    Claim {
        key: NoticeKey,
        given: Option<String>,
        generated: Option<String>,
        force: bool,
        reply: Reply<Claim>,
    },
    Begin {
        notice_id: i64,
        uuid: String,
        req_time: String,
        reply: Reply<i64>,
    },
    FinishAttempt {
        attempt_id: i64,
        end: AttemptEnd,
        reply: Reply<()>,
    },
    FinishNotice {
        notice_id: i64,
        last_attempt: Option<(i64, AttemptEnd)>,
        outcome: Outcome,
        deal_code: Option<String>,
        deal_desc: Option<String>,
        http_status: Option<u16>,
        reply: Reply<()>,
    },
    Release {
        notice_id: i64,
        reply: Reply<()>,
    },
}

/// An op that has run, waiting for the commit before its answer may be given.
enum Done {
    Claim(Reply<Claim>, Result<Claim, JournalError>),
    Id(Reply<i64>, Result<i64, JournalError>),
    Unit(Reply<()>, Result<(), JournalError>),
}

impl Done {
    fn deliver(self) {
        // A caller that stopped waiting is no reason to stop the writer.
        let _ = match self {
            Done::Claim(reply, result) => reply.send(result).map_err(drop),
            Done::Id(reply, result) => reply.send(result).map_err(drop),
            Done::Unit(reply, result) => reply.send(result).map_err(drop),
        };
    }

    fn fail(self, err: JournalError) {
        let _ = match self {
            Done::Claim(reply, _) => reply.send(Err(err)).map_err(drop),
            Done::Id(reply, _) => reply.send(Err(err)).map_err(drop),
            Done::Unit(reply, _) => reply.send(Err(err)).map_err(drop),
        };
    }
}

struct Writer {
    conn: Connection,
    ctx: Ctx,
    path: PathBuf,
    /// Notices this handle holds, released when it closes.
    held: HashSet<i64>,
}

pub(crate) fn spawn(
    conn: Connection,
    path: PathBuf,
    owner: Owner,
) -> Result<(mpsc::Sender<Op>, JoinHandle<Result<(), JournalError>>), JournalError> {
    let (tx, rx) = mpsc::channel();
    let writer = Writer {
        conn,
        ctx: Ctx {
            owner,
            user: owner::user(),
            host: owner::host(),
        },
        path: path.clone(),
        held: HashSet::new(),
    };
    let handle = std::thread::Builder::new()
        .name("journal-writer".into())
        .spawn(move || writer.run(rx))
        .map_err(|e| JournalError::Write {
            path,
            reason: format!("cannot start the writer thread: {e}"),
        })?;
    Ok((tx, handle))
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Op>) -> Result<(), JournalError> {
        let mut group = Vec::with_capacity(GROUP_MAX);
        while let Ok(first) = rx.recv() {
            group.push(first);
            while group.len() < GROUP_MAX {
                match rx.try_recv() {
                    Ok(op) => group.push(op),
                    Err(_) => break,
                }
            }
            self.commit_group(&mut group);
        }
        let owner = self.ctx.owner.clone();
        let result = self.close();
        // Only now: until its claims are released they must keep reading as live.
        owner.retire();
        result
    }

    fn commit_group(&mut self, group: &mut Vec<Op>) {
        let ops = group.drain(..);
        if let Err(e) = self.conn.execute_batch("BEGIN IMMEDIATE") {
            let path = self.path.clone();
            for op in ops {
                op.into_done_unrun().fail(classify(&path, clone_err(&e)));
            }
            return;
        }
        let mut done = Vec::with_capacity(ops.len());
        let mut claimed = Vec::new();
        let mut released = Vec::new();
        for op in ops {
            done.push(self.run_op(op, &mut claimed, &mut released));
        }
        match self.conn.execute_batch("COMMIT") {
            Ok(()) => {
                self.held.extend(claimed);
                for id in released {
                    self.held.remove(&id);
                }
                done.into_iter().for_each(Done::deliver);
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                for d in done {
                    d.fail(classify(&self.path, clone_err(&e)));
                }
            }
        }
    }

    /// Runs one op inside its own savepoint, so that an op that fails leaves the rest of its
    /// group to commit.
    fn run_op(&mut self, op: Op, claimed: &mut Vec<i64>, released: &mut Vec<i64>) -> Done {
        let conn = &self.conn;
        let ctx = &self.ctx;
        let savepoint = conn
            .prepare_cached("SAVEPOINT op")
            .and_then(|mut s| s.execute([]));
        if let Err(e) = savepoint {
            return op.into_done_unrun().with_err(classify(&self.path, e));
        }
        let (done, ok) = match op {
            Op::Claim {
                key,
                given,
                generated,
                force,
                reply,
            } => match claim::claim(conn, ctx, &key, given, generated, force) {
                Ok((claim, id)) => {
                    claimed.extend(id);
                    (Done::Claim(reply, Ok(claim)), true)
                }
                Err(e) => (Done::Claim(reply, Err(e)), false),
            },
            Op::Begin {
                notice_id,
                uuid,
                req_time,
                reply,
            } => {
                let r = claim::begin_attempt(conn, ctx, notice_id, &uuid, &req_time);
                let ok = r.is_ok();
                (Done::Id(reply, r), ok)
            }
            Op::FinishAttempt {
                attempt_id,
                end,
                reply,
            } => {
                let r = claim::finish_attempt(conn, attempt_id, &end);
                let ok = r.is_ok();
                (Done::Unit(reply, r), ok)
            }
            Op::FinishNotice {
                notice_id,
                last_attempt,
                outcome,
                deal_code,
                deal_desc,
                http_status,
                reply,
            } => {
                let finish = Finish {
                    outcome,
                    deal_code: deal_code.as_deref(),
                    deal_desc: deal_desc.as_deref(),
                    http_status,
                };
                let last = last_attempt.as_ref().map(|(id, end)| (*id, end));
                let r = claim::finish_notice(conn, ctx, notice_id, last, finish);
                if r.is_ok() {
                    released.push(notice_id);
                }
                let ok = r.is_ok();
                (Done::Unit(reply, r), ok)
            }
            Op::Release { notice_id, reply } => {
                let r = claim::release(conn, ctx, notice_id);
                if r.is_ok() {
                    released.push(notice_id);
                }
                let ok = r.is_ok();
                (Done::Unit(reply, r), ok)
            }
        };
        let end = if ok { "RELEASE op" } else { "ROLLBACK TO op" };
        let ended = conn
            .prepare_cached(end)
            .and_then(|mut s| s.execute([]))
            .and_then(|_| {
                if ok {
                    Ok(0)
                } else {
                    conn.prepare_cached("RELEASE op")?.execute([])
                }
            });
        match ended {
            Ok(_) => done,
            Err(e) => done.with_err(classify(&self.path, e)),
        }
    }

    /// Releases what this handle still holds (notices whose sends were never finished stay in
    /// doubt through their open attempt), then lets SQLite checkpoint on close.
    fn close(mut self) -> Result<(), JournalError> {
        let held: Vec<i64> = self.held.drain().collect();
        if !held.is_empty() {
            let c = |e| classify(&self.path, e);
            self.conn.execute_batch("BEGIN IMMEDIATE").map_err(c)?;
            for id in held {
                if let Err(e) = claim::release(&self.conn, &self.ctx, id) {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    return Err(e);
                }
            }
            self.conn.execute_batch("COMMIT").map_err(c)?;
        }
        self.conn.close().map_err(|(_, e)| classify(&self.path, e))
    }
}

impl Op {
    fn into_done_unrun(self) -> Done {
        match self {
            Op::Claim { reply, .. } => Done::Claim(reply, Err(JournalError::Closed)),
            Op::Begin { reply, .. } => Done::Id(reply, Err(JournalError::Closed)),
            Op::FinishAttempt { reply, .. }
            | Op::FinishNotice { reply, .. }
            | Op::Release { reply, .. } => Done::Unit(reply, Err(JournalError::Closed)),
        }
    }
}

impl Done {
    fn with_err(self, err: JournalError) -> Done {
        match self {
            Done::Claim(reply, _) => Done::Claim(reply, Err(err)),
            Done::Id(reply, _) => Done::Id(reply, Err(err)),
            Done::Unit(reply, _) => Done::Unit(reply, Err(err)),
        }
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
