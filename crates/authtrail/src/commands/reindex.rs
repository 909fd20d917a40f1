//! `authtrail reindex`: delete the search index and build it again from the log.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use authtrail_store::{EmbeddedLog, LogOptions};

/// Rebuild the index of the log in `data` (the log must not be open in another process).
pub fn run(data: &Path) -> Result<ExitCode> {
    let log = EmbeddedLog::open(data, LogOptions::default())
        .with_context(|| format!("opening the log in {}", data.display()))?;
    let started = Instant::now();
    let indexed = log.reindex().context("rebuilding the index")?;
    log.close().context("closing the log")?;
    let secs = started.elapsed().as_secs_f64();
    println!("indexed {indexed} entries in {secs:.1} s");
    Ok(ExitCode::SUCCESS)
}
