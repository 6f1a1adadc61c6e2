//! What every worker of a run shares to pace itself: the stop signal and the request rate.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// "Start nothing new": set by Ctrl-C, SIGTERM or `--fail-fast`. Waiters are woken at once.
#[derive(Clone, Default)]
pub struct Stop {
    inner: Arc<StopInner>,
}

#[derive(Default)]
struct StopInner {
    stopped: AtomicBool,
    notify: Notify,
}

impl Stop {
    pub fn trigger(&self) {
        self.inner.stopped.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    pub fn is_triggered(&self) -> bool {
        self.inner.stopped.load(Ordering::SeqCst)
    }

    /// Sleeps for `duration`, or less if the stop is triggered; true when it was.
    pub async fn sleep(&self, duration: Duration) -> bool {
        let notified = self.inner.notify.notified();
        if self.is_triggered() {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(duration) => self.is_triggered(),
            _ = notified => true,
        }
    }
}

/// At most `per_sec` request starts per second across all workers: each caller reserves the
/// next free slot, then sleeps until it.
pub struct RateLimit {
    interval: Duration,
    next: Mutex<Instant>,
}

impl RateLimit {
    pub fn new(per_sec: f64) -> RateLimit {
        RateLimit {
            interval: Duration::from_secs_f64(1.0 / per_sec),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits for this caller's slot; false if the stop came first (the slot is then wasted,
    /// which is harmless: nothing new starts after a stop).
    pub async fn wait(&self, stop: &Stop) -> bool {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot
        };
        let wait = slot.saturating_duration_since(Instant::now());
        wait.is_zero() || !stop.sleep(wait).await
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_rate_limit_spaces_requests() {
        let limit = RateLimit::new(50.0);
        let stop = Stop::default();
        let start = Instant::now();
        for _ in 0..6 {
            assert!(limit.wait(&stop).await);
        }
        // Five intervals of 20 ms between six starts.
        assert!(
            start.elapsed() >= Duration::from_millis(95),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test]
    async fn a_stop_cuts_a_sleep_short() {
        let stop = Stop::default();
        let s = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            s.trigger();
        });
        let start = Instant::now();
        assert!(stop.sleep(Duration::from_secs(30)).await);
        assert!(start.elapsed() < Duration::from_secs(5));
    }
}
