//! The journal's health as `doctor` reports it, read-only: nothing is created or upgraded.

use super::claim::STATE_SQL;
use super::schema::{self, classify_on};
use super::JournalError;
use std::path::Path;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    /// The file's schema version, and the one this build writes (an older one is upgraded by
    /// the next `send` or `batch`).
    pub schema_version: i64,
    pub current_version: i64,
    /// `PRAGMA quick_check`'s findings: `["ok"]` for a sound file.
    pub quick_check: Vec<String>,
    pub notices: u64,
    /// Notices in doubt (the request may have reached the platform): the next run resends
    /// them.
    pub in_doubt: u64,
}

/// `None` when there is no journal at `path` yet.
pub fn health(path: &Path) -> Result<Option<Health>, JournalError> {
    let Some((conn, version)) = schema::open_read(path)? else {
        return Ok(None);
    };
    let c = |e| classify_on(&conn, path, e);
    let quick_check = conn
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
    Ok(Some(Health {
        schema_version: version,
        current_version: schema::SCHEMA_VERSION,
        quick_check,
        notices: u64::try_from(notices).unwrap_or(0),
        in_doubt: u64::try_from(in_doubt).unwrap_or(0),
    }))
}
