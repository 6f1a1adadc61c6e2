//! Where a report may go: a regular file that is not the input, nor the journal or a file
//! SQLite keeps beside it, however the path is spelled.

use crate::error::refuse;
use crate::error::Refusal;
use crate::text::quote;
use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Refuses a path for `flag`'s file (a report, an export: `thing`) that is not a regular file
/// (a FIFO would block the run before it starts, a device or directory is no place for rows),
/// or that is the input (a file, or what stdin reads when `input` is `None`), the journal or
/// one of the files SQLite keeps beside it: creating the file would truncate it. Paths are
/// compared as the system will resolve them ([`resolve`]), so no symbolic link (dangling ones
/// included), `..` or file not created yet leads the file onto them. Checked before anything
/// is created.
pub fn check_target(
    (flag, thing): (&str, &str),
    path: &Path,
    input: Option<&Path>,
    journal: Option<&Path>,
) -> Result<(), Refusal> {
    let shown = quote(&path.display().to_string());
    let report = resolve(path);
    if let Ok(meta) = std::fs::metadata(&report) {
        if !meta.is_file() {
            return Err(refuse!(
                Usage,
                "{flag} {shown}: that is {}, not a regular file; name a file for the {thing}",
                crate::settings::file_kind(&meta)
            ));
        }
    }
    let refuse = |what: &str, other: &Path| {
        refuse!(
            Usage,
            "{flag} {shown}: that is {what} {}, which the {thing} would overwrite; choose another {thing} file",
            quote(&other.display().to_string())
        )
    };
    match input {
        Some(input) if is_same(&report, input) => return Err(refuse("the input file", input)),
        Some(_) => {}
        None => {
            if let (Some(stdin), Some(report)) = (stdin_identity(), identity(&report)) {
                if stdin == report {
                    return Err(refuse!(
                        Usage,
                        "{flag} {shown}: that is the file standard input reads, which the {thing} would overwrite; choose another {thing} file"
                    ));
                }
            }
        }
    }
    if let Some(journal) = journal {
        // The journal's files are named after its resolved path; the names as given are
        // checked too.
        let resolved = resolve(journal);
        for base in [journal, resolved.as_path()] {
            let base = crate::journal::Location::File(base.to_path_buf());
            for file in crate::journal::files(&base) {
                if is_same(&report, &file) {
                    return Err(refuse("the journal file", &file));
                }
            }
        }
    }
    Ok(())
}

/// Device and inode, for "is this the same file".
fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// What standard input reads, when it is a regular file (`< input.csv`).
fn stdin_identity() -> Option<(u64, u64)> {
    use std::os::fd::AsFd;
    let fd = io::stdin().as_fd().try_clone_to_owned().ok()?;
    let meta = File::from(fd).metadata().ok()?;
    meta.is_file().then(|| (meta.dev(), meta.ino()))
}

/// Whether the resolved report path `report` is `other`: the same path once `other` is
/// resolved too, or the same existing file under another name (a hard link).
fn is_same(report: &Path, other: &Path) -> bool {
    let other = resolve(other);
    if *report == other {
        return true;
    }
    matches!((identity(report), identity(&other)), (Some(a), Some(b)) if a == b)
}

/// How many symbolic links one resolution follows before it stops, as the kernel does
/// (`ELOOP`); the path is then compared as far as it got.
const MAX_LINKS: usize = 40;

/// `path` as the system will resolve it when the file is opened or created: absolute, every
/// symbolic link followed, a dangling one too (creating the file creates its target), `.` and
/// `..` taken where they stand after each link. What does not exist yet is kept as written.
pub(super) fn resolve(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    // Components still to walk, the next one last.
    let mut todo: Vec<std::ffi::OsString> = Vec::new();
    let push = |todo: &mut Vec<std::ffi::OsString>, p: &Path| {
        for c in p.components().rev() {
            match c {
                Component::RootDir => todo.push("/".into()),
                Component::ParentDir => todo.push("..".into()),
                Component::Normal(name) => todo.push(name.to_owned()),
                Component::CurDir | Component::Prefix(_) => {}
            }
        }
    };
    push(&mut todo, &absolute);
    let mut out = PathBuf::from("/");
    let mut links = 0;
    while let Some(name) = todo.pop() {
        if name == "/" {
            out = PathBuf::from("/");
            continue;
        }
        if name == ".." {
            out.pop();
            continue;
        }
        let next = out.join(&name);
        let is_link = std::fs::symlink_metadata(&next).is_ok_and(|m| m.file_type().is_symlink());
        match std::fs::read_link(&next) {
            Ok(target) if is_link && links < MAX_LINKS => {
                links += 1;
                // Relative targets are read from the link's directory, which `out` still is.
                push(&mut todo, &target);
            }
            _ => out = next,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolving_follows_links_dangling_ones_too_and_takes_dots_after_them() {
        let dir = tempfile::tempdir().unwrap();
        let root = resolve(dir.path());
        let at = |name: &str| root.join(name);
        std::fs::create_dir(at("sub")).unwrap();
        std::os::unix::fs::symlink("j.db-wal", at("dangling")).unwrap();
        std::os::unix::fs::symlink("dangling", at("chain")).unwrap();
        std::os::unix::fs::symlink(at("sub"), at("to-sub")).unwrap();
        std::os::unix::fs::symlink("loop", at("loop")).unwrap();
        assert_eq!(resolve(&at("dangling")), at("j.db-wal"));
        assert_eq!(resolve(&at("chain")), at("j.db-wal"));
        assert_eq!(resolve(&at("sub/../j.db-shm")), at("j.db-shm"));
        assert_eq!(resolve(&at("to-sub/./x")), at("sub/x"));
        // `..` after a link is taken in the link's target.
        std::fs::create_dir(at("sub/deeper")).unwrap();
        std::os::unix::fs::symlink(at("sub/deeper"), at("to-deeper")).unwrap();
        assert_eq!(resolve(&at("to-deeper/../y")), at("sub/y"));
        assert_eq!(resolve(&at("not-yet/z")), at("not-yet/z"));
        // A loop ends, as the kernel's does.
        assert_eq!(resolve(&at("loop")), at("loop"));
    }
}
