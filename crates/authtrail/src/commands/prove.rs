//! `authtrail prove`: write an evidence bundle for one entry.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use authtrail_store::{LogReader, StoreError};

use crate::exit::Failed;

/// Write the evidence bundle of entry `seq`, proven against the latest checkpoint.
pub fn run(data: &Path, seq: u64, out: Option<&Path>) -> Result<ExitCode> {
    let reader = LogReader::open(data).with_context(|| format!("opening {}", data.display()))?;
    let cp = reader.checkpoint().clone();
    let size = cp.checkpoint.size;
    let entry = match reader.entry(seq) {
        Ok(e) => e,
        Err(StoreError::NotFound(m)) => {
            return Err(Failed(format!("{m}; the checkpoint covers {size} entries")).into())
        }
        Err(e) => return Err(e.into()),
    };
    let (proof, _root) = reader.inclusion_proof(seq, size)?;
    let json = entry.into_evidence(&cp, proof).to_json();
    match out {
        Some(path) => {
            std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "wrote evidence for entry {seq} (tree size {size}) to {}",
                path.display()
            );
        }
        None => print!("{json}"),
    }
    Ok(ExitCode::SUCCESS)
}
