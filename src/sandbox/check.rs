//! The sandbox's reading of a request: raw JSON judged by the rules of
//! the interface (the module docs of `crate::protocol`), never through the client's serde types, so that an encoding
//! bug shared by both sides cannot pass its own test.

use crate::protocol::{CstDateTime, CLOCK_SKEW_LIMIT_SECS, INTERFACE_TYPE};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::cell::Cell;
use std::fmt;

const TOP_KEYS: &[&str] = &["head", "secondRefundReq"];
const HEAD_KEYS: &[&str] = &[
    "policySource",
    "reqTime",
    "interfaceType",
    "orderNo",
    "uuid",
];
const BODY_KEYS: &[&str] = &[
    "policyNo",
    "secondRefundAmount",
    "secondRefundDate",
    "secondRefundStatus",
    "installmentList",
];
const INSTALLMENT_KEYS: &[&str] = &["payNo", "amount", "refundTime"];

/// What an answer can echo: the request's values where they are strings, whatever else is wrong.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Echo<'a> {
    pub policy_source: Option<&'a str>,
    pub interface_type: Option<&'a str>,
    pub order_no: Option<&'a str>,
    pub uuid: Option<&'a str>,
    pub policy_no: Option<&'a str>,
    /// `uuid` when it parses, so that even a request failing other checks uses it up.
    pub uuid_value: Option<uuid::Uuid>,
}

impl<'a> Echo<'a> {
    pub fn of(value: &'a Value) -> Self {
        let text = |v: &'a Value| v.as_str();
        let head = &value["head"];
        let uuid = text(&head["uuid"]);
        Echo {
            policy_source: text(&head["policySource"]),
            interface_type: text(&head["interfaceType"]),
            order_no: text(&head["orderNo"]),
            uuid,
            policy_no: text(&value["secondRefundReq"]["policyNo"]),
            uuid_value: uuid.and_then(|u| uuid::Uuid::parse_str(u).ok()),
        }
    }
}

/// A request that passed every check that needs no memory of earlier requests.
#[derive(Debug, Clone, Copy)]
pub(super) struct Notice<'a> {
    pub order_no: &'a str,
    pub policy_no: &'a str,
}

/// Parses the body as JSON, refusing duplicate keys as well as everything serde_json refuses
/// (a trailing comma included): a client must never send anything ambiguous.
pub(super) fn parse(body: &[u8]) -> Result<Value, String> {
    let not_json = |e: serde_json::Error| format!("the body is not valid JSON ({e})");
    let tokens = number_tokens(body);
    let next = Cell::new(0);
    let numbers = Numbers {
        tokens: &tokens,
        next: &next,
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = Strict(numbers).deserialize(&mut de).map_err(not_json)?;
    de.end().map_err(not_json)?;
    Ok(value)
}

/// `application/json`, optionally with `charset=utf-8`: the body is UTF-8 JSON and nothing else.
pub(super) fn check_content_type(header: Option<&[u8]>) -> Result<(), String> {
    let Some(raw) = header else {
        return Err("the Content-Type header is missing (expected application/json)".into());
    };
    let shown = String::from_utf8_lossy(raw);
    let bad = || format!("Content-Type '{shown}' is not application/json (UTF-8)");
    let text = std::str::from_utf8(raw).map_err(|_| bad())?;
    let mut parts = text.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(bad());
    }
    for param in parts.map(str::trim).filter(|p| !p.is_empty()) {
        let (name, val) = param.split_once('=').ok_or_else(bad)?;
        let val = val.trim().trim_matches('"');
        let utf8 = val.eq_ignore_ascii_case("utf-8") || val.eq_ignore_ascii_case("utf8");
        if !name.trim().eq_ignore_ascii_case("charset") || !utf8 {
            return Err(bad());
        }
    }
    Ok(())
}

/// Every stateless check, in the order of the envelope; the first problem found is reported.
pub(super) fn check(value: &Value, now: DateTime<Utc>) -> Result<Notice<'_>, String> {
    let top = object(value, "the body")?;
    known_keys(top, TOP_KEYS, "")?;
    let head = object(present(top, "head", "head")?, "head")?;
    let body = object(
        present(top, "secondRefundReq", "secondRefundReq")?,
        "secondRefundReq",
    )?;

    known_keys(head, HEAD_KEYS, "head.")?;
    required_str(head, "policySource", "head.policySource")?;
    let req_time = required_str(head, "reqTime", "head.reqTime")?;
    let req_time = datetime(req_time, "head.reqTime")?;
    let skew = (req_time.to_utc() - now).num_seconds();
    if skew.abs() > CLOCK_SKEW_LIMIT_SECS {
        let side = if skew > 0 { "ahead of" } else { "behind" };
        return Err(format!(
            "head.reqTime '{req_time}' is {} s {side} the sandbox's clock in China Standard \
             Time (UTC+8); the limit is {CLOCK_SKEW_LIMIT_SECS} s",
            skew.abs()
        ));
    }
    let interface_type = required_str(head, "interfaceType", "head.interfaceType")?;
    if interface_type != INTERFACE_TYPE {
        return Err(format!(
            "head.interfaceType '{interface_type}' is not '{INTERFACE_TYPE}'"
        ));
    }
    let order_no = required_str(head, "orderNo", "head.orderNo")?;
    let uuid_text = required_str(head, "uuid", "head.uuid")?;
    if uuid::Uuid::parse_str(uuid_text).is_err() {
        return Err(format!("head.uuid '{uuid_text}' is not a UUID"));
    }

    known_keys(body, BODY_KEYS, "secondRefundReq.")?;
    let policy_no = required_str(body, "policyNo", "secondRefundReq.policyNo")?;
    if let Some(v) = optional(
        body,
        "secondRefundAmount",
        "secondRefundReq.secondRefundAmount",
    )? {
        amount(v, "secondRefundReq.secondRefundAmount")?;
    }
    if let Some(v) = optional(body, "secondRefundDate", "secondRefundReq.secondRefundDate")? {
        datetime_value(v, "secondRefundReq.secondRefundDate")?;
    }
    if let Some(v) = optional(
        body,
        "secondRefundStatus",
        "secondRefundReq.secondRefundStatus",
    )? {
        integer(v, "secondRefundReq.secondRefundStatus")?;
    }
    if let Some(v) = optional(body, "installmentList", "secondRefundReq.installmentList")? {
        installments(v)?;
    }
    Ok(Notice {
        order_no,
        policy_no,
    })
}

fn installments(v: &Value) -> Result<(), String> {
    let Value::Array(items) = v else {
        return Err(format!(
            "secondRefundReq.installmentList is {}, not an array",
            kind(v)
        ));
    };
    for (i, item) in items.iter().enumerate() {
        let at = |field| Item { index: i, field };
        let item = object(item, at(""))?;
        known_keys(item, INSTALLMENT_KEYS, at("."))?;
        integer(present(item, "payNo", at(".payNo"))?, at(".payNo"))?;
        amount(present(item, "amount", at(".amount"))?, at(".amount"))?;
        let time = at(".refundTime");
        datetime_value(present(item, "refundTime", time)?, time)?;
    }
    Ok(())
}

/// The path of an installment field, written out only when a message needs it: the happy path
/// of a request builds no strings.
#[derive(Clone, Copy)]
struct Item {
    index: usize,
    field: &'static str,
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Item { index, field } = self;
        write!(f, "secondRefundReq.installmentList[{index}]{field}")
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn object(v: &Value, path: impl fmt::Display) -> Result<&Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{path} is {}, not an object", kind(v)))
}

/// Names the first key the interface does not know, with a hint when only its case is wrong
/// (`policyno`), the typo a hand-built envelope makes most.
fn known_keys(
    map: &Map<String, Value>,
    allowed: &[&str],
    prefix: impl fmt::Display,
) -> Result<(), String> {
    let Some(key) = map.keys().find(|k| !allowed.contains(&k.as_str())) else {
        return Ok(());
    };
    let hint = match allowed.iter().find(|a| a.eq_ignore_ascii_case(key)) {
        Some(right) => format!("; did you mean '{prefix}{right}'?"),
        None => format!("; expected only {}", allowed.join(", ")),
    };
    Err(format!("unknown key '{prefix}{key}'{hint}"))
}

fn present<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    path: impl fmt::Display,
) -> Result<&'a Value, String> {
    match map.get(key) {
        None => Err(format!("{path} is missing")),
        Some(Value::Null) => Err(format!("{path} is null")),
        Some(v) => Ok(v),
    }
}

fn required_str<'a>(map: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a str, String> {
    match present(map, key, path)? {
        Value::String(s) if s.trim().is_empty() => Err(format!("{path} is empty")),
        Value::String(s) => Ok(s),
        other => Err(format!("{path} is {}, not a string", kind(other))),
    }
}

/// The spec: "leave it out rather than null".
fn optional<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a Value>, String> {
    match map.get(key) {
        Some(Value::Null) => Err(format!(
            "{path} is null; leave it out rather than send null"
        )),
        other => Ok(other),
    }
}

fn datetime(s: &str, path: impl fmt::Display) -> Result<CstDateTime, String> {
    parse_datetime(s)
        .map(CstDateTime)
        .ok_or_else(|| format!("{path} '{s}' is not a real date and time in yyyy-MM-dd HH:mm:ss"))
}

/// The same rule as `CstDateTime`'s parser (fixed width, a real date and time), built from the
/// digits directly: chrono's format-string parser costs more than the rest of a request's
/// checks together, and the sandbox parses three of these per request under load.
fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 19
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b' ',
            13 | 16 => c == b':',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    let num = |from: usize, to: usize| {
        b[from..to]
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
    };
    NaiveDate::from_ymd_opt(num(0, 4) as i32, num(5, 7), num(8, 10))?.and_hms_opt(
        num(11, 13),
        num(14, 16),
        num(17, 19),
    )
}

fn datetime_value(v: &Value, path: impl fmt::Display) -> Result<(), String> {
    match v {
        Value::String(s) => datetime(s, path).map(drop),
        other => Err(format!(
            "{path} is {}, not a yyyy-MM-dd HH:mm:ss string",
            kind(other)
        )),
    }
}

/// `1` passes, `1.0` does not: a JSON integer has no fraction part on the wire.
fn integer(v: &Value, path: impl fmt::Display) -> Result<(), String> {
    match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(()),
        Value::Number(n) => Err(format!("{path} {n} is not an integer")),
        other => Err(format!("{path} is {}, not an integer", kind(other))),
    }
}

/// A non-negative number with at most two decimal places, judged on the shortest decimal that
/// reads back as the same f64: so `10.2` passes and float noise like `10.200000000000001` fails.
fn amount(v: &Value, path: impl fmt::Display) -> Result<(), String> {
    let n = match v {
        Value::Number(n) => n,
        other => return Err(format!("{path} is {}, not a number", kind(other))),
    };
    if n.as_f64().is_some_and(|f| f < 0.0) {
        return Err(format!("{path} {n} is negative"));
    }
    if decimal_places(n) > 2 {
        return Err(format!("{path} {n} has more than two decimal places"));
    }
    Ok(())
}

fn decimal_places(n: &Number) -> i64 {
    if !n.is_f64() {
        return 0;
    }
    let text = n.to_string();
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
        None => (text.as_str(), 0),
    };
    let fraction = mantissa
        .split_once('.')
        .map_or("", |(_, f)| f)
        .trim_end_matches('0');
    (fraction.len() as i64 - exponent).max(0)
}

/// The text of every number in the body, in document order (the order serde_json visits them).
/// serde_json's default float parsing may be one ulp off, which would turn float noise such as
/// `10.200000000000001` into a clean `10.2`; re-reading the text with the correctly rounded
/// std parser keeps that noise visible to the decimal-places check.
fn number_tokens(body: &[u8]) -> Vec<&str> {
    let mut tokens = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'-' || b.is_ascii_digit() {
            let start = i;
            while i < body.len()
                && matches!(body[i], b'0'..=b'9' | b'+' | b'-' | b'.' | b'e' | b'E')
            {
                i += 1;
            }
            // Only ASCII bytes were taken, so this is always valid UTF-8.
            if let Ok(token) = std::str::from_utf8(&body[start..i]) {
                tokens.push(token);
            }
            continue;
        }
        i += 1;
    }
    tokens
}

#[derive(Clone, Copy)]
struct Numbers<'a> {
    tokens: &'a [&'a str],
    next: &'a Cell<usize>,
}

impl Numbers<'_> {
    fn take(&self) -> Option<&str> {
        let i = self.next.get();
        self.next.set(i + 1);
        self.tokens.get(i).copied()
    }
}

/// Builds a `serde_json::Value` but refuses duplicate object keys, which serde_json alone would
/// silently resolve to the last one (hiding, say, a `policyNo` written twice by a flatten).
#[derive(Clone, Copy)]
struct Strict<'a>(Numbers<'a>);

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        self.0.take();
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        self.0.take();
        Ok(v.into())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        let exact = self.0.take().and_then(|t| t.parse::<f64>().ok());
        // A token that disagrees beyond rounding would mean the scan lost step: keep serde's.
        let v = match exact {
            Some(x) if (x - v).abs() <= v.abs() * 1e-12 => x,
            _ => v,
        };
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number out of range"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key '{key}'")));
            }
            let value = access.next_value_seed(self)?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_places_follow_the_shortest_reading() {
        let places = |s: &str| match parse(s.as_bytes()).unwrap() {
            Value::Number(n) => decimal_places(&n),
            other => panic!("{other}"),
        };
        assert_eq!(places("10"), 0);
        assert_eq!(places("10.2"), 1);
        assert_eq!(places("10.20"), 1);
        assert_eq!(places("0.07"), 2);
        assert_eq!(places("5.0"), 0);
        assert_eq!(places("1.234"), 3);
        assert_eq!(places("1e-7"), 7);
        assert_eq!(places("1.5e20"), 0);
        assert_eq!(places("10.200000000000001"), 15);
        assert_eq!(places("0.30000000000000004"), 17);
        assert_eq!(places("-2.5"), 1);
    }

    #[test]
    fn datetimes_agree_with_the_protocol_parser() {
        for s in [
            "2021-05-10 12:00:00",
            "2024-02-29 23:59:59",
            "2023-02-29 12:00:00",
            "2021-02-30 12:00:00",
            "2021-13-01 12:00:00",
            "2021-05-10 24:00:00",
            "2021-05-10 12:60:00",
            "2022-12-19 15: 44: 21",
            "2021-5-10 12:00:00",
            "2021-05-10T12:00:00",
            "+021-05-10 12:00:00",
            "0000-01-01 00:00:00",
            "",
        ] {
            let ours = parse_datetime(s).map(CstDateTime);
            assert_eq!(ours, s.parse::<CstDateTime>().ok(), "{s}");
        }
    }

    #[test]
    fn content_types() {
        for ok in [
            "application/json",
            "application/json;charset=UTF-8",
            "Application/JSON; charset=\"utf-8\"",
        ] {
            assert!(check_content_type(Some(ok.as_bytes())).is_ok(), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/json; charset=GBK",
            "application/jsonx",
            "application/json; boundary",
            "application/x-www-form-urlencoded",
        ] {
            assert!(check_content_type(Some(bad.as_bytes())).is_err(), "{bad}");
        }
        assert!(check_content_type(None).unwrap_err().contains("missing"));
    }

    #[test]
    fn duplicate_keys_and_trailing_commas_are_not_json() {
        assert!(parse(br#"{"a":1,"a":2}"#)
            .unwrap_err()
            .contains("duplicate key 'a'"));
        assert!(parse(br#"{"a":[1,]}"#)
            .unwrap_err()
            .contains("trailing comma"));
        assert_eq!(
            parse(br#"{"a":[1,2.5,"x",null,true,{"b":{}}]}"#).unwrap(),
            serde_json::json!({"a":[1,2.5,"x",null,true,{"b":{}}]})
        );
        // Numbers inside strings do not put the scan out of step.
        let v = parse(br#"{"s":"1.5 \" 2.25","n":[-3,0.1,1e2,7]}"#).unwrap();
        assert_eq!(v["n"], serde_json::json!([-3, 0.1, 100.0, 7]));
    }
}
