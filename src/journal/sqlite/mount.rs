//! SQLite's locks rely on the file system's byte-range locks and shared memory, which network
//! and FUSE file systems do not keep faithfully: two machines (or two processes, on some
//! clients) could then both believe they hold a notice. A journal on one is refused before it
//! is opened; sharing one journal between machines is what the PostgreSQL journal is for.

use crate::journal::JournalError;
use std::path::Path;

/// `statfs` f_type magic numbers of the file systems refused (linux/magic.h, and the SMB2 and
/// CIFS numbers the kernel's cifs client reports).
const NFS: u32 = 0x6969;
const SMB: u32 = 0x517B;
const SMB2: u32 = 0xFE53_4D42;
const CIFS: u32 = 0xFF53_4D42;
const FUSE: u32 = 0x6573_5546;

/// The name of the network (or FUSE) file system with magic number `f_type`; `None` for a
/// local one.
pub(crate) fn network_filesystem(f_type: u32) -> Option<&'static str> {
    match f_type {
        NFS => Some("nfs"),
        SMB => Some("smb"),
        SMB2 => Some("smb2"),
        CIFS => Some("cifs"),
        FUSE => Some("fuse"),
        _ => None,
    }
}

/// Refuses a journal at `path` on a network or FUSE file system: the file's, or where it does
/// not exist yet, that of the nearest directory above it that does (where it will be created).
/// A path whose file system cannot be asked is let through: opening it reports what is wrong.
pub(crate) fn check_local(path: &Path) -> Result<(), JournalError> {
    let Some(f_type) = nearest_existing(path).and_then(|p| f_type_of(&p)) else {
        return Ok(());
    };
    match network_filesystem(f_type) {
        Some(fs) => Err(JournalError::NetworkFilesystem {
            path: path.to_path_buf(),
            fs,
        }),
        None => Ok(()),
    }
}

fn nearest_existing(path: &Path) -> Option<std::path::PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    absolute
        .ancestors()
        .find(|p| p.exists())
        .map(Path::to_path_buf)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn f_type_of(path: &Path) -> Option<u32> {
    let stat = rustix::fs::statfs(path).ok()?;
    // The field is signed and 32 or 64 bits wide depending on the architecture; the magic
    // numbers are its low 32 bits.
    #[allow(clippy::unnecessary_cast)]
    Some((stat.f_type as u64 & 0xFFFF_FFFF) as u32)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn f_type_of(_path: &Path) -> Option<u32> {
    None // other systems name their file systems differently; not checked there
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_and_fuse_file_systems_are_named() {
        assert_eq!(network_filesystem(0x6969), Some("nfs"));
        assert_eq!(network_filesystem(0x517B), Some("smb"));
        assert_eq!(network_filesystem(0xFE53_4D42), Some("smb2"));
        assert_eq!(network_filesystem(0xFF53_4D42), Some("cifs"));
        assert_eq!(network_filesystem(0x6573_5546), Some("fuse"));
    }

    #[test]
    fn local_file_systems_are_not() {
        // ext4, xfs, btrfs, tmpfs, overlayfs, zfs
        for local in [
            0xEF53,
            0x5846_5342,
            0x9123_683E,
            0x0102_1994,
            0x794C_7630,
            0x2FC1_2FC1,
        ] {
            assert_eq!(network_filesystem(local), None, "{local:#x}");
        }
    }

    #[test]
    fn a_journal_on_a_local_disk_is_let_through_created_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("journal.sqlite3");
        check_local(&file).unwrap();
        check_local(&dir.path().join("not/yet/made/journal.sqlite3")).unwrap();
        std::fs::write(&file, b"").unwrap();
        check_local(&file).unwrap();
        assert!(f_type_of(dir.path()).is_some());
    }
}
