//! The write side both backends share: operations go down a channel to one writer thread that
//! owns the backend's connection, commits what is queued in one transaction and answers each
//! op once committed. A backend brings the thread ([`WriterThread`]); this is the handle.

use super::{Answer, Backend, JournalError, Op};
use std::sync::{mpsc, Mutex};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// Where an op's answer goes.
pub(crate) type Reply = oneshot::Sender<Result<Answer, JournalError>>;
/// An operation and where its answer goes.
pub(crate) type Request = (Op, Reply);
/// The writer thread; it ends with how releasing its claims went.
pub(crate) type WriterThread = JoinHandle<Result<(), JournalError>>;

/// The handle on a writer thread: the channel to it and the thread.
pub(crate) struct ThreadedWriter {
    // Options only so that shutting down can hang up before joining the writer.
    tx: Mutex<Option<mpsc::Sender<Request>>>,
    thread: Mutex<Option<WriterThread>>,
    run: String,
    /// What a writer that panicked is told as, in the backend's words.
    panicked: Box<dyn Fn() -> JournalError + Send + Sync>,
}

impl ThreadedWriter {
    pub(crate) fn new(
        tx: mpsc::Sender<Request>,
        thread: WriterThread,
        run: String,
        panicked: impl Fn() -> JournalError + Send + Sync + 'static,
    ) -> ThreadedWriter {
        ThreadedWriter {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            run,
            panicked: Box::new(panicked),
        }
    }
}

impl Backend for ThreadedWriter {
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
            Some(handle) => handle.join().unwrap_or_else(|_| Err((self.panicked)())),
            None => Ok(()),
        }
    }
}

impl Drop for ThreadedWriter {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}
