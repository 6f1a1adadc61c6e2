//! The one exit-code table, and [`Refusal`]: every reason a command stops before it sends.
//!
//! The bottom of the crate: it imports nothing of the project's, so every layer can refuse,
//! and every way a command ends maps to its exit code here and nowhere else. A command either
//! refuses (nothing was sent, by construction: a `Refusal` is only made before delivery
//! starts), or delivers and ends as a [`RunEnding`] says, or sends nothing and ends as one of
//! the functions below says.

/// Exit codes; when several apply, the first in this order wins (README, "Exit codes").
pub mod code {
    pub const INTERRUPTED: u8 = 130;
    pub const USAGE: u8 = 2;
    pub const FAILED: u8 = 3;
    pub const REJECTED: u8 = 1;
    pub const OK: u8 = 0;
}

/// Why a command stopped before anything was sent. Each message names where the problem is
/// and, where it helps, what to do next.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// Flags that do not fit together, or a value clap could not judge.
    #[error("{0}")]
    Usage(String),
    /// The configuration: file, environment, headers, base URL, certificates, proxy.
    #[error("{0}")]
    Config(String),
    /// The input: a file that cannot be read, or rows with problems.
    #[error("{0}")]
    Input(String),
    /// The journal cannot be opened or read.
    #[error("{0}")]
    Journal(String),
    /// The journal could be opened but a lookup in it failed.
    #[error("cannot read the journal: {0}")]
    JournalRead(String),
    /// Production was not confirmed.
    #[error("{0}")]
    Declined(String),
    /// Where results were to go cannot be written (a report on a full disk).
    #[error("{0}")]
    Output(String),
    /// Something this tool starts for itself failed: the built-in sandbox, the HTTP client.
    #[error("{0}")]
    Setup(String),
    /// The machine cannot run the tool at all (no async runtime).
    #[error("{0}")]
    Machine(String),
}

impl Refusal {
    pub fn exit_code(&self) -> u8 {
        match self {
            Refusal::Usage(_)
            | Refusal::Config(_)
            | Refusal::Input(_)
            | Refusal::Journal(_)
            | Refusal::JournalRead(_)
            | Refusal::Declined(_)
            | Refusal::Setup(_) => code::USAGE,
            Refusal::Output(_) | Refusal::Machine(_) => code::FAILED,
        }
    }
}

/// How a run that delivered ended, as far as its exit code goes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunEnding {
    /// Ctrl-C or SIGTERM.
    pub interrupted: bool,
    /// A notice failed or is in doubt, the journal failed, the results could not be written,
    /// or rows of the input were not handed over.
    pub failed: bool,
    /// A notice was rejected, now or earlier (and not sent again).
    pub rejected: bool,
}

impl RunEnding {
    /// The table for a run that delivered: the first that applies wins.
    pub fn exit_code(&self) -> u8 {
        if self.interrupted {
            code::INTERRUPTED
        } else if self.failed {
            code::FAILED
        } else if self.rejected {
            code::REJECTED
        } else {
            code::OK
        }
    }
}

/// `validate` (and what `validate --fix` leaves): 2 while an error is left.
pub fn checked(errors: u64) -> u8 {
    if errors > 0 {
        code::USAGE
    } else {
        code::OK
    }
}

/// `doctor`: a configuration or journal problem first, then a platform out of reach.
pub fn diagnosed(configuration_problem: bool, unreachable: bool) -> u8 {
    if configuration_problem {
        code::USAGE
    } else if unreachable {
        code::FAILED
    } else {
        code::OK
    }
}

/// A command that sends nothing, whose stdout failed: a reader that went away (`| head`)
/// chose to stop, which is no failure; a stdout that could not take the output (a full disk)
/// is exit 3.
pub fn written(code: u8, reader_left: bool) -> u8 {
    if reader_left {
        code
    } else {
        code::FAILED
    }
}

/// The command line could not be parsed: `--help` and `--version` succeed, the rest is a
/// usage error.
pub fn parsed(is_error: bool) -> u8 {
    if is_error {
        code::USAGE
    } else {
        code::OK
    }
}

/// `Refusal::Kind(format!(…))` in one line.
macro_rules! refuse {
    ($kind:ident, $($arg:tt)*) => {
        $crate::error::Refusal::$kind(format!($($arg)*))
    };
}
pub(crate) use refuse;
