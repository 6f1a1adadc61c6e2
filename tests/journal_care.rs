//! Looking after a journal over the built binary: a journal on a network file system refused,
//! `journal stats`, `journal backup` while a batch writes, `journal prune --bodies-before`.

mod common;

use common::{text, Env, Reply, Server, CHANNEL};
use std::path::{Path, PathBuf};
use std::process::Command;

// A journal on a network file system

/// A FUSE mount of a directory of the test's own (bindfs), unmounted when dropped; `None`
/// where none can be made (no bindfs, no /dev/fuse): CI installs bindfs (.ci/run).
struct FuseMount {
    at: PathBuf,
}

impl FuseMount {
    fn of(source: &Path, at: &Path) -> Option<FuseMount> {
        std::fs::create_dir_all(source).unwrap();
        std::fs::create_dir_all(at).unwrap();
        let mounted = Command::new("bindfs")
            .arg(source)
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!(
                "no FUSE mount could be made here (bindfs and /dev/fuse are needed): not tested"
            );
            return None;
        }
        Some(FuseMount {
            at: at.to_path_buf(),
        })
    }
}

impl Drop for FuseMount {
    fn drop(&mut self) {
        let _ = Command::new("fusermount").arg("-u").arg(&self.at).status();
    }
}

#[test]
fn a_journal_on_a_fuse_mount_is_refused_for_writing_and_for_reading() {
    let env = Env::new();
    let Some(mount) = FuseMount::of(&env.path("local"), &env.path("mnt")) else {
        return;
    };
    let server = Server::always(Reply::accept()).expect_hits(0);
    let journal = mount.at.join("journal.sqlite3");
    let journal_arg = journal.display().to_string();
    let (_, stderr) = env.run(
        &[
            "--base-url",
            &server.url,
            "--policy-source",
            CHANNEL,
            "--journal",
            &journal_arg,
            "send",
            "--policy",
            "P1",
            "--order-no",
            "O1",
        ],
        2,
    );
    assert!(
        stderr.contains("is on a network file system (fuse), where SQLite's locks are not safe")
            && stderr.contains("--journal postgres://"),
        "{stderr}"
    );
    assert!(!journal.exists(), "nothing is created there");

    // A journal made on the local disk and read through the mount is refused too.
    let local = env.path("local/journal.sqlite3").display().to_string();
    let server = Server::always(Reply::accept()).expect_hits(1);
    env.run(
        &[
            "--base-url",
            &server.url,
            "--policy-source",
            CHANNEL,
            "--journal",
            &local,
            "send",
            "--policy",
            "P1",
            "--order-no",
            "O1",
        ],
        0,
    );
    let (_, stderr) = env.run(&["--journal", &journal_arg, "history"], 2);
    assert!(stderr.contains("network file system (fuse)"), "{stderr}");
    drop(mount);
    let out = env
        .cmd()
        .args(["--journal", &local, "history"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn a_backup_may_go_to_a_network_drive() {
    let env = Env::new();
    let Some(mount) = FuseMount::of(&env.path("local"), &env.path("mnt")) else {
        return;
    };
    let server = Server::always(Reply::accept());
    common::send_to(&env, &server.url)
        .args(["--policy", "P1", "--order-no", "O1"])
        .assert()
        .code(0);
    let copy = mount.at.join("copy.sqlite3").display().to_string();
    let (stdout, _) = env.run(&["journal", "backup", &copy], 0);
    assert!(stdout.contains("1 notices, 1 attempts"), "{stdout}");
    drop(mount);
    // Brought back to a local disk, it is a journal.
    let local = env.path("local/copy.sqlite3").display().to_string();
    let (stdout, _) = env.run(&["--journal", &local, "history", "--json"], 0);
    assert!(stdout.contains(r#""policyNo":"P1""#), "{stdout}");
}

// journal stats

/// A journal made by a known batch: three accepted, two rejected and one failed notice under
/// the channel, and one accepted under another, all to one server.
fn known_journal(env: &Env) -> Server {
    let server = Server::start(
        vec![
            Reply::accept(),
            Reply::accept(),
            Reply::accept(),
            Reply::Deal("0", "no such policy"),
            Reply::Deal("0", "no such policy"),
            Reply::Raw(500, "text/plain", "down".into()),
        ],
        Reply::accept(),
    );
    let csv = env.write(
        "rows.csv",
        "policyNo,orderNo\nP1,O1\nP2,O2\nP3,O3\nR1,Q1\nR2,Q2\nF1,E1\n",
    );
    let csv = csv.display().to_string();
    env.run(
        &server.batch_args(&[&csv, "--concurrency", "1", "--retries", "0"]),
        3,
    );
    env.run(
        &[
            "--base-url",
            &server.url,
            "--policy-source",
            "OTHER",
            "send",
            "--policy",
            "P1",
            "--order-no",
            "X1",
        ],
        0,
    );
    server
}

#[test]
fn stats_count_notices_per_platform_and_channel_by_state() {
    let env = Env::new();
    let _server = known_journal(&env);
    let (stdout, _) = env.run(&["journal", "stats"], 0);
    let mut settings = common::snapshot::settings(&env);
    settings.add_filter(r"\d+\.\d (KiB|MiB) \(\d+ bytes\)|\b\d+ bytes", "[size]");
    settings.bind(|| insta::assert_snapshot!("stats", stdout));

    let (stdout, _) = env.run(&["journal", "stats", "--json"], 0);
    let stats: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(stats["notices"], 7);
    assert_eq!(stats["attempts"], 7);
    let on_disk = std::fs::metadata(env.journal()).unwrap().len()
        + std::fs::metadata(env.path("journal.sqlite3-wal")).map_or(0, |m| m.len());
    assert_eq!(stats["bytes"], on_disk);
    let groups = stats["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{stats}");
    let ours = &groups[0];
    assert_eq!(ours["policySource"], CHANNEL);
    assert_eq!(
        [
            &ours["accepted"],
            &ours["rejected"],
            &ours["failed"],
            &ours["inDoubt"]
        ],
        [3, 2, 1, 0]
    );
    assert_eq!(groups[1]["policySource"], "OTHER");
    assert_eq!(groups[1]["accepted"], 1);
}

#[test]
fn stats_of_no_journal_say_so() {
    let env = Env::new();
    let (stdout, stderr) = env.run(&["journal", "stats"], 0);
    assert_eq!(stdout, "");
    assert!(stderr.contains("no journal at"), "{stderr}");
}

// journal backup

#[test]
fn a_backup_taken_while_a_batch_writes_is_whole_and_opens_as_a_journal() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let rows: String = (1..=3000).map(|i| format!("B{i:05},O{i:05}\n")).collect();
    let csv = env.write("big.csv", format!("policyNo,orderNo\n{rows}"));
    let csv = csv.display().to_string();
    let batch = env.spawn(server.batch_args(&[&csv, "--concurrency", "4"]));
    server.wait_for_hits(300);
    let copy = env.path("copy.sqlite3");
    let copy_arg = copy.display().to_string();
    let (stdout, stderr) = env.run(&["journal", "backup", &copy_arg, "--json"], 0);
    let still_sending = server.hits() < 3000;
    let out = batch.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        still_sending,
        "the batch ended before the backup: nothing was tested"
    );

    let made: serde_json::Value = serde_json::from_str(&stdout).expect(&stderr);
    let notices = made["notices"].as_u64().unwrap();
    assert!((300..3000).contains(&notices), "{made}");
    let conn = rusqlite::Connection::open(&copy).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    // Consistent: every attempt in the copy has its notice, and each notice counts its own.
    let orphans: i64 = conn
        .query_row(
            "SELECT count(*) FROM attempts a LEFT JOIN notices n ON n.id = a.notice_id
             WHERE n.id IS NULL OR n.attempts <> (SELECT count(*) FROM attempts
                                                  WHERE notice_id = n.id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
    drop(conn);
    let (stdout, _) = env.run(&["--journal", &copy_arg, "history", "--json"], 0);
    assert_eq!(stdout.lines().count() as u64, notices);
    let (stdout, _) = env.run(&["--journal", &copy_arg, "history", "show", "B00001"], 0);
    assert!(stdout.contains(r#""policyNo":"B00001""#), "{stdout}");
}

#[test]
fn a_backup_never_replaces_a_file_unless_forced() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    common::send_to(&env, &server.url)
        .args(["--policy", "P1", "--order-no", "O1"])
        .assert()
        .code(0);
    let copy = env.write("copy.sqlite3", "precious");
    let copy_arg = copy.display().to_string();
    let (_, stderr) = env.run(&["journal", "backup", &copy_arg], 2);
    assert!(
        stderr.contains("already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), "precious");
    let journal = env.journal().display().to_string();
    let (_, stderr) = env.run(&["journal", "backup", &journal, "--force"], 2);
    assert!(stderr.contains("is the journal itself"), "{stderr}");

    let (stdout, _) = env.run(&["journal", "backup", &copy_arg, "--force"], 0);
    assert!(stdout.contains("1 notices, 1 attempts"), "{stdout}");
    let (stdout, _) = env.run(&["--journal", &copy_arg, "history", "--json"], 0);
    assert!(stdout.contains(r#""policyNo":"P1""#), "{stdout}");
}

// journal prune

/// Today's date in China Standard Time, `days` back.
fn day_back(days: u64) -> String {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    (chrono::Utc::now().with_timezone(&cst).date_naive() - chrono::Days::new(days)).to_string()
}

#[test]
fn prune_drops_old_bodies_keeps_every_fact_and_says_so_in_history() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    for (policy, order) in [("OLD1", "A1"), ("NEW1", "A2")] {
        common::send_to(&env, &server.url)
            .args(["--policy", policy, "--order-no", order])
            .assert()
            .code(0);
    }
    // OLD1 was sent ten days ago.
    rusqlite::Connection::open(env.journal())
        .unwrap()
        .execute(
            "UPDATE attempts SET started_at = started_at - 10 * 86400000
             WHERE notice_id = (SELECT id FROM notices WHERE policy_no = 'OLD1')",
            [],
        )
        .unwrap();
    let (before, _) = env.run(&["history", "--json"], 0);

    let (stdout, stderr) = env.run(&["journal", "prune", "--bodies-before", &day_back(1)], 0);
    assert!(
        stdout.starts_with("pruned 2 bodies of 1 attempts started before"),
        "{stdout}"
    );
    assert!(stderr.contains("VACUUM"), "{stderr}");
    let (after, _) = env.run(&["history", "--json"], 0);
    assert_eq!(before, after, "every notice's facts are kept");

    let (old, _) = env.run(&["history", "show", "OLD1"], 0);
    let pruned = format!("- (body pruned on {})", day_back(0));
    assert!(old.contains(&format!("request   {pruned}")), "{old}");
    assert!(old.contains(&format!("answer    {pruned}")), "{old}");
    assert!(old.contains("state     accepted"), "{old}");
    let (new, _) = env.run(&["history", "show", "NEW1"], 0);
    assert!(new.contains(r#"request   {"head""#), "{new}");

    // Again: nothing left to prune before that day.
    let (stdout, _) = env.run(&["journal", "prune", "--bodies-before", &day_back(1)], 0);
    assert!(
        stdout.starts_with("pruned 0 bodies of 0 attempts"),
        "{stdout}"
    );
}

#[test]
fn prune_refuses_a_day_in_the_future_or_no_day() {
    let env = Env::new();
    let tomorrow = {
        let cst = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
        (chrono::Utc::now().with_timezone(&cst).date_naive() + chrono::Days::new(1)).to_string()
    };
    let (_, stderr) = env.run(&["journal", "prune", "--bodies-before", &tomorrow], 2);
    assert!(stderr.contains("is in the future"), "{stderr}");
    let (_, stderr) = env.run(&["journal", "prune", "--bodies-before", "last week"], 2);
    assert!(stderr.contains("yyyy-MM-dd"), "{stderr}");
}

// Bodies packed (schema version 6)

#[test]
fn bodies_stored_before_packing_read_the_same_before_and_after_the_upgrade() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    common::send_to(&env, &server.url)
        .args(["--policy", "P1", "--order-no", "O1"])
        .assert()
        .code(0);
    let request = r#"{"head":{"policySource":"HN_HT_QNW"},"secondRefundReq":{"policyNo":"P1"}}"#;
    // As version 5 stored them: text as it was, and bytes that were not UTF-8 as they were.
    let conn = rusqlite::Connection::open(env.journal()).unwrap();
    conn.execute_batch(&format!(
        "UPDATE attempts SET request = '{request}', answer = X'7B2261FF227D';
         ALTER TABLE attempts DROP COLUMN bodies_pruned_at;
         PRAGMA user_version = 5;"
    ))
    .unwrap();
    drop(conn);
    let shown = |env: &Env| {
        let (stdout, _) = env.run(&["history", "show", "P1", "--json"], 0);
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let a = &v["attemptList"][0];
        (a["request"].clone(), a["answer"].clone())
    };
    let before = shown(&env);
    assert_eq!(before.0, request);
    assert_eq!(before.1, "{\"a\u{FFFD}\"}");
    common::send_to(&env, &server.url)
        .args(["--policy", "P2", "--order-no", "O2"])
        .assert()
        .code(0);
    let conn = rusqlite::Connection::open(env.journal()).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 6);
    let kinds: Vec<String> = conn
        .prepare("SELECT typeof(request) || ' ' || typeof(answer) FROM attempts ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(kinds, ["text blob", "blob blob"]);
    assert_eq!(shown(&env), before);
}
