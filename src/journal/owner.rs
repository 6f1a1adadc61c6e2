//! Who holds a claim, and whether that holder is still alive.
//!
//! A claim names host + pid + process start time + a random per-handle run id. On the same
//! Linux host the holder is alive when `/proc/<pid>` exists with the same start time (a reused
//! pid has another); within this process, when its handle is still open. Elsewhere (another
//! host, or no `/proc`) a claim older than [`STALE_AFTER_MS`] is presumed abandoned.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

/// Longer than any one notice takes (timeouts and backoff included), so that a claim this old
/// on another host belongs to a process that is gone.
pub(crate) const STALE_AFTER_MS: i64 = 15 * 60 * 1000;

/// The run ids of the journal handles open in this process.
static LIVE_RUNS: Mutex<Option<HashSet<String>>> = Mutex::new(None);

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Owner {
    pub host: String,
    pub pid: u32,
    /// Clock ticks since boot at which the process started (Linux); `None` elsewhere.
    pub start: Option<i64>,
    pub run: String,
}

impl Owner {
    /// This process, with a fresh run id registered as live until [`Owner::retire`].
    pub fn new_run() -> Owner {
        let run = crate::journal::Journal::new_run_id();
        LIVE_RUNS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(HashSet::new)
            .insert(run.clone());
        Owner {
            host: host(),
            pid: std::process::id(),
            start: own_start(),
            run,
        }
    }

    /// The handle is gone: claims it left behind are no longer held.
    pub fn retire(&self) {
        if let Some(set) = LIVE_RUNS.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            set.remove(&self.run);
        }
    }

    /// Whether a claim recorded by `holder` at `claimed_at` still blocks others.
    pub fn holder_is_live(&self, holder: &Owner, claimed_at: i64, now: i64) -> bool {
        if holder.host == self.host {
            if holder.pid == self.pid && holder.start == self.start {
                return run_is_live(&holder.run);
            }
            if cfg!(target_os = "linux") {
                return match process_start(holder.pid) {
                    None => false,
                    // A different start time: the pid was reused by another process.
                    Some(start) => holder.start.is_none_or(|s| s == start),
                };
            }
        }
        now - claimed_at < STALE_AFTER_MS
    }
}

/// Whether the process `pid` that started at `start` on `host` is still alive: only this
/// host's processes can be looked at (on Linux), so any other is taken as gone.
pub(crate) fn is_alive(on_host: &str, pid: u32, start: Option<i64>) -> bool {
    on_host == host() && cfg!(target_os = "linux") && start.is_some() && process_start(pid) == start
}

pub(crate) fn describe(host: &str, pid: u32, run: &str) -> String {
    format!("pid {pid} on {host} (run {run})")
}

fn run_is_live(run: &str) -> bool {
    LIVE_RUNS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .is_some_and(|set| set.contains(run))
}

pub(crate) fn host() -> String {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| whoami::fallible::hostname().unwrap_or_else(|_| "unknown-host".into()))
        .clone()
}

pub(crate) fn user() -> String {
    static USER: OnceLock<String> = OnceLock::new();
    USER.get_or_init(|| whoami::fallible::username().unwrap_or_else(|_| "unknown".into()))
        .clone()
}

fn own_start() -> Option<i64> {
    static START: OnceLock<Option<i64>> = OnceLock::new();
    *START.get_or_init(|| process_start(std::process::id()))
}

/// Field 22 of `/proc/<pid>/stat` (start time); `None` when there is no such live process.
/// A zombie counts as dead: it will never finish its notice.
pub(crate) fn process_start(pid: u32) -> Option<i64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 2 is the command name in parentheses and may itself hold spaces or ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    if fields.next()? == "Z" {
        return None;
    }
    // `rest` starts at field 3 and we consumed it: field 22 is 18 further on.
    fields.nth(18)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn reads_own_start_time_and_sees_no_process_for_a_free_pid() {
        assert!(process_start(std::process::id()).is_some());
        assert_eq!(process_start(i32::MAX as u32), None);
    }

    #[test]
    fn a_retired_run_is_not_live_and_other_hosts_go_stale() {
        let me = Owner::new_run();
        let other = Owner::new_run();
        assert!(me.holder_is_live(&other, 0, 1));
        other.retire();
        assert!(!me.holder_is_live(&other, 0, 1));

        let remote = Owner {
            host: format!("{}-elsewhere", me.host),
            ..me.clone()
        };
        assert!(me.holder_is_live(&remote, 1_000, 1_000 + STALE_AFTER_MS - 1));
        assert!(!me.holder_is_live(&remote, 1_000, 1_000 + STALE_AFTER_MS));
        me.retire();
    }
}
