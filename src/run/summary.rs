//! The last line of a `--json` run: one `{"type":"summary", …}` object on stdout that says what
//! the exit code hides (rejections beside a failure, skips of earlier rejections), where the
//! notices went and by whose word, and which run it was.

use super::Destination;
use crate::notice::Outcome;
use crate::notice::Tally;
use chrono::{DateTime, SecondsFormat, Utc};

use serde_json::{json, Map, Value};

/// What a run's summary needs besides its tally.
pub(super) struct RunFacts<'a> {
    pub run_id: &'a str,
    pub started: DateTime<Utc>,
    pub destination: &'a Destination,
    /// `--skip-invalid`: the rows set aside and the rejects they are in.
    pub set_aside: Option<(u64, &'a std::path::Path)>,
}

/// The summary object of a run that ended with `code`; `error` says why, for a run that
/// failed as a whole (the journal, the output) or was refused.
pub(super) fn summary(
    facts: &RunFacts<'_>,
    tally: &Tally,
    interrupted: bool,
    code: u8,
    error: Option<&str>,
) -> Value {
    let mut counts = Map::new();
    for outcome in Outcome::ALL {
        counts.insert(outcome.as_str().into(), tally.get(outcome).into());
    }
    counts.insert("rejectedEarlier".into(), tally.rejected_earlier().into());
    counts.insert("total".into(), tally.total().into());
    let d = facts.destination;
    json!({
        "type": "summary",
        "runId": facts.run_id,
        "startedAt": shown(facts.started),
        "endedAt": shown(crate::clock::now()),
        "platform": {
            "name": d.env,
            "endpoint": d.endpoint,
            "production": d.production,
            "source": d.source_origin,
        },
        "channel": d.channel,
        "counts": counts,
        "setAside": facts.set_aside.map_or(0, |(rows, _)| rows),
        "rejects": facts.set_aside.map(|(_, file)| file.display().to_string()),
        "interrupted": interrupted,
        "exitCode": code,
        "error": error,
    })
}

/// The summary of a run refused before anything was sent; its message goes to stderr as
/// always.
pub(super) fn refused(refusal: &crate::error::Refusal) -> Value {
    let mut counts = Map::new();
    for outcome in Outcome::ALL {
        counts.insert(outcome.as_str().into(), 0.into());
    }
    counts.insert("rejectedEarlier".into(), 0.into());
    counts.insert("total".into(), 0.into());
    json!({
        "type": "summary",
        "runId": null,
        "counts": counts,
        "setAside": 0,
        "exitCode": refusal.exit_code(),
        "error": refusal.to_string(),
    })
}

/// RFC 3339 in China Standard Time, as every time a person reads.
fn shown(at: DateTime<Utc>) -> String {
    at.with_timezone(&crate::protocol::cst())
        .to_rfc3339_opts(SecondsFormat::Millis, false)
}
