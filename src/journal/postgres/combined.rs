//! The common ops' several writes as one statement each, so that each costs one round trip
//! to the server: a new notice with its claim, lock and first attempt; a notice's outcome
//! with its last attempt's. The writer waits for every statement's answer, so round trips,
//! not the server's work, bound a journal's speed.

use super::tx::{now_ms, Tx};
use super::Ctx;
use crate::journal::{AttemptEnd, ClaimNotice, FirstAttempt, State};

type Sql<T> = Result<T, postgres::Error>;

/// A notice inserted and claimed: its id, whether its advisory lock was had, and its first
/// attempt's id when it came with one.
pub(crate) struct Inserted {
    pub id: i64,
    pub locked: bool,
    pub first_attempt: Option<i64>,
}

/// The attempt's id is drawn first so that the notice row names it when inserted: a row
/// cannot be inserted and updated by one statement.
const INSERT_SQL: &str = "WITH a AS (
        SELECT CASE WHEN $12::boolean THEN nextval(pg_get_serial_sequence('attempts', 'id')) END AS id
    ), n AS (
        INSERT INTO notices (endpoint, policy_source, policy_no, order_no, created_at,
            touched_at, os_user, host, claim_host, claim_pid, claim_start, claim_run,
            claimed_at, attempts, last_attempt_id, first_sent_at, last_sent_at, content,
            content_fp)
        SELECT $1, $2, $3, $4, $5::bigint, $5::bigint, $6, $7, $8, $9, $10, $11, $5::bigint,
            CASE WHEN $12::boolean THEN 1 ELSE 0 END, a.id, CASE WHEN $12::boolean THEN $5::bigint END,
            CASE WHEN $12::boolean THEN $5::bigint END, CASE WHEN $12::boolean THEN $16::text END,
            CASE WHEN $12::boolean THEN $17::text END
        FROM a
        ON CONFLICT DO NOTHING RETURNING id, order_no
    ), ins AS (
        INSERT INTO attempts (id, notice_id, number, order_no, uuid, req_time, started_at,
            os_user, host, request, run_id)
        SELECT a.id, n.id, 1, n.order_no, $13, $14, $5::bigint, $6, $7, $15, $11
        FROM n, a WHERE $12::boolean
        RETURNING id
    )
    SELECT n.id, pg_try_advisory_lock(n.id), (SELECT id FROM ins) FROM n";

/// Inserts a new notice claimed by this handle, with its first attempt when `first` is
/// given, and tries its lock; `None` when the notice was recorded meanwhile.
pub(crate) fn insert_claimed(
    tx: &mut Tx<'_, '_>,
    ctx: &Ctx,
    asked: &ClaimNotice,
    order_no: &str,
    first: Option<&FirstAttempt>,
) -> Sql<Option<Inserted>> {
    let o = &ctx.owner;
    let key = &asked.key;
    let content = asked.content.as_ref();
    let row = tx.query_opt(
        INSERT_SQL,
        &[
            &key.endpoint,
            &key.policy_source,
            &key.policy_no,
            &order_no,
            &now_ms(),
            &ctx.user,
            &ctx.host,
            &o.host,
            &i64::from(o.pid),
            &o.start,
            &o.run,
            &first.is_some(),
            &first.map_or("", |f| f.uuid.as_str()),
            &first.map_or("", |f| f.req_time.as_str()),
            &first.map(|f| f.body.as_slice()),
            &content.map(|c| c.text.as_str()),
            &content.map(|c| c.fingerprint.as_str()),
        ],
    )?;
    Ok(row.map(|r| Inserted {
        id: r.get(0),
        locked: r.get(1),
        first_attempt: r.get(2),
    }))
}

/// What [`finish_notice`] found.
pub(crate) struct Finished {
    /// The notice exists.
    pub notice: bool,
    /// The attempt named exists (true when none was).
    pub attempt: bool,
    /// The notice's row was updated.
    pub updated: bool,
}

/// The last attempt's end and the notice's outcome, written only when both rows exist.
const FINISH_SQL: &str = "WITH before AS (
        SELECT id FROM notices WHERE id = $1
    ), fa AS (
        UPDATE attempts SET finished_at = $6::bigint, http_status = $10, deal_code = $11,
            deal_desc = $12, error = $13, elapsed_ms = $14, answer = $15, answer_cut = $16
        WHERE id = $9 AND EXISTS (SELECT 1 FROM before)
        RETURNING id
    ), up AS (
        UPDATE notices SET state = $2, deal_code = $3::text, deal_desc = $4::text, http_status = $5,
            accepted_at = CASE WHEN $7::boolean THEN coalesce(accepted_at, $6::bigint) ELSE accepted_at END,
            accepted_order_no = CASE WHEN $7::boolean THEN order_no ELSE accepted_order_no END,
            accepted_deal_code = CASE WHEN $7::boolean THEN $3::text ELSE accepted_deal_code END,
            accepted_deal_desc = CASE WHEN $7::boolean THEN $4::text ELSE accepted_deal_desc END,
            claim_host = CASE WHEN claim_run = $8::text THEN NULL ELSE claim_host END,
            claim_pid = CASE WHEN claim_run = $8::text THEN NULL ELSE claim_pid END,
            claim_start = CASE WHEN claim_run = $8::text THEN NULL ELSE claim_start END,
            claimed_at = CASE WHEN claim_run = $8::text THEN NULL ELSE claimed_at END,
            claim_run = CASE WHEN claim_run = $8::text THEN NULL ELSE claim_run END
        WHERE id = $1 AND ($9::bigint IS NULL OR EXISTS (SELECT 1 FROM fa))
        RETURNING id
    )
    SELECT EXISTS (SELECT 1 FROM before), $9::bigint IS NULL OR EXISTS (SELECT 1 FROM fa),
        EXISTS (SELECT 1 FROM up)";

/// The outcome a notice ends with, as written by [`finish_notice`].
pub(crate) struct Ending<'a> {
    pub state: State,
    pub deal_code: Option<&'a str>,
    pub deal_desc: Option<&'a str>,
    pub http_status: Option<u16>,
}

/// Ends notice `notice_id` with `outcome`, and its last attempt with `end` (which must not
/// leave the notice in doubt: that is written by a statement of its own).
pub(crate) fn finish_notice(
    tx: &mut Tx<'_, '_>,
    ctx: &Ctx,
    notice_id: i64,
    last: Option<(i64, &AttemptEnd)>,
    outcome: &Ending<'_>,
) -> Sql<Finished> {
    let end = last.map(|(_, end)| end);
    let row = tx.query_one(
        FINISH_SQL,
        &[
            &notice_id,
            &outcome.state.as_str(),
            &outcome.deal_code,
            &outcome.deal_desc,
            &outcome.http_status.map(i64::from),
            &now_ms(),
            &(outcome.state == State::Accepted),
            &ctx.owner.run,
            &last.map(|(id, _)| id),
            &end.and_then(|e| e.http_status).map(i64::from),
            &end.and_then(|e| e.deal_code.as_deref()),
            &end.and_then(|e| e.deal_desc.as_deref()),
            &end.and_then(|e| e.error.as_deref()),
            &end.map(|e| i64::try_from(e.elapsed_ms).unwrap_or(i64::MAX)),
            &end.and_then(|e| e.answer.as_deref()),
            &end.map(|e| e.answer_cut),
        ],
    )?;
    Ok(Finished {
        notice: row.get(0),
        attempt: row.get(1),
        updated: row.get(2),
    })
}
