//! What the journal makes of a run that follows another: an orderNo stays with its policy,
//! an accepted notice is never sent under another orderNo, and a rejection is not sent again
//! unchanged every night.

mod common;

use common::{json_lines, text, Env, Reply, Server};
use std::process::Output;

const CHANNEL: &str = "HN_HT_QNW";

fn send(env: &Env, server: &Server, args: &[&str]) -> Output {
    env.cmd()
        .args([
            "--base-url",
            &server.url,
            "--policy-source",
            CHANNEL,
            "send",
        ])
        .args(args)
        .output()
        .unwrap()
}

fn batch(env: &Env, server: &Server, csv: &str, args: &[&str]) -> Output {
    let file = env.write("rows.csv", csv);
    env.cmd()
        .args([
            "--base-url",
            &server.url,
            "--policy-source",
            CHANNEL,
            "batch",
        ])
        .arg(&file)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn another_order_no_for_an_accepted_notice_is_refused_naming_both() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let out = send(&env, &server, &["--policy", "P1", "--order-no", "A1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = send(&env, &server, &["--policy", "P1", "--order-no", "B1"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("policy P1 was already sent under orderNo A1")
            && stderr.contains("orderNo B1 is given now"),
        "{stderr}"
    );
    assert!(text(&out.stdout).is_empty(), "{}", text(&out.stdout));
    // The journal's own orderNo, or none, is still a plain skip.
    let out = send(&env, &server, &["--policy", "P1", "--order-no", "A1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("skipped"));
}

#[test]
fn a_thousand_rows_naming_other_order_numbers_exit_2_and_send_nothing() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1000);
    let first: String = (0..1000).fold("policyNo,orderNo\n".to_string(), |csv, i| {
        csv + &format!("P{i},A{i}\n")
    });
    let out = batch(&env, &server, &first, &["--concurrency", "8"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let second: String = (0..1000).fold("policyNo,orderNo\n".to_string(), |csv, i| {
        csv + &format!("P{i},B{i}\n")
    });
    let out = batch(&env, &server, &second, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    assert_eq!(server.hits(), 1000);
}

#[test]
fn an_order_no_the_journal_holds_for_another_policy_is_refused_in_the_first_pass() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let out = send(&env, &server, &["--policy", "P1", "--order-no", "O1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = batch(
        &env,
        &server,
        "policyNo,orderNo\nP7,O7\nP2,O1\n",
        &["--json"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "rows.csv:3: orderNo: orderNo O1 is already the orderNo of policy P1 (sent 20"
        ),
        "{stderr}"
    );
    // Nothing of the file was sent, not even its good row.
    assert!(json_lines(&out.stdout).is_empty());
    // On another channel the same orderNo is another order.
    let out = env
        .cmd()
        .args([
            "--base-url",
            &server.url,
            "--policy-source",
            "OTHER",
            "send",
        ])
        .args(["--policy", "P2", "--order-no", "O1", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn an_unchanged_rejection_is_skipped_until_asked_and_the_run_exits_1() {
    let env = Env::new();
    let server =
        Server::start(vec![Reply::Deal("0", "保单已退保")], Reply::accept()).expect_hits(2);
    let csv = "policyNo,orderNo\nP1,O1\n";
    let out = batch(&env, &server, csv, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    // The next night: not sent again, said apart, and still exit 1.
    let out = batch(&env, &server, csv, &["--json"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(server.hits(), 1);
    let result = &json_lines(&out.stdout)[0];
    assert_eq!(result["outcome"], "skipped");
    assert_eq!(result["skipReason"], "rejectedEarlier");
    assert_eq!(result["dealCode"], "0");
    assert_eq!(result["dealDesc"], "保单已退保");
    assert_eq!(result["attempts"], 0);
    assert!(
        stderr.contains("1 rejected earlier, not re-sent; --retry-rejected sends them again"),
        "{stderr}"
    );
    // In text, the line says what the platform said and when.
    let out = batch(&env, &server, csv, &[]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("skipped")
            && stdout.contains("0 保单已退保")
            && stdout.contains("rejected earlier: 0 保单已退保, 20"),
        "{stdout}"
    );
    // Asked: sent again, under the same orderNo.
    let out = batch(&env, &server, csv, &["--retry-rejected"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(server.hits(), 2);
    assert_eq!(server.seen()[1].head("orderNo"), "O1");
}

#[test]
fn a_changed_rejection_is_sent_as_a_correction() {
    let env = Env::new();
    let server = Server::start(vec![Reply::Deal("0", "金额不符")], Reply::accept()).expect_hits(2);
    let out = batch(&env, &server, "policyNo,orderNo,amount\nP1,O1,10.00\n", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let out = batch(&env, &server, "policyNo,orderNo,amount\nP1,O1,12.00\n", &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("correction of the earlier attempt: amount"),
        "{stderr}"
    );
}

#[test]
fn a_dry_run_ends_with_totals_and_names_production_in_capitals() {
    let env = Env::new();
    let server = Server::start(
        vec![Reply::accept(), Reply::Deal("0", "no")],
        Reply::accept(),
    )
    .expect_hits(2);
    let out = batch(
        &env,
        &server,
        "policyNo,orderNo\nP1,O1\nP2,O2\n",
        &["--concurrency", "1"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let out = batch(
        &env,
        &server,
        "policyNo,orderNo\nP1,O1\nP2,O2\nP3,O3\nP4,O4\n",
        &["--dry-run"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let host = server.url.trim_start_matches("http://");
    assert!(
        stderr.contains(&format!(
            "dry run: would send 2, skip 1 accepted earlier, 1 rejected earlier; to {host} (from --base-url)"
        )),
        "{stderr}"
    );
    assert_eq!(json_lines(&out.stdout).len(), 2);
    // Production, in capitals, before and after.
    let out = env
        .cmd()
        .args(env.production_at(&server.url))
        .args([
            "--policy-source",
            CHANNEL,
            "send",
            "--policy",
            "P9",
            "--order-no",
            "O9",
        ])
        .arg("--dry-run")
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("(PRODUCTION, from --env)"), "{stderr}");
    assert!(
        stderr.contains(
            "dry run: would send 1, skip 0 accepted earlier, 0 rejected earlier; to PRODUCTION ("
        ),
        "{stderr}"
    );
}
