//! The journal in a SQLite file, behind the seam of `journal/`.
//!
//! Writes go through ONE writer thread that owns the write connection and commits whatever
//! ops are queued in one transaction (group commit), so the journal keeps up with a batch of
//! many thousand notices per second. Reads use their own read-only connections.

pub(super) mod bodies;
pub(super) mod dump;
pub(super) mod health;
pub(super) mod migrate;
pub(super) mod mount;
pub(super) mod ops;
pub(super) mod read;
pub(super) mod schema;
pub(super) mod upkeep;
pub(super) mod writer;

use crate::journal::threaded::ThreadedWriter;
use crate::journal::{JournalError, JournalSync};
use std::path::{Path, PathBuf};

pub(crate) use read::SqliteReader;

impl From<rusqlite::Error> for JournalError {
    fn from(e: rusqlite::Error) -> Self {
        JournalError::Store(e.to_string())
    }
}

/// Opens (creating it, mode 0600, and its directories) the journal at `path`, checking that
/// it can be written before anything is sent.
pub(crate) fn open_write(path: &Path, sync: JournalSync) -> Result<ThreadedWriter, JournalError> {
    open_write_waiting(path, sync, schema::BUSY_TIMEOUT)
}

pub(crate) fn open_write_waiting(
    path: &Path,
    sync: JournalSync,
    busy_timeout: std::time::Duration,
) -> Result<ThreadedWriter, JournalError> {
    let conn = schema::open_write(path, sync, busy_timeout)?;
    let owner = crate::journal::owner::Owner::new_run();
    let run = owner.run.clone();
    let (tx, thread) = writer::spawn(conn, path.to_path_buf(), owner)?;
    let path = path.to_path_buf();
    Ok(ThreadedWriter::new(tx, thread, run, move || {
        JournalError::Write {
            path: path.clone(),
            reason: "the journal writer panicked".into(),
        }
    }))
}

pub(crate) fn open_read(path: &Path) -> Result<Option<SqliteReader>, JournalError> {
    SqliteReader::open(path)
}

/// The journal file and the side files SQLite keeps beside it (write-ahead log, shared
/// memory index, rollback journal).
pub(crate) fn files(path: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|suffix| schema::sidecar(path, suffix))
        .collect()
}

/// Before SQLite's first use in this process: see [`schema::skip_memory_statistics`].
pub(crate) fn prepare_process() {
    schema::skip_memory_statistics();
}
