//! What every worker of a run shares to pace itself: the stop flag and the request rate.

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

    /// Returns once the stop is triggered.
    pub async fn stopped(&self) {
        let notified = self.inner.notify.notified();
        if self.is_triggered() {
            return;
        }
        notified.await;
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

/// The longest wait between two starts, whatever rate is asked for: a day. `--rate` is kept
/// far inside this; the bound is here so that no rate (zero, negative, NaN, 1e-300) can panic.
const MAX_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);

impl RateLimit {
    pub fn new(per_sec: f64) -> RateLimit {
        RateLimit {
            interval: interval(per_sec),
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
            // Saturating: an Instant that overflows panics, and a run that far ahead has no
            // next slot worth computing.
            *next = slot.checked_add(self.interval).unwrap_or(slot);
            slot
        };
        let wait = slot.saturating_duration_since(Instant::now());
        wait.is_zero() || !stop.sleep(wait).await
    }
}

/// 1/per_sec as a Duration, never panicking: a rate too small (or not a positive number) gets
/// the longest interval, one too large none at all.
fn interval(per_sec: f64) -> Duration {
    if per_sec.is_nan() || per_sec <= 0.0 {
        return MAX_INTERVAL;
    }
    Duration::try_from_secs_f64(1.0 / per_sec).map_or(MAX_INTERVAL, |d| d.min(MAX_INTERVAL))
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

    #[test]
    fn no_rate_makes_an_interval_that_panics() {
        assert_eq!(interval(50.0), Duration::from_millis(20));
        for rate in [
            0.0,
            -1.0,
            1e-19,
            1e-300,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::NEG_INFINITY,
        ] {
            assert_eq!(interval(rate), MAX_INTERVAL, "{rate}");
        }
        assert_eq!(interval(f64::INFINITY), Duration::ZERO);
        assert_eq!(interval(f64::MAX), Duration::ZERO);
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
