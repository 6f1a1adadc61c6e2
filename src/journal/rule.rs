//! The one rule for what happens to a notice, given what the journal recorded about it.
//!
//! Both the read-only first pass (before anything is sent) and the writer's claim (just before
//! a notice is sent) call [`decide`], so a row that passes the first pass cannot be refused
//! mid-run for a reason the first pass did not see. Pure: no I/O, no clock.
//!
//! The exactly-once promise rests here: a notice accepted before is skipped unless forced,
//! and a notice already sent (at least one attempt) is never sent under a second orderNo.
//! Nor is a correction lost: a notice the platform holds (accepted, or maybe holds: in doubt)
//! whose content has changed since is an input error unless forced, and a failed or rejected
//! one is sent again with the new content, said to be a correction. A rejected one sent again
//! unchanged would only be rejected again: it is skipped unless asked (`--retry-rejected`).

use super::State;

/// A notice's content as the journal compares it: `protocol::notice_content` and its
/// fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Content {
    pub text: String,
    pub fingerprint: String,
}

impl Content {
    pub fn of(policy_no: &str, details: &crate::protocol::RefundDetails) -> Content {
        let text = crate::protocol::notice_content(policy_no, details);
        let fingerprint = crate::protocol::content_fingerprint(&text);
        Content { text, fingerprint }
    }
}

/// What the journal recorded about one notice, as far as the rule needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Known<'a> {
    /// The orderNo the notice is recorded under (the one its next send uses).
    pub order_no: &'a str,
    /// Attempts recorded; zero means the orderNo was written but nothing left under it.
    pub attempts: u32,
    /// `Some(orderNo)` when an acceptance was ever recorded, under that orderNo, even if a
    /// forced send since ended otherwise.
    pub accepted_order_no: Option<&'a str>,
    /// The state the journal derives from its record.
    pub state: State,
    /// When the first acceptance was recorded (UTC milliseconds).
    pub accepted_at: Option<i64>,
    /// What was last sent (`protocol::notice_content`) and its fingerprint; `None` for a
    /// notice recorded before the journal kept content.
    pub content: Option<&'a str>,
    pub content_fp: Option<&'a str>,
    /// The last answer's dealCode and dealDesc, and when the notice was last sent (UTC
    /// milliseconds): what a rejection said, and when.
    pub deal_code: Option<&'a str>,
    pub deal_desc: Option<&'a str>,
    pub last_sent_at: Option<i64>,
}

/// What may be sent again: `--force` (even what was accepted) and `--retry-rejected` (what
/// was rejected, unchanged).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resend {
    pub force: bool,
    pub retry_rejected: bool,
}

/// What is asked of a notice now: the input's orderNo, whether one may be made up, `--force`,
/// `--retry-rejected`, and its content (`None`: not compared).
#[derive(Clone, Copy, Debug, Default)]
pub struct Ask<'a> {
    pub given: Option<&'a str>,
    pub can_generate: bool,
    pub force: bool,
    pub retry_rejected: bool,
    pub content: Option<&'a Content>,
}

/// Which orderNo a notice that is to be sent goes under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderNo {
    /// The one given in the input.
    Given(String),
    /// The one the journal holds.
    Recorded(String),
    /// A new one, made up when the notice is first claimed.
    Generate,
}

impl OrderNo {
    /// The orderNo, when it is known before the claim (`None`: one will be generated).
    pub fn known(&self) -> Option<&str> {
        match self {
            OrderNo::Given(o) | OrderNo::Recorded(o) => Some(o),
            OrderNo::Generate => None,
        }
    }
}

/// What to do with one notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Send it under this orderNo.
    Send(OrderNo),
    /// Failed or rejected earlier with other content: send it under this orderNo, as a
    /// correction; `changes` names each field that differs (`amount 10.00 → 20.00`).
    Correct {
        order_no: OrderNo,
        changes: Vec<String>,
    },
    /// The platform holds (accepted) or may hold (in doubt) other content for this notice:
    /// an input error unless forced.
    Changed {
        changes: Vec<String>,
        order_no: String,
        /// When it was accepted; `None` when it is in doubt.
        accepted_at: Option<i64>,
    },
    /// Accepted before (and not forced): send nothing; the accepted orderNo.
    Skip { accepted_order_no: String },
    /// Rejected before, and unchanged since (and not asked to retry): sending it again would
    /// only be rejected again. The orderNo and what the platform said, when.
    SkipRejected(Rejection),
    /// Already sent under `recorded`, and `given` is another: an input error.
    Conflict { recorded: String, given: String },
    /// The orderNo given is the journal's for another policy (on this platform and channel):
    /// an orderNo follows one policy for its whole life, so this is an input error. Found
    /// by the first pass, which looks across notices; `at` is when the other was last sent.
    OrderNoTaken {
        order_no: String,
        other_policy: String,
        at: i64,
    },
    /// Nothing recorded, none given, and none may be generated: an input error.
    NeedsOrderNo,
}

impl Decision {
    /// The input error this decision is, in words, for the notice of `policy_no`.
    pub fn problem(&self, policy_no: &str) -> Option<String> {
        match self {
            Decision::Send(_)
            | Decision::Correct { .. }
            | Decision::Skip { .. }
            | Decision::SkipRejected(_) => None,
            Decision::Changed {
                changes,
                order_no,
                accepted_at,
            } => Some(content_changed(policy_no, changes, order_no, *accepted_at)),
            Decision::Conflict { recorded, given } => {
                Some(order_conflict(policy_no, recorded, given))
            }
            Decision::OrderNoTaken {
                order_no,
                other_policy,
                at,
            } => Some(format!(
                "orderNo {order_no} is already the orderNo of policy {other_policy} (sent {}; see \
                 `avatar-cli history --policy {other_policy}`): an orderNo follows one policy for \
                 its whole life, so give policy {policy_no} its own",
                crate::protocol::format_time(*at)
            )),
            Decision::NeedsOrderNo => Some(missing_order_no(policy_no)),
        }
    }
}

/// The orderNo a decision sends under, if it sends.
impl Decision {
    pub fn sends(&self) -> Option<&OrderNo> {
        match self {
            Decision::Send(o) | Decision::Correct { order_no: o, .. } => Some(o),
            _ => None,
        }
    }
}

/// A rejection the journal holds: the orderNo, the platform's answer and when it was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub order_no: String,
    pub deal_code: Option<String>,
    pub deal_desc: Option<String>,
    /// UTC milliseconds.
    pub at: Option<i64>,
}

impl Rejection {
    /// `rejected earlier: 0 already cancelled, 2026-12-01T10:00:00.000+08:00`.
    pub fn reason(&self) -> String {
        let answer = [self.deal_code.as_deref(), self.deal_desc.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let when = self.at.map(crate::protocol::format_time);
        match (answer.is_empty(), when) {
            (false, Some(when)) => format!("rejected earlier: {answer}, {when}"),
            (false, None) => format!("rejected earlier: {answer}"),
            (true, Some(when)) => format!("rejected earlier, {when}"),
            (true, None) => "rejected earlier".to_string(),
        }
    }
}

/// The rule, for a notice the journal records as `recorded` (if at all) and what is asked of
/// it now.
pub fn decide(recorded: Option<Known<'_>>, ask: Ask<'_>) -> Decision {
    let Ask {
        given,
        can_generate,
        force,
        retry_rejected,
        content,
    } = ask;
    let Some(known) = recorded else {
        return match given {
            Some(given) => Decision::Send(OrderNo::Given(given.to_string())),
            None if can_generate => Decision::Send(OrderNo::Generate),
            None => Decision::NeedsOrderNo,
        };
    };
    // Only a notice recorded with content, and sent, can have changed.
    let changes = match (content, known.content, known.content_fp) {
        (Some(now), Some(was), Some(fp)) if known.attempts > 0 && fp != now.fingerprint => {
            Some(content_changes(was, &now.text))
        }
        _ => None,
    };
    if let (Some(accepted), false) = (known.accepted_order_no, force) {
        return match (changes, given) {
            (Some(changes), _) => Decision::Changed {
                changes,
                order_no: accepted.to_string(),
                accepted_at: known.accepted_at,
            },
            // Accepted under one orderNo, and another given now: one of the two is wrong,
            // and skipping would hide that the input disagrees with what the platform holds.
            (None, Some(given)) if given != accepted && given != known.order_no => {
                Decision::Conflict {
                    recorded: accepted.to_string(),
                    given: given.to_string(),
                }
            }
            (None, _) => Decision::Skip {
                accepted_order_no: accepted.to_string(),
            },
        };
    }
    let order_no = match given {
        Some(given) if given != known.order_no => {
            // A forced resend of an accepted notice may name a new orderNo; so may a notice
            // whose orderNo was written but never sent. Anything else would send one notice
            // under two orderNos.
            let forced_accepted = known.accepted_order_no.is_some() && force;
            if forced_accepted || known.attempts == 0 {
                OrderNo::Given(given.to_string())
            } else {
                return Decision::Conflict {
                    recorded: known.order_no.to_string(),
                    given: given.to_string(),
                };
            }
        }
        _ => OrderNo::Recorded(known.order_no.to_string()),
    };
    match (changes, known.state) {
        (None, State::Rejected) if !force && !retry_rejected => Decision::SkipRejected(Rejection {
            order_no: known.order_no.to_string(),
            deal_code: known.deal_code.map(str::to_owned),
            deal_desc: known.deal_desc.map(str::to_owned),
            at: known.last_sent_at,
        }),
        (None, _) => Decision::Send(order_no),
        // The platform may hold the earlier content: sending other content under the same
        // orderNo is the user's call.
        (Some(changes), State::InDoubt) if !force => Decision::Changed {
            changes,
            order_no: known.order_no.to_string(),
            accepted_at: None,
        },
        (Some(changes), State::Failed | State::Rejected) => Decision::Correct { order_no, changes },
        (Some(_), _) => Decision::Send(order_no),
    }
}

/// Each field that differs between two `protocol::notice_content`s, as `amount 10.00 →
/// 20.00`, in the order of the interface's fields; a field given on one side only shows
/// `(none)` on the other.
pub fn content_changes(was: &str, now: &str) -> Vec<String> {
    let fields = |s: &str| match serde_json::from_str::<serde_json::Value>(s) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (was, now) = (fields(was), fields(now));
    let shown = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => crate::text::quote(s),
        Some(other) => crate::text::quote(&other.to_string()),
        None => "(none)".to_string(),
    };
    ["policyNo", "amount", "date", "status", "installments"]
        .iter()
        .filter(|k| was.get(**k) != now.get(**k))
        .map(|k| format!("{k} {} → {}", shown(was.get(*k)), shown(now.get(*k))))
        .collect()
}

pub fn missing_order_no(policy_no: &str) -> String {
    format!(
        "no orderNo for policy {policy_no}: pass the policy's order number (--order-no, or an orderNo column), \
         or --generate-order-no to make one up"
    )
}

pub fn content_changed(
    policy_no: &str,
    changes: &[String],
    order_no: &str,
    accepted_at: Option<i64>,
) -> String {
    let changes = changes.join(", ");
    match accepted_at {
        Some(at) => format!(
            "policy {policy_no} was accepted at {} under orderNo {order_no} with other content ({changes}); \
             the platform holds the earlier content: pass --force to send the new content under orderNo {order_no}, \
             or put the earlier content back",
            crate::protocol::format_time(at)
        ),
        None => format!(
            "policy {policy_no} may have reached the platform (an attempt under orderNo {order_no} has no readable answer) \
             with other content ({changes}); pass --force to send the new content under orderNo {order_no}, \
             or put the earlier content back to resend it"
        ),
    }
}

/// The warning on a send that corrects an earlier failed or rejected one.
pub fn correction(changes: &[String]) -> String {
    format!("correction of the earlier attempt: {}", changes.join(", "))
}

pub fn order_conflict(policy_no: &str, recorded: &str, given: &str) -> String {
    format!(
        "policy {policy_no} was already sent under orderNo {recorded} (see `avatar-cli history --policy {policy_no}`), \
         but orderNo {given} is given now; a notice is never sent under two orderNos: give {recorded} or none"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAS: &str = r#"{"amount":"10.00","policyNo":"P"}"#;
    const NOW: &str = r#"{"amount":"20.00","policyNo":"P"}"#;

    fn content(text: &str) -> Content {
        Content {
            text: text.into(),
            fingerprint: crate::protocol::content_fingerprint(text),
        }
    }

    /// The recorded states a notice can be in, as the rule sees them; `with_content` whether
    /// the record keeps what was sent (`WAS`), or predates that.
    pub(crate) fn recorded_states(
        with_content: bool,
        fp: &'static str,
    ) -> Vec<(&'static str, Option<Known<'static>>)> {
        let known = |attempts, accepted, state| {
            Some(Known {
                order_no: "REC",
                attempts,
                accepted_order_no: accepted,
                state,
                accepted_at: accepted.map(|_| 0),
                content: (with_content && attempts > 0).then_some(WAS),
                content_fp: (with_content && attempts > 0).then_some(fp),
                deal_code: (state == State::Rejected).then_some("0"),
                deal_desc: (state == State::Rejected).then_some("bad"),
                last_sent_at: (attempts > 0).then_some(5),
            })
        };
        vec![
            ("none", None),
            ("notSent", known(0, None, State::NotSent)),
            ("failed", known(1, None, State::Failed)),
            ("rejected", known(1, None, State::Rejected)),
            ("inDoubt", known(1, None, State::InDoubt)),
            ("accepted", known(1, Some("REC"), State::Accepted)),
            // Accepted under ACC, then forced under REC, which did not end accepted.
            ("accepted-then-forced", known(2, Some("ACC"), State::Failed)),
        ]
    }

    fn send(o: &str) -> Decision {
        Decision::Send(OrderNo::Given(o.into()))
    }

    fn recorded() -> Decision {
        Decision::Send(OrderNo::Recorded("REC".into()))
    }

    fn skip(o: &str) -> Decision {
        Decision::Skip {
            accepted_order_no: o.into(),
        }
    }

    fn conflict() -> Decision {
        conflict_with("REC")
    }

    fn conflict_with(recorded: &str) -> Decision {
        Decision::Conflict {
            recorded: recorded.into(),
            given: "NEW".into(),
        }
    }

    fn skip_rejected() -> Decision {
        Decision::SkipRejected(Rejection {
            order_no: "REC".into(),
            deal_code: Some("0".into()),
            deal_desc: Some("bad".into()),
            at: Some(5),
        })
    }

    fn changes() -> Vec<String> {
        vec!["amount 10.00 → 20.00".to_string()]
    }

    /// What the rule must answer when the content is unchanged or was never recorded:
    /// (state, given, can_generate, force, retry_rejected) -> decision.
    fn expected(
        state: &str,
        given: Option<&str>,
        generate: bool,
        force: bool,
        retry: bool,
    ) -> Decision {
        match (state, given, force) {
            ("none", Some(g), _) => send(g),
            ("none", None, _) if generate => Decision::Send(OrderNo::Generate),
            ("none", None, _) => Decision::NeedsOrderNo,
            // Another orderNo for an accepted notice is an input error, not a silent skip.
            ("accepted", Some("NEW"), false) => conflict_with("REC"),
            ("accepted-then-forced", Some("NEW"), false) => conflict_with("ACC"),
            ("accepted", _, false) => skip("REC"),
            ("accepted-then-forced", _, false) => skip("ACC"),
            // Forced after an acceptance: a new orderNo may be given.
            ("accepted" | "accepted-then-forced", Some("NEW"), true) => send("NEW"),
            // Written but never sent: a new orderNo may be given.
            ("notSent", Some("NEW"), _) => send("NEW"),
            (_, Some("NEW"), _) => conflict(),
            // Rejected and unchanged: not sent again unless asked.
            ("rejected", _, false) if !retry => skip_rejected(),
            _ => recorded(),
        }
    }

    /// The same with the content changed since it was sent.
    fn expected_changed(
        state: &str,
        given: Option<&str>,
        generate: bool,
        force: bool,
        retry: bool,
    ) -> Decision {
        let same = expected(state, given, generate, force, retry);
        match (state, &same, force) {
            // Rejected, then changed: sent, as a correction, whatever was asked.
            ("rejected", Decision::SkipRejected(_), _) => Decision::Correct {
                order_no: OrderNo::Recorded("REC".into()),
                changes: changes(),
            },
            // The platform holds the earlier content: refused unless forced (which says
            // more than another orderNo would).
            ("accepted", Decision::Skip { .. } | Decision::Conflict { .. }, false) => {
                Decision::Changed {
                    changes: changes(),
                    order_no: "REC".into(),
                    accepted_at: Some(0),
                }
            }
            ("accepted-then-forced", Decision::Skip { .. } | Decision::Conflict { .. }, false) => {
                Decision::Changed {
                    changes: changes(),
                    order_no: "ACC".into(),
                    accepted_at: Some(0),
                }
            }
            // It may hold it: the same.
            ("inDoubt", Decision::Send(_), false) => Decision::Changed {
                changes: changes(),
                order_no: "REC".into(),
                accepted_at: None,
            },
            // Failed or rejected: sent, as a correction.
            ("failed" | "rejected" | "accepted-then-forced", Decision::Send(o), _) => {
                Decision::Correct {
                    order_no: o.clone(),
                    changes: changes(),
                }
            }
            _ => same,
        }
    }

    #[test]
    fn the_rule_over_every_combination() {
        let was_fp: &'static str = Box::leak(content(WAS).fingerprint.into_boxed_str());
        let mut cases = 0;
        // (recorded with content, content now): legacy records compare nothing.
        for (with_content, now) in [
            (false, None),
            (false, Some(NOW)),
            (true, None),
            (true, Some(WAS)),
            (true, Some(NOW)),
        ] {
            let now = now.map(content);
            for (state, known) in recorded_states(with_content, was_fp) {
                for given in [None, Some("REC"), Some("NEW")] {
                    for generate in [false, true] {
                        for (force, retry) in [(false, false), (true, false), (false, true)] {
                            let ask = Ask {
                                given,
                                can_generate: generate,
                                force,
                                retry_rejected: retry,
                                content: now.as_ref(),
                            };
                            let got = decide(known, ask);
                            let changed =
                                with_content && now.as_ref().is_some_and(|c| c.text == NOW);
                            let want = if changed {
                                expected_changed(state, given, generate, force, retry)
                            } else {
                                expected(state, given, generate, force, retry)
                            };
                            assert_eq!(
                                got, want,
                                "state {state}, content {with_content}/{now:?}, given {given:?}, \
                                 generate {generate}, force {force}, retry {retry}"
                            );
                            cases += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(cases, 5 * 7 * 3 * 2 * 3);
    }

    /// The second pass (`run/settled.rs`) reads an accepted notice without its last attempt's
    /// row, so without knowing whether it is in doubt: that must not change a decision made
    /// without force about a notice accepted earlier.
    #[test]
    fn an_acceptance_decides_whatever_the_state_unless_forced() {
        let was_fp: &'static str = Box::leak(content(WAS).fingerprint.into_boxed_str());
        for now in [None, Some(content(WAS)), Some(content(NOW))] {
            for given in [None, Some("A"), Some("NEW")] {
                let decided: Vec<Decision> = State::ALL
                    .iter()
                    .map(|&state| {
                        let known = Known {
                            order_no: "A",
                            attempts: 2,
                            accepted_order_no: Some("A"),
                            state,
                            accepted_at: Some(1),
                            content: Some(WAS),
                            content_fp: Some(was_fp),
                            deal_code: None,
                            deal_desc: None,
                            last_sent_at: None,
                        };
                        let ask = Ask {
                            given,
                            can_generate: true,
                            content: now.as_ref(),
                            ..Ask::default()
                        };
                        decide(Some(known), ask)
                    })
                    .collect();
                assert!(
                    decided.iter().all(|d| *d == decided[0]),
                    "{now:?} {given:?}: {decided:?}"
                );
            }
        }
    }

    #[test]
    fn changes_name_each_field_old_to_new() {
        let was = crate::protocol::notice_content(
            "P",
            &crate::protocol::RefundDetails {
                amount: Some("10".parse().unwrap()),
                status: Some(1),
                ..Default::default()
            },
        );
        let now = crate::protocol::notice_content(
            "P",
            &crate::protocol::RefundDetails {
                amount: Some("20".parse().unwrap()),
                refund_date: Some("2024-05-10 00:00:00".parse().unwrap()),
                status: Some(1),
                ..Default::default()
            },
        );
        assert_eq!(
            content_changes(&was, &now),
            vec![
                "amount 10.00 → 20.00".to_string(),
                "date (none) → 2024-05-10 00:00:00".to_string()
            ]
        );
    }

    #[test]
    fn only_refusals_are_problems() {
        assert_eq!(recorded().problem("P1"), None);
        assert_eq!(skip("A").problem("P1"), None);
        assert!(conflict().problem("P1").unwrap().contains("two orderNos"));
        assert!(Decision::NeedsOrderNo
            .problem("P1")
            .unwrap()
            .contains("no orderNo for policy P1"));
    }
}
