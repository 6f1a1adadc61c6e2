//! The file: creating it safely, recognising a damaged or foreign one before anything is sent,
//! and the versioned schema.

use super::{JournalError, JournalSync};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use std::fs::{self, OpenOptions};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

/// `PRAGMA application_id`: "AVAT", so another program's SQLite file is not mistaken for ours.
pub(crate) const APPLICATION_ID: i32 = 0x4156_4154;
/// `PRAGMA user_version` of the schema below.
pub(crate) const SCHEMA_VERSION: i64 = 1;
/// Long enough to ride out another process's group commit, short enough to report a lock.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Times are UTC milliseconds. `state` holds the last final outcome (accepted, rejected,
/// failed) or NULL; "in doubt" is derived from the last attempt having no `finished_at`.
/// `accepted_*` keep the first acceptance even after a forced re-send, so that it is never
/// sent again without force. `claim_*` name the process and handle that holds the notice.
/// The key's index leads with the policy number so that it also serves `history --policy`;
/// every index costs the writer, so there are only the ones a query needs.
const SCHEMA: &str = "
CREATE TABLE notices (
    id                 INTEGER PRIMARY KEY,
    endpoint           TEXT NOT NULL,
    policy_source      TEXT NOT NULL,
    policy_no          TEXT NOT NULL,
    order_no           TEXT NOT NULL,
    state              TEXT,
    deal_code          TEXT,
    deal_desc          TEXT,
    http_status        INTEGER,
    attempts           INTEGER NOT NULL DEFAULT 0,
    last_attempt_id    INTEGER,
    created_at         INTEGER NOT NULL,
    touched_at         INTEGER NOT NULL,
    first_sent_at      INTEGER,
    last_sent_at       INTEGER,
    os_user            TEXT NOT NULL,
    host               TEXT NOT NULL,
    accepted_at        INTEGER,
    accepted_order_no  TEXT,
    accepted_deal_code TEXT,
    accepted_deal_desc TEXT,
    claim_host         TEXT,
    claim_pid          INTEGER,
    claim_start        INTEGER,
    claim_run          TEXT,
    claimed_at         INTEGER,
    UNIQUE (policy_no, policy_source, endpoint)
);
CREATE INDEX notices_touched ON notices (touched_at);
CREATE TABLE attempts (
    id           INTEGER PRIMARY KEY,
    notice_id    INTEGER NOT NULL REFERENCES notices (id),
    number       INTEGER NOT NULL,
    order_no     TEXT NOT NULL,
    uuid         TEXT NOT NULL,
    req_time     TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    http_status  INTEGER,
    deal_code    TEXT,
    deal_desc    TEXT,
    error        TEXT,
    elapsed_ms   INTEGER,
    os_user      TEXT NOT NULL,
    host         TEXT NOT NULL,
    UNIQUE (notice_id, number)
);
CREATE INDEX attempts_started ON attempts (started_at);
";

/// Maps a SQLite failure on `path` to the error a user can act on.
pub(crate) fn classify(path: &Path, err: rusqlite::Error) -> JournalError {
    let path = path.to_path_buf();
    let code = match &err {
        rusqlite::Error::SqliteFailure(e, _) => e.code,
        _ => return JournalError::Sqlite(err),
    };
    let reason = err.to_string();
    match code {
        ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => JournalError::Locked { path },
        ErrorCode::ReadOnly
        | ErrorCode::CannotOpen
        | ErrorCode::PermissionDenied
        | ErrorCode::DiskFull => JournalError::Unwritable { path, reason },
        ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
            JournalError::Corrupt { path, reason }
        }
        ErrorCode::SystemIoFailure => JournalError::Write { path, reason },
        _ => JournalError::Sqlite(err),
    }
}

/// The write connection, with the schema in place and the file proven writable.
pub(crate) fn open_write(
    path: &Path,
    sync: JournalSync,
    busy_timeout: Duration,
) -> Result<Connection, JournalError> {
    create_file(path)?;
    check_header(path)?;
    let c = |e| classify(path, e);
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(c)?;
    // SQLite silently falls back to read-only for a write-protected file.
    if conn.is_readonly(rusqlite::MAIN_DB).map_err(c)? {
        return Err(JournalError::Unwritable {
            path: path.to_path_buf(),
            reason: "the file is read-only".into(),
        });
    }
    conn.busy_timeout(busy_timeout).map_err(c)?;
    conn.set_prepared_statement_cache_capacity(64);
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(c)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(JournalError::Unwritable {
            path: path.to_path_buf(),
            reason: format!("SQLite could not switch it to WAL mode (it is in {mode} mode)"),
        });
    }
    let level = match sync {
        JournalSync::Normal => "NORMAL",
        JournalSync::Full => "FULL",
    };
    conn.pragma_update(None, "synchronous", level).map_err(c)?;
    migrate(&conn, path)?;
    probe(&conn, path)?;
    Ok(conn)
}

/// A read-only connection to an existing journal of ours.
/// `None` for a file with no schema yet: another process has just created it and is about to
/// write the schema, so for a reader there is no journal yet.
pub(crate) fn open_read(path: &Path) -> Result<Option<Connection>, JournalError> {
    check_header(path)?;
    let c = |e| classify(path, e);
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(c)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(c)?;
    let (app, version) = ids(&conn).map_err(c)?;
    if app == 0 && version == 0 {
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(c)?;
        if tables == 0 {
            return Ok(None);
        }
    }
    if app != APPLICATION_ID {
        return Err(foreign(path));
    }
    if version > SCHEMA_VERSION {
        return Err(too_new(path, version));
    }
    probe(&conn, path)?;
    Ok(Some(conn))
}

/// Creates the parent directories and the file itself (mode 0600) before SQLite sees it, so
/// that it never exists with wider permissions.
fn create_file(path: &Path) -> Result<(), JournalError> {
    let unwritable = |reason: String| JournalError::Unwritable {
        path: path.to_path_buf(),
        reason,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| {
            unwritable(format!(
                "cannot create the directory {}: {e}",
                parent.display()
            ))
        })?;
    }
    if path.is_dir() {
        return Err(unwritable("it is a directory".into()));
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // Exists: make sure we may write it (SQLite would quietly go read-only).
            OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .map(drop)
                .map_err(|e| unwritable(e.to_string()))
        }
        Err(e) => Err(unwritable(format!("cannot create it: {e}"))),
    }
}

/// Recognises a file that is not a SQLite database, or one cut short, from its 100-byte header
/// — cheaply, where an integrity check would read the whole file on every run.
fn check_header(path: &Path) -> Result<(), JournalError> {
    let corrupt = |reason: String| JournalError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let mut file = fs::File::open(path).map_err(|e| JournalError::Unwritable {
        path: path.to_path_buf(),
        reason: format!("cannot read it: {e}"),
    })?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len == 0 {
        return Ok(()); // a new, empty database
    }
    let mut header = [0u8; 100];
    if len < 100 || file.read_exact(&mut header).is_err() || &header[..16] != b"SQLite format 3\0" {
        return Err(corrupt("it is not a SQLite database".into()));
    }
    let be32 = |at: usize| u32::from_be_bytes(header[at..at + 4].try_into().expect("4 bytes"));
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536u64,
        n => u64::from(n),
    };
    // Until a checkpoint, pages live in the WAL and the main file may legitimately look short.
    let wal = path.with_file_name(format!(
        "{}-wal",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    let wal_empty = fs::metadata(&wal).map(|m| m.len() == 0).unwrap_or(true);
    let size_valid = be32(92) == be32(24); // "version-valid-for" matches the change counter
    let expected = u64::from(be32(28)) * page_size;
    if wal_empty && size_valid && expected > len {
        return Err(corrupt(format!(
            "it is truncated: {len} bytes of the {expected} its header announces"
        )));
    }
    Ok(())
}

fn ids(conn: &Connection) -> rusqlite::Result<(i32, i64)> {
    let app = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok((app, version))
}

fn foreign(path: &Path) -> JournalError {
    JournalError::Corrupt {
        path: path.to_path_buf(),
        reason: "it is another program's SQLite database".into(),
    }
}

fn too_new(path: &Path, found: i64) -> JournalError {
    JournalError::TooNew {
        path: path.to_path_buf(),
        found,
        known: SCHEMA_VERSION,
    }
}

/// Creates the schema in a new file, or checks an existing one is ours and not too new. Under
/// `BEGIN IMMEDIATE`, so this also proves we can take the write lock now.
fn migrate(conn: &Connection, path: &Path) -> Result<(), JournalError> {
    let c = |e| classify(path, e);
    conn.execute_batch("BEGIN IMMEDIATE").map_err(c)?;
    let result = (|| {
        let (app, version) = ids(conn).map_err(c)?;
        if app == 0 && version == 0 {
            let tables: i64 = conn
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                .map_err(c)?;
            if tables > 0 {
                return Err(foreign(path));
            }
            conn.execute_batch(SCHEMA).map_err(c)?;
            conn.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(c)?;
            conn.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(c)?;
        } else if app != APPLICATION_ID {
            return Err(foreign(path));
        } else if version > SCHEMA_VERSION {
            return Err(too_new(path, version));
        }
        Ok(())
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT").map_err(c),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Touches the schema and the last pages of both tables, where damage from a truncation or a
/// torn copy shows first.
fn probe(conn: &Connection, path: &Path) -> Result<(), JournalError> {
    conn.query_row(
        "SELECT (SELECT max(id) FROM notices), (SELECT max(id) FROM attempts),
                (SELECT max(touched_at) FROM notices), (SELECT max(started_at) FROM attempts)",
        [],
        |_| Ok(()),
    )
    .map_err(|e| match classify(path, e) {
        JournalError::Sqlite(e) => JournalError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
        other => other,
    })
}
