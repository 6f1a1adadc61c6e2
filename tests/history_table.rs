//! `history` at a terminal: the table fits the terminal's width (columns shortened or left out
//! in the order the README gives, a cut cell ending in `…`, no character split across lines),
//! `--wide` shows every column, `AVATAR_FORCE_TTY` counts as a terminal as it does everywhere
//! else, and output to a pipe stays byte for byte what it was.

mod common;

use common::pty::{screen_lines, sized_terminal, start, EVERYWHERE};
use common::{json_lines, text, Env, Reply, Server};
use serde_json::Value;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

const CHANNEL: &str = "HN_HT_QNW";

/// Notices sent before the ones with varied answers: with them, more than a screenful.
const PLAIN: usize = 52;

/// The answers of the last notices sent (the newest, shown first), in sending order.
const VARIED: [(&str, &str, Reply); 6] = [
    (
        "P2024000001",
        "QS221219154313290T12K25",
        Reply::Deal("1", "成功"),
    ),
    (
        "P2024000002",
        "O2",
        Reply::Deal("0", "保单号不存在，请核对保单号后重新提交退保通知"),
    ),
    (
        "P2024000003",
        "QS221219154313290T12K27",
        Reply::Deal("1", "退费成功，款项将在三个工作日内原路退回"),
    ),
    (
        "REJ0000000000000004",
        "O4",
        Reply::Deal(
            "0",
            "rejected: the refund date is earlier than the policy's effective date",
        ),
    ),
    (
        "P2024000005",
        "QS221219154313290T12K29",
        Reply::Deal("1", "成功"),
    ),
    ("P6", "O6", Reply::Deal("1", "受理成功")),
];

/// A journal of `PLAIN` accepted notices, then the `VARIED` ones, one at a time so that each
/// gets its answer.
fn journal(env: &Env) {
    let mut csv = String::from("policyNo,orderNo\n");
    for i in 0..PLAIN {
        csv.push_str(&format!("A{i:04},B{i:04}\n"));
    }
    send(env, &csv, Reply::accept(), Vec::new());
    let mut csv = String::from("policyNo,orderNo\n");
    for (policy, order, _) in VARIED {
        csv.push_str(&format!("{policy},{order}\n"));
    }
    let script = VARIED.iter().map(|(_, _, reply)| reply.clone()).collect();
    send(env, &csv, Reply::accept(), script);
}

fn send(env: &Env, csv: &str, fallback: Reply, script: Vec<Reply>) {
    let server = Server::start(script, fallback);
    let file = env.write("notices.csv", csv);
    let out = env
        .cmd()
        .args(["--base-url", &server.url, "--policy-source", CHANNEL])
        .args(["batch", "--concurrency", "1"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        text(&out.stderr)
    );
}

/// What `history ARGS` wrote to a real terminal `cols` wide (stdout and stderr both on it),
/// as the lines written, each checked against the screen: none wider than the terminal, none
/// wrapped, no character broken.
fn on_terminal(env: &Env, cols: u16, args: &[&str]) -> Vec<String> {
    let (terminal, slave) = sized_terminal(cols);
    let mut cmd = env.std_cmd();
    cmd.arg("history").args(args);
    let out = start(cmd, slave, EVERYWHERE).finish();
    let raw = terminal.final_screen();
    assert_eq!(out.status.code(), Some(0), "{raw}");
    assert!(!raw.contains('\u{fffd}'), "a broken character: {raw}");
    assert!(
        !raw.contains('\x1b'),
        "no terminal codes in the table: {raw:?}"
    );
    let written: Vec<String> = raw
        .split('\n')
        .map(|l| l.trim_end_matches('\r').to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let cols = usize::from(cols);
    for line in &written {
        assert!(
            line.width() <= cols,
            "{} cells on a terminal of {cols}: {line:?}",
            line.width()
        );
    }
    let shown: Vec<String> = written.iter().map(|l| l.trim_end().to_string()).collect();
    assert_eq!(
        screen_lines(&raw, cols),
        shown,
        "the screen shows each line written, unwrapped"
    );
    written
}

/// The line as terminal cells: a Chinese character, then a placeholder for its second cell.
fn cells(line: &str) -> Vec<char> {
    let mut cells = Vec::new();
    for c in line.chars() {
        cells.push(c);
        if c.width() == Some(2) {
            cells.push('\0');
        }
    }
    cells
}

/// The header's titles with the cell each starts at.
fn titles(header: &str) -> Vec<(String, usize)> {
    let cells = cells(header);
    let mut found = Vec::new();
    let mut at = 0;
    while at < cells.len() {
        if cells[at] == ' ' {
            at += 1;
            continue;
        }
        let start = at;
        // A title may hold one space (LAST SENT); two end it.
        while at < cells.len() && !(cells[at] == ' ' && cells.get(at + 1).is_none_or(|c| *c == ' '))
        {
            at += 1;
        }
        found.push((cells[start..at].iter().collect(), start));
    }
    found
}

/// Every row's cells start where their titles do: a cell is never empty (`-` stands for no
/// value), so the cell at a title's place is not blank and the two before it are.
fn assert_aligned(lines: &[String]) {
    let columns = titles(&lines[0]);
    for line in &lines[1..] {
        let row = cells(line);
        for (title, at) in &columns {
            let starts = row.get(*at).is_some_and(|c| *c != ' ' && *c != '\0')
                && (*at == 0 || row[at - 2..*at] == [' ', ' ']);
            assert!(
                starts,
                "{title} does not start at cell {at} of {line:?}\n{lines:#?}"
            );
        }
    }
}

fn row_of<'a>(lines: &'a [String], policy: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.split_whitespace().any(|w| w == policy))
        .unwrap_or_else(|| panic!("no row for {policy}: {lines:#?}"))
}

#[test]
fn at_80_columns_the_table_keeps_what_matters_and_cuts_what_does_not_fit() {
    let env = Env::new();
    journal(&env);
    let lines = on_terminal(&env, 80, &[]);
    // The header, a screenful of rows, and the note saying there are more.
    assert_eq!(lines.len(), 1 + 50 + 1, "{lines:#?}");
    let header: Vec<String> = titles(&lines[0]).into_iter().map(|(t, _)| t).collect();
    assert_eq!(header, ["LAST SENT", "POLICY", "STATE", "DESC/ERROR"]);
    assert_aligned(&lines[..51]);
    assert!(lines[51].starts_with("showing the newest 50 rows"));
    // The newest are on the screen.
    for (policy, _, _) in VARIED {
        row_of(&lines, policy);
    }
    assert!(row_of(&lines, "P6").ends_with("受理成功"), "{lines:#?}");
    // Long answers are cut at the edge, each ending in the ellipsis; short ones stay whole.
    for policy in ["P2024000002", "P2024000003", "REJ0000000000000004"] {
        let row = row_of(&lines, policy);
        assert!(row.ends_with('…'), "{row:?}");
        assert!(row.width() >= 78, "the cut uses the room there is: {row:?}");
    }
    assert!(row_of(&lines, "P2024000002").contains("保单号不存在"));
    assert!(row_of(&lines, "P2024000001").ends_with("成功"));
}

#[test]
fn at_120_columns_more_columns_fit_and_every_line_still_does() {
    let env = Env::new();
    journal(&env);
    let lines = on_terminal(&env, 120, &[]);
    assert_eq!(lines.len(), 1 + 50 + 1, "{lines:#?}");
    let header: Vec<String> = titles(&lines[0]).into_iter().map(|(t, _)| t).collect();
    assert_eq!(
        header,
        ["LAST SENT", "POLICY", "ORDER", "STATE", "DESC/ERROR"]
    );
    assert_aligned(&lines[..51]);
    // What was cut at 80 columns is whole here; what is longer still is cut at the edge.
    let row = row_of(&lines, "P2024000003");
    assert!(row.contains("QS221219154313290T12K27"), "{row:?}");
    assert!(
        row.ends_with("退费成功，款项将在三个工作日内原路退回"),
        "{row:?}"
    );
    let row = row_of(&lines, "REJ0000000000000004");
    assert!(row.ends_with('…') && row.width() >= 118, "{row:?}");
    // A short answer is not padded out to the edge.
    assert!(row_of(&lines, "P6").ends_with("受理成功"));
    // One row per attempt fits too.
    let attempts = on_terminal(&env, 120, &["--attempts", "--limit", "10"]);
    assert_eq!(attempts.len(), 11, "{attempts:#?}");
    assert_aligned(&attempts);
    let attempts = on_terminal(&env, 80, &["--attempts", "--limit", "10"]);
    assert_aligned(&attempts);
}

#[test]
fn wide_shows_every_column_aligned_by_display_width() {
    let env = Env::new();
    journal(&env);
    let (terminal, slave) = sized_terminal(80);
    let mut cmd = env.std_cmd();
    cmd.args(["history", "--wide", "--limit", "10"]);
    let out = start(cmd, slave, EVERYWHERE).finish();
    assert_eq!(out.status.code(), Some(0));
    let raw = terminal.final_screen();
    let lines: Vec<String> = raw
        .split('\n')
        .map(|l| l.trim_end_matches('\r').to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let header: Vec<String> = titles(&lines[0]).into_iter().map(|(t, _)| t).collect();
    assert_eq!(
        header,
        [
            "LAST SENT",
            "ENDPOINT",
            "CHANNEL",
            "POLICY",
            "ORDER",
            "STATE",
            "CODE",
            "DESC/ERROR",
            "ATTEMPTS",
            "BY"
        ]
    );
    assert_aligned(&lines);
    assert!(!raw.contains('…'), "nothing is cut: {raw}");
}

/// The text table as `history` has always written it to a pipe, built from `--json`: each
/// column padded to its longest cell in characters, two spaces apart, no trailing spaces.
fn plain_table(rows: &[Value]) -> String {
    const COLUMNS: [(&str, &str); 10] = [
        ("LAST SENT", "lastSentAt"),
        ("ENDPOINT", "endpoint"),
        ("CHANNEL", "policySource"),
        ("POLICY", "policyNo"),
        ("ORDER", "orderNo"),
        ("STATE", "state"),
        ("CODE", "dealCode"),
        ("DESC/ERROR", "dealDesc"),
        ("ATTEMPTS", "attempts"),
        ("BY", "osUser"),
    ];
    let cell = |row: &Value, key: &str| match &row[key] {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let table: Vec<Vec<String>> = std::iter::once(COLUMNS.map(|(t, _)| t.to_string()).to_vec())
        .chain(rows.iter().map(|row| {
            COLUMNS
                .iter()
                .map(|(_, key)| match *key {
                    "osUser" => format!("{}@{}", cell(row, "osUser"), cell(row, "host")),
                    "dealDesc" if row[*key].is_null() => cell(row, "error"),
                    key => cell(row, key),
                })
                .collect()
        }))
        .collect();
    let widths: Vec<usize> = (0..COLUMNS.len())
        .map(|i| table.iter().map(|r| r[i].chars().count()).max().unwrap())
        .collect();
    table
        .iter()
        .map(|r| {
            let padded: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
                .collect();
            format!("{}\n", padded.join("  ").trim_end())
        })
        .collect()
}

#[test]
fn piped_output_is_the_plain_table_whatever_the_width() {
    let env = Env::new();
    journal(&env);
    let json = env.cmd().args(["history", "--json"]).output().unwrap();
    let rows = json_lines(&json.stdout);
    assert_eq!(rows.len(), PLAIN + VARIED.len());
    let expected = plain_table(&rows);
    for columns in [None, Some("40"), Some("200")] {
        let mut cmd = env.cmd();
        cmd.arg("history");
        if let Some(columns) = columns {
            cmd.env("COLUMNS", columns);
        }
        let out = cmd.output().unwrap();
        assert_eq!(text(&out.stdout), expected, "COLUMNS={columns:?}");
        assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    }
    // --wide changes nothing in a pipe either: every column is there already.
    let wide = env.cmd().args(["history", "--wide"]).output().unwrap();
    assert_eq!(text(&wide.stdout), expected);
}

#[test]
fn avatar_force_tty_makes_history_a_terminal_table_like_everything_else() {
    let env = Env::new();
    journal(&env);
    for (columns, width) in [(None, 80), (Some("120"), 120)] {
        let mut cmd = env.cmd();
        cmd.env("AVATAR_FORCE_TTY", "1").arg("history");
        if let Some(columns) = columns {
            cmd.env("COLUMNS", columns);
        }
        let out = cmd.output().unwrap();
        let stdout = text(&out.stdout);
        // A screenful, as on a real terminal, fitted to COLUMNS (80 when it is not set).
        assert_eq!(stdout.lines().count(), 51, "{stdout}");
        assert!(
            stdout.lines().all(|l| l.width() <= width)
                && stdout.lines().any(|l| l.width() > width - 10),
            "{width}:\n{stdout}"
        );
        assert!(text(&out.stderr).starts_with("showing the newest 50 rows"));
    }
    let piped = env.cmd().arg("history").output().unwrap();
    assert_eq!(
        text(&piped.stdout).lines().count(),
        1 + PLAIN + VARIED.len()
    );
}
