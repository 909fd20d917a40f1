//! One module per command.

mod checkpoint;
mod ingest;
mod init;
mod keyarg;
mod prove;
mod serve;
mod verify;
mod verify_evidence;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, Command};

/// Run the command the user asked for.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let data = cli.data;
    match cli.command {
        Command::Init { origin } => init::run(&data, origin.as_deref()),
        Command::Serve { listen, config } => serve::run(&data, listen, config.as_deref()),
        Command::Ingest {
            format,
            source,
            files,
        } => ingest::run(&data, &format, &source, &files),
        Command::Checkpoint => checkpoint::run(&data),
        Command::Verify {
            key,
            trusted,
            url,
            format,
        } => verify::run(
            &data,
            key.as_deref(),
            trusted.as_deref(),
            url.as_deref(),
            format,
        ),
        Command::Prove { seq, out } => prove::run(&data, seq, out.as_deref()),
        Command::VerifyEvidence { key, file } => verify_evidence::run(&key, &file),
    }
}
