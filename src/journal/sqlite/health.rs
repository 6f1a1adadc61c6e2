//! A SQLite journal's health as `doctor` reports it, read-only: nothing is created or
//! upgraded.

use super::ops::STATE_SQL;
use super::schema::{classify_on, SCHEMA_VERSION};
use crate::journal::{Health, JournalError};
use rusqlite::Connection;
use std::path::Path;

/// `PRAGMA quick_check`'s findings, the notices and those in doubt.
pub(super) fn health(conn: &Connection, path: &Path, version: i64) -> Result<Health, JournalError> {
    let c = |e| classify_on(conn, path, e);
    let check = conn
        .prepare("PRAGMA quick_check(20)")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(c)?;
    let (notices, in_doubt): (i64, i64) = conn
        .query_row(
            &format!(
                "SELECT count(*), coalesce(sum(({STATE_SQL}) = 'inDoubt'), 0)
                 FROM notices n LEFT JOIN attempts la ON la.id = n.last_attempt_id"
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(c)?;
    Ok(Health {
        schema_version: version,
        current_version: SCHEMA_VERSION,
        check,
        notices: u64::try_from(notices).unwrap_or(0),
        in_doubt: u64::try_from(in_doubt).unwrap_or(0),
    })
}
