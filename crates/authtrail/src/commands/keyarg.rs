//! Reading a verifier key given on the command line: the key itself or a file holding it.

use anyhow::{Context, Result};
use authtrail_ledger::note::NoteVerifier;

/// Parse `arg` as a verifier key, or read it from the file it names.
pub fn parse_key(arg: &str) -> Result<NoteVerifier> {
    let text = if std::path::Path::new(arg).is_file() {
        std::fs::read_to_string(arg).with_context(|| format!("reading key file {arg}"))?
    } else {
        arg.to_string()
    };
    NoteVerifier::parse(text.trim())
        .with_context(|| format!("{:?} is not a verifier key (name+id+base64)", text.trim()))
}
