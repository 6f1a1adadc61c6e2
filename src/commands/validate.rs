//! `validate`: the checks of `batch` and `send`, offline. Problems on stdout (they are this
//! command's result); nothing sent, no journal touched. With `--fix OUT`, a corrected copy is
//! written first, each change listed, and the copy is what is then checked.

use crate::cli::{GlobalArgs, OutputFormat, ValidateArgs};
use crate::error::Refusal;
use crate::input::{self, FixError, Item, Problem, Severity, Source};
use crate::output::Console;
use crate::settings::Settings;
use crate::text::escape_controls;
use std::ops::ControlFlow;
use std::path::Path;

pub fn run(global: &GlobalArgs, args: &ValidateArgs, console: &Console) -> Result<u8, Refusal> {
    let settings = Settings::resolve(global)?;
    let require_order_no = !(args.generate_order_no || settings.generate_order_no.value);
    let mut errors = 0u64;
    let mut warnings = 0u64;
    let mut rows = 0u64;
    let json = console.format() == OutputFormat::Json;
    let mut show = |p: &Problem| {
        match p.severity {
            Severity::Error => errors += 1,
            Severity::Warning => warnings += 1,
        }
        if json {
            console.out(&typed("problem", p));
        } else {
            console.out(&p.listing());
        }
    };
    let name = match &args.file {
        Some(file) => {
            let options = settings.input_options(&args.input, require_order_no)?;
            let mut source = Source::open(file, &options)?;
            if let Some(out) = &args.fix {
                fix(console, &source, out, json)?;
                source = fixed_copy(out, args.input.delimiter, options)?;
            }
            for notice in source.notices() {
                console.note(notice);
            }
            source.read(|item| {
                match item {
                    Item::Row(_) => rows += 1,
                    Item::Problem(p) => show(&p),
                    // Cells are not kept here.
                    Item::Invalid(_) => {}
                }
                ControlFlow::Continue(())
            })?;
            if rows == 0 && errors == 0 {
                console.warn(&format!(
                    "{}: no notices in it",
                    escape_controls(source.name())
                ));
            }
            source.name().to_string()
        }
        None => {
            let (valid, problems) = input::rows_from_flags(&args.fields, require_order_no);
            rows = valid.len() as u64;
            problems.iter().for_each(&mut show);
            "the command line".to_string()
        }
    };
    console.note(&format!(
        "{}: {rows} valid notice(s), {errors} error(s), {warnings} warning(s)",
        escape_controls(&name)
    ));
    let code = crate::error::checked(errors);
    if json {
        let summary = serde_json::json!({
            "type": "summary",
            "file": name,
            "valid": rows,
            "errors": errors,
            "warnings": warnings,
            "exitCode": code,
        });
        console.out(&summary.to_string());
    }
    Ok(console.offline_exit(code, "the problems"))
}

/// The copy `--fix` wrote, to be checked: what is left in it is what a person must mend. It is
/// UTF-8, and its separator is the input's when it is CSV.
fn fixed_copy(
    out: &std::path::Path,
    delimiter: Option<u8>,
    options: input::InputOptions,
) -> Result<Source, Refusal> {
    let as_csv = input::FixFormat::of(out).ok() == Some(input::FixFormat::Csv);
    let copy_options = input::InputOptions {
        sheet: None,
        format: None,
        encoding: None,
        delimiter: delimiter.filter(|_| as_csv),
        ..options
    };
    Ok(Source::open(&out.to_string_lossy(), &copy_options)?)
}

/// `{"type": kind, …value's fields}`: each line of `--json` says what it is.
fn typed(kind: &str, value: &impl serde::Serialize) -> String {
    let mut object = serde_json::to_value(value).unwrap_or_default();
    if let Some(map) = object.as_object_mut() {
        map.insert("type".into(), kind.into());
    }
    object.to_string()
}

/// Writes the corrected copy, listing each change on stdout (a JSON object each with
/// `--json`) and the count on stderr.
fn fix(console: &Console, source: &Source, out: &Path, json: bool) -> Result<(), Refusal> {
    let changes = source.write_fixed(out).map_err(|e| match e {
        FixError::Input(e) => Refusal::from(e),
        FixError::Write { .. } => Refusal::Output(e.to_string()),
        other => Refusal::Usage(other.to_string()),
    })?;
    for change in &changes {
        if json {
            let mut object = serde_json::to_value(change).unwrap_or_default();
            object["file"] = source.name().into();
            object["type"] = "change".into();
            console.out(&object.to_string());
        } else {
            console.out(&escape_controls(&change.describe()));
        }
    }
    console.note(&format!(
        "{}: {} change(s), written to {}",
        escape_controls(source.name()),
        changes.len(),
        escape_controls(&out.to_string_lossy())
    ));
    Ok(())
}
