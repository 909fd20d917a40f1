//! `authtrail verify-evidence`: check an evidence bundle (`prove`) or an evidence set
//! (`export --evidence`) offline, told apart by its `format`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use authtrail_ledger::checkpoint::Checkpoint;
use authtrail_ledger::evidence::Evidence;
use authtrail_ledger::evidence_set::{AnyEvidence, EvidenceSet};
use authtrail_ledger::note::NoteVerifier;

use crate::commands::keyarg::parse_key;
use crate::exit::Failed;

/// Check the bundle or set in `file` with `key`; exit 1 if anything in it is wrong.
pub fn run(key: &str, file: &Path) -> Result<ExitCode> {
    let key = parse_key(key)?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let started = Instant::now();
    let text =
        std::str::from_utf8(&bytes).map_err(|_| Failed("evidence is not UTF-8 text".into()))?;
    let evidence =
        AnyEvidence::from_json(text).map_err(|e| Failed(format!("evidence rejected: {e}")))?;
    match evidence {
        AnyEvidence::Single(evidence) => single(&key, &evidence)?,
        AnyEvidence::Set(set) => many(&key, &set)?,
    }
    eprintln!(
        "verified in {:.3} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    Ok(ExitCode::SUCCESS)
}

/// Check and describe a single-entry bundle.
fn single(key: &NoteVerifier, evidence: &Evidence) -> Result<()> {
    let verified = evidence
        .verify(key)
        .map_err(|e| Failed(format!("evidence rejected: {e}")))?;
    let h = &verified.header;
    println!(
        "OK: entry {} of log {:?} is included in its signed checkpoint at size {} (root {})",
        h.seq,
        verified.checkpoint.origin,
        verified.checkpoint.size,
        base64_of(&verified.checkpoint.root)
    );
    println!(
        "source {:?}, class_uid {}, received {}",
        h.source,
        h.class_uid,
        jiff::Timestamp::from_nanosecond(i128::from(h.received_at_ns))
            .map(|t| t.to_string())
            .unwrap_or_else(|_| h.received_at_ns.to_string())
    );
    if verified.bodies_checked {
        println!("event and raw bodies match the header's salted digests");
        if let Some(event) = &evidence.event {
            println!("{}", String::from_utf8_lossy(event));
        }
    } else {
        println!("bodies pruned: the header is proven, its content is not available");
    }
    Ok(())
}

/// Check and summarize an evidence set: every entry against its one checkpoint.
fn many(key: &NoteVerifier, set: &EvidenceSet) -> Result<()> {
    let verified = set
        .verify(key)
        .map_err(|e| Failed(format!("evidence set rejected: {e}")))?;
    let n = verified.entries.len();
    let checked = verified.bodies_checked();
    let Checkpoint {
        origin, size, root, ..
    } = &verified.checkpoint;
    println!(
        "OK: {n} entries proven against the signed checkpoint of log {origin:?} at size {size} (root {})",
        base64_of(root)
    );
    println!(
        "bodies checked: {checked} of {n} match their headers' salted digests; {} pruned (header only)",
        n - checked
    );
    if let (Some(first), Some(last)) = (verified.entries.first(), verified.entries.last()) {
        println!("seqs {} to {}", first.header.seq, last.header.seq);
    }
    println!(
        "exported for the query {:?} (a label: the set proves each entry listed, not that the list is complete)",
        set.query
    );
    Ok(())
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
