//! A chaos loop: `batch` is killed with SIGKILL at random points (in its first milliseconds,
//! while the journal is being created, in mid-request), then run again to the end. The test
//! server's log of every request it received is the oracle, checked against what the journal
//! promises. After each re-run:
//! - nothing was lost: every policy reached the platform and was accepted (the re-run reports
//!   each one accepted or skipped, and the journal records each acceptance);
//! - each policy reached the platform under one orderNo only;
//! - a policy went out again only if the journal held it in doubt after the kill (read with
//!   `history` before the re-run), and then once more only. How many that is depends on where
//!   the kill landed (requests in flight, notices claimed ahead, answers not yet committed),
//!   not on a bound this test could know;
//! - the journal is never left unusable (`history` reads it after the kill and after the
//!   re-run, the re-run writes it).
//!
//! `CHAOS_SEED=N` replays one sequence of kill times; `CHAOS_ROUNDS=N` runs more rounds.

mod common;

use common::{json_lines, text, Env, Reply, Server};
use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::time::{Duration, Instant};

const ROWS: usize = 24;

#[test]
fn batch_killed_at_random_points_loses_nothing_and_resends_only_what_was_in_doubt() {
    let seed = std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_129_u64);
    let rounds: usize = std::env::var("CHAOS_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(36);
    let mut rng = fastrand::Rng::with_seed(seed);
    // Slow enough that a kill often lands with requests in flight.
    let server = Server::always(Reply::Slow(
        Duration::from_millis(15),
        Box::new(Reply::accept()),
    ));
    let env = Env::new();
    let shared_journal = env.path("shared.sqlite3");
    let started = Instant::now();
    let mut repeats_seen = 0;

    for round in 0..rounds {
        // Two rounds in three start a journal of their own: one is killed within its first
        // 20 ms, the other within 3 ms of the journal file appearing, while its schema is
        // being written. The third shares one journal and is killed anywhere in the run.
        let fresh = round % 3 != 2;
        let journal = if fresh {
            env.path(&format!("fresh-{round}.sqlite3"))
        } else {
            shared_journal.clone()
        };
        let at_creation = round % 3 == 1;
        let kill_after = if at_creation {
            Duration::from_micros(rng.u64(0..3_000))
        } else if fresh {
            Duration::from_millis(rng.u64(0..20))
        } else {
            Duration::from_millis(rng.u64(0..160))
        };
        let csv = env.write(&format!("round-{round}.csv"), policies(round));
        let args = round_args(&server, &journal, &csv);
        let context = format!(
            "seed {seed}, round {round}, kill {kill_after:?} after {}",
            if at_creation {
                "the journal appeared"
            } else {
                "start"
            }
        );

        let mut child = env
            .std_cmd()
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start avatar-cli");
        if at_creation {
            let waiting = Instant::now();
            while !journal.exists() && waiting.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        std::thread::sleep(kill_after);
        let _ = child.kill(); // SIGKILL; the run may already have finished
        let _ = child.wait();
        // What the journal holds in doubt now: all the re-run may send a second time.
        let in_doubt: HashSet<String> = journal_rows(&env, &journal, &["--outcome", "inDoubt"])
            .unwrap_or_else(|e| {
                panic!("{context}: history cannot read the journal after the kill\n{e}")
            })
            .iter()
            .filter_map(|r| r["policyNo"].as_str().map(str::to_string))
            .collect();

        let rerun = env.cmd().args(&args).output().expect("run avatar-cli");
        assert_eq!(
            rerun.status.code(),
            Some(0),
            "{context}: the re-run failed\n{}",
            text(&rerun.stderr)
        );
        let results = json_lines(&rerun.stdout);
        assert_eq!(results.len(), ROWS, "{context}: one result per row");
        for r in &results {
            let outcome = r["outcome"].as_str().unwrap_or_default();
            assert!(
                outcome == "accepted" || outcome == "skipped",
                "{context}: {r}"
            );
        }

        let sent = orders_by_policy(&server, round);
        assert_eq!(
            sent.len(),
            ROWS,
            "{context}: every policy reached the platform"
        );
        for (policy, orders) in &sent {
            assert!(
                orders.iter().all(|o| o == &orders[0]),
                "{context}: {policy} was sent under two orderNos: {orders:?}"
            );
            if orders.len() > 1 {
                assert!(
                    in_doubt.contains(policy),
                    "{context}: {policy} was sent again, though the journal did not hold it in doubt: {orders:?}"
                );
                assert_eq!(orders.len(), 2, "{context}: {policy} sent more than twice");
                repeats_seen += 1;
            }
        }

        let rows = journal_rows(&env, &journal, &["--limit", "1000"])
            .unwrap_or_else(|e| panic!("{context}: history cannot read the journal\n{e}"));
        let accepted = rows
            .iter()
            .filter(|r| {
                r["policyNo"]
                    .as_str()
                    .is_some_and(|p| p.starts_with(&prefix(round)))
                    && r["state"] == "accepted"
            })
            .count();
        assert_eq!(
            accepted, ROWS,
            "{context}: the journal records every acceptance"
        );
    }
    eprintln!(
        "chaos: {rounds} kills (seed {seed}) in {:.1} s, {repeats_seen} notices in doubt sent again in all",
        started.elapsed().as_secs_f64()
    );
}

/// `history --json` rows of `journal`, or why it could not be read.
fn journal_rows(
    env: &Env,
    journal: &std::path::Path,
    args: &[&str],
) -> Result<Vec<serde_json::Value>, String> {
    let out = env
        .cmd()
        .arg("--journal")
        .arg(journal)
        .args(["history", "--json"])
        .args(args)
        .output()
        .expect("run history");
    match out.status.code() {
        Some(0) => Ok(json_lines(&out.stdout)),
        _ => Err(text(&out.stderr)),
    }
}

fn prefix(round: usize) -> String {
    format!("K{round:03}P")
}

fn policies(round: usize) -> String {
    let mut csv = String::from("policyNo,amount\n");
    for i in 0..ROWS {
        csv.push_str(&format!("{}{i:03},{}.50\n", prefix(round), i + 1));
    }
    csv
}

/// A round's run: its own journal, results as JSON, order numbers generated, four at a time.
fn round_args(server: &Server, journal: &std::path::Path, csv: &std::path::Path) -> Vec<String> {
    let journal = journal.to_str().unwrap();
    let rest = [
        "--generate-order-no",
        "--concurrency",
        "4",
        csv.to_str().unwrap(),
    ];
    ["--json", "--journal", journal]
        .into_iter()
        .chain(server.batch_args(&rest))
        .map(String::from)
        .collect()
}

/// The orderNos each policy of this round arrived under, one entry per request.
fn orders_by_policy(server: &Server, round: usize) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for seen in server.seen() {
        if seen.policy_no().starts_with(&prefix(round)) {
            map.entry(seen.policy_no().to_string())
                .or_default()
                .push(seen.head("orderNo").to_string());
        }
    }
    map
}
