//! A reading connection on a thread of its own. The synchronous client blocks on a runtime of
//! its own, which panics on a thread that drives async tasks (the program's runtime thread
//! reads the journal too): so the connection lives on its thread, and callers hand it work.

use super::connect::connect;
use super::schema::store;
use crate::journal::location::PgLocation;
use crate::journal::JournalError;
use postgres::{Client, Statement};
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::{mpsc, Mutex};

/// The connection and its prepared statements, by SQL text.
pub(crate) struct Session {
    pub client: Client,
    statements: HashMap<String, Statement>,
}

impl Session {
    /// `sql` prepared once per connection: the first pass asks the same lookup per row.
    pub fn prepared(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

type Job = Box<dyn FnOnce(&mut Session) + Send>;

/// The thread's mailbox; the thread ends (closing the connection) when this is dropped.
pub(crate) struct Connection {
    jobs: Mutex<mpsc::Sender<Job>>,
    pub at: PgLocation,
}

impl Connection {
    pub fn open(at: &PgLocation) -> Result<Connection, JournalError> {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::channel();
        let place = at.clone();
        std::thread::Builder::new()
            .name("journal-reader".into())
            .spawn(move || {
                let client = match connect(&place) {
                    Ok(client) => client,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                let mut session = Session {
                    client,
                    statements: HashMap::new(),
                };
                while let Ok(job) = inbox.recv() {
                    job(&mut session);
                }
            })
            .map_err(|e| JournalError::Store(format!("cannot start a journal reader: {e}")))?;
        ready_rx
            .recv()
            .map_err(|_| JournalError::Closed)
            .and_then(|r| r)?;
        Ok(Connection {
            jobs: Mutex::new(jobs),
            at: at.clone(),
        })
    }

    /// Runs `work` on the connection's thread and waits for its answer.
    pub fn call<R: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Session) -> Result<R, postgres::Error> + Send + 'static,
    ) -> Result<R, JournalError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(Box::new(move |session| {
            let _ = tx.send(work(session));
        }))?;
        let answer = rx.recv().map_err(|_| JournalError::Closed)?;
        answer.map_err(|e| store(&self.at, &e))
    }

    /// Runs `produce` on the connection's thread, handing each item it makes to `each` here as
    /// it comes (a million rows are never held at once); `each` may stop it.
    pub fn stream<T: Send + 'static>(
        &self,
        produce: impl FnOnce(&mut Session, &mut dyn FnMut(T) -> bool) -> Result<(), postgres::Error>
            + Send
            + 'static,
        each: &mut dyn FnMut(T) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        let (tx, rx) = mpsc::sync_channel::<Result<T, postgres::Error>>(256);
        self.send(Box::new(move |session| {
            let mut give = |item| tx.send(Ok(item)).is_ok();
            if let Err(e) = produce(session, &mut give) {
                let _ = tx.send(Err(e));
            }
        }))?;
        for item in rx.iter() {
            let item = item.map_err(|e| store(&self.at, &e))?;
            if each(item).is_break() {
                break;
            }
        }
        Ok(())
    }

    fn send(&self, job: Job) -> Result<(), JournalError> {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.send(job).map_err(|_| JournalError::Closed)
    }
}
