//! The data directory: where it is, what the log is called, how to create it.

use std::path::Path;

use anyhow::{Context, Result};
use authtrail_ledger::note::{Ed25519Signer, NoteSigner};
use authtrail_store::{keys, Layout};

/// The default log name: "<hostname>/authtrail".
pub fn default_origin() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
        })
        .unwrap_or_else(|| "localhost".to_string());
    format!("{host}/authtrail")
}

/// Create the data directory and key if needed; print what happened and the verifier key.
pub fn ensure_initialized(dir: &Path, origin: Option<&str>) -> Result<Ed25519Signer> {
    let origin = origin.map(str::to_string).unwrap_or_else(default_origin);
    let (signer, created) = keys::init(&Layout::new(dir), &origin)
        .with_context(|| format!("initializing data directory {}", dir.display()))?;
    if created {
        eprintln!(
            "created data directory {} for log {:?}",
            dir.display(),
            signer.name()
        );
    }
    Ok(signer)
}
