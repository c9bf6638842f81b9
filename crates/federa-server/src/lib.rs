//! The `federa` binary's library half: configuration, wiring, the commands of CONTRACT §1, and
//! [`app::start`] which tests use to run a real server on port 0.

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod logging;
