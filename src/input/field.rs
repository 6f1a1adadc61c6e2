//! The fields a row can carry, and the names a header, a JSON key or a flag gives each.

/// A field of `secondRefundReq`, plus the `orderNo` of the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    PolicyNo,
    OrderNo,
    Amount,
    RefundDate,
    Status,
    Installments,
    /// Not sent: the platform a `history` export's row was sent to (its journal key).
    Endpoint,
    /// Not sent: the channel a `history` export's row was sent for.
    PolicySource,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::PolicyNo,
        Field::OrderNo,
        Field::Amount,
        Field::RefundDate,
        Field::Status,
        Field::Installments,
        Field::Endpoint,
        Field::PolicySource,
    ];

    /// camelCase (the wire name), snake_case, then the Chinese names exports use. Only names
    /// that can mean nothing else: an endorsement number (批单号) may or may not be the order
    /// number, so it is left to `--column`.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::PolicyNo => &["policyNo", "policy_no", "保单号", "保单号码", "保单编号"],
            Field::OrderNo => &["orderNo", "order_no", "订单号", "订单号码", "订单编号"],
            Field::Amount => &[
                "secondRefundAmount",
                "amount",
                "退费金额",
                "退保金额",
                "退款金额",
            ],
            Field::RefundDate => &[
                "secondRefundDate",
                "refund_date",
                "退费日期",
                "退保日期",
                "退款日期",
                "退费时间",
                "退保时间",
                "退款时间",
            ],
            Field::Status => &[
                "secondRefundStatus",
                "status",
                "退费状态",
                "退保状态",
                "退款状态",
            ],
            Field::Installments => &[
                "installmentList",
                "installments",
                "分期列表",
                "分期",
                "分期明细",
            ],
            Field::Endpoint => &["endpoint"],
            Field::PolicySource => &["policySource", "policy_source", "channel", "渠道代码"],
        }
    }

    /// The names a header may use for this field, for messages: "policyNo, policy_no, 保单号…".
    pub fn spellings(self) -> String {
        let names = self.aliases();
        // `aliases` returns a fixed, non-empty list for every field (its wire name first).
        let (last, rest) = names.split_last().expect("every field has names");
        format!("{} or {last}", rest.join(", "))
    }

    pub fn wire_name(self) -> &'static str {
        self.aliases()[0]
    }

    /// The `send` flag that carries this field.
    pub fn flag(self) -> &'static str {
        match self {
            Field::PolicyNo => "--policy",
            Field::OrderNo => "--order-no",
            Field::Amount => "--amount",
            Field::RefundDate => "--refund-date",
            Field::Status => "--status",
            Field::Installments => "--installment",
            Field::Endpoint => "--base-url",
            Field::PolicySource => "--policy-source",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// Ignoring case and `_`, `-` and spaces, so that camelCase and snake_case spellings of
    /// one name meet (`refundDate` = `refund_date`, `Policy No` = `policyNo`); the Chinese
    /// names have no case.
    pub fn from_name(name: &str) -> Option<Field> {
        fn loose(s: &str) -> impl Iterator<Item = char> + '_ {
            s.chars()
                .filter(|c| !matches!(c, '_' | '-' | ' '))
                .map(|c| c.to_ascii_lowercase())
        }
        Field::ALL
            .into_iter()
            .find(|f| f.aliases().iter().any(|alias| loose(alias).eq(loose(name))))
    }

    /// The field a header or key names: a `--column` mapping first; else a built-in name,
    /// unless a mapping gave that field to another column.
    pub fn resolve(name: &str, columns: &[super::ColumnMapping]) -> Option<Field> {
        if let Some(mapping) = columns.iter().find(|m| m.matches(name)) {
            return Some(mapping.field);
        }
        Field::from_name(name).filter(|f| !columns.iter().any(|m| m.field == *f))
    }

    pub fn known_names() -> String {
        Field::ALL
            .iter()
            .map(|f| f.wire_name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
