//! The first pass: every row checked, by the input's rules and then by the notice rule
//! against the journal, every problem listed, nothing sent. One bad row and nothing leaves.

use super::digests::Digests;
use super::in_order;
use super::settled::{Settled, Skip};
use crate::cli::FieldArgs;
use crate::engine::RunPlan;
use crate::error::Refusal;
use crate::input::{self, Item, Problem, Severity, Source};
use crate::journal::rule::{self, Decision, OrderNo};
use crate::journal::{JournalReader, Lookups, RecordView};
use crate::notice::Notice;
use crate::output::Console;
use crate::refuse;
use crate::text::escape_controls;
use std::ops::ControlFlow;

/// The rule's decision on a row, and for a skip what the journal holds of the acceptance.
pub(super) type Judgement = (Decision, Option<Accepted>);

/// A skipped row's acceptance: the journal row and its answer.
pub(super) struct Accepted {
    pub id: i64,
    pub deal_code: Option<String>,
    pub deal_desc: Option<String>,
}

/// The notice rule for one row, with the journal's record of it.
pub(super) fn decide(
    lookups: Option<&mut Lookups<'_>>,
    plan: &RunPlan,
    notice: &Notice,
) -> Result<Judgement, Refusal> {
    let content = rule::Content::of(&notice.policy_no, &notice.details);
    let judge = |found: Option<RecordView<'_>>| {
        let decision = rule::decide(
            found.as_ref().map(RecordView::known),
            rule::Ask {
                given: notice.order_no.as_deref(),
                can_generate: plan.order_no_prefix_when_generating.is_some(),
                force: plan.resend.force,
                retry_rejected: plan.resend.retry_rejected,
                content: Some(&content),
            },
        );
        let accepted = match (&decision, found) {
            (Decision::Skip { .. }, Some(r)) => Some(Accepted {
                id: r.id,
                deal_code: r.accepted_deal_code.map(str::to_owned),
                deal_desc: r.accepted_deal_desc.map(str::to_owned),
            }),
            _ => None,
        };
        (decision, accepted)
    };
    match lookups {
        None => Ok(judge(None)),
        Some(lookups) => {
            let key = (
                plan.endpoint.as_str(),
                plan.policy_source.as_str(),
                notice.policy_no.as_str(),
            );
            // Without force, an acceptance decides alone: its last attempt need not be read.
            let judged = lookups
                .look_at(key, !plan.resend.force, judge)
                .map_err(Refusal::JournalRead)?;
            // An orderNo new to this policy may be another policy's: the one check that looks
            // across notices, so the rule (which sees one) cannot make it.
            let (Decision::Send(OrderNo::Given(order_no))
            | Decision::Correct {
                order_no: OrderNo::Given(order_no),
                ..
            }) = &judged.0
            else {
                return Ok(judged);
            };
            let holder = lookups
                .order_no_holder((key.0, key.1, order_no), &notice.policy_no)
                .map_err(Refusal::JournalRead)?;
            Ok(match holder {
                Some(h) => (
                    Decision::OrderNoTaken {
                        order_no: order_no.clone(),
                        other_policy: h.policy_no,
                        at: h.at,
                    },
                    None,
                ),
                None => judged,
            })
        }
    }
}

/// `send`'s notices from its flags; any input problem refuses the run.
pub(super) fn parse_flags(console: &Console, fields: &FieldArgs) -> Result<Vec<Notice>, Refusal> {
    // Whether an orderNo is missing depends on the journal too: the rule judges that later.
    let (notices, problems) = input::rows_from_flags(fields, false);
    let errors = problems.iter().filter(|p| show(console, p)).count();
    if errors > 0 {
        return Err(refuse!(
            Input,
            "{errors} problem(s) in the input; nothing was sent"
        ));
    }
    Ok(notices)
}

/// `send`'s notices judged by the rule; a notice it refuses refuses the run.
pub(super) fn judge_listed(
    console: &Console,
    reader: Option<&JournalReader>,
    plan: &RunPlan,
    notices: Vec<Notice>,
) -> Result<Vec<(Notice, Decision)>, Refusal> {
    let mut judged = Vec::with_capacity(notices.len());
    let mut errors = Vec::new();
    let mut lookups = reader
        .map(JournalReader::lookups)
        .transpose()
        .map_err(Refusal::JournalRead)?;
    for notice in notices {
        let (decision, _) = decide(lookups.as_mut(), plan, &notice)?;
        match decision.problem(&notice.policy_no) {
            None => judged.push((notice, decision)),
            Some(message) => errors.push(message),
        }
    }
    if !errors.is_empty() {
        for e in &errors {
            console.error(e);
        }
        return Err(refuse!(Input, "nothing was sent"));
    }
    Ok(judged)
}

/// `batch`'s file, read once; returns how many notices are valid, and which of them the
/// rule skips (accepted earlier).
pub(super) fn judge_file(
    console: &Console,
    reader: Option<&JournalReader>,
    plan: &RunPlan,
    source: &Source,
    arg: &str,
    platform: &str,
) -> Result<(u64, Settled, Digests), Refusal> {
    for notice in source.notices() {
        console.note(notice);
    }
    let mut valid: u64 = 0;
    let mut rows: u64 = 0;
    let mut settled = Settled::default();
    let mut digests = Digests::default();
    // Gathered, then said once per kind of problem, at most SHOWN_PROBLEMS lines.
    let mut problems = input::ProblemReport::new(input::SHOWN_PROBLEMS);
    let version = |reader: Option<&JournalReader>| {
        reader
            .map(JournalReader::data_version)
            .transpose()
            .map_err(Refusal::JournalRead)
    };
    let before = version(reader)?;
    let mut take = |item: Item, judgement: Option<Judgement>| {
        let problem = match (item, judgement) {
            (Item::Problem(p), _) => p,
            (Item::Row(notice), judgement) => {
                match (other_platform(&notice, plan, platform), judgement) {
                    (Some((column, what)), _) => Problem::error(
                        source.name(),
                        notice.line,
                        column,
                        format!(
                            "{what}: a row goes to the platform and channel it was exported from \
                         (pass --env or --base-url, and --policy-source, for those)"
                        ),
                    ),
                    (None, None) => unreachable!("every row is judged"),
                    (None, Some((decision, recorded))) => match decision.problem(&notice.policy_no)
                    {
                        None => {
                            if let (Decision::Skip { accepted_order_no }, Some(r)) =
                                (&decision, &recorded)
                            {
                                let skip = Skip {
                                    order_no: accepted_order_no,
                                    deal_code: r.deal_code.as_deref(),
                                    deal_desc: r.deal_desc.as_deref(),
                                };
                                settled.add(rows, r.id, &notice.policy_no, &skip);
                            }
                            digests.add(&notice);
                            rows += 1;
                            valid += 1;
                            return ControlFlow::Continue(());
                        }
                        Some(message) => Problem {
                            file: source.name().to_string(),
                            line: notice.line,
                            column: "orderNo".into(),
                            message,
                            severity: Severity::Error,
                        },
                    },
                }
            }
        };
        problems.add(problem);
        ControlFlow::Continue(())
    };
    match reader {
        Some(reader) => in_order::judge(reader, plan, source, &mut take)?,
        // Without a journal the rule needs no lookup.
        None => {
            let mut failed = None;
            source.read(|item| {
                let judgement = match &item {
                    Item::Row(notice) => match decide(None, plan, notice) {
                        Ok(judgement) => Some(judgement),
                        Err(e) => {
                            failed = Some(e);
                            return ControlFlow::Break(());
                        }
                    },
                    Item::Problem(_) => None,
                };
                take(item, judgement)
            })?;
            if let Some(e) = failed {
                return Err(e);
            }
        }
    }
    if let (Some(before), Some(after)) = (before, version(reader)?) {
        settled.read_between(before, after);
    }
    // Display leaves the severity to the console's label: one "warning:".
    let errors = input::report_problems(&problems, arg, |severity, line| match severity {
        Severity::Error => console.error(line),
        Severity::Warning => console.warn(line),
    });
    if errors > 0 {
        return Err(refuse!(
            Input,
            "{errors} problem(s) in {}; nothing was sent (`avatar-cli validate {arg}` lists them again)",
            source.name()
        ));
    }
    if valid == 0 {
        // A day without cancellations is normal, but an export that came out empty by mistake
        // looks just the same: say so rather than finish in silence.
        console.warn(&format!(
            "{}: no notices in it",
            escape_controls(source.name())
        ));
    }
    Ok((valid, settled, digests))
}

/// What a row says of its platform or channel that this run is not: the column and what it
/// names. A `history` export carries both, and sending it to another platform would send
/// one platform's notices to the other.
fn other_platform(
    notice: &Notice,
    plan: &RunPlan,
    platform: &str,
) -> Option<(&'static str, String)> {
    let named = notice.platform.as_deref()?;
    if let Some(endpoint) = &named.endpoint {
        let key = crate::base_url::normalize(endpoint).unwrap_or_else(|_| endpoint.clone());
        if key != plan.endpoint {
            let what = format!(
                "the row is for {}, but this run sends to {platform}",
                escape_controls(&key)
            );
            return Some(("endpoint", what));
        }
    }
    match &named.policy_source {
        Some(channel) if *channel != plan.policy_source => Some((
            "policySource",
            format!(
                "the row is for channel {}, but this run's channel is {}",
                escape_controls(channel),
                plan.policy_source
            ),
        )),
        _ => None,
    }
}

/// An input problem on stderr, as `validate` words it; true when it is an error.
pub(super) fn show(console: &Console, problem: &Problem) -> bool {
    match problem.severity {
        Severity::Error => {
            console.error(&problem.to_string());
            true
        }
        // Display leaves the severity to the console's label: one "warning:".
        Severity::Warning => {
            console.warn(&problem.to_string());
            false
        }
    }
}
