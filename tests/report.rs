//! `batch --report FILE`: what a manager opens and a script reads. A CSV report byte for byte,
//! a workbook's cells by type, JSON Lines values as written, headers in the input's language
//! or `--report-headers`', rows in input order, and what a killed run leaves. Every case over
//! the built binary, against the tests' own server on loopback.

mod common;

use calamine::{open_workbook, Data, Reader, Xlsx};
use chrono::{DateTime, Datelike, FixedOffset, Utc};
use common::{json_lines, text, Env, Gate, Reply, Server};
use std::path::Path;

/// Chinese headers (退费金额 is one of the amount's other names), an all-digit policy number,
/// an amount written with its zeros, a column that is no field between two that are, and a
/// status left empty on the second row.
const CHINESE_INPUT: &str = "保单号,订单号,退费金额,退保日期,客户姓名,退保状态\n\
    612020240510,O1,1000.00,2024-05-10 09:30:00,张三,1\n\
    P2,O2,10.2,,\"李四, 王五\",\n";

/// `batch FILE` against `server`, one notice at a time, with `extra` after the file.
fn batch(env: &Env, server: &Server, file: &Path, extra: &[&str], code: i32) -> String {
    let out = env
        .cmd()
        .args(server.batch_args(&[file.to_str().unwrap(), "--concurrency", "1"]))
        .args(extra)
        .assert()
        .code(code)
        .get_output()
        .clone();
    text(&out.stderr)
}

/// A report's rows (BOM and header left out), each a list of cells.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_reader(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// A sentAt cell: RFC 3339 in China Standard Time, with milliseconds, between `from` and now.
fn check_sent_at(cell: &str, from: DateTime<Utc>) {
    let at = DateTime::parse_from_rfc3339(cell).unwrap_or_else(|e| panic!("{cell:?}: {e}"));
    assert_eq!(
        at.offset(),
        &FixedOffset::east_opt(8 * 3600).unwrap(),
        "{cell}"
    );
    assert_eq!(cell.len(), "2026-12-02T14:36:30.919+08:00".len(), "{cell}");
    let at = at.with_timezone(&Utc);
    assert!(from <= at && at <= Utc::now(), "{cell} not within the run");
}

/// A batch of [`CHINESE_INPUT`], the first row accepted and the second rejected with a
/// formula-looking description, writing the report `name`: the server, the report's path, and
/// when the run started.
fn report_of_chinese_input(env: &Env, name: &str) -> (Server, std::path::PathBuf, DateTime<Utc>) {
    let file = env.write("c.csv", CHINESE_INPUT);
    let server = Server::start(
        vec![Reply::accept(), Reply::Deal("0", "=拒绝")],
        Reply::accept(),
    )
    .expect_hits(2);
    let report = env.path(name);
    let started = Utc::now();
    batch(
        env,
        &server,
        &file,
        &["--report", report.to_str().unwrap()],
        1,
    );
    (server, report, started)
}

#[test]
fn a_csv_report_of_a_chinese_file_is_these_bytes() {
    let env = Env::new();
    let (server, report, started) = report_of_chinese_input(&env, "report.csv");
    let bytes = std::fs::read(&report).unwrap();
    // What cannot be known before: each request's uuid (as the server saw it), elapsed
    // milliseconds and when it was sent, taken from the report and checked for their shape.
    let rows = csv_rows(&bytes);
    let seen = server.seen();
    let uuid = |i: usize| seen[i].head("uuid").to_owned();
    let (ms, sent) = (
        |i: usize| rows[i][13].clone(),
        |i: usize| rows[i][19].clone(),
    );
    for row in &rows {
        assert!(row[13].parse::<u64>().is_ok(), "{row:?}");
        check_sent_at(&row[19], started);
    }
    let endpoint = &server.url;
    let expected = format!(
        "\u{feff}行号,保单号,订单号,退费金额,退保日期,退保状态,客户姓名,结果,处理代码,处理描述,\
         HTTP状态码,发送次数,请求UUID,耗时毫秒,错误,跳过原因,平台,接口地址,渠道代码,发送时间\n\
         2,\t612020240510,O1,1000.00,2024-05-10 09:30:00,1,张三,accepted,1,成功,200,1,{},{},,,,\
         {endpoint},HN_HT_QNW,{}\n\
         3,P2,O2,10.2,,,\"李四, 王五\",rejected,0,'=拒绝,200,1,{},{},,,,\
         {endpoint},HN_HT_QNW,{}\n",
        uuid(0),
        ms(0),
        sent(0),
        uuid(1),
        ms(1),
        sent(1),
    );
    assert_eq!(text(&bytes), expected);
}

#[test]
fn a_csv_report_keeps_what_the_input_wrote_and_says_where_it_went() {
    let env = Env::new();
    let file = env.write(
        "c.csv",
        "policyNo,amount,secondRefundStatus,note\nP1,1000.00,1,a\nP2,5,0,b\n",
    );
    let server = Server::always(Reply::accept());
    let report = env.path("report.csv");
    let mut args = vec!["--generate-order-no", "--report", report.to_str().unwrap()];
    args.extend(["--report-headers", "en"]);
    batch(&env, &server, &file, &args, 0);
    let bytes = std::fs::read(&report).unwrap();
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    // The input's own names for its fields, the wire names for the fields it lacks.
    assert_eq!(
        header[..7],
        [
            "line",
            "policyNo",
            "orderNo",
            "amount",
            "secondRefundDate",
            "secondRefundStatus",
            "note"
        ]
    );
    let rows = csv_rows(&bytes);
    assert_eq!(rows[0][3], "1000.00");
    assert_eq!(rows[1][3], "5");
    assert_eq!(rows[1][6], "b");
    // The generated orderNo it was sent under, as the server saw it.
    assert_eq!(rows[0][2], server.seen()[0].head("orderNo"));
}

#[test]
fn report_headers_chooses_the_language_whatever_the_input_speaks() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let english = env.write("en.csv", "policyNo,orderNo\nP1,O1\n");
    let chinese = env.write("zh.csv", "保单号,订单号\nP2,O2\n");
    for (file, lang, first, result) in [
        (
            &english,
            "zh",
            "行号,保单号,订单号,退保金额",
            "结果,处理代码,处理描述",
        ),
        (
            &chinese,
            "en",
            "line,policyNo,orderNo,secondRefundAmount",
            "outcome,dealCode,dealDesc",
        ),
        (
            &chinese,
            "zh",
            "行号,保单号,订单号,退保金额",
            "结果,处理代码,处理描述",
        ),
    ] {
        let report = env.path("r.csv");
        let args = [
            "--report",
            report.to_str().unwrap(),
            "--report-headers",
            lang,
        ];
        batch(&env, &server, file, &args, 0);
        let bytes = text(&std::fs::read(&report).unwrap());
        let header = bytes.lines().next().unwrap();
        assert!(
            header.starts_with(&format!("\u{feff}{first}")),
            "{lang}: {header}"
        );
        assert!(header.contains(result), "{lang}: {header}");
    }
    // Without a report there is nothing to choose for.
    let (_, stderr) = env.run(
        &[
            "--base-url",
            &server.url,
            "--policy-source",
            "X",
            "batch",
            english.to_str().unwrap(),
            "--report-headers",
            "zh",
        ],
        2,
    );
    assert!(stderr.contains("--report"), "{stderr}");
}

#[test]
fn a_json_lines_report_keeps_values_as_written_and_the_other_columns_by_name() {
    let env = Env::new();
    let (server, report, started) = report_of_chinese_input(&env, "report.jsonl");
    let rows = json_lines(&std::fs::read(&report).unwrap());
    assert_eq!(rows.len(), 2);
    let row = &rows[0];
    // English keys whatever the headers, exact values, numbers for counts.
    assert_eq!(row["line"], 2);
    assert_eq!(row["policyNo"], "612020240510");
    assert_eq!(row["secondRefundAmount"], "1000.00");
    assert_eq!(row["secondRefundDate"], "2024-05-10 09:30:00");
    assert_eq!(row["secondRefundStatus"], "1");
    assert_eq!(row["otherColumns"], serde_json::json!({"客户姓名": "张三"}));
    assert_eq!(row["attempts"], 1);
    assert_eq!(row["platform"], serde_json::Value::Null);
    assert_eq!(row["endpoint"], server.url.as_str());
    assert_eq!(row["channel"], "HN_HT_QNW");
    check_sent_at(row["sentAt"].as_str().unwrap(), started);
    assert_eq!(rows[1]["dealDesc"], "=拒绝");
    assert_eq!(rows[1]["secondRefundStatus"], serde_json::Value::Null);
    assert_eq!(rows[1]["otherColumns"]["客户姓名"], "李四, 王五");
}

/// The cell at (row, column) of a sheet.
fn cell(sheet: &calamine::Range<Data>, row: usize, column: usize) -> &Data {
    sheet
        .get((row, column))
        .unwrap_or_else(|| panic!("no cell at {row},{column}"))
}

fn date_cell(data: &Data) -> (u16, u8, u8, u8, u8, u8) {
    match data {
        Data::DateTime(d) if d.is_datetime() => {
            let (y, m, d, h, min, s, _) = d.to_ymd_hms_milli();
            (y, m, d, h, min, s)
        }
        other => panic!("not a date cell: {other:?}"),
    }
}

/// The XML of one sheet of a workbook, for what calamine does not model.
fn sheet_xml(path: &Path, sheet: usize) -> String {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut archive
            .by_name(&format!("xl/worksheets/sheet{sheet}.xml"))
            .unwrap(),
        &mut xml,
    )
    .unwrap();
    xml
}

#[test]
fn a_workbook_report_has_typed_cells_a_frozen_filtered_header_and_a_summary_sheet() {
    let env = Env::new();
    let (server, report, started) = report_of_chinese_input(&env, "report.xlsx");
    assert!(
        !env.path("report.xlsx.partial.csv").exists(),
        "the rows written as they came are gone once the workbook is whole"
    );
    let mut book: Xlsx<_> = open_workbook(&report).unwrap();
    assert_eq!(book.sheet_names(), ["结果", "汇总"]);
    let rows = book.worksheet_range("结果").unwrap();
    assert_eq!(rows.get_size(), (3, 20));
    let header: Vec<String> = (0..20).map(|c| cell(&rows, 0, c).to_string()).collect();
    assert_eq!(
        header[..10],
        [
            "行号",
            "保单号",
            "订单号",
            "退费金额",
            "退保日期",
            "退保状态",
            "客户姓名",
            "结果",
            "处理代码",
            "处理描述"
        ]
    );
    assert_eq!(header[19], "发送时间");
    assert_eq!(cell(&rows, 1, 0), &Data::Float(2.0));
    // The all-digit policy number is text, whole; the amount a number; the date a date cell.
    assert_eq!(cell(&rows, 1, 1), &Data::String("612020240510".into()));
    assert_eq!(cell(&rows, 1, 3), &Data::Float(1000.0));
    assert_eq!(cell(&rows, 2, 3), &Data::Float(10.2));
    assert_eq!(date_cell(cell(&rows, 1, 4)), (2024, 5, 10, 9, 30, 0));
    assert_eq!(cell(&rows, 2, 4), &Data::Empty);
    assert_eq!(cell(&rows, 1, 5), &Data::Float(1.0));
    assert_eq!(cell(&rows, 2, 6), &Data::String("李四, 王五".into()));
    assert_eq!(cell(&rows, 1, 7), &Data::String("accepted".into()));
    // A code is text, as the platform sent it; a description is text, never a formula.
    assert_eq!(cell(&rows, 2, 8), &Data::String("0".into()));
    assert_eq!(cell(&rows, 2, 9), &Data::String("=拒绝".into()));
    assert_eq!(cell(&rows, 1, 10), &Data::Float(200.0));
    assert_eq!(cell(&rows, 1, 11), &Data::Float(1.0));
    assert_eq!(cell(&rows, 1, 17), &Data::String(server.url.clone()));
    assert_eq!(cell(&rows, 1, 18), &Data::String("HN_HT_QNW".into()));
    let (y, ..) = date_cell(cell(&rows, 1, 19));
    assert_eq!(i32::from(y), started.with_timezone(&chrono_cst()).year());
    // Amounts show two decimals, dates their date and time.
    let styles = book.worksheet_style("结果").unwrap();
    let format = |row, column| {
        styles
            .get((row, column))
            .and_then(|s| s.number_format.as_ref())
            .map(|f| f.format_code.clone())
    };
    assert_eq!(format(2, 3).as_deref(), Some("0.00"));
    assert_eq!(format(1, 4).as_deref(), Some("yyyy-mm-dd hh:mm:ss"));
    let xml = sheet_xml(&report, 1);
    assert!(
        xml.contains(r#"state="frozen""#) && xml.contains(r#"ySplit="1""#),
        "{xml}"
    );
    assert!(xml.contains(r#"<autoFilter ref="A1:T3"/>"#), "{xml}");
    assert!(xml.contains("<cols>"), "{xml}");

    let summary = book.worksheet_range("汇总").unwrap();
    let line = |key: &str| {
        (0..summary.height())
            .find(|&r| cell(&summary, r, 0) == &Data::String(key.into()))
            .map(|r| cell(&summary, r, 1).clone())
            .unwrap_or_else(|| panic!("no {key} line"))
    };
    assert_eq!(line("accepted"), Data::Float(1.0));
    assert_eq!(line("rejected"), Data::Float(1.0));
    assert_eq!(line("failed"), Data::Float(0.0));
    assert_eq!(line("合计"), Data::Float(2.0));
    assert_eq!(line("接口地址"), Data::String(server.url.clone()));
    assert_eq!(line("渠道代码"), Data::String("HN_HT_QNW".into()));
    assert_eq!(line("平台"), Data::Empty);
    date_cell(&line("开始时间"));
    date_cell(&line("结束时间"));
}

fn chrono_cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

#[test]
fn a_workbook_report_of_a_workbook_names_its_platform_in_english_when_asked() {
    let env = Env::new();
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/excel/clean-zh.xlsx");
    let report = env.path("r.xlsx");
    let out = env
        .cmd()
        .args(["--env", "sandbox", "batch"])
        .arg(&input)
        .args(["--report-headers", "en", "--report"])
        .arg(&report)
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(text(&out.stdout).contains("accepted"));
    let mut book: Xlsx<_> = open_workbook(&report).unwrap();
    assert_eq!(book.sheet_names(), ["Results", "Summary"]);
    let rows = book.worksheet_range("Results").unwrap();
    assert_eq!(
        cell(&rows, 0, 3),
        &Data::String("secondRefundAmount".into())
    );
    // The amounts of the workbook (1000 stored as a number shown 0.00) as numbers.
    let amounts: Vec<&Data> = (1..6).map(|r| cell(&rows, r, 3)).collect();
    assert_eq!(
        amounts,
        [10.2, 1000.0, 0.5, 99.99, 1234.56]
            .map(Data::Float)
            .iter()
            .collect::<Vec<_>>()
    );
    let column = |name: &str| {
        (0..rows.width())
            .find(|&c| cell(&rows, 0, c) == &Data::String(name.into()))
            .unwrap()
    };
    assert_eq!(
        cell(&rows, 1, column("platform")),
        &Data::String("sandbox".into())
    );
    let summary = book.worksheet_range("Summary").unwrap();
    assert_eq!(cell(&summary, 7, 0), &Data::String("total".into()));
    assert_eq!(cell(&summary, 7, 1), &Data::Float(5.0));
    assert_eq!(cell(&summary, 8, 1), &Data::String("sandbox".into()));
}

#[test]
fn rows_that_end_out_of_order_stand_in_input_order_in_every_format() {
    for name in ["r.jsonl", "r.xlsx", "r.csv"] {
        let env = Env::new();
        // P2 and P3 were accepted earlier: their results come at once, from the journal,
        // while P1's request is held until they are on the screen.
        let gate = Gate::new();
        let script = vec![Reply::accept(), Reply::accept(), gate.hold(Reply::accept())];
        let server = Server::start(script, Reply::accept()).expect_hits(3);
        let earlier = env.write("earlier.csv", "policyNo,orderNo\nP2,O2\nP3,O3\n");
        batch(&env, &server, &earlier, &[], 0);
        let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\nP2,O2\nP3,O3\n");
        let report = env.path(name);
        let mut args = server.batch_args(&[file.to_str().unwrap()]);
        args.extend(["--report", report.to_str().unwrap()]);
        let mut run = env.spawn(&args);
        run.wait_for_stdout("P3");
        gate.open();
        let out = run.finish();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let arrived: Vec<String> = text(&out.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
            .collect();
        assert_eq!(arrived, ["P2", "P3", "P1"]);
        let policies: Vec<String> = match name {
            "r.jsonl" => json_lines(&std::fs::read(&report).unwrap())
                .iter()
                .map(|r| r["policyNo"].as_str().unwrap().to_owned())
                .collect(),
            "r.csv" => csv_rows(&std::fs::read(&report).unwrap())
                .into_iter()
                .map(|r| r[1].clone())
                .collect(),
            _ => {
                let mut book: Xlsx<_> = open_workbook(&report).unwrap();
                let rows = book.worksheet_range("Results").unwrap();
                (1..rows.height())
                    .map(|r| cell(&rows, r, 1).to_string())
                    .collect()
            }
        };
        assert_eq!(policies, ["P1", "P2", "P3"], "{name}");
    }
}

#[test]
fn the_report_of_a_killed_run_holds_every_result_written_before_the_kill() {
    for (name, written) in [
        ("r.csv", "r.csv"),
        ("r.jsonl", "r.jsonl"),
        ("r.xlsx", "r.xlsx.partial.csv"),
    ] {
        let env = Env::new();
        let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\nP2,O2\nP3,O3\nP4,O4\n");
        let gate = Gate::new();
        let server = Server::start(
            vec![Reply::accept(), Reply::Deal("0", "no"), Reply::accept()],
            gate.hold(Reply::accept()),
        );
        let report = env.path(name);
        let mut args = server.batch_args(&[file.to_str().unwrap(), "--concurrency", "1"]);
        args.extend(["--report", report.to_str().unwrap()]);
        let mut run = env.spawn(&args);
        // Three results on the screen, the fourth request held: then kill -9.
        run.wait_for_stdout("P3");
        server.wait_for_hits(4);
        let shown = run.stdout_text();
        run.kill();
        gate.open();
        let bytes = std::fs::read(env.path(written)).unwrap();
        let policies: Vec<String> = if name.ends_with(".jsonl") {
            json_lines(&bytes)
                .iter()
                .map(|r| r["policyNo"].as_str().unwrap().to_owned())
                .collect()
        } else {
            csv_rows(&bytes).into_iter().map(|r| r[1].clone()).collect()
        };
        assert_eq!(policies, ["P1", "P2", "P3"], "{name}: {shown}");
        if name == "r.xlsx" {
            assert!(!report.exists(), "no half-written workbook");
        }
    }
}

#[test]
fn a_report_read_back_by_batch_is_held_to_its_platform() {
    let env = Env::new();
    let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\n");
    let server = Server::always(Reply::accept()).expect_hits(1);
    let report = env.path("r.csv");
    batch(
        &env,
        &server,
        &file,
        &["--report", report.to_str().unwrap()],
        0,
    );
    // The report's endpoint and channel columns are those of an export: sent elsewhere, it is
    // refused whole.
    let (_, stderr) = env.run(
        &[
            "--env",
            "sandbox",
            "--policy-source",
            "HN_HT_QNW",
            "batch",
            report.to_str().unwrap(),
        ],
        2,
    );
    assert!(stderr.contains(&server.url), "{stderr}");
    assert!(
        stderr.contains("nothing was sent") || stderr.contains("another platform"),
        "{stderr}"
    );
}

#[test]
fn a_report_in_a_workbook_format_it_cannot_write_is_refused_before_anything_is_sent() {
    let env = Env::new();
    let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\n");
    let server = Server::always(Reply::accept()).expect_hits(0);
    for name in ["r.xls", "r.ods"] {
        let report = env.path(name);
        let stderr = batch(
            &env,
            &server,
            &file,
            &["--report", report.to_str().unwrap()],
            2,
        );
        assert!(stderr.contains(".xlsx"), "{stderr}");
        assert!(!report.exists());
    }
    // Nor does a workbook report land on the journal by its file of rows.
    let journal = env.journal();
    let link = env.path("r.xlsx.partial.csv");
    std::os::unix::fs::symlink(&journal, &link).unwrap();
    let report = env.path("r.xlsx");
    let stderr = batch(
        &env,
        &server,
        &file,
        &["--report", report.to_str().unwrap()],
        2,
    );
    assert!(stderr.contains("journal"), "{stderr}");
}

#[test]
fn a_workbook_report_of_more_rows_than_a_sheet_holds_is_refused_before_anything_is_sent() {
    let env = Env::new();
    // One row more than a worksheet holds under its header.
    let mut rows = String::from("policyNo,orderNo\n");
    for i in 1..=1_048_576 {
        rows.push_str(&format!("P{i},O{i}\n"));
    }
    let file = env.write("big.csv", rows);
    let server = Server::always(Reply::accept()).expect_hits(0);
    let report = env.path("r.xlsx");
    let stderr = batch(
        &env,
        &server,
        &file,
        &["--report", report.to_str().unwrap()],
        2,
    );
    assert!(stderr.contains("at most 1048575 rows"), "{stderr}");
    assert!(stderr.contains(".csv"), "{stderr}");
    assert!(!report.exists() && !env.path("r.xlsx.partial.csv").exists());
}
