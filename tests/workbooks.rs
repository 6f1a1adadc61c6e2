//! Workbooks in: `validate` and `batch` over .xlsx, .xls and .ods files saved by a spreadsheet
//! program (tests/data/excel, see its README), and over workbooks written here for the edge
//! cases. Every case over the built binary, against the tests' own server on loopback.

mod common;

use common::{data, json_lines, text, Env, Reply, Server};
use rust_xlsxwriter::{Format, Formula, Workbook};
use std::path::{Path, PathBuf};

/// A workbook saved by a spreadsheet program (tests/data/excel).
fn fixture(name: &str) -> PathBuf {
    data("excel").join(name)
}

/// `validate INPUT --fix OUT`, expecting `code`; gives back (stdout, stderr).
fn fix(env: &Env, input: &Path, out: &Path, code: i32) -> (String, String) {
    let (input, out) = (input.to_str().unwrap(), out.to_str().unwrap());
    env.run(&["validate", input, "--fix", out], code)
}

/// What the server was sent, by policy: (orderNo, amount, date, status).
fn sent(server: &Server) -> Vec<(String, String, f64, String, i64)> {
    let mut rows: Vec<_> = server
        .seen()
        .iter()
        .map(|s| {
            let req = &s.body["secondRefundReq"];
            (
                s.policy_no().to_owned(),
                s.head("orderNo").to_owned(),
                req["secondRefundAmount"].as_f64().unwrap(),
                req["secondRefundDate"].as_str().unwrap().to_owned(),
                req["secondRefundStatus"].as_i64().unwrap(),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

fn five_rows() -> Vec<(String, String, f64, String, i64)> {
    [
        (
            "P2024000001",
            "QS2405100001",
            10.2,
            "2024-05-10 09:30:00",
            1,
        ),
        (
            "P2024000002",
            "QS2405100002",
            1000.0,
            "2024-05-10 12:00:00",
            1,
        ),
        ("P2024000003", "QS2405100003", 0.5, "2024-05-11 00:00:00", 1),
        (
            "P2024000004",
            "QS2405100004",
            99.99,
            "2024-05-11 23:59:59",
            1,
        ),
        (
            "P2024000005",
            "QS2405100005",
            1234.56,
            "2024-06-01 08:05:09",
            2,
        ),
    ]
    .into_iter()
    .map(|(p, o, a, d, s)| (p.to_owned(), o.to_owned(), a, d.to_owned(), s))
    .collect()
}

#[test]
fn clean_workbooks_send_their_five_rows_in_every_format() {
    for name in [
        "clean-en.xlsx",
        "clean-zh.xlsx",
        "clean-zh.xls",
        "clean-zh.ods",
    ] {
        let env = Env::new();
        let file = fixture(name);
        let file = file.to_str().unwrap();
        let (_, stderr) = env.run(&["validate", file], 0);
        assert!(
            stderr.contains("5 valid notice(s), 0 error(s), 0 warning(s)"),
            "{name}: {stderr}"
        );
        let server = Server::always(Reply::accept()).expect_hits(5);
        let (stdout, stderr) = env.run(&server.batch_args(&[file, "--json"]), 0);
        let results = json_lines(stdout.as_bytes());
        assert_eq!(results.len(), 5, "{name}: {stdout}{stderr}");
        assert!(
            results.iter().all(|r| r["outcome"] == "accepted"),
            "{stdout}"
        );
        // Lines are the spreadsheet's rows.
        let mut lines: Vec<i64> = results
            .iter()
            .map(|r| r["line"].as_i64().unwrap())
            .collect();
        lines.sort();
        assert_eq!(lines, [2, 3, 4, 5, 6], "{name}");
        assert_eq!(sent(&server), five_rows(), "{name}");
    }
}

#[test]
fn a_1904_workbook_has_its_dates_where_they_are() {
    let env = Env::new();
    let file = fixture("clean-1904.xlsx");
    let server = Server::always(Reply::accept()).expect_hits(3);
    env.run(&server.batch_args(&[file.to_str().unwrap()]), 0);
    let dates: Vec<String> = sent(&server).into_iter().map(|r| r.3).collect();
    assert_eq!(
        dates,
        [
            "2024-07-01 10:00:00",
            "2024-12-31 23:59:59",
            "2025-01-01 00:00:00"
        ]
    );
    let amounts: Vec<f64> = sent(&server).into_iter().map(|r| r.2).collect();
    assert_eq!(amounts, [45.6, 7.0, 0.01]);
}

#[test]
fn a_damaged_workbook_names_its_five_cells_and_nothing_is_sent() {
    let env = Env::new();
    let file = fixture("damaged.xlsx");
    let file = file.to_str().unwrap();
    let (stdout, stderr) = env.run(&["validate", file, "--json"], 2);
    let problems = json_lines(stdout.as_bytes());
    let cells: Vec<&str> = problems
        .iter()
        .map(|p| p["cell"].as_str().unwrap())
        .collect();
    assert_eq!(
        cells,
        [
            "Sheet1!A3",
            "Sheet1!D4",
            "Sheet1!C5",
            "Sheet1!B6",
            "Sheet1!C8"
        ],
        "{stdout}"
    );
    let lines: Vec<i64> = problems
        .iter()
        .map(|p| p["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4, 5, 6, 8]);
    assert!(problems.iter().all(|p| p["severity"] == "error"));
    assert!(problems.iter().all(|p| p["file"] == file));
    assert!(
        stderr.contains("3 valid notice(s), 5 error(s), 0 warning(s)"),
        "{stderr}"
    );
    // The extra column is said once, not a problem.
    assert!(
        stderr.contains("not notice fields, left out: 客户姓名"),
        "{stderr}"
    );

    let (stdout, _) = env.run(&["validate", file], 2);
    let name = file;
    for expected in [
        format!("{name}: Sheet1!A3 (row 3): 保单号: a policy number stored as a number and lost digits (the cell holds 612020240510000000): format the column as Text and type it again"),
        format!("{name}: Sheet1!D4 (row 4): 退保日期: '2024/5/10' is not a date in yyyy-MM-dd HH:mm:ss: a date without a time; did you mean `2024-05-10 00:00:00`?"),
        format!("{name}: Sheet1!C5 (row 5): 退保金额: '１２.５０' is not a non-negative amount with at most two decimal places: full-width digits; did you mean 12.50?"),
        format!("{name}: Sheet1!B6 (row 6): 订单号: the cell is the error #N/A"),
        format!("{name}: Sheet1!C8 (row 8): 退保金额: '1,000.00' is not a non-negative amount with at most two decimal places: thousands separators; did you mean 1000.00?"),
    ] {
        assert!(stdout.contains(&expected), "missing {expected:?} in\n{stdout}");
    }

    let server = Server::always(Reply::accept()).expect_hits(0);
    let (stdout, stderr) = env.run(&server.batch_args(&[file]), 2);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("5 problem(s) in") && stderr.contains("nothing was sent"),
        "{stderr}"
    );
    assert!(stderr.contains("Sheet1!B6 (row 6)"), "{stderr}");
}

#[test]
fn a_formula_without_a_saved_result_is_named_by_its_cell() {
    let env = Env::new();
    let file = fixture("formula-no-cache.xlsx");
    let (stdout, stderr) = env.run(&["validate", file.to_str().unwrap()], 2);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.contains(": Sheet1!C3 (row 3): 退保金额: the formula =C2*2 has no saved result"),
        "{stdout}"
    );
    assert!(stderr.contains("1 valid notice(s), 1 error(s)"), "{stderr}");
}

/// A workbook written here: `fill` writes its first sheet (after `sheets` empty ones, named).
fn write_book(
    env: &Env,
    name: &str,
    before: &[&str],
    sheet: &str,
    fill: impl FnOnce(&mut rust_xlsxwriter::Worksheet),
) -> PathBuf {
    let mut book = Workbook::new();
    for other in before {
        book.add_worksheet().set_name(*other).unwrap();
    }
    let main = book.add_worksheet().set_name(sheet).unwrap();
    fill(main);
    let path = env.path(name);
    book.save(&path).unwrap();
    path
}

/// A formula result that rust_xlsxwriter writes as given, to be made the empty string after:
/// given "" it saves 0, while a spreadsheet program saves the empty string that
/// `=IF(A9="";"";…)` filled down past the data gives.
const EMPTY_RESULT: &str = "to-be-empty";

/// Rewrites one part of a workbook's archive with `edit`, for what rust_xlsxwriter does not
/// write: empty-string formula results, the 1904 date system.
fn rewrite(path: &Path, part: &str, edit: impl Fn(&str) -> String) {
    use std::io::{Read, Write};
    let bytes = std::fs::read(path).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        if name == part {
            let edited = edit(std::str::from_utf8(&content).unwrap());
            assert_ne!(edited.as_bytes(), content, "{part} was not changed");
            content = edited.into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&content).unwrap();
    }
    std::fs::write(path, out.finish().unwrap().into_inner()).unwrap();
}

fn header(sheet: &mut rust_xlsxwriter::Worksheet, row: u32, left: u16) {
    for (i, name) in ["保单号", "订单号", "退保金额", "退保日期"]
        .iter()
        .enumerate()
    {
        sheet.write_string(row, left + i as u16, *name).unwrap();
    }
}

#[test]
fn typed_cells_that_cannot_be_values_are_refused_by_cell() {
    let env = Env::new();
    let amount = Format::new().set_num_format("0.00");
    let path = write_book(&env, "edge.xlsx", &[], "清单", |s| {
        // The table starts at B3, as exports with a title row above often do.
        s.write_string(0, 0, "").unwrap();
        header(s, 2, 1);
        // Row 4: 18 digits typed into a number cell.
        s.write_number(3, 1, 612020240510000123.0).unwrap();
        s.write_string(3, 2, "O1").unwrap();
        // Row 5: an error cell where the order number should be.
        s.write_string(4, 1, "P5").unwrap();
        s.write_formula(4, 2, Formula::new("=1+\"a\"").set_result("#VALUE!"))
            .unwrap();
        // Row 6: a logical value as an amount.
        s.write_string(5, 1, "P6").unwrap();
        s.write_string(5, 2, "O6").unwrap();
        s.write_boolean(5, 3, true).unwrap();
        // Row 7: valid, with a 15-digit policy number typed as a number.
        s.write_number(6, 1, 612020240510001.0).unwrap();
        s.write_string(6, 2, "O7").unwrap();
        s.write_number_with_format(6, 3, 10.2, &amount).unwrap();
        // Rows 8 and 9: merged order numbers, which row's is a guess.
        s.write_string(7, 1, "P8").unwrap();
        s.write_string(8, 1, "P9").unwrap();
        s.merge_range(7, 2, 8, 2, "O8", &Format::new()).unwrap();
        // Rows 10 to 12: formatted but empty, and empty-string formula results (made so
        // below): no rows.
        s.write_blank(9, 1, &amount).unwrap();
        s.write_formula(10, 2, Formula::new("=\"\"").set_result(EMPTY_RESULT))
            .unwrap();
        s.write_formula(11, 3, Formula::new("=\"\"").set_result(EMPTY_RESULT))
            .unwrap();
    });
    rewrite(&path, "xl/worksheets/sheet1.xml", |xml| {
        xml.replace(&format!("<v>{EMPTY_RESULT}</v>"), "<v></v>")
    });
    let file = path.to_str().unwrap();
    let (stdout, stderr) = env.run(&["validate", file, "--json"], 2);
    let problems = json_lines(stdout.as_bytes());
    let found: Vec<(String, String)> = problems
        .iter()
        .map(|p| {
            (
                p["cell"].as_str().unwrap().to_owned(),
                p["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let cells: Vec<&str> = found.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        cells,
        ["清单!B4", "清单!C5", "清单!D6", "清单!C8", "清单!C9"],
        "{stdout}"
    );
    assert!(found[0]
        .1
        .contains("lost digits (the cell holds 612020240510000000)"));
    assert!(found[1].1.starts_with("the cell is the error #VALUE!"));
    assert!(found[2].1.contains("logical value TRUE, not an amount"));
    assert!(found[3].1.contains("merged with others (C8:C9)"));
    assert!(found[4].1.contains("merged with others (C8:C9)"));
    assert!(
        stderr.contains("1 valid notice(s), 5 error(s), 0 warning(s)"),
        "{stderr}"
    );

    // One bad row and nothing is sent.
    let server = Server::always(Reply::accept()).expect_hits(0);
    env.run(&server.batch_args(&[file]), 2);

    // A 15-digit policy number typed as a number goes out whole, as text.
    let path = write_book(&env, "fifteen.xlsx", &[], "Sheet1", |s| {
        header(s, 0, 0);
        s.write_number(1, 0, 612020240510001.0).unwrap();
        s.write_string(1, 1, "O7").unwrap();
        s.write_number_with_format(1, 2, 10.2, &amount).unwrap();
    });
    let server = Server::always(Reply::accept()).expect_hits(1);
    env.run(&server.batch_args(&[path.to_str().unwrap()]), 0);
    let seen = server.seen();
    assert_eq!(seen[0].policy_no(), "612020240510001");
    assert_eq!(seen[0].body["secondRefundReq"]["secondRefundAmount"], 10.2);
}

#[test]
fn a_workbook_in_the_1904_date_system_is_read_in_it() {
    let env = Env::new();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    // 2024-05-10 09:30:00 counted from 1904-01-01, with the float error a save leaves.
    let serial = 43960.0 + 9.5 / 24.0 - 1e-10;
    let path = write_book(&env, "mac.xlsx", &[], "Sheet1", |s| {
        header(s, 0, 0);
        s.write_string(1, 0, "P1").unwrap();
        s.write_string(1, 1, "O1").unwrap();
        s.write_number_with_format(1, 3, serial, &date).unwrap();
    });
    rewrite(&path, "xl/workbook.xml", |xml| {
        xml.replacen("<workbookPr ", "<workbookPr date1904=\"1\" ", 1)
    });
    let server = Server::always(Reply::accept()).expect_hits(1);
    env.run(&server.batch_args(&[path.to_str().unwrap()]), 0);
    assert_eq!(
        server.seen()[0].body["secondRefundReq"]["secondRefundDate"],
        "2024-05-10 09:30:00"
    );
}

#[test]
fn sheets_are_chosen_by_name_and_an_unknown_one_lists_them() {
    let env = Env::new();
    let path = write_book(&env, "two.xlsx", &["说明"], "退保清单", |s| {
        header(s, 0, 0);
        s.write_string(1, 0, "P1").unwrap();
        s.write_string(1, 1, "O1").unwrap();
        s.write_number(1, 2, 3).unwrap();
    });
    let file = path.to_str().unwrap();
    // The first sheet is a note with no table in it: nothing to send, and said so.
    let (_, stderr) = env.run(&["validate", file], 0);
    assert!(
        stderr.contains("reading the sheet '说明', the first of 2 ('说明', '退保清单'); --sheet NAME reads another"),
        "{stderr}"
    );
    assert!(stderr.contains("no notices in it"), "{stderr}");
    let (_, stderr) = env.run(&["validate", file, "--sheet", "退保清单"], 0);
    assert!(stderr.contains("1 valid notice(s), 0 error(s)"), "{stderr}");
    let (_, stderr) = env.run(&["validate", file, "--sheet", "Sheet9"], 2);
    assert_eq!(
        stderr.trim_end(),
        format!("error: {file} has no worksheet named 'Sheet9'; its sheets are '说明', '退保清单'")
    );
    let server = Server::always(Reply::accept()).expect_hits(1);
    env.run(&server.batch_args(&[file, "--sheet", "退保清单"]), 0);
    let seen = server.seen();
    assert_eq!(seen[0].policy_no(), "P1");
    assert_eq!(seen[0].body["secondRefundReq"]["secondRefundAmount"], 3.0);
    // --sheet on a CSV file is a mistake worth saying.
    let csv = env.write("a.csv", "policyNo,orderNo\nP1,O1\n");
    let (_, stderr) = env.run(&["validate", csv.to_str().unwrap(), "--sheet", "x"], 2);
    assert!(stderr.contains("--sheet is for workbooks"), "{stderr}");
}

#[test]
fn a_workbook_on_standard_input_is_read_too() {
    let env = Env::new();
    let bytes = std::fs::read(fixture("clean-zh.xlsx")).unwrap();
    let out = env
        .cmd()
        .args(["validate", "-", "--json"])
        .write_stdin(bytes)
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(
        text(&out.stderr).contains("<stdin>: 5 valid notice(s), 0 error(s)"),
        "{}",
        text(&out.stderr)
    );
}

/// Every cell of a sheet written by `validate --fix`, read back.
fn cells(path: &Path) -> calamine::Range<calamine::Data> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let first = book.sheet_names()[0].clone();
    book.worksheet_range(&first).unwrap()
}

#[test]
fn fix_mends_what_is_unambiguous_and_leaves_the_rest_as_errors() {
    use calamine::Data;
    let env = Env::new();
    let input = fixture("damaged.xlsx");
    let before = std::fs::read(&input).unwrap();
    let out = env.path("fixed.xlsx");
    let (stdout, stderr) = fix(&env, &input, &out, 2);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "row 4, 退保日期 (Sheet1!D4): '2024/5/10' → 2024-05-10 00:00:00",
            "row 5, 退保金额 (Sheet1!C5): '１２.５０' → 12.50",
            "row 8, 退保金额 (Sheet1!C8): '1,000.00' → 1000.00",
        ],
        "{stdout}"
    );
    // Then what is left, in the copy: the lost digits and the #N/A.
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(
        lines[3].contains("fixed.xlsx: Sheet1!A3 (row 3): 保单号:"),
        "{stdout}"
    );
    assert!(
        lines[4].contains("fixed.xlsx: Sheet1!B6 (row 6): 订单号:"),
        "{stdout}"
    );
    assert!(stderr.contains("3 change(s), written to"), "{stderr}");
    assert!(
        stderr.contains("6 valid notice(s), 2 error(s), 0 warning(s)"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&input).unwrap(),
        before,
        "the input is untouched"
    );

    // The copy's cells keep their types; the mended ones are typed now.
    let sheet = cells(&out);
    assert!(
        matches!(sheet.get_value((3, 3)), Some(Data::DateTime(d)) if d.to_ymd_hms_milli() == (2024, 5, 10, 0, 0, 0, 0)),
        "{:?}",
        sheet.get_value((3, 3))
    );
    assert_eq!(sheet.get_value((4, 2)), Some(&Data::Float(12.5)));
    assert_eq!(sheet.get_value((7, 2)), Some(&Data::Float(1000.0)));
    assert_eq!(sheet.get_value((2, 0)), Some(&Data::Float(6.1202024051e17)));
    assert!(matches!(sheet.get_value((5, 1)), Some(Data::Error(_))));
    assert_eq!(sheet.get_value((8, 5)), Some(&Data::String("吴十".into())));
    assert!(matches!(sheet.get_value((1, 3)), Some(Data::DateTime(_))));
}

#[test]
fn fix_writes_csv_by_the_name_and_exits_0_when_nothing_is_left() {
    let env = Env::new();
    let input = env.write(
        "in.csv",
        "policyNo,orderNo,amount,refund_date,status\n P1 ,O1,\"1,000.00\",2024/5/10,１\nＰ２,O2,￥10.20,2024-05-10,1\n",
    );
    let out = env.path("out.csv");
    let (stdout, stderr) = fix(&env, &input, &out, 0);
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "line 2, policyNo: ' P1 ' → P1",
            "line 2, amount: '1,000.00' → 1000.00",
            "line 2, refund_date: '2024/5/10' → 2024-05-10 00:00:00",
            "line 2, status: '１' → 1",
            "line 3, policyNo: 'Ｐ２' → P2",
            "line 3, amount: '￥10.20' → 10.20",
            "line 3, refund_date: '2024-05-10' → 2024-05-10 00:00:00",
        ]
    );
    assert!(stderr.contains("7 change(s)"), "{stderr}");
    assert!(stderr.contains("2 valid notice(s), 0 error(s)"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "\u{feff}policyNo,orderNo,amount,refund_date,status\n\
         P1,O1,1000.00,2024-05-10 00:00:00,1\n\
         P2,O2,10.20,2024-05-10 00:00:00,1\n"
    );
    // The copy sends.
    let server = Server::always(Reply::accept()).expect_hits(2);
    env.run(&server.batch_args(&[out.to_str().unwrap()]), 0);

    // Ambiguous values stay, and so does the exit code.
    let input = env.write(
        "amb.csv",
        "policyNo,orderNo,amount,refund_date\nP1,O1,1.234,24/5/10\n2.02405E+11,O2,1,2024-05-10 00:00:00\n",
    );
    let out = env.path("amb-out.csv");
    let (stdout, stderr) = fix(&env, &input, &out, 2);
    assert!(stderr.contains("0 change(s)"), "{stderr}");
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "\u{feff}policyNo,orderNo,amount,refund_date\nP1,O1,1.234,24/5/10\n2.02405E+11,O2,1,2024-05-10 00:00:00\n"
    );
}

#[test]
fn fix_never_writes_over_its_input_and_says_what_it_writes() {
    let env = Env::new();
    let input = env.write("in.csv", "policyNo,orderNo\n P1 ,O1\n");
    let before = std::fs::read(&input).unwrap();
    let dir = input.parent().unwrap();
    let file = input.to_str().unwrap();
    let sneaky = format!("{}/./in.csv", dir.display());
    let link = dir.join("link.csv");
    std::os::unix::fs::symlink(&input, &link).unwrap();
    for out in [file, sneaky.as_str(), link.to_str().unwrap()] {
        let (stdout, stderr) = env.run(&["validate", file, "--fix", out], 2);
        assert_eq!(stdout, "");
        assert!(
            stderr.contains("is the input itself; name another file"),
            "{out}: {stderr}"
        );
    }
    assert_eq!(std::fs::read(&input).unwrap(), before);
    let (_, stderr) = env.run(&["validate", file, "--fix", "out.txt"], 2);
    assert!(stderr.contains("name it .csv or .xlsx"), "{stderr}");
    let jsonl = env.write("a.jsonl", "{\"policyNo\":\"P1\"}\n");
    let out = env.path("b.csv");
    let (_, stderr) = fix(&env, &jsonl, &out, 2);
    assert!(
        stderr.contains("--fix reads CSV files and workbooks"),
        "{stderr}"
    );
    assert!(!out.exists());

    // A workbook's merged cells cannot go into CSV; into .xlsx they stay merged, and errors.
    let path = write_book(&env, "merged.xlsx", &[], "Sheet1", |s| {
        header(s, 0, 0);
        s.write_string(1, 0, "P1").unwrap();
        s.write_string(2, 0, "P2").unwrap();
        s.merge_range(1, 1, 2, 1, "O1", &Format::new()).unwrap();
    });
    let csv = env.path("merged.csv");
    let (_, stderr) = fix(&env, &path, &csv, 2);
    assert!(
        stderr.contains("the merged cells B2:B3 cannot be kept in a CSV copy"),
        "{stderr}"
    );
    assert!(!csv.exists());
    let xlsx = env.path("merged-copy.xlsx");
    let (stdout, _) = fix(&env, &path, &xlsx, 2);
    assert_eq!(
        stdout.matches("merged with others (B2:B3)").count(),
        2,
        "{stdout}"
    );
    let sheet = cells(&xlsx);
    assert_eq!(
        sheet.get_value((1, 1)),
        Some(&calamine::Data::String("O1".into()))
    );
}

#[test]
fn a_fixed_copy_shows_what_its_cells_hold_and_never_rewrites_unreadable_bytes() {
    let env = Env::new();
    let path = write_book(&env, "shown.xlsx", &[], "Sheet1", |s| {
        header(s, 0, 0);
        s.write_number(1, 0, 612020000001.0).unwrap();
        s.write_string(1, 1, "O1").unwrap();
        s.write_number(1, 2, 1.005).unwrap();
        s.write_number(2, 0, 612020240510000123.0).unwrap();
        s.write_string(2, 1, "O2").unwrap();
        s.write_number(2, 2, 10.2).unwrap();
    });
    let copy = env.path("shown-copy.xlsx");
    let (stdout, _) = fix(&env, &path, &copy, 2);
    assert!(
        stdout.contains("'1.005' is not a non-negative amount"),
        "{stdout}"
    );
    assert!(stdout.contains("lost digits"), "{stdout}");
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&copy).unwrap();
    let styles = book.worksheet_style("Sheet1").unwrap();
    let format = |row, column| {
        styles
            .get((row, column))
            .and_then(|s| s.number_format.as_ref())
            .map(|f| f.format_code.clone())
    };
    // Every digit of a 12-digit id; a lost-digit id as it was; two decimals only when there
    // are no more to hide.
    assert_eq!(format(1, 0).as_deref(), Some("0"));
    assert_ne!(format(2, 0).as_deref(), Some("0"));
    assert_ne!(format(1, 2).as_deref(), Some("0.00"));
    assert_eq!(format(2, 2).as_deref(), Some("0.00"));

    // A stray byte read as UTF-8 on request: the copy is refused rather than made lossy.
    let input = env.write("bad.csv", b"policyNo,orderNo\nP\xff1,O1\n");
    let out = env.path("bad-copy.csv");
    let input = input.to_str().unwrap();
    let args = [
        "validate",
        input,
        "--encoding",
        "utf-8",
        "--fix",
        out.to_str().unwrap(),
    ];
    let (_, stderr) = env.run(&args, 2);
    assert!(stderr.contains("bad.csv:2 is not valid UTF-8"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn a_workbook_header_is_read_as_a_csv_header_is() {
    let env = Env::new();
    let path = write_book(&env, "names.xlsx", &[], "Sheet1", |s| {
        for (i, name) in ["单号", "批单号", "退款金额", "保单号码"]
            .iter()
            .enumerate()
        {
            s.write_string(0, i as u16, *name).unwrap();
        }
        s.write_string(1, 0, "P1").unwrap();
        s.write_string(1, 1, "O1").unwrap();
        s.write_number(1, 2, 5).unwrap();
    });
    let file = path.to_str().unwrap();
    // 保单号码 is the policy column by its name; 单号 is then no field.
    let (stdout, _) = env.run(&["validate", file], 2);
    assert!(
        stdout.contains(": Sheet1!D2 (row 2): 保单号码: policy number is empty"),
        "{stdout}"
    );
    // --column gives the policy to 单号 (保单号码 is then left out) and the order to 批单号.
    let mapped = [
        "validate",
        file,
        "--column",
        "policyNo=单号",
        "--column",
        "orderNo=批单号",
    ];
    let (_, stderr) = env.run(&mapped, 0);
    assert!(
        stderr.contains("not notice fields, left out: 保单号码"),
        "{stderr}"
    );
    assert!(stderr.contains("1 valid notice(s), 0 error(s)"), "{stderr}");
    // Two columns for one field are one too many, named by the second's header cell.
    let twice = write_book(&env, "twice.xlsx", &[], "Sheet1", |s| {
        s.write_string(0, 0, "保单号").unwrap();
        s.write_string(0, 1, "policy_no").unwrap();
        s.write_string(1, 0, "P1").unwrap();
    });
    let (stdout, _) = env.run(&["validate", twice.to_str().unwrap()], 2);
    assert!(
        stdout.contains(": Sheet1!B1 (row 1): policy_no: the column policy_no is the same field as the column 保单号; keep one"),
        "{stdout}"
    );
    let path = write_book(&env, "mapped.xlsx", &[], "Sheet1", |s| {
        for (i, name) in ["单号", "批单号", "退款金额"].iter().enumerate() {
            s.write_string(0, i as u16, *name).unwrap();
        }
        s.write_string(1, 0, "P1").unwrap();
        s.write_string(1, 1, "O1").unwrap();
        s.write_number(1, 2, 5).unwrap();
    });
    let server = Server::always(Reply::accept()).expect_hits(1);
    let file = path.to_str().unwrap();
    let args = ["--column", "policyNo=单号", "--column", "orderNo=批单号"];
    env.run(&server.batch_args(&[&[file][..], &args].concat()), 0);
    let seen = server.seen();
    assert_eq!((seen[0].policy_no(), seen[0].head("orderNo")), ("P1", "O1"));
    assert_eq!(seen[0].body["secondRefundReq"]["secondRefundAmount"], 5.0);
}
