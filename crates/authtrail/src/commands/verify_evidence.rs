//! `authtrail verify-evidence`: check a bundle offline.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use authtrail_ledger::evidence::Evidence;

use crate::commands::keyarg::parse_key;
use crate::exit::Failed;

/// Check the bundle in `file` with `key`; exit 1 if anything in it is wrong.
pub fn run(key: &str, file: &Path) -> Result<ExitCode> {
    let key = parse_key(key)?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let started = Instant::now();
    let text =
        std::str::from_utf8(&bytes).map_err(|_| Failed("evidence is not UTF-8 text".into()))?;
    let evidence =
        Evidence::from_json(text).map_err(|e| Failed(format!("evidence rejected: {e}")))?;
    let verified = evidence
        .verify(&key)
        .map_err(|e| Failed(format!("evidence rejected: {e}")))?;
    let took = started.elapsed();
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
    eprintln!("verified in {:.3} ms", took.as_secs_f64() * 1e3);
    Ok(ExitCode::SUCCESS)
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
