//! `batch --report`: one row per input row, in input order, with the documented columns (CSV
//! for Excel, with its BOM; JSON Lines with each row as soon as its result arrives); cells a
//! spreadsheet would run made text; and a report that would overwrite the input or the
//! journal, block on a FIFO, or not fit on the disk, refused or stopped with nothing lost.

mod common;

use common::{
    batch_output, batch_to, csv_of, history, json_lines, policies_csv, snapshot, text, Env, Gate,
    Reply, Server,
};
use predicates::prelude::*;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn the_report_has_one_row_per_input_row_with_the_documented_columns() {
    let env = Env::new();
    let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\nP2,O2\n");
    let server = Server::start(vec![Reply::accept()], Reply::Deal("0", "no"));
    let report = env.path("report.csv");
    env.cmd()
        .args(server.batch_args(&[file.to_str().unwrap()]))
        .args(["--concurrency", "1", "--report", report.to_str().unwrap()])
        .assert()
        .code(1);
    let report = std::fs::read_to_string(&report).unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(
        lines[0],
        "\u{feff}line,policyNo,orderNo,secondRefundAmount,secondRefundDate,secondRefundStatus,\
         outcome,dealCode,dealDesc,httpStatus,attempts,uuid,elapsedMs,error,skipReason,\
         platform,endpoint,channel,sentAt"
    );
    assert!(
        lines[1].starts_with("2,P1,O1,,,,accepted,1,成功,200,1,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("3,P2,O2,,,,rejected,0,no,200,1,"),
        "{}",
        lines[2]
    );

    let jsonl = env.path("report.jsonl");
    let env2 = Env::new();
    env2.cmd()
        .args(server.batch_args(&[file.to_str().unwrap()]))
        .args(["--report", jsonl.to_str().unwrap()])
        .assert()
        .code(1);
    assert_eq!(json_lines(&std::fs::read(&jsonl).unwrap()).len(), 2);
}

#[test]
fn a_csv_report_has_a_bom_the_rows_fields_and_input_order() {
    let env = Env::new();
    let names = ["P1", "P2", "P3", "P4", "P5", "P6"];
    let file = env.write("c.csv", csv_of(&names));
    // The first answer is held: results arrive out of input order.
    let server = Server::start(
        vec![Reply::Slow(
            Duration::from_millis(700),
            Box::new(Reply::accept()),
        )],
        Reply::accept(),
    );
    let report = env.path("report.csv");
    let out = batch_output(
        &env,
        &server,
        &file,
        &[],
        &["--concurrency", "3", "--report", report.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Whichever of the first three requests reached the server first was held: its result
    // came after later rows', so the results arrived out of input order.
    let stdout = text(&out.stdout);
    let arrived: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(arrived.len(), names.len(), "{stdout}");
    assert_ne!(arrived, names, "results arrived in input order: {stdout}");
    let bytes = std::fs::read(&report).unwrap();
    assert!(
        bytes.starts_with(b"\xef\xbb\xbfline,policyNo,orderNo,"),
        "{:?}",
        text(&bytes)
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let policies: Vec<&str> = rows.iter().map(|r| &r[col("policyNo")]).collect();
    assert_eq!(policies, names, "input order");
    // As the input wrote it (1.50), not as a number (1.5).
    assert_eq!(&rows[0][col("secondRefundAmount")], "1.50");
    assert_eq!(&rows[1][col("secondRefundDate")], "2024-05-10 12:00:00");
    assert_eq!(&rows[1][col("secondRefundStatus")], "1");
    assert_eq!(&rows[0][col("outcome")], "accepted");
    assert_eq!(&rows[0][col("dealDesc")], "成功");
    assert!(col("secondRefundAmount") < col("outcome"));
}

#[test]
fn the_json_lines_report_has_each_row_as_soon_as_its_result_arrives() {
    let env = Env::new();
    let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\nP2,O2\nP3,O3\n");
    let held = Gate::new();
    let server = Server::start(vec![Reply::accept()], held.hold(Reply::accept()));
    let report = env.path("report.jsonl");
    let mut args = server.batch_args(&[file.to_str().unwrap()]);
    args.extend(["--concurrency", "1", "--report", report.to_str().unwrap()]);
    let mut child = env.spawn(&args);
    // P1 answered, P2 held: the run is still going, and P1 is in the report already.
    server.wait_for_hits(2);
    child.wait_for_stdout("P1");
    let start = Instant::now();
    let rows = loop {
        let rows = std::fs::read(&report)
            .map(|b| json_lines(&b))
            .unwrap_or_default();
        if !rows.is_empty() || start.elapsed() > common::PATIENCE {
            break rows;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["policyNo"], "P1");
    assert_eq!(rows[0]["outcome"], "accepted");
    assert_eq!(server.hits(), 2, "P2 is still held");
    held.open();
    let out = child.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows = json_lines(&std::fs::read(&report).unwrap());
    let policies: Vec<&str> = rows
        .iter()
        .map(|r| r["policyNo"].as_str().unwrap())
        .collect();
    assert_eq!(policies, ["P1", "P2", "P3"]);
}

#[test]
fn csv_report_cells_that_a_spreadsheet_would_run_are_made_text() {
    let descs = [
        "=HYPERLINK(\"http://x\",\"y\")",
        "+1+1",
        "-1+1",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "成功",
    ];
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(descs.len()));
    let script = descs.iter().map(|d| Reply::Deal("1", d)).collect();
    let server = Server::start(script, Reply::accept());
    let report = env.path("report.csv");
    batch_to(&env, &server.url, &file)
        .args(["--concurrency", "1", "--report"])
        .arg(&report)
        .assert()
        .code(0);
    let mut reader = csv::Reader::from_path(&report).unwrap();
    let got: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[8].to_string())
        .collect();
    let want: Vec<String> = descs
        .iter()
        .map(|d| match *d {
            "成功" => d.to_string(),
            // Escaped like every control character, so no longer a formula's start.
            "\tx" => "\\tx".to_string(),
            "\rx" => "\\rx".to_string(),
            _ => format!("'{d}"),
        })
        .collect();
    assert_eq!(got, want);

    // JSON Lines reports stay exact.
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(1));
    let server = Server::always(Reply::Deal("1", descs[0]));
    let report = env.path("report.jsonl");
    batch_to(&env, &server.url, &file)
        .arg("--report")
        .arg(&report)
        .assert()
        .code(0);
    let rows = json_lines(&std::fs::read(&report).unwrap());
    assert_eq!(rows[0]["dealDesc"], descs[0]);
}

/// The CSV and JSON Lines reports of a small fixed run, whole, as committed under
/// tests/snapshots/: a row of every outcome that was sent, the optional fields filled or not,
/// an answer a spreadsheet would run; the uuids and times replaced (tests/common/snapshot.rs).
#[test]
fn the_reports_of_a_fixed_run_are_as_committed() {
    for name in ["report.csv", "report.jsonl"] {
        let env = Env::new();
        let server = Server::start(
            vec![
                Reply::accept(),
                Reply::Deal("0", "保单不存在"),
                Reply::Raw(400, "text/plain", "bad request".into()),
                Reply::Raw(200, "text/html", "<html>maintenance</html>".into()),
                Reply::Deal("1", "=1+1"),
            ],
            Reply::accept(),
        );
        let file = env.write(
            "c.csv",
            "policyNo,orderNo,amount,refund_date,status,installments\n\
             P1,O1,10.20,2024-05-10 12:00:00,1,1:10.20:2024-05-10 11:59:59\n\
             P2,O2,5,,,\n\
             P3,O3,1,2024-05-11 00:00:00,2,\n\
             P4,O4,,,,\n\
             P5,O5,7,,,\n",
        );
        let report = env.path(name);
        let args = [
            file.to_str().unwrap(),
            "--concurrency",
            "1",
            "--retries",
            "0",
        ];
        env.cmd()
            .args(server.batch_args(&args))
            .arg("--report")
            .arg(&report)
            .assert()
            .code(3);
        let written = text(&std::fs::read(&report).unwrap());
        snapshot::settings(&env).bind(|| insta::assert_snapshot!(name, written));
    }
}

// Never over the input or the journal, never a FIFO or a device

#[test]
fn a_report_onto_the_input_is_refused_before_anything_happens() {
    let env = Env::new();
    let csv = policies_csv(2);
    let file = env.write("c.csv", &csv);
    let server = Server::always(Reply::accept()).expect_hits(0);
    batch_to(&env, &server.url, &file)
        .arg("--report")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--report"))
        .stderr(predicate::str::contains("input file"));
    // The same file under another name, and as standard input.
    let alias = env.path("alias.csv");
    std::fs::hard_link(&file, &alias).unwrap();
    let out = env
        .std_cmd()
        .args(["--base-url", &server.url, "--policy-source", "HN_HT_QNW"])
        .args(["batch", "-", "--generate-order-no", "--report"])
        .arg(&alias)
        .stdin(std::fs::File::open(&file).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("standard input"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv);
    assert!(!env.journal().exists(), "no journal was created");
}

#[test]
fn a_report_onto_the_journal_is_refused_before_anything_happens() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(2));
    let server = Server::always(Reply::accept());
    // No journal yet: the report would be created where the journal is about to be.
    batch_to(&env, &server.url, &file)
        .arg("--report")
        .arg(env.journal())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("journal"));
    assert!(!env.journal().exists());
    assert_eq!(server.hits(), 0);
    batch_to(&env, &server.url, &file).assert().code(0);
    assert_eq!(server.hits(), 2);
    let journal = env.journal();
    let wal = env.path("journal.sqlite3-wal");
    let other = env.path("journal-link.sqlite3");
    std::fs::hard_link(&journal, &other).unwrap();
    for report in [&journal, &wal, &other] {
        let before = std::fs::read(&journal).unwrap();
        batch_to(&env, &server.url, &file)
            .arg("--report")
            .arg(report)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("journal"));
        assert_eq!(std::fs::read(&journal).unwrap(), before, "{report:?}");
    }
    assert_eq!(history(&env, &["--outcome", "accepted"]).len(), 2);
    assert_eq!(server.hits(), 2);
}

/// A batch of `rows` with `--report report`, which must be refused before anything happens;
/// a hang (a FIFO opened for writing) fails the test instead of blocking it.
fn report_refused(env: &Env, server: &Server, report: &std::path::Path, why: &str) {
    let file = env.write("c.csv", policies_csv(2));
    let hits = server.hits();
    let out = batch_to(env, &server.url, &file)
        .timeout(Duration::from_secs(20))
        .arg("--report")
        .arg(report)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--report") && stderr.contains(why),
        "{report:?}: {stderr}"
    );
    assert_eq!(server.hits(), hits, "{report:?}: something was sent");
}

#[test]
fn a_report_that_leads_onto_a_journal_file_by_a_dangling_link_or_dots_is_refused() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let journal = env.journal();
    let link = env.path("rep.csv");
    let sub = env.path("sub");
    std::fs::create_dir(&sub).unwrap();
    // Before the journal exists, and again once it does: its side files come and go.
    for round in 0..2 {
        for side in [
            "journal.sqlite3-wal",
            "journal.sqlite3-shm",
            "journal.sqlite3",
        ] {
            let _ = std::fs::remove_file(&link);
            // Dangling while the side file does not exist: creating the report would create
            // it, as the journal's.
            std::os::unix::fs::symlink(side, &link).unwrap();
            report_refused(&env, &server, &link, "the journal file");
            report_refused(
                &env,
                &server,
                &sub.join("..").join(side),
                "the journal file",
            );
        }
        if round == 0 {
            assert!(!journal.exists(), "no journal was created");
            batch_to(&env, &server.url, &env.write("first.csv", "policyNo\nF1\n"))
                .assert()
                .code(0);
        }
    }
    // The journal is whole: its notice is there, and the next run skips it.
    assert_eq!(history(&env, &["--outcome", "accepted"]).len(), 1);
    assert_eq!(server.hits(), 1);
}

#[test]
fn a_report_that_is_a_fifo_a_device_or_a_directory_is_refused_without_hanging() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let fifo = env.path("report.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    report_refused(&env, &server, &fifo, "a FIFO");
    let link = env.path("to-fifo.csv");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    report_refused(&env, &server, &link, "a FIFO");
    report_refused(&env, &server, std::path::Path::new("/dev/null"), "a device");
    report_refused(&env, &server, env.dir.path(), "a directory");
    assert!(!env.journal().exists(), "no journal was created");
}

// A report that cannot be written stops the run

/// `batch` whose files may not grow past `bytes`, as on a disk that fills up; without a
/// journal, which would hit the limit too. SIGXFSZ is ignored so that the write fails (EFBIG)
/// instead of killing the process.
fn batch_with_file_limit(
    env: &Env,
    url: &str,
    file: &std::path::Path,
    bytes: u64,
) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = env.std_cmd();
    cmd.args([
        "--base-url",
        url,
        "--policy-source",
        "HN_HT_QNW",
        "--no-journal",
    ])
    .args(["batch", "--generate-order-no"])
    .arg(file)
    .stdin(Stdio::null());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

#[test]
fn a_report_on_a_full_disk_exits_3() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(3));
    let server = Server::always(Reply::accept()).expect_hits(0);
    // CSV: the header cannot be written, so nothing is sent.
    let out = batch_with_file_limit(&env, &server.url, &file, 0)
        .arg("--report")
        .arg(env.path("report.csv"))
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("could not write the report"), "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
}

#[test]
fn a_jsonl_report_that_fails_mid_run_stops_the_run_with_exit_3() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(40));
    let server = Server::always(Reply::accept());
    // Room for a few rows of the report, not for forty.
    let out = batch_with_file_limit(&env, &server.url, &file, 2048)
        .args(["--concurrency", "1", "--report"])
        .arg(env.path("report.jsonl"))
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("could not write the report"), "{stderr}");
    assert!(stderr.contains("stopped starting new notices"), "{stderr}");
    assert!(server.hits() < 40, "new notices were still started");
}
