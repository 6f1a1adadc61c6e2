//! Ctrl-C and SIGTERM. The first during a delivery stops starting new notices; a second asks
//! `main` to quit at once (exit 130): only `main` ends the process.

use crate::output::Console;
use crate::pace::Stop;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::Notify;

/// The next Ctrl-C or SIGTERM.
#[cfg(unix)]
pub async fn stop_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
pub async fn stop_signal() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await
}

fn quit() -> &'static Notify {
    static QUIT: OnceLock<Notify> = OnceLock::new();
    QUIT.get_or_init(Notify::new)
}

/// Resolves once a second interrupt asked to quit at once; `main` then exits 130.
pub async fn quit_requested() {
    quit().notified().await;
}

/// Watches for interrupts while a delivery runs. The first triggers `stop` (start nothing new,
/// let what is in flight finish); a second asks `main` to quit at once, leaving what was in
/// flight "in doubt" in the journal. The flag tells whether the run was interrupted.
pub(crate) fn watch_interrupts(stop: Stop, console: Arc<Console>) -> Arc<AtomicBool> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    tokio::spawn(async move {
        if stop_signal().await.is_err() {
            return;
        }
        flag.store(true, Ordering::SeqCst);
        stop.trigger();
        console.finish_progress(false);
        console.note("stopping: starting nothing new, waiting for the requests in flight (Ctrl-C again to quit at once)");
        if stop_signal().await.is_ok() {
            console.error("interrupted again: quitting; notices in flight are in doubt and the next run resends them");
            // A stored permit: `main` sees it even if it is not waiting at this instant.
            quit().notify_one();
        }
    });
    interrupted
}
