//! avatar-cli: sends Huanong Avatar interface 5.30 refund (rescission) notices.
//!
//! `main.rs` only parses and maps the result to an exit code; everything else lives here. The
//! public modules are what `main.rs` and the tests use; the rest is crate-private, so the
//! compiler reports what nothing uses.

pub(crate) mod base_url;
pub mod cli;
pub(crate) mod client;
pub(crate) mod clock;
pub mod commands;
pub(crate) mod engine;
pub mod error;
pub mod input;
pub(crate) mod journal;
pub mod notice;
pub(crate) mod output;
pub(crate) mod pace;
pub mod protocol;
pub(crate) mod redact;
pub(crate) mod run;
pub(crate) mod sandbox;
pub mod settings;
pub mod signals;
pub mod text;

pub use journal::prepare_process;
