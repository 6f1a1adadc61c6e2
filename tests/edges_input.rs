//! Input at its edges: flags out of range, values too long to quote, files with nothing in
//! them, duplicate keys, a UTF-8 file with one stray byte. Every case over the built binary.

mod common;

use common::{text, Env, Reply, Server};

/// A CSV of `n` policies P000001…, without order numbers.
fn policies_csv(n: usize) -> String {
    let mut csv = String::from("policyNo,amount\n");
    for i in 1..=n {
        csv.push_str(&format!("P{i:06},{}\n", i % 1000));
    }
    csv
}

fn batch_args<'a>(server: &'a Server, file: &'a str) -> Vec<&'a str> {
    vec![
        "--base-url",
        &server.url,
        "--policy-source",
        "HN_HT_QNW",
        "batch",
        file,
        "--generate-order-no",
    ]
}

fn send_args(server: &Server) -> Vec<&str> {
    vec![
        "--base-url",
        &server.url,
        "--policy-source",
        "HN_HT_QNW",
        "send",
        "--generate-order-no",
    ]
}

/// Runs the binary, expecting `code`; gives back (stdout, stderr).
fn run(env: &Env, args: &[&str], code: i32) -> (String, String) {
    let out = env
        .cmd()
        .args(args)
        .assert()
        .code(code)
        .get_output()
        .clone();
    (text(&out.stdout), text(&out.stderr))
}

// 7. --concurrency has an upper bound, from the flag and from the config.

#[test]
fn concurrency_past_1024_is_refused_before_anything_is_sent() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(5));
    let server = Server::always(Reply::accept()).expect_hits(0);
    for n in ["1025", "2000", "1000000", "0"] {
        let mut args = batch_args(&server, file.to_str().unwrap());
        args.extend(["--concurrency", n]);
        let (_, stderr) = run(&env, &args, 2);
        assert!(stderr.contains("--concurrency"), "{n}: {stderr}");
        assert!(stderr.contains("from 1 to 1024"), "{n}: {stderr}");
    }
    assert!(!env.journal().exists());
}

#[test]
fn concurrency_past_1024_in_the_config_is_refused() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(5));
    let config = env.write("config.toml", "concurrency = 5000\n");
    let server = Server::always(Reply::accept()).expect_hits(0);
    let mut args = vec!["--config", config.to_str().unwrap()];
    args.extend(batch_args(&server, file.to_str().unwrap()));
    let (_, stderr) = run(&env, &args, 2);
    assert!(
        stderr.contains("concurrency must be from 1 to 1024"),
        "{stderr}"
    );
}

#[test]
fn concurrency_1024_is_allowed_and_sends_every_row() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(5));
    let server = Server::always(Reply::accept()).expect_hits(5);
    let mut args = batch_args(&server, file.to_str().unwrap());
    args.extend(["--concurrency", "1024"]);
    run(&env, &args, 0);
}

// 8. --rate is a finite number in a stated range; nothing panics.

#[test]
fn a_rate_out_of_range_is_a_usage_error_naming_the_range() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(3));
    let server = Server::always(Reply::accept()).expect_hits(0);
    for rate in [
        "1e-19", "1e-300", "0", "-5", "0.001", "100001", "1e300", "inf", "NaN", "fast",
    ] {
        let mut args = batch_args(&server, file.to_str().unwrap());
        args.extend(["--rate", rate]);
        let (_, stderr) = run(&env, &args, 2);
        assert!(stderr.contains("--rate"), "{rate}: {stderr}");
        assert!(stderr.contains("from 0.01 to 100000"), "{rate}: {stderr}");
        assert!(!stderr.contains("panicked"), "{rate}: {stderr}");
    }
}

#[test]
fn rates_at_both_ends_of_the_range_send() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(1));
    let server = Server::always(Reply::accept()).expect_hits(2);
    for rate in ["0.01", "100000"] {
        let mut args = batch_args(&server, file.to_str().unwrap());
        args.extend(["--rate", rate, "--force"]);
        run(&env, &args, 0);
    }
}
