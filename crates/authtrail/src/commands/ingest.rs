//! `authtrail ingest`: append files through the same pipeline as the server.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use authtrail_ingest::{prepare_batch, InputFormat, Limits};
use authtrail_store::{EmbeddedLog, LogOptions, StoreError};

use crate::data_dir::ensure_initialized;

/// Read every input, validate it all, then append it; nothing is written if any input is bad.
pub fn run(data: &Path, format: &str, source: &str, files: &[PathBuf]) -> Result<ExitCode> {
    let format = InputFormat::parse(format)?;
    let limits = Limits {
        max_body_bytes: usize::MAX,
        max_events_per_batch: usize::MAX,
        ..Limits::default()
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0);
    let mut batches = Vec::new();
    for file in files {
        let name = file.display().to_string();
        let bytes = if name == "-" {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("reading standard input")?;
            buf
        } else {
            std::fs::read(file).with_context(|| format!("reading {name}"))?
        };
        let batch =
            prepare_batch(&bytes, format, source, now, &limits).with_context(|| name.clone())?;
        batches.push((name, batch));
    }
    ensure_initialized(data, None)?;
    let log = EmbeddedLog::open(data, LogOptions::default()).map_err(|e| match e {
        StoreError::Locked(_) => anyhow::anyhow!(
            "{e}: is `authtrail serve` running on it? POST to its /v1/events instead"
        ),
        e => e.into(),
    })?;
    let mut totals: BTreeMap<String, usize> = BTreeMap::new();
    let mut all = 0usize;
    let mut unparsed = 0usize;
    for (name, batch) in batches {
        let summary = batch.summary;
        let range = log
            .append(batch.entries)
            .with_context(|| format!("appending {name}"))?;
        println!(
            "{name}: {} events (seqs {}..={}), {} unparsed",
            summary.events,
            range.start,
            range.end.saturating_sub(1),
            summary.unparsed
        );
        for (line, reason) in &summary.unparsed_reasons {
            println!("  unparsed at line {line}: {reason}");
        }
        for (class, n) in summary.by_class {
            *totals.entry(class).or_default() += n;
        }
        all += summary.events;
        unparsed += summary.unparsed;
    }
    let cp = log.close()?;
    println!(
        "total: {all} events, {unparsed} unparsed; log size {}",
        cp.checkpoint.size
    );
    for (class, n) in totals {
        println!("  {class}: {n}");
    }
    Ok(ExitCode::SUCCESS)
}
