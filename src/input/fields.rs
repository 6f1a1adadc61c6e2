//! One cell (or JSON value, or flag) → one typed field of a notice. The same rules for every
//! way in, so a CSV row, a JSON line and `send --policy` are judged alike.

use super::field::Field;
use crate::protocol::{check_identifier, Amount, CstDateTime, Installment, RefundDetails};
use crate::text::quote;
use serde_json::Value;

/// A value as it arrived: text from a CSV cell or a flag, or a JSON value.
#[derive(Clone, Copy)]
pub(crate) enum Cell<'a> {
    Text(&'a str),
    Json(&'a Value),
}

/// The fields of one row as they are read, and what was wrong with them. Problems carry the
/// column name the user wrote, so the message points at their header, key or flag.
#[derive(Debug, Default)]
pub(crate) struct Draft {
    pub policy_no: Option<String>,
    pub order_no: Option<String>,
    pub details: RefundDetails,
    /// The `endpoint` and `policySource` cells, when the row has them.
    pub platform: crate::notice::RowPlatform,
    /// (column, message)
    pub errors: Vec<(String, String)>,
    pub warnings: Vec<(String, String)>,
    /// Fields given a non-blank value, valid or not: a bad value is not also a missing one.
    given: [bool; Field::ALL.len()],
}

impl Draft {
    pub fn clear(&mut self) {
        self.policy_no = None;
        self.order_no = None;
        self.details = RefundDetails::default();
        self.platform = Default::default();
        self.errors.clear();
        self.warnings.clear();
        self.given = [false; Field::ALL.len()];
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    pub fn error(&mut self, column: &str, message: impl Into<String>) {
        self.errors.push((column.to_owned(), message.into()));
    }

    /// A field given in a form that cannot be read at all (bytes that are not text).
    pub fn reject(&mut self, field: Field, column: &str, message: impl Into<String>) {
        self.given[field.index()] = true;
        self.error(column, message);
    }

    /// Reads one field. Blank text and JSON `null` mean the field is absent.
    pub fn set(&mut self, field: Field, column: &str, cell: Cell<'_>) {
        let text = match cell {
            Cell::Text(t) => Some(t.trim()),
            Cell::Json(Value::String(s)) => Some(s.trim()),
            Cell::Json(Value::Null) => return,
            Cell::Json(_) => None,
        };
        if text == Some("") {
            return;
        }
        self.given[field.index()] = true;
        let result = match (field, text, cell) {
            (Field::PolicyNo, _, _) => identifier("policy number", text, cell)
                .map(|p| self.policy_no = Some(p)),
            (Field::OrderNo, _, _) => {
                identifier("order number", text, cell).map(|o| self.order_no = Some(o))
            }
            (Field::Amount, _, _) => amount(text, cell).map(|a| self.details.amount = Some(a)),
            (Field::RefundDate, Some(t), _) => {
                date(t).map(|d| self.details.refund_date = Some(d))
            }
            (Field::RefundDate, None, _) => {
                Err("must be a string in yyyy-MM-dd HH:mm:ss".to_owned())
            }
            (Field::Status, _, _) => status(text, cell).map(|s| self.details.status = Some(s)),
            (Field::Installments, Some(t), _) => {
                installments_text(t).map(|l| self.details.installments = Some(l))
            }
            (Field::Installments, None, Cell::Json(Value::Array(items))) => {
                installments_json(items).map(|l| self.details.installments = Some(l))
            }
            (Field::Installments, None, _) => Err(
                "must be a list of {payNo, amount, refundTime} or PAYNO:AMOUNT:TIME items joined by ;"
                    .to_owned(),
            ),
            (Field::Endpoint, Some(t), _) => {
                self.platform.endpoint = Some(t.to_owned());
                Ok(())
            }
            (Field::PolicySource, Some(t), _) => {
                check_identifier("channel code", t).map(|()| self.platform.policy_source = Some(t.to_owned()))
            }
            (Field::Endpoint | Field::PolicySource, None, _) => Err("must be a string".to_owned()),
        };
        if let Err(message) = result {
            let message = match text {
                Some(t) => super::hints::explain(field, t, message),
                None => message,
            };
            self.error(column, message);
        }
    }

    /// The checks that look at the row as a whole: a policy number at all, an order number
    /// when the caller cannot supply one, and installments that match the amount.
    pub fn finish(&mut self, names: &ColumnNames, order_no_hint: Option<&str>) {
        if !self.given[Field::PolicyNo.index()] {
            self.error(names.get(Field::PolicyNo), "policy number is empty");
        }
        if let Some(hint) = order_no_hint {
            if !self.given[Field::OrderNo.index()] {
                self.error(
                    names.get(Field::OrderNo),
                    format!("no order number: {hint}"),
                );
            }
        }
        if let Some(mismatch) = self.details.installment_mismatch() {
            self.warnings
                .push((names.get(Field::Installments).to_owned(), mismatch));
        }
    }
}

/// The name each field goes by in this input, for problems about a field that may not even
/// be there (a missing policy number, orderNo).
#[derive(Debug, Clone)]
pub(crate) struct ColumnNames([String; Field::ALL.len()]);

impl ColumnNames {
    pub fn wire() -> Self {
        ColumnNames(Field::ALL.map(|f| f.wire_name().to_owned()))
    }

    pub fn flags() -> Self {
        ColumnNames(Field::ALL.map(|f| f.flag().to_owned()))
    }

    pub fn get(&self, field: Field) -> &str {
        &self.0[field.index()]
    }

    pub fn set(&mut self, field: Field, name: &str) {
        self.0[field.index()] = name.to_owned();
    }
}

fn identifier(what: &str, text: Option<&str>, cell: Cell<'_>) -> Result<String, String> {
    let value = match (text, cell) {
        (Some(t), _) => t.to_owned(),
        // A JSON number cannot have lost leading zeros (JSON forbids them), so its text is
        // the number the user meant.
        (None, Cell::Json(Value::Number(n))) if n.is_u64() => n.to_string(),
        _ => return Err(format!("{what} must be a string")),
    };
    check_identifier(what, &value)?;
    Ok(value)
}

/// `CstDateTime::from_str`, with a fast path for the common case: chrono's format-string
/// parser was the largest single cost of validating a big file. Anything the fast path does
/// not take (a bad shape, a leap second, an impossible date) goes to the real parser, so the
/// result and the messages are exactly its.
fn date(text: &str) -> Result<CstDateTime, String> {
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b.get(range)?.iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let fast = (b.len() == 19
        && (b[4], b[7], b[10], b[13], b[16]) == (b'-', b'-', b' ', b':', b':'))
        .then(|| {
            let day = chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
            day.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)
        })
        .flatten();
    match fast {
        Some(datetime) => Ok(CstDateTime(datetime)),
        None => text.parse(),
    }
}

fn amount(text: Option<&str>, cell: Cell<'_>) -> Result<Amount, String> {
    match (text, cell) {
        (Some(t), _) => t.parse(),
        // serde_json prints the shortest text that reads back as the same number, so `10.2`
        // stays `10.2` and `10.234` is still caught as three places.
        (None, Cell::Json(Value::Number(n))) => n.to_string().parse(),
        _ => Err("the amount must be a number or a string".to_owned()),
    }
}

fn status(text: Option<&str>, cell: Cell<'_>) -> Result<i64, String> {
    match (text, cell) {
        (Some(t), _) => t
            .parse()
            .map_err(|_| format!("status '{}' is not an integer", quote(t))),
        (None, Cell::Json(Value::Number(n))) => n
            .as_i64()
            .ok_or_else(|| format!("status {n} is not an integer")),
        _ => Err("the status must be an integer".to_owned()),
    }
}

/// Either a JSON array (as the wire has it) or `PAYNO:AMOUNT:TIME` items joined by `;`.
pub(crate) fn installments_text(text: &str) -> Result<Vec<Installment>, String> {
    let text = text.trim();
    if text.starts_with('[') {
        return match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => installments_json(&items),
            _ => Err(
                "installments starting with [ must be a JSON array of {payNo, amount, refundTime}"
                    .to_owned(),
            ),
        };
    }
    text.split(';')
        .map(str::trim)
        // A trailing `;` is an easy slip and means nothing.
        .filter(|item| !item.is_empty())
        .enumerate()
        .map(|(i, item)| {
            item.parse::<Installment>()
                .map_err(|e| format!("installment {}: {e}", i + 1))
        })
        .collect()
}

fn installments_json(items: &[Value]) -> Result<Vec<Installment>, String> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| installment_json(item).map_err(|e| format!("installment {}: {e}", i + 1)))
        .collect()
}

fn installment_json(item: &Value) -> Result<Installment, String> {
    let Value::Object(map) = item else {
        return Err("must be an object {payNo, amount, refundTime}".to_owned());
    };
    let (mut pay_no, mut amount_value, mut time) = (None, None, None);
    for (key, value) in map {
        match key.to_ascii_lowercase().as_str() {
            "payno" | "pay_no" => pay_no = Some(value),
            "amount" => amount_value = Some(value),
            "refundtime" | "refund_time" => time = Some(value),
            // A misspelt key would otherwise read as a missing field far from the typo.
            _ => return Err(format!("unknown field '{}'", quote(key))),
        }
    }
    let pay_no = match pay_no {
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Some(Value::String(s)) => s.trim().parse().ok(),
        None => return Err("has no payNo".to_owned()),
        _ => None,
    }
    .ok_or_else(|| "payNo is not a non-negative integer".to_owned())?;
    let amount = match amount_value {
        Some(Value::String(s)) => s.trim().parse()?,
        Some(v @ Value::Number(_)) => amount(None, Cell::Json(v))?,
        None => return Err("has no amount".to_owned()),
        Some(_) => return Err("amount must be a number or a string".to_owned()),
    };
    let refund_time = match time {
        Some(Value::String(s)) => s.trim().parse()?,
        None => return Err("has no refundTime".to_owned()),
        Some(_) => return Err("refundTime must be a string in yyyy-MM-dd HH:mm:ss".to_owned()),
    };
    Ok(Installment {
        pay_no,
        amount,
        refund_time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_in_any_documented_spelling() {
        assert_eq!(Field::from_name("POLICYNO"), Some(Field::PolicyNo));
        assert_eq!(Field::from_name("Policy_No"), Some(Field::PolicyNo));
        assert_eq!(Field::from_name("保单号"), Some(Field::PolicyNo));
        assert_eq!(Field::from_name("退费金额"), Some(Field::Amount));
        assert_eq!(Field::from_name("INSTALLMENTS"), Some(Field::Installments));
        assert_eq!(Field::from_name("refundDate"), Some(Field::RefundDate));
        assert_eq!(
            Field::from_name("second_refund_status"),
            Some(Field::Status)
        );
        assert_eq!(Field::from_name("Policy No"), Some(Field::PolicyNo));
        assert_eq!(Field::from_name("policy"), None);
        assert_eq!(Field::from_name(""), None);
    }

    #[test]
    fn installments_in_both_forms_read_alike() {
        let a = installments_text("1:5:2021-05-10 11:59:59; 2:5.2:2021-05-11 11:59:59;").unwrap();
        let b = installments_text(
            r#"[{"payNo":1,"amount":5,"refundTime":"2021-05-10 11:59:59"},
                {"payNo":"2","amount":"5.20","refundTime":"2021-05-11 11:59:59"}]"#,
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 2);
        let e = installments_text("1:5:2021-05-10 11:59:59;2:x:2021-05-10 11:59:59").unwrap_err();
        assert!(e.starts_with("installment 2:"), "{e}");
        let e = installments_text(r#"[{"payNo":1,"amount":5,"refund":"x"}]"#).unwrap_err();
        assert!(e.contains("unknown field 'refund'"), "{e}");
        let e =
            installments_text(r#"[{"payNo":1,"amount":5.001,"refundTime":"2021-05-10 11:59:59"}]"#)
                .unwrap_err();
        assert!(e.contains("at most two decimal places"), "{e}");
        assert!(installments_text("[1,").is_err());
    }

    #[test]
    fn json_numbers_are_judged_by_their_text() {
        let mut d = Draft::default();
        let v: Value = serde_json::from_str(r#"[10.2, 10.234, -1, 1, 1.5]"#).unwrap();
        d.set(Field::Amount, "amount", Cell::Json(&v[0]));
        assert_eq!(d.details.amount.unwrap().to_string(), "10.2");
        d.set(Field::Amount, "amount", Cell::Json(&v[1]));
        d.set(Field::Amount, "amount", Cell::Json(&v[2]));
        d.set(Field::Status, "status", Cell::Json(&v[3]));
        assert_eq!(d.details.status, Some(1));
        d.set(Field::Status, "status", Cell::Json(&v[4]));
        assert_eq!(d.errors.len(), 3, "{:?}", d.errors);
    }

    #[test]
    fn finish_adds_the_row_checks() {
        let mut d = Draft::default();
        d.set(Field::Amount, "amount", Cell::Text(" 10 "));
        d.set(
            Field::Installments,
            "installments",
            Cell::Text("1:9:2021-05-10 11:59:59"),
        );
        d.finish(&ColumnNames::wire(), Some("add an orderNo column"));
        let columns: Vec<_> = d.errors.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(columns, ["policyNo", "orderNo"]);
        assert_eq!(d.warnings.len(), 1);
        assert!(d.warnings[0].1.contains("add up to 9"));
    }

    #[test]
    fn the_fast_date_path_agrees_with_the_real_parser() {
        for text in [
            "2021-05-10 12:00:00",
            "2024-02-29 23:59:59",
            "2023-02-29 12:00:00",
            "2021-05-10 24:00:00",
            "2021-05-10 23:59:60",
            "2021-5-10 12:00:00",
            "2021-05-10T12:00:00",
            "2021-05-10 12:0a:00",
            "0000-01-01 00:00:00",
            "２０21-05-10 12:00:00",
            "",
        ] {
            assert_eq!(date(text), text.parse::<CstDateTime>(), "{text}");
        }
    }

    #[test]
    fn blank_means_absent() {
        let mut d = Draft::default();
        d.set(Field::Amount, "amount", Cell::Text("   "));
        d.set(Field::Status, "status", Cell::Json(&Value::Null));
        d.set(Field::PolicyNo, "policyNo", Cell::Text(" P1 "));
        assert!(!d.has_errors());
        assert_eq!(d.details, RefundDetails::default());
        assert_eq!(d.policy_no.as_deref(), Some("P1"));
    }
}
