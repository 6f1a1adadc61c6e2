//! `man --install [DIR]`: every page into DIR/man1, and the line to add when `man` would not
//! look in DIR.

use crate::error::refuse;
use crate::error::Refusal;
use crate::output::Console;
use std::path::{Path, PathBuf};

pub fn run(
    dir: Option<PathBuf>,
    pages: &[(String, Vec<u8>)],
    console: &Console,
) -> Result<u8, Refusal> {
    let dir = match dir {
        Some(dir) => dir,
        None => default_dir()?,
    };
    // Said and compared as an absolute path, whatever the working directory.
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    let man1 = dir.join("man1");
    write_pages(&man1, pages).map_err(|e| {
        refuse!(
            Usage,
            "cannot write the manual pages into {}: {e}; name a directory you can write: \
             avatar-cli man --install DIR",
            man1.display()
        )
    })?;
    let mut said = vec![format!(
        "installed {} manual pages in {}: man avatar-cli, man avatar-cli-batch, …",
        pages.len(),
        man1.display()
    )];
    let startup = "your shell's startup file (~/.bashrc, ~/.zshrc, ~/.config/fish/config.fish)";
    match man_search_path() {
        Some(searched) if searched.iter().any(|p| same_dir(p, &dir)) => {}
        Some(_) => said.push(format!(
            "man does not look in {} yet: add this line to {startup}",
            dir.display()
        )),
        None => said.push(format!(
            "if man does not find them, add this line to {startup}"
        )),
    }
    if said.len() > 1 {
        said.push(format!(
            "    export MANPATH=\"{}:$MANPATH\"",
            shell_path(&dir)
        ));
    }
    for line in said {
        console.note(&line);
    }
    Ok(crate::error::code::OK)
}

/// `$XDG_DATA_HOME/man`, else `~/.local/share/man`: the user's own manual directory, which
/// man-db already searches when `~/.local/bin` is on the PATH.
fn default_dir() -> Result<PathBuf, Refusal> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| dirs::home_dir().map(|home| home.join(".local").join("share")))
        .ok_or_else(|| {
            refuse!(
                Config,
                "cannot tell your home directory (HOME is not set): name the directory, as in \
                 avatar-cli man --install /usr/local/share/man"
            )
        })?;
    Ok(data.join("man"))
}

/// Every page written whole under a temporary name first, then all moved into place: a
/// failure leaves no half-written page and no temporary file behind.
fn write_pages(man1: &Path, pages: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    std::fs::create_dir_all(man1)?;
    let staged: Vec<(PathBuf, PathBuf, &[u8])> = pages
        .iter()
        .map(|(name, roff)| {
            let part = man1.join(format!(".{name}.{}.part", std::process::id()));
            (part, man1.join(name), roff.as_slice())
        })
        .collect();
    let done = staged
        .iter()
        .try_for_each(|(part, _, roff)| std::fs::write(part, roff))
        .and_then(|()| {
            staged
                .iter()
                .try_for_each(|(part, page, _)| std::fs::rename(part, page))
        });
    if done.is_err() {
        for (part, _, _) in &staged {
            let _ = std::fs::remove_file(part);
        }
    }
    done
}

/// The directories `man` searches, as `manpath` tells (man-db's and the BSDs' both have it,
/// and it accounts for MANPATH, the configuration and the PATH), else MANPATH itself; `None`
/// when neither says.
fn man_search_path() -> Option<Vec<PathBuf>> {
    let told = std::process::Command::new("manpath")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .or_else(|| std::env::var("MANPATH").ok())?;
    Some(std::env::split_paths(&told).collect())
}

fn same_dir(a: &Path, b: &Path) -> bool {
    let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    real(a) == real(b)
}

/// `dir` for a double-quoted shell word, under `$HOME` when it is there: the line then reads as
/// the user would write it.
fn shell_path(dir: &Path) -> String {
    let quoted = |p: &Path| {
        p.display()
            .to_string()
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('$', "\\$")
            .replace('`', "\\`")
    };
    let home = dirs::home_dir().filter(|h| h.parent().is_some());
    match home.as_deref().and_then(|h| dir.strip_prefix(h).ok()) {
        Some(rest) => format!("$HOME/{}", quoted(rest)),
        None => quoted(dir),
    }
}
