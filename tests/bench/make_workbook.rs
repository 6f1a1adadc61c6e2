//! Writes a workbook of N valid cancellations for the memory benchmark
//! (`tests/bench/workbook.sh`): `cargo run --example make-workbook -- N FILE.xlsx`. The cells are
//! typed as a spreadsheet program would save them: ids as text, amounts as numbers formatted
//! 0.00, dates as date cells, and an extra column of customer names.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

fn main() -> Result<(), XlsxError> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: make-workbook ROWS FILE.xlsx";
    let rows: u32 = args.next().and_then(|n| n.parse().ok()).expect(usage);
    let path = args.next().expect(usage);

    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("退保清单")?;
    let amount = Format::new().set_num_format("0.00");
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for (column, name) in [
        "保单号",
        "订单号",
        "退保金额",
        "退保日期",
        "退保状态",
        "客户姓名",
    ]
    .into_iter()
    .enumerate()
    {
        sheet.write_string(0, column as u16, name)?;
    }
    let start = ExcelDateTime::parse_from_str("2024-05-10 09:30:00")?.to_excel();
    for i in 1..=rows {
        sheet.write_string(i, 0, format!("P{i:010}"))?;
        sheet.write_string(i, 1, format!("QS{i:012}"))?;
        sheet.write_number_with_format(i, 2, f64::from(i % 100_000) / 100.0, &amount)?;
        let at = ExcelDateTime::from_serial_datetime(start + f64::from(i % 86_400) / 86_400.0)?;
        sheet.write_datetime_with_format(i, 3, &at, &date)?;
        sheet.write_number(i, 4, 1)?;
        sheet.write_string(i, 5, format!("客户{i}"))?;
    }
    book.save(&path)
}
