//! `authtrail verify`: a local data directory from its files, or a remote log from its tiles.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use authtrail_ledger::audit::audit_tiles;
use authtrail_ledger::checkpoint::{open_checkpoint, Checkpoint};
use authtrail_ledger::entry::EntryHeader;
use authtrail_ledger::note::NoteVerifier;
use authtrail_ledger::tile::TileId;
use authtrail_ledger::LedgerError;
use authtrail_store::verify::{verify_dir, VerifyOptions};
use authtrail_store::{keys, Layout};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::json;

use crate::cli::OutputFormat;
use crate::commands::keyarg::parse_key;
use crate::exit::Failed;

/// Verify and print the outcome; exit 1 on any damage.
pub fn run(
    data: &Path,
    key: Option<&str>,
    trusted: Option<&Path>,
    url: Option<&str>,
    format: OutputFormat,
) -> Result<ExitCode> {
    let key = match (key, url) {
        (Some(k), _) => parse_key(k)?,
        (None, Some(_)) => {
            bail!("--url needs --key: a remote log can only be verified against a key you trust")
        }
        (None, None) => {
            let k = keys::load_verifier(&Layout::new(data))?;
            eprintln!("note: verifying with the data directory's own key; pass --key to check against a key you trust");
            k
        }
    };
    let trusted = trusted.map(|p| load_trusted(p, &key)).transpose()?;
    let started = Instant::now();
    let outcome = match url {
        Some(url) => verify_remote(url, &key, trusted.as_ref())?,
        None => {
            let report = verify_dir(
                data,
                &VerifyOptions {
                    key: key.clone(),
                    trusted: trusted.clone(),
                },
            )?;
            report
                .map(|r| Outcome {
                    size: r.checkpoint.size,
                    entries: r.entries,
                    root: r.checkpoint.root,
                    tiles: None,
                })
                .map_err(|d| d.to_string())
        }
    };
    let secs = started.elapsed().as_secs_f64();
    match outcome {
        Ok(o) => {
            let rate = o.entries as f64 / secs.max(1e-9);
            match format {
                OutputFormat::Json => println!(
                    "{}",
                    json!({"ok": true, "size": o.size, "entries": o.entries, "root": B64.encode(o.root),
                           "seconds": secs, "entries_per_second": rate, "tiles_fetched": o.tiles})
                ),
                OutputFormat::Table => println!(
                    "OK: size {} (entries checked {}), root {}, {:.3} s ({:.0} entries/s)",
                    o.size,
                    o.entries,
                    B64.encode(o.root),
                    secs,
                    rate
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(damage) => {
            if format == OutputFormat::Json {
                println!(
                    "{}",
                    json!({"ok": false, "damage": damage, "seconds": secs})
                );
            }
            Err(Failed(format!("FAILED: {damage}")).into())
        }
    }
}

struct Outcome {
    size: u64,
    entries: u64,
    root: [u8; 32],
    tiles: Option<u64>,
}

fn load_trusted(path: &Path, key: &NoteVerifier) -> Result<Checkpoint> {
    let note = std::fs::read(path)
        .with_context(|| format!("reading trusted checkpoint {}", path.display()))?;
    open_checkpoint(&note, key).map_err(|e| {
        Failed(format!(
            "trusted checkpoint {} is not valid for the key: {e}",
            path.display()
        ))
        .into()
    })
}

fn verify_remote(
    url: &str,
    key: &NoteVerifier,
    trusted: Option<&Checkpoint>,
) -> Result<Result<Outcome, String>> {
    let base = url.trim_end_matches('/');
    let client = reqwest::blocking::Client::builder()
        .build()
        .context("building the HTTP client")?;
    let get = |path: &str| -> Result<Vec<u8>, String> {
        let resp = client
            .get(format!("{base}/{path}"))
            .send()
            .map_err(|e| format!("GET {path}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("GET {path}: HTTP {}", resp.status()));
        }
        resp.bytes()
            .map(|b| b.to_vec())
            .map_err(|e| format!("GET {path}: {e}"))
    };
    let note = get("checkpoint").map_err(|e| anyhow::anyhow!(e))?;
    let checkpoint = match open_checkpoint(&note, key) {
        Ok(c) => c,
        Err(e) => return Ok(Err(format!("bad checkpoint: {e}"))),
    };
    if let Some(t) = trusted.filter(|t| t.size > checkpoint.size) {
        return Ok(Err(format!(
            "truncated: the log's checkpoint covers {} entries, the trusted one {}",
            checkpoint.size, t.size
        )));
    }
    let mut fetch = |id: TileId| get(&id.path()).map_err(|e| LedgerError::Storage(e.into()));
    let mut check = |index: u64, bytes: &[u8]| match EntryHeader::decode(bytes) {
        Ok(h) if h.seq == index => Ok(()),
        Ok(h) => Err(format!("entry at index {index} is labelled seq {}", h.seq)),
        Err(e) => Err(e.to_string()),
    };
    Ok(
        match audit_tiles(&checkpoint, trusted, &mut fetch, &mut check) {
            Ok(r) => Ok(Outcome {
                size: r.size,
                entries: r.size,
                root: r.root,
                tiles: Some(r.tiles_fetched),
            }),
            Err(f) => Err(match f.index {
                Some(i) => format!("first bad seq {i}: {}: {}", f.kind, f.detail),
                None => format!("{}: {}", f.kind, f.detail),
            }),
        },
    )
}
