//! Ctrl-C and SIGTERM. The first during a delivery stops starting new notices; a second ends
//! the process at once (exit 130), from here rather than through `main`: the runtime `main`
//! waits on may be too busy to hear it.

use crate::output::Console;
use crate::pace::Stop;
use signal_hook::consts::{SIGINT, SIGTERM};
use std::io::Read;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// The next Ctrl-C or SIGTERM.
pub async fn stop_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

/// How long a second interrupt waits for its message and the held result lines to be
/// written before the process ends anyway: a stdout nobody reads must not keep it alive.
const QUIT_GRACE: Duration = Duration::from_millis(500);

/// Watches for interrupts while a delivery runs. The first triggers `stop` (start nothing new,
/// let what is in flight finish); a second quits at once (exit 130), leaving what was in
/// flight "in doubt" in the journal. The flag tells whether the run was interrupted.
///
/// Each signal is counted by a handler that writes a byte into a pipe, read by a thread of its
/// own: tokio's listener would need the runtime's one thread, which a busy run (or one whose
/// stdout does not drain) may not give it for seconds, and it merges the signals that arrive
/// meanwhile into one, so a second Ctrl-C could go unseen.
pub(crate) fn watch_interrupts(stop: Stop, console: Arc<Console>) -> Arc<AtomicBool> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    let said = Arc::clone(&console);
    let watching = interrupt_pipe().and_then(|read| {
        std::thread::Builder::new()
            .name("interrupts".into())
            .spawn(move || count(read, &stop, console, &flag))
    });
    if let Err(e) = watching {
        cannot_watch(&said, &e);
    }
    interrupted
}

/// The read end of a pipe that gets one byte per SIGINT or SIGTERM.
fn interrupt_pipe() -> std::io::Result<UnixStream> {
    let (read, write) = UnixStream::pair()?;
    for signal in [SIGINT, SIGTERM] {
        signal_hook::low_level::pipe::register(signal, write.try_clone()?)?;
    }
    Ok(read)
}

/// The interrupts as they come: the first stops the run, the second quits.
fn count(mut read: UnixStream, stop: &Stop, console: Arc<Console>, flag: &AtomicBool) {
    let mut byte = [0u8];
    if read.read_exact(&mut byte).is_err() {
        return;
    }
    flag.store(true, Ordering::SeqCst);
    stop.trigger();
    let said = Arc::clone(&console);
    // Said from a thread of its own: writing may wait (held result lines go first), and the
    // next interrupt must still be seen.
    std::thread::spawn(move || {
        said.finish_progress(false);
        said.note("stopping: starting nothing new, waiting for the requests in flight (Ctrl-C again to quit at once)");
    });
    if read.read_exact(&mut byte).is_ok() {
        quit_at_once(console);
    }
}

/// Without a watcher, Ctrl-C keeps its default: it ends the process at once.
fn cannot_watch(console: &Console, e: &std::io::Error) {
    console.warn(&format!(
        "cannot watch for Ctrl-C ({e}): Ctrl-C ends the run at once, leaving the requests in flight in doubt"
    ));
}

/// A second interrupt: said, the held result lines written, and the process ended, within
/// [`QUIT_GRACE`] whatever stdout and stderr do. The journal holds what was in flight as in
/// doubt, and the next run resends it.
fn quit_at_once(console: Arc<Console>) -> ! {
    let (done, written) = mpsc::channel();
    std::thread::spawn(move || {
        console.error_at_once(
            "interrupted again: quitting; notices in flight are in doubt and the next run resends them",
        );
        console.flush_stdout();
        let _ = done.send(());
    });
    let _ = written.recv_timeout(QUIT_GRACE);
    std::process::exit(i32::from(crate::error::code::INTERRUPTED))
}
