//! Where a setting's value came from: the command line, an environment variable, a line of the
//! config file, the default, or another setting. Every setting carries one, so that `doctor`,
//! `-v`, the line before sending and the summary all name the same source.

use std::path::{Path, PathBuf};

/// A setting's value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Setting<T> {
    pub fn new(value: T, origin: Origin) -> Setting<T> {
        Setting { value, origin }
    }

    pub fn by_default(value: T) -> Setting<T> {
        Setting::new(value, Origin::Default)
    }
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A command-line option, such as `--timeout`.
    Flag(&'static str),
    /// An environment variable, such as `AVATAR_ENV`.
    Variable(&'static str),
    /// A line of the config file.
    File {
        path: PathBuf,
        line: usize,
    },
    Default,
    /// Follows from another setting, in words (`env sandbox`).
    Derived(String),
}

impl Origin {
    /// As the lines of a run name it: `from --env`, `from AVATAR_BASE_URL`,
    /// `from ~/.config/avatar-cli/config.toml:3`, `by default`.
    pub fn source(&self) -> String {
        match self {
            Origin::Flag(flag) => format!("from {flag}"),
            Origin::Variable(name) => format!("from {name}"),
            Origin::File { path, line } => {
                format!("from {}:{line}", home_as_tilde(path))
            }
            Origin::Default => "by default".to_string(),
            Origin::Derived(why) => format!("from {why}"),
        }
    }

    /// Given on the command line or by an environment variable: for this run, not a standing
    /// default.
    pub fn is_for_this_run(&self) -> bool {
        matches!(self, Origin::Flag(_) | Origin::Variable(_))
    }
}

/// A path under the home directory written with `~`, as a person would type it; quoted for a
/// message.
pub fn home_as_tilde(path: &Path) -> String {
    let shown = dirs::home_dir()
        .filter(|home| !home.as_os_str().is_empty() && home != Path::new("/"))
        .and_then(|home| {
            path.strip_prefix(&home)
                .ok()
                .map(|rest| format!("~/{}", rest.display()))
        });
    crate::text::quote(&shown.unwrap_or_else(|| path.display().to_string()))
}

/// As `doctor` lists it: `flag --timeout`, `environment variable AVATAR_ENV`,
/// `config file PATH:LINE`, `default`.
impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Flag(flag) => write!(f, "flag {flag}"),
            Origin::Variable(name) => write!(f, "environment variable {name}"),
            Origin::File { path, line } => write!(f, "config file {}:{line}", path.display()),
            Origin::Default => f.write_str("default"),
            Origin::Derived(why) => f.write_str(why),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_origin_reads_as_a_source() {
        assert_eq!(Origin::Flag("--env").source(), "from --env");
        assert_eq!(
            Origin::Variable("AVATAR_BASE_URL").source(),
            "from AVATAR_BASE_URL"
        );
        let file = Origin::File {
            path: "/etc/avatar/config.toml".into(),
            line: 3,
        };
        assert_eq!(file.source(), "from /etc/avatar/config.toml:3");
        assert_eq!(file.to_string(), "config file /etc/avatar/config.toml:3");
        assert_eq!(Origin::Default.source(), "by default");
        assert!(Origin::Variable("X").is_for_this_run() && !Origin::Default.is_for_this_run());
    }
}
