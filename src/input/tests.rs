//! Whole-file behaviour: what `validate` and `batch` see for a given input.

use super::*;
use std::path::{Path, PathBuf};

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn file(name: &str, bytes: impl AsRef<[u8]>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    Fixture { _dir: dir, path }
}

fn open(f: &Fixture, options: &InputOptions) -> Source {
    Source::open(f.path.to_str().unwrap(), options).unwrap()
}

fn collect(source: &Source) -> (Vec<Row>, Vec<Problem>) {
    let (mut rows, mut problems) = (Vec::new(), Vec::new());
    source
        .read(|item| {
            match item {
                Item::Row(r) => rows.push(r),
                Item::Problem(p) => problems.push(p),
                Item::Invalid(_) => {}
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    (rows, problems)
}

fn read(name: &str, bytes: impl AsRef<[u8]>) -> (Vec<Row>, Vec<Problem>) {
    collect(&open(&file(name, bytes), &InputOptions::default()))
}

/// `LINE: column: message` without the temporary path, for comparing.
fn short(problems: &[Problem]) -> Vec<String> {
    problems
        .iter()
        .map(|p| {
            let line = p.line.map_or("-".to_owned(), |l| l.to_string());
            let warn = if p.is_error() { "" } else { "warning: " };
            format!("{line}: {}: {warn}{}", p.column, p.message)
        })
        .collect()
}

#[test]
fn headers_match_in_every_spelling_and_fill_every_field() {
    let (rows, problems) = read(
        "a.csv",
        "POLICYNO,Order_No,退费金额,refund_date,Status,分期列表\n\
         P1,O1,10.2,2021-05-10 12:00:00,1,1:10.2:2021-05-10 11:59:59\n",
    );
    assert!(problems.is_empty(), "{problems:?}");
    let row = &rows[0];
    assert_eq!(row.line, Some(2));
    assert_eq!(row.policy_no, "P1");
    assert_eq!(row.order_no.as_deref(), Some("O1"));
    let d = &row.details;
    assert_eq!(d.amount.unwrap().to_string(), "10.2");
    assert_eq!(d.refund_date.unwrap().to_string(), "2021-05-10 12:00:00");
    assert_eq!(d.status, Some(1));
    assert_eq!(d.installments.as_ref().unwrap()[0].pay_no, 1);
}

#[test]
fn a_bom_is_dropped_and_cells_are_trimmed() {
    let (rows, problems) = read("a.csv", "\u{feff}policyNo , amount\n  P1 ,  5 \n");
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(rows[0].policy_no, "P1");
    assert_eq!(rows[0].details.amount.unwrap().fen(), 500);
}

#[test]
fn gbk_from_chinese_excel_is_read_as_gb18030_with_a_notice() {
    let (gbk, _, unmappable) =
        encoding_rs::GBK.encode("保单号,退费金额,备注\nP1,1.5,客户退保\nP2,2,\n");
    assert!(!unmappable);
    let f = file("cancellations.csv", &gbk);
    let source = open(&f, &InputOptions::default());
    assert_eq!(source.encoding(), Encoding::Gb18030);
    assert_eq!(source.notices().len(), 1);
    assert!(source.notices()[0]
        .contains("is not valid UTF-8; reading it as GB18030 (use --encoding to choose)"));
    let (rows, problems) = collect(&source);
    let policies: Vec<_> = rows.iter().map(|r| r.policy_no.as_str()).collect();
    assert_eq!(policies, ["P1", "P2"]);
    assert_eq!(short(&problems).len(), 1);
    assert!(
        short(&problems)[0].starts_with("1: 备注: warning: "),
        "{problems:?}"
    );
}

#[test]
fn gbk_read_as_utf8_gives_problems_not_mojibake() {
    let utf8 = InputOptions {
        encoding: Some(Encoding::Utf8),
        ..Default::default()
    };
    let (gbk, _, _) = encoding_rs::GBK.encode("保单号,退费金额\nP1,1.5\n");
    let f = file("a.csv", &gbk);
    let source = open(&f, &utf8);
    assert!(source.notices().is_empty());
    let (rows, problems) = collect(&source);
    assert!(rows.is_empty());
    let s = short(&problems);
    assert!(
        s.iter()
            .any(|p| p.starts_with("1: column 1: the column name is not valid UTF-8")),
        "{s:?}"
    );
    assert!(
        s.iter()
            .any(|p| p.starts_with("1: policyNo: no policyNo column")),
        "{s:?}"
    );

    // ASCII headers, a GBK cell under them.
    let mut bytes = b"policyNo,amount\nP1,1\n".to_vec();
    bytes.extend_from_slice(&encoding_rs::GBK.encode("保1,2\n").0);
    let f = file("b.csv", &bytes);
    let (rows, problems) = collect(&open(&f, &utf8));
    assert_eq!(rows.len(), 1);
    assert_eq!(
        short(&problems),
        ["3: policyNo: is not valid UTF-8 (if the file is GBK/GB18030, as Chinese Excel writes it, pass --encoding gb18030)"]
    );
}

#[test]
fn installments_in_both_forms() {
    let (rows, problems) = read(
        "a.csv",
        "policyNo,amount,installments\n\
         P1,10.2,\"[{\"\"payNo\"\":1,\"\"amount\"\":10.2,\"\"refundTime\"\":\"\"2021-05-10 11:59:59\"\"}]\"\n\
         P2,10.2,1:5:2021-05-10 11:59:59;2:5.2:2021-05-11 11:59:59\n",
    );
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(rows[0].details.installments.as_ref().unwrap().len(), 1);
    assert_eq!(rows[1].details.installments.as_ref().unwrap().len(), 2);
}

#[test]
fn a_quoted_cell_over_several_lines_keeps_later_line_numbers_true() {
    for newline in ["\n", "\r\n"] {
        let text = "policyNo,note\nP1,\"first\nsecond\nthird\"\nP2,x\n\nP3,y\n,\nP 4,z\n";
        let (rows, problems) = read("a.csv", text.replace('\n', newline));
        let lines: Vec<_> = rows.iter().map(|r| r.line.unwrap()).collect();
        assert_eq!(lines, [2, 5, 7], "{newline:?}");
        let lines: Vec<_> = problems.iter().map(|p| p.line.unwrap()).collect();
        assert_eq!(lines, [1, 9], "{newline:?}: the unknown column, then P 4");
    }
}

#[test]
fn every_row_problem_names_its_line_and_column() {
    let (rows, problems) = read(
        "a.csv",
        "policyNo,orderNo,amount,refundDate,status,installments,extra\r\n\
         P 1,,,,,,\r\n\
         ,O2,,,,,\r\n\
         P3,O 3,,,,,\n\
         P4,,1.234,,,,\n\
         P5,,-1,,,,\n\
         P6,,,2021-05-10,,,\n\
         P7,,,,one,,\n\
         P8,,,,,1:x:2021-05-10 11:59:59,\n\
         P9,,10,,,1:9:2021-05-10 11:59:59,\n\
         P10,too,many,,,,,\n\
         ,,,,,,\n\
         P11,,,,,,\n",
    );
    assert_eq!(
        short(&problems),
        [
            "1: extra: warning: unknown column, ignored (the known ones are policyNo, orderNo, secondRefundAmount, secondRefundDate, secondRefundStatus, installmentList, endpoint, policySource; --ignore-column NAME leaves NAME unmentioned)",
            "2: policyNo: policy number 'P 1' contains ' '; only letters, digits and - _ . / are allowed",
            "3: policyNo: policy number is empty",
            "4: orderNo: order number 'O 3' contains ' '; only letters, digits and - _ . / are allowed",
            "5: amount: '1.234' is not a non-negative amount with at most two decimal places",
            "6: amount: '-1' is not a non-negative amount with at most two decimal places",
            "7: refundDate: '2021-05-10' is not a date in yyyy-MM-dd HH:mm:ss: a date without a time; did you mean `2021-05-10 00:00:00`?",
            "8: status: status 'one' is not an integer",
            "9: installments: installment 1: '1:x:2021-05-10 11:59:59' is not a non-negative amount with at most two decimal places".replace("'1:x:2021-05-10 11:59:59'", "'x'").as_str(),
            "10: installments: warning: installments add up to 9, not the refund amount 10",
            "11: : this record has 8 fields but the header has 7 (a stray comma, or a quote left open?)",
        ]
    );
    let policies: Vec<_> = rows.iter().map(|r| r.policy_no.as_str()).collect();
    assert_eq!(policies, ["P9", "P11"]);
}

#[test]
fn header_problems_stop_before_any_row() {
    let (rows, problems) = read("a.csv", "orderNo,amount\nO1,1\n");
    assert!(rows.is_empty());
    assert_eq!(
        short(&problems),
        ["1: policyNo: no policyNo column (named policyNo, policy_no, 保单号, 保单号码 or 保单编号) in the header; name yours with --column policyNo=HEADER"]
    );
    let (_, problems) = read("a.csv", "policyNo;amount\nP1;1\n");
    assert!(
        problems[0]
            .message
            .ends_with("separated by ';': pass --delimiter ';'"),
        "{problems:?}"
    );
    let (rows, problems) = read("a.csv", "policyNo,保单号\nP1,P1\n");
    assert!(rows.is_empty());
    assert_eq!(
        short(&problems),
        ["1: 保单号: the column 保单号 is the same field as the column policyNo; keep one"]
    );
    // Empty is not broken: the commands warn that there was nothing in it.
    for empty in ["", "\n\r\n", "\u{feff}"] {
        let (rows, problems) = read("a.csv", empty);
        assert!(
            rows.is_empty() && problems.is_empty(),
            "{empty:?}: {problems:?}"
        );
    }
    let (rows, problems) = read("a.csv", "policyNo\n");
    assert!(rows.is_empty() && problems.is_empty());
}

#[test]
fn a_missing_order_no_is_an_error_only_when_required() {
    let f = file("a.csv", "policyNo\nP1\n");
    let (rows, _) = collect(&open(&f, &InputOptions::default()));
    assert_eq!(rows.len(), 1);
    let required = InputOptions {
        require_order_no: true,
        ..Default::default()
    };
    let (rows, problems) = collect(&open(&f, &required));
    assert!(rows.is_empty());
    assert_eq!(
        short(&problems),
        ["1: orderNo: no order number on the one row: the header has no orderNo column; add one (or name yours with --column orderNo=HEADER), or pass --generate-order-no"]
    );
    // A column with a blank cell: that row's problem.
    let f = file("b.csv", "policyNo,orderNo\nP1,\nP2,O2\n");
    let (rows, problems) = collect(&open(&f, &required));
    assert_eq!(rows.len(), 1);
    assert_eq!(
        short(&problems),
        ["2: orderNo: no order number: add an orderNo column or pass --generate-order-no"]
    );
}

#[test]
fn no_order_no_column_is_one_problem_for_the_whole_file() {
    let csv = format!(
        "policyNo,amount\n{}",
        (1..=400).map(|i| format!("P{i},1\n")).collect::<String>()
    );
    let f = file("a.csv", csv + "P401,x\n");
    let required = InputOptions {
        require_order_no: true,
        ..Default::default()
    };
    let (rows, problems) = collect(&open(&f, &required));
    assert!(rows.is_empty());
    assert_eq!(
        short(&problems),
        [
            "402: amount: 'x' is not a non-negative amount with at most two decimal places",
            "1: orderNo: no order number on any of the 401 rows: the header has no orderNo column; add one (or name yours with --column orderNo=HEADER), or pass --generate-order-no",
        ]
    );
}

#[test]
fn duplicates_and_shared_order_numbers_point_at_the_first_line() {
    let (rows, problems) = read(
        "a.csv",
        "policyNo,orderNo,amount\nP1,O1,1\nP2,O2,1\nP1,O1,1\nP3,O2,1\nP4,,x\nP4,,1\n",
    );
    assert_eq!(
        short(&problems),
        [
            "4: policyNo: same policy as line 2",
            "5: orderNo: orderNo O2 is also on line 3",
            "6: amount: 'x' is not a non-negative amount with at most two decimal places",
            "7: policyNo: same policy as line 6",
        ]
    );
    assert_eq!(rows.len(), 2);
}

#[test]
fn ten_thousand_rows_with_three_bad_ones() {
    let mut text = String::from("policyNo,orderNo,amount,refundDate\n");
    let bad = [1_234u64, 5_000, 9_999];
    for i in 0..10_000u64 {
        let line = i + 2;
        let amount = if line == bad[0] { "1.001" } else { "12.5" };
        let date = if line == bad[1] {
            "2021-13-01 00:00:00"
        } else {
            "2021-05-10 12:00:00"
        };
        let policy = if line == bad[2] {
            String::new()
        } else {
            format!("P{i:08}")
        };
        text.push_str(&format!("{policy},O{i:08},{amount},{date}\n"));
    }
    let (rows, problems) = read("big.csv", text);
    let lines: Vec<_> = problems.iter().map(|p| p.line.unwrap()).collect();
    assert_eq!(lines, bad);
    assert_eq!(rows.len(), 9_997);
}

#[test]
fn json_lines_good_and_bad() {
    let (rows, problems) = read(
        "a.jsonl",
        concat!(
            r#"{"policyNo":"P1","secondRefundAmount":10.2,"secondRefundDate":"2021-05-10 12:00:00","secondRefundStatus":1,"installmentList":[{"payNo":1,"amount":10.2,"refundTime":"2021-05-10 11:59:59"}]}"#,
            "\n",
            "\n",
            r#"{"policy_no":"P2","orderNo":"O2","amount":"3.10","note":"x"}"#,
            "\r\n",
            "[1,2]\n",
            "{not json\n",
            r#"{"policyNo":"P3","secondRefundAmount":10.234}"#,
            "\n",
            r#"{"policyNo":"P4","policy_no":"P4"}"#,
            "\n",
            r#"{"policyNo":"P1","note":"y"}"#,
            "\n",
            r#"{"amount":1}"#,
            "\n",
        ),
    );
    let s = short(&problems);
    assert_eq!(s.len(), 7, "{s:?}");
    assert!(s[0].starts_with("3: note: warning: unknown key"), "{s:?}");
    assert_eq!(s[1], "4: : this line is not a JSON object");
    assert!(
        s[2].starts_with("5: : this line is not a JSON object: "),
        "{s:?}"
    );
    assert!(
        s[3].starts_with("6: secondRefundAmount: '10.234' is not"),
        "{s:?}"
    );
    assert!(s[4].starts_with("7: policy"), "{s:?}");
    assert_eq!(s[5], "8: policyNo: same policy as line 1");
    assert_eq!(s[6], "9: policyNo: policy number is empty");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].details.installments.as_ref().unwrap().len(), 1);
    assert_eq!(rows[1].line, Some(3));
    assert_eq!(rows[1].order_no.as_deref(), Some("O2"));
    assert_eq!(rows[1].details.amount.unwrap().to_string(), "3.1");
}

#[test]
fn format_comes_from_the_flag_then_the_extension() {
    let jsonl = r#"{"policyNo":"P1"}"#;
    assert_eq!(read("a.ndjson", jsonl).0.len(), 1);
    let f = file("a.txt", jsonl);
    let forced = InputOptions {
        format: Some(Format::Jsonl),
        ..Default::default()
    };
    assert_eq!(open(&f, &forced).format(), Format::Jsonl);
    assert_eq!(open(&f, &InputOptions::default()).format(), Format::Csv);
    // As the command line reads them.
    use clap::ValueEnum;
    assert_eq!(Format::from_str("JSONL", true), Ok(Format::Jsonl));
    assert_eq!(Encoding::from_str("GBK", true), Ok(Encoding::Gb18030));
    assert!(Encoding::from_str("latin1", true).is_err());
}

#[test]
fn stdin_is_spooled_and_reads_the_same_twice() {
    let input: &[u8] = b"policyNo,amount\nP1,1\nP2,x\n";
    let source = Source::from_reader(input, &InputOptions::default()).unwrap();
    assert_eq!(source.name(), "<stdin>");
    let first = collect(&source);
    let second = collect(&source);
    assert_eq!(first.0, second.0);
    assert_eq!(first.1, second.1);
    assert_eq!(first.1[0].file, "<stdin>");
    assert_eq!(
        first.1[0]
            .to_string()
            .split(':')
            .take(2)
            .collect::<Vec<_>>(),
        ["<stdin>", "3"]
    );
}

#[test]
fn the_sink_can_stop_the_pass() {
    let source =
        Source::from_reader(&b"policyNo\nP1\nP2\nP3\n"[..], &InputOptions::default()).unwrap();
    let mut seen = 0;
    source
        .read(|_| {
            seen += 1;
            if seen == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!(seen, 2);
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let e = Source::open("/nonexistent/cancellations.csv", &InputOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("cannot open /nonexistent/cancellations.csv: "),
        "{e}"
    );
}

/// `cargo test --lib input::tests::speed -- --ignored --nocapture`
#[test]
#[ignore]
fn speed_of_a_million_rows() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("million.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(
        out,
        "policyNo,orderNo,secondRefundAmount,secondRefundDate,secondRefundStatus"
    )
    .unwrap();
    for i in 0..1_000_000u64 {
        writeln!(
            out,
            "P2024{i:08},QS2412{i:08}AB,{}.{:02},2024-12-19 15:44:21,1",
            i % 5000,
            i % 100
        )
        .unwrap();
    }
    out.flush().unwrap();
    drop(out);
    let bytes = std::fs::metadata(&path).unwrap().len();
    let start = std::time::Instant::now();
    let source = Source::open(path.to_str().unwrap(), &InputOptions::default()).unwrap();
    let (mut rows, mut problems) = (0u64, 0u64);
    source
        .read(|item| {
            match item {
                Item::Row(_) => rows += 1,
                Item::Problem(_) => problems += 1,
                Item::Invalid(_) => {}
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    let elapsed = start.elapsed();
    eprintln!("{rows} rows, {problems} problems, {bytes} bytes in {elapsed:.2?}");
    assert_eq!((rows, problems), (1_000_000, 0));
}

#[test]
fn a_wide_header_names_a_few_unknown_columns_and_counts_the_rest() {
    let header: Vec<String> = (1..=200).map(|i| format!("extra_column_{i}")).collect();
    let (_, problems) = read("a.csv", format!("policyNo,{}\nP1\n", header.join(",")));
    let column = &problems[0].column.name;
    assert!(
        column.starts_with("extra_column_1, extra_column_2, "),
        "{column}"
    );
    assert!(column.ends_with(" more"), "{column}");
    assert!(column.chars().count() < 160, "{column}");
}

/// A workbook saved by a spreadsheet program (tests/data/excel).
fn excel_fixture(name: &str) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/excel");
    std::fs::read(dir.join(name)).unwrap()
}

#[test]
fn a_workbook_is_read_again_alike_and_an_edit_in_place_is_noticed() {
    let bytes = excel_fixture("clean-zh.xlsx");
    let f = file("book.xlsx", &bytes);
    let source = open(&f, &InputOptions::default());
    assert_eq!(source.format(), Format::Workbook);
    assert_eq!(source.sheet(), Some("退保清单"));
    let (first, problems) = collect(&source);
    assert!(problems.is_empty(), "{problems:?}");
    let mut again = Vec::new();
    source
        .read_again(|item| {
            if let Item::Row(row) = item {
                again.push(row);
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(first.len(), 5);
    assert_eq!(first, again);
    // Saved over in place (the same file, another size): the next pass refuses it.
    let other = excel_fixture("clean-en.xlsx");
    assert_ne!(other.len(), bytes.len());
    std::fs::write(&f.path, &other).unwrap();
    let e = source
        .read_again(|_| ControlFlow::Continue(()))
        .unwrap_err();
    assert!(matches!(e, InputError::Changed { .. }), "{e:?}");
}

#[test]
fn text_options_are_refused_for_a_workbook_and_sheet_for_text() {
    let f = file("book.xls", excel_fixture("clean-zh.xls"));
    let options = InputOptions {
        delimiter: Some(b';'),
        ..InputOptions::default()
    };
    let e = Source::open(f.path.to_str().unwrap(), &options).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("is a workbook: --delimiter is for CSV and JSON Lines files; leave it out"),
        "{e}"
    );
    let csv = file("a.csv", "policyNo\nP1\n");
    let options = InputOptions {
        sheet: Some("Sheet1".into()),
        ..InputOptions::default()
    };
    let e = Source::open(csv.path.to_str().unwrap(), &options).unwrap_err();
    assert!(matches!(e, InputError::SheetOfText { .. }), "{e:?}");
}

#[test]
fn rows_carry_their_cells_as_written_only_once_asked_and_the_source_keeps_its_header() {
    let f = file(
        "a.csv",
        "\u{feff}保单号, 退保金额 ,客户姓名,订单号\nP1, 1000.00 ,张三,O1\nP2,1000,李四,O2\n",
    );
    let mut source = open(&f, &InputOptions::default());
    let (rows, _) = collect(&source);
    assert_eq!(rows[0].raw, None, "the first pass keeps no cells");
    let header = source.header().unwrap();
    assert_eq!(header.names, ["保单号", "退保金额", "客户姓名", "订单号"]);
    assert_eq!(header.field(1), Some(Field::Amount));
    assert_eq!(header.field(2), None);
    assert_eq!(header.column_of(Field::OrderNo), Some(3));
    source.keep_cells();
    let (rows, _) = collect(&source);
    let raw: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.raw.clone().unwrap().to_vec())
        .collect();
    assert_eq!(
        raw,
        [
            ["P1", "1000.00", "张三", "O1"],
            ["P2", "1000", "李四", "O2"]
        ]
    );
}

#[test]
fn json_lines_rows_carry_the_notice_fields_as_written() {
    let f = file(
        "a.jsonl",
        "{\"policyNo\":\"P1\",\"amount\":\"1000.00\",\"status\":1,\"note\":\"x\"}\n\
         {\"policyNo\":\"P2\",\"secondRefundAmount\":5.10,\"orderNo\":\"O2\"}\n",
    );
    let mut source = open(&f, &InputOptions::default());
    source.keep_cells();
    let (rows, _) = collect(&source);
    let header = source.header().unwrap();
    assert_eq!(
        header.names,
        [
            "policyNo",
            "orderNo",
            "secondRefundAmount",
            "secondRefundDate",
            "secondRefundStatus"
        ]
    );
    assert_eq!(
        &*rows[0].raw.clone().unwrap(),
        ["P1", "", "1000.00", "", "1"]
    );
    // A JSON number is its value: 5.10 and 5.1 are one number.
    assert_eq!(&*rows[1].raw.clone().unwrap(), ["P2", "O2", "5.1", "", ""]);
}

#[test]
fn a_workbooks_rows_carry_their_cells_as_the_sheet_shows_them() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/excel/damaged.xlsx");
    let mut source = Source::open(path.to_str().unwrap(), &InputOptions::default()).unwrap();
    source.keep_cells();
    let (rows, _) = collect(&source);
    let header = source.header().unwrap();
    let name = header.names.iter().position(|n| n == "客户姓名").unwrap();
    assert_eq!(header.field(name), None);
    let raw: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.raw.clone().unwrap().to_vec())
        .collect();
    assert_eq!(header.names.len(), 6);
    // An all-digit id stored as a number is its integer, an amount has two decimals (10.2 and
    // a calculated 11.220000000000001 alike), a date cell is a time, another column as shown.
    assert_eq!(
        raw[0],
        [
            "612020000001",
            "QS2405100101",
            "10.20",
            "2024-05-10 09:30:00",
            "1",
            "张三"
        ]
    );
    assert_eq!(raw[1][2], "11.22");
    assert_eq!(raw[2][name], "吴十");
}
