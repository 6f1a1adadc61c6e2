//! The writer thread: the only user of the write connection, which it opens itself (the
//! client blocks on a runtime of its own, so it never runs on the program's). It runs every
//! op queued when it wakes (up to [`GROUP_MAX`]) in one transaction, commits once, then frees
//! the locks of the claims that group ended, and answers each op.

use super::ops::{self as sql, Finish, Locks, OpResult};
use super::schema::store;
use super::tx::{roll_back, Tx};
use super::Ctx;
use crate::journal::location::PgLocation;
use crate::journal::threaded::{Request, WriterThread};
use crate::journal::{Answer, JournalError, Op};
use postgres::{Client, Statement};
use std::collections::{HashMap, HashSet};
use std::sync::mpsc;

/// As SQLite's writer: one commit serves every worker that asked meanwhile.
const GROUP_MAX: usize = 256;

struct Writer {
    client: Client,
    ctx: Ctx,
    at: PgLocation,
    /// Notices this handle holds (their advisory locks), released when it closes.
    held: HashSet<i64>,
    prepared: HashMap<&'static str, Statement>,
}

/// Starts the writer, which connects and checks the schema before `open` returns.
pub(crate) fn spawn(
    at: PgLocation,
    ctx: Ctx,
) -> Result<(mpsc::Sender<Request>, WriterThread), JournalError> {
    let (tx, rx) = mpsc::channel::<Request>();
    let (ready_tx, ready_rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("journal-writer".into())
        .spawn(move || {
            let opened = super::connect::connect(&at).and_then(|mut client| {
                super::schema::migrate(&mut client, &at)?;
                Ok(client)
            });
            let client = match opened {
                Ok(client) => client,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return Ok(());
                }
            };
            let _ = ready_tx.send(Ok(()));
            let owner = ctx.owner.clone();
            let writer = Writer {
                client,
                ctx,
                at,
                held: HashSet::new(),
                prepared: HashMap::new(),
            };
            let result = writer.run(rx);
            owner.retire();
            result
        })
        .map_err(|e| JournalError::Store(format!("cannot start the journal writer: {e}")))?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok((tx, handle)),
        Ok(Err(e)) => {
            let _ = handle.join();
            Err(e)
        }
        Err(_) => Err(JournalError::Store(
            "the journal writer stopped at start".into(),
        )),
    }
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Request>) -> Result<(), JournalError> {
        while let Ok(first) = rx.recv() {
            let mut group = vec![first];
            while group.len() < GROUP_MAX {
                match rx.try_recv() {
                    Ok(op) => group.push(op),
                    Err(_) => break,
                }
            }
            self.commit_group(group);
        }
        self.close()
    }

    /// The group's ops in one transaction, committed once; a SQL failure rolls it back and
    /// every op of it gets the error.
    fn commit_group(&mut self, group: Vec<Request>) {
        let mut locks = Locks::default();
        let mut answers = Vec::with_capacity(group.len());
        let ctx = &self.ctx;
        let held = &self.held;
        let mut still_held = HashSet::new();
        let outcome = (|| -> Result<(), postgres::Error> {
            let mut tx = Tx::begin(&mut self.client, &mut self.prepared)?;
            let mut replies = group.into_iter();
            for (op, reply) in replies.by_ref() {
                match run_op(&mut tx, ctx, op, &mut locks) {
                    Ok(answer) => answers.push((reply, answer)),
                    Err(e) => {
                        answers.push((reply, Err(JournalError::Closed)));
                        answers.extend(replies.map(|(_, r)| (r, Err(JournalError::Closed))));
                        return Err(e);
                    }
                }
            }
            still_held = held.iter().chain(&locks.taken).copied().collect();
            let freed: Vec<i64> = locks
                .freed
                .iter()
                .filter(|id| still_held.remove(id))
                .copied()
                .collect();
            // Freed only once committed: another process may then read what this group wrote.
            tx.commit_and_unlock(&freed)
        })();
        match outcome {
            Ok(()) => {
                self.held = still_held;
                for (reply, answer) in answers {
                    let _ = reply.send(answer);
                }
            }
            Err(e) => {
                // Nothing of the group is recorded: the claims it took are not held.
                roll_back(&mut self.client, &locks.taken);
                for (reply, _) in answers {
                    let _ = reply.send(Err(store(&self.at, &e)));
                }
            }
        }
    }

    /// Releases what this handle still holds (notices whose sends were never finished stay in
    /// doubt through their open attempt); the locks go with the connection.
    fn close(mut self) -> Result<(), JournalError> {
        let held: Vec<i64> = self.held.drain().collect();
        if held.is_empty() {
            return Ok(());
        }
        let ctx = &self.ctx;
        let mut locks = Locks::default();
        let prepared = &mut self.prepared;
        let client = &mut self.client;
        let released = (|| -> Result<(), postgres::Error> {
            let mut tx = Tx::begin(client, prepared)?;
            for id in held {
                let _ = sql::release(&mut tx, ctx, id, &mut locks)?;
            }
            tx.commit_and_unlock(&[])?;
            // Now, not when the server notices the connection gone: the next run may be
            // waiting for them.
            client.execute("SELECT pg_advisory_unlock_all()", &[])?;
            Ok(())
        })();
        released.map_err(|e| store(&self.at, &e))
    }
}

fn run_op(
    tx: &mut Tx<'_, '_>,
    ctx: &Ctx,
    op: Op,
    locks: &mut Locks,
) -> Result<Result<Answer, JournalError>, postgres::Error> {
    let done = |r: OpResult<()>| r.map(|own| own.map(Answer::Done));
    match op {
        Op::ClaimNotice(op) => sql::claim(tx, ctx, op, locks).map(|c| Ok(Answer::Claim(c))),
        Op::BeginAttempt(op) => sql::begin_attempt(tx, ctx, op).map(|own| own.map(Answer::Attempt)),
        Op::FinishAttempt(op) => done(sql::finish_attempt(tx, op.attempt_id, &op.end)),
        Op::FinishNotice(op) => {
            let last = op.last_attempt.as_ref().map(|(id, end)| (*id, end));
            let finish = Finish {
                outcome: op.outcome,
                deal_code: op.deal_code.as_deref(),
                deal_desc: op.deal_desc.as_deref(),
                http_status: op.http_status,
            };
            done(sql::finish_notice(
                tx,
                ctx,
                op.notice_id,
                last,
                finish,
                locks,
            ))
        }
        Op::Release(op) => done(sql::release(tx, ctx, op.notice_id, locks)),
        Op::Withdraw(op) => done(sql::withdraw(tx, ctx, op.notice_id, op.attempt_id, locks)),
        Op::StartRun(op) => done(sql::record_run(tx, ctx, &op.run, None)),
        Op::FinishRun(op) => done(sql::record_run(tx, ctx, &op.run, Some(&op))),
    }
}
