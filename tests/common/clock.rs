//! A process's clock set with libfaketime (Debian's `faketime` package, which `.ci/run`
//! installs): for what depends on the day, and for clocks no machine should have.

use std::path::PathBuf;

/// Where Debian and others put libfaketime.
pub fn libfaketime() -> PathBuf {
    let mut candidates = vec![
        PathBuf::from("/usr/lib/faketime/libfaketime.so.1"),
        PathBuf::from("/usr/local/lib/faketime/libfaketime.so.1"),
    ];
    // Debian's multiarch directories: /usr/lib/x86_64-linux-gnu/faketime/ and the like.
    for lib in ["/usr/lib", "/usr/lib64", "/lib"] {
        if let Ok(dirs) = std::fs::read_dir(lib) {
            for dir in dirs.flatten() {
                candidates.push(dir.path().join("faketime/libfaketime.so.1"));
            }
        }
    }
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "libfaketime.so.1 not found (looked in {candidates:?}): install it with \
                 `apt-get install faketime`, as .ci/run does"
            )
        })
}

/// `cmd` with its clock set to `faketime` (as libfaketime takes it: `@2026-12-02 06:00:00`
/// starts the clock there, read in UTC, and lets it run).
pub fn clock_at(cmd: &mut assert_cmd::Command, faketime: &str) {
    cmd.env("LD_PRELOAD", libfaketime())
        .env("FAKETIME", faketime)
        .env("TZ", "UTC");
}
