//! The write operations in PostgreSQL, each run by the writer inside its group's transaction.
//! The answers are SQLite's (`sqlite/ops.rs`); what differs is how a claim excludes others: a
//! notice is held through a session advisory lock on its id, taken before its row is read, so
//! that two processes never decide on one notice at once, and freed by PostgreSQL itself when
//! the holder's connection ends (a killed process holds nothing). The claim columns only say
//! who holds it.

use super::combined::{self, Ending};
use super::tx::{now_ms, Tx};
use super::Ctx;
use crate::journal::owner::describe;
use crate::journal::rule::{self, Content, Decision, Known, OrderNo};
use crate::journal::state::derive_state;
use crate::journal::{
    AttemptEnd, BeginAttempt, Claim, ClaimNotice, JournalError, NoticeKey, RunCounts, RunDetails,
    State,
};
use crate::notice::Outcome;

type Sql<T> = Result<T, postgres::Error>;
/// An op's result: the outer error spoils the group, the inner one is the op's own.
pub(crate) type OpResult<T> = Sql<Result<T, JournalError>>;

/// Notices locked in this group, and notices whose claim this group ends (unlocked once it
/// commits: before, another process could read the notice as it was).
#[derive(Default)]
pub(crate) struct Locks {
    pub taken: Vec<i64>,
    pub freed: Vec<i64>,
}

struct Existing {
    order_no: String,
    state: Option<String>,
    attempts: i64,
    last_open: bool,
    accepted: Option<(String, Option<String>, Option<String>)>,
    accepted_at: Option<i64>,
    content: Option<String>,
    content_fp: Option<String>,
    deal_code: Option<String>,
    deal_desc: Option<String>,
    last_sent_at: Option<i64>,
}

const FIND_SQL: &str = "SELECT n.id, n.order_no, n.state, n.attempts,
        coalesce(la.id IS NOT NULL AND la.finished_at IS NULL, false),
        n.accepted_at IS NOT NULL, n.accepted_order_no, n.accepted_deal_code,
        n.accepted_deal_desc, n.claim_run, n.accepted_at, n.content, n.content_fp,
        n.deal_code, n.deal_desc, n.last_sent_at
    FROM notices n LEFT JOIN attempts la ON la.id = n.last_attempt_id
    WHERE n.id = $1";

fn find(tx: &mut Tx<'_, '_>, id: i64) -> Sql<Option<Existing>> {
    let Some(r) = tx.query_opt(FIND_SQL, &[&id])? else {
        return Ok(None);
    };
    let accepted: bool = r.get(5);
    Ok(Some(Existing {
        order_no: r.get(1),
        state: r.get(2),
        attempts: r.get(3),
        last_open: r.get(4),
        accepted: accepted.then(|| {
            (
                r.get::<_, Option<String>>(6).unwrap_or_default(),
                r.get(7),
                r.get(8),
            )
        }),
        accepted_at: r.get(10),
        content: r.get(11),
        content_fp: r.get(12),
        deal_code: r.get(13),
        deal_desc: r.get(14),
        last_sent_at: r.get(15),
    }))
}

fn id_of(tx: &mut Tx<'_, '_>, key: &NoticeKey) -> Sql<Option<i64>> {
    Ok(tx
        .query_opt(
            "SELECT id FROM notices WHERE endpoint = $1 AND policy_source = $2 AND policy_no = $3",
            &[&key.endpoint, &key.policy_source, &key.policy_no],
        )?
        .map(|r| r.get(0)))
}

fn try_lock(tx: &mut Tx<'_, '_>, id: i64) -> Sql<bool> {
    Ok(tx
        .query_one("SELECT pg_try_advisory_lock($1)", &[&id])?
        .get(0))
}

pub(crate) fn unlock(tx: &mut Tx<'_, '_>, id: i64) -> Sql<()> {
    tx.execute("SELECT pg_advisory_unlock($1)", &[&id])
        .map(drop)
}

/// Who holds notice `id`, as a Busy answer names them.
fn busy(tx: &mut Tx<'_, '_>, id: i64) -> Sql<Claim> {
    let row = tx.query_opt(
        "SELECT claim_host, claim_pid, claim_run FROM notices WHERE id = $1",
        &[&id],
    )?;
    let owner = match row {
        Some(r) => match (r.get::<_, Option<String>>(0), r.get::<_, Option<i64>>(1)) {
            (Some(host), Some(pid)) => describe(
                &host,
                u32::try_from(pid).unwrap_or(0),
                &r.get::<_, Option<String>>(2).unwrap_or_default(),
            ),
            _ => "another process".to_string(),
        },
        None => "another process".to_string(),
    };
    Ok(Claim::Busy { owner })
}

fn decide(existing: Option<&Existing>, asked: &ClaimNotice) -> Decision {
    let known = existing.map(|n| Known {
        order_no: &n.order_no,
        attempts: u32::try_from(n.attempts).unwrap_or(u32::MAX),
        accepted_order_no: n.accepted.as_ref().map(|(order_no, ..)| order_no.as_str()),
        state: derive_state(n.state.as_deref(), n.attempts, n.last_open),
        accepted_at: n.accepted_at,
        content: n.content.as_deref(),
        content_fp: n.content_fp.as_deref(),
        deal_code: n.deal_code.as_deref(),
        deal_desc: n.deal_desc.as_deref(),
        last_sent_at: n.last_sent_at,
    });
    rule::decide(
        known,
        rule::Ask {
            given: asked.given.as_deref(),
            can_generate: asked.generated.is_some(),
            force: asked.resend.force,
            retry_rejected: asked.resend.retry_rejected,
            content: asked.content.as_ref(),
        },
    )
}

fn changed(decision: &Decision, key: &NoticeKey) -> Option<Claim> {
    decision
        .problem(&key.policy_no)
        .filter(|_| matches!(decision, Decision::Changed { .. }))
        .map(|message| Claim::ContentChanged { message })
}

/// Decides with [`rule::decide`] and records the claim: a new notice is inserted, a recorded
/// one taken over once its lock is had (unless skipped, refused, or held by another).
pub(crate) fn claim(
    tx: &mut Tx<'_, '_>,
    ctx: &Ctx,
    asked: ClaimNotice,
    locks: &mut Locks,
) -> Sql<Claim> {
    let decision = decide(None, &asked);
    let order_no = match &decision {
        Decision::Send(OrderNo::Generate) => asked.generated.clone(),
        Decision::Send(OrderNo::Given(order_no)) => Some(order_no.clone()),
        _ => None,
    };
    // A new notice is inserted at once (its usual case); only when it is recorded already
    // does its row decide.
    let Some(order_no) = order_no.filter(|_| changed(&decision, &asked.key).is_none()) else {
        return match id_of(tx, &asked.key)? {
            Some(id) => claim_recorded(tx, ctx, id, asked, locks),
            None => Ok(changed(&decision, &asked.key).unwrap_or(Claim::NeedsOrderNo)),
        };
    };
    let first = asked.first.as_ref().filter(|f| f.order_no == order_no);
    match combined::insert_claimed(tx, ctx, &asked, &order_no, first)? {
        Some(inserted) => {
            // A row no one else has seen yet: its lock is free.
            if inserted.locked {
                locks.taken.push(inserted.id);
            }
            Ok(Claim::Claimed {
                notice_id: inserted.id,
                order_no,
                in_doubt: false,
                previous: None,
                correction: None,
                first_attempt: inserted.first_attempt,
            })
        }
        // Recorded already, or by another process meanwhile (and committed): its row decides.
        None => match id_of(tx, &asked.key)? {
            Some(id) => claim_recorded(tx, ctx, id, asked, locks),
            None => Ok(Claim::Busy {
                owner: "another process".into(),
            }),
        },
    }
}

fn claim_recorded(
    tx: &mut Tx<'_, '_>,
    ctx: &Ctx,
    id: i64,
    asked: ClaimNotice,
    locks: &mut Locks,
) -> Sql<Claim> {
    let own = tx
        .query_opt("SELECT claim_run FROM notices WHERE id = $1", &[&id])?
        .and_then(|r| r.get::<_, Option<String>>(0));
    // Our own handle counts too: two tasks must not send one notice at once.
    if own.as_deref() == Some(ctx.owner.run.as_str()) || locks.taken.contains(&id) {
        return busy(tx, id);
    }
    if !try_lock(tx, id)? {
        return busy(tx, id);
    }
    // Read only now that it is ours: whoever held it has committed all it did.
    let Some(n) = find(tx, id)? else {
        unlock(tx, id)?;
        return Ok(Claim::Busy {
            owner: "another process".into(),
        });
    };
    let decision = decide(Some(&n), &asked);
    match recorded_answer(&n, decision, &asked.key) {
        Err(answer) => {
            // Nothing was written for it: the lock can go at once.
            unlock(tx, id)?;
            Ok(answer)
        }
        Ok((order_no, correction)) => {
            let o = &ctx.owner;
            tx.execute(
                "UPDATE notices SET order_no = $2, claim_host = $3, claim_pid = $4,
                     claim_start = $5, claim_run = $6, claimed_at = $7
                 WHERE id = $1",
                &[
                    &id,
                    &order_no,
                    &o.host,
                    &i64::from(o.pid),
                    &o.start,
                    &o.run,
                    &now_ms(),
                ],
            )?;
            locks.taken.push(id);
            let previous = derive_state(n.state.as_deref(), n.attempts, n.last_open);
            Ok(Claim::Claimed {
                notice_id: id,
                order_no,
                in_doubt: previous == State::InDoubt,
                previous: Some(previous),
                correction,
                first_attempt: None,
            })
        }
    }
}

/// The orderNo to send a recorded notice under (and the fields corrected), or the answer
/// that sends nothing.
fn recorded_answer(
    n: &Existing,
    decision: Decision,
    key: &NoticeKey,
) -> Result<(String, Option<Vec<String>>), Claim> {
    if let Some(claim) = changed(&decision, key) {
        return Err(claim);
    }
    if let (Decision::Skip { accepted_order_no }, Some((_, deal_code, deal_desc))) =
        (&decision, &n.accepted)
    {
        return Err(Claim::AlreadyAccepted {
            order_no: accepted_order_no.clone(),
            deal_code: deal_code.clone(),
            deal_desc: deal_desc.clone(),
        });
    }
    let correction = match &decision {
        Decision::Correct { changes, .. } => Some(changes.clone()),
        _ => None,
    };
    match decision {
        Decision::SkipRejected(rejection) => Err(Claim::RejectedEarlier(rejection)),
        Decision::Conflict { recorded, given } => Err(Claim::Conflict {
            journal_order_no: recorded,
            given,
        }),
        Decision::Send(OrderNo::Given(order_no) | OrderNo::Recorded(order_no))
        | Decision::Correct {
            order_no: OrderNo::Given(order_no) | OrderNo::Recorded(order_no),
            ..
        } => Ok((order_no, correction)),
        _ => Ok((n.order_no.clone(), correction)),
    }
}

fn no_notice(id: i64) -> JournalError {
    JournalError::NotFound { what: "notice", id }
}

/// `None` when there is no such notice; else who holds it.
fn holder(tx: &mut Tx<'_, '_>, id: i64) -> Sql<Option<Option<String>>> {
    Ok(tx
        .query_opt("SELECT claim_run FROM notices WHERE id = $1", &[&id])?
        .map(|r| r.get(0)))
}

pub(crate) fn begin_attempt(tx: &mut Tx<'_, '_>, ctx: &Ctx, op: BeginAttempt) -> OpResult<i64> {
    let id = op.notice_id;
    match holder(tx, id)? {
        None => return Ok(Err(no_notice(id))),
        Some(Some(run)) if run == ctx.owner.run => {}
        Some(_) => return Ok(Err(JournalError::NotClaimed { notice_id: id })),
    }
    let request = (
        op.uuid.as_str(),
        op.req_time.as_str(),
        op.request.as_slice(),
    );
    Ok(Ok(record_attempt(
        tx,
        ctx,
        id,
        request,
        op.content.as_ref(),
    )?))
}

/// Records an attempt of a notice this handle holds: its row, and the notice's count, times
/// and content.
fn record_attempt(
    tx: &mut Tx<'_, '_>,
    ctx: &Ctx,
    notice_id: i64,
    (uuid, req_time, request): (&str, &str, &[u8]),
    content: Option<&Content>,
) -> Sql<i64> {
    let now = now_ms();
    let attempt_id: i64 = tx
        .query_one(
            "INSERT INTO attempts (notice_id, number, order_no, uuid, req_time, started_at,
                 os_user, host, request, run_id)
             SELECT id, attempts + 1, order_no, $2, $3, $4, $5, $6, $7, $8 FROM notices
             WHERE id = $1
             RETURNING id",
            &[
                &notice_id,
                &uuid,
                &req_time,
                &now,
                &ctx.user,
                &ctx.host,
                &request,
                &ctx.owner.run,
            ],
        )?
        .get(0);
    // As SQLite's: a doubt stays until a readable answer ends it.
    tx.execute(
        "UPDATE notices SET attempts = attempts + 1, last_attempt_id = $2,
             first_sent_at = coalesce(first_sent_at, $3), last_sent_at = $3, touched_at = $3,
             state = CASE WHEN state = 'inDoubt' THEN state END,
             deal_code = NULL, deal_desc = NULL, http_status = NULL, os_user = $4, host = $5,
             claimed_at = $3,
             content = coalesce($6, content), content_fp = coalesce($7, content_fp)
         WHERE id = $1",
        &[
            &notice_id,
            &attempt_id,
            &now,
            &ctx.user,
            &ctx.host,
            &content.map(|c| &c.text),
            &content.map(|c| &c.fingerprint),
        ],
    )?;
    Ok(attempt_id)
}

pub(crate) fn finish_attempt(
    tx: &mut Tx<'_, '_>,
    attempt_id: i64,
    end: &AttemptEnd,
) -> OpResult<()> {
    let changed = tx.execute(
        "UPDATE attempts SET finished_at = $2, http_status = $3, deal_code = $4,
             deal_desc = $5, error = $6, elapsed_ms = $7, answer = $8, answer_cut = $9
         WHERE id = $1",
        &[
            &attempt_id,
            &now_ms(),
            &end.http_status.map(i64::from),
            &end.deal_code,
            &end.deal_desc,
            &end.error,
            &i64::try_from(end.elapsed_ms).unwrap_or(i64::MAX),
            &end.answer.as_deref(),
            &end.answer_cut,
        ],
    )?;
    if changed == 0 {
        return Ok(Err(JournalError::NotFound {
            what: "attempt",
            id: attempt_id,
        }));
    }
    if end.may_have_arrived {
        tx.execute(
            "UPDATE notices SET state = 'inDoubt'
             WHERE id = (SELECT notice_id FROM attempts WHERE id = $1)",
            &[&attempt_id],
        )?;
    }
    Ok(Ok(()))
}

pub(crate) struct Finish<'a> {
    pub outcome: Outcome,
    pub deal_code: Option<&'a str>,
    pub deal_desc: Option<&'a str>,
    pub http_status: Option<u16>,
}

pub(crate) fn finish_notice(
    tx: &mut Tx<'_, '_>,
    ctx: &Ctx,
    notice_id: i64,
    last_attempt: Option<(i64, &AttemptEnd)>,
    f: Finish<'_>,
    locks: &mut Locks,
) -> OpResult<()> {
    let state = match f.outcome {
        Outcome::Accepted => State::Accepted,
        Outcome::Rejected => State::Rejected,
        Outcome::Failed => State::Failed,
        Outcome::InDoubt => State::InDoubt,
        Outcome::Skipped | Outcome::NotSent => State::NotSent,
    };
    let doubt = last_attempt.is_some_and(|(_, end)| end.may_have_arrived);
    if state != State::NotSent && !doubt {
        return finish_with(tx, ctx, notice_id, last_attempt, state, &f, locks);
    }
    // The rarer ends, a statement each: a doubt is written by the attempt's end.
    if holder(tx, notice_id)?.is_none() {
        return Ok(Err(no_notice(notice_id)));
    }
    if let Some((attempt_id, end)) = last_attempt {
        if let Err(e) = finish_attempt(tx, attempt_id, end)? {
            return Ok(Err(e));
        }
    }
    if state == State::NotSent {
        return release(tx, ctx, notice_id, locks);
    }
    finish_with(tx, ctx, notice_id, None, state, &f, locks)
}

/// The notice's outcome (and its last attempt's end) in one statement.
fn finish_with(
    tx: &mut Tx<'_, '_>,
    ctx: &Ctx,
    notice_id: i64,
    last_attempt: Option<(i64, &AttemptEnd)>,
    state: State,
    f: &Finish<'_>,
    locks: &mut Locks,
) -> OpResult<()> {
    let ending = Ending {
        state,
        deal_code: f.deal_code,
        deal_desc: f.deal_desc,
        http_status: f.http_status,
    };
    let found = combined::finish_notice(tx, ctx, notice_id, last_attempt, &ending)?;
    if found.updated {
        locks.freed.push(notice_id);
    }
    Ok(match (found.notice, found.attempt, last_attempt) {
        (false, ..) => Err(no_notice(notice_id)),
        (true, false, Some((id, _))) => Err(JournalError::NotFound {
            what: "attempt",
            id,
        }),
        _ => Ok(()),
    })
}

/// Deletes a notice created with its first attempt, when that attempt was never sent; any
/// other is merely released.
pub(crate) fn withdraw(
    tx: &mut Tx<'_, '_>,
    ctx: &Ctx,
    notice_id: i64,
    attempt_id: i64,
    locks: &mut Locks,
) -> OpResult<()> {
    let gone = tx.execute(
        "DELETE FROM attempts
         WHERE id = $1 AND notice_id = $2 AND EXISTS (
             SELECT 1 FROM notices n
             WHERE n.id = $2 AND n.claim_run = $3 AND n.attempts = 1
                 AND n.last_attempt_id = $1)",
        &[&attempt_id, &notice_id, &ctx.owner.run],
    )?;
    if gone == 1 {
        tx.execute("DELETE FROM notices WHERE id = $1", &[&notice_id])?;
        locks.freed.push(notice_id);
        return Ok(Ok(()));
    }
    release(tx, ctx, notice_id, locks)
}

pub(crate) fn release(
    tx: &mut Tx<'_, '_>,
    ctx: &Ctx,
    notice_id: i64,
    locks: &mut Locks,
) -> OpResult<()> {
    let mine = tx.execute(
        "UPDATE notices SET claim_host = NULL, claim_pid = NULL, claim_start = NULL,
             claim_run = NULL, claimed_at = NULL
         WHERE id = $1 AND claim_run = $2",
        &[&notice_id, &ctx.owner.run],
    )?;
    if mine > 0 {
        locks.freed.push(notice_id);
    }
    Ok(Ok(()))
}

/// Records this handle's run at its start, or its end: one recorded at its start gets its
/// end, one that was not is recorded whole.
pub(crate) fn record_run(
    tx: &mut Tx<'_, '_>,
    ctx: &Ctx,
    run: &RunDetails,
    end: Option<&crate::journal::FinishRun>,
) -> OpResult<()> {
    let o = &ctx.owner;
    let counts = end.map(|e| &e.counts);
    let count = |pick: fn(&RunCounts) -> u64| counts.map(|c| sql_count(pick(c)));
    tx.execute(
        "INSERT INTO runs (id, started_at, os_user, host, pid, pid_start, command, input, env,
             endpoint, production, policy_source, notices, ended_at, accepted, rejected, failed,
             in_doubt, skipped, not_sent, rejected_earlier, interrupted, exit_code, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
             $18, $19, $20, $21, $22, $23, $24)
         ON CONFLICT (id) DO UPDATE SET ended_at = excluded.ended_at,
             accepted = excluded.accepted, rejected = excluded.rejected,
             failed = excluded.failed, in_doubt = excluded.in_doubt,
             skipped = excluded.skipped, not_sent = excluded.not_sent,
             rejected_earlier = excluded.rejected_earlier,
             interrupted = excluded.interrupted, exit_code = excluded.exit_code,
             error = excluded.error",
        &[
            &o.run,
            &run.started_at.timestamp_millis(),
            &ctx.user,
            &ctx.host,
            &i64::from(o.pid),
            &o.start,
            &run.command,
            &run.input,
            &run.env,
            &run.endpoint,
            &run.production,
            &run.policy_source,
            &sql_count(run.notices),
            &end.map(|e| e.ended_at.timestamp_millis()),
            &count(|c| c.accepted),
            &count(|c| c.rejected),
            &count(|c| c.failed),
            &count(|c| c.in_doubt),
            &count(|c| c.skipped),
            &count(|c| c.not_sent),
            &count(|c| c.rejected_earlier),
            &end.map(|e| e.interrupted),
            &end.map(|e| i64::from(e.exit_code)),
            &end.and_then(|e| e.error.as_deref()),
        ],
    )?;
    Ok(Ok(()))
}

fn sql_count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
