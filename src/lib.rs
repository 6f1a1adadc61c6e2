//! avatar-cli: sends Huanong Avatar interface 5.30 refund (rescission) notices.
//!
//! `main.rs` only parses and maps the result to an exit code; everything else lives here so
//! that tests can reach it.

pub mod base_url;
pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod engine;
pub mod error;
pub mod input;
pub mod journal;
pub mod notice;
pub mod output;
pub mod pace;
pub mod protocol;
pub mod run;
pub mod sandbox;
pub mod signals;
pub mod text;
