//! A PostgreSQL journal read whole, and written into, for `journal copy` (see
//! `journal/copy.rs`). On a thread of its own, as every use of the synchronous client.

use super::connect::connect;
use super::schema::{self, store, SCHEMA_VERSION};
use crate::journal::copy::{plan, Attempt, Copied, CopyError, Dump, Notice, Run, Written};
use crate::journal::location::PgLocation;
use crate::journal::{JournalError, NoticeKey};
use postgres::{GenericClient, Row, Transaction};
use std::collections::HashMap;

const NOTICE_COLUMNS: &str = "n.endpoint, n.policy_source, n.policy_no, n.order_no, n.state,
    n.deal_code, n.deal_desc, n.http_status, n.attempts, n.created_at, n.touched_at,
    n.first_sent_at, n.last_sent_at, n.os_user, n.host, n.accepted_at, n.accepted_order_no,
    n.accepted_deal_code, n.accepted_deal_desc, n.content, n.content_fp, n.id,
    n.last_attempt_id";

const ATTEMPT_COLUMNS: &str = "a.number, a.order_no, a.uuid, a.req_time, a.started_at,
    a.finished_at, a.http_status, a.deal_code, a.deal_desc, a.error, a.elapsed_ms, a.os_user,
    a.host, a.request, a.answer, a.answer_cut, a.run_id, a.id, a.notice_id";

const RUN_COLUMNS: &str = "id, started_at, ended_at, os_user, host, pid, pid_start, command,
    input, env, endpoint, production, policy_source, notices, accepted, rejected, failed,
    in_doubt, skipped, not_sent, rejected_earlier, interrupted, exit_code, error";

/// `work` on a thread of its own, which the client may block.
fn apart<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|s| s.spawn(work).join()).unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// The whole journal in `at`; `None` when the database holds none.
pub(crate) fn read(at: &PgLocation) -> Result<Option<Dump>, CopyError> {
    apart(|| {
        let mut client = connect(at)?;
        let Some(version) = schema::version(&mut client, at)? else {
            return Ok(None);
        };
        if version != SCHEMA_VERSION {
            return Err(CopyError::Old {
                from: at.to_string(),
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        // One snapshot: the notices and their attempts as of one moment.
        let mut tx = client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(|e| store(at, &e))?;
        Ok(Some(read_in(&mut tx).map_err(|e| store(at, &e))?))
    })
}

fn read_in(tx: &mut Transaction<'_>) -> Result<Dump, postgres::Error> {
    let mut notices = Vec::new();
    let mut index = HashMap::new();
    let mut last = HashMap::new();
    for r in tx.query(
        &format!("SELECT {NOTICE_COLUMNS} FROM notices n ORDER BY n.id"),
        &[],
    )? {
        let (n, id, last_attempt) = notice(&r);
        index.insert(id, notices.len());
        last.insert(id, last_attempt);
        notices.push(n);
    }
    let sql = format!("SELECT {ATTEMPT_COLUMNS} FROM attempts a ORDER BY a.notice_id, a.number");
    for r in tx.query(&sql, &[])? {
        let (mut a, id, notice_id) = attempt(&r);
        a.last = last.get(&notice_id) == Some(&Some(id));
        if let Some(&i) = index.get(&notice_id) {
            notices[i].tried.push(a);
        }
    }
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY started_at, id");
    let runs = tx.query(&sql, &[])?.iter().map(run).collect();
    Ok(Dump { notices, runs })
}

fn notice(r: &Row) -> (Notice, i64, Option<i64>) {
    let n = Notice {
        key: NoticeKey {
            endpoint: r.get(0),
            policy_source: r.get(1),
            policy_no: r.get(2),
        },
        order_no: r.get(3),
        state: r.get(4),
        deal_code: r.get(5),
        deal_desc: r.get(6),
        http_status: r.get(7),
        attempts: r.get(8),
        created_at: r.get(9),
        touched_at: r.get(10),
        first_sent_at: r.get(11),
        last_sent_at: r.get(12),
        os_user: r.get(13),
        host: r.get(14),
        accepted_at: r.get(15),
        accepted_order_no: r.get(16),
        accepted_deal_code: r.get(17),
        accepted_deal_desc: r.get(18),
        content: r.get(19),
        content_fp: r.get(20),
        tried: Vec::new(),
    };
    (n, r.get(21), r.get(22))
}

fn attempt(r: &Row) -> (Attempt, i64, i64) {
    let a = Attempt {
        number: r.get(0),
        order_no: r.get(1),
        uuid: r.get(2),
        req_time: r.get(3),
        started_at: r.get(4),
        finished_at: r.get(5),
        http_status: r.get(6),
        deal_code: r.get(7),
        deal_desc: r.get(8),
        error: r.get(9),
        elapsed_ms: r.get(10),
        os_user: r.get(11),
        host: r.get(12),
        request: r.get(13),
        answer: r.get(14),
        answer_cut: r.get(15),
        run_id: r.get(16),
        last: false,
    };
    (a, r.get(17), r.get(18))
}

fn run(r: &Row) -> Run {
    Run {
        id: r.get(0),
        started_at: r.get(1),
        ended_at: r.get(2),
        os_user: r.get(3),
        host: r.get(4),
        pid: r.get(5),
        pid_start: r.get(6),
        command: r.get(7),
        input: r.get(8),
        env: r.get(9),
        endpoint: r.get(10),
        production: r.get(11),
        policy_source: r.get(12),
        notices: r.get(13),
        counts: [
            r.get(14),
            r.get(15),
            r.get(16),
            r.get(17),
            r.get(18),
            r.get(19),
            r.get(20),
        ],
        interrupted: r.get(21),
        exit_code: r.get(22),
        error: r.get(23),
    }
}

/// Writes `dump` into the database at `at` (its tables made if need be) in one transaction,
/// or nothing when the journal records any of it otherwise.
pub(crate) fn write(at: &PgLocation, dump: &Dump) -> Result<Written, JournalError> {
    apart(|| {
        let mut client = connect(at)?;
        schema::migrate(&mut client, at)?;
        let mut tx = client.transaction().map_err(|e| store(at, &e))?;
        // Writers wait until the copy is in: no claim is decided on a half-copied journal.
        tx.batch_execute("LOCK TABLE notices, attempts, runs IN EXCLUSIVE MODE")
            .map_err(|e| store(at, &e))?;
        let written = write_in(&mut tx, dump, at)?;
        if written.is_ok() {
            tx.commit().map_err(|e| store(at, &e))?;
        }
        Ok(written)
    })
}

fn find_notice(tx: &mut Transaction<'_>, k: &NoticeKey) -> Result<Option<Notice>, postgres::Error> {
    let sql = format!(
        "SELECT {NOTICE_COLUMNS} FROM notices n
         WHERE n.endpoint = $1 AND n.policy_source = $2 AND n.policy_no = $3"
    );
    let Some(r) = tx.query_opt(&sql, &[&k.endpoint, &k.policy_source, &k.policy_no])? else {
        return Ok(None);
    };
    let (mut n, id, last) = notice(&r);
    let sql = format!(
        "SELECT {ATTEMPT_COLUMNS} FROM attempts a WHERE a.notice_id = $1 ORDER BY a.number"
    );
    n.tried = tx
        .query(&sql, &[&id])?
        .iter()
        .map(|r| {
            let (mut a, aid, _) = attempt(r);
            a.last = Some(aid) == last;
            a
        })
        .collect();
    Ok(Some(n))
}

fn write_in(
    tx: &mut Transaction<'_>,
    dump: &Dump,
    at: &PgLocation,
) -> Result<Written, JournalError> {
    let c = |e: postgres::Error| store(at, &e);
    let tx = std::cell::RefCell::new(tx);
    let planned = plan(
        dump,
        |k| find_notice(&mut tx.borrow_mut(), k).map_err(c),
        |id| {
            let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = $1");
            let row = tx.borrow_mut().query_opt(&sql, &[&id]).map_err(c)?;
            Ok(row.as_ref().map(run))
        },
    )?;
    let (notices, runs, already) = match planned {
        Ok(p) => p,
        Err(differ) => return Ok(Err(differ)),
    };
    let tx = tx.into_inner();
    let mut copied = Copied {
        already,
        ..Copied::default()
    };
    for r in runs {
        insert_run(tx, r).map_err(c)?;
        copied.runs += 1;
    }
    for n in notices {
        copied.attempts += insert_notice(tx, n).map_err(c)?;
        copied.notices += 1;
    }
    Ok(Ok(copied))
}

fn insert_run(tx: &mut impl GenericClient, r: &Run) -> Result<(), postgres::Error> {
    let c = &r.counts;
    tx.execute(
        &format!(
            "INSERT INTO runs ({RUN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                 $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)"
        ),
        &[
            &r.id,
            &r.started_at,
            &r.ended_at,
            &r.os_user,
            &r.host,
            &r.pid,
            &r.pid_start,
            &r.command,
            &r.input,
            &r.env,
            &r.endpoint,
            &r.production,
            &r.policy_source,
            &r.notices,
            &c[0],
            &c[1],
            &c[2],
            &c[3],
            &c[4],
            &c[5],
            &c[6],
            &r.interrupted,
            &r.exit_code,
            &r.error,
        ],
    )?;
    Ok(())
}

/// The notice and its attempts; answers how many attempts.
fn insert_notice(tx: &mut impl GenericClient, n: &Notice) -> Result<u64, postgres::Error> {
    let id: i64 = tx
        .query_one(
            "INSERT INTO notices (endpoint, policy_source, policy_no, order_no, state, deal_code,
                 deal_desc, http_status, attempts, created_at, touched_at, first_sent_at,
                 last_sent_at, os_user, host, accepted_at, accepted_order_no,
                 accepted_deal_code, accepted_deal_desc, content, content_fp)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19, $20, $21)
             RETURNING id",
            &[
                &n.key.endpoint,
                &n.key.policy_source,
                &n.key.policy_no,
                &n.order_no,
                &n.state,
                &n.deal_code,
                &n.deal_desc,
                &n.http_status,
                &n.attempts,
                &n.created_at,
                &n.touched_at,
                &n.first_sent_at,
                &n.last_sent_at,
                &n.os_user,
                &n.host,
                &n.accepted_at,
                &n.accepted_order_no,
                &n.accepted_deal_code,
                &n.accepted_deal_desc,
                &n.content,
                &n.content_fp,
            ],
        )?
        .get(0);
    for a in &n.tried {
        let attempt_id: i64 = tx
            .query_one(
                "INSERT INTO attempts (notice_id, number, order_no, uuid, req_time, started_at,
                     finished_at, http_status, deal_code, deal_desc, error, elapsed_ms, os_user,
                     host, request, answer, answer_cut, run_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                     $17, $18)
                 RETURNING id",
                &[
                    &id,
                    &a.number,
                    &a.order_no,
                    &a.uuid,
                    &a.req_time,
                    &a.started_at,
                    &a.finished_at,
                    &a.http_status,
                    &a.deal_code,
                    &a.deal_desc,
                    &a.error,
                    &a.elapsed_ms,
                    &a.os_user,
                    &a.host,
                    &a.request,
                    &a.answer,
                    &a.answer_cut,
                    &a.run_id,
                ],
            )?
            .get(0);
        if a.last {
            tx.execute(
                "UPDATE notices SET last_attempt_id = $2 WHERE id = $1",
                &[&id, &attempt_id],
            )?;
        }
    }
    Ok(n.tried.len() as u64)
}
