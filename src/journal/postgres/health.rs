//! A PostgreSQL journal's health as `doctor` reports it, read-only.

use super::conn::Connection;
use super::schema::SCHEMA_VERSION;
use crate::journal::state::STATE_SQL;
use crate::journal::{Health, JournalError};

/// The server has no `quick_check`: every table of the journal is read once instead (its
/// last rows), which fails on a table missing or unreadable.
pub(super) fn health(conn: &Connection, version: i64) -> Result<Health, JournalError> {
    let sql = format!(
        "SELECT count(*), count(*) FILTER (WHERE ({STATE_SQL}) = 'inDoubt'),
                (SELECT max(id) FROM attempts), (SELECT max(started_at) FROM runs)
         FROM notices n LEFT JOIN attempts la ON la.id = n.last_attempt_id"
    );
    let (notices, in_doubt) = conn.call(move |s| {
        let row = s.client.query_one(&sql, &[])?;
        Ok((row.get::<_, i64>(0), row.get::<_, i64>(1)))
    })?;
    Ok(Health {
        schema_version: version,
        current_version: SCHEMA_VERSION,
        check: vec!["ok".into()],
        notices: u64::try_from(notices).unwrap_or(0),
        in_doubt: u64::try_from(in_doubt).unwrap_or(0),
    })
}
