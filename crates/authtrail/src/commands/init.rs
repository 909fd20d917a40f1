//! `authtrail init`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use authtrail_ledger::note::{NoteSigner, NoteVerifier};

use crate::data_dir::ensure_initialized;

/// Create the data directory and key (or report the existing ones) and print the verifier key.
pub fn run(data: &Path, origin: Option<&str>) -> Result<ExitCode> {
    let signer = ensure_initialized(data, origin)?;
    if let Some(wanted) = origin {
        if wanted != signer.name() {
            eprintln!(
                "note: {} already holds log {:?}; --origin ignored",
                data.display(),
                signer.name()
            );
        }
    }
    let verifier: NoteVerifier = signer.verifier();
    println!("{verifier}");
    Ok(ExitCode::SUCCESS)
}
