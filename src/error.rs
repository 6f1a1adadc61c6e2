//! Exit codes, and the error that means "the user must fix something; nothing was sent".

/// Exit codes of cli.md; when several apply, the first in this order wins.
pub mod code {
    pub const INTERRUPTED: u8 = 130;
    pub const USAGE: u8 = 2;
    pub const FAILED: u8 = 3;
    pub const REJECTED: u8 = 1;
    pub const OK: u8 = 0;
}

/// A usage, configuration or input error found before anything was sent (exit 2). Its message
/// names where the problem is and, where it helps, what to do next.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UserError(pub String);

impl UserError {
    pub fn new(message: impl Into<String>) -> Self {
        UserError(message.into())
    }
}

/// Shorthand for returning a [`UserError`] from an `anyhow` function.
#[macro_export]
macro_rules! user_error {
    ($($arg:tt)*) => {
        anyhow::Error::new($crate::error::UserError(format!($($arg)*)))
    };
}
