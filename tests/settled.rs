//! A re-run's rows that were accepted earlier are reported by the second pass from the journal
//! (`src/run/settled.rs`), not sent through the engine: the same results as before, with none
//! of them sent, and every other row of the file sent as usual.

mod common;

use common::{json_lines, text, Env, Reply, Server};

fn args<'a>(server: &'a Server, file: &'a str) -> Vec<&'a str> {
    vec![
        "--base-url",
        &server.url,
        "--policy-source",
        "HN_HT_QNW",
        "batch",
        file,
        "--json",
    ]
}

#[test]
fn a_rerun_with_new_rows_sends_only_those_and_reports_the_rest_as_accepted_earlier() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(3 + 2);
    let first = env.write("first.csv", "policyNo,orderNo\nP1,O1\nP2,O2\nP3,O3\n");
    env.cmd()
        .args(args(&server, first.to_str().unwrap()))
        .assert()
        .code(0);
    let again = env.write(
        "again.csv",
        "policyNo,orderNo\nP1,O1\nP4,O4\nP2,O2\nP5,O5\nP3,O3\n",
    );
    let out = env
        .cmd()
        .args(args(&server, again.to_str().unwrap()))
        .assert()
        .code(0)
        .get_output()
        .clone();
    let sent: Vec<String> = server
        .seen()
        .iter()
        .skip(3)
        .map(|s| s.policy_no().to_string())
        .collect();
    let mut sent_sorted = sent.clone();
    sent_sorted.sort();
    assert_eq!(sent_sorted, ["P4", "P5"], "sent in the re-run: {sent:?}");
    let mut results = json_lines(&out.stdout);
    results.sort_by_key(|r| r["line"].as_u64());
    let seen: Vec<(&str, &str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["policyNo"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
                r["orderNo"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("P1", "skipped", "O1"),
            ("P4", "accepted", "O4"),
            ("P2", "skipped", "O2"),
            ("P5", "accepted", "O5"),
            ("P3", "skipped", "O3"),
        ]
    );
    for r in results.iter().filter(|r| r["outcome"] == "skipped") {
        assert_eq!(r["dealCode"], "1", "{r}");
        assert_eq!(r["dealDesc"], "成功", "{r}");
        assert_eq!(r["attempts"], 0, "{r}");
    }
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("5 notices: 2 accepted, 0 rejected, 0 failed, 0 inDoubt, 3 skipped"),
        "{stderr}"
    );
}

#[test]
fn a_forced_rerun_sends_every_row_again() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(4);
    let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\nP2,O2\n");
    let file = file.to_str().unwrap();
    env.cmd().args(args(&server, file)).assert().code(0);
    let out = env
        .cmd()
        .args(args(&server, file))
        .arg("--force")
        .assert()
        .code(0)
        .get_output()
        .clone();
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 2);
    assert!(
        results.iter().all(|r| r["outcome"] == "accepted"),
        "{results:?}"
    );
}

/// Many chunks of rows: the first pass's lookups run on two threads past the first chunk, and
/// their results must come back in the file's order.
#[test]
fn a_long_file_is_judged_in_its_own_order_across_lookup_threads() {
    const ROWS: usize = 1500;
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(ROWS);
    let csv = |changed: &[usize]| {
        let mut text = String::from("policyNo,orderNo,amount\n");
        for i in 1..=ROWS {
            let amount = if changed.contains(&i) { "2.00" } else { "1.00" };
            text.push_str(&format!("P{i:05},O{i:05},{amount}\n"));
        }
        text
    };
    let first = env.write("first.csv", csv(&[]));
    let first = first.to_str().unwrap();
    env.cmd().args(args(&server, first)).assert().code(0);

    // Two rows whose amount changed since they were accepted: each named by its line, in
    // order, and nothing sent.
    let changed = env.write("changed.csv", csv(&[700, 1400]));
    let out = env
        .cmd()
        .args(args(&server, changed.to_str().unwrap()))
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("changed.csv:701: orderNo: policy P00700 was accepted")
            && stderr.contains("(and 1 more row like it, up to line 1401)")
            && stderr.contains("amount 1.00 → 2.00"),
        "{stderr}"
    );

    // The same file again: every row skipped, each with its own orderNo.
    let out = env
        .cmd()
        .args(args(&server, first))
        .assert()
        .code(0)
        .get_output()
        .clone();
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), ROWS);
    for r in &results {
        assert_eq!(r["outcome"], "skipped", "{r}");
        let policy = r["policyNo"].as_str().unwrap();
        let order = r["orderNo"].as_str().unwrap();
        assert_eq!(&policy[1..], &order[1..], "{r}");
    }
    assert_eq!(server.hits(), ROWS);
}

/// Where the settled rows cannot be written down (no temporary directory), every row goes the
/// engine's way: the accepted ones are still skipped by the claim, and nothing is sent twice.
#[test]
fn without_a_temporary_directory_a_rerun_still_skips_and_sends_nothing() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(2);
    let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\nP2,O2\n");
    let file = file.to_str().unwrap();
    env.cmd().args(args(&server, file)).assert().code(0);
    let out = env
        .cmd()
        .env("TMPDIR", env.path("no-such-directory"))
        .args(args(&server, file))
        .assert()
        .code(0)
        .get_output()
        .clone();
    let results = json_lines(&out.stdout);
    let seen: Vec<(&str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["outcome"].as_str().unwrap(),
                r["orderNo"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(seen.len(), 2, "{}", text(&out.stderr));
    assert!(
        seen.contains(&("skipped", "O1")) && seen.contains(&("skipped", "O2")),
        "{seen:?}"
    );
    assert_eq!(server.hits(), 2);
}
