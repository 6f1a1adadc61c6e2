//! The machine's clock, read without panicking whatever it says, and whether a notice can
//! carry the time it says.

use chrono::{DateTime, TimeDelta, Utc};
use std::time::{SystemTime, UNIX_EPOCH};

/// Now, as the system clock says. Never panics, unlike chrono's `Utc::now` (which does before
/// 1970): a clock before 1970 gives that time, one past chrono's range its last instant.
pub fn now() -> DateTime<Utc> {
    let since = |d: std::time::Duration, sign: i32| {
        TimeDelta::from_std(d)
            .ok()
            .and_then(|d| {
                if sign < 0 {
                    DateTime::UNIX_EPOCH.checked_sub_signed(d)
                } else {
                    DateTime::UNIX_EPOCH.checked_add_signed(d)
                }
            })
            .unwrap_or(if sign < 0 {
                DateTime::<Utc>::MIN_UTC
            } else {
                DateTime::<Utc>::MAX_UTC
            })
    };
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(after) => since(after, 1),
        Err(before) => since(before.duration(), -1),
    }
}

/// The latest time a notice can carry: the last second of 9999 in China Standard Time, as
/// `reqTime`'s four-digit year allows.
fn latest() -> DateTime<Utc> {
    // 9999-12-31 23:59:59 at UTC+8.
    DateTime::from_timestamp(253_402_271_999, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Whether notices can be stamped with `now`: `reqTime` is `yyyy-MM-dd HH:mm:ss` in China
/// Standard Time (four digits of year, so before 10000) and the platform answers with a
/// `respTime` in milliseconds since 1970, so a clock outside 1970-9999 can only be wrong. Else
/// what to say, with what to do.
pub fn check_sendable(now: DateTime<Utc>) -> Result<(), String> {
    if now >= DateTime::UNIX_EPOCH && now <= latest() {
        return Ok(());
    }
    Err(format!(
        "this machine's clock says {}, a time no notice can carry (its reqTime must fall in \
         1970-9999, China Standard Time); set the clock right (check `date`, NTP)",
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_1970_to_9999_can_be_sent() {
        let at = |secs: i64| DateTime::from_timestamp(secs, 0).unwrap();
        assert!(check_sendable(at(0)).is_ok());
        assert!(check_sendable(now()).is_ok());
        assert!(check_sendable(latest()).is_ok());
        let before = check_sendable(at(-60)).unwrap_err();
        assert!(before.contains("1969-12-31T23:59:00Z"), "{before}");
        assert!(check_sendable(latest() + TimeDelta::seconds(1)).is_err());
        assert_eq!(crate::protocol::format_cst(latest()), "9999-12-31 23:59:59");
    }
}
