//! Schema upgrades, one step per version, each run by the opening writer inside its
//! `BEGIN IMMEDIATE` transaction: a journal is either wholly at the old version or wholly at
//! the new one, and two processes opening an old journal at once upgrade it once.

use rusqlite::{params, Connection};

/// A step takes the schema from the version before it to its own.
type Step = fn(&Connection) -> rusqlite::Result<()>;

/// Every upgrade, in version order. The last entry's version is the schema version.
pub(crate) const STEPS: &[(i64, Step)] = &[
    (2, normalize_endpoints),
    (3, keep_content),
    (4, index_order_numbers),
    (5, record_runs),
    (6, pack_bodies),
];

/// Runs the steps after `from`; the caller sets `user_version` once they all succeeded.
pub(crate) fn upgrade(conn: &Connection, from: i64) -> rusqlite::Result<()> {
    for (version, step) in STEPS {
        if *version > from {
            step(conn)?;
        }
    }
    Ok(())
}

/// The endpoint key as this version writes it; one that does not parse stays as recorded.
pub(crate) fn endpoint_key(recorded: &str) -> String {
    crate::base_url::normalize(recorded).unwrap_or_else(|_| recorded.to_string())
}

/// The latest thing that happened to notice `n`, for choosing which of two rows to keep.
pub(crate) const ACTIVITY_SQL: &str = "max(n.touched_at, coalesce(n.last_sent_at, 0),
     coalesce((SELECT max(coalesce(a.finished_at, a.started_at)) FROM attempts a
               WHERE a.notice_id = n.id), 0))";

/// Of several rows for one notice, the one to keep comes first: the one accepted first, else
/// the one with the latest activity. Readers of a journal not yet upgraded use the same order.
pub(crate) fn keeper_order() -> String {
    format!("n.accepted_at IS NULL, n.accepted_at, {ACTIVITY_SQL} DESC, n.id DESC")
}

/// Version 2: endpoints in the one canonical spelling of `crate::base_url::normalize`. Older
/// versions keyed notices by the base URL as typed, so one notice could be recorded (and
/// accepted) under two spellings; such rows become one.
fn normalize_endpoints(conn: &Connection) -> rusqlite::Result<()> {
    let recorded: Vec<String> = conn
        .prepare("SELECT DISTINCT endpoint FROM notices")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let moves: Vec<(String, String)> = recorded
        .into_iter()
        .map(|old| {
            let new = endpoint_key(&old);
            (old, new)
        })
        .collect();
    if moves.iter().all(|(old, new)| old == new) {
        return Ok(());
    }
    conn.execute_batch(
        "CREATE TEMP TABLE endpoint_moves (old TEXT PRIMARY KEY, new TEXT NOT NULL)",
    )?;
    {
        let mut insert = conn.prepare("INSERT INTO temp.endpoint_moves VALUES (?1, ?2)")?;
        for (old, new) in &moves {
            insert.execute(params![old, new])?;
        }
    }
    let collisions: Vec<(String, String, String)> = conn
        .prepare(
            "SELECT n.policy_no, n.policy_source, m.new
             FROM notices n JOIN temp.endpoint_moves m ON m.old = n.endpoint
             GROUP BY n.policy_no, n.policy_source, m.new HAVING count(*) > 1",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (policy_no, policy_source, endpoint) in &collisions {
        let ids: Vec<i64> = conn
            .prepare(&format!(
                "SELECT n.id FROM notices n JOIN temp.endpoint_moves m ON m.old = n.endpoint
                 WHERE n.policy_no = ?1 AND n.policy_source = ?2 AND m.new = ?3
                 ORDER BY {}",
                keeper_order()
            ))?
            .query_map(params![policy_no, policy_source, endpoint], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if let Some((keep, others)) = ids.split_first() {
            merge(conn, *keep, others)?;
        }
    }
    conn.execute(
        "UPDATE notices SET endpoint =
             (SELECT m.new FROM temp.endpoint_moves m WHERE m.old = notices.endpoint)
         WHERE endpoint IN (SELECT old FROM temp.endpoint_moves WHERE old <> new)",
        [],
    )?;
    conn.execute_batch("DROP TABLE temp.endpoint_moves")
}

/// Folds the rows `others` into `keep`: their attempts follow the kept row's (numbered after
/// them, each with the orderNo it was sent under), the first acceptance survives whichever row
/// had it, and the other rows go.
fn merge(conn: &Connection, keep: i64, others: &[i64]) -> rusqlite::Result<()> {
    let list = others
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let last: i64 = conn.query_row(
        "SELECT max(n.attempts, coalesce((SELECT max(number) FROM attempts
                                          WHERE notice_id = n.id), 0))
         FROM notices n WHERE n.id = ?1",
        [keep],
        |r| r.get(0),
    )?;
    let moved: Vec<i64> = conn
        .prepare(&format!(
            "SELECT id FROM attempts WHERE notice_id IN ({list}) ORDER BY started_at, id"
        ))?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    {
        let mut renumber =
            conn.prepare("UPDATE attempts SET notice_id = ?2, number = ?3 WHERE id = ?1")?;
        for (i, id) in moved.iter().enumerate() {
            renumber.execute(params![id, keep, last + 1 + i as i64])?;
        }
    }
    conn.execute(
        &format!(
            "UPDATE notices SET
                 attempts = ?2,
                 created_at = min(created_at, (SELECT min(created_at) FROM notices
                                               WHERE id IN ({list}))),
                 touched_at = max(touched_at, (SELECT max(touched_at) FROM notices
                                               WHERE id IN ({list}))),
                 first_sent_at = (SELECT min(first_sent_at) FROM notices
                                  WHERE id = ?1 OR id IN ({list})),
                 last_sent_at = (SELECT max(last_sent_at) FROM notices
                                 WHERE id = ?1 OR id IN ({list}))
             WHERE id = ?1"
        ),
        params![keep, last + moved.len() as i64],
    )?;
    // The earliest acceptance among the others, for a kept row that has none.
    conn.execute(
        &format!(
            "UPDATE notices SET (accepted_at, accepted_order_no, accepted_deal_code,
                                 accepted_deal_desc) =
                 (SELECT accepted_at, accepted_order_no, accepted_deal_code, accepted_deal_desc
                  FROM notices WHERE id IN ({list}) AND accepted_at IS NOT NULL
                  ORDER BY accepted_at LIMIT 1)
             WHERE id = ?1 AND accepted_at IS NULL
               AND EXISTS (SELECT 1 FROM notices WHERE id IN ({list})
                           AND accepted_at IS NOT NULL)"
        ),
        [keep],
    )?;
    conn.execute(&format!("DELETE FROM notices WHERE id IN ({list})"), [])?;
    Ok(())
}

/// Version 3: what was sent and what came back. A notice keeps its content (the
/// `secondRefundReq` fields, `protocol::notice_content`) and its fingerprint, so that a
/// corrected row is told from a repeated one; an attempt keeps its request body as sent (no
/// header, so no header value), and the answer body as received, up to
/// `client::ANSWER_KEPT` bytes with `answer_cut` set when it was longer. Notices recorded before
/// have no content: the rule treats them as before. The indexes serve `history`'s filters:
/// the channel, and the last outcome, each with the time the default view sorts on.
fn keep_content(conn: &Connection) -> rusqlite::Result<()> {
    // Column by column, so that a journal marked older than its columns (restored by hand)
    // still upgrades.
    for (table, column, kind) in [
        ("notices", "content", "TEXT"),
        ("notices", "content_fp", "TEXT"),
        ("attempts", "request", "TEXT"),
        ("attempts", "answer", "TEXT"),
        ("attempts", "answer_cut", "INTEGER"),
    ] {
        let present: bool = conn.query_row(
            &format!("SELECT count(*) > 0 FROM pragma_table_info('{table}') WHERE name = ?1"),
            [column],
            |r| r.get(0),
        )?;
        if !present {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"))?;
        }
    }
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS notices_source_touched ON notices (policy_source, touched_at);
         CREATE INDEX IF NOT EXISTS notices_state_touched ON notices (state, touched_at);",
    )
}

/// Version 4: notices found by their orderNo, so that the first pass can refuse an orderNo
/// the journal already holds for another policy (an orderNo follows one policy for life).
fn index_order_numbers(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("CREATE INDEX IF NOT EXISTS notices_order ON notices (order_no);")
}

/// Version 5: runs. One row per sending run (its id is the one the `--json` summary reports as
/// `runId`): when it started and ended, who ran it (OS user, host, and the process, so that a
/// reader can tell a run still going from one killed midway), its command line with the secrets
/// taken out, its input file, platform and channel, and, once it ended, its counts per outcome
/// and exit code. A run with no `ended_at` did not finish. Each attempt names its run;
/// attempts recorded before have none. The index serves `history --run`.
fn record_runs(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS runs (
             id               TEXT PRIMARY KEY,
             started_at       INTEGER NOT NULL,
             ended_at         INTEGER,
             os_user          TEXT NOT NULL,
             host             TEXT NOT NULL,
             pid              INTEGER,
             pid_start        INTEGER,
             command          TEXT NOT NULL,
             input            TEXT,
             env              TEXT,
             endpoint         TEXT NOT NULL,
             production       INTEGER NOT NULL,
             policy_source    TEXT NOT NULL,
             notices          INTEGER NOT NULL,
             accepted         INTEGER,
             rejected         INTEGER,
             failed           INTEGER,
             in_doubt         INTEGER,
             skipped          INTEGER,
             not_sent         INTEGER,
             rejected_earlier INTEGER,
             interrupted      INTEGER,
             exit_code        INTEGER,
             error            TEXT
         );
         CREATE INDEX IF NOT EXISTS runs_started ON runs (started_at);",
    )?;
    let present: bool = conn.query_row(
        "SELECT count(*) > 0 FROM pragma_table_info('attempts') WHERE name = 'run_id'",
        [],
        |r| r.get(0),
    )?;
    if !present {
        conn.execute_batch("ALTER TABLE attempts ADD COLUMN run_id TEXT")?;
    }
    conn.execute_batch("CREATE INDEX IF NOT EXISTS attempts_run ON attempts (run_id);")
}

/// Version 6: bodies packed (`journal::body`: a request to about 50 bytes, its answer to
/// about 30, from about 250 each); and the day a body was pruned (`journal prune`), so that
/// `history show` says so where it was. A body is a BLOB when packed and TEXT when stored
/// before, as it was sent: old rows are read either way and not rewritten here, which on a
/// journal of years would hold every other process out for as long as it took. Only the rare
/// old BLOBs (bodies that were not UTF-8, stored as they were) are tagged as kept unpacked, so
/// that from this version on every BLOB body starts with its packing.
fn pack_bodies(conn: &Connection) -> rusqlite::Result<()> {
    let present: bool = conn.query_row(
        "SELECT count(*) > 0 FROM pragma_table_info('attempts') WHERE name = 'bodies_pruned_at'",
        [],
        |r| r.get(0),
    )?;
    if !present {
        conn.execute_batch("ALTER TABLE attempts ADD COLUMN bodies_pruned_at INTEGER")?;
    }
    for column in ["request", "answer"] {
        let raw: Vec<(i64, Vec<u8>)> = conn
            .prepare(&format!(
                "SELECT id, {column} FROM attempts WHERE typeof({column}) = 'blob'"
            ))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut update =
            conn.prepare(&format!("UPDATE attempts SET {column} = ?2 WHERE id = ?1"))?;
        for (id, body) in raw {
            update.execute(params![id, crate::journal::body::pack_raw(&body)])?;
        }
    }
    Ok(())
}
