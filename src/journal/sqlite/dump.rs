//! A SQLite journal read whole, and written into, for `journal copy` (see `journal/copy.rs`).

use super::bodies::{body_bytes, request_known, stored_body};
use super::schema::{self, classify, SCHEMA_VERSION};
use crate::journal::copy::{plan, Attempt, Copied, CopyError, Dump, Notice, Run, Written};
use crate::journal::{JournalError, JournalSync, NoticeKey};
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::collections::HashMap;
use std::path::Path;

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

/// The whole journal at `path`; `None` when there is none.
pub(crate) fn read(path: &Path) -> Result<Option<Dump>, CopyError> {
    let Some((conn, version)) = schema::open_read(path)? else {
        return Ok(None);
    };
    if version != SCHEMA_VERSION {
        return Err(CopyError::Old {
            from: path.display().to_string(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    let c = |e| classify(path, e);
    // One read transaction: the notices and their attempts as of one moment.
    conn.execute_batch("BEGIN").map_err(c)?;
    let mut last = HashMap::new();
    let mut notices: Vec<Notice> = Vec::new();
    let mut index = HashMap::new();
    let sql = format!("SELECT {NOTICE_COLUMNS} FROM notices n ORDER BY n.id");
    let mut stmt = conn.prepare(&sql).map_err(c)?;
    let mut rows = stmt.query([]).map_err(c)?;
    while let Some(r) = rows.next().map_err(c)? {
        let (notice, id, last_attempt) = notice(r).map_err(c)?;
        index.insert(id, notices.len());
        last.insert(id, last_attempt);
        notices.push(notice);
    }
    let sql = format!("SELECT {ATTEMPT_COLUMNS} FROM attempts a ORDER BY a.notice_id, a.number");
    let mut stmt = conn.prepare(&sql).map_err(c)?;
    let mut rows = stmt.query([]).map_err(c)?;
    while let Some(r) = rows.next().map_err(c)? {
        let (mut attempt, id, notice_id) = attempt(r).map_err(c)?;
        attempt.last = last.get(&notice_id) == Some(&Some(id));
        if let Some(&i) = index.get(&notice_id) {
            notices[i].tried.push(attempt);
        }
    }
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY started_at, rowid");
    let runs = conn
        .prepare(&sql)
        .and_then(|mut s| s.query_map([], run)?.collect::<Result<Vec<_>, _>>())
        .map_err(c)?;
    Ok(Some(Dump { notices, runs }))
}

fn notice(r: &Row<'_>) -> rusqlite::Result<(Notice, i64, Option<i64>)> {
    let notice = Notice {
        key: NoticeKey {
            endpoint: r.get(0)?,
            policy_source: r.get(1)?,
            policy_no: r.get(2)?,
        },
        order_no: r.get(3)?,
        state: r.get(4)?,
        deal_code: r.get(5)?,
        deal_desc: r.get(6)?,
        http_status: r.get(7)?,
        attempts: r.get(8)?,
        created_at: r.get(9)?,
        touched_at: r.get(10)?,
        first_sent_at: r.get(11)?,
        last_sent_at: r.get(12)?,
        os_user: r.get(13)?,
        host: r.get(14)?,
        accepted_at: r.get(15)?,
        accepted_order_no: r.get(16)?,
        accepted_deal_code: r.get(17)?,
        accepted_deal_desc: r.get(18)?,
        content: r.get(19)?,
        content_fp: r.get(20)?,
        tried: Vec::new(),
    };
    Ok((notice, r.get(21)?, r.get(22)?))
}

fn attempt(r: &Row<'_>) -> rusqlite::Result<(Attempt, i64, i64)> {
    let attempt = Attempt {
        number: r.get(0)?,
        order_no: r.get(1)?,
        uuid: r.get(2)?,
        req_time: r.get(3)?,
        started_at: r.get(4)?,
        finished_at: r.get(5)?,
        http_status: r.get(6)?,
        deal_code: r.get(7)?,
        deal_desc: r.get(8)?,
        error: r.get(9)?,
        elapsed_ms: r.get(10)?,
        os_user: r.get(11)?,
        host: r.get(12)?,
        request: None,
        answer: None,
        answer_cut: r.get(15)?,
        run_id: r.get(16)?,
        last: false,
    };
    // Bodies are kept packed against the values beside them (`sqlite/bodies.rs`); the copy
    // carries them as they were sent and received.
    let known = request_known(&attempt.uuid, &attempt.req_time, &attempt.order_no);
    let request = body_bytes(r, 13, &known, true)?;
    let [u, t, o] = known;
    let with_request = [u, t, o, request.as_deref().unwrap_or_default()];
    let answer = body_bytes(r, 14, &with_request, true)?;
    let attempt = Attempt {
        request,
        answer,
        ..attempt
    };
    Ok((attempt, r.get(17)?, r.get(18)?))
}

fn run(r: &Row<'_>) -> rusqlite::Result<Run> {
    Ok(Run {
        id: r.get(0)?,
        started_at: r.get(1)?,
        ended_at: r.get(2)?,
        os_user: r.get(3)?,
        host: r.get(4)?,
        pid: r.get(5)?,
        pid_start: r.get(6)?,
        command: r.get(7)?,
        input: r.get(8)?,
        env: r.get(9)?,
        endpoint: r.get(10)?,
        production: r.get(11)?,
        policy_source: r.get(12)?,
        notices: r.get(13)?,
        counts: [
            r.get(14)?,
            r.get(15)?,
            r.get(16)?,
            r.get(17)?,
            r.get(18)?,
            r.get(19)?,
            r.get(20)?,
        ],
        interrupted: r.get(21)?,
        exit_code: r.get(22)?,
        error: r.get(23)?,
    })
}

/// Writes `dump` into the journal at `path` (created if need be) in one transaction, or
/// nothing when the journal records any of it otherwise.
pub(crate) fn write(path: &Path, dump: &Dump) -> Result<Written, JournalError> {
    let conn = schema::open_write(path, JournalSync::Normal, schema::BUSY_TIMEOUT)?;
    let c = |e| classify(path, e);
    conn.execute_batch("BEGIN IMMEDIATE").map_err(c)?;
    let written = write_in(&conn, dump, path);
    match &written {
        Ok(Ok(_)) => conn.execute_batch("COMMIT").map_err(c)?,
        _ => {
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
    written
}

/// The target's record of `k`, attempts and all.
fn find_notice(conn: &Connection, k: &NoticeKey) -> rusqlite::Result<Option<Notice>> {
    let sql = format!(
        "SELECT {NOTICE_COLUMNS} FROM notices n
         WHERE n.endpoint = ?1 AND n.policy_source = ?2 AND n.policy_no = ?3"
    );
    let found = conn
        .prepare_cached(&sql)?
        .query_row(params![k.endpoint, k.policy_source, k.policy_no], notice)
        .optional()?;
    let Some((mut n, id, last)) = found else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT {ATTEMPT_COLUMNS} FROM attempts a WHERE a.notice_id = ?1 ORDER BY a.number"
    );
    n.tried = conn
        .prepare_cached(&sql)?
        .query_map([id], attempt)?
        .map(|a| {
            a.map(|(mut a, aid, _)| {
                a.last = Some(aid) == last;
                a
            })
        })
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(n))
}

fn write_in(conn: &Connection, dump: &Dump, path: &Path) -> Result<Written, JournalError> {
    let c = |e| classify(path, e);
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1");
    let planned = plan(
        dump,
        |k| find_notice(conn, k).map_err(c),
        |id| {
            conn.prepare_cached(&sql)
                .and_then(|mut s| s.query_row([id], run).optional())
                .map_err(c)
        },
    )?;
    let (notices, runs, already) = match planned {
        Ok(p) => p,
        Err(differ) => return Ok(Err(differ)),
    };
    let mut copied = Copied {
        already,
        ..Copied::default()
    };
    for r in runs {
        insert_run(conn, r).map_err(c)?;
        copied.runs += 1;
    }
    for n in notices {
        copied.attempts += insert_notice(conn, n).map_err(c)?;
        copied.notices += 1;
    }
    Ok(Ok(copied))
}

fn insert_run(conn: &Connection, r: &Run) -> rusqlite::Result<()> {
    let c = &r.counts;
    conn.prepare_cached(&format!(
        "INSERT INTO runs ({RUN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,
             ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)"
    ))?
    .execute(params![
        r.id,
        r.started_at,
        r.ended_at,
        r.os_user,
        r.host,
        r.pid,
        r.pid_start,
        r.command,
        r.input,
        r.env,
        r.endpoint,
        r.production,
        r.policy_source,
        r.notices,
        c[0],
        c[1],
        c[2],
        c[3],
        c[4],
        c[5],
        c[6],
        r.interrupted,
        r.exit_code,
        r.error
    ])?;
    Ok(())
}

/// An attempt's request and answer as this journal keeps them: packed against the values
/// beside them, as the writer packs them (`sqlite/bodies.rs`).
fn stored(a: &Attempt) -> (Value, Value) {
    let known = request_known(&a.uuid, &a.req_time, &a.order_no);
    let request = a
        .request
        .as_deref()
        .map_or(Value::Null, |b| stored_body(b, &known));
    let [u, t, o] = known;
    let with_request = [u, t, o, a.request.as_deref().unwrap_or_default()];
    let answer = a
        .answer
        .as_deref()
        .map_or(Value::Null, |b| stored_body(b, &with_request));
    (request, answer)
}

/// The notice and its attempts; answers how many attempts.
fn insert_notice(conn: &Connection, n: &Notice) -> rusqlite::Result<u64> {
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO notices (endpoint, policy_source, policy_no, order_no, state, deal_code,
                 deal_desc, http_status, attempts, created_at, touched_at, first_sent_at,
                 last_sent_at, os_user, host, accepted_at, accepted_order_no,
                 accepted_deal_code, accepted_deal_desc, content, content_fp)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, ?21)
             RETURNING id",
        )?
        .query_row(
            params![
                n.key.endpoint,
                n.key.policy_source,
                n.key.policy_no,
                n.order_no,
                n.state,
                n.deal_code,
                n.deal_desc,
                n.http_status,
                n.attempts,
                n.created_at,
                n.touched_at,
                n.first_sent_at,
                n.last_sent_at,
                n.os_user,
                n.host,
                n.accepted_at,
                n.accepted_order_no,
                n.accepted_deal_code,
                n.accepted_deal_desc,
                n.content,
                n.content_fp
            ],
            |r| r.get(0),
        )?;
    for a in &n.tried {
        let (request, answer) = stored(a);
        let attempt_id: i64 = conn
            .prepare_cached(
                "INSERT INTO attempts (notice_id, number, order_no, uuid, req_time, started_at,
                     finished_at, http_status, deal_code, deal_desc, error, elapsed_ms, os_user,
                     host, request, answer, answer_cut, run_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18)
                 RETURNING id",
            )?
            .query_row(
                params![
                    id,
                    a.number,
                    a.order_no,
                    a.uuid,
                    a.req_time,
                    a.started_at,
                    a.finished_at,
                    a.http_status,
                    a.deal_code,
                    a.deal_desc,
                    a.error,
                    a.elapsed_ms,
                    a.os_user,
                    a.host,
                    request,
                    answer,
                    a.answer_cut,
                    a.run_id
                ],
                |r| r.get(0),
            )?;
        if a.last {
            conn.prepare_cached("UPDATE notices SET last_attempt_id = ?2 WHERE id = ?1")?
                .execute([id, attempt_id])?;
        }
    }
    Ok(n.tried.len() as u64)
}
