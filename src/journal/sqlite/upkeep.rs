//! `journal stats`, `backup` and `prune` on a SQLite journal (the seam is `journal::upkeep`).

use super::ops::{derive_state, now_ms};
use super::schema::{self, classify, classify_on};
use crate::journal::upkeep::{Backup, Group, Pruned, Stats};
use crate::journal::{JournalError, JournalSync};
use crate::protocol::format_time;
use rusqlite::{params, Connection, OpenFlags};
use std::fs;
use std::path::Path;

/// The schema version from which attempts record when their bodies were pruned.
const PRUNED_VERSION: i64 = 6;
/// Attempts pruned per transaction: each holds the write lock briefly, so that a batch
/// writing to the same journal meanwhile waits milliseconds, not the whole prune.
const PRUNE_CHUNK: i64 = 2_000;

pub(crate) fn stats(path: &Path) -> Result<Option<Stats>, JournalError> {
    let Some((conn, version)) = schema::open_read(path)? else {
        return Ok(None);
    };
    let c = |e| classify_on(&conn, path, e);
    conn.execute_batch("BEGIN").map_err(c)?;
    let (body_bytes, pruned_attempts, attempts) = bodies(&conn, version).map_err(c)?;
    let groups = groups(&conn).map_err(c)?;
    let _ = conn.execute_batch("COMMIT");
    Ok(Some(Stats {
        backend: "SQLite",
        schema_version: version,
        notices: groups.iter().map(|g| g.notices).sum(),
        attempts,
        bytes: on_disk(path),
        body_bytes,
        pruned_attempts,
        groups,
    }))
}

/// The file and its write-ahead log.
fn on_disk(path: &Path) -> u64 {
    let len = |p: &Path| fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    len(path) + len(&schema::sidecar(path, "-wal"))
}

fn bodies(conn: &Connection, version: i64) -> rusqlite::Result<(u64, u64, u64)> {
    let bodies = if version >= 3 {
        "coalesce(sum(coalesce(length(CAST(request AS BLOB)), 0)
                      + coalesce(length(CAST(answer AS BLOB)), 0)), 0)"
    } else {
        "0"
    };
    let pruned = if version >= PRUNED_VERSION {
        "count(bodies_pruned_at)"
    } else {
        "0"
    };
    conn.query_row(
        &format!("SELECT {bodies}, {pruned}, count(*) FROM attempts"),
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// Notices per platform, channel and state, folded into one group per platform and channel.
fn groups(conn: &Connection) -> rusqlite::Result<Vec<Group>> {
    let mut stmt = conn.prepare(
        "SELECT n.endpoint, n.policy_source, n.state, n.attempts > 0,
                la.id IS NOT NULL AND la.finished_at IS NULL,
                count(*), sum(n.attempts), min(n.created_at), max(n.created_at)
         FROM notices n LEFT JOIN attempts la ON la.id = n.last_attempt_id
         GROUP BY 1, 2, 3, 4, 5
         ORDER BY 1, 2",
    )?;
    let mut rows = stmt.query([])?;
    let mut groups: Vec<(Group, i64, i64)> = Vec::new();
    let mut current: Option<(Group, i64, i64)> = None;
    while let Some(r) = rows.next()? {
        let (endpoint, channel): (String, String) = (r.get(0)?, r.get(1)?);
        let state = derive_state(
            r.get::<_, Option<String>>(2)?.as_deref(),
            r.get(3)?,
            r.get(4)?,
        );
        let (oldest, newest): (i64, i64) = (r.get(7)?, r.get(8)?);
        // Rows come ordered by platform and channel: a new pair ends the group before it.
        if current
            .as_ref()
            .is_some_and(|(g, ..)| g.endpoint != endpoint || g.policy_source != channel)
        {
            groups.extend(current.take());
        }
        let (group, first, last) = current.get_or_insert_with(|| {
            let group = Group {
                endpoint,
                policy_source: channel,
                ..Group::default()
            };
            (group, oldest, newest)
        });
        group.count(state, r.get(5)?);
        group.attempts += r.get::<_, u64>(6)?;
        *first = (*first).min(oldest);
        *last = (*last).max(newest);
    }
    groups.extend(current);
    Ok(groups
        .into_iter()
        .map(|(mut g, first, last)| {
            g.oldest = Some(format_time(first));
            g.newest = Some(format_time(last));
            g
        })
        .collect())
}

/// SQLite's online backup in one step: the whole file read under one read transaction, so the
/// copy is the journal as of that moment, while writers go on (WAL mode lets them). It is
/// written under a temporary name beside `to` (mode 0600) and moved into place when complete.
pub(crate) fn backup(
    path: &Path,
    to: &Path,
    replace: bool,
) -> Result<Option<Backup>, JournalError> {
    let Some((source, _)) = schema::open_read(path)? else {
        return Ok(None);
    };
    let dir = to.parent().filter(|p| !p.as_os_str().is_empty());
    let temp = tempfile::Builder::new()
        .prefix(".avatar-cli-backup.")
        .tempfile_in(dir.unwrap_or(Path::new(".")))
        .map_err(|e| unwritable(to, &format!("cannot create a file beside it: {e}")))?;
    let (notices, attempts) = {
        let mut copy = Connection::open_with_flags(
            temp.path(),
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| classify(to, e))?;
        let c = |copy: &Connection, e| classify_on(copy, to, e);
        copy_all(&source, &mut copy).map_err(|e| c(&copy, e))?;
        // One file, no write-ahead log beside it: a copy to move, mail or archive as it is,
        // to any disk (a network drive too: nothing writes to it while it is shared).
        copy.pragma_update(None, "journal_mode", "DELETE")
            .map_err(|e| c(&copy, e))?;
        let counts = copy
            .query_row(
                "SELECT (SELECT count(*) FROM notices), (SELECT count(*) FROM attempts)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| c(&copy, e))?;
        copy.close().map_err(|(_, e)| classify(to, e))?;
        counts
    };
    let placed = if replace {
        temp.persist(to).map(drop).map_err(|e| e.error)
    } else {
        temp.persist_noclobber(to).map(drop).map_err(|e| e.error)
    };
    placed.map_err(|e| unwritable(to, &format!("cannot move the copy into place: {e}")))?;
    Ok(Some(Backup {
        notices,
        attempts,
        bytes: on_disk(to),
    }))
}

/// Every page in one step; a step refused because another connection holds a lock is tried
/// again, as long as the busy timeout.
fn copy_all(source: &Connection, copy: &mut Connection) -> rusqlite::Result<()> {
    use rusqlite::backup::{Backup, StepResult};
    let backup = Backup::new(source, copy)?;
    let give_up = std::time::Instant::now() + schema::BUSY_TIMEOUT;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            _ if std::time::Instant::now() > give_up => {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    None,
                ))
            }
            _ => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
}

fn unwritable(path: &Path, reason: &str) -> JournalError {
    JournalError::Unwritable {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// In chunks of [`PRUNE_CHUNK`] attempts, each its own transaction. The write connection
/// upgrades an older journal first (the day of pruning needs version 6).
pub(crate) fn prune_bodies(path: &Path, before: i64) -> Result<Option<Pruned>, JournalError> {
    if schema::open_read(path)?.is_none() {
        return Ok(None);
    }
    let conn = schema::open_write(path, JournalSync::Normal, schema::BUSY_TIMEOUT)?;
    let c = |e| classify_on(&conn, path, e);
    let mut pruned = Pruned {
        attempts: 0,
        bodies: 0,
        bytes: 0,
    };
    let now = now_ms();
    let mut after = 0;
    loop {
        conn.execute_batch("BEGIN IMMEDIATE").map_err(c)?;
        let chunk = match prune_chunk(&conn, before, now, after) {
            Ok(chunk) => {
                conn.execute_batch("COMMIT").map_err(c)?;
                chunk
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(c(e));
            }
        };
        let Some((last, chunk)) = chunk else {
            return Ok(Some(pruned));
        };
        pruned.attempts += chunk.attempts;
        pruned.bodies += chunk.bodies;
        pruned.bytes += chunk.bytes;
        after = last;
    }
}

/// The next [`PRUNE_CHUNK`] attempts with bodies after id `after`, pruned; with the last id
/// pruned. `None` when there were none: each chunk goes on from the last, so a journal of
/// years is read once, not once per chunk.
fn prune_chunk(
    conn: &Connection,
    before: i64,
    now: i64,
    after: i64,
) -> rusqlite::Result<Option<(i64, Pruned)>> {
    const CHUNK: &str = "SELECT id, request, answer FROM attempts
         WHERE id > ?1 AND started_at < ?2 AND (request IS NOT NULL OR answer IS NOT NULL)
         ORDER BY id LIMIT ?3";
    let (attempts, bodies, bytes, last): (u64, u64, u64, Option<i64>) = conn.query_row(
        &format!(
            "SELECT count(*), coalesce(sum((request IS NOT NULL) + (answer IS NOT NULL)), 0),
                    coalesce(sum(coalesce(length(CAST(request AS BLOB)), 0)
                                 + coalesce(length(CAST(answer AS BLOB)), 0)), 0),
                    max(id)
             FROM ({CHUNK})"
        ),
        params![after, before, PRUNE_CHUNK],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let Some(last) = last else {
        return Ok(None);
    };
    conn.execute(
        "UPDATE attempts SET request = NULL, answer = NULL, bodies_pruned_at = ?4
         WHERE id > ?1 AND id <= ?3 AND started_at < ?2
           AND (request IS NOT NULL OR answer IS NOT NULL)",
        params![after, before, last, now],
    )?;
    Ok(Some((
        last,
        Pruned {
            attempts,
            bodies,
            bytes,
        },
    )))
}
