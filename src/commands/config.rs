//! `config`: set-up without reading the whole README. `config init` writes a commented config
//! file to fill in, `config show` prints every setting a run would use and where it came from
//! (`doctor`'s list, without reaching the platform), `config path` says where the file is
//! looked for and whether it is there.

use crate::cli::{ConfigCommand, ConfigInitArgs, GlobalArgs, OutputFormat};
use crate::error::refuse;
use crate::error::{code, Refusal};
use crate::output::Console;
use crate::settings::{self, Explained, Settings};
use crate::text::escape_controls;
use serde_json::json;
use std::io::Write;
use std::path::Path;

pub fn run(global: &GlobalArgs, command: &ConfigCommand, console: &Console) -> Result<u8, Refusal> {
    match command {
        ConfigCommand::Init(args) => init(global, args, console),
        ConfigCommand::Show(_) => show(global, console),
        ConfigCommand::Path(_) => path(global, console),
    }
}

/// Writes the template where the config is looked for (or at `--path`), never over a file.
fn init(global: &GlobalArgs, args: &ConfigInitArgs, console: &Console) -> Result<u8, Refusal> {
    let looked_for = settings::config_location(global).value;
    let path = match (&args.path, &looked_for) {
        (Some(path), _) | (None, Some(path)) => path.clone(),
        (None, None) => {
            return Err(refuse!(
                Config,
                "this system has no config directory: name the file, as in \
                 avatar-cli config init --path FILE"
            ))
        }
    };
    // Said and compared as an absolute path, whatever the working directory.
    let path = std::path::absolute(&path).unwrap_or(path);
    let channel = args
        .policy_source
        .as_deref()
        .or(global.policy_source.as_deref());
    if let Some(channel) = channel {
        crate::protocol::check_identifier("the channel code (--policy-source)", channel)
            .map_err(Refusal::Usage)?;
    }
    write_new(&path, &settings::config_template(channel))?;
    let read_there = looked_for
        .as_deref()
        .is_some_and(|l| std::path::absolute(l).is_ok_and(|l| l == path));
    let mut exit = code::OK;
    if global.output == Some(OutputFormat::Json) {
        exit = print(
            console,
            &json!({"path": path.display().to_string(), "created": true, "read": read_there})
                .to_string(),
        );
    }
    let mut next = Vec::new();
    if channel.is_none() {
        next.push("put your channel code in it (policy_source)".to_string());
    }
    if !read_there {
        next.push(format!(
            "name it when you run avatar-cli (--config {0} or AVATAR_CONFIG={0}): it is not where \
             the config is looked for",
            path.display()
        ));
    }
    next.push(if read_there {
        "check it with `avatar-cli config show`".to_string()
    } else {
        format!(
            "check it with `avatar-cli --config {} config show`",
            path.display()
        )
    });
    console.note(&format!(
        "wrote {} (readable by you alone); {}",
        path.display(),
        next.join(", then ")
    ));
    Ok(exit)
}

/// Creates `path` (and its directory) with `text`, readable and writable by its owner only:
/// it may name key files. An existing file, whatever it holds, is left alone.
fn write_new(path: &Path, text: &str) -> Result<(), Refusal> {
    let cannot = |e: std::io::Error| {
        refuse!(
            Config,
            "cannot write {}: {e}; name a file you can write: avatar-cli config init --path FILE",
            path.display()
        )
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(cannot)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(refuse!(
                Usage,
                "{} already exists, and is left as it is: edit it (`avatar-cli config show` \
                 checks it), or write another with --path FILE",
                path.display()
            ))
        }
        Err(e) => return Err(cannot(e)),
    };
    if let Err(e) = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
    {
        // Half a file would be read as the config: none is better.
        let _ = std::fs::remove_file(path);
        return Err(cannot(e));
    }
    Ok(())
}

/// Every setting a run would use, with its value and where it came from.
fn show(global: &GlobalArgs, console: &Console) -> Result<u8, Refusal> {
    let settings = Settings::resolve(global)?;
    let explained = settings.explained();
    if console.format() == OutputFormat::Json {
        console.out(
            &json!({
                "configFile": settings.config_file_json(),
                "settings": explained.iter().map(Explained::json).collect::<Vec<_>>(),
            })
            .to_string(),
        );
    } else {
        for line in settings::explained_lines(&explained) {
            console.out(&line);
        }
        console.out(&format!("config file: {}", settings.config_file_status()));
    }
    Ok(console.offline_exit(code::OK, "the settings"))
}

/// Where the config file is looked for: the path alone on stdout, for `$(avatar-cli config
/// path)`; whether it is there, and what chose the place, on stderr.
fn path(global: &GlobalArgs, console: &Console) -> Result<u8, Refusal> {
    let location = settings::config_location(global);
    let Some(path) = location.value else {
        return Err(refuse!(
            Config,
            "this system has no config directory: name a config file with --config FILE or \
             AVATAR_CONFIG"
        ));
    };
    let there = match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => Some(true),
        Ok(_) => Some(false),
        Err(_) => None,
    };
    if global.output == Some(OutputFormat::Json) {
        return Ok(print(
            console,
            &json!({
                "path": path.display().to_string(),
                "source": location.origin.to_string(),
                "exists": there == Some(true),
            })
            .to_string(),
        ));
    }
    let exit = print(console, &escape_controls(&path.display().to_string()));
    let place = match location.origin {
        settings::Origin::Default => "the default place".to_string(),
        named => format!("named by {named}"),
    };
    let state = match there {
        Some(true) => "the file is there",
        Some(false) => "there is something there, but not a regular file",
        None => "no file there yet (`avatar-cli config init` writes one)",
    };
    console.note(&format!("{place}; {state}"));
    Ok(exit)
}

/// One line on stdout; the exit code of a command that sends nothing, once it is written. A
/// reader that left (`| head`) chose to stop; a stdout that cannot take the line (a full
/// disk) is exit 3.
fn print(console: &Console, line: &str) -> u8 {
    console.out(line);
    console.offline_exit(code::OK, "the path")
}
