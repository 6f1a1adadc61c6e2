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
