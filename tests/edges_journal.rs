//! The journal at its edges: a version 1 journal upgraded, paths that are not files, a
//! creation killed half-way, a full disk, and a journal on a read-only mount.

mod common;

use common::{json_lines, text, Env, Reply, Server};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The endpoint the version 1 fixture was written against (nothing listens there: every
/// notice these tests run over it is skipped or a dry run).
const FIXTURE_ENDPOINT: &str = "http://127.0.0.1:18740";
/// DUP1's first acceptance, recorded under the spelling `HTTP://127.0.0.1:18740/`.
const DUP1_FIRST_ORDER: &str = "QS261129214709678VAKIKO";
const DUP1_SECOND_ORDER: &str = "QS261129214710718Q4M0HJ";
const REJ1_ORDER: &str = "QS261129214710785OUUGKH";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The version 1 fixture, copied to the test's journal path.
fn v1_journal(env: &Env) -> PathBuf {
    let path = env.journal();
    std::fs::copy(data("journal-v1.sqlite3"), &path).unwrap();
    path
}

fn user_version(path: &Path) -> i64 {
    rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

fn history(env: &Env, extra: &[&str]) -> Vec<Value> {
    let out = env
        .cmd()
        .arg("history")
        .arg("--json")
        .args(extra)
        .assert()
        .code(0)
        .get_output()
        .clone();
    json_lines(&out.stdout)
}

fn fixture_send(env: &Env, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.args([
        "--base-url",
        FIXTURE_ENDPOINT,
        "--policy-source",
        "DEMO",
        "send",
    ])
    .args(extra);
    cmd
}

#[test]
fn a_version_1_journal_is_upgraded_once_and_keeps_every_notice() {
    let env = Env::new();
    let path = v1_journal(&env);
    assert_eq!(user_version(&path), 1);

    // The first writer upgrades; the accepted notices are skipped, under either spelling.
    for policy in ["ACC1", "DUP1"] {
        let out = fixture_send(&env, &["--policy", policy])
            .assert()
            .code(0)
            .get_output()
            .clone();
        assert!(
            text(&out.stdout).starts_with("skipped"),
            "{policy}: {out:?}"
        );
    }
    assert_eq!(user_version(&path), 4);

    let rows = history(&env, &[]);
    let mut policies: Vec<&str> = rows
        .iter()
        .map(|r| r["policyNo"].as_str().unwrap())
        .collect();
    policies.sort();
    assert_eq!(
        policies,
        ["ACC1", "DOUBT1", "DUP1", "FAIL1", "REJ1"],
        "{rows:?}"
    );
    let state = |p: &str| {
        rows.iter().find(|r| r["policyNo"] == p).unwrap()["state"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(state("ACC1"), "accepted");
    assert_eq!(state("REJ1"), "rejected");
    assert_eq!(state("FAIL1"), "failed");
    assert_eq!(state("DOUBT1"), "inDoubt");
    assert_eq!(state("DUP1"), "accepted");
    for r in &rows {
        assert_eq!(r["endpoint"], FIXTURE_ENDPOINT, "{r}");
    }
    // The row kept is the first acceptance; the other's attempt follows it.
    let dup = rows.iter().find(|r| r["policyNo"] == "DUP1").unwrap();
    assert_eq!(dup["orderNo"], DUP1_FIRST_ORDER, "{dup}");
    assert_eq!(dup["attempts"], 2, "{dup}");
    let mut attempts = history(&env, &["--attempts", "--policy", "DUP1"]);
    attempts.sort_by_key(|a| a["attempt"].as_u64());
    let seen: Vec<(u64, &str)> = attempts
        .iter()
        .map(|a| {
            (
                a["attempt"].as_u64().unwrap(),
                a["orderNo"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(seen, [(1, DUP1_FIRST_ORDER), (2, DUP1_SECOND_ORDER)]);

    // The in-doubt notice is resent under its orderNo, the rejected one found under the
    // respelled key: the journal's orderNo is used, no new one is needed.
    let out = fixture_send(&env, &["--policy", "REJ1", "--dry-run", "--retry-rejected"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(text(&out.stdout).contains(REJ1_ORDER), "{out:?}");
}

#[test]
fn readers_of_a_version_1_journal_normalise_endpoints_and_change_nothing() {
    let env = Env::new();
    let path = v1_journal(&env);
    let before = std::fs::read(&path).unwrap();

    // REJ1 was recorded under 'http://127.0.0.1:18740/': found under the canonical key.
    let out = fixture_send(&env, &["--policy", "REJ1", "--dry-run", "--retry-rejected"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(text(&out.stdout).contains(REJ1_ORDER), "{out:?}");
    let out = fixture_send(&env, &["--policy", "DUP1", "--dry-run"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(
        text(&out.stderr).contains(&format!(
            "already accepted under orderNo {DUP1_FIRST_ORDER}"
        )),
        "{out:?}"
    );
    let rows = history(
        &env,
        &["--environment", FIXTURE_ENDPOINT, "--policy", "REJ1"],
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["endpoint"], FIXTURE_ENDPOINT);

    assert_eq!(user_version(&path), 1);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_journal_of_a_newer_schema_is_refused_by_writers_and_readers() {
    let env = Env::new();
    let path = v1_journal(&env);
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 5)
        .unwrap();
    let expected = "newer avatar-cli (schema version 5, this one knows up to 4)";
    let out = fixture_send(&env, &["--policy", "ACC1"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(text(&out.stderr).contains(expected), "{out:?}");
    let out = env
        .cmd()
        .arg("history")
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(text(&out.stderr).contains(expected), "{out:?}");
    assert_eq!(user_version(&path), 5);
}

/// `send`, `send --dry-run` and `history` on `journal`: each must exit 2 at once, naming the
/// path and what it is. A FIFO would block an open for good, so every run has a time limit.
fn refused_everywhere(env: &Env, server: &Server, journal: &Path, what: &str) {
    let shown = journal.display().to_string();
    let runs: [&[&str]; 3] = [
        &["send", "--policy", "P1", "--generate-order-no"],
        &["send", "--policy", "P1", "--generate-order-no", "--dry-run"],
        &["history"],
    ];
    for args in runs {
        let out = env
            .cmd()
            .timeout(Duration::from_secs(20))
            .arg("--journal")
            .arg(journal)
            .args(["--base-url", &server.url, "--policy-source", "DEMO"])
            .args(args)
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what} {args:?}: {out:?}");
        assert!(
            stderr.contains(&format!("{shown} is {what}, not a regular file")),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
#[cfg(unix)]
fn a_journal_path_that_is_not_a_regular_file_is_refused_before_it_is_opened() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);

    let fifo = env.path("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    refused_everywhere(&env, &server, &fifo, "a named pipe (FIFO)");

    let socket = env.path("socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    refused_everywhere(&env, &server, &socket, "a socket");

    refused_everywhere(&env, &server, Path::new("/dev/null"), "a character device");
    refused_everywhere(&env, &server, Path::new("/dev/zero"), "a character device");
    refused_everywhere(&env, &server, env.dir.path(), "a directory");

    // A symlink to a regular file is fine.
    let target = env.path("real.sqlite3");
    let link = env.path("link.sqlite3");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = env
        .cmd()
        .arg("--journal")
        .arg(&link)
        .args(["history"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(text(&out.stderr).contains("a symbolic link to a file that does not exist"));
    std::fs::write(&target, "").unwrap();
    env.cmd()
        .arg("--journal")
        .arg(&link)
        .args(["history"])
        .assert()
        .code(0);
}

/// Sends P to `server` with `journal`, expecting it accepted now or skipped as accepted by the
/// run that was killed, then reads it back from `history`.
fn sends_and_reads(env: &Env, server: &Server, journal: &Path, policy: &str) {
    let out = env
        .cmd()
        .arg("--journal")
        .arg(journal)
        .args(["--base-url", &server.url, "--policy-source", "DEMO"])
        .args(["send", "--policy", policy, "--generate-order-no"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{policy}: {out:?}");
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("accepted") || stdout.starts_with("skipped"),
        "{policy}: {out:?}"
    );
    let out = env
        .cmd()
        .arg("--journal")
        .arg(journal)
        .args(["history", "--json", "--policy", policy])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{policy}: {out:?}");
    let rows = json_lines(&out.stdout);
    assert_eq!(rows.len(), 1, "{policy}: {out:?}");
    assert_eq!(rows[0]["state"], "accepted", "{policy}: {out:?}");
}

#[test]
fn a_run_killed_in_its_first_milliseconds_never_bricks_a_new_journal() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let started = Instant::now();
    let tries = 40;
    for i in 0..tries {
        let journal = env.path(&format!("try{i}/journal.sqlite3"));
        let policy = format!("P{i}");
        let mut child = env
            .std_cmd()
            .arg("--journal")
            .arg(&journal)
            .args(["--base-url", &server.url, "--policy-source", "DEMO"])
            .args(["send", "--policy", &policy, "--generate-order-no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Not a wait for anything: the kill is meant to land at a random point of start-up.
        std::thread::sleep(Duration::from_millis(fastrand::u64(0..=30)));
        let _ = child.kill();
        let _ = child.wait();
        sends_and_reads(&env, &server, &journal, &policy);
        // No temporary file of a creation is left once the journal is in place.
        let dir = journal.parent().unwrap();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(!name.ends_with(".new"), "try {i}: {name} left behind");
        }
    }
    eprintln!("{tries} kills in {:?}", started.elapsed());
}

#[test]
fn a_creation_killed_half_way_by_an_older_version_is_recovered() {
    // Captured from a run killed ~5 ms after start: a 4 KiB file with no schema, in rollback
    // mode, and the hot rollback file of its switch to WAL.
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let journal = env.journal();
    for suffix in ["", "-journal"] {
        std::fs::copy(
            data(&format!("halfmade/journal.sqlite3{suffix}")),
            env.path(&format!("journal.sqlite3{suffix}")),
        )
        .unwrap();
    }
    assert_eq!(std::fs::metadata(&journal).unwrap().len(), 4096);
    // A reader first (history, and the read `send` does before it writes) ...
    let out = env.cmd().arg("history").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(text(&out.stderr).contains("no journal at"), "{out:?}");
    // ... then a writer.
    sends_and_reads(&env, &server, &journal, "P1");
    assert!(!env.path("journal.sqlite3-journal").exists());
}

#[test]
fn a_writer_killed_with_a_rollback_file_on_a_real_journal_loses_no_record() {
    // A journal of ours with a hot rollback file: a process was killed mid-transaction in
    // rollback mode. A write-capable read rolls the file back; a reader alone could not.
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let journal = env.journal();
    sends_and_reads(&env, &server, &journal, "P1");

    let crashed = env.path("crashed");
    std::fs::create_dir(&crashed).unwrap();
    let conn = rusqlite::Connection::open(&journal).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = DELETE; PRAGMA cache_size = 1; BEGIN IMMEDIATE;
         UPDATE notices SET state = 'rejected', deal_desc = hex(randomblob(3000));
         CREATE TABLE filler (x); INSERT INTO filler
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
             SELECT hex(randomblob(500)) FROM n;",
    )
    .unwrap();
    for name in ["journal.sqlite3", "journal.sqlite3-journal"] {
        std::fs::copy(env.path(name), crashed.join(name)).unwrap();
    }
    conn.execute_batch("ROLLBACK").unwrap();
    drop(conn);
    let copy = crashed.join("journal.sqlite3");
    assert!(
        crashed
            .join("journal.sqlite3-journal")
            .metadata()
            .unwrap()
            .len()
            > 0
    );

    let out = env
        .cmd()
        .arg("--journal")
        .arg(&copy)
        .args(["history", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let rows = json_lines(&out.stdout);
    assert_eq!(rows.len(), 1, "{out:?}");
    assert_eq!(rows[0]["state"], "accepted", "{out:?}");
    // And a writer picks it up as it was, in WAL mode again.
    sends_and_reads(&env, &server, &copy, "P1");
}

/// Runs `script` with `sh` in a mount namespace of its own (so a mount there is seen by
/// nothing else and goes when it ends), with the binary as `$BIN` and the test's environment.
/// `None`, with a note, where this machine does not allow it (no `unshare`, not root and no
/// user namespaces, or `mount` refused: the script exits 77 for that).
fn in_mount_namespace(env: &Env, script: &str) -> Option<Output> {
    let bin = assert_cmd::cargo::cargo_bin("avatar-cli");
    for flags in [&["-m"][..], &["-r", "-m"][..]] {
        let std = env.std_cmd();
        let mut cmd = Command::new("unshare");
        cmd.env_clear();
        for (k, v) in std.get_envs() {
            if let Some(v) = v {
                cmd.env(k, v);
            }
        }
        let out = cmd
            .args(flags)
            .args(["sh", "-c", script])
            .env("BIN", &bin)
            .env("DIR", env.dir.path())
            .output();
        match out {
            Ok(out) if out.status.code() == Some(77) => {
                eprintln!("note: mount refused here: {}", text(&out.stderr));
                continue;
            }
            Ok(out) if text(&out.stderr).starts_with("unshare:") => continue,
            Ok(out) => return Some(out),
            Err(e) => {
                eprintln!("note: no unshare here ({e})");
                return None;
            }
        }
    }
    eprintln!("note: skipped: this machine allows no private mount for the test");
    None
}

#[test]
fn a_full_disk_is_named_as_such_not_as_permissions_or_io() {
    let env = Env::new();
    let server = Server::always(Reply::accept());
    let rows: String = (0..200).map(|i| format!("Q{i}\n")).collect();
    env.write("rows.csv", format!("policyNo\n{rows}"));
    let script = r#"
        set -u
        mkdir -p "$DIR/small"
        mount -t tmpfs -o size=16m tmpfs "$DIR/small" || exit 77
        J="$DIR/small/journal.sqlite3"
        run() { "$BIN" --journal "$J" --base-url "$URL" --policy-source DEMO "$@"; }
        run send --policy P0 --generate-order-no >/dev/null 2>&1 || { echo "first send failed" >&2; exit 90; }
        # No room at all; then a little (what the reserve held); then plenty.
        dd if=/dev/zero of="$DIR/small/reserve" bs=4k count=32 2>/dev/null
        dd if=/dev/zero of="$DIR/small/fill" bs=64k 2>/dev/null
        echo "--- at open"
        run batch "$DIR/rows.csv" --generate-order-no 2>&1 >/dev/null; echo "rc=$?"
        rm "$DIR/small/reserve"
        echo "--- mid-run"
        run batch "$DIR/rows.csv" --generate-order-no 2>&1 >/dev/null; echo "rc=$?"
        rm "$DIR/small/fill"
        echo "--- after freeing space"
        run batch "$DIR/rows.csv" --generate-order-no 2>&1 >/dev/null; echo "rc=$?"
    "#;
    let script = script.replace("$URL", &server.url);
    let Some(out) = in_mount_namespace(&env, &script) else {
        return;
    };
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let parts: Vec<&str> = stdout.split("--- ").skip(1).collect();
    assert_eq!(parts.len(), 3, "{stdout}");
    let full = "the disk holding the journal";
    for part in &parts[..2] {
        assert!(part.contains(full), "{stdout}");
        assert!(
            part.contains("is full; free space, then run again"),
            "{stdout}"
        );
        assert!(!part.contains("permissions"), "{stdout}");
        assert!(!part.contains("disk I/O error"), "{stdout}");
        assert!(!part.contains("rc=0"), "{stdout}");
    }
    assert!(parts[0].contains("rc=2"), "{stdout}");
    // Once there is room again, the run completes.
    assert!(parts[2].contains("rc=0"), "{stdout}");
    assert!(!parts[2].contains(full), "{stdout}");
}

#[test]
fn history_and_dry_run_read_a_journal_on_a_read_only_mount() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(2);
    let archive = env.path("archive");
    let journal = archive.join("journal.sqlite3");
    sends_and_reads(&env, &server, &journal, "P1");
    // Archived as the file alone: no WAL index for SQLite to use, none it may create.
    for suffix in ["-wal", "-shm"] {
        let sidecar = archive.join(format!("journal.sqlite3{suffix}"));
        if let Ok(m) = std::fs::metadata(&sidecar) {
            assert_eq!(m.len() > 0, suffix == "-shm", "{suffix}");
            std::fs::remove_file(sidecar).unwrap();
        }
    }

    // A second archive whose WAL still holds a commit, as when it was copied while in use.
    let unclean = env.path("unclean");
    std::fs::create_dir(&unclean).unwrap();
    let live = env.path("live.sqlite3");
    sends_and_reads(&env, &server, &live, "P2");
    let conn = rusqlite::Connection::open(&live).unwrap();
    conn.execute_batch(
        "PRAGMA wal_autocheckpoint = 0; UPDATE notices SET deal_desc = 'changed later'",
    )
    .unwrap();
    for suffix in ["", "-wal"] {
        std::fs::copy(
            env.path(&format!("live.sqlite3{suffix}")),
            unclean.join(format!("journal.sqlite3{suffix}")),
        )
        .unwrap();
    }
    drop(conn);
    assert!(
        unclean
            .join("journal.sqlite3-wal")
            .metadata()
            .unwrap()
            .len()
            > 0
    );

    let script = r#"
        set -u
        for d in archive unclean; do
            mount --bind "$DIR/$d" "$DIR/$d" && mount -o remount,ro,bind "$DIR/$d" "$DIR/$d" || exit 77
        done
        echo "--- history"
        "$BIN" --journal "$DIR/archive/journal.sqlite3" history --json; echo "rc=$?"
        echo "--- dry run"
        "$BIN" --journal "$DIR/archive/journal.sqlite3" --base-url "$URL" --policy-source DEMO send --policy P1 --dry-run 2>&1; echo "rc=$?"
        echo "--- unclean"
        "$BIN" --journal "$DIR/unclean/journal.sqlite3" history 2>&1; echo "rc=$?"
        echo "--- files"
        ls "$DIR/archive"
    "#;
    let script = script.replace("$URL", &server.url);
    let Some(out) = in_mount_namespace(&env, &script) else {
        return;
    };
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let parts: Vec<&str> = stdout.split("--- ").skip(1).collect();
    assert_eq!(parts.len(), 4, "{stdout}");
    let rows: Vec<Value> = parts[0]
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{stdout}");
    assert_eq!(rows[0]["policyNo"], "P1");
    assert_eq!(rows[0]["state"], "accepted");
    assert!(parts[0].contains("rc=0"), "{stdout}");
    assert!(
        parts[1].contains("P1: would be skipped: already accepted") && parts[1].contains("rc=0"),
        "{stdout}"
    );
    assert!(parts[2].contains("was not closed cleanly"), "{stdout}");
    assert!(parts[2].contains("journal.sqlite3-wal"), "{stdout}");
    assert!(parts[2].contains("rc=2"), "{stdout}");
    assert!(!parts[2].contains("permissions"), "{stdout}");
    assert_eq!(parts[3].trim(), "files\njournal.sqlite3", "{stdout}");
}
