//! The write operations, each run by the writer inside the group's `BEGIN IMMEDIATE`
//! transaction, so that a claim is decided and recorded atomically with respect to every
//! other process sharing the file.
//!
//! Each returns `Err` (SQL) for a failure that spoils the whole group, and `Ok(Err(..))` for
//! the op's own refusal; every refusal is decided before the op writes anything, so the rest
//! of the group commits without it.

use super::bodies::{request_known, stored_body};
use crate::journal::owner::{describe, Owner};
use crate::journal::rule::{self, Content, Decision, Known, OrderNo};
use crate::journal::{
    AttemptEnd, BeginAttempt, Claim, ClaimNotice, JournalError, NoticeKey, RunCounts, RunDetails,
    State,
};
use crate::notice::Outcome;
use rusqlite::{params, Connection, OptionalExtension, Statement};

/// What the writer knows about itself.
pub(crate) struct Ctx {
    pub owner: Owner,
    pub user: String,
    pub host: String,
}

pub(crate) fn now_ms() -> i64 {
    crate::clock::now().timestamp_millis()
}

pub(crate) use crate::journal::state::derive_state;

pub(crate) use crate::journal::state::STATE_SQL;

/// The writer's statements, prepared once: a statement cache would hash each SQL text on
/// every use, and the writer runs three ops per notice.
pub(crate) struct Stmts<'c> {
    find: Statement<'c>,
    insert: Statement<'c>,
    reclaim: Statement<'c>,
    holder: Statement<'c>,
    attempt_insert: Statement<'c>,
    notice_sent: Statement<'c>,
    attempt_end: Statement<'c>,
    attempt_known: Statement<'c>,
    attempt_in_doubt: Statement<'c>,
    notice_end: Statement<'c>,
    release: Statement<'c>,
    withdraw_notice: Statement<'c>,
    withdraw_attempt: Statement<'c>,
    first_attempt_insert: Statement<'c>,
    last_attempt_id: Statement<'c>,
    run: Statement<'c>,
    /// The id the next attempt row gets, once known in this transaction: a new notice and
    /// its first attempt then go in as two plain inserts, each row written once.
    next_attempt_id: Option<i64>,
}

const FIND_SQL: &str = "SELECT n.id, n.order_no, n.state, n.attempts,
                        la.id IS NOT NULL AND la.finished_at IS NULL,
                        n.accepted_at IS NOT NULL, n.accepted_order_no, n.accepted_deal_code,
                        n.accepted_deal_desc,
                        n.claim_host, n.claim_pid, n.claim_start, n.claim_run, n.claimed_at,
                        n.accepted_at, n.content, n.content_fp,
                        n.deal_code, n.deal_desc, n.last_sent_at
                 FROM notices n LEFT JOIN attempts la ON la.id = n.last_attempt_id
                 WHERE n.endpoint = ?1 AND n.policy_source = ?2 AND n.policy_no = ?3";

/// ?12, the first attempt's id, when the notice is sent at once.
const INSERT_SQL: &str =
    "INSERT INTO notices (endpoint, policy_source, policy_no, order_no, created_at,
                     touched_at, os_user, host, claim_host, claim_pid, claim_start, claim_run,
                     claimed_at, attempts, last_attempt_id, first_sent_at, last_sent_at,
                     content, content_fp)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?5, ?12 IS NOT NULL,
                     ?12, CASE WHEN ?12 IS NOT NULL THEN ?5 END,
                     CASE WHEN ?12 IS NOT NULL THEN ?5 END, ?13, ?14)
                 RETURNING id";

const RECLAIM_SQL: &str = "UPDATE notices SET order_no = ?2, claim_host = ?3, claim_pid = ?4,
                     claim_start = ?5, claim_run = ?6, claimed_at = ?7
                 WHERE id = ?1";

const HOLDER_SQL: &str = "SELECT claim_run, order_no FROM notices WHERE id = ?1";

/// What an answer is packed against (`journal::body`): its attempt's known values and request.
const ATTEMPT_KNOWN_SQL: &str =
    "SELECT uuid, req_time, order_no, request FROM attempts WHERE id = ?1";

const ATTEMPT_INSERT_SQL: &str =
    "INSERT INTO attempts (notice_id, number, order_no, uuid, req_time, started_at,
                     os_user, host, request, run_id)
                 SELECT id, attempts + 1, order_no, ?2, ?3, ?4, ?5, ?6, ?7, ?8 FROM notices
                 WHERE id = ?1
                 RETURNING id";

/// The notice's previous final state no longer describes it: this send decides
/// anew (the first acceptance is kept apart, in `accepted_*`). Except a doubt: an
/// earlier request may still have reached the platform, and only a readable answer
/// to this one ends that.
const NOTICE_SENT_SQL: &str = "UPDATE notices SET attempts = attempts + 1, last_attempt_id = ?2,
                     first_sent_at = coalesce(first_sent_at, ?3), last_sent_at = ?3,
                     touched_at = ?3,
                     state = CASE WHEN state = 'inDoubt' THEN state END,
                     deal_code = NULL, deal_desc = NULL,
                     http_status = NULL, os_user = ?4, host = ?5, claimed_at = ?3,
                     content = coalesce(?6, content), content_fp = coalesce(?7, content_fp)
                 WHERE id = ?1";

const ATTEMPT_END_SQL: &str =
    "UPDATE attempts SET finished_at = ?2, http_status = ?3, deal_code = ?4,
                     deal_desc = ?5, error = ?6, elapsed_ms = ?7, answer = ?8, answer_cut = ?9
                 WHERE id = ?1";

const ATTEMPT_IN_DOUBT_SQL: &str = "UPDATE notices SET state = 'inDoubt'
                 WHERE id = (SELECT notice_id FROM attempts WHERE id = ?1)";

/// The answer is recorded even if the claim was lost meanwhile: it is what
/// happened. The claim is cleared only if it is still ours.
const NOTICE_END_SQL: &str =
    "UPDATE notices SET state = ?2, deal_code = ?3, deal_desc = ?4, http_status = ?5,
                     accepted_at = CASE WHEN ?7 THEN coalesce(accepted_at, ?6)
                                   ELSE accepted_at END,
                     accepted_order_no = CASE WHEN ?7 THEN order_no ELSE accepted_order_no END,
                     accepted_deal_code = CASE WHEN ?7 THEN ?3 ELSE accepted_deal_code END,
                     accepted_deal_desc = CASE WHEN ?7 THEN ?4 ELSE accepted_deal_desc END,
                     claim_host = CASE WHEN claim_run = ?8 THEN NULL ELSE claim_host END,
                     claim_pid = CASE WHEN claim_run = ?8 THEN NULL ELSE claim_pid END,
                     claim_start = CASE WHEN claim_run = ?8 THEN NULL ELSE claim_start END,
                     claimed_at = CASE WHEN claim_run = ?8 THEN NULL ELSE claimed_at END,
                     claim_run = CASE WHEN claim_run = ?8 THEN NULL ELSE claim_run END
                 WHERE id = ?1";

const RELEASE_SQL: &str =
    "UPDATE notices SET claim_host = NULL, claim_pid = NULL, claim_start = NULL,
                     claim_run = NULL, claimed_at = NULL
                 WHERE id = ?1 AND claim_run = ?2";

const WITHDRAW_ATTEMPT_SQL: &str = "DELETE FROM attempts
                 WHERE id = ?1 AND notice_id = ?2 AND EXISTS (
                     SELECT 1 FROM notices n
                     WHERE n.id = ?2 AND n.claim_run = ?3 AND n.attempts = 1
                         AND n.last_attempt_id = ?1)";

const WITHDRAW_NOTICE_SQL: &str = "DELETE FROM notices WHERE id = ?1";

const FIRST_ATTEMPT_INSERT_SQL: &str =
    "INSERT INTO attempts (id, notice_id, number, order_no, uuid, req_time,
                     started_at, os_user, host, request, run_id)
                 VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

const LAST_ATTEMPT_ID_SQL: &str = "SELECT coalesce(max(id), 0) FROM attempts";

/// A run at its start (the end columns NULL), or at its end: a run that was recorded at its
/// start gets its end, one that was not is recorded whole.
const RUN_SQL: &str =
    "INSERT INTO runs (id, started_at, os_user, host, pid, pid_start, command, input, env,
                     endpoint, production, policy_source, notices, ended_at, accepted,
                     rejected, failed, in_doubt, skipped, not_sent, rejected_earlier,
                     interrupted, exit_code, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)
                 ON CONFLICT (id) DO UPDATE SET ended_at = excluded.ended_at,
                     accepted = excluded.accepted, rejected = excluded.rejected,
                     failed = excluded.failed, in_doubt = excluded.in_doubt,
                     skipped = excluded.skipped, not_sent = excluded.not_sent,
                     rejected_earlier = excluded.rejected_earlier,
                     interrupted = excluded.interrupted, exit_code = excluded.exit_code,
                     error = excluded.error";

impl<'c> Stmts<'c> {
    pub fn prepare(conn: &'c Connection) -> rusqlite::Result<Stmts<'c>> {
        Ok(Stmts {
            find: conn.prepare(FIND_SQL)?,
            insert: conn.prepare(INSERT_SQL)?,
            reclaim: conn.prepare(RECLAIM_SQL)?,
            holder: conn.prepare(HOLDER_SQL)?,
            attempt_insert: conn.prepare(ATTEMPT_INSERT_SQL)?,
            notice_sent: conn.prepare(NOTICE_SENT_SQL)?,
            attempt_end: conn.prepare(ATTEMPT_END_SQL)?,
            attempt_known: conn.prepare(ATTEMPT_KNOWN_SQL)?,
            attempt_in_doubt: conn.prepare(ATTEMPT_IN_DOUBT_SQL)?,
            notice_end: conn.prepare(NOTICE_END_SQL)?,
            release: conn.prepare(RELEASE_SQL)?,
            withdraw_attempt: conn.prepare(WITHDRAW_ATTEMPT_SQL)?,
            withdraw_notice: conn.prepare(WITHDRAW_NOTICE_SQL)?,
            first_attempt_insert: conn.prepare(FIRST_ATTEMPT_INSERT_SQL)?,
            last_attempt_id: conn.prepare(LAST_ATTEMPT_ID_SQL)?,
            run: conn.prepare(RUN_SQL)?,
            next_attempt_id: None,
        })
    }

    /// A new transaction: what was learnt in the last one may no longer hold.
    pub fn begin(&mut self) {
        self.next_attempt_id = None;
    }

    fn take_attempt_id(&mut self) -> rusqlite::Result<i64> {
        let id = match self.next_attempt_id {
            Some(id) => id,
            None => self.last_attempt_id.query_row([], |r| r.get::<_, i64>(0))? + 1,
        };
        self.next_attempt_id = Some(id + 1);
        Ok(id)
    }
}

/// An op's result: the outer error spoils the group, the inner one is the op's own.
pub(crate) type OpResult<T> = rusqlite::Result<Result<T, JournalError>>;

struct Existing {
    id: i64,
    order_no: String,
    state: Option<String>,
    attempts: i64,
    last_open: bool,
    accepted: Option<(String, Option<String>, Option<String>)>,
    accepted_at: Option<i64>,
    holder: Option<(Owner, i64)>,
    content: Option<String>,
    content_fp: Option<String>,
    deal_code: Option<String>,
    deal_desc: Option<String>,
    last_sent_at: Option<i64>,
}

/// The journal's row for `key`, if any.
fn find(st: &mut Stmts<'_>, key: &NoticeKey) -> rusqlite::Result<Option<Existing>> {
    st.find
        .query_row(
            params![key.endpoint, key.policy_source, key.policy_no],
            |r| {
                let accepted: bool = r.get(5)?;
                let run: Option<String> = r.get(12)?;
                Ok(Existing {
                    id: r.get(0)?,
                    order_no: r.get(1)?,
                    state: r.get(2)?,
                    attempts: r.get(3)?,
                    last_open: r.get(4)?,
                    accepted: if accepted {
                        Some((
                            r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                            r.get(7)?,
                            r.get(8)?,
                        ))
                    } else {
                        None
                    },
                    holder: match run {
                        Some(run) => Some((
                            Owner {
                                host: r.get(9)?,
                                pid: r.get(10)?,
                                start: r.get(11)?,
                                run,
                            },
                            r.get(13)?,
                        )),
                        None => None,
                    },
                    accepted_at: r.get(14)?,
                    content: r.get(15)?,
                    content_fp: r.get(16)?,
                    deal_code: r.get(17)?,
                    deal_desc: r.get(18)?,
                    last_sent_at: r.get(19)?,
                })
            },
        )
        .optional()
}

/// Decides with [`rule::decide`] and records the claim: a new notice is inserted, a recorded
/// one taken over (unless skipped, refused, or held by a live other run).
pub(crate) fn claim(
    st: &mut Stmts<'_>,
    ctx: &Ctx,
    asked: ClaimNotice,
) -> rusqlite::Result<(Claim, Option<i64>)> {
    let key = &asked.key;
    let existing = find(st, key)?;
    let known = existing.as_ref().map(|n| Known {
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
    let decision = rule::decide(
        known,
        rule::Ask {
            given: asked.given.as_deref(),
            can_generate: asked.generated.is_some(),
            force: asked.resend.force,
            retry_rejected: asked.resend.retry_rejected,
            content: asked.content.as_ref(),
        },
    );
    if let Some(message) = decision
        .problem(&key.policy_no)
        .filter(|_| matches!(decision, Decision::Changed { .. }))
    {
        return Ok((Claim::ContentChanged { message }, None));
    }
    match existing {
        None => claim_new(st, ctx, decision, asked),
        Some(n) => claim_recorded(st, ctx, n, decision),
    }
}

fn claim_new(
    st: &mut Stmts<'_>,
    ctx: &Ctx,
    decision: Decision,
    asked: ClaimNotice,
) -> rusqlite::Result<(Claim, Option<i64>)> {
    let key = &asked.key;
    let order_no = match decision {
        Decision::Send(OrderNo::Generate) => asked.generated,
        Decision::Send(OrderNo::Given(order_no)) => Some(order_no),
        _ => None,
    };
    let Some(order_no) = order_no else {
        return Ok((Claim::NeedsOrderNo, None));
    };
    let o = &ctx.owner;
    let now = now_ms();
    // A notice sent at once goes in already counting its first attempt, and that attempt's
    // row after it.
    let first = asked.first.filter(|f| f.order_no == order_no);
    let first_attempt = first.as_ref().map(|_| st.take_attempt_id()).transpose()?;
    let content = first.as_ref().and(asked.content.as_ref());
    let id: i64 = st.insert.query_row(
        params![
            key.endpoint,
            key.policy_source,
            key.policy_no,
            order_no,
            now,
            ctx.user,
            ctx.host,
            o.host,
            o.pid,
            o.start,
            o.run,
            first_attempt,
            content.map(|c| &c.text),
            content.map(|c| &c.fingerprint)
        ],
        |r| r.get(0),
    )?;
    if let (Some(f), Some(attempt_id)) = (&first, first_attempt) {
        st.first_attempt_insert.execute(params![
            attempt_id,
            id,
            order_no,
            f.uuid,
            f.req_time,
            now,
            ctx.user,
            ctx.host,
            stored_body(&f.body, &request_known(&f.uuid, &f.req_time, &order_no)),
            ctx.owner.run
        ])?;
    }
    let claim = Claim::Claimed {
        notice_id: id,
        order_no,
        in_doubt: false,
        previous: None,
        correction: None,
        first_attempt,
    };
    Ok((claim, Some(id)))
}

fn claim_recorded(
    st: &mut Stmts<'_>,
    ctx: &Ctx,
    n: Existing,
    decision: Decision,
) -> rusqlite::Result<(Claim, Option<i64>)> {
    let now = now_ms();
    let o = &ctx.owner;
    if let (Decision::Skip { accepted_order_no }, Some((_, deal_code, deal_desc))) =
        (&decision, &n.accepted)
    {
        let claim = Claim::AlreadyAccepted {
            order_no: accepted_order_no.clone(),
            deal_code: deal_code.clone(),
            deal_desc: deal_desc.clone(),
        };
        return Ok((claim, None));
    }
    if let Decision::SkipRejected(rejection) = decision {
        return Ok((Claim::RejectedEarlier(rejection), None));
    }
    // Waited out before a conflict is reported: the other holder's outcome may make it a skip.
    if let Some((holder, claimed_at)) = &n.holder {
        // Our own handle counts too: two tasks must not send one notice at once.
        if holder.run == o.run || o.holder_is_live(holder, *claimed_at, now) {
            let owner = describe(&holder.host, holder.pid, &holder.run);
            return Ok((Claim::Busy { owner }, None));
        }
    }
    let correction = match &decision {
        Decision::Correct { changes, .. } => Some(changes.clone()),
        _ => None,
    };
    let order_no = match decision {
        Decision::Send(OrderNo::Given(order_no) | OrderNo::Recorded(order_no))
        | Decision::Correct {
            order_no: OrderNo::Given(order_no) | OrderNo::Recorded(order_no),
            ..
        } => order_no,
        Decision::Conflict { recorded, given } => {
            let claim = Claim::Conflict {
                journal_order_no: recorded,
                given,
            };
            return Ok((claim, None));
        }
        // A recorded notice is sent under a known orderNo, or skipped (above).
        Decision::Send(OrderNo::Generate)
        | Decision::Correct { .. }
        | Decision::Changed { .. }
        | Decision::Skip { .. }
        | Decision::SkipRejected(_)
        | Decision::OrderNoTaken { .. }
        | Decision::NeedsOrderNo => n.order_no,
    };
    st.reclaim
        .execute(params![n.id, order_no, o.host, o.pid, o.start, o.run, now])?;
    let previous = derive_state(n.state.as_deref(), n.attempts, n.last_open);
    let claim = Claim::Claimed {
        notice_id: n.id,
        order_no,
        in_doubt: previous == State::InDoubt,
        previous: Some(previous),
        correction,
        first_attempt: None,
    };
    Ok((claim, Some(n.id)))
}

/// The run holding notice `notice_id` (`None` inside when none does), and its orderNo;
/// `None` when there is no such notice.
fn holder(
    st: &mut Stmts<'_>,
    notice_id: i64,
) -> rusqlite::Result<Option<(Option<String>, String)>> {
    st.holder
        .query_row([notice_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

fn no_notice(id: i64) -> JournalError {
    JournalError::NotFound { what: "notice", id }
}

pub(crate) fn begin_attempt(st: &mut Stmts<'_>, ctx: &Ctx, op: BeginAttempt) -> OpResult<i64> {
    let notice_id = op.notice_id;
    // Refuse to record a send for a notice this handle does not hold.
    let order_no = match holder(st, notice_id)? {
        None => return Ok(Err(no_notice(notice_id))),
        Some((Some(run), order_no)) if run == ctx.owner.run => order_no,
        Some(_) => return Ok(Err(JournalError::NotClaimed { notice_id })),
    };
    let request = stored_body(
        &op.request,
        &request_known(&op.uuid, &op.req_time, &order_no),
    );
    Ok(Ok(record_attempt(
        st,
        ctx,
        notice_id,
        (&op.uuid, &op.req_time, request),
        op.content.as_ref(),
    )?))
}

/// Records an attempt of a notice this handle holds: its row, and the notice's count, times
/// and content.
fn record_attempt(
    st: &mut Stmts<'_>,
    ctx: &Ctx,
    notice_id: i64,
    (uuid, req_time, request): (&str, &str, rusqlite::types::Value),
    content: Option<&Content>,
) -> rusqlite::Result<i64> {
    let now = now_ms();
    st.next_attempt_id = None;
    let attempt_id: i64 = st.attempt_insert.query_row(
        params![
            notice_id,
            uuid,
            req_time,
            now,
            ctx.user,
            ctx.host,
            request,
            ctx.owner.run
        ],
        |r| r.get(0),
    )?;
    st.notice_sent.execute(params![
        notice_id,
        attempt_id,
        now,
        ctx.user,
        ctx.host,
        content.map(|c| &c.text),
        content.map(|c| &c.fingerprint)
    ])?;
    Ok(attempt_id)
}

pub(crate) fn finish_attempt(
    st: &mut Stmts<'_>,
    attempt_id: i64,
    end: &AttemptEnd,
) -> OpResult<()> {
    let answer = match &end.answer {
        Some(answer) => Some(packed_answer(st, attempt_id, answer)?),
        None => None,
    };
    let changed = st.attempt_end.execute(params![
        attempt_id,
        now_ms(),
        end.http_status,
        end.deal_code,
        end.deal_desc,
        end.error,
        i64::try_from(end.elapsed_ms).unwrap_or(i64::MAX),
        answer,
        end.answer_cut
    ])?;
    if changed == 0 {
        return Ok(Err(JournalError::NotFound {
            what: "attempt",
            id: attempt_id,
        }));
    }
    if end.may_have_arrived {
        // In doubt from now on, whatever the next attempts' errors say, until an answer is
        // read: a kill before the next attempt must not leave it looking failed.
        st.attempt_in_doubt.execute([attempt_id])?;
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
    st: &mut Stmts<'_>,
    ctx: &Ctx,
    notice_id: i64,
    last_attempt: Option<(i64, &AttemptEnd)>,
    f: Finish<'_>,
) -> OpResult<()> {
    if holder(st, notice_id)?.is_none() {
        return Ok(Err(no_notice(notice_id)));
    }
    if let Some((attempt_id, end)) = last_attempt {
        // Writes nothing when it refuses, so returning here leaves the group clean.
        if let Err(e) = finish_attempt(st, attempt_id, end)? {
            return Ok(Err(e));
        }
    }
    let state = match f.outcome {
        Outcome::Accepted => State::Accepted,
        Outcome::Rejected => State::Rejected,
        Outcome::Failed => State::Failed,
        Outcome::InDoubt => State::InDoubt,
        // Nothing was decided: keep what the journal knew.
        Outcome::Skipped | Outcome::NotSent => return release(st, ctx, notice_id),
    };
    st.notice_end.execute(params![
        notice_id,
        state.as_str(),
        f.deal_code,
        f.deal_desc,
        f.http_status,
        now_ms(),
        state == State::Accepted,
        ctx.owner.run
    ])?;
    Ok(Ok(()))
}

/// Deletes a notice created with its first attempt by [`claim`], and that attempt, when the
/// attempt was never sent. Only a notice this handle holds with that one attempt goes; any
/// other is left as it is and merely released.
pub(crate) fn withdraw(
    st: &mut Stmts<'_>,
    ctx: &Ctx,
    notice_id: i64,
    attempt_id: i64,
) -> OpResult<()> {
    // The attempt first: it refers to the notice.
    let gone = st
        .withdraw_attempt
        .execute(params![attempt_id, notice_id, ctx.owner.run])?;
    if gone == 1 {
        st.withdraw_notice.execute([notice_id])?;
        return Ok(Ok(()));
    }
    release(st, ctx, notice_id)
}

pub(crate) fn release(st: &mut Stmts<'_>, ctx: &Ctx, notice_id: i64) -> OpResult<()> {
    st.release.execute(params![notice_id, ctx.owner.run])?;
    Ok(Ok(()))
}

/// Records this handle's run (its id is the owner's run id) with who runs it, and its end when
/// it has one: see [`RUN_SQL`].
pub(crate) fn record_run(
    st: &mut Stmts<'_>,
    ctx: &Ctx,
    run: &RunDetails,
    end: Option<&crate::journal::FinishRun>,
) -> OpResult<()> {
    let o = &ctx.owner;
    let counts = end.map(|e| &e.counts);
    let count = |pick: fn(&RunCounts) -> u64| counts.map(|c| sql_count(pick(c)));
    st.run.execute(params![
        o.run,
        run.started_at.timestamp_millis(),
        ctx.user,
        ctx.host,
        o.pid,
        o.start,
        run.command,
        run.input,
        run.env,
        run.endpoint,
        run.production,
        run.policy_source,
        sql_count(run.notices),
        end.map(|e| e.ended_at.timestamp_millis()),
        count(|c| c.accepted),
        count(|c| c.rejected),
        count(|c| c.failed),
        count(|c| c.in_doubt),
        count(|c| c.skipped),
        count(|c| c.not_sent),
        count(|c| c.rejected_earlier),
        end.map(|e| e.interrupted),
        end.map(|e| e.exit_code),
        end.and_then(|e| e.error.as_deref())
    ])?;
    Ok(Ok(()))
}

/// A count as SQLite keeps it: a signed 64-bit integer.
fn sql_count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// An answer packed against its attempt's known values and its request, whose values it
/// echoes. An attempt that is not there gets its answer packed against nothing: recording it
/// is refused anyway.
fn packed_answer(
    st: &mut Stmts<'_>,
    attempt_id: i64,
    answer: &[u8],
) -> rusqlite::Result<rusqlite::types::Value> {
    let known = st
        .attempt_known
        .query_row([attempt_id], |r| {
            let (uuid, req_time, order_no): (String, String, String) =
                (r.get(0)?, r.get(1)?, r.get(2)?);
            let known = request_known(&uuid, &req_time, &order_no);
            let request = super::bodies::body_bytes(r, 3, &known, true)?.unwrap_or_default();
            Ok((uuid, req_time, order_no, request))
        })
        .optional()?;
    let Some((uuid, req_time, order_no, request)) = known else {
        return Ok(stored_body(answer, &[]));
    };
    let [u, t, o] = request_known(&uuid, &req_time, &order_no);
    Ok(stored_body(answer, &[u, t, o, &request]))
}
