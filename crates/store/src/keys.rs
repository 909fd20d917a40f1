//! The log's signing key in the data directory.

use std::fs::{self, OpenOptions};
use std::io::Write;

use authtrail_ledger::note::{Ed25519Signer, NoteVerifier};

use crate::error::{Result, StoreError};
use crate::layout::Layout;
use crate::sync::sync_dir;

/// Create the data directory and a new signing key named `origin`, unless a key exists already.
///
/// Returns the signer and whether it was created now.
pub fn init(layout: &Layout, origin: &str) -> Result<(Ed25519Signer, bool)> {
    if layout.key().exists() {
        return Ok((load_signer(layout)?, false));
    }
    for dir in [
        layout.root().to_path_buf(),
        layout.log_dir(),
        layout.bodies_dir(),
        layout.hashes_dir(),
    ] {
        fs::create_dir_all(&dir).map_err(|e| StoreError::io("create directory", &dir, e))?;
    }
    let signer = Ed25519Signer::generate(origin)?;
    let path = layout.key();
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .map_err(|e| StoreError::io("create key file", &path, e))?;
    file.write_all(format!("{}\n", signer.to_skey()).as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(|e| StoreError::io("write key file", &path, e))?;
    let vpath = layout.vkey();
    fs::write(&vpath, format!("{}\n", signer.verifier()))
        .map_err(|e| StoreError::io("write verifier key", &vpath, e))?;
    sync_dir(layout.root())?;
    for dir in [layout.log_dir(), layout.bodies_dir(), layout.hashes_dir()] {
        sync_dir(&dir)?;
    }
    Ok((signer, true))
}

/// Create the data directory's folders (idempotent) and make their entries durable.
pub fn create_dirs(layout: &Layout) -> Result<()> {
    let dirs = [
        layout.root().to_path_buf(),
        layout.log_dir(),
        layout.bodies_dir(),
        layout.hashes_dir(),
    ];
    if dirs.iter().all(|d| d.is_dir()) {
        return Ok(());
    }
    for dir in &dirs {
        fs::create_dir_all(dir).map_err(|e| StoreError::io("create directory", dir, e))?;
    }
    for dir in &dirs {
        sync_dir(dir)?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
    }
    Ok(())
}

/// Load the signing key of an initialized data directory.
pub fn load_signer(layout: &Layout) -> Result<Ed25519Signer> {
    let path = layout.key();
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::NotInitialized(layout.root().to_path_buf()))
        }
        Err(e) => return Err(StoreError::io("read key file", &path, e)),
    };
    Ok(Ed25519Signer::parse(text.trim())?)
}

/// The verifier key of an initialized data directory, derived from its signing key.
pub fn load_verifier(layout: &Layout) -> Result<NoteVerifier> {
    Ok(load_signer(layout)?.verifier())
}
