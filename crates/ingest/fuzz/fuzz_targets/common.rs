//! Helpers shared by the fuzz targets (included with `#[path]`; not every target uses all).
#![allow(dead_code)]

use std::sync::Arc;

use authtrail_ingest::parse::{ParseConfig, ParseContext, ParseResult};
use authtrail_ingest::{InputFormat, Limits, Normalizer};

/// 2026-11-27T00:00:00Z, the time of receipt every target uses (ms since the epoch).
pub const NOW_MS: i64 = 1_795_737_600_000;

/// A fresh parse context, as a new stream would have.
pub fn ctx() -> ParseContext {
    ParseContext::new(Arc::new(ParseConfig::default()), NOW_MS)
}

/// An event a parser made must normalize or fail cleanly, and serialize to valid JSON.
pub fn check_result(result: ParseResult) {
    if let Ok(mut event) = result {
        let _ = event.normalize();
        let bytes = event.canonical_bytes();
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            panic!(
                "canonical event is not valid JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
}

/// Run the whole pipeline (line splitting, grouping, parsing, normalizing, preparing) over
/// `data` as `format`; errors are fine, panics and broken invariants are not. A body that
/// `prepare()` transcodes first (a binary EVTX file, OTLP requests) is compared with the records
/// of its transcoding.
pub fn pipeline(format: InputFormat, data: &[u8]) {
    pipeline_with(
        || Normalizer::new(format, Arc::new(ParseConfig::default())),
        data,
    );
}

/// [`pipeline`] with the normalizers `make` makes (e.g. with a declared OTLP encoding).
pub fn pipeline_with(make: impl Fn() -> Normalizer, data: &[u8]) {
    let limits = Limits {
        max_line_bytes: 4096,
        ..Limits::default()
    };
    let transcoded = make().transcode(data, &limits);
    let records = transcoded
        .as_ref()
        .map_err(ToString::to_string)
        .and_then(|body| make().records(body, &limits).map_err(|e| e.to_string()));
    let body: &[u8] = transcoded.as_deref().unwrap_or(data);
    let mut normalizer = make();
    let received_at_ns = NOW_MS * 1_000_000;
    let prepared = normalizer.prepare(data, "fuzz", received_at_ns, &limits);
    let (records, batch) = match (records, prepared) {
        (Ok(records), Ok(batch)) => (records, batch),
        (Err(_), Err(_)) => return,
        // Limits on the records' size may reject a batch whose records split fine.
        (Ok(_), Err(_)) => return,
        (Err(e), Ok(batch)) => panic!(
            "records() failed ({e}) but prepare() made {} entries",
            batch.entries.len()
        ),
    };
    assert_eq!(
        batch.entries.len(),
        records.len(),
        "prepare() made a different number of entries than records()"
    );
    assert_eq!(batch.summary.events, batch.entries.len());
    assert!(batch.summary.unparsed <= batch.summary.events);
    assert!(batch.summary.truncated <= batch.summary.unparsed);
    for (entry, record) in batch.entries.iter().zip(&records) {
        assert_eq!(
            entry.raw(),
            record.raw,
            "entry raw bytes differ from the record's"
        );
        assert!(record.raw.len() <= body.len());
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(entry.event()) {
            panic!(
                "canonical event is not valid JSON ({e}): {}",
                String::from_utf8_lossy(entry.event())
            );
        }
    }
}
