//! Input at its edges: flags out of range, values too long to quote, files with nothing in
//! them, duplicate keys, a UTF-8 file with one stray byte. Every case over the built binary.

mod common;

use common::{Env, Reply, Server};

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

// 7. --concurrency has an upper bound, from the flag and from the config.

#[test]
fn concurrency_past_1024_is_refused_before_anything_is_sent() {
    let env = Env::new();
    let file = env.write("c.csv", policies_csv(5));
    let server = Server::always(Reply::accept()).expect_hits(0);
    for n in ["1025", "2000", "1000000", "0"] {
        let mut args = batch_args(&server, file.to_str().unwrap());
        args.extend(["--concurrency", n]);
        let (_, stderr) = env.run(&args, 2);
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
    let (_, stderr) = env.run(&args, 2);
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
    env.run(&args, 0);
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
        let (_, stderr) = env.run(&args, 2);
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
        env.run(&args, 0);
    }
}

// 10. A message quotes at most a short, one-line piece of any value.

/// The stderr lines that mention `needle`.
fn lines_with<'a>(stderr: &'a str, needle: &str) -> Vec<&'a str> {
    stderr.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn a_megabyte_cell_is_quoted_short_on_its_line() {
    let env = Env::new();
    let mut csv = String::from("policyNo,amount\n");
    csv.push_str(&format!("P1,{}\n", "9x".repeat(512 * 1024)));
    csv.push_str(&format!("{},1\n", "P".repeat(1 << 20)));
    csv.push_str("P3,1\n");
    let file = env.write("big.csv", csv);
    let server = Server::always(Reply::accept()).expect_hits(0);
    let (_, stderr) = env.run(&batch_args(&server, file.to_str().unwrap()), 2);
    assert!(stderr.len() < 4096, "{} bytes of stderr", stderr.len());
    let amount = lines_with(&stderr, "big.csv:2: amount: '9x9x");
    assert_eq!(amount.len(), 1, "{stderr}");
    assert!(
        amount[0].contains("…' is not a non-negative amount"),
        "{stderr}"
    );
    let policy = lines_with(&stderr, "big.csv:3: policyNo: policy number 'PPP");
    assert_eq!(policy.len(), 1, "{stderr}");
    assert!(
        policy[0].contains("…' is longer than 64 characters"),
        "{stderr}"
    );
}

#[test]
fn a_quoted_cell_of_ten_thousand_lines_is_one_line_of_message() {
    let env = Env::new();
    let mut csv = String::from("policyNo,amount,refund_date\n");
    csv.push_str(&format!("P1,\"{}\",\n", "1\n".repeat(10_000)));
    csv.push_str(&format!("P2,1,\"{}\"\n", "\r\n\u{1b}[2J".repeat(10_000)));
    csv.push_str("P3,x,\n");
    let file = env.write("tall.csv", csv);
    let server = Server::always(Reply::accept()).expect_hits(0);
    let (_, stderr) = env.run(&batch_args(&server, file.to_str().unwrap()), 2);
    assert!(stderr.len() < 4096, "{} bytes of stderr", stderr.len());
    assert!(stderr.lines().count() <= 5, "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "a control character reached the terminal"
    );
    let amount = lines_with(&stderr, "tall.csv:2: amount: '1\\n1\\n");
    assert_eq!(amount.len(), 1, "{stderr}");
    // Cells are trimmed, so the quote starts at the first escape sequence.
    let date = lines_with(&stderr, "tall.csv:10003: refund_date: '\\u{1b}[2J\\r\\n");
    assert_eq!(date.len(), 1, "{stderr}");
    // The line count after both tall cells is still right.
    assert_eq!(
        lines_with(&stderr, "tall.csv:20004: amount: 'x'").len(),
        1,
        "{stderr}"
    );
}

#[test]
fn a_megabyte_json_key_or_value_is_quoted_short() {
    let env = Env::new();
    let jsonl = format!(
        "{{\"policyNo\":\"P1\",\"{}\":1}}\n{{\"policyNo\":\"P2\",\"status\":\"{}\"}}\n",
        "k\\n".repeat(300_000),
        "s".repeat(1 << 20)
    );
    let file = env.write("big.jsonl", jsonl);
    let server = Server::always(Reply::accept()).expect_hits(0);
    let (_, stderr) = env.run(&batch_args(&server, file.to_str().unwrap()), 2);
    assert!(stderr.len() < 4096, "{} bytes of stderr", stderr.len());
    assert_eq!(
        lines_with(&stderr, "big.jsonl:1: k\\nk\\n").len(),
        1,
        "{stderr}"
    );
    assert_eq!(
        lines_with(&stderr, "big.jsonl:2: status: status 'sss").len(),
        1,
        "{stderr}"
    );
}

// 13. Nothing to do is said, and an empty policy number is an error.

#[test]
fn an_empty_policy_number_is_an_error_for_send_and_validate() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    for blank in ["", " ", "\t"] {
        let mut args = send_args(&server);
        args.extend(["--policy", blank]);
        let (_, stderr) = env.run(&args, 2);
        assert!(
            stderr.contains("--policy: policy number is empty"),
            "{blank:?}: {stderr}"
        );
        let (stdout, _) = env.run(&["validate", "--policy", blank], 2);
        assert!(
            stdout.contains("--policy: policy number is empty"),
            "{blank:?}: {stdout}"
        );
    }
    assert!(!env.journal().exists());
}

#[test]
fn a_file_without_notices_is_said_but_not_an_error() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    for (name, contents) in [
        ("header.csv", "policyNo,amount\r\n"),
        ("zero.csv", ""),
        ("zero.jsonl", ""),
        ("blank.jsonl", "\n\n"),
    ] {
        let file = env.write(name, contents);
        let path = file.to_str().unwrap();
        let (_, stderr) = env.run(&batch_args(&server, path), 0);
        let warning = format!("warning: {path}: no notices in it");
        assert!(stderr.contains(&warning), "{name}: {stderr}");
        let (_, stderr) = env.run(&["validate", path], 0);
        assert!(stderr.contains(&warning), "{name}: {stderr}");
    }
}

// 15. A key given twice in a JSON line is an error, as a column given twice is.

#[test]
fn a_duplicate_json_key_is_an_error_naming_line_and_key() {
    let env = Env::new();
    let file = env.write(
        "dup.jsonl",
        "{\"policyNo\":\"P0\"}\n\
         {\"policyNo\":\"P1\",\"orderNo\":\"O1\",\"orderNo\":\"O9\"}\n\
         {\"policyNo\":\"P2\",\"policy_no\":\"P3\"}\n\
         {\"policyNo\":\"P4\",\"amount\":1,\"AMOUNT\":1}\n",
    );
    let path = file.to_str().unwrap();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let (_, stderr) = env.run(&batch_args(&server, path), 2);
    assert!(
        stderr.contains("dup.jsonl:2: orderNo: the key orderNo appears twice; keep one"),
        "{stderr}"
    );
    assert!(
        stderr.contains("dup.jsonl:3: policy_no: the key policy_no is the same field as policyNo"),
        "{stderr}"
    );
    assert!(
        stderr.contains("dup.jsonl:4: AMOUNT: the key AMOUNT is the same field as amount"),
        "{stderr}"
    );
    assert!(stderr.contains("3 problem(s)"), "{stderr}");
    let (stdout, _) = env.run(&["validate", path], 2);
    assert!(
        stdout.contains("dup.jsonl:2: orderNo: the key orderNo appears twice"),
        "{stdout}"
    );
}

// A UTF-8 file with a stray byte is not taken for GBK.

#[test]
fn a_stray_byte_in_a_utf8_file_is_located_not_read_as_gbk() {
    let env = Env::new();
    let server = Server::always(Reply::accept()).expect_hits(0);
    let mut bytes = "保单号,退费金额\nP1,1\n".as_bytes().to_vec();
    bytes.extend_from_slice(b"P2,2\xff\n");
    let chinese = env.write("chinese.csv", &bytes);
    // No Chinese at all, one Latin-1 byte (é) among thousands.
    let mut bytes = policies_csv(500).into_bytes();
    bytes.extend_from_slice(b"PX\xe9,1\n");
    let ascii = env.write("ascii.csv", &bytes);
    for (file, line, column) in [(&chinese, 3, 5), (&ascii, 502, 3)] {
        let path = file.to_str().unwrap();
        let expected = format!(
            "{path} is not valid UTF-8 at line {line} (byte {column} of the line); save the file as UTF-8 again, or pass --encoding gb18030"
        );
        let (_, stderr) = env.run(&batch_args(&server, path), 2);
        assert!(stderr.contains(&expected), "{stderr}");
        assert!(!stderr.contains("GB18030"), "{stderr}");
        let (_, stderr) = env.run(&["validate", path], 2);
        assert!(stderr.contains(&expected), "{stderr}");
    }
}

#[test]
fn a_real_gbk_file_is_still_read_as_gb18030() {
    let env = Env::new();
    // Chinese Excel's "CSV": a Chinese header and note column, the rest ASCII.
    let mut text = String::from("保单号,退费金额,备注\n");
    for i in 1..=2000 {
        text.push_str(&format!("P{i:05},{},\n", i % 100));
    }
    text.push_str("P99999,1,客户退保\n");
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    let file = env.write("gbk.csv", &gbk);
    let (stdout, stderr) = env.run(
        &["validate", file.to_str().unwrap(), "--generate-order-no"],
        0,
    );
    // The Chinese header reads as Chinese: the note column is named as written.
    assert!(
        stdout.contains(":1: 备注: warning: unknown column"),
        "{stdout}"
    );
    assert!(
        stderr.contains("is not valid UTF-8; reading it as GB18030"),
        "{stderr}"
    );
    assert!(
        stderr.contains("2001 valid notice(s), 0 error(s)"),
        "{stderr}"
    );
    // A short one, all Chinese, sent.
    let (gbk, _, _) = encoding_rs::GBK.encode("保单号,退费金额\nP1,1\nP2,2\n");
    let file = env.write("short.csv", &gbk);
    let server = Server::always(Reply::accept()).expect_hits(2);
    let (_, stderr) = env.run(&batch_args(&server, file.to_str().unwrap()), 0);
    assert!(
        stderr.contains("is not valid UTF-8; reading it as GB18030"),
        "{stderr}"
    );
    let amounts: Vec<_> = server
        .seen()
        .iter()
        .map(|s| s.body["secondRefundReq"]["secondRefundAmount"].clone())
        .collect();
    assert_eq!(amounts.len(), 2);
    assert!(
        amounts.iter().any(|a| a.as_f64() == Some(2.0)),
        "{amounts:?}"
    );
}

// batch says "warning:" once.

#[test]
fn a_batch_warning_says_warning_once() {
    let env = Env::new();
    let file = env.write("w.csv", "policyNo,extra\nP1,x\n");
    let path = file.to_str().unwrap();
    let server = Server::always(Reply::accept()).expect_hits(1);
    let (_, stderr) = env.run(&batch_args(&server, path), 0);
    let lines = lines_with(&stderr, "unknown column");
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with(&format!(
            "warning: {path}:1: extra: unknown column, ignored"
        )),
        "{stderr}"
    );
    assert_eq!(lines[0].matches("warning").count(), 1, "{stderr}");
    // validate, which has no label, still says it.
    let (stdout, _) = env.run(&["validate", path, "--generate-order-no"], 0);
    assert!(
        stdout.contains(&format!("{path}:1: extra: warning: unknown column")),
        "{stdout}"
    );
}
