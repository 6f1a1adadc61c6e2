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
use crate::journal::threaded::ThreadedWriter;
use crate::journal::JournalError;

pub(crate) use read::PgReader;

/// What the writer knows about itself.
pub(crate) struct Ctx {
    pub owner: Owner,
    pub user: String,
    pub host: String,
}

/// Connects, creates or upgrades the schema, and starts the writer.
pub(crate) fn open_write(at: &PgLocation) -> Result<ThreadedWriter, JournalError> {
    let owner = Owner::new_run();
    let run = owner.run.clone();
    let ctx = Ctx {
        owner: owner.clone(),
        user: owner::user(),
        host: owner::host(),
    };
    let (tx, thread) = writer::spawn(at.clone(), ctx).inspect_err(|_| owner.retire())?;
    Ok(ThreadedWriter::new(tx, thread, run, || {
        JournalError::Store("the journal writer panicked".into())
    }))
}

pub(crate) fn open_read(at: &PgLocation) -> Result<Option<PgReader>, JournalError> {
    PgReader::open(at)
}
