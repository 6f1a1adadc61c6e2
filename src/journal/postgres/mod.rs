//! The journal in a PostgreSQL database, behind the seam of `journal/`: for several machines
//! sharing one journal. Writes go through one writer thread per handle, which groups the ops
//! queued into one transaction as SQLite's does; claims are held with session advisory locks
//! (see [`ops`]). Reads use connections of their own. Every connection lives on a thread of
//! its own: the synchronous client must not run on the program's runtime thread.

pub(super) mod combined;
pub(super) mod conn;
pub(super) mod connect;
pub(super) mod dump;
pub(super) mod health;
pub(super) mod ops;
pub(super) mod read;
pub(super) mod schema;
pub(super) mod tx;
pub(super) mod writer;

use crate::journal::location::PgLocation;
use crate::journal::owner::{self, Owner};
use crate::journal::{Answer, Backend, JournalError, Op};
use std::sync::{mpsc, Mutex};
use tokio::sync::oneshot;

pub(crate) use read::PgReader;

/// What the writer knows about itself.
pub(crate) struct Ctx {
    pub owner: Owner,
    pub user: String,
    pub host: String,
}

/// The write side: the writer thread and the channel to it.
pub(crate) struct PgWriter {
    tx: Mutex<Option<mpsc::Sender<writer::Request>>>,
    thread: Mutex<Option<writer::WriterThread>>,
    run: String,
}

/// Connects, creates or upgrades the schema, and starts the writer.
pub(crate) fn open_write(at: &PgLocation) -> Result<PgWriter, JournalError> {
    let owner = Owner::new_run();
    let run = owner.run.clone();
    let ctx = Ctx {
        owner: owner.clone(),
        user: owner::user(),
        host: owner::host(),
    };
    let (tx, thread) = writer::spawn(at.clone(), ctx).inspect_err(|_| owner.retire())?;
    Ok(PgWriter {
        tx: Mutex::new(Some(tx)),
        thread: Mutex::new(Some(thread)),
        run,
    })
}

pub(crate) fn open_read(at: &PgLocation) -> Result<Option<PgReader>, JournalError> {
    PgReader::open(at)
}

impl Backend for PgWriter {
    fn submit(&self, op: Op) -> oneshot::Receiver<Result<Answer, JournalError>> {
        let (reply, answer) = oneshot::channel();
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        match tx.as_ref() {
            Some(tx) => {
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
            Some(handle) => handle
                .join()
                .unwrap_or_else(|_| Err(JournalError::Store("the journal writer panicked".into()))),
            None => Ok(()),
        }
    }
}

impl Drop for PgWriter {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}
