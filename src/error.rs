//! The one exit-code table, and [`Refusal`]: every reason a command stops before it sends.
//!
//! A command either refuses (nothing was sent, by construction: a `Refusal` is only made
//! before delivery starts) or delivers and ends with a [`RunEnd`]. Both map to an exit code
//! here and nowhere else; `main.rs` only applies it.

use crate::engine::RunEnd;
use crate::journal::JournalError;
use crate::notice::Outcome;

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
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The journal could be opened but a lookup in it failed.
    #[error("cannot read the journal: {0}")]
    JournalRead(JournalError),
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

impl From<crate::input::InputError> for Refusal {
    fn from(e: crate::input::InputError) -> Self {
        Refusal::Input(e.to_string())
    }
}

impl From<crate::base_url::BaseUrlError> for Refusal {
    fn from(e: crate::base_url::BaseUrlError) -> Self {
        Refusal::Config(e.to_string())
    }
}

impl From<crate::output::ReportUnwritable> for Refusal {
    fn from(e: crate::output::ReportUnwritable) -> Self {
        Refusal::Output(e.to_string())
    }
}

impl RunEnd {
    /// The table for a run that delivered: the first that applies wins.
    pub fn exit_code(&self) -> u8 {
        if self.interrupted {
            code::INTERRUPTED
        } else if self.journal_error.is_some()
            || self.output_error.is_some()
            || self.unsent_rows
            || self.tally.get(Outcome::Failed) > 0
            || self.tally.get(Outcome::InDoubt) > 0
        {
            code::FAILED
        } else if self.tally.get(Outcome::Rejected) > 0 || self.tally.rejected_earlier() > 0 {
            code::REJECTED
        } else {
            code::OK
        }
    }
}

/// `Err(Refusal::Kind(format!(…)))` in one line.
#[macro_export]
macro_rules! refuse {
    ($kind:ident, $($arg:tt)*) => {
        $crate::error::Refusal::$kind(format!($($arg)*))
    };
}
