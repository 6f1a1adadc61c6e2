//! What a report holds: its columns in order, each column's name in English and in Chinese
//! (written once, here), and each row's values drawn from a result and the input row it came
//! from. The formats (`csv.rs`, `jsonl.rs`, `xlsx.rs`) only decide how a value is written.

use crate::input::{Field, InputHeader};
use crate::notice::NoticeResult;
use chrono::{DateTime, Utc};
use std::borrow::Cow;

/// The language of a report's headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

/// One column of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Column {
    Line,
    PolicyNo,
    OrderNo,
    Amount,
    RefundDate,
    Status,
    /// A column of the input that is no notice field (the customer's name), by its index in
    /// the input's header.
    Input(usize),
    Outcome,
    DealCode,
    DealDesc,
    HttpStatus,
    Attempts,
    Uuid,
    ElapsedMs,
    Error,
    /// JSON Lines only: the warnings about the answer, a list.
    Warnings,
    SkipReason,
    Platform,
    Endpoint,
    Channel,
    SentAt,
}

/// Every column's name in English (also its JSON key) and in Chinese. The English names of the
/// result's columns are the fields of `--json`'s result object.
const NAMES: [(Column, &str, &str); 20] = [
    (Column::Line, "line", "行号"),
    (Column::PolicyNo, "policyNo", "保单号"),
    (Column::OrderNo, "orderNo", "订单号"),
    (Column::Amount, "secondRefundAmount", "退保金额"),
    (Column::RefundDate, "secondRefundDate", "退保日期"),
    (Column::Status, "secondRefundStatus", "退保状态"),
    (Column::Outcome, "outcome", "结果"),
    (Column::DealCode, "dealCode", "处理代码"),
    (Column::DealDesc, "dealDesc", "处理描述"),
    (Column::HttpStatus, "httpStatus", "HTTP状态码"),
    (Column::Attempts, "attempts", "发送次数"),
    (Column::Uuid, "uuid", "请求UUID"),
    (Column::ElapsedMs, "elapsedMs", "耗时毫秒"),
    (Column::Error, "error", "错误"),
    (Column::Warnings, "warnings", "警告"),
    (Column::SkipReason, "skipReason", "跳过原因"),
    (Column::Platform, "platform", "平台"),
    (Column::Endpoint, "endpoint", "接口地址"),
    (Column::Channel, "channel", "渠道代码"),
    (Column::SentAt, "sentAt", "发送时间"),
];

/// The notice fields a report takes from the input row, each under the column that shows it.
/// The policy and order numbers come from the result (the order number it was sent under);
/// the input's `endpoint` and `policySource` columns are the platform's columns' to show.
const FIELDS: [(Column, Field); 5] = [
    (Column::PolicyNo, Field::PolicyNo),
    (Column::OrderNo, Field::OrderNo),
    (Column::Amount, Field::Amount),
    (Column::RefundDate, Field::RefundDate),
    (Column::Status, Field::Status),
];

impl Column {
    /// The English name, which is also the JSON key.
    pub fn key(self) -> &'static str {
        Self::names(self).0
    }

    fn names(self) -> (&'static str, &'static str) {
        NAMES
            .iter()
            .find(|(c, _, _)| *c == self)
            .map_or(("", ""), |(_, en, zh)| (*en, *zh))
    }

    /// In a table (CSV, a workbook); the JSON object has every column.
    pub fn in_table(self) -> bool {
        self != Column::Warnings
    }
}

/// One value of a row, by what it is: each format writes it its own way.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value<'a> {
    Empty,
    /// Text whatever it looks like: ids, outcomes, messages, the input's other columns.
    Text(Cow<'a, str>),
    /// A count or code this tool produced (the line, HTTP status, attempts, milliseconds).
    Integer(i64),
    /// The input's amount as written: a number with two decimals in a workbook.
    Amount(Cow<'a, str>),
    /// The input's status as written: a number in a workbook.
    Status(Cow<'a, str>),
    /// The input's `yyyy-MM-dd HH:mm:ss` as written: a date cell in a workbook.
    DateTime(Cow<'a, str>),
    /// An instant this tool recorded, shown in China Standard Time.
    Instant(DateTime<Utc>),
    /// JSON only.
    List(Cow<'a, [String]>),
}

/// What every row of a run says of where its notice went.
#[derive(Debug, Clone, Default)]
pub struct Platform {
    /// `test`, `prod`, `sandbox`; `None` for a base URL of no named environment.
    pub name: Option<String>,
    /// The platform as the journal and `history` name it (its base URL), so that `batch`
    /// reading the report back holds its rows to that platform as it does an export's.
    pub endpoint: String,
    pub channel: String,
}

/// A report's columns, in order, with their names.
#[derive(Debug, Clone)]
pub(super) struct Columns {
    pub columns: Vec<Column>,
    names: Vec<String>,
    /// Where each field the report takes from the input is in the input's row.
    from_input: [Option<usize>; FIELDS.len()],
    pub lang: Lang,
}

impl Columns {
    /// The columns for an input with `header` (none for `send`), in `lang` or else the
    /// language of the input's own headers.
    pub fn new(header: Option<&InputHeader>, lang: Option<Lang>) -> Columns {
        let lang = lang.unwrap_or_else(|| header.map_or(Lang::En, language_of));
        let from_input = FIELDS.map(|(_, f)| header.and_then(|h| h.column_of(f)));
        let mut columns = vec![Column::Line];
        columns.extend(FIELDS.iter().map(|(c, _)| *c));
        if let Some(header) = header {
            let others = (0..header.names.len()).filter(|&i| match header.field(i) {
                None | Some(Field::Installments) => true,
                Some(_) => false,
            });
            columns.extend(others.map(Column::Input));
        }
        columns.extend([
            Column::Outcome,
            Column::DealCode,
            Column::DealDesc,
            Column::HttpStatus,
            Column::Attempts,
            Column::Uuid,
            Column::ElapsedMs,
            Column::Error,
            Column::Warnings,
            Column::SkipReason,
            Column::Platform,
            Column::Endpoint,
            Column::Channel,
            Column::SentAt,
        ]);
        // A field's column keeps the input's own name when the report speaks its language.
        let own_language = header.is_some_and(|h| language_of(h) == lang);
        let names = columns
            .iter()
            .map(|&column| match column {
                Column::Input(i) => header.map_or("", |h| &h.names[i]).to_owned(),
                _ => {
                    let own = FIELDS
                        .iter()
                        .position(|(c, _)| *c == column)
                        .and_then(|at| from_input[at])
                        .filter(|_| own_language)
                        .and_then(|i| header.map(|h| h.names[i].as_str()))
                        .filter(|name| !name.is_empty());
                    let (en, zh) = column.names();
                    own.unwrap_or(if lang == Lang::Zh { zh } else { en })
                        .to_owned()
                }
            })
            .collect();
        Columns {
            columns,
            names,
            from_input,
            lang,
        }
    }

    /// The header of a table: every column's name but those only JSON has.
    pub fn table_names(&self) -> impl Iterator<Item = &str> {
        self.columns
            .iter()
            .zip(&self.names)
            .filter(|(c, _)| c.in_table())
            .map(|(_, name)| name.as_str())
    }

    /// The name of the column at `index` among [`Columns::columns`].
    pub fn name(&self, index: usize) -> &str {
        &self.names[index]
    }

    /// One row's values, in column order: `result`, with `raw` the input row it came from
    /// (in the order of the input's header), sent at `sent_at`, to `platform`.
    pub fn values<'a>(
        &self,
        result: &'a NoticeResult,
        raw: Option<&'a [String]>,
        sent_at: Option<DateTime<Utc>>,
        platform: &'a Platform,
    ) -> Vec<Value<'a>> {
        let text = |s: Option<&'a str>| s.map_or(Value::Empty, |s| Value::Text(s.into()));
        let integer = |n: Option<i64>| n.map_or(Value::Empty, Value::Integer);
        let input = |column: Column| {
            let at = FIELDS.iter().position(|(c, _)| *c == column)?;
            let cell = raw?.get(self.from_input[at]?)?;
            (!cell.is_empty()).then_some(Cow::Borrowed(cell.as_str()))
        };
        self.columns
            .iter()
            .map(|&column| match column {
                Column::Line => integer(result.line.and_then(|l| i64::try_from(l).ok())),
                Column::PolicyNo => text(Some(&result.policy_no)),
                Column::OrderNo => text(result.order_no.as_deref()),
                Column::Amount => input(column).map_or(Value::Empty, Value::Amount),
                Column::RefundDate => input(column).map_or(Value::Empty, Value::DateTime),
                Column::Status => input(column).map_or(Value::Empty, Value::Status),
                Column::Input(i) => text(
                    raw.and_then(|r| r.get(i))
                        .map(String::as_str)
                        .filter(|c| !c.is_empty()),
                ),
                Column::Outcome => text(Some(result.outcome.as_str())),
                Column::DealCode => text(result.deal_code.as_deref()),
                Column::DealDesc => text(result.deal_desc.as_deref()),
                Column::HttpStatus => integer(result.http_status.map(i64::from)),
                Column::Attempts => Value::Integer(i64::from(result.attempts)),
                Column::Uuid => text(result.uuid.as_deref()),
                Column::ElapsedMs => {
                    Value::Integer(i64::try_from(result.elapsed_ms).unwrap_or(i64::MAX))
                }
                Column::Error => text(result.error.as_deref()),
                Column::Warnings => Value::List(Cow::Borrowed(&result.warnings)),
                Column::SkipReason => text(result.skip_reason.map(|s| s.as_str())),
                Column::Platform => text(platform.name.as_deref()),
                Column::Endpoint => text(Some(&platform.endpoint)),
                Column::Channel => text(Some(&platform.channel)),
                Column::SentAt => sent_at.map_or(Value::Empty, Value::Instant),
            })
            .collect()
    }
}

/// The language of an input's headers: Chinese when a notice field's column is named in
/// Chinese (保单号), else English. A column that is no field (客户姓名 beside English
/// names) does not decide it.
fn language_of(header: &InputHeader) -> Lang {
    let chinese = (0..header.names.len())
        .filter(|&i| header.field(i).is_some())
        .any(|i| header.names[i].chars().any(is_han));
    if chinese {
        Lang::Zh
    } else {
        Lang::En
    }
}

/// A Chinese character (the CJK blocks an export's header uses).
fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}')
}

/// Names of the summary sheet's lines, in each language.
pub(super) fn summary_label(key: &'static str, lang: Lang) -> &'static str {
    const LABELS: [(&str, &str); 9] = [
        ("total", "合计"),
        ("rejectedEarlier", "此前被拒（未重发）"),
        ("platform", "平台"),
        ("endpoint", "接口地址"),
        ("channel", "渠道代码"),
        ("runId", "运行编号"),
        ("startedAt", "开始时间"),
        ("endedAt", "结束时间"),
        ("interrupted", "中途停止"),
    ];
    match lang {
        Lang::En => key,
        Lang::Zh => LABELS
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(key, |(_, zh)| zh),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notice::{Notice, Outcome};

    fn header(names: &[&str], fields: &[Option<Field>]) -> InputHeader {
        InputHeader {
            names: names.iter().map(|n| n.to_string()).collect(),
            fields: fields.to_vec(),
        }
    }

    fn names(columns: &Columns) -> Vec<&str> {
        columns.table_names().collect()
    }

    #[test]
    fn the_notice_columns_decide_the_language_and_keep_their_own_names() {
        let zh = header(
            &["保单号", "退费金额", "客户姓名", "渠道代码", "分期"],
            &[
                Some(Field::PolicyNo),
                Some(Field::Amount),
                None,
                Some(Field::PolicySource),
                Some(Field::Installments),
            ],
        );
        let columns = Columns::new(Some(&zh), None);
        assert_eq!(columns.lang, Lang::Zh);
        // The input's channel column is the report's own channel column's to show; the
        // installments and the customer's name are carried as they are.
        assert_eq!(
            names(&columns)[..9],
            [
                "行号",
                "保单号",
                "订单号",
                "退费金额",
                "退保日期",
                "退保状态",
                "客户姓名",
                "分期",
                "结果"
            ]
        );
        // Asked for English, every column has its English name.
        let columns = Columns::new(Some(&zh), Some(Lang::En));
        assert_eq!(
            names(&columns)[..8],
            [
                "line",
                "policyNo",
                "orderNo",
                "secondRefundAmount",
                "secondRefundDate",
                "secondRefundStatus",
                "客户姓名",
                "分期"
            ]
        );
        // A Chinese column that is no field does not make an English file Chinese.
        let en = header(&["policy_no", "客户姓名"], &[Some(Field::PolicyNo), None]);
        let columns = Columns::new(Some(&en), None);
        assert_eq!(columns.lang, Lang::En);
        assert_eq!(names(&columns)[..3], ["line", "policy_no", "orderNo"]);
    }

    #[test]
    fn every_column_has_a_name_in_each_language_and_the_result_columns_are_the_json_fields() {
        let columns = Columns::new(None, None);
        for column in &columns.columns {
            let (en, zh) = column.names();
            assert!(!en.is_empty() && !zh.is_empty(), "{column:?}");
        }
        let notice = Notice {
            line: Some(2),
            policy_no: "P1".into(),
            ..Default::default()
        };
        let result = NoticeResult::new(&notice, Outcome::Accepted);
        // Every field of `--json`'s result is a column, in the same order.
        let json = serde_json::to_string(&result).unwrap();
        let mut keys: Vec<(usize, &str)> = NAMES
            .iter()
            .filter_map(|(_, en, _)| json.find(&format!("\"{en}\":")).map(|at| (at, *en)))
            .collect();
        keys.sort_unstable();
        let fields = serde_json::to_value(&result).unwrap();
        assert_eq!(keys.len(), fields.as_object().unwrap().len(), "{json}");
        let at: Vec<usize> = keys
            .iter()
            .map(|(_, k)| columns.columns.iter().position(|c| c.key() == *k).unwrap())
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    }

    #[test]
    fn a_row_takes_the_inputs_values_as_written() {
        let input = header(
            &["policyNo", "amount", "note", "orderNo"],
            &[
                Some(Field::PolicyNo),
                Some(Field::Amount),
                None,
                Some(Field::OrderNo),
            ],
        );
        let columns = Columns::new(Some(&input), None);
        let notice = Notice {
            line: Some(3),
            policy_no: "P1".into(),
            order_no: Some("GENERATED".into()),
            ..Default::default()
        };
        let result = NoticeResult::new(&notice, Outcome::Accepted);
        let raw: Vec<String> = ["P1", "1000.00", "", ""].map(String::from).to_vec();
        let platform = Platform {
            name: None,
            endpoint: "https://x".into(),
            channel: "C".into(),
        };
        let values = columns.values(&result, Some(&raw), None, &platform);
        let at = |key: &str| {
            let i = columns.columns.iter().position(|c| c.key() == key).unwrap();
            values[i].clone()
        };
        assert_eq!(at("line"), Value::Integer(3));
        assert_eq!(at("orderNo"), Value::Text("GENERATED".into()));
        assert_eq!(at("secondRefundAmount"), Value::Amount("1000.00".into()));
        assert_eq!(at("secondRefundDate"), Value::Empty);
        assert_eq!(values[6], Value::Empty, "the note, empty");
        assert_eq!(at("platform"), Value::Empty);
        assert_eq!(at("sentAt"), Value::Empty);
    }
}
