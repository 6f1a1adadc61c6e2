//! The file: creating it safely, recognising a damaged or foreign one before anything is sent,
//! and the versioned schema.

use super::migrate as steps;
use crate::journal::{JournalError, JournalSync};
use rusqlite::{ffi, Connection, ErrorCode as SqlCode, OpenFlags};
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind as IoKind, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `PRAGMA application_id`: "AVAT", so another program's SQLite file is not mistaken for ours.
pub(crate) const APPLICATION_ID: i32 = 0x4156_4154;
/// `PRAGMA user_version`: the version the last upgrade step leads to. [`SCHEMA`] is version 1,
/// the base every journal starts from.
pub(crate) const SCHEMA_VERSION: i64 = steps::STEPS[steps::STEPS.len() - 1].0;
/// Long enough to ride out another process's group commit, short enough to report a lock.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Version 1. Times are UTC milliseconds. `state` holds the last final outcome (accepted, rejected,
/// failed, inDoubt) or NULL; a notice whose last attempt has no `finished_at` is in doubt too.
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
    classify_errno(path, err, 0)
}

/// The same, consulting the OS error behind the failure on `conn`: SQLite reports a full disk
/// met while growing the WAL index or syncing as a plain "disk I/O error".
pub(crate) fn classify_on(conn: &Connection, path: &Path, err: rusqlite::Error) -> JournalError {
    classify_errno(path, err, system_errno(conn))
}

/// The OS error number of the last failed system call SQLite made for `conn` (0 for none).
pub(crate) fn system_errno(conn: &Connection) -> i32 {
    // SAFETY: the handle belongs to `conn`, which outlives the call; the function only reads
    // the connection's record of its last error.
    unsafe { rusqlite::ffi::sqlite3_system_errno(conn.handle()) }
}

fn storage_full(errno: i32) -> bool {
    errno != 0 && std::io::Error::from_raw_os_error(errno).kind() == IoKind::StorageFull
}

/// [`classify`] given the OS error number behind the failure (0 when unknown).
pub(crate) fn classify_errno(path: &Path, err: rusqlite::Error, errno: i32) -> JournalError {
    let path = path.to_path_buf();
    let (code, extended) = match &err {
        rusqlite::Error::SqliteFailure(e, _) => (e.code, e.extended_code),
        _ => return JournalError::Store(err.to_string()),
    };
    let reason = err.to_string();
    let full = storage_full(errno) || reason.contains("No space left");
    match code {
        SqlCode::DatabaseBusy | SqlCode::DatabaseLocked => JournalError::Locked { path },
        SqlCode::DiskFull => JournalError::DiskFull { path },
        _ if full => JournalError::DiskFull { path },
        // A rollback or WAL file needs folding back in, which a read-only handle cannot do:
        // not a permission problem of the journal itself.
        SqlCode::ReadOnly if extended == ffi::SQLITE_READONLY_ROLLBACK => JournalError::Unclean {
            leftover: sidecar(&path, "-journal"),
            path,
        },
        SqlCode::ReadOnly if extended == ffi::SQLITE_READONLY_RECOVERY => JournalError::Unclean {
            leftover: sidecar(&path, "-wal"),
            path,
        },
        SqlCode::ReadOnly if extended == ffi::SQLITE_READONLY_DBMOVED => JournalError::Write {
            path,
            reason: "the file was moved or deleted while in use".into(),
        },
        SqlCode::ReadOnly | SqlCode::CannotOpen | SqlCode::PermissionDenied => {
            JournalError::Unwritable { path, reason }
        }
        SqlCode::DatabaseCorrupt | SqlCode::NotADatabase => JournalError::Corrupt { path, reason },
        SqlCode::SystemIoFailure => JournalError::Write { path, reason },
        _ => JournalError::Store(err.to_string()),
    }
}

/// `path` with `suffix` appended to its file name: SQLite's `-journal`, `-wal` and `-shm`.
pub(crate) fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn len_of(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Whether something is at `path`; an error for anything but a regular file (a symlink to one
/// is fine). Asked before anything opens the path: opening a FIFO blocks, and a device or a
/// socket is no place for records.
pub(crate) fn check_kind(path: &Path) -> Result<bool, JournalError> {
    let not_a_file = |what: &str| JournalError::NotAFile {
        path: path.to_path_buf(),
        what: what.to_string(),
    };
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if matches!(e.kind(), IoKind::NotFound | IoKind::NotADirectory) => {
            // A symlink to nothing: creating the journal would write through it elsewhere.
            return match fs::symlink_metadata(path) {
                Ok(m) if m.file_type().is_symlink() => {
                    Err(not_a_file("a symbolic link to a file that does not exist"))
                }
                _ => Ok(false),
            };
        }
        Err(e) => {
            return Err(JournalError::Unwritable {
                path: path.to_path_buf(),
                reason: format!("cannot look at it: {e}"),
            })
        }
    };
    let t = meta.file_type();
    if t.is_file() {
        return Ok(true);
    }
    if t.is_dir() {
        return Err(not_a_file("a directory"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Err(not_a_file("a named pipe (FIFO)"));
        }
        if t.is_socket() {
            return Err(not_a_file("a socket"));
        }
        if t.is_char_device() {
            return Err(not_a_file("a character device"));
        }
        if t.is_block_device() {
            return Err(not_a_file("a block device"));
        }
    }
    Err(not_a_file("something other than a file"))
}

/// The write connection, with the schema in place and the file proven writable.
pub(crate) fn open_write(
    path: &Path,
    sync: JournalSync,
    busy_timeout: Duration,
) -> Result<Connection, JournalError> {
    super::mount::check_local(path)?;
    if check_kind(path)? {
        check_writable(path)?;
        // A creation killed after linking its file into place leaves the temporary name.
        sweep_unfinished(
            path.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
            &path.file_name().unwrap_or_default().to_string_lossy(),
        );
    } else {
        create_atomically(path)?;
    }
    settle(path, busy_timeout)?;
    check_header(path)?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| classify(path, e))?;
    let c = |e| classify_on(&conn, path, e);
    // SQLite silently falls back to read-only for a write-protected file.
    if conn.is_readonly(rusqlite::MAIN_DB).map_err(c)? {
        return Err(JournalError::Unwritable {
            path: path.to_path_buf(),
            reason: "the file is read-only".into(),
        });
    }
    conn.busy_timeout(busy_timeout).map_err(c)?;
    conn.set_prepared_statement_cache_capacity(64);
    wal_mode(&conn, path)?;
    let level = match sync {
        JournalSync::Normal => "NORMAL",
        JournalSync::Full => "FULL",
    };
    conn.pragma_update(None, "synchronous", level).map_err(c)?;
    migrate(&conn, path)?;
    probe(&conn, path)?;
    Ok(conn)
}

fn wal_mode(conn: &Connection, path: &Path) -> Result<(), JournalError> {
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| classify_on(conn, path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(JournalError::Unwritable {
            path: path.to_path_buf(),
            reason: format!("SQLite could not switch it to WAL mode (it is in {mode} mode)"),
        });
    }
    Ok(())
}

/// A read-only connection to an existing journal of ours, with its schema version.
/// `None` when there is no journal yet: no file, an empty one, or one with no schema yet
/// (another process has just created it and is about to write the schema).
pub(crate) fn open_read(path: &Path) -> Result<Option<(Connection, i64)>, JournalError> {
    if !check_kind(path)? || len_of(path) == 0 {
        return Ok(None);
    }
    super::mount::check_local(path)?;
    settle(path, BUSY_TIMEOUT)?;
    if len_of(path) == 0 {
        return Ok(None); // a creation cut short, rolled back to nothing
    }
    check_header(path)?;
    let conn = read_connection(path)?;
    let c = |e| classify_on(&conn, path, e);
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
    Ok(Some((conn, version)))
}

/// Read-only. Where SQLite cannot create the WAL index beside the file (a read-only mount or
/// directory, an archive), the file is read as immutable, which needs no index — but only when
/// no WAL holds records the file itself lacks.
fn read_connection(path: &Path) -> Result<Connection, JournalError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| classify(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| classify_on(&conn, path, e))?;
    let err = match ids(&conn) {
        Ok(_) => return Ok(conn),
        Err(e) => e,
    };
    let cannot_index = matches!(
        &err,
        rusqlite::Error::SqliteFailure(e, _)
            if matches!(e.code, SqlCode::CannotOpen | SqlCode::ReadOnly)
                && e.extended_code != ffi::SQLITE_READONLY_ROLLBACK
    );
    if !cannot_index {
        return Err(classify_on(&conn, path, err));
    }
    drop(conn);
    open_immutable(path)
}

/// The file as it stands, with no WAL index and no locks; refused while a WAL beside it holds
/// records (they would be missed).
pub(crate) fn open_immutable(path: &Path) -> Result<Connection, JournalError> {
    let wal = sidecar(path, "-wal");
    if len_of(&wal) > 0 {
        return Err(JournalError::Unclean {
            path: path.to_path_buf(),
            leftover: wal,
        });
    }
    let uri = format!("file:{}?immutable=1", uri_path(path));
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| classify(path, e))?;
    ids(&conn).map_err(|e| classify_on(&conn, path, e))?;
    Ok(conn)
}

/// A path as the path part of a `file:` URI: every byte but the unreserved ones and `/`
/// percent-encoded, so that `?`, `#` and `%` in a name stay part of the name.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A rollback file beside the journal is left by a process killed while it changed the
/// journal's mode (or created it in place, as versions before atomic creation did). SQLite
/// folds it back in, undoing the unfinished change and never a committed record, when a
/// connection that may write reads the file; a read-only one fails instead ("attempt to write
/// a readonly database"). So whoever opens does one write-capable read first. A file cut short
/// in its creation rolls back to empty, and is then made anew like a missing one.
fn settle(path: &Path, busy_timeout: Duration) -> Result<(), JournalError> {
    if len_of(&sidecar(path, "-journal")) == 0 {
        return Ok(());
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| classify(path, e))?;
    conn.busy_timeout(busy_timeout)
        .map_err(|e| classify_on(&conn, path, e))?;
    conn.query_row("PRAGMA schema_version", [], |_| Ok(()))
        .map_err(|e| classify_on(&conn, path, e))?;
    Ok(())
}

/// Exists: make sure we may write it (SQLite would quietly go read-only).
fn check_writable(path: &Path) -> Result<(), JournalError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map(drop)
        .map_err(|e| io_error(path, e, "cannot open it for writing"))
}

fn io_error(path: &Path, e: std::io::Error, doing: &str) -> JournalError {
    if e.kind() == IoKind::StorageFull {
        return JournalError::DiskFull {
            path: path.to_path_buf(),
        };
    }
    JournalError::Unwritable {
        path: path.to_path_buf(),
        reason: format!("{doing}: {e}"),
    }
}

/// A new journal appears complete or not at all: it is built under a temporary name in the
/// same directory (mode 0600, schema, ids, WAL mode), then linked into place, which fails if
/// another process got there first (its journal is then used). A process killed while
/// building leaves only its temporary file, which the next writer in that directory removes.
fn create_atomically(path: &Path) -> Result<(), JournalError> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        fs::create_dir_all(parent).map_err(|e| {
            io_error(
                path,
                e,
                &format!("cannot create the directory {}", parent.display()),
            )
        })?;
    }
    let dir = parent.unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    sweep_unfinished(dir, &name);
    let temp = dir.join(format!(
        ".{name}.{}.{}-{}{TEMP_SUFFIX}",
        crate::journal::owner::host(),
        std::process::id(),
        std::iter::repeat_with(fastrand::alphanumeric)
            .take(8)
            .collect::<String>()
    ));
    let placed = build(&temp, path).and_then(|()| match fs::hard_link(&temp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == IoKind::AlreadyExists => Ok(()),
        // A file system without hard links: a rename, unless the journal appeared meanwhile.
        Err(_) if !path.exists() => fs::rename(&temp, path)
            .map_err(|e| io_error(path, e, "cannot move the new journal into place")),
        Err(_) => Ok(()),
    });
    remove_with_sidecars(&temp);
    placed
}

const TEMP_SUFFIX: &str = ".new";

fn build(temp: &Path, path: &Path) -> Result<(), JournalError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(temp)
        .map_err(|e| io_error(path, e, "cannot create it"))?;
    let conn = Connection::open_with_flags(
        temp,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| classify(path, e))?;
    migrate(&conn, path)?;
    wal_mode(&conn, path)?;
    // Closing the last connection folds the WAL into the file and removes it.
    conn.close().map_err(|(_, e)| classify(path, e))
}

fn remove_with_sidecars(file: &Path) {
    for suffix in ["-journal", "-wal", "-shm"] {
        let _ = fs::remove_file(sidecar(file, suffix));
    }
    let _ = fs::remove_file(file);
}

/// Removes the temporary files of creations on this host whose process is gone. They never
/// hold a notice: nothing is recorded in a journal before it is in place.
fn sweep_unfinished(dir: &Path, name: &str) {
    if !cfg!(target_os = "linux") {
        return; // no way to tell a live creator from a dead one
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.{}.", crate::journal::owner::host());
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(rest) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|r| r.strip_suffix(TEMP_SUFFIX))
        else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|pid| crate::journal::owner::process_start(pid).is_none()) {
            remove_with_sidecars(&entry.path());
        }
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

/// Creates the schema in a new file, upgrades an older one step by step, or checks an existing
/// one is ours and not too new. Under `BEGIN IMMEDIATE`, so this also proves we can take the
/// write lock now, and an upgrade is all or nothing.
fn migrate(conn: &Connection, path: &Path) -> Result<(), JournalError> {
    let c = |e| classify_on(conn, path, e);
    conn.execute_batch("BEGIN IMMEDIATE").map_err(c)?;
    let result = (|| {
        let (app, mut version) = ids(conn).map_err(c)?;
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
            version = 1;
        } else if app != APPLICATION_ID {
            return Err(foreign(path));
        } else if version > SCHEMA_VERSION {
            return Err(too_new(path, version));
        }
        if version < SCHEMA_VERSION {
            steps::upgrade(conn, version).map_err(c)?;
            conn.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(c)?;
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
        JournalError::Store(reason) => JournalError::Corrupt {
            path: path.to_path_buf(),
            reason,
        },
        other => other,
    })
}

/// Turns off SQLite's memory statistics, which take a process-wide lock on every allocation
/// (4-6% of the writer's time in profiles) for figures nothing here reads. SQLite accepts this
/// only before its first connection and only from a single thread, so `main` calls it first
/// thing; later it would change nothing.
pub fn skip_memory_statistics() {
    // SAFETY: called once, from `main` before any thread or connection exists, as
    // `sqlite3_config` requires; the option takes an int.
    unsafe {
        rusqlite::ffi::sqlite3_config(
            rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
            std::ffi::c_int::from(0u8),
        );
    }
}
