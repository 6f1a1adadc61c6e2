//! `validate`: the checks of `batch` and `send`, offline. Problems on stdout (they are this
//! command's result); nothing sent, no journal touched.

use crate::cli::{GlobalArgs, OutputFormat, ValidateArgs};
use crate::error::Refusal;
use crate::input::{self, Item, Problem, Severity};
use crate::output::Console;
use crate::settings::Settings;
use crate::text::escape_controls;
use std::ops::ControlFlow;

pub fn run(global: &GlobalArgs, args: &ValidateArgs) -> Result<u8, Refusal> {
    let settings = Settings::resolve(global)?;
    let console = Console::new(&settings);
    let require_order_no = !(args.generate_order_no || settings.generate_order_no.value);
    let mut errors = 0u64;
    let mut warnings = 0u64;
    let mut rows = 0u64;
    let mut show = |p: &Problem| {
        match p.severity {
            Severity::Error => errors += 1,
            Severity::Warning => warnings += 1,
        }
        match console.format() {
            OutputFormat::Json => console.out(&typed("problem", p)),
            OutputFormat::Text | OutputFormat::Csv => console.out(&p.listing()),
        }
    };
    let name = match &args.file {
        Some(file) => {
            let options = args.input.options(require_order_no);
            let source = input::Source::open(file, &options)?;
            for notice in source.notices() {
                console.note(notice);
            }
            source.read(|item| {
                match item {
                    Item::Row(_) => rows += 1,
                    Item::Problem(p) => show(&p),
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
        "{name}: {rows} valid notice(s), {errors} error(s), {warnings} warning(s)"
    ));
    let code = if errors > 0 {
        crate::error::code::USAGE
    } else {
        crate::error::code::OK
    };
    if console.format() == OutputFormat::Json {
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

/// `{"type": kind, …value's fields}`: each line of `--json` says what it is.
fn typed(kind: &str, value: &impl serde::Serialize) -> String {
    let mut object = serde_json::to_value(value).unwrap_or_default();
    if let Some(map) = object.as_object_mut() {
        map.insert("type".into(), kind.into());
    }
    object.to_string()
}
