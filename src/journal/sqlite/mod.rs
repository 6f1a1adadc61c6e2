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

use crate::journal::{Answer, Backend, JournalError, JournalSync, Op};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex};
use tokio::sync::oneshot;

pub(crate) use read::SqliteReader;

impl From<rusqlite::Error> for JournalError {
    fn from(e: rusqlite::Error) -> Self {
        JournalError::Store(e.to_string())
    }
}

/// The write side: the writer thread and the channel to it.
pub(crate) struct SqliteWriter {
    // An Option only so that shutting down can hang up before joining the writer.
    tx: Mutex<Option<mpsc::Sender<writer::Request>>>,
    thread: Mutex<Option<writer::WriterThread>>,
    path: PathBuf,
    run: String,
}

/// Opens (creating it, mode 0600, and its directories) the journal at `path`, checking that
/// it can be written before anything is sent.
pub(crate) fn open_write(path: &Path, sync: JournalSync) -> Result<SqliteWriter, JournalError> {
    open_write_waiting(path, sync, schema::BUSY_TIMEOUT)
}

pub(crate) fn open_write_waiting(
    path: &Path,
    sync: JournalSync,
    busy_timeout: std::time::Duration,
) -> Result<SqliteWriter, JournalError> {
    let conn = schema::open_write(path, sync, busy_timeout)?;
    let owner = crate::journal::owner::Owner::new_run();
    let run = owner.run.clone();
    let (tx, thread) = writer::spawn(conn, path.to_path_buf(), owner)?;
    Ok(SqliteWriter {
        tx: Mutex::new(Some(tx)),
        thread: Mutex::new(Some(thread)),
        path: path.to_path_buf(),
        run,
    })
}

pub(crate) fn open_read(path: &Path) -> Result<Option<SqliteReader>, JournalError> {
    SqliteReader::open(path)
}

impl Backend for SqliteWriter {
    fn submit(&self, op: Op) -> oneshot::Receiver<Result<Answer, JournalError>> {
        let (reply, answer) = oneshot::channel();
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        match tx.as_ref() {
            Some(tx) => {
                // A writer that stopped drops the request, and with it the reply: the caller
                // then reads `Closed`.
                let _ = tx.send((op, reply));
            }
            None => {
                let _ = reply.send(Err(JournalError::Closed));
            }
        }
        answer
    }

    fn run_id(&self) -> &str {
        &self.run
    }

    fn shut_down(&self) -> Result<(), JournalError> {
        drop(self.tx.lock().unwrap_or_else(|e| e.into_inner()).take());
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        match thread {
            Some(handle) => handle.join().unwrap_or_else(|_| {
                Err(JournalError::Write {
                    path: self.path.clone(),
                    reason: "the journal writer panicked".into(),
                })
            }),
            None => Ok(()),
        }
    }
}

impl Drop for SqliteWriter {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
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
