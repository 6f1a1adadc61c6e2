//! A workbook cell → the text a CSV cell would have held, by the role of its column. The text
//! then goes through the same checks as CSV (`fields.rs`), so a workbook row and a CSV row are
//! judged alike. What a typed cell cannot mean is refused here, naming what the cell holds.

use super::field::Field;
use calamine::{Data, ExcelDateTime};
use chrono::{NaiveDate, NaiveDateTime, Timelike};
use std::borrow::Cow;

/// What one cell says for a field.
#[derive(Debug, PartialEq)]
pub(crate) enum Value<'a> {
    Text(Cow<'a, str>),
    /// No value: the field is absent (or, if a formula is there, it has no saved result).
    Blank,
    /// A cell that cannot stand for the field; the message says why and what to do.
    Bad(String),
}

/// Spreadsheets keep 15 significant digits: an integer longer than that has lost its last
/// digits by the time it is stored.
const EXACT_DIGITS_LIMIT: f64 = 1e15;

/// Whether a number cell's integer is too long to have kept its digits.
pub(crate) fn lost_digits(value: f64) -> bool {
    value.fract() == 0.0 && value.abs() >= EXACT_DIGITS_LIMIT
}

pub(crate) fn read(field: Field, data: &Data) -> Value<'_> {
    match data {
        Data::Empty => Value::Blank,
        Data::String(s) if s.trim().is_empty() => Value::Blank,
        Data::String(s) => Value::Text(Cow::Borrowed(s)),
        Data::Error(e) => Value::Bad(format!(
            "the cell is the error {e} (a formula that failed, such as a lookup that found \
             nothing); type the value in its place"
        )),
        Data::Bool(b) => Value::Bad(format!(
            "the cell is the logical value {}, not {}",
            if *b { "TRUE" } else { "FALSE" },
            what(field)
        )),
        Data::DurationIso(_) => Value::Bad(format!(
            "the cell is a duration, not {}; format the column as {}",
            what(field),
            format_hint(field)
        )),
        Data::DateTime(dt) if field == Field::RefundDate => match serial_datetime(dt) {
            Ok(at) => Value::Text(Cow::Owned(datetime_text(at))),
            Err(message) => Value::Bad(message),
        },
        Data::DateTimeIso(iso) if field == Field::RefundDate => match iso_datetime(iso) {
            Some(at) => Value::Text(Cow::Owned(datetime_text(at))),
            None => Value::Bad(format!("the date cell '{iso}' is not a date and time")),
        },
        Data::DateTime(_) | Data::DateTimeIso(_) => Value::Bad(format!(
            "the cell is formatted as a date, not {}; format the column as {} and type it again",
            what(field),
            format_hint(field)
        )),
        Data::Int(i) => number(field, *i as f64),
        Data::Float(f) => number(field, *f),
    }
}

/// A cell of a column that is no field (the customer's name), as the sheet shows it, for the
/// report that keeps such columns: text as written, a number as [`number_text`], a date cell
/// as `yyyy-MM-dd HH:mm:ss`, an error as its code.
pub(crate) fn shown(data: &Data) -> String {
    match data {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Float(f) => number_text(*f),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => (if *b { "TRUE" } else { "FALSE" }).to_owned(),
        Data::DateTime(dt) => match serial_datetime(dt) {
            Ok(at) => datetime_text(at),
            Err(_) => number_text(dt.as_f64()),
        },
        Data::DateTimeIso(iso) => iso_datetime(iso).map_or_else(|| iso.clone(), datetime_text),
        Data::DurationIso(iso) => iso.clone(),
        Data::Error(e) => e.to_string(),
    }
}

/// What a field's value is, for messages.
fn what(field: Field) -> &'static str {
    match field {
        Field::PolicyNo => "a policy number",
        Field::OrderNo => "an order number",
        Field::Amount => "an amount",
        Field::RefundDate => "a date",
        Field::Status => "a status",
        Field::Installments => "installments",
        Field::Endpoint => "an endpoint",
        Field::PolicySource => "a channel code",
    }
}

/// The cell format that holds a field's values.
fn format_hint(field: Field) -> &'static str {
    match field {
        Field::PolicyNo
        | Field::OrderNo
        | Field::Installments
        | Field::Endpoint
        | Field::PolicySource => "Text",
        Field::Amount => "Number with 2 decimal places",
        Field::RefundDate => "yyyy-mm-dd hh:mm:ss",
        Field::Status => "Number",
    }
}

fn number(field: Field, value: f64) -> Value<'static> {
    if !value.is_finite() {
        return Value::Bad(format!(
            "the cell holds no finite number, not {}",
            what(field)
        ));
    }
    match field {
        Field::PolicyNo | Field::OrderNo if lost_digits(value) => Value::Bad(format!(
            "{} stored as a number and lost digits (the cell holds {}): format the column \
                 as Text and type it again",
            what(field),
            number_text(value)
        )),
        Field::Amount => Value::Text(Cow::Owned(amount_text(value))),
        _ => Value::Text(Cow::Owned(number_text(value))),
    }
}

/// A number as a spreadsheet shows it in a General cell with room enough: rounded to the 15
/// significant digits it keeps (so a stored 10.199999999999999289… is 10.2, and a calculated
/// 11.220000000000001 is 11.22), in plain decimal notation, an integer without a point.
pub(crate) fn number_text(value: f64) -> String {
    let kept: f64 = format!("{value:.14e}").parse().unwrap_or(value);
    if kept == 0.0 {
        // No "-0".
        return "0".to_owned();
    }
    format!("{kept}")
}

/// An amount cell with exactly two decimals (`10.2` → `10.20`, `1000` → `1000.00`); one with
/// more keeps them all, so the amount check refuses it rather than it being rounded here.
pub(crate) fn amount_text(value: f64) -> String {
    let mut text = number_text(value);
    let decimals = text.split_once('.').map_or(0, |(_, frac)| frac.len());
    match decimals {
        0 => text.push_str(".00"),
        1 => text.push('0'),
        _ => {}
    }
    text
}

/// `yyyy-MM-dd HH:mm:ss`, as the notice carries it.
pub(crate) fn datetime_text(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A date cell's serial, in the workbook's date system (the cell knows whether it is 1900 or
/// 1904), rounded to the nearest second: a time is stored as a fraction of a day, and 09:30
/// comes back as 09:29:59.99997.
pub(crate) fn serial_datetime(cell: &ExcelDateTime) -> Result<NaiveDateTime, String> {
    let serial = cell.as_f64();
    if cell.is_duration() || !(1.0..2_958_466.0).contains(&serial) {
        return Err(
            "the date cell holds a time without a date (or a duration); type the date and time"
                .to_owned(),
        );
    }
    let (y, m, d, h, min, s, milli) = cell.to_ymd_hms_milli();
    let day =
        NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d)).ok_or_else(|| {
            format!(
                "the date cell is {y}-{m:02}-{d:02}, a day that never was (spreadsheets count a \
             29 February 1900); type the date again"
            )
        })?;
    let at = day
        .and_hms_opt(u32::from(h), u32::from(min), u32::from(s))
        .ok_or_else(|| "the date cell holds no valid time of day".to_owned())?;
    Ok(if milli >= 500 {
        at + chrono::TimeDelta::seconds(1)
    } else {
        at
    })
}

/// An OpenDocument date value: `2024-05-10T09:30:00` (fractions of a second rounded), or a
/// date alone, `2024-05-11`, which is that day at midnight.
pub(crate) fn iso_datetime(iso: &str) -> Option<NaiveDateTime> {
    if let Ok(at) = NaiveDateTime::parse_from_str(iso, "%Y-%m-%dT%H:%M:%S%.f") {
        let whole = at.with_nanosecond(0)?;
        return Some(if at.nanosecond() >= 500_000_000 {
            whole + chrono::TimeDelta::seconds(1)
        } else {
            whole
        });
    }
    NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
}

/// The `yyyy-MM-dd HH:mm:ss` a notice carries, as a spreadsheet's date and time.
/// (Here, beside the reading of date cells, so that both the fixed copy and the reports
/// write dates one way.)
pub(crate) fn xlsx_datetime(
    at: NaiveDateTime,
) -> Result<rust_xlsxwriter::ExcelDateTime, rust_xlsxwriter::XlsxError> {
    use chrono::Datelike;
    use rust_xlsxwriter::{ExcelDateTime, XlsxError};
    let year =
        u16::try_from(at.year()).map_err(|_| XlsxError::DateTimeRangeError(at.to_string()))?;
    // Month, day, hour, minute and second of a valid date and time all fit in a u8.
    let small = |n: u32| u8::try_from(n).unwrap_or(u8::MAX);
    ExcelDateTime::from_ymd(year, small(at.month()), small(at.day()))?.and_hms(
        at.hour() as u16,
        small(at.minute()),
        at.second(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{CellErrorType, ExcelDateTimeType};
    use proptest::prelude::*;

    fn text(field: Field, data: Data) -> String {
        match read(field, &data) {
            Value::Text(t) => t.into_owned(),
            other => panic!("{data:?} as {field:?}: {other:?}"),
        }
    }

    fn bad(field: Field, data: Data) -> String {
        match read(field, &data) {
            Value::Bad(m) => m,
            other => panic!("{data:?} as {field:?}: {other:?}"),
        }
    }

    fn date(serial: f64, is_1904: bool) -> Data {
        Data::DateTime(ExcelDateTime::new(
            serial,
            ExcelDateTimeType::DateTime,
            is_1904,
        ))
    }

    #[test]
    fn ids_are_the_integer_they_are_up_to_15_digits() {
        assert_eq!(
            text(Field::PolicyNo, Data::Float(612020000001.0)),
            "612020000001"
        );
        assert_eq!(text(Field::OrderNo, Data::Int(42)), "42");
        assert_eq!(
            text(Field::PolicyNo, Data::Float(999_999_999_999_999.0)),
            "999999999999999"
        );
        // 612020240510000123 typed; 6.1202024051E+17 stored: 11 significant digits, but an
        // integer of 18 digits, so digits were lost.
        let m = bad(Field::PolicyNo, Data::Float(6.1202024051e17));
        assert!(
            m.starts_with("a policy number stored as a number and lost digits (the cell holds 612020240510000000): format the column as Text and type it again"),
            "{m}"
        );
        assert!(bad(Field::OrderNo, Data::Float(1e15)).contains("lost digits"));
        assert_eq!(text(Field::PolicyNo, Data::String("P1".into())), "P1");
    }

    #[test]
    fn amounts_have_two_decimals_and_no_float_artefacts() {
        assert_eq!(text(Field::Amount, Data::Float(10.2)), "10.20");
        assert_eq!(text(Field::Amount, Data::Float(1000.0)), "1000.00");
        assert_eq!(text(Field::Amount, Data::Int(1000)), "1000.00");
        assert_eq!(text(Field::Amount, Data::Float(0.5)), "0.50");
        assert_eq!(text(Field::Amount, Data::Float(10.2 * 1.1)), "11.22");
        assert_eq!(text(Field::Amount, Data::Float(0.1 + 0.2)), "0.30");
        // More than two decimals are kept, for the amount check to refuse.
        assert_eq!(text(Field::Amount, Data::Float(1.005)), "1.005");
        assert_eq!(
            text(Field::Amount, Data::String("１２.５０".into())),
            "１２.５０"
        );
    }

    #[test]
    fn dates_round_to_the_nearest_second_in_either_date_system() {
        assert_eq!(
            text(Field::RefundDate, date(45422.3958333333, false)),
            "2024-05-10 09:30:00"
        );
        // The same day in the 1904 system is 1462 days fewer.
        assert_eq!(
            text(Field::RefundDate, date(45422.3958333333 - 1462.0, true)),
            "2024-05-10 09:30:00"
        );
        assert_eq!(
            text(Field::RefundDate, date(45423.99999999, false)),
            "2024-05-12 00:00:00"
        );
        assert!(bad(Field::RefundDate, date(0.5, false)).contains("time without a date"));
        assert!(bad(Field::RefundDate, date(60.0, false)).contains("never was"));
        assert_eq!(
            text(Field::RefundDate, Data::DateTimeIso("2024-05-11".into())),
            "2024-05-11 00:00:00"
        );
        assert_eq!(
            text(
                Field::RefundDate,
                Data::DateTimeIso("2024-05-10T09:29:59.6".into())
            ),
            "2024-05-10 09:30:00"
        );
        // A number in a date column goes to the date check, whose hint knows the shape.
        assert_eq!(text(Field::RefundDate, Data::Float(45422.5)), "45422.5");
        assert!(bad(Field::Amount, date(45422.0, false)).contains("formatted as a date"));
    }

    #[test]
    fn what_cannot_be_a_value_is_refused_naming_it() {
        let m = bad(Field::OrderNo, Data::Error(CellErrorType::NA));
        assert!(m.starts_with("the cell is the error #N/A"), "{m}");
        assert!(bad(Field::Status, Data::Bool(true)).contains("TRUE, not a status"));
        assert_eq!(read(Field::Amount, &Data::Empty), Value::Blank);
        assert_eq!(read(Field::Amount, &Data::String(" ".into())), Value::Blank);
        assert_eq!(text(Field::Status, Data::Float(2.0)), "2");
        assert_eq!(text(Field::Status, Data::Float(1.5)), "1.5");
    }

    /// Seconds since 1899-12-30 (the 1900 system's day 0 for every date after February
    /// 1900) or 1904-01-01, as a serial, for dates a refund can carry.
    fn serial_of(at: NaiveDateTime, is_1904: bool) -> f64 {
        let epoch = if is_1904 {
            NaiveDate::from_ymd_opt(1904, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(1899, 12, 30)
        };
        let epoch = epoch.unwrap().and_hms_opt(0, 0, 0).unwrap();
        (at - epoch).num_seconds() as f64 / 86_400.0
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 2000,
            rng_seed: proptest::test_runner::RngSeed::Fixed(19),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn a_serial_reads_back_as_its_second(
            seconds in 0i64..(200 * 366 * 86_400),
            jitter_ms in -400i64..400,
            is_1904: bool,
        ) {
            let start = NaiveDate::from_ymd_opt(1905, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
            let at = start + chrono::TimeDelta::seconds(seconds);
            let serial = serial_of(at, is_1904) + jitter_ms as f64 / 86_400_000.0;
            prop_assert_eq!(text(Field::RefundDate, date(serial, is_1904)), datetime_text(at));
        }

        #[test]
        fn an_amount_in_fen_reads_back_as_itself(fen in 0u64..100_000_000_000) {
            let written = format!("{}.{:02}", fen / 100, fen % 100);
            // What a spreadsheet stores for the typed text is the nearest double.
            let stored: f64 = written.parse().unwrap();
            prop_assert_eq!(text(Field::Amount, Data::Float(stored)), written);
        }
    }
}
