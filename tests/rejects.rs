//! `batch --skip-invalid --rejects FILE`: the valid rows are sent, the invalid ones are set
//! aside in FILE as the input had them, with a problem column; the exit code is never 0 when
//! a row was set aside; without `--skip-invalid` one bad row still stops the whole file.

mod common;

use calamine::{open_workbook, Data, Reader, Xlsx};
use common::{by_policy, json_lines, summary_line, text, Env, Reply, Server};
use std::path::Path;

/// A CSV export with three rows that cannot be sent (a bad amount, a repeated policy, a stray
/// comma), around three that can.
const EXPORT: &str = "policyNo,orderNo,amount,客户姓名\n\
    P1,O1,10.20,张三\n\
    P2,O2,abc,李四\n\
    P3,O3,5,王五\n\
    P3,O4,5,赵六\n\
    P5,O5,1.50,\"钱, 七\"\n\
    P6,O6,1,2,3\n";

fn batch(env: &Env, server: &Server, file: &Path, rest: &[&str]) -> std::process::Output {
    env.cmd()
        .args(server.batch_args(&[file.to_str().unwrap()]))
        .args(rest)
        .output()
        .unwrap()
}

/// The records of a CSV file, BOM and all, as lists of fields.
fn records(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\xef\xbb\xbf"), "a BOM for Excel");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[3..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn the_valid_rows_are_sent_and_the_invalid_ones_set_aside_as_written_with_their_problem() {
    let env = Env::new();
    let file = env.write("export.csv", EXPORT);
    let rejects = env.path("rejects.csv");
    let server = Server::always(Reply::accept()).expect_hits(3);
    let out = batch(
        &env,
        &server,
        &file,
        &["--skip-invalid", "--rejects", rejects.to_str().unwrap()],
    );
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "rows set aside: exit 1\n{stderr}"
    );
    let mut sent: Vec<String> = by_policy(&server).into_keys().collect();
    sent.sort();
    assert_eq!(sent, ["P1", "P3", "P5"]);
    assert_eq!(
        records(&rejects),
        [
            vec!["policyNo", "orderNo", "amount", "客户姓名", "problem"],
            vec![
                "P2",
                "O2",
                "abc",
                "李四",
                "amount: 'abc' is not a non-negative amount with at most two decimal places"
            ],
            vec!["P3", "O4", "5", "赵六", "policyNo: same policy as line 4"],
            vec![
                "P6",
                "O6",
                "1",
                "2",
                "3",
                "this record has 5 fields but the header has 4 (a stray comma, or a quote left open?)"
            ],
        ]
    );
    // Each row set aside is named on stderr as a warning, and the summary says where they are.
    for line in ["export.csv:3:", "export.csv:5:", "export.csv:7:"] {
        assert!(
            stderr.lines().any(|l| l.starts_with("warning: ")
                && l.contains(&format!("/{line}"))
                && l.ends_with("(set aside)")),
            "{line}\n{stderr}"
        );
    }
    assert!(
        stderr.contains("3 invalid row(s) set aside, not sent, in ")
            && stderr.contains("rejects.csv"),
        "{stderr}"
    );
}

#[test]
fn the_fixed_rejects_are_sent_by_batch_and_nothing_else_is_sent_again() {
    let env = Env::new();
    let file = env.write("export.csv", EXPORT);
    let rejects = env.path("rejects.csv");
    let server = Server::always(Reply::accept());
    let skip = ["--skip-invalid", "--rejects", rejects.to_str().unwrap()];
    batch(&env, &server, &file, &skip);
    // The clerk fixes the three rows in the rejects file and sends it on its own.
    let fixed = "policyNo,orderNo,amount,客户姓名,problem\n\
        P2,O2,12.00,李四,\n\
        P4,O4,5,赵六,\n\
        P6,O6,1.23,,\n";
    let fixed = env.write("fixed.csv", fixed);
    let out = batch(&env, &server, &fixed, &["--ignore-column", "problem"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let sent = by_policy(&server);
    let mut policies: Vec<&String> = sent.keys().collect();
    policies.sort();
    assert_eq!(policies, ["P1", "P2", "P3", "P4", "P5", "P6"]);
    assert!(sent.values().all(|orders| orders.len() == 1), "{sent:?}");
}

#[test]
fn a_failure_beside_rows_set_aside_is_exit_3_and_a_run_with_none_set_aside_can_be_0() {
    let env = Env::new();
    let file = env.write("export.csv", EXPORT);
    let rejects = env.path("rejects.csv");
    let server = Server::start(
        vec![Reply::Raw(400, "text/plain", "bad".into())],
        Reply::accept(),
    );
    let out = batch(
        &env,
        &server,
        &file,
        &[
            "--skip-invalid",
            "--rejects",
            rejects.to_str().unwrap(),
            "--concurrency",
            "1",
            "--retries",
            "0",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let summary = summary_line(&out.stdout);
    assert_eq!(summary["setAside"], 3, "{summary}");
    assert!(
        summary["rejects"]
            .as_str()
            .unwrap()
            .ends_with("rejects.csv"),
        "{summary}"
    );
    // A clean file: nothing set aside, every notice accepted, exit 0, and the rejects file
    // holds its header alone (never an earlier run's rows).
    let env = Env::new();
    let clean = env.write("clean.csv", "policyNo,orderNo\nP1,O1\n");
    let stale = env.write("rejects.csv", "policyNo,problem\nOLD,from yesterday\n");
    let out = batch(
        &env,
        &Server::always(Reply::accept()),
        &clean,
        &[
            "--skip-invalid",
            "--rejects",
            stale.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(summary_line(&out.stdout)["setAside"], 0);
    assert_eq!(records(&stale), [vec!["policyNo", "orderNo", "problem"]]);
}

#[test]
fn without_skip_invalid_one_bad_row_still_stops_the_whole_file() {
    let env = Env::new();
    let file = env.write("export.csv", EXPORT);
    let server = Server::always(Reply::accept()).expect_hits(0);
    let out = batch(&env, &server, &file, &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("3 problem(s) in ") && stderr.contains("nothing was sent"),
        "{stderr}"
    );
    // Each flag needs the other: rows silently dropped, or a file never written, help nobody.
    for (args, says) in [
        (&["--skip-invalid"][..], "--rejects <FILE>"),
        (&["--rejects", "r.csv"], "--skip-invalid"),
    ] {
        let out = batch(&env, &server, &file, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(says),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn a_row_the_journal_refuses_is_set_aside_too() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let first = env.write("first.csv", "policyNo,orderNo\nP1,O1\n");
    batch(&env, &server, &first, &[]);
    // P1 was accepted under O1: the same notice under O9 is an input error, set aside.
    let file = env.write("again.csv", "policyNo,orderNo\nP1,O9\nP2,O2\n");
    let rejects = env.path("rejects.csv");
    let out = batch(
        &env,
        &server,
        &file,
        &["--skip-invalid", "--rejects", rejects.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let rows = records(&rejects);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][..2], ["P1", "O9"]);
    assert!(
        rows[1][2].starts_with("orderNo: ") && rows[1][2].contains("O1"),
        "{rows:?}"
    );
    let sent = by_policy(&server);
    assert_eq!(sent["P1"], ["O1"], "never sent under O9");
    assert_eq!(sent["P2"], ["O2"]);
}

#[test]
fn a_workbooks_invalid_rows_go_to_a_workbook_of_rejects() {
    let env = Env::new();
    let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/excel/damaged.xlsx");
    let rejects = env.path("rejects.xlsx");
    let server = Server::always(Reply::accept()).expect_hits(3);
    let out = batch(
        &env,
        &server,
        &book,
        &["--skip-invalid", "--rejects", rejects.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let mut sent: Vec<String> = by_policy(&server).into_keys().collect();
    sent.sort();
    assert_eq!(sent, ["612020000001", "P2024000106", "P2024000108"]);
    let mut workbook: Xlsx<_> = open_workbook(&rejects).unwrap();
    let sheet = workbook.worksheet_range("rejects").unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "保单号",
            "订单号",
            "退保金额",
            "退保日期",
            "退保状态",
            "客户姓名",
            "problem"
        ]
    );
    let policies: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        policies,
        [
            "612020240510000000",
            "P2024000103",
            "P2024000104",
            "P2024000105",
            "612020000007"
        ],
        "{rows:?}"
    );
    // Every cell is text, as the sheet showed it, and each row says what to fix.
    assert!(sheet
        .used_cells()
        .all(|(_, _, c)| matches!(c, Data::String(_))));
    assert!(
        rows[2][3] == "2024/5/10" && rows[3][2] == "１２.５０",
        "{rows:?}"
    );
    assert!(rows[1..].iter().all(|r| !r[6].is_empty()), "{rows:?}");
}

#[test]
fn a_dry_run_or_a_refused_run_leaves_no_rejects_and_json_lines_input_is_refused() {
    let env = Env::new();
    let file = env.write("export.csv", EXPORT);
    let rejects = env.path("rejects.csv");
    let server = Server::always(Reply::accept()).expect_hits(0);
    let skip = ["--skip-invalid", "--rejects", rejects.to_str().unwrap()];
    let out = batch(&env, &server, &file, &[&skip[..], &["--dry-run"]].concat());
    assert_eq!(
        out.status.code(),
        Some(1),
        "set aside in rehearsal is no success either"
    );
    assert!(
        text(&out.stderr)
            .contains("set aside 3 invalid (--rejects is written by a run that sends)"),
        "{}",
        text(&out.stderr)
    );
    assert!(!rejects.exists());
    // A file-level problem (no policy column) is no row to set aside: the run is refused.
    let headless = env.write("headless.csv", "orderNo,amount\nO1,1\n");
    let out = batch(&env, &server, &headless, &skip);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(!rejects.exists());
    // Onto the input itself: refused before anything is read.
    let out = batch(
        &env,
        &server,
        &file,
        &["--skip-invalid", "--rejects", file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), EXPORT);
    let jsonl = env.write("e.jsonl", "{\"policyNo\":\"P1\",\"orderNo\":\"O1\"}\n");
    let out = batch(&env, &server, &jsonl, &skip);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("a JSON Lines file is sent whole or not at all"),
        "{}",
        text(&out.stderr)
    );
    assert!(json_lines(&out.stdout).is_empty());
}
