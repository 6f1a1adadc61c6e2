//! `send --policy …` and `validate --policy …`: the same field checks as a file row, with the
//! flags standing in for columns.

use super::field::Field;
use super::fields::{Cell, ColumnNames, Draft};
use super::Problem;
use crate::notice::Row;
use std::collections::HashMap;

const FILE: &str = "<command line>";

/// The notice fields of `send` and `validate --policy`. Kept as text: `input` parses them with
/// the same rules as a CSV cell, so both report problems alike.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FieldFlags {
    /// Policy number; repeatable
    #[arg(long = "policy", value_name = "NO")]
    pub policies: Vec<String>,
    /// The policy's order number (only with a single --policy)
    #[arg(long, value_name = "NO")]
    pub order_no: Option<String>,
    /// secondRefundAmount, a decimal with at most two places
    #[arg(long, value_name = "DECIMAL")]
    pub amount: Option<String>,
    /// secondRefundDate, in China Standard Time
    #[arg(long, value_name = "yyyy-MM-dd HH:mm:ss")]
    pub refund_date: Option<String>,
    /// secondRefundStatus
    #[arg(long, value_name = "INT", allow_negative_numbers = true)]
    pub status: Option<String>,
    /// installmentList item; repeatable
    #[arg(long = "installment", value_name = "PAYNO:AMOUNT:yyyy-MM-dd HH:mm:ss")]
    pub installments: Vec<String>,
}

/// The fields other than the policy, checked once, as a row with a placeholder policy; their
/// problems go to `problems`.
fn shared_fields(
    flags: &FieldFlags,
    require_order_no: bool,
    names: &ColumnNames,
    problems: &mut Vec<Problem>,
) -> Draft {
    let mut shared = Draft::default();
    for (field, value) in [
        (Field::OrderNo, &flags.order_no),
        (Field::Amount, &flags.amount),
        (Field::RefundDate, &flags.refund_date),
        (Field::Status, &flags.status),
    ] {
        if let Some(value) = value {
            shared.set(field, field.flag(), Cell::Text(value));
        }
    }
    if !flags.installments.is_empty() {
        // Each flag is one item; joined, they read exactly like a CSV cell.
        shared.set(
            Field::Installments,
            Field::Installments.flag(),
            Cell::Text(&flags.installments.join(";")),
        );
    }
    shared.set(Field::PolicyNo, "", Cell::Text("placeholder"));
    let order_hint = require_order_no.then_some("pass --order-no or --generate-order-no");
    shared.finish(names, order_hint);
    problems.extend(
        shared
            .errors
            .drain(..)
            .map(|(column, message)| Problem::error(FILE, None, &column, message)),
    );
    problems.extend(
        shared
            .warnings
            .drain(..)
            .map(|(column, message)| Problem::warning(FILE, None, &column, message)),
    );
    shared
}

/// One row per valid `--policy`, and every problem. The fields other than the policy are
/// shared, so their problems are reported once, and when there are any no row is valid.
pub fn rows_from_flags(flags: &FieldFlags, require_order_no: bool) -> (Vec<Row>, Vec<Problem>) {
    let names = ColumnNames::flags();
    let mut problems = Vec::new();
    let error = |column: Field, message: String| Problem::error(FILE, None, column.flag(), message);

    let shared = shared_fields(flags, require_order_no, &names, &mut problems);

    if flags.policies.is_empty() {
        problems.push(error(
            Field::PolicyNo,
            "no policy given: pass --policy <NO>".to_owned(),
        ));
    }
    if flags.policies.len() > 1 && flags.order_no.is_some() {
        problems.push(error(
            Field::OrderNo,
            "--order-no goes with a single --policy; an orderNo belongs to one policy".to_owned(),
        ));
    }
    let shared_ok = problems.iter().all(|p| !p.is_error());

    // A handful of flags: the strings themselves, no need for the file readers' hashes.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::new();
    for (i, policy) in flags.policies.iter().enumerate() {
        let mut draft = Draft::default();
        draft.set(Field::PolicyNo, Field::PolicyNo.flag(), Cell::Text(policy));
        // A blank cell is an absent field, but `--policy ""` is a policy asked for and not
        // given (an unset shell variable, say): checking or sending nothing is not success.
        if draft.policy_no.is_none() && !draft.has_errors() {
            let which = if flags.policies.len() == 1 {
                String::new()
            } else {
                format!(" (--policy number {})", i + 1)
            };
            draft.error(
                Field::PolicyNo.flag(),
                format!("policy number is empty{which}: pass --policy <NO>"),
            );
        }
        let mut ok = !draft.has_errors();
        problems.extend(
            draft
                .errors
                .drain(..)
                .map(|(column, message)| Problem::error(FILE, None, &column, message)),
        );
        if let Some(policy_no) = draft.policy_no {
            let first = *seen.entry(policy_no.clone()).or_insert(i);
            if first != i {
                problems.push(error(
                    Field::PolicyNo,
                    format!(
                        "policy {policy_no} is given twice (--policy number {} and {})",
                        first + 1,
                        i + 1
                    ),
                ));
                ok = false;
            }
            if ok && shared_ok {
                rows.push(Row {
                    line: None,
                    policy_no,
                    order_no: shared.order_no.clone(),
                    details: shared.details.clone(),
                    platform: None,
                    raw: None,
                });
            }
        }
    }
    (rows, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(policies: &[&str]) -> FieldFlags {
        FieldFlags {
            policies: policies.iter().map(|p| p.to_string()).collect(),
            ..Default::default()
        }
    }

    fn messages(problems: &[Problem]) -> Vec<String> {
        problems.iter().map(Problem::to_string).collect()
    }

    #[test]
    fn good_flags_make_one_row_per_policy() {
        let mut f = flags(&["P1", " P2 "]);
        f.amount = Some("10.2".into());
        f.refund_date = Some("2021-05-10 12:00:00".into());
        f.status = Some("1".into());
        f.installments = vec!["1:10.2:2021-05-10 11:59:59".into()];
        let (rows, problems) = rows_from_flags(&f, false);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].policy_no, "P2");
        assert_eq!(rows[1].line, None);
        assert_eq!(rows[0].details.amount.unwrap().to_string(), "10.2");
        assert_eq!(rows[0].details.installments.as_ref().unwrap().len(), 1);
    }

    #[test]
    fn bad_shared_fields_are_reported_once_and_stop_every_row() {
        let mut f = flags(&["P1", "P2"]);
        f.amount = Some("-3".into());
        f.status = Some("x".into());
        f.refund_date = Some("2021-05-10".into());
        let (rows, problems) = rows_from_flags(&f, false);
        assert!(rows.is_empty());
        let m = messages(&problems);
        assert_eq!(m.len(), 3, "{m:?}");
        assert!(m[0].starts_with("<command line>: --amount: '-3'"), "{m:?}");
        assert!(m
            .iter()
            .any(|m| m.starts_with("<command line>: --refund-date:")));
        assert!(m.iter().any(|m| m.starts_with("<command line>: --status:")));
        assert!(problems.iter().all(|p| p.line.is_none()));
    }

    #[test]
    fn policies_are_checked_each_and_across() {
        let f = flags(&["P1", "P 2", "P1"]);
        let (rows, problems) = rows_from_flags(&f, false);
        assert_eq!(rows.len(), 1);
        let m = messages(&problems);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(
            m[0].contains("--policy: policy number 'P 2' contains ' '"),
            "{m:?}"
        );
        assert!(
            m[1].contains("policy P1 is given twice (--policy number 1 and 3)"),
            "{m:?}"
        );
    }

    #[test]
    fn a_blank_policy_is_an_error_not_nothing() {
        for blank in ["", " ", "\t"] {
            let (rows, problems) = rows_from_flags(&flags(&[blank]), false);
            assert!(rows.is_empty());
            assert_eq!(
                messages(&problems),
                ["<command line>: --policy: policy number is empty: pass --policy <NO>"]
            );
        }
        let (rows, problems) = rows_from_flags(&flags(&["P1", ""]), false);
        assert_eq!(rows.len(), 1);
        assert!(messages(&problems)[0].contains("empty (--policy number 2)"));
    }

    #[test]
    fn order_no_goes_with_one_policy() {
        let mut f = flags(&["P1", "P2"]);
        f.order_no = Some("O1".into());
        let (rows, problems) = rows_from_flags(&f, false);
        assert!(rows.is_empty());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].column, "--order-no");

        let mut f = flags(&["P1"]);
        f.order_no = Some("O1".into());
        let (rows, problems) = rows_from_flags(&f, true);
        assert!(problems.is_empty());
        assert_eq!(rows[0].order_no.as_deref(), Some("O1"));
    }

    #[test]
    fn missing_things_say_what_to_pass() {
        let (rows, problems) = rows_from_flags(&flags(&["P1"]), true);
        assert!(rows.is_empty());
        assert_eq!(
            problems[0].to_string(),
            "<command line>: --order-no: no order number: pass --order-no or --generate-order-no"
        );
        let (_, problems) = rows_from_flags(&flags(&[]), false);
        assert_eq!(problems[0].column, "--policy");
    }

    #[test]
    fn installment_mismatch_is_a_warning_and_rows_still_come() {
        let mut f = flags(&["P1"]);
        f.amount = Some("10".into());
        f.installments = vec![
            "1:4:2021-05-10 11:59:59".into(),
            "2:5:2021-05-10 11:59:59".into(),
        ];
        let (rows, problems) = rows_from_flags(&f, false);
        assert_eq!(rows.len(), 1);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].severity, super::super::Severity::Warning);
        assert_eq!(problems[0].column, "--installment");
    }
}
