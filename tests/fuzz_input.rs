//! Property tests of the input readers through the library API: random bytes, and valid CSV
//! and JSON Lines files bent by random edits. Whatever comes in, nothing panics, every problem
//! names its line and fits on one short line, and two passes over one input agree. The seed
//! is fixed, so a run is repeatable (and failures are not written anywhere).

use avatar_cli::input::{Encoding, Format, InputOptions, Item, Source};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed};
use std::ops::ControlFlow;

fn config() -> Config {
    Config {
        cases: 256,
        rng_seed: RngSeed::Fixed(0x00a7_a7a4_c5f0_1230),
        failure_persistence: None,
        ..Config::default()
    }
}

const CSV: &str = "保单号,orderNo,amount,refund_date,status,installments,note\n\
P1,O1,10.2,2021-05-10 12:00:00,1,1:10.2:2021-05-10 11:59:59,\n\
P2,O2,5,,,,\"two\nlines\"\n\
\"P3\",O3,\"1.5\",2021-05-11 00:00:00,0,,x\n\
P4,O4,1,,,1:0.5:2021-05-10 11:59:59;2:0.5:2021-05-10 11:59:59,\n";

const JSONL: &str = "{\"policyNo\":\"P1\",\"orderNo\":\"O1\",\"secondRefundAmount\":10.2,\
\"secondRefundDate\":\"2021-05-10 12:00:00\",\"installmentList\":[{\"payNo\":1,\"amount\":10.2,\
\"refundTime\":\"2021-05-10 11:59:59\"}]}\n\
{\"policyNo\":\"P2\",\"orderNo\":\"O2\",\"amount\":\"5\",\"status\":1}\n\
\n\
{\"policy_no\":\"P3\",\"order_no\":\"O3\",\"退费金额\":\"1.5\",\"status\":null}\n";

/// One edit of the bytes.
#[derive(Debug, Clone)]
enum Edit {
    Flip(Index, u8),
    Insert(Index, u8),
    Delete(Index),
    DuplicateLine(Index),
    /// Replace one comma-separated cell of a line.
    Cell(Index, Index, String),
    /// Insert text (quotes, line breaks, commas, braces, Chinese).
    Text(Index, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    let text = "[ -~\\n\\r\",{}:保单号\\x00\\x1b]{0,16}";
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<Index>().prop_map(Edit::Delete),
        any::<Index>().prop_map(Edit::DuplicateLine),
        (any::<Index>(), any::<Index>(), text).prop_map(|(l, c, s)| Edit::Cell(l, c, s)),
        (any::<Index>(), text).prop_map(|(i, s)| Edit::Text(i, s)),
    ]
}

fn apply(base: &str, edits: &[Edit]) -> Vec<u8> {
    let mut bytes = base.as_bytes().to_vec();
    for edit in edits {
        let len = bytes.len();
        match edit {
            Edit::Flip(i, b) if len > 0 => bytes[i.index(len)] ^= 1 << (b % 8),
            Edit::Insert(i, b) => bytes.insert(i.index(len + 1), *b),
            Edit::Delete(i) if len > 0 => {
                bytes.remove(i.index(len));
            }
            Edit::DuplicateLine(i) => {
                let mut lines: Vec<Vec<u8>> =
                    bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                let at = i.index(lines.len());
                lines.insert(at, lines[at].clone());
                bytes = lines.join(&b'\n');
            }
            Edit::Cell(l, c, s) => {
                let mut lines: Vec<Vec<u8>> =
                    bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                let at = l.index(lines.len());
                let mut cells: Vec<Vec<u8>> = lines[at]
                    .split(|&b| b == b',')
                    .map(<[u8]>::to_vec)
                    .collect();
                let cell = c.index(cells.len());
                cells[cell] = s.as_bytes().to_vec();
                lines[at] = cells.join(&b',');
                bytes = lines.join(&b'\n');
            }
            Edit::Text(i, s) => {
                let at = i.index(len + 1);
                bytes.splice(at..at, s.bytes());
            }
            _ => {}
        }
    }
    bytes
}

fn format() -> impl Strategy<Value = Format> {
    prop_oneof![Just(Format::Csv), Just(Format::Jsonl)]
}

fn encoding() -> impl Strategy<Value = Option<Encoding>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(Encoding::Utf8)),
        1 => Just(Some(Encoding::Gb18030)),
    ]
}

/// One pass, every item in order, as text to compare passes by.
fn pass(source: &Source) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    source
        .read(|item| {
            items.push(item);
            ControlFlow::Continue(())
        })
        .map_err(|e| e.to_string())?;
    Ok(items)
}

fn one_short_line(text: &str, limit: usize) -> bool {
    text.chars().count() < limit && !text.chars().any(char::is_control)
}

/// Reads `bytes` as the commands would, checking everything a user would see.
fn check(bytes: &[u8], format: Format, encoding: Option<Encoding>) -> Result<(), TestCaseError> {
    let options = InputOptions {
        format: Some(format),
        encoding,
        require_order_no: false,
        ..Default::default()
    };
    let source = match Source::from_reader(bytes, &options) {
        Ok(source) => source,
        Err(e) => {
            let message = e.to_string();
            prop_assert!(one_short_line(&message, 300), "{message:?}");
            return Ok(());
        }
    };
    for notice in source.notices() {
        prop_assert!(one_short_line(notice, 300), "{notice:?}");
    }
    // No line number can be past the last line break (a lone `\r` counts as one).
    let last_line = 1 + bytes.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u64;
    let first = match pass(&source) {
        Ok(items) => items,
        Err(message) => {
            prop_assert!(one_short_line(&message, 300), "{message:?}");
            return Ok(());
        }
    };
    let mut last_row = 0;
    for item in &first {
        match item {
            Item::Problem(p) => {
                let line = p.line;
                prop_assert!(
                    line.is_some_and(|l| (1..=last_line).contains(&l)),
                    "line {line:?} of {last_line}: {p:?}"
                );
                prop_assert!(one_short_line(&p.message, 300), "{:?}", p.message);
                prop_assert!(p.column.name.chars().count() < 200, "{:?}", p.column);
                let shown = p.to_string();
                prop_assert!(one_short_line(&shown, 600), "{shown:?}");
            }
            Item::Row(row) => {
                let line = row.line.unwrap_or(0);
                prop_assert!(line > last_row && line <= last_line, "{row:?}");
                last_row = line;
            }
            // Only while cells are kept, which this pass does not do.
            Item::Invalid(row) => prop_assert!(false, "cells were not asked for: {row:?}"),
        }
    }
    // `batch` validates on one pass and sends on the next: they must see the same thing.
    let second = pass(&source).map_err(TestCaseError::fail)?;
    prop_assert_eq!(format!("{first:?}"), format!("{second:?}"));
    Ok(())
}

fn rows(bytes: &[u8], format: Format) -> usize {
    let options = InputOptions {
        format: Some(format),
        ..Default::default()
    };
    let source = Source::from_reader(bytes, &options).unwrap();
    let items = pass(&source).unwrap();
    assert!(items.iter().all(|i| matches!(i, Item::Row(_))), "{items:?}");
    items.len()
}

#[test]
fn the_unedited_files_are_valid() {
    // The CSV's note column is unknown: one warning, then every row.
    let options = InputOptions::default();
    let source = Source::from_reader(CSV.as_bytes(), &options).unwrap();
    let items = pass(&source).unwrap();
    assert_eq!(
        items.iter().filter(|i| matches!(i, Item::Row(_))).count(),
        4
    );
    assert_eq!(items.len(), 5, "{items:?}");
    assert_eq!(rows(JSONL.as_bytes(), Format::Jsonl), 3);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes(bytes in vec(any::<u8>(), 0..600), format in format(), encoding in encoding()) {
        check(&bytes, format, encoding)?;
    }

    #[test]
    fn edited_csv(edits in vec(edit(), 1..8), encoding in encoding()) {
        check(&apply(CSV, &edits), Format::Csv, encoding)?;
    }

    #[test]
    fn edited_jsonl(edits in vec(edit(), 1..8), encoding in encoding()) {
        check(&apply(JSONL, &edits), Format::Jsonl, encoding)?;
    }
}
