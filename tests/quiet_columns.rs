//! Quiet logs for nightly runs: a column (or JSON key) that is no field is said once per run,
//! and `--ignore-column NAME` or the config's `ignore_columns` leaves it unsaid. Over the
//! built binary, `batch` against the tests' own server on loopback.

mod common;

use common::{json_lines, text, Env, Reply, Server};
use std::path::PathBuf;

/// Two columns that are no field, one of them ASCII so that case can be tested.
const TWO_UNKNOWN: &str = "policyNo,客户姓名,amount,Remark\nP1,张三,1.00,x\nP2,李四,2.00,y\n";

/// The lines of `output` that speak of an unknown column or key.
fn unknown_lines(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|l| l.contains("unknown column") || l.contains("unknown key"))
        .collect()
}

/// `batch FILE --generate-order-no --force …` against `server`, expecting `code`; gives back
/// stderr. Every run sends every row, whatever the journal holds from the one before.
fn batch(env: &Env, server: &Server, file: &str, more: &[&str], code: i32) -> String {
    let mut rest = vec![file, "--generate-order-no", "--force"];
    rest.extend_from_slice(more);
    env.run(&server.batch_args(&rest), code).1
}

/// `validate FILE --generate-order-no …`, expecting exit 0; gives back (stdout, stderr).
fn validate(env: &Env, file: &str, more: &[&str]) -> (String, String) {
    let mut args = vec!["validate", file, "--generate-order-no"];
    args.extend_from_slice(more);
    env.run(&args, 0)
}

fn config(env: &Env, text: &str) -> PathBuf {
    env.write("config.toml", text)
}

#[test]
fn two_unknown_columns_are_one_warning_once_per_run() {
    let env = Env::new();
    let file = env.write("two.csv", TWO_UNKNOWN);
    let path = file.to_str().unwrap();
    // batch reads the file twice (checked whole, then sent): still one warning.
    let server = Server::always(Reply::accept()).expect_hits(2);
    let stderr = batch(&env, &server, path, &[], 0);
    let lines = unknown_lines(&stderr);
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with(&format!(
            "warning: {path}:1: 客户姓名, Remark: unknown columns, ignored"
        )),
        "{stderr}"
    );
    assert!(
        lines[0].ends_with("--ignore-column NAME leaves NAME unmentioned)"),
        "{stderr}"
    );
    let (stdout, stderr) = validate(&env, path, &[]);
    let lines = unknown_lines(&stdout);
    assert_eq!(lines.len(), 1, "{stdout}");
    assert!(
        lines[0].starts_with(&format!("{path}:1: 客户姓名, Remark: warning:")),
        "{stdout}"
    );
    assert!(
        stderr.contains("2 valid notice(s), 0 error(s), 1 warning(s)"),
        "{stderr}"
    );
}

#[test]
fn ignore_column_silences_one_then_both() {
    let env = Env::new();
    let file = env.write("two.csv", TWO_UNKNOWN);
    let path = file.to_str().unwrap();
    let server = Server::always(Reply::accept()).expect_hits(4);
    let stderr = batch(&env, &server, path, &["--ignore-column", "客户姓名"], 0);
    let lines = unknown_lines(&stderr);
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with(&format!(
            "warning: {path}:1: Remark: unknown column, ignored"
        )),
        "{stderr}"
    );
    // Matched as headers are, trimmed and ignoring case; a name the file lacks is no matter.
    let both = [
        "--ignore-column",
        "客户姓名",
        "--ignore-column",
        " remark ",
        "--ignore-column",
        "不在文件里",
    ];
    let stderr = batch(&env, &server, path, &both, 0);
    assert!(unknown_lines(&stderr).is_empty(), "{stderr}");
    assert!(!stderr.contains("不在文件里"), "{stderr}");
    assert!(stderr.contains("2 accepted"), "{stderr}");

    let (stdout, _) = validate(&env, path, &["--ignore-column", "REMARK"]);
    let lines = unknown_lines(&stdout);
    assert_eq!(lines.len(), 1, "{stdout}");
    assert!(lines[0].starts_with(&format!("{path}:1: 客户姓名: warning:")));
    let (stdout, stderr) = validate(&env, path, &both);
    assert_eq!(stdout, "", "{stdout}");
    assert!(
        stderr.contains("2 valid notice(s), 0 error(s), 0 warning(s)"),
        "{stderr}"
    );
    assert!(!stderr.contains("不在文件里"), "{stderr}");
}

#[test]
fn a_column_that_is_read_cannot_be_ignored() {
    let env = Env::new();
    let file = env.write("two.csv", TWO_UNKNOWN);
    let path = file.to_str().unwrap();
    let server = Server::always(Reply::accept()).expect_hits(0);
    for name in ["保单号", " Policy_No "] {
        let stderr = batch(&env, &server, path, &["--ignore-column", name], 2);
        assert!(
            stderr.contains(&format!(
                "'{}' names the policyNo field, whose column is read, not ignored",
                name.trim()
            )),
            "{stderr}"
        );
        let (_, stderr) = env.run(&["validate", path, "--ignore-column", name], 2);
        assert!(stderr.contains("names the policyNo field"), "{stderr}");
    }
    let stderr = batch(&env, &server, path, &["--ignore-column", " "], 2);
    assert!(
        stderr.contains("a column to ignore needs a name"),
        "{stderr}"
    );
    // Read by --column and ignored on the same command line: which was meant?
    let both = ["--column", "orderNo=Remark", "--ignore-column", "remark"];
    let stderr = batch(&env, &server, path, &both, 2);
    assert!(
        stderr.contains(
            "error: --ignore-column 'remark' names the column that --column orderNo=Remark \
             reads as a field"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn the_config_key_silences_and_the_command_line_adds_to_it() {
    let env = Env::new();
    let file = env.write("two.csv", TWO_UNKNOWN);
    let path = file.to_str().unwrap();
    let config = config(&env, "# nightly run\nignore_columns = [\"  客户姓名\"]\n");
    let config = config.to_str().unwrap();
    let server = Server::always(Reply::accept()).expect_hits(4);
    let stderr = batch(&env, &server, path, &["--config", config], 0);
    let lines = unknown_lines(&stderr);
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains(": Remark: unknown column"), "{stderr}");
    let more = ["--config", config, "--ignore-column", "Remark"];
    let stderr = batch(&env, &server, path, &more, 0);
    assert!(unknown_lines(&stderr).is_empty(), "{stderr}");
    let (stdout, stderr) = validate(&env, path, &more);
    assert_eq!(stdout, "");
    assert!(stderr.contains("0 warning(s)"), "{stderr}");
    let (stdout, _) = validate(&env, path, &["--config", config]);
    assert_eq!(unknown_lines(&stdout).len(), 1, "{stdout}");
    assert!(stdout.contains(":1: Remark: warning:"), "{stdout}");

    // config show and doctor name the file's line.
    let (stdout, _) = env.run(&["--config", config, "config", "show"], 0);
    let row = format!("ignore_columns     客户姓名  (config file {config}:2)");
    assert!(stdout.lines().any(|l| l == row), "{stdout}");
    let (stdout, _) = env.run(&["--config", config, "config", "show", "--json"], 0);
    let settings = &json_lines(stdout.as_bytes())[0]["settings"];
    let entry = settings
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "ignore_columns")
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(entry["value"], "客户姓名");
    assert_eq!(entry["source"], format!("config file {config}:2"));
    let out = env
        .cmd()
        .args(["--config", config, "--env", "sandbox", "doctor"])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.lines().any(|l| l.trim() == row), "{stdout}");
    // Without the key: none, by default.
    let (stdout, _) = env.run(&["config", "show"], 0);
    assert!(
        stdout
            .lines()
            .any(|l| l == "ignore_columns     none  (default)"),
        "{stdout}"
    );
}

#[test]
fn a_config_naming_a_field_is_refused_at_its_line_and_the_command_line_may_read_a_column_it_ignores(
) {
    let env = Env::new();
    let file = env.write("two.csv", TWO_UNKNOWN);
    let path = file.to_str().unwrap();
    let bad = config(
        &env,
        "ignore_columns = [\n  \"客户姓名\",\n  \"订单号\",\n]\n",
    );
    let bad = bad.to_str().unwrap();
    let server = Server::always(Reply::accept()).expect_hits(2);
    let stderr = batch(&env, &server, path, &["--config", bad], 2);
    assert!(
        stderr.contains(&format!(
            "error: config file {bad}:3: ignore_columns: '订单号' names the orderNo field"
        )),
        "{stderr}"
    );
    let (_, stderr) = env.run(&["--config", bad, "config", "show"], 2);
    assert!(stderr.contains(&format!("{bad}:3")), "{stderr}");
    // The file serves every run; a run that reads one of its columns as a field wins, as the
    // command line does over the file: the column is read, and the rest stays ignored.
    let file = env.write(
        "endorsements.csv",
        "policyNo,批单号,amount,客户姓名\nP1,E1,1.00,张三\nP2,E2,2.00,李四\n",
    );
    let good = env.write("good.toml", "ignore_columns = [\"批单号\", \"客户姓名\"]\n");
    let more = [
        "--config",
        good.to_str().unwrap(),
        "--column",
        "orderNo=批单号",
    ];
    let stderr = batch(&env, &server, file.to_str().unwrap(), &more, 0);
    assert!(unknown_lines(&stderr).is_empty(), "{stderr}");
    let mut orders: Vec<String> = server
        .seen()
        .iter()
        .map(|s| s.head("orderNo").to_owned())
        .collect();
    orders.sort();
    assert_eq!(orders, ["E1", "E2"]);
}

#[test]
fn json_lines_keys_are_said_once_each_and_silenced_alike() {
    let env = Env::new();
    let file = env.write(
        "n.jsonl",
        "{\"policyNo\":\"P1\",\"amount\":1,\"Foo\":1}\n\
         {\"policyNo\":\"P2\",\"amount\":2,\"Foo\":2,\"bar\":3}\n\
         {\"policyNo\":\"P3\",\"amount\":3,\"bar\":4}\n",
    );
    let path = file.to_str().unwrap();
    let server = Server::always(Reply::accept()).expect_hits(9);
    let stderr = batch(&env, &server, path, &[], 0);
    let lines = unknown_lines(&stderr);
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with(&format!("warning: {path}:1: Foo: unknown key")),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with(&format!("warning: {path}:2: bar: unknown key")),
        "{stderr}"
    );
    let (stdout, _) = validate(&env, path, &[]);
    assert_eq!(unknown_lines(&stdout).len(), 2, "{stdout}");

    // The flag, trimmed and ignoring case, as a CSV header.
    let stderr = batch(&env, &server, path, &["--ignore-column", "foo"], 0);
    let lines = unknown_lines(&stderr);
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains(":2: bar: unknown key"), "{stderr}");
    // The config's key with the command line's.
    let config = config(&env, "ignore_columns = [\"BAR\"]\n");
    let more = [
        "--config",
        config.to_str().unwrap(),
        "--ignore-column",
        "FOO",
    ];
    let stderr = batch(&env, &server, path, &more, 0);
    assert!(unknown_lines(&stderr).is_empty(), "{stderr}");
    let (stdout, stderr) = validate(&env, path, &more);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("3 valid notice(s), 0 error(s), 0 warning(s)"),
        "{stderr}"
    );
}

#[test]
fn a_workbooks_note_of_its_extra_columns_obeys_it_too() {
    let env = Env::new();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (column, name) in ["保单号", "退保金额", "客户姓名", "备注"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, column as u16, *name).unwrap();
    }
    for (row, policy) in ["P1", "P2"].iter().enumerate() {
        let row = row as u32 + 1;
        sheet.write_string(row, 0, *policy).unwrap();
        sheet.write_string(row, 1, "1.00").unwrap();
        sheet.write_string(row, 2, "张三").unwrap();
        sheet.write_string(row, 3, "x").unwrap();
    }
    let file = env.path("book.xlsx");
    book.save(&file).unwrap();
    let path = file.to_str().unwrap();
    let notes = |stderr: &str| -> Vec<String> {
        stderr
            .lines()
            .filter(|l| l.contains("not notice fields"))
            .map(str::to_owned)
            .collect()
    };
    let server = Server::always(Reply::accept()).expect_hits(6);
    let stderr = batch(&env, &server, path, &[], 0);
    assert_eq!(
        notes(&stderr),
        [format!(
            "{path}: not notice fields, left out: 客户姓名, 备注 (--ignore-column NAME leaves \
             NAME unmentioned)"
        )],
        "{stderr}"
    );
    let stderr = batch(&env, &server, path, &["--ignore-column", "客户姓名"], 0);
    assert_eq!(notes(&stderr).len(), 1, "{stderr}");
    assert!(notes(&stderr)[0].contains("left out: 备注 ("), "{stderr}");
    let config = config(&env, "ignore_columns = [\"备注\"]\n");
    let more = [
        "--config",
        config.to_str().unwrap(),
        "--ignore-column",
        "客户姓名",
    ];
    let stderr = batch(&env, &server, path, &more, 0);
    assert!(notes(&stderr).is_empty(), "{stderr}");
    assert!(stderr.contains("2 accepted"), "{stderr}");
    let (stdout, stderr) = validate(&env, path, &more);
    assert_eq!(stdout, "");
    assert!(notes(&stderr).is_empty(), "{stderr}");
    let (_, stderr) = validate(&env, path, &[]);
    assert_eq!(notes(&stderr).len(), 1, "{stderr}");
}
