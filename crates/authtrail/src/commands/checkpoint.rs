//! `authtrail checkpoint`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use authtrail_store::{keys, read_checkpoint, Layout};

use crate::exit::Failed;

/// Print the latest signed checkpoint of the local log.
pub fn run(data: &Path) -> Result<ExitCode> {
    let layout = Layout::new(data);
    let verifier = keys::load_verifier(&layout)?;
    let cp = read_checkpoint(&layout, &verifier).context("reading the checkpoint")?;
    let cp = cp.ok_or_else(|| Failed(format!("{} has no checkpoint yet", data.display())))?;
    print!("{}", cp.note);
    Ok(ExitCode::SUCCESS)
}
