//! The files the tests feed the binary: input files of a given size, a config naming a test
//! server, the committed fixtures under tests/data, and the files SQLite keeps beside a journal.

use super::{Env, Server, CHANNEL};
use std::path::{Path, PathBuf};

/// A CSV of `n` policies P00001… with amounts, without order numbers.
pub fn policies_csv(n: usize) -> String {
    let mut csv = String::from("policyNo,amount\n");
    for i in 1..=n {
        csv.push_str(&format!("P{i:05},{}.{:02}\n", i % 1000, i % 100));
    }
    csv
}

/// A CSV of `n` policies P1… with order numbers O1…, written to c.csv; its path.
pub fn policies_with_orders(env: &Env, n: usize) -> String {
    let mut csv = String::from("policyNo,orderNo\n");
    for i in 1..=n {
        csv.push_str(&format!("P{i},O{i}\n"));
    }
    env.write("c.csv", csv).to_str().unwrap().to_string()
}

/// A CSV of `policies` with every optional field but the installments, in the spec's names.
pub fn csv_of(policies: &[&str]) -> String {
    let mut csv = String::from("policyNo,secondRefundAmount,secondRefundDate,secondRefundStatus\n");
    for (i, p) in policies.iter().enumerate() {
        csv.push_str(&format!("{p},{}.50,2024-05-10 12:00:00,{}\n", i + 1, i % 2));
    }
    csv
}

/// A config.toml naming `server` as the test platform, with the channel code and `extra` keys.
pub fn config_for(env: &Env, server: &Server, extra: &str) -> PathBuf {
    env.write(
        "config.toml",
        format!(
            "policy_source = \"{CHANNEL}\"\n{extra}\n[environments.test]\nbase_url = \"{}\"\n",
            server.url
        ),
    )
}

/// A committed file under tests/data.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The journal and the files SQLite keeps beside it.
pub fn journal_files(journal: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|suffix| {
            let mut name = journal.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        })
        .collect()
}
