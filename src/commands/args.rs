//! Turning clap's argument structs into the input room's options: shared by the commands, so
//! that `send`, `batch` and `validate` read the same flags the same way.

use crate::cli::{FieldArgs, InputArgs, InputEncoding, InputFormat};
use crate::input::{Encoding, FieldFlags, Format, InputOptions};

pub fn field_flags(f: &FieldArgs) -> FieldFlags {
    FieldFlags {
        policies: f.policies.clone(),
        order_no: f.order_no.clone(),
        amount: f.amount.clone(),
        refund_date: f.refund_date.clone(),
        status: f.status.clone(),
        installments: f.installments.clone(),
    }
}

pub fn input_options(args: &InputArgs, require_order_no: bool) -> InputOptions {
    InputOptions {
        format: args.format.map(|f| match f {
            InputFormat::Csv => Format::Csv,
            InputFormat::Jsonl => Format::Jsonl,
        }),
        encoding: args.encoding.map(|e| match e {
            InputEncoding::Utf8 => Encoding::Utf8,
            InputEncoding::Gb18030 => Encoding::Gb18030,
        }),
        require_order_no,
        columns: args.columns.clone(),
        delimiter: args.delimiter,
    }
}
