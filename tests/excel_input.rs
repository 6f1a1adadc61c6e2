//! Input as Excel and Chinese exports shape it: a workbook given by mistake, values typed or
//! formatted the way a spreadsheet does, other header names and separators, and a problem on
//! every row said once. Every case over the built binary; nothing wrong is ever sent.

mod common;

use common::{text, Env, Reply, Server};

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

// 8. Workbooks, UTF-16 and binary files are recognised by their first bytes.

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

// 9. What a value probably is, and how to fix it; still an error, nothing sent.

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

// 10. Chinese header names, --column and --delimiter.

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

// 11. A problem on every row is said once; batch stops listing after 50.

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
