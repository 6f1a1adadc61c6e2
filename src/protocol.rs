//! Interface 5.30 (解约通知, refund notice): the envelope we send, the answer we read, and the
//! small value types inside them. No I/O here: callers pass in the current instant and the
//! random source, so every rule can be tested with fixed values.
//!
//! # The protocol, as this code reads it
//!
//! This is the reading of the insurer's interface document that the whole tool relies on;
//! comments elsewhere point here. Where the document contradicts itself, the choice made is
//! said, with the number used for it below.
//!
//! **Request.** One JSON object POSTed to `<base URL>/avatar/refund/second/refundNotice`, with
//! `Content-Type: application/json;charset=UTF-8`:
//!
//! ```json
//! {"head": {"policySource": "HN_HT_QNW", "reqTime": "2022-12-19 15:43:13",
//!           "interfaceType": "recissionNotice", "orderNo": "QS221219154313290T12K25",
//!           "uuid": "f9b37f93-ecd7-4cdc-a8e2-728374f837de"},
//!  "secondRefundReq": {"policyNo": "P2024000001", "secondRefundAmount": 10.2,
//!           "secondRefundDate": "2022-12-19 15:43:13", "secondRefundStatus": 1,
//!           "installmentList": [{"payNo": 1, "amount": 10.2, "refundTime": "…"}]}}
//! ```
//!
//! - `policySource` is the channel code; `policyNo` is the one required field of the body, the
//!   others are sent only when given.
//! - `interfaceType` is `recissionNotice`, spelled as the document's field table spells it
//!   (not "rescission"); the document's two samples say `proposalOrder`, copied from another
//!   interface, and are not followed (1).
//! - `orderNo` identifies the notice: it stays the same for every attempt and every re-run of
//!   one notice, which is what lets the platform recognise a repeat. `uuid` identifies one
//!   attempt: a fresh UUID for each, as is `reqTime`.
//! - Every DateTime (`reqTime`, `secondRefundDate`, `refundTime`) is `yyyy-MM-dd HH:mm:ss` in
//!   China Standard Time, UTC+8, whatever the sending machine's zone. Amounts are decimals with
//!   at most two places. The sample's installments add up to its amount; one sample is too
//!   little to call that a rule, so a mismatch is only a warning.
//!
//! **Answer.** `{"head": {…}, "secondRefundResp": {"dealCode": "1", "dealDesc": "成功",
//! "policyNo": …, "orderNo": …, "uuid": …, "respTime": …}}`, read tolerantly:
//!
//! - `dealCode` `"1"` means accepted; any other value is a rejection, `dealDesc` says why. It
//!   may come as a string or a number (5).
//! - `respTime` may be epoch milliseconds or a DateTime string (2); more than five minutes off
//!   our clock is a warning.
//! - A trailing comma before `}` or `]`, as in the document's sample, is tolerated (3).
//! - The answer's `policyNo`, `orderNo` and `uuid` should echo the request; one that does not
//!   is reported in the result's warnings, never trusted silently and never a failure on its
//!   own (6).

use crate::text::quote;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, TimeZone, Timelike, Utc};
use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Appended to the environment's base URL.
pub const REFUND_NOTICE_PATH: &str = "/avatar/refund/second/refundNotice";
/// Spelled as the field table spells it (not "rescission"); both samples say `proposalOrder`,
/// copied from another interface (see the module docs, 1).
pub const INTERFACE_TYPE: &str = "recissionNotice";
/// Every DateTime of the interface, in China Standard Time.
pub const DATETIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";
/// The one `dealCode` that means the platform accepted the notice.
pub const DEAL_CODE_ACCEPTED: &str = "1";
/// Prefix of generated order numbers, as in the sample `QS221219154313290T12K25`.
pub const DEFAULT_ORDER_NO_PREFIX: &str = "QS";
/// How far a response's `respTime` may stray from our clock before we warn.
pub const CLOCK_SKEW_LIMIT_SECS: i64 = 300;

/// China Standard Time, UTC+8, whatever the sending machine's time zone is.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// UTC milliseconds as RFC 3339 in China Standard Time: the one offset every time a person
/// reads is shown in (as `reqTime` and order numbers are), whatever this machine's zone.
pub fn format_time(ms: i64) -> String {
    use chrono::{SecondsFormat, TimeZone};
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .with_timezone(&cst())
        .to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// `yyyy-MM-dd HH:mm:ss` in China Standard Time.
pub fn format_cst(instant: DateTime<Utc>) -> String {
    // By hand rather than through `format(DATETIME_FORMAT)`: chrono parses the pattern on
    // every call, and every attempt stamps a reqTime. The test below holds the two equal.
    let t = instant.with_timezone(&cst()).naive_local();
    let mut out = String::with_capacity(19);
    push_digits(&mut out, i64::from(t.year()), 4);
    out.push('-');
    push_digits(&mut out, i64::from(t.month()), 2);
    out.push('-');
    push_digits(&mut out, i64::from(t.day()), 2);
    out.push(' ');
    push_digits(&mut out, i64::from(t.hour()), 2);
    out.push(':');
    push_digits(&mut out, i64::from(t.minute()), 2);
    out.push(':');
    push_digits(&mut out, i64::from(leap_second(&t)), 2);
    out
}

/// The second as chrono's `%S` shows it: 60 during a leap second.
fn leap_second(t: &NaiveDateTime) -> u32 {
    t.second() + u32::from(t.nanosecond() >= 1_000_000_000)
}

/// `value` in decimal, zero-padded to `width` digits (wider values are written whole, and a
/// year before 0 falls back to chrono's own spelling of a sign).
fn push_digits(out: &mut String, value: i64, width: usize) {
    if value < 0 {
        out.push_str(&format!("{value:0width$}"));
        return;
    }
    let mut digits = [0u8; 20];
    let mut n = value;
    let mut len = 0;
    while n > 0 || len < width {
        digits[len] = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
    }
    out.extend(digits[..len].iter().rev().map(|&d| d as char));
}

/// A `yyyy-MM-dd HH:mm:ss` wall-clock time in China Standard Time, as typed by a user or read
/// from a file. Kept as the naive time so it goes back on the wire exactly as it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CstDateTime(pub NaiveDateTime);

impl CstDateTime {
    pub fn to_utc(self) -> DateTime<Utc> {
        cst()
            .from_local_datetime(&self.0)
            .single()
            .expect("a fixed offset has exactly one mapping")
            .with_timezone(&Utc)
    }
}

impl FromStr for CstDateTime {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // chrono alone would accept `2021-5-1 1:2:3`; the interface wants the fixed width.
        let shape_ok = s.len() == 19
            && s.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                10 => b == b' ',
                13 | 16 => b == b':',
                _ => b.is_ascii_digit(),
            });
        if !shape_ok {
            return Err(format!(
                "'{}' is not a date in yyyy-MM-dd HH:mm:ss",
                quote(s)
            ));
        }
        NaiveDateTime::parse_from_str(s, DATETIME_FORMAT)
            .map(CstDateTime)
            .map_err(|_| format!("'{}' is not a real date and time", quote(s)))
    }
}

impl fmt::Display for CstDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format(DATETIME_FORMAT))
    }
}

impl Serialize for CstDateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A money amount in yuan with at most two decimal places, held as whole fen so that what the
/// user typed (`10.2`) is what goes on the wire (`10.2`), with no float noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Amount {
    fen: i64,
}

/// Ten trillion yuan: well inside the range where every fen value survives the trip through a
/// JSON number (an f64) exactly.
const AMOUNT_MAX_FEN: i64 = 1_000_000_000_000_000;

impl Amount {
    pub fn from_fen(fen: i64) -> Self {
        Amount { fen }
    }

    pub fn fen(self) -> i64 {
        self.fen
    }
}

impl FromStr for Amount {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            let s = quote(s);
            format!("'{s}' is not a non-negative amount with at most two decimal places")
        };
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f),
            None => (s, ""),
        };
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 2 {
            return Err(bad());
        }
        if s.ends_with('.') {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac_fen: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
            _ => frac.parse().map_err(|_| bad())?,
        };
        let fen = whole
            .checked_mul(100)
            .and_then(|f| f.checked_add(frac_fen))
            .filter(|f| *f <= AMOUNT_MAX_FEN)
            .ok_or_else(|| format!("'{}' is too large an amount", quote(s)))?;
        Ok(Amount { fen })
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (yuan, fen) = (self.fen / 100, self.fen % 100);
        match fen {
            0 => write!(f, "{yuan}"),
            _ if fen % 10 == 0 => write!(f, "{yuan}.{}", fen / 10),
            _ => write!(f, "{yuan}.{fen:02}"),
        }
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Division of two exact integers is correctly rounded, and serde_json prints the
        // shortest decimal that reads back as the same f64: 1020 fen goes out as `10.2`.
        serializer.serialize_f64(self.fen as f64 / 100.0)
    }
}

/// One item of `installmentList`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Installment {
    pub pay_no: u32,
    pub amount: Amount,
    pub refund_time: CstDateTime,
}

impl FromStr for Installment {
    type Err = String;

    /// `PAYNO:AMOUNT:yyyy-MM-dd HH:mm:ss` (the time has colons of its own, hence `splitn`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.trim().splitn(3, ':');
        let (Some(pay_no), Some(amount), Some(time)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!(
                "'{}' is not an installment in PAYNO:AMOUNT:yyyy-MM-dd HH:mm:ss",
                quote(s)
            ));
        };
        let pay_no = pay_no.trim().parse().map_err(|_| {
            format!(
                "installment number '{}' is not a positive integer",
                quote(pay_no)
            )
        })?;
        Ok(Installment {
            pay_no,
            amount: amount.trim().parse()?,
            refund_time: time.trim().parse()?,
        })
    }
}

/// The optional body fields of a notice. Absent ones are left out of the JSON, never `null`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundDetails {
    #[serde(rename = "secondRefundAmount", skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    #[serde(rename = "secondRefundDate", skip_serializing_if = "Option::is_none")]
    pub refund_date: Option<CstDateTime>,
    #[serde(rename = "secondRefundStatus", skip_serializing_if = "Option::is_none")]
    pub status: Option<i64>,
    #[serde(rename = "installmentList", skip_serializing_if = "Option::is_none")]
    pub installments: Option<Vec<Installment>>,
}

impl RefundDetails {
    /// The sample's installments add up to its refund amount; one sample is too little to call
    /// that a rule, so a mismatch is a warning.
    pub fn installment_mismatch(&self) -> Option<String> {
        let (Some(amount), Some(list)) = (self.amount, self.installments.as_ref()) else {
            return None;
        };
        let sum = Amount::from_fen(list.iter().map(|i| i.amount.fen()).sum());
        (sum != amount)
            .then(|| format!("installments add up to {sum}, not the refund amount {amount}"))
    }
}

/// Policy and order numbers: 1 to 64 ASCII letters, digits or `-_./`. The document gives no
/// format; this catches the mistakes that matter (empty cells, stray spaces, a number garbled
/// by the wrong text encoding) without guessing at one insurer's numbering.
pub fn check_identifier(what: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if value.len() > 64 {
        return Err(format!(
            "{what} '{}' is longer than 64 characters",
            quote(value)
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')))
    {
        return Err(format!(
            "{what} '{}' contains {c:?}; only letters, digits and - _ . / are allowed",
            quote(value)
        ));
    }
    Ok(())
}

/// What [`generate_order_no`] puts after the prefix: fifteen digits of time, six random.
pub const GENERATED_SUFFIX: usize = 21;

/// `QS` + `yyMMddHHmmssSSS` in China Standard Time + six random `[A-Z0-9]`, the shape of the
/// sample order number. `random` yields an index below its argument.
pub fn generate_order_no(
    prefix: &str,
    now: DateTime<Utc>,
    mut random: impl FnMut(usize) -> usize,
) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut out = String::with_capacity(prefix.len() + GENERATED_SUFFIX);
    out.push_str(prefix);
    // `%y%m%d%H%M%S%3f`, by hand for the same reason as in `format_cst`.
    let t = now.with_timezone(&cst()).naive_local();
    push_digits(&mut out, i64::from(t.year().rem_euclid(100)), 2);
    for part in [t.month(), t.day(), t.hour(), t.minute(), leap_second(&t)] {
        push_digits(&mut out, i64::from(part), 2);
    }
    push_digits(&mut out, i64::from(t.nanosecond() / 1_000_000 % 1000), 3);
    out.extend((0..6).map(|_| ALPHABET[random(ALPHABET.len())] as char));
    out
}

/// The request `head`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Head<'a> {
    pub policy_source: &'a str,
    pub req_time: String,
    pub interface_type: &'a str,
    pub order_no: &'a str,
    pub uuid: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SecondRefundReq<'a> {
    policy_no: &'a str,
    #[serde(flatten)]
    details: &'a RefundDetails,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    head: Head<'a>,
    second_refund_req: SecondRefundReq<'a>,
}

/// One HTTP attempt's body. `head.uuid` and `head.req_time` must be fresh for every attempt.
pub fn envelope_json(head: Head<'_>, policy_no: &str, details: &RefundDetails) -> Vec<u8> {
    let envelope = Envelope {
        head,
        second_refund_req: SecondRefundReq { policy_no, details },
    };
    serde_json::to_vec(&envelope).expect("the envelope has only string keys and finite numbers")
}

/// What the platform answered, read tolerantly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub deal_code: String,
    pub deal_desc: String,
    pub policy_no: Option<String>,
    pub order_no: Option<String>,
    pub uuid: Option<String>,
    pub resp_time: Option<DateTime<Utc>>,
    /// A respTime that is there but is no time we can read (as the answer spelled it).
    pub resp_time_unreadable: Option<String>,
}

impl Answer {
    pub fn accepted(&self) -> bool {
        self.deal_code == DEAL_CODE_ACCEPTED
    }
}

/// Why a body could not be read as an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("the body is not JSON ({0})")]
    NotJson(String),
    #[error("the answer has no secondRefundResp.dealCode")]
    NoDealCode,
}

/// Reads a response body. Tolerant where real servers are sloppy: a trailing comma
/// (see the module docs, 3), `respTime` as epoch milliseconds or a DateTime string (2),
/// `dealCode` as a string or a number (5).
pub fn read_answer(body: &[u8]) -> Result<Answer, AnswerError> {
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(first) => serde_json::from_slice(&strip_trailing_commas(body))
            .map_err(|_| AnswerError::NotJson(first.to_string()))?,
    };
    let resp = &value["secondRefundResp"];
    let head = &value["head"];
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let (resp_time, resp_time_unreadable) = match read_resp_time(&head["respTime"]) {
        Ok(t) => (t, None),
        Err(raw) => (None, Some(raw)),
    };
    Ok(Answer {
        deal_code: text(&resp["dealCode"]).ok_or(AnswerError::NoDealCode)?,
        deal_desc: text(&resp["dealDesc"]).unwrap_or_default(),
        policy_no: text(&resp["policyNo"]),
        order_no: text(&head["orderNo"]),
        uuid: text(&head["uuid"]),
        resp_time,
        resp_time_unreadable,
    })
}

/// `Ok(None)` when there is none; `Err(raw)` when there is one that is no time: not a whole
/// number of milliseconds in chrono's range, nor a real `yyyy-MM-dd HH:mm:ss`.
fn read_resp_time(v: &serde_json::Value) -> Result<Option<DateTime<Utc>>, String> {
    let unreadable = || v.to_string();
    match v {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Number(n) => {
            let millis = match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Some(i),
                // `1.6714358621e12` is a whole number too; `1e300` and `0.5` are not millis.
                (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e18 => Some(f as i64),
                _ => None,
            };
            millis
                .and_then(DateTime::from_timestamp_millis)
                .map(Some)
                .ok_or_else(unreadable)
        }
        serde_json::Value::String(s) => s
            .parse::<CstDateTime>()
            .map(|t| Some(t.to_utc()))
            .map_err(|_| unreadable()),
        _ => Err(unreadable()),
    }
}

/// Drops every comma that stands (after whitespace) right before `}` or `]`, outside strings.
fn strip_trailing_commas(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let (mut in_string, mut escaped) = (false, false);
    for (i, &b) in body.iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b',' {
            let next = body[i + 1..].iter().find(|c| !c.is_ascii_whitespace());
            if matches!(next, Some(b'}') | Some(b']')) {
                continue;
            }
        }
        out.push(b);
    }
    out
}

/// What the request carried that its answer should echo.
pub struct Sent<'a> {
    pub policy_no: &'a str,
    pub order_no: &'a str,
    pub uuid: &'a str,
}

/// Warnings for an answer that does not match its request (module docs, 6) or whose clock is
/// off ours: reported, never silently trusted, never turned into a failure on their own.
pub fn echo_warnings(answer: &Answer, sent: &Sent<'_>, now: DateTime<Utc>) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut check = |field: &str, got: &Option<String>, want: &str| match got {
        Some(got) if got != want => warnings.push(format!(
            "the answer's {field} '{}' does not match the request's '{want}'",
            quote(got)
        )),
        None => warnings.push(format!("the answer has no {field}")),
        _ => {}
    };
    check("policyNo", &answer.policy_no, sent.policy_no);
    check("orderNo", &answer.order_no, sent.order_no);
    check("uuid", &answer.uuid, sent.uuid);
    if let Some(raw) = &answer.resp_time_unreadable {
        warnings.push(format!(
            "the answer's respTime {} is not a time",
            quote(raw)
        ));
    }
    if let Some(resp_time) = answer.resp_time {
        let skew = (resp_time - now).num_seconds();
        if skew.abs() > CLOCK_SKEW_LIMIT_SECS {
            warnings.push(format!(
                "the answer's respTime {} is {} s off this machine's clock",
                format_cst(resp_time),
                skew
            ));
        }
    }
    warnings
}

/// What a notice says, apart from the head (uuid and reqTime change on every attempt): the
/// `secondRefundReq` fields, as the journal stores them to tell a corrected notice from a
/// repeated one. A JSON object of strings with sorted keys (`amount`, `date`, `installments`,
/// `policyNo`, `status`; absent fields left out), amounts with two decimals and installments
/// as `PAYNO:AMOUNT:TIME;…`, so that it reads back through the CSV reader as it is.
pub fn notice_content(policy_no: &str, details: &RefundDetails) -> String {
    // Written directly, keys in sorted order, rather than through a JSON map: it is built twice
    // per row of a run, and its bytes must stay those a map would print.
    let mut out = Vec::with_capacity(96);
    let mut field = |key: &str, value: &str| {
        out.push(if out.is_empty() { b'{' } else { b',' });
        out.extend_from_slice(key.as_bytes());
        // Writing a string into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, value);
    };
    if let Some(a) = details.amount {
        field("\"amount\":", &two_decimals(a));
    }
    if let Some(d) = &details.refund_date {
        field("\"date\":", &d.to_string());
    }
    if let Some(list) = &details.installments {
        let items: Vec<String> = list
            .iter()
            .map(|i| format!("{}:{}:{}", i.pay_no, two_decimals(i.amount), i.refund_time))
            .collect();
        field("\"installments\":", &items.join(";"));
    }
    field("\"policyNo\":", policy_no);
    if let Some(s) = details.status {
        field("\"status\":", &s.to_string());
    }
    out.push(b'}');
    String::from_utf8(out).unwrap_or_default()
}

/// A short, stable fingerprint of [`notice_content`]: FNV-1a, 64 bits, in hex. It only has to
/// tell one notice's versions apart, not resist anyone.
pub fn content_fingerprint(content: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in content.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn two_decimals(a: Amount) -> String {
    let fen = a.fen();
    format!("{}.{:02}", fen / 100, fen % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_written_by_hand_match_chrono() {
        let start = at("1999-12-31 23:59:58").timestamp_millis();
        for step in 0..5_000i64 {
            let now = DateTime::from_timestamp_millis(start + step * 7_919_731).unwrap();
            let local = now.with_timezone(&cst());
            assert_eq!(format_cst(now), local.format(DATETIME_FORMAT).to_string());
            let order_no = generate_order_no("QS", now, |_| 0);
            assert_eq!(
                order_no[..17],
                format!("QS{}", local.format("%y%m%d%H%M%S%3f"))
            );
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse::<CstDateTime>().unwrap().to_utc()
    }

    #[test]
    fn req_time_is_china_standard_time() {
        let utc = Utc.with_ymd_and_hms(2022, 12, 19, 7, 44, 21).unwrap();
        assert_eq!(format_cst(utc), "2022-12-19 15:44:21");
        // Past midnight in UTC+8 while still the previous day in UTC.
        let utc = Utc.with_ymd_and_hms(2022, 12, 31, 16, 0, 0).unwrap();
        assert_eq!(format_cst(utc), "2023-01-01 00:00:00");
    }

    #[test]
    fn datetimes_must_have_the_fixed_shape() {
        assert!("2021-05-10 12:00:00".parse::<CstDateTime>().is_ok());
        for bad in [
            "2021-5-10 12:00:00",
            "2022-12-19 15: 44: 21",
            "2021-05-10T12:00:00",
            "2021-02-30 12:00:00",
            "2021-05-10",
            "",
        ] {
            assert!(bad.parse::<CstDateTime>().is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn amounts_keep_what_was_typed() {
        for (typed, wire) in [
            ("10.2", "10.2"),
            ("10.20", "10.2"),
            ("0.07", "0.07"),
            ("5", "5.0"),
        ] {
            let amount: Amount = typed.parse().unwrap();
            assert_eq!(serde_json::to_string(&amount).unwrap(), wire, "{typed}");
        }
        assert_eq!("0.1".parse::<Amount>().unwrap().to_string(), "0.1");
        assert_eq!(
            "123456789.99".parse::<Amount>().unwrap().to_string(),
            "123456789.99"
        );
        for bad in ["-1", "1.234", "1,5", "", ".5", "5.", "1e3", " 1", "abc"] {
            assert!(bad.parse::<Amount>().is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn every_two_place_amount_survives_the_json_number() {
        for fen in (0..200_000).chain([AMOUNT_MAX_FEN - 1, AMOUNT_MAX_FEN]) {
            let amount = Amount::from_fen(fen);
            let wire = serde_json::to_string(&amount).unwrap();
            let back: f64 = wire.parse().unwrap();
            assert_eq!((back * 100.0).round() as i64, fen);
            assert_eq!(
                wire.trim_end_matches(".0"),
                amount.to_string(),
                "fen {fen} went out as {wire}"
            );
        }
    }

    #[test]
    fn installments_parse_with_the_colons_of_their_time() {
        let i: Installment = "1:10.2:2021-05-10 11:59:59".parse().unwrap();
        assert_eq!(i.pay_no, 1);
        assert_eq!(i.amount.to_string(), "10.2");
        assert_eq!(i.refund_time.to_string(), "2021-05-10 11:59:59");
        assert!("1:10.2".parse::<Installment>().is_err());
        assert!("x:10.2:2021-05-10 11:59:59".parse::<Installment>().is_err());
    }

    #[test]
    fn the_envelope_matches_the_sample_shape_and_leaves_absent_fields_out() {
        let details = RefundDetails {
            amount: Some("10.2".parse().unwrap()),
            refund_date: Some("2021-05-10 12:00:00".parse().unwrap()),
            status: Some(1),
            installments: Some(vec!["1:10.2:2021-05-10 11:59:59".parse().unwrap()]),
        };
        let head = Head {
            policy_source: "HN_HT_QNW",
            req_time: "2022-12-19 15:44:21".into(),
            interface_type: INTERFACE_TYPE,
            order_no: "QS221219154313290T12K25",
            uuid: "b5c9c977-8ba0-4ade-93c7-914ad0147342".into(),
        };
        let body = envelope_json(head.clone(), "12345", &details);
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "head": {
                    "interfaceType": "recissionNotice",
                    "orderNo": "QS221219154313290T12K25",
                    "policySource": "HN_HT_QNW",
                    "reqTime": "2022-12-19 15:44:21",
                    "uuid": "b5c9c977-8ba0-4ade-93c7-914ad0147342"
                },
                "secondRefundReq": {
                    "policyNo": "12345",
                    "secondRefundAmount": 10.2,
                    "secondRefundDate": "2021-05-10 12:00:00",
                    "secondRefundStatus": 1,
                    "installmentList": [
                        { "payNo": 1, "amount": 10.2, "refundTime": "2021-05-10 11:59:59" }
                    ]
                }
            })
        );
        assert!(String::from_utf8(body)
            .unwrap()
            .contains("\"secondRefundAmount\":10.2,"));
        let bare = envelope_json(head, "12345", &RefundDetails::default());
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&bare).unwrap()["secondRefundReq"],
            serde_json::json!({ "policyNo": "12345" })
        );
    }

    #[test]
    fn the_sample_answer_is_read_despite_its_trailing_comma() {
        let body = r#"{
          "secondRefundResp": { "dealCode": "1", "dealDesc": "成功", "policyNo": "123", },
          "head": { "interfaceType": "proposalOrder", "orderNo": "QS221219154313290T12K25",
                    "policySource": "HN_HT_QNW", "respTime": 1671435862121,
                    "uuid": "b5c9c977-8ba0-4ade-93c7-914ad0147342" }
        }"#;
        let answer = read_answer(body.as_bytes()).unwrap();
        assert!(answer.accepted());
        assert_eq!(answer.deal_desc, "成功");
        assert_eq!(
            answer.resp_time,
            Some(at("2022-12-19 15:44:22") + chrono::Duration::milliseconds(121))
        );
    }

    #[test]
    fn tolerant_reading_of_types_but_not_of_garbage() {
        let answer = read_answer(
            br#"{"secondRefundResp":{"dealCode":0,"dealDesc":"bad, \"x\",}","policyNo":"P"},
                 "head":{"respTime":"2022-12-19 15:44:22","orderNo":"O","uuid":"U"}}"#,
        )
        .unwrap();
        assert_eq!(answer.deal_code, "0");
        assert!(!answer.accepted());
        assert_eq!(answer.deal_desc, "bad, \"x\",}");
        assert_eq!(answer.resp_time, Some(at("2022-12-19 15:44:22")));
        assert!(matches!(
            read_answer(b"<html>502</html>"),
            Err(AnswerError::NotJson(_))
        ));
        assert_eq!(read_answer(b"{\"head\":{}}"), Err(AnswerError::NoDealCode));
        assert!(read_answer(b"").is_err());
    }

    #[test]
    fn echo_mismatches_and_clock_skew_are_warned_about() {
        let answer = read_answer(
            br#"{"secondRefundResp":{"dealCode":"1","dealDesc":"ok","policyNo":"123"},
                 "head":{"respTime":1671435862121,"orderNo":"O1","uuid":"U1"}}"#,
        )
        .unwrap();
        let sent = Sent {
            policy_no: "12345",
            order_no: "O1",
            uuid: "U1",
        };
        let on_time = at("2022-12-19 15:44:21");
        let warnings = echo_warnings(&answer, &sent, on_time);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("policyNo '123'"));
        let late = at("2022-12-19 16:44:21");
        assert_eq!(echo_warnings(&answer, &sent, late).len(), 2);
    }

    #[test]
    fn a_resp_time_that_is_no_time_is_warned_about_not_trusted() {
        let sent = Sent {
            policy_no: "P1",
            order_no: "O1",
            uuid: "U1",
        };
        let now = at("2022-12-19 15:44:21");
        for raw in [
            "1e300",
            "-9223372036854775808",
            "18446744073709551615",
            "0.5",
            "\"9999-99-99 99:99:99\"",
            "\"\"",
            "true",
            "{}",
        ] {
            let body = format!(
                r#"{{"secondRefundResp":{{"dealCode":"1","policyNo":"P1"}},
                     "head":{{"respTime":{raw},"orderNo":"O1","uuid":"U1"}}}}"#
            );
            let answer = read_answer(body.as_bytes()).unwrap();
            assert_eq!(answer.resp_time, None, "{raw}");
            let warnings = echo_warnings(&answer, &sent, now);
            assert_eq!(warnings.len(), 1, "{raw}: {warnings:?}");
            assert!(warnings[0].contains("is not a time"), "{raw}: {warnings:?}");
        }
        // A whole number written as a float is still milliseconds; no respTime is no warning.
        let answer = read_answer(
            br#"{"secondRefundResp":{"dealCode":"1","policyNo":"P1"},
                 "head":{"respTime":1.671435861e12,"orderNo":"O1","uuid":"U1"}}"#,
        )
        .unwrap();
        assert!(answer.resp_time.is_some());
        assert!(echo_warnings(&answer, &sent, now).is_empty());
        let answer = read_answer(
            br#"{"secondRefundResp":{"dealCode":"1","policyNo":"P1"},
                 "head":{"orderNo":"O1","uuid":"U1"}}"#,
        )
        .unwrap();
        assert!(echo_warnings(&answer, &sent, now).is_empty());
    }

    #[test]
    fn generated_order_numbers_have_the_sample_shape() {
        let now = at("2022-12-19 15:43:13") + chrono::Duration::milliseconds(290);
        let mut n = 0;
        let no = generate_order_no("QS", now, |len| {
            n += 1;
            (n * 7) % len
        });
        assert_eq!(&no[..17], "QS221219154313290");
        assert_eq!(no.len(), 2 + GENERATED_SUFFIX);
        assert!(no[17..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
    }

    #[test]
    fn identifiers_reject_what_a_typo_or_wrong_encoding_produces() {
        assert!(check_identifier("policy number", "P2024000001").is_ok());
        assert!(check_identifier("policy number", "").is_err());
        assert!(check_identifier("policy number", "P 1").is_err());
        assert!(check_identifier("policy number", "P鍗1").is_err());
        assert!(check_identifier("policy number", &"9".repeat(65)).is_err());
    }

    #[test]
    fn installment_mismatch_is_reported() {
        let mut d = RefundDetails {
            amount: Some("10.2".parse().unwrap()),
            installments: Some(vec!["1:10.2:2021-05-10 11:59:59".parse().unwrap()]),
            ..Default::default()
        };
        assert_eq!(d.installment_mismatch(), None);
        d.amount = Some("10".parse().unwrap());
        assert!(d.installment_mismatch().unwrap().contains("10.2"));
    }

    /// The content as a sorted JSON map prints it: the bytes journals already hold.
    fn content_by_map(policy_no: &str, details: &RefundDetails) -> String {
        let mut map = serde_json::Map::new();
        map.insert("policyNo".into(), policy_no.into());
        if let Some(a) = details.amount {
            map.insert("amount".into(), two_decimals(a).into());
        }
        if let Some(d) = &details.refund_date {
            map.insert("date".into(), d.to_string().into());
        }
        if let Some(s) = details.status {
            map.insert("status".into(), s.to_string().into());
        }
        if let Some(list) = &details.installments {
            let items: Vec<String> = list
                .iter()
                .map(|i| format!("{}:{}:{}", i.pay_no, two_decimals(i.amount), i.refund_time))
                .collect();
            map.insert("installments".into(), items.join(";").into());
        }
        serde_json::Value::Object(map).to_string()
    }

    #[test]
    fn content_keeps_the_bytes_a_sorted_map_prints() {
        let full = RefundDetails {
            amount: Some("10.2".parse().unwrap()),
            refund_date: Some("2021-05-10 12:00:00".parse().unwrap()),
            status: Some(-1),
            installments: Some(vec![
                "1:5.1:2021-05-10 11:59:59".parse().unwrap(),
                "2:5.1:2021-05-10 11:59:59".parse().unwrap(),
            ]),
        };
        let cases = [
            ("P1", RefundDetails::default()),
            ("P\"\\\u{1}\u{7f}\u{2028}é保单", full.clone()),
            (
                "P2",
                RefundDetails {
                    status: Some(1),
                    ..Default::default()
                },
            ),
            (
                "P3",
                RefundDetails {
                    installments: full.installments.clone(),
                    ..Default::default()
                },
            ),
        ];
        for (policy_no, details) in &cases {
            assert_eq!(
                notice_content(policy_no, details),
                content_by_map(policy_no, details)
            );
        }
    }
}
