//! What a value that failed its check probably is, and how to fix it: the shapes Excel and
//! Chinese input methods produce. Only ever added to an error; nothing here changes a value
//! that is sent (the user fixes the file, so what is sent is what they wrote).

use super::field::Field;
use crate::protocol::{check_identifier, Amount, CstDateTime};
use crate::text::quote;

/// The message for a value of `field` that failed with `message`, with the likely cause and
/// fix when one is recognised.
pub(crate) fn explain(field: Field, text: &str, message: String) -> String {
    let text = text.trim();
    match field {
        Field::PolicyNo | Field::OrderNo => {
            let what = if field == Field::PolicyNo {
                "policy number"
            } else {
                "order number"
            };
            if scientific(text) {
                return format!(
                    "{what} '{}': Excel turned this {what} into a number; format the column as \
                     Text in Excel and export again",
                    quote(text)
                );
            }
            match halfwidth(text) {
                Some(plain) if check_identifier(what, &plain).is_ok() => {
                    format!("{message}: full-width characters; did you mean {plain}?")
                }
                _ => message,
            }
        }
        Field::Amount => match amount(text) {
            Some(hint) => format!("{message}: {hint}"),
            None => message,
        },
        Field::RefundDate => match date(text) {
            Some(hint) => format!("{message}: {hint}"),
            None => message,
        },
        Field::Status => match halfwidth(text) {
            Some(plain) if plain.parse::<i64>().is_ok() => {
                format!("{message}: full-width digits; did you mean {plain}?")
            }
            _ => message,
        },
        Field::Installments | Field::Endpoint | Field::PolicySource => message,
    }
}

/// The value a cell of `field` meant, when it can be told without doubt: full-width digits
/// and letters as plain ones, thousands separators and currency signs gone from an amount,
/// a date written another way (`2024/5/10`, a date without a time) as `yyyy-MM-dd HH:mm:ss`,
/// surrounding spaces trimmed. `None` when there is nothing to fix, or when the fixed value
/// would still not be valid: what is ambiguous (scientific notation, a two-digit year, more
/// than two decimals) is left for a person. `validate --fix` writes these.
pub(crate) fn fixed(field: Field, text: &str) -> Option<String> {
    let trimmed = text.trim();
    let value = match field {
        Field::PolicyNo | Field::OrderNo => {
            let what = if field == Field::PolicyNo {
                "policy number"
            } else {
                "order number"
            };
            halfwidth(trimmed).filter(|plain| check_identifier(what, plain).is_ok())
        }
        Field::Amount => amount_fix(trimmed).map(|(value, _)| value),
        Field::RefundDate => {
            let plain = halfwidth(trimmed).unwrap_or_else(|| trimmed.to_owned());
            loose_datetime(&plain).map(|(at, _)| at.to_string())
        }
        Field::Status => halfwidth(trimmed).filter(|plain| plain.parse::<i64>().is_ok()),
        Field::Installments | Field::Endpoint | Field::PolicySource => None,
    };
    let value = value.unwrap_or_else(|| trimmed.to_owned());
    (value != text).then_some(value)
}

/// Full-width ASCII (what a Chinese input method types in full-width mode) and the
/// ideographic space as plain ASCII; `None` when there were none.
fn halfwidth(text: &str) -> Option<String> {
    let mut changed = false;
    let plain = text
        .chars()
        .map(|c| match c {
            '\u{ff01}'..='\u{ff5e}' => {
                changed = true;
                char::from_u32(c as u32 - 0xff01 + 0x21).unwrap_or(c)
            }
            '\u{3000}' => {
                changed = true;
                ' '
            }
            _ => c,
        })
        .collect();
    changed.then_some(plain)
}

/// `2.02405E+11`: what Excel shows (and saves) for a long digit string in a General column.
fn scientific(text: &str) -> bool {
    let Some((mantissa, exponent)) = text.split_once(['E', 'e']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(frac) && digits(exponent)
}

fn amount(text: &str) -> Option<String> {
    let (value, reasons) = amount_fix(text)?;
    Some(format!("{}; did you mean {value}?", reasons.join(", ")))
}

/// The amount a spreadsheet-shaped text meant, and what was in the way; `None` when nothing
/// was, or the result is still no amount.
fn amount_fix(text: &str) -> Option<(String, Vec<&'static str>)> {
    let mut reasons = Vec::new();
    let mut value = match halfwidth(text) {
        Some(plain) => {
            reasons.push("full-width digits");
            plain
        }
        None => text.to_owned(),
    };
    let stripped = strip_currency(&value);
    if stripped.len() != value.len() {
        reasons.push("a currency sign");
        value = stripped.to_owned();
    }
    if thousands(&value) {
        reasons.push("thousands separators");
        value.retain(|c| c != ',');
    }
    if reasons.is_empty() || value.parse::<Amount>().is_err() {
        return None;
    }
    Some((value, reasons))
}

fn strip_currency(text: &str) -> &str {
    let mut t = text.trim();
    for sign in ["￥", "¥", "RMB", "CNY", "人民币"] {
        if t.len() >= sign.len() && t.is_char_boundary(sign.len()) {
            let (head, rest) = t.split_at(sign.len());
            if head.eq_ignore_ascii_case(sign) {
                t = rest.trim_start();
            }
        }
    }
    for sign in ["元", "RMB", "CNY"] {
        let cut = t.len().saturating_sub(sign.len());
        if t.is_char_boundary(cut) && t[cut..].eq_ignore_ascii_case(sign) {
            t = t[..cut].trim_end();
        }
    }
    t
}

/// `1,000` or `12,345,678.90`: groups of three after the first.
fn thousands(text: &str) -> bool {
    let whole = text.split_once('.').map_or(text, |(w, _)| w);
    let mut groups = whole.split(',');
    let first = groups.next().unwrap_or_default();
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mut rest = groups.peekable();
    rest.peek().is_some()
        && (1..=3).contains(&first.len())
        && digits(first)
        && rest.all(|g| g.len() == 3 && digits(g))
}

fn date(text: &str) -> Option<String> {
    let (plain, full_width) = match halfwidth(text) {
        Some(plain) => (plain, "full-width digits; "),
        None => (text.to_owned(), ""),
    };
    if let Some((date, has_time)) = loose_datetime(&plain) {
        let fixed = date.to_string();
        let missing = if has_time {
            ""
        } else {
            "a date without a time; "
        };
        return Some(format!("{full_width}{missing}did you mean `{fixed}`?"));
    }
    // Excel stores a date as a count of days since 1899; a column it no longer formats as a
    // date is saved as that count (45422 is 2024-05-10).
    let serial = plain.parse::<f64>().ok()?;
    (30_000.0..80_000.0).contains(&serial).then(|| {
        "Excel turned this date into a number (its day count); format the column as \
         yyyy-mm-dd hh:mm:ss in Excel and export again"
            .to_owned()
    })
}

/// `2024/5/10`, `2024-05-10`, `2024.5.10` or `2024年5月10日`, optionally followed by `H:mm` or
/// `H:mm:ss` (after a space or `T`). The time's presence is returned too.
fn loose_datetime(text: &str) -> Option<(CstDateTime, bool)> {
    let text = text.trim();
    let (date, time) = match text.find([' ', 'T']) {
        Some(at) => (&text[..at], Some(text[at + 1..].trim())),
        None => (text, None),
    };
    let parts: Vec<&str> = if let Some(rest) = date.strip_suffix('日') {
        rest.split(['年', '月']).collect()
    } else {
        let sep = date.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
        date.split(sep).collect()
    };
    let [y, m, d] = parts[..] else {
        return None;
    };
    let number = |s: &str, max_len: usize| -> Option<u32> {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if y.len() != 4 {
        return None;
    }
    let day = chrono::NaiveDate::from_ymd_opt(number(y, 4)? as i32, number(m, 2)?, number(d, 2)?)?;
    let (h, min, s) = match time {
        None | Some("") => (0, 0, 0),
        Some(t) => {
            let parts: Vec<&str> = t.split(':').collect();
            match parts[..] {
                [h, m] if m.len() == 2 => (number(h, 2)?, number(m, 2)?, 0),
                [h, m, s] if m.len() == 2 && s.len() == 2 => {
                    (number(h, 2)?, number(m, 2)?, number(s, 2)?)
                }
                _ => return None,
            }
        }
    };
    let at = day.and_hms_opt(h, min, s)?;
    Some((CstDateTime(at), matches!(time, Some(t) if !t.is_empty())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(field: Field, text: &str) -> String {
        explain(field, text, "BAD".to_owned())
    }

    #[test]
    fn amounts() {
        assert_eq!(
            hint(Field::Amount, "１０.２０"),
            "BAD: full-width digits; did you mean 10.20?"
        );
        assert_eq!(
            hint(Field::Amount, "1,000.00"),
            "BAD: thousands separators; did you mean 1000.00?"
        );
        assert_eq!(
            hint(Field::Amount, "￥10.20"),
            "BAD: a currency sign; did you mean 10.20?"
        );
        assert_eq!(
            hint(Field::Amount, "¥ 1,234,567.8"),
            "BAD: a currency sign, thousands separators; did you mean 1234567.8?"
        );
        assert_eq!(
            hint(Field::Amount, "RMB10.2"),
            "BAD: a currency sign; did you mean 10.2?"
        );
        assert_eq!(
            hint(Field::Amount, "10.20元"),
            "BAD: a currency sign; did you mean 10.20?"
        );
        // Not recognised, or still wrong after the fix: no guess.
        for text in ["1.234", "1,00", "abc", "￥1.234", "12,3456", "-5", "元"] {
            assert_eq!(hint(Field::Amount, text), "BAD", "{text}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(
            hint(Field::RefundDate, "2024/05/10"),
            "BAD: a date without a time; did you mean `2024-05-10 00:00:00`?"
        );
        assert_eq!(
            hint(Field::RefundDate, "2024-05-10"),
            "BAD: a date without a time; did you mean `2024-05-10 00:00:00`?"
        );
        assert_eq!(
            hint(Field::RefundDate, "2024/5/9 8:05"),
            "BAD: did you mean `2024-05-09 08:05:00`?"
        );
        assert_eq!(
            hint(Field::RefundDate, "2024/05/10 12:00:00"),
            "BAD: did you mean `2024-05-10 12:00:00`?"
        );
        assert_eq!(
            hint(Field::RefundDate, "2024年5月10日"),
            "BAD: a date without a time; did you mean `2024-05-10 00:00:00`?"
        );
        assert!(hint(Field::RefundDate, "45422.5").contains("Excel turned this date into a number"));
        for text in [
            "2024/02/30",
            "24/5/10",
            "2024/05/10 25:00",
            "10.5",
            "tomorrow",
            "2024/05",
        ] {
            assert_eq!(hint(Field::RefundDate, text), "BAD", "{text}");
        }
    }

    #[test]
    fn only_what_cannot_change_meaning_is_fixed() {
        let fix = |field, text| fixed(field, text);
        assert_eq!(fix(Field::Amount, "1,000.00").as_deref(), Some("1000.00"));
        assert_eq!(fix(Field::Amount, "１２.５０").as_deref(), Some("12.50"));
        assert_eq!(fix(Field::Amount, " ￥10.20 ").as_deref(), Some("10.20"));
        assert_eq!(fix(Field::Amount, " 10.2").as_deref(), Some("10.2"));
        assert_eq!(
            fix(Field::RefundDate, "2024/5/10").as_deref(),
            Some("2024-05-10 00:00:00")
        );
        assert_eq!(
            fix(Field::RefundDate, "2024-05-10").as_deref(),
            Some("2024-05-10 00:00:00")
        );
        assert_eq!(
            fix(Field::RefundDate, "２０２４/05/10 8:05").as_deref(),
            Some("2024-05-10 08:05:00")
        );
        assert_eq!(fix(Field::PolicyNo, "Ｐ２０２４").as_deref(), Some("P2024"));
        assert_eq!(fix(Field::Status, "１").as_deref(), Some("1"));
        assert_eq!(fix(Field::PolicyNo, "\u{3000}P1 ").as_deref(), Some("P1"));
        // Ambiguous, or nothing to do: left alone.
        for (field, text) in [
            (Field::Amount, "1.234"),
            (Field::Amount, "1,00"),
            (Field::Amount, "10.20"),
            (Field::PolicyNo, "2.02405E+11"),
            (Field::RefundDate, "24/5/10"),
            (Field::RefundDate, "45422.5"),
            (Field::RefundDate, "2024-05-10 12:00:00"),
            (Field::Status, "1.5"),
        ] {
            assert_eq!(fix(field, text), None, "{text}");
        }
    }

    #[test]
    fn identifiers_and_status() {
        assert_eq!(
            hint(Field::PolicyNo, "2.02405E+11"),
            "policy number '2.02405E+11': Excel turned this policy number into a number; \
             format the column as Text in Excel and export again"
        );
        assert!(hint(Field::OrderNo, "1E+15").starts_with("order number '1E+15': Excel"));
        assert_eq!(
            hint(Field::PolicyNo, "Ｐ２０２４"),
            "BAD: full-width characters; did you mean P2024?"
        );
        assert_eq!(hint(Field::PolicyNo, "P 1"), "BAD");
        assert_eq!(
            hint(Field::Status, "１"),
            "BAD: full-width digits; did you mean 1?"
        );
        assert_eq!(hint(Field::Status, "x"), "BAD");
    }
}
