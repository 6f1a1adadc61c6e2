//! The one rule for what happens to a notice, given what the journal recorded about it.
//!
//! Both the read-only first pass (before anything is sent) and the writer's claim (just before
//! a notice is sent) call [`decide`], so a row that passes the first pass cannot be refused
//! mid-run for a reason the first pass did not see. Pure: no I/O, no clock.
//!
//! The exactly-once promise rests here: a notice accepted before is skipped unless forced,
//! and a notice already sent (at least one attempt) is never sent under a second orderNo.

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
    /// Accepted before (and not forced): send nothing; the accepted orderNo.
    Skip { accepted_order_no: String },
    /// Already sent under `recorded`, and `given` is another: an input error.
    Conflict { recorded: String, given: String },
    /// Nothing recorded, none given, and none may be generated: an input error.
    NeedsOrderNo,
}

impl Decision {
    /// The input error this decision is, in words, for the notice of `policy_no`.
    pub fn problem(&self, policy_no: &str) -> Option<String> {
        match self {
            Decision::Send(_) | Decision::Skip { .. } => None,
            Decision::Conflict { recorded, given } => {
                Some(order_conflict(policy_no, recorded, given))
            }
            Decision::NeedsOrderNo => Some(missing_order_no(policy_no)),
        }
    }
}

/// The rule. `given` is the input's orderNo; `can_generate` whether one may be made up.
pub fn decide(
    recorded: Option<Known<'_>>,
    given: Option<&str>,
    can_generate: bool,
    force: bool,
) -> Decision {
    let Some(known) = recorded else {
        return match given {
            Some(given) => Decision::Send(OrderNo::Given(given.to_string())),
            None if can_generate => Decision::Send(OrderNo::Generate),
            None => Decision::NeedsOrderNo,
        };
    };
    if let (Some(accepted), false) = (known.accepted_order_no, force) {
        return Decision::Skip {
            accepted_order_no: accepted.to_string(),
        };
    }
    match given {
        Some(given) if given != known.order_no => {
            // A forced resend of an accepted notice may name a new orderNo; so may a notice
            // whose orderNo was written but never sent. Anything else would send one notice
            // under two orderNos.
            let forced_accepted = known.accepted_order_no.is_some() && force;
            if forced_accepted || known.attempts == 0 {
                Decision::Send(OrderNo::Given(given.to_string()))
            } else {
                Decision::Conflict {
                    recorded: known.order_no.to_string(),
                    given: given.to_string(),
                }
            }
        }
        _ => Decision::Send(OrderNo::Recorded(known.order_no.to_string())),
    }
}

pub fn missing_order_no(policy_no: &str) -> String {
    format!(
        "no orderNo for policy {policy_no}: pass the policy's order number (--order-no, or an orderNo column), \
         or --generate-order-no to make one up"
    )
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

    /// The recorded states a notice can be in, as the rule sees them.
    pub(crate) fn recorded_states() -> Vec<(&'static str, Option<Known<'static>>)> {
        let known = |attempts, accepted| {
            Some(Known {
                order_no: "REC",
                attempts,
                accepted_order_no: accepted,
            })
        };
        vec![
            ("none", None),
            ("notSent", known(0, None)),
            ("failed", known(1, None)),
            ("rejected", known(1, None)),
            ("inDoubt", known(1, None)),
            ("accepted", known(1, Some("REC"))),
            // Accepted under ACC, then forced under REC, which did not end accepted.
            ("accepted-then-forced", known(2, Some("ACC"))),
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
        Decision::Conflict {
            recorded: "REC".into(),
            given: "NEW".into(),
        }
    }

    /// What the rule must answer: (state, given, can_generate, force) -> decision.
    fn expected(state: &str, given: Option<&str>, generate: bool, force: bool) -> Decision {
        match (state, given, force) {
            ("none", Some(g), _) => send(g),
            ("none", None, _) if generate => Decision::Send(OrderNo::Generate),
            ("none", None, _) => Decision::NeedsOrderNo,
            ("accepted", _, false) => skip("REC"),
            ("accepted-then-forced", _, false) => skip("ACC"),
            // Forced after an acceptance: a new orderNo may be given.
            ("accepted" | "accepted-then-forced", Some("NEW"), true) => send("NEW"),
            // Written but never sent: a new orderNo may be given.
            ("notSent", Some("NEW"), _) => send("NEW"),
            (_, Some("NEW"), _) => conflict(),
            _ => recorded(),
        }
    }

    #[test]
    fn the_rule_over_every_combination() {
        let mut cases = 0;
        for (state, known) in recorded_states() {
            for given in [None, Some("REC"), Some("NEW")] {
                for generate in [false, true] {
                    for force in [false, true] {
                        let got = decide(known, given, generate, force);
                        let want = expected(state, given, generate, force);
                        assert_eq!(
                            got, want,
                            "state {state}, given {given:?}, generate {generate}, force {force}"
                        );
                        cases += 1;
                    }
                }
            }
        }
        assert_eq!(cases, 7 * 3 * 2 * 2);
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
