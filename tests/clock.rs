//! Whatever the machine's clock says, nothing panics, and nothing is sent stamped with a time
//! no notice can carry (before 1970, or year 10000 and after): `send` and `batch` refuse with
//! exit 2, the commands that send nothing still work. The clock is set per process with
//! libfaketime (Debian's `faketime` package, which `.ci/run` installs); without it these tests
//! fail, saying so.

mod common;

use common::clock::clock_at;
use common::{text, Env, Reply, Server};

/// The clocks no notice can carry, as libfaketime takes them, each with a name for messages.
fn impossible_clocks() -> Vec<(&'static str, String)> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // 10000-01-02T00:00:00Z, as an offset from now in seconds (libfaketime cannot parse a
    // five-digit year).
    let year_10000 = 253_402_387_200_u64 - now;
    vec![
        ("before 1970", "@1969-12-31 23:59:00".to_string()),
        ("year 10000", format!("+{year_10000}")),
    ]
}

fn at(env: &Env, clock: &str) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    clock_at(&mut cmd, clock);
    cmd
}

fn no_panic(what: &str, out: &std::process::Output) {
    let stderr = text(&out.stderr);
    assert!(
        !stderr.contains("panicked") && out.status.code() != Some(101),
        "{what}: {stderr}"
    );
}

#[test]
fn send_and_batch_refuse_a_clock_no_notice_can_carry_and_send_nothing() {
    let server = Server::always(Reply::accept()).expect_hits(0);
    for (name, clock) in impossible_clocks() {
        let env = Env::new();
        let file = env.write("c.csv", "policyNo,orderNo\nP1,O1\nP2,O2\n");
        let target = ["--base-url", &server.url, "--policy-source", "HN_HT_QNW"];
        let runs: [Vec<&str>; 3] = [
            vec!["send", "--policy", "P1", "--order-no", "O1"],
            vec!["send", "--policy", "P1", "--generate-order-no", "--json"],
            vec!["batch", file.to_str().unwrap(), "--generate-order-no"],
        ];
        for args in runs {
            let out = at(&env, &clock).args(target).args(&args).output().unwrap();
            let what = format!("{name}: {args:?}");
            no_panic(&what, &out);
            assert_eq!(out.status.code(), Some(2), "{what}: {}", text(&out.stderr));
            assert!(
                text(&out.stderr).contains("a time no notice can carry"),
                "{what}: {}",
                text(&out.stderr)
            );
            // No result; with --json, only the summary of a refused run.
            if args.contains(&"--json") {
                assert_eq!(common::summary_line(&out.stdout)["exitCode"], 2, "{what}");
                assert!(common::json_lines(&out.stdout).is_empty(), "{what}");
            } else {
                assert!(out.stdout.is_empty(), "{what}: {}", text(&out.stdout));
            }
        }
        assert!(!env.journal().exists(), "{name}: a journal was created");
    }
}

#[test]
fn history_doctor_and_dry_runs_do_not_panic_whatever_the_clock() {
    let server = Server::always(Reply::accept());
    let env = Env::new();
    let target = ["--base-url", &server.url, "--policy-source", "HN_HT_QNW"];
    // A journal with one notice, written while the clock was right.
    env.cmd()
        .args(target)
        .args(["send", "--policy", "P1", "--order-no", "O1"])
        .assert()
        .code(0);
    for (name, clock) in impossible_clocks() {
        for args in [
            vec!["history"],
            vec!["history", "--since", "1h", "--json"],
            vec!["history", "--attempts"],
            vec!["history", "show", "P1"],
        ] {
            let out = at(&env, &clock).args(&args).output().unwrap();
            let what = format!("{name}: {args:?}");
            no_panic(&what, &out);
            assert_eq!(out.status.code(), Some(0), "{what}: {}", text(&out.stderr));
        }
        let out = at(&env, &clock)
            .args(target)
            .arg("doctor")
            .output()
            .unwrap();
        no_panic(name, &out);
        let report = text(&out.stdout);
        assert!(
            report.contains("FAIL Clock") && report.contains("a time no notice can carry"),
            "{name}: {report}"
        );
        // A dry run shows what would be sent: nothing can be.
        let out = at(&env, &clock)
            .args(target)
            .args(["send", "--policy", "P2", "--order-no", "O2", "--dry-run"])
            .output()
            .unwrap();
        no_panic(name, &out);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", text(&out.stderr));
    }
    // Only the first notice was sent; doctor's HEADs carry none.
    let notices: Vec<_> = server
        .seen()
        .iter()
        .map(|s| s.policy_no().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    assert_eq!(notices, ["P1"]);
}
