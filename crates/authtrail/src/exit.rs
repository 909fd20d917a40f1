//! Exit codes and how errors become them.

use std::process::ExitCode;

/// Exit code: verification failed, or nothing found where something was required.
pub const FAILED: u8 = 1;
/// Exit code: bad usage or input.
pub const USAGE: u8 = 2;

/// An error that means "the thing checked is bad" (exit 1), as opposed to bad usage (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Failed(pub String);

/// Print an error with its causes and turn it into an exit code.
pub fn report(e: anyhow::Error) -> ExitCode {
    let code = if e.downcast_ref::<Failed>().is_some() {
        FAILED
    } else {
        USAGE
    };
    eprintln!("error: {e:#}");
    ExitCode::from(code)
}
