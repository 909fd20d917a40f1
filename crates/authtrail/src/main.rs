//! `authtrail`: the command-line binary wiring the crates together (DESIGN.md §5).
//!
//! Exit codes: 0 success, 1 verification failed or nothing found, 2 bad usage or input.
#![forbid(unsafe_code)]

mod access;
mod cli;
mod commands;
mod config;
mod data_dir;
mod detection;
mod exit;
mod tls;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: the ingest path makes ~45 small allocations per event, and glibc's malloc/free was a
/// quarter of the parse cost under two-core contention.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => exit::report(e),
    }
}
