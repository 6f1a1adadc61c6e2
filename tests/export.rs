//! `history --output csv|jsonl|xlsx` and `--out FILE`: the journal's notices as a file that
//! `batch` reads back, and as a workbook a manager opens (its cells checked by type). Every case
//! over the built binary, after a batch against the tests' own server on loopback.

mod common;

use calamine::{open_workbook, Data, Reader, Xlsx};
use common::{text, Env, Reply, Server};
use std::path::Path;

/// Two notices in the journal: P1 accepted with every field, P2 rejected with only its ids.
fn journal_of_two(env: &Env) -> Server {
    let file = env.write(
        "c.csv",
        "policyNo,orderNo,amount,refund_date,status\n\
         612020240510,O1,1000.00,2024-05-10 09:30:00,1\n\
         P2,O2,,,\n",
    );
    let server = Server::start(
        vec![Reply::accept(), Reply::Deal("0", "保单已退保")],
        Reply::accept(),
    );
    env.cmd()
        .args(server.batch_args(&[file.to_str().unwrap(), "--concurrency", "1"]))
        .assert()
        .code(1);
    server
}

fn cell(sheet: &calamine::Range<Data>, row: usize, column: usize) -> Data {
    sheet.get((row, column)).cloned().unwrap_or(Data::Empty)
}

/// The sheet's rows as (policyNo, row index), newest first as history lists them.
fn row_of(sheet: &calamine::Range<Data>, policy: &str) -> usize {
    (1..sheet.height())
        .find(|&r| cell(sheet, r, 0) == Data::String(policy.into()))
        .unwrap_or_else(|| panic!("no row for {policy}"))
}

fn check_workbook(path: &Path, server: &Server) {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    assert_eq!(book.sheet_names(), ["Notices", "Export"]);
    let sheet = book.worksheet_range("Notices").unwrap();
    let header: Vec<String> = (0..sheet.width())
        .map(|c| cell(&sheet, 0, c).to_string())
        .collect();
    assert_eq!(
        header,
        [
            "policyNo",
            "orderNo",
            "secondRefundAmount",
            "secondRefundDate",
            "secondRefundStatus",
            "installmentList",
            "endpoint",
            "policySource",
            "state",
            "dealCode",
            "dealDesc",
            "lastSentAt"
        ]
    );
    assert_eq!(sheet.height(), 3);
    let p1 = row_of(&sheet, "612020240510");
    assert_eq!(cell(&sheet, p1, 1), Data::String("O1".into()));
    assert_eq!(cell(&sheet, p1, 2), Data::Float(1000.0));
    match cell(&sheet, p1, 3) {
        Data::DateTime(d) => {
            assert_eq!(d.to_ymd_hms_milli(), (2024, 5, 10, 9, 30, 0, 0));
        }
        other => panic!("not a date cell: {other:?}"),
    }
    assert_eq!(cell(&sheet, p1, 4), Data::Float(1.0));
    assert_eq!(cell(&sheet, p1, 6), Data::String(server.url.clone()));
    assert_eq!(cell(&sheet, p1, 7), Data::String("HN_HT_QNW".into()));
    assert_eq!(cell(&sheet, p1, 8), Data::String("accepted".into()));
    assert_eq!(cell(&sheet, p1, 9), Data::String("1".into()));
    assert!(
        matches!(cell(&sheet, p1, 11), Data::DateTime(d) if d.is_datetime()),
        "{:?}",
        cell(&sheet, p1, 11)
    );
    let p2 = row_of(&sheet, "P2");
    assert_eq!(cell(&sheet, p2, 2), Data::Empty);
    assert_eq!(cell(&sheet, p2, 8), Data::String("rejected".into()));
    assert_eq!(cell(&sheet, p2, 10), Data::String("保单已退保".into()));
    let styles = book.worksheet_style("Notices").unwrap();
    let format = styles
        .get((p1 as u32, 2))
        .and_then(|s| s.number_format.as_ref())
        .map(|f| f.format_code.clone());
    assert_eq!(format.as_deref(), Some("0.00"));
    let summary = book.worksheet_range("Export").unwrap();
    assert_eq!(cell(&summary, 0, 0), Data::String("notices".into()));
    assert_eq!(cell(&summary, 0, 1), Data::Float(2.0));
}

#[test]
fn a_workbook_export_to_a_pipe_or_a_file_has_typed_cells() {
    let env = Env::new();
    let server = journal_of_two(&env);
    let out = env
        .cmd()
        .args(["history", "--output", "xlsx"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(out.stdout.starts_with(b"PK"), "a workbook is a ZIP archive");
    let piped = env.write("piped.xlsx", &out.stdout);
    check_workbook(&piped, &server);
    let file = env.path("notices.xlsx");
    let (stdout, _) = env.run(&["history", "--out", file.to_str().unwrap()], 0);
    assert_eq!(stdout, "");
    check_workbook(&file, &server);
}

#[test]
fn a_workbook_export_is_refused_on_a_terminal() {
    let env = Env::new();
    journal_of_two(&env);
    let out = env
        .cmd()
        .env("AVATAR_FORCE_TTY", "1")
        .args(["history", "--output", "xlsx"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("--out notices.xlsx"), "{stderr}");
    // Into a file, a terminal is no matter; nor is it cut to a screenful.
    let file = env.path("n.csv");
    env.cmd()
        .env("AVATAR_FORCE_TTY", "1")
        .args(["history", "--out", file.to_str().unwrap()])
        .assert()
        .code(0);
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 3);
}

#[test]
fn out_writes_the_bytes_stdout_would_have_had() {
    let env = Env::new();
    journal_of_two(&env);
    for (output, name) in [("csv", "n.csv"), ("jsonl", "n.jsonl")] {
        let (stdout, _) = env.run(&["history", "--output", output], 0);
        let file = env.path(name);
        // Named by its extension alone, or by --output too.
        env.run(&["history", "--out", file.to_str().unwrap()], 0);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout, "{output}");
        let again = env.path(&format!("again-{name}"));
        env.run(
            &[
                "history",
                "--output",
                output,
                "--out",
                again.to_str().unwrap(),
            ],
            0,
        );
        assert_eq!(std::fs::read_to_string(&again).unwrap(), stdout, "{output}");
    }
}

#[test]
fn out_that_is_no_export_or_leads_onto_the_journal_is_refused() {
    let env = Env::new();
    journal_of_two(&env);
    let journal = env.journal();
    let journal = journal.to_str().unwrap();
    let before = std::fs::read(journal).unwrap();
    for (args, says) in [
        (vec!["history", "--out", "n.txt"], "which export?"),
        (
            vec!["history", "--output", "csv", "--out", "n.xlsx"],
            "keep one",
        ),
        (
            vec!["history", "--json", "--out", "n.jsonl"],
            "--out writes an export",
        ),
        (
            vec!["history", "--output", "csv", "--out", journal],
            "the journal file",
        ),
        (
            vec!["history", "--attempts", "--out", "n.csv"],
            "leave out --attempts",
        ),
    ] {
        let (stdout, stderr) = env.run(&args, 2);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert_eq!(stdout, "", "{args:?}");
    }
    assert_eq!(std::fs::read(journal).unwrap(), before);
}

#[test]
fn batch_reads_a_workbook_export_back_and_finds_it_sent() {
    let env = Env::new();
    let server = journal_of_two(&env);
    let file = env.path("notices.xlsx");
    env.run(&["history", "--out", file.to_str().unwrap()], 0);
    let out = env
        .cmd()
        .args(server.batch_args(&[file.to_str().unwrap(), "--json"]))
        .assert()
        .code(1)
        .get_output()
        .clone();
    let results = common::json_lines(&out.stdout);
    assert_eq!(results.len(), 2, "{}", text(&out.stderr));
    assert!(
        results.iter().all(|r| r["outcome"] == "skipped"),
        "{results:?}"
    );
    assert_eq!(server.hits(), 2, "nothing sent again");
}
