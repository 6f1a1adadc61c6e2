//! Input files as people and spreadsheets make them, over the built binary: CSV and JSON
//! Lines from a file or standard input, GBK and UTF-8 with or without a BOM, UTF-16, a workbook
//! or a binary file given by mistake, Chinese headers, `--column` and `--delimiter`, values
//! typed or formatted the way a spreadsheet does; and every problem said once, on one short
//! line, naming where it is. Nothing wrong is ever sent.

mod common;

use common::{policies_csv, text, Env, Reply, Server};
use predicates::prelude::*;

// Files, standard input, nothing in them

#[test]
fn standard_input_and_json_lines_are_read() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(3);
    env.cmd()
        .args(server.batch_args(&["-"]))
        .write_stdin("policyNo,orderNo\nP1,O1\nP2,O2\n")
        .assert()
        .code(0);
    let jsonl = env.write(
        "c.jsonl",
        "{\"policyNo\":\"P3\",\"orderNo\":\"O3\",\"secondRefundAmount\":10.2}\n",
    );
    env.cmd()
        .args(server.batch_args(&[jsonl.to_str().unwrap()]))
        .assert()
        .code(0);
    assert_eq!(
        server.seen()[2].body["secondRefundReq"]["secondRefundAmount"],
        10.2
    );
    env.cmd()
        .args(server.batch_args(&["-"]))
        .write_stdin("policyNo\n\n")
        .assert()
        .code(0)
        .stderr(predicate::str::contains("0 notices"));
}

#[test]
fn a_missing_input_file_is_named() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    env.cmd()
        .args(server.batch_args(&["/nonexistent/cancellations.csv"]))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/cancellations.csv"));
}

#[test]
fn a_file_without_notices_is_said_but_not_an_error() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    for (name, contents) in [
        ("header.csv", "policyNo,amount\r\n"),
        ("zero.csv", ""),
        ("zero.jsonl", ""),
        ("blank.jsonl", "\n\n"),
    ] {
        let file = env.write(name, contents);
        let path = file.to_str().unwrap();
        let (_, stderr) = env.run(&server.batch_args(&[path, "--generate-order-no"]), 0);
        let warning = format!("warning: {path}: no notices in it");
        assert!(stderr.contains(&warning), "{name}: {stderr}");
        let (_, stderr) = env.run(&["validate", path], 0);
        assert!(stderr.contains(&warning), "{name}: {stderr}");
    }
}

fn send_args(server: &Server) -> Vec<&str> {
    vec![
        "--base-url",
        &server.url,
        "--policy-source",
        "HN_HT_QNW",
        "send",
        "--generate-order-no",
    ]
}

#[test]
fn an_empty_policy_number_is_an_error_for_send_and_validate() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    for blank in ["", " ", "\t"] {
        let mut args = send_args(&server);
        args.extend(["--policy", blank]);
        let (_, stderr) = env.run(&args, 2);
        assert!(
            stderr.contains("--policy: policy number is empty"),
            "{blank:?}: {stderr}"
        );
        let (stdout, _) = env.run(&["validate", "--policy", blank], 2);
        assert!(
            stdout.contains("--policy: policy number is empty"),
            "{blank:?}: {stdout}"
        );
    }
    assert!(!env.journal().exists());
}

#[test]
fn a_duplicate_json_key_is_an_error_naming_line_and_key() {
    let env = Env::new();
    let file = env.write(
        "dup.jsonl",
        "{\"policyNo\":\"P0\"}\n\
         {\"policyNo\":\"P1\",\"orderNo\":\"O1\",\"orderNo\":\"O9\"}\n\
         {\"policyNo\":\"P2\",\"policy_no\":\"P3\"}\n\
         {\"policyNo\":\"P4\",\"amount\":1,\"AMOUNT\":1}\n",
    );
    let path = file.to_str().unwrap();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let (_, stderr) = env.run(&server.batch_args(&[path, "--generate-order-no"]), 2);
    assert!(
        stderr.contains("dup.jsonl:2: orderNo: the key orderNo appears twice; keep one"),
        "{stderr}"
    );
    assert!(
        stderr.contains("dup.jsonl:3: policy_no: the key policy_no is the same field as policyNo"),
        "{stderr}"
    );
    assert!(
        stderr.contains("dup.jsonl:4: AMOUNT: the key AMOUNT is the same field as amount"),
        "{stderr}"
    );
    assert!(stderr.contains("3 problem(s)"), "{stderr}");
    let (stdout, _) = env.run(&["validate", path], 2);
    assert!(
        stdout.contains("dup.jsonl:2: orderNo: the key orderNo appears twice"),
        "{stdout}"
    );
}

// Encodings, and files that are not text

#[test]
fn gbk_csv_with_bom_and_chinese_headers_sends_the_right_policy_numbers() {
    let env = Env::new();
    let csv = "保单号,订单号,退费金额,退费日期\nP2024000001,QS001,10.2,2021-05-10 12:00:00\nP2024000002,QS002,0.5,2021-05-11 08:30:00\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(csv);
    let file = env.write("导出.csv", &gbk);
    let server = Server::always(Reply::accept()).expect_hits(2);
    env.cmd()
        .args(server.batch_args(&[file.to_str().unwrap()]))
        .assert()
        .code(0)
        .stderr(predicate::str::contains("GB18030"));
    let seen = server.seen();
    let mut policies: Vec<&str> = seen.iter().map(|s| s.policy_no()).collect();
    policies.sort_unstable();
    assert_eq!(policies, ["P2024000001", "P2024000002"]);
    assert!(seen
        .iter()
        .any(|s| s.body["secondRefundReq"]["secondRefundAmount"] == 10.2));

    // The same content as UTF-8 with Excel's BOM.
    let env = Env::new();
    let file = env.write("bom.csv", format!("\u{feff}{csv}"));
    let server = Server::always(Reply::accept()).expect_hits(2);
    env.cmd()
        .args(server.batch_args(&[file.to_str().unwrap()]))
        .assert()
        .code(0)
        .stderr(predicate::str::contains("GB18030").not());
    let seen = server.seen();
    let mut sent: Vec<(&str, &str)> = seen
        .iter()
        .map(|s| (s.policy_no(), s.head("orderNo")))
        .collect();
    sent.sort_unstable();
    // The BOM is not part of the first column's name, so 保单号 is found and read.
    assert_eq!(sent, [("P2024000001", "QS001"), ("P2024000002", "QS002")]);
}

#[test]
fn a_stray_byte_in_a_utf8_file_is_located_not_read_as_gbk() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let mut bytes = "保单号,退费金额\nP1,1\n".as_bytes().to_vec();
    bytes.extend_from_slice(b"P2,2\xff\n");
    let chinese = env.write("chinese.csv", &bytes);
    // No Chinese at all, one Latin-1 byte (é) among thousands.
    let mut bytes = policies_csv(500).into_bytes();
    bytes.extend_from_slice(b"PX\xe9,1\n");
    let ascii = env.write("ascii.csv", &bytes);
    for (file, line, column) in [(&chinese, 3, 5), (&ascii, 502, 3)] {
        let path = file.to_str().unwrap();
        let expected = format!(
            "{path} is not valid UTF-8 at line {line} (byte {column} of the line); save the file as UTF-8 again, or pass --encoding gb18030"
        );
        let (_, stderr) = env.run(&server.batch_args(&[path, "--generate-order-no"]), 2);
        assert!(stderr.contains(&expected), "{stderr}");
        assert!(!stderr.contains("GB18030"), "{stderr}");
        let (_, stderr) = env.run(&["validate", path], 2);
        assert!(stderr.contains(&expected), "{stderr}");
    }
}

#[test]
fn a_real_gbk_file_is_still_read_as_gb18030() {
    let env = Env::new();
    // Chinese Excel's "CSV": a Chinese header and note column, the rest ASCII.
    let mut text = String::from("保单号,退费金额,备注\n");
    for i in 1..=2000 {
        text.push_str(&format!("P{i:05},{},\n", i % 100));
    }
    text.push_str("P99999,1,客户退保\n");
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    let file = env.write("gbk.csv", &gbk);
    let (stdout, stderr) = env.run(
        &["validate", file.to_str().unwrap(), "--generate-order-no"],
        0,
    );
    // The Chinese header reads as Chinese: the note column is named as written.
    assert!(
        stdout.contains(":1: 备注: warning: unknown column"),
        "{stdout}"
    );
    assert!(
        stderr.contains("is not valid UTF-8; reading it as GB18030"),
        "{stderr}"
    );
    assert!(
        stderr.contains("2001 valid notice(s), 0 error(s)"),
        "{stderr}"
    );
    // A short one, all Chinese, sent.
    let (gbk, _, _) = encoding_rs::GBK.encode("保单号,退费金额\nP1,1\nP2,2\n");
    let file = env.write("short.csv", &gbk);
    let server = Server::always(Reply::accept()).expect_hits(2);
    let (_, stderr) = env.run(
        &server.batch_args(&[file.to_str().unwrap(), "--generate-order-no"]),
        0,
    );
    assert!(
        stderr.contains("is not valid UTF-8; reading it as GB18030"),
        "{stderr}"
    );
    let amounts: Vec<_> = server
        .seen()
        .iter()
        .map(|s| s.body["secondRefundReq"]["secondRefundAmount"].clone())
        .collect();
    assert_eq!(amounts.len(), 2);
    assert!(
        amounts.iter().any(|a| a.as_f64() == Some(2.0)),
        "{amounts:?}"
    );
}

/// Like `run`, with `input` on standard input.
fn run_stdin(env: &Env, args: &[&str], input: Vec<u8>, code: i32) -> (String, String) {
    let out = env
        .cmd()
        .args(args)
        .write_stdin(input)
        .assert()
        .code(code)
        .get_output()
        .clone();
    (text(&out.stdout), text(&out.stderr))
}

/// The start of an .xlsx: a ZIP local header, then compressed bytes with an ESC among them.
fn xlsx_bytes() -> Vec<u8> {
    let mut bytes = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00".to_vec();
    bytes.extend_from_slice(b"[Content_Types].xml\x1b[2J\xec\x9d\x5b\x6f");
    bytes.extend((0..2000u32).map(|i| (i * 7 % 251) as u8));
    bytes
}

fn no_terminal_junk(output: &str) {
    assert!(
        !output.contains('\u{1b}') && !output.contains('\0'),
        "binary reached the terminal: {output:?}"
    );
}

#[test]
fn a_damaged_xlsx_is_refused_in_one_line_as_a_workbook_that_cannot_be_read() {
    let env = Env::new();
    let file = env.write("cancellations.xlsx", xlsx_bytes());
    let file = file.to_str().unwrap();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let (stdout, stderr) = env.run(&server.batch_args(&[file]), 2);
    no_terminal_junk(&(stdout.clone() + &stderr));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{file} looks like a workbook (.xlsx, .xls or .ods) but cannot be read as one: "
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("open it in Excel or LibreOffice and save it again as .xlsx"),
        "{stderr}"
    );
    // validate, and standard input (named so), and a workbook renamed .csv alike.
    let (stdout, stderr) = env.run(&["validate", file], 2);
    no_terminal_junk(&(stdout + &stderr));
    assert!(stderr.contains("cannot be read as one"), "{stderr}");
    let (_, stderr) = run_stdin(&env, &["validate", "-"], xlsx_bytes(), 2);
    assert!(stderr.contains("<stdin> looks like a workbook"), "{stderr}");
    let renamed = env.write("export.csv", xlsx_bytes());
    let (_, stderr) = env.run(&server.batch_args(&[renamed.to_str().unwrap()]), 2);
    assert!(
        stderr.contains("export.csv looks like a workbook"),
        "{stderr}"
    );
    // Options only text files have are refused, not ignored.
    let (_, stderr) = env.run(
        &server.batch_args(&[renamed.to_str().unwrap(), "--format", "jsonl"]),
        2,
    );
    assert!(
        stderr.contains("export.csv is a workbook: --format is for CSV and JSON Lines files"),
        "{stderr}"
    );
}

#[test]
fn a_damaged_legacy_xls_is_a_workbook_too() {
    let env = Env::new();
    let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.extend(std::iter::repeat_n(0u8, 504));
    let file = env.write("old.xls", bytes);
    let (stdout, stderr) = env.run(&["validate", file.to_str().unwrap()], 2);
    no_terminal_junk(&(stdout + &stderr));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("old.xls looks like a workbook (.xlsx, .xls or .ods) but cannot be read"),
        "{stderr}"
    );
}

#[test]
fn utf16_without_a_bom_and_other_binary_files_are_refused_in_one_line() {
    let env = Env::new();
    let utf16: Vec<u8> = "policyNo\tamount\r\nP1\t1\r\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let file = env.write("unicode.txt", utf16);
    let (stdout, stderr) = env.run(&["validate", file.to_str().unwrap()], 2);
    no_terminal_junk(&(stdout + &stderr));
    assert!(stderr.contains("unicode.txt is UTF-16 text without a byte-order mark, not UTF-8: in Excel, File → Save As → CSV UTF-8"), "{stderr}");

    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0..500u32).map(|i| (i * 13 % 256) as u8));
    let server = Server::always(Reply::accept()).expect_hits(0);
    let (_, stderr) = run_stdin(
        &env,
        &server.batch_args(&["-", "--generate-order-no"]),
        png,
        2,
    );
    no_terminal_junk(&stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("<stdin> is not a text file"), "{stderr}");

    // Escape sequences without NULs are caught too.
    let file = env.write("term.csv", "\u{1b}[2J\u{1b}[H\u{1b}]0;x\u{7}".repeat(20));
    let (stdout, stderr) = env.run(&["validate", file.to_str().unwrap()], 2);
    no_terminal_junk(&(stdout + &stderr));
    assert!(stderr.contains("term.csv is not a text file"), "{stderr}");
}

#[test]
fn utf16_with_a_bom_is_still_read() {
    let env = Env::new();
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(
        "policyNo,amount\nP1,1\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    let file = env.write("bom.csv", bytes);
    let (_, stderr) = env.run(
        &["validate", file.to_str().unwrap(), "--generate-order-no"],
        0,
    );
    assert!(stderr.contains("1 valid notice(s), 0 error(s)"), "{stderr}");
}

// Headers, columns and values as spreadsheets shape them

#[test]
fn chinese_export_headers_are_recognised_and_sent() {
    let env = Env::new();
    let file = env.write(
        "导出.csv",
        "保单号码,订单号码,退保金额,退保日期,退保状态,分期\n\
         P1,O1,10.2,2024-05-10 12:00:00,1,1:10.2:2024-05-10 11:59:59\n",
    );
    let server = Server::always(Reply::accept()).expect_hits(1);
    let (stdout, stderr) = env.run(&server.batch_args(&[file.to_str().unwrap()]), 0);
    assert!(stdout.contains("accepted"), "{stdout}{stderr}");
    assert!(!stderr.contains("unknown column"), "{stderr}");
    let body = &server.seen()[0].body;
    assert_eq!(body["head"]["orderNo"], "O1");
    let req = &body["secondRefundReq"];
    assert_eq!(req["policyNo"], "P1");
    assert_eq!(req["secondRefundAmount"], 10.2);
    assert_eq!(req["secondRefundDate"], "2024-05-10 12:00:00");
    assert_eq!(req["secondRefundStatus"], 1);
    assert_eq!(req["installmentList"][0]["payNo"], 1);
}

#[test]
fn column_maps_any_header_and_delimiter_reads_semicolons_and_tabs() {
    let env = Env::new();
    let semicolons = env.write("semi.csv", "单号;批单号;金额\nP1;O1;3.5\nP2;O2;4\n");
    let semicolons = semicolons.to_str().unwrap();
    // Without the flags: the header problem says which flag to pass.
    let (stdout, _) = env.run(&["validate", semicolons], 2);
    assert!(
        stdout.contains("name yours with --column policyNo=HEADER"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the header seems to be separated by ';': pass --delimiter ';'"),
        "{stdout}"
    );

    let server = Server::always(Reply::accept()).expect_hits(2);
    let mapped = [
        semicolons,
        "--delimiter",
        ";",
        "--column",
        "policyNo=单号",
        "--column",
        "orderNo=批单号",
        "--column",
        "secondRefundAmount=金额",
    ];
    env.run(&[&["validate"][..], &mapped].concat(), 0);
    let (stdout, stderr) = env.run(&server.batch_args(&mapped), 0);
    assert_eq!(stdout.matches("accepted").count(), 2, "{stdout}{stderr}");
    let seen = server.seen();
    let p1 = seen.iter().find(|s| s.policy_no() == "P1").unwrap();
    assert_eq!(p1.head("orderNo"), "O1");
    assert_eq!(p1.body["secondRefundReq"]["secondRefundAmount"], 3.5);

    let tabs = env.write("tabs.txt", "policyNo\tamount\nP1\t1\n");
    for delimiter in ["tab", "\\t", "\t"] {
        let args = [
            "validate",
            tabs.to_str().unwrap(),
            "--generate-order-no",
            "--delimiter",
            delimiter,
        ];
        let (_, stderr) = env.run(&args, 0);
        assert!(
            stderr.contains("1 valid notice(s), 0 error(s)"),
            "{delimiter:?}: {stderr}"
        );
    }
}

#[test]
fn a_wrong_column_or_delimiter_flag_is_a_usage_error_naming_it() {
    let env = Env::new();
    let file = env.write("a.csv", "policyNo,批单号\nP1,O1\n");
    let file = file.to_str().unwrap();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let (_, stderr) = env.run(
        &server.batch_args(&[file, "--column", "orderNumber=批单号"]),
        2,
    );
    assert!(stderr.contains("unknown field 'orderNumber'"), "{stderr}");
    let (_, stderr) = env.run(&["validate", file, "--column", "orderNo="], 2);
    assert!(stderr.contains("no header after 'orderNo='"), "{stderr}");
    let (_, stderr) = env.run(&["validate", file, "--column", "orderNo"], 2);
    assert!(stderr.contains("is not FIELD=HEADER"), "{stderr}");
    let (_, stderr) = env.run(&["validate", file, "--delimiter", "ab"], 2);
    assert!(stderr.contains("'ab' is not a delimiter"), "{stderr}");
    // A mapped header missing from the file is named on the header line.
    let (stdout, _) = env.run(&["validate", file, "--column", "orderNo=批号"], 2);
    assert!(
        stdout.contains(
            "a.csv:1: orderNo: no column named '批号' in the header (from --column orderNo=批号)"
        ),
        "{stdout}"
    );
}

#[test]
fn spreadsheet_shaped_values_say_what_was_meant() {
    let env = Env::new();
    let file = env.write(
        "excel.csv",
        "policyNo,orderNo,amount,refund_date,status\n\
         2.02405E+11,O1,\"1,000.00\",2024/05/10,1\n\
         P2,O2,￥10.20,2024/05/10 12:00:00,1\n\
         P3,O3,１０.２０,2024-05-10,1\n\
         P4,O4,10.2元,2024-05-10 12:00:00,１\n",
    );
    let file = file.to_str().unwrap();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let (_, stderr) = env.run(&server.batch_args(&[file]), 2);
    for expected in [
        "excel.csv:2: policyNo: policy number '2.02405E+11': Excel turned this policy number into a number; format the column as Text in Excel and export again",
        "excel.csv:2: amount: '1,000.00' is not a non-negative amount with at most two decimal places: thousands separators; did you mean 1000.00?",
        "excel.csv:2: refund_date: '2024/05/10' is not a date in yyyy-MM-dd HH:mm:ss: a date without a time; did you mean `2024-05-10 00:00:00`?",
        "excel.csv:3: amount: '￥10.20' is not a non-negative amount with at most two decimal places: a currency sign; did you mean 10.20?",
        "excel.csv:3: refund_date: '2024/05/10 12:00:00' is not a date in yyyy-MM-dd HH:mm:ss: did you mean `2024-05-10 12:00:00`?",
        "excel.csv:4: amount: '１０.２０' is not a non-negative amount with at most two decimal places: full-width digits; did you mean 10.20?",
        "excel.csv:4: refund_date: '2024-05-10' is not a date in yyyy-MM-dd HH:mm:ss: a date without a time; did you mean `2024-05-10 00:00:00`?",
        "excel.csv:5: amount: '10.2元' is not a non-negative amount with at most two decimal places: a currency sign; did you mean 10.2?",
        "excel.csv:5: status: status '１' is not an integer: full-width digits; did you mean 1?",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in\n{stderr}");
    }
    // The same words from validate and from send's flags.
    let (stdout, _) = env.run(&["validate", file], 2);
    assert!(stdout.contains("did you mean 1000.00?"), "{stdout}");
    let mut send = vec!["--base-url", &server.url, "--policy-source", "HN", "send"];
    send.extend([
        "--policy",
        "P1",
        "--order-no",
        "O1",
        "--amount",
        "１０.２０",
    ]);
    let (_, stderr) = env.run(&send, 2);
    assert!(stderr.contains("--amount: '１０.２０' is not a non-negative amount with at most two decimal places: full-width digits; did you mean 10.20?"), "{stderr}");
}

// Problems said once, short, and where they are

/// The stderr lines that mention `needle`.
fn lines_with<'a>(stderr: &'a str, needle: &str) -> Vec<&'a str> {
    stderr.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn a_megabyte_cell_is_quoted_short_on_its_line() {
    let env = Env::new();
    let mut csv = String::from("policyNo,amount\n");
    csv.push_str(&format!("P1,{}\n", "9x".repeat(512 * 1024)));
    csv.push_str(&format!("{},1\n", "P".repeat(1 << 20)));
    csv.push_str("P3,1\n");
    let file = env.write("big.csv", csv);
    let server = Server::always(Reply::accept()).expect_hits(0);
    let (_, stderr) = env.run(
        &server.batch_args(&[file.to_str().unwrap(), "--generate-order-no"]),
        2,
    );
    assert!(stderr.len() < 4096, "{} bytes of stderr", stderr.len());
    let amount = lines_with(&stderr, "big.csv:2: amount: '9x9x");
    assert_eq!(amount.len(), 1, "{stderr}");
    assert!(
        amount[0].contains("…' is not a non-negative amount"),
        "{stderr}"
    );
    let policy = lines_with(&stderr, "big.csv:3: policyNo: policy number 'PPP");
    assert_eq!(policy.len(), 1, "{stderr}");
    assert!(
        policy[0].contains("…' is longer than 64 characters"),
        "{stderr}"
    );
}

#[test]
fn a_quoted_cell_of_ten_thousand_lines_is_one_line_of_message() {
    let env = Env::new();
    let mut csv = String::from("policyNo,amount,refund_date\n");
    csv.push_str(&format!("P1,\"{}\",\n", "1\n".repeat(10_000)));
    csv.push_str(&format!("P2,1,\"{}\"\n", "\r\n\u{1b}[2J".repeat(10_000)));
    csv.push_str("P3,x,\n");
    let file = env.write("tall.csv", csv);
    let server = Server::always(Reply::accept()).expect_hits(0);
    let (_, stderr) = env.run(
        &server.batch_args(&[file.to_str().unwrap(), "--generate-order-no"]),
        2,
    );
    assert!(stderr.len() < 4096, "{} bytes of stderr", stderr.len());
    assert!(stderr.lines().count() <= 5, "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "a control character reached the terminal"
    );
    let amount = lines_with(&stderr, "tall.csv:2: amount: '1\\n1\\n");
    assert_eq!(amount.len(), 1, "{stderr}");
    // Cells are trimmed, so the quote starts at the first escape sequence.
    let date = lines_with(&stderr, "tall.csv:10003: refund_date: '\\u{1b}[2J\\r\\n");
    assert_eq!(date.len(), 1, "{stderr}");
    // The line count after both tall cells is still right.
    assert_eq!(
        lines_with(&stderr, "tall.csv:20004: amount: 'x'").len(),
        1,
        "{stderr}"
    );
}

#[test]
fn a_megabyte_json_key_or_value_is_quoted_short() {
    let env = Env::new();
    let jsonl = format!(
        "{{\"policyNo\":\"P1\",\"{}\":1}}\n{{\"policyNo\":\"P2\",\"status\":\"{}\"}}\n",
        "k\\n".repeat(300_000),
        "s".repeat(1 << 20)
    );
    let file = env.write("big.jsonl", jsonl);
    let server = Server::always(Reply::accept()).expect_hits(0);
    let (_, stderr) = env.run(
        &server.batch_args(&[file.to_str().unwrap(), "--generate-order-no"]),
        2,
    );
    assert!(stderr.len() < 4096, "{} bytes of stderr", stderr.len());
    assert_eq!(
        lines_with(&stderr, "big.jsonl:1: k\\nk\\n").len(),
        1,
        "{stderr}"
    );
    assert_eq!(
        lines_with(&stderr, "big.jsonl:2: status: status 'sss").len(),
        1,
        "{stderr}"
    );
}

#[test]
fn a_batch_warning_says_warning_once() {
    let env = Env::new();
    let file = env.write("w.csv", "policyNo,extra\nP1,x\n");
    let path = file.to_str().unwrap();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let (_, stderr) = env.run(&server.batch_args(&[path, "--generate-order-no"]), 0);
    let lines = lines_with(&stderr, "unknown column");
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with(&format!(
            "warning: {path}:1: extra: unknown column, ignored"
        )),
        "{stderr}"
    );
    assert_eq!(lines[0].matches("warning").count(), 1, "{stderr}");
    // validate, which has no label, still says it.
    let (stdout, _) = env.run(&["validate", path, "--generate-order-no"], 0);
    assert!(
        stdout.contains(&format!("{path}:1: extra: warning: unknown column")),
        "{stdout}"
    );
}

#[test]
fn no_order_no_column_is_said_once_with_the_count() {
    let env = Env::new();
    let mut csv = String::from("policyNo,amount\n");
    for i in 1..=400 {
        csv.push_str(&format!("P{i:04},1\n"));
    }
    let file = env.write("day.csv", csv);
    let file = file.to_str().unwrap();
    let (stdout, _) = env.run(&["validate", file], 2);
    assert_eq!(
        stdout.trim_end(),
        "day.csv:1: orderNo: no order number on any of the 400 rows: the header has no orderNo column; add one (or name yours with --column orderNo=HEADER), or pass --generate-order-no"
            .replace("day.csv", file)
    );
    let server = Server::always(Reply::accept()).expect_hits(0);
    let (_, stderr) = env.run(&server.batch_args(&[file]), 2);
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(
        stderr.contains(":2: orderNo: no orderNo for policy P0001"),
        "{stderr}"
    );
    assert!(
        stderr.contains("(and 399 more rows like it, up to line 401)"),
        "{stderr}"
    );
    assert!(stderr.contains("400 problem(s)"), "{stderr}");
}

#[test]
fn batch_stops_listing_after_50_and_validate_lists_all() {
    let env = Env::new();
    let mut csv = String::from("policyNo,orderNo,amount\n");
    for i in 1..=120 {
        // Each a different value, so none are grouped.
        csv.push_str(&format!("P{i},O{i},{i}.001\n"));
    }
    let file = env.write("bad.csv", csv);
    let file = file.to_str().unwrap();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let (_, stderr) = env.run(&server.batch_args(&[file]), 2);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 52, "{stderr}");
    assert!(lines[49].contains(":51: amount:"), "{stderr}");
    assert_eq!(
        lines[50],
        format!("error: … and 70 more (`avatar-cli validate {file}` lists all)")
    );
    assert!(lines[51].contains("120 problem(s)"), "{stderr}");
    let (stdout, _) = env.run(&["validate", file], 2);
    assert_eq!(stdout.lines().count(), 120, "{stdout}");
}
