//! Golden test of the OTLP parser over a fixture written for it
//! (`tests/fixtures/otlp/collector-file-exporter.jsonl`: NDJSON of OTLP/JSON requests as the
//! Collector's file exporter writes them): a snapshot of what each log record becomes, the same
//! events from the protobuf encoding of the same requests, and auto-detection of one-record
//! requests.

mod support;

use std::path::Path;
use std::sync::Arc;

use authtrail_ingest::decode::otlp::{read, Encoding};
use authtrail_ingest::{prepare_batch, InputFormat, Limits, Normalizer, ParseConfig};
use prost::Message;

const FIXTURE: &str = "tests/fixtures/otlp/collector-file-exporter.jsonl";

/// 2025-11-27T08:00:00Z, when the fixture's first record happened.
const T0_MS: i64 = 1_764_230_400_000;

fn fixture() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A body as the pipeline stores it: one one-record OTLP/JSON request a line.
fn one_record_requests(body: &[u8], normalizer: Normalizer) -> Vec<u8> {
    normalizer
        .transcode(body, &Limits::default())
        .expect("transcode")
        .into_owned()
}

fn otlp() -> Normalizer {
    Normalizer::new(InputFormat::Otlp, Arc::new(ParseConfig::default()))
}

#[test]
fn collector_file_export() {
    let body = one_record_requests(&fixture(), otlp());
    let records = support::normalize(&body, InputFormat::Otlp);
    let got: Vec<_> = records
        .iter()
        .map(|(line, n)| {
            let e = &n.event;
            (*line, e.class_uid, e.activity_id, e.status_id)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 3002, 1, 2),
            (2, 3002, 1, 1),
            (3, 3002, 3, 1),
            (4, 3002, 5, 1),
            (5, 3001, 4, 1),
            (6, 3002, 2, 1),
            (7, 0, 0, 0),
            (8, 3003, 1, 1),
            (9, 0, 0, 0),
        ]
    );
    assert_eq!(records[1].1.event.is_mfa, Some(true));
    for (line, n) in &records {
        let e = &n.event;
        if e.is_unparsed() {
            assert!(
                n.unparsed_reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("otlp: ")),
                "L{line}: {:?}",
                n.unparsed_reason
            );
        } else {
            assert!(e.time >= T0_MS && e.time < T0_MS + 3_600_000, "L{line}");
            assert!(support::user_name(e).is_some(), "L{line}");
        }
    }
    insta::assert_snapshot!(
        "otlp_collector_file_export",
        support::render_with_events(&records)
    );
}

#[test]
fn the_protobuf_encoding_makes_the_same_raw_inputs_and_events() {
    let fixture = fixture();
    let json_lines = one_record_requests(&fixture, otlp());
    for (i, line) in std::str::from_utf8(&fixture).unwrap().lines().enumerate() {
        let request = read::request(&serde_json::from_str(line).unwrap()).unwrap();
        let protobuf = request.encode_to_vec();
        let from_protobuf =
            one_record_requests(&protobuf, otlp().with_otlp_encoding(Encoding::Protobuf));
        // Sniffed the same as declared.
        assert_eq!(one_record_requests(&protobuf, otlp()), from_protobuf);
        let from_json = one_record_requests(line.as_bytes(), otlp());
        // The fixture writes its integers as strings and its fields in OTLP/JSON's way, so the
        // transcoded protobuf is the JSON, record for record.
        assert_eq!(
            String::from_utf8_lossy(&from_protobuf),
            String::from_utf8_lossy(&from_json),
            "request {i}"
        );
        assert!(String::from_utf8_lossy(&json_lines)
            .contains(String::from_utf8_lossy(&from_json).as_ref()));
    }
}

#[test]
fn prepared_entries_keep_each_one_record_request_as_raw() {
    let fixture = fixture();
    let batch = prepare_batch(
        &fixture,
        InputFormat::Otlp,
        "otlp",
        T0_MS * 1_000_000,
        &Limits::default(),
    )
    .expect("batch");
    let lines = one_record_requests(&fixture, otlp());
    let lines: Vec<&[u8]> = lines
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(batch.entries.len(), 9);
    assert_eq!(batch.summary.unparsed, 2);
    assert_eq!(batch.summary.by_parser["otlp"], 9);
    for (entry, line) in batch.entries.iter().zip(&lines) {
        assert_eq!(entry.raw(), *line);
        let raw: serde_json::Value = serde_json::from_slice(entry.raw()).unwrap();
        let request = read::request(&raw).unwrap();
        assert_eq!(request.resource_logs.len(), 1);
        assert_eq!(request.resource_logs[0].scope_logs.len(), 1);
        assert_eq!(request.resource_logs[0].scope_logs[0].log_records.len(), 1);
    }
}

#[test]
fn auto_recognizes_one_record_requests() {
    let body = one_record_requests(&fixture(), otlp());
    for (line, a, b) in support::explicit_and_auto(FIXTURE, &body, InputFormat::Otlp) {
        support::assert_auto_agrees(FIXTURE, line, &a, &b);
    }
    // A request of several records, given to `auto` line by line, is kept unparsed saying why.
    let fixture = fixture();
    let records = support::normalize(&fixture, InputFormat::Auto);
    assert_eq!(records.len(), 2);
    for (_, n) in records {
        let reason = n.unparsed_reason.unwrap_or_default();
        assert!(reason.contains("--format otlp"), "{reason}");
    }
}

/// The `otlp_protobuf` fuzz target's seeds are the protobuf encodings of the `otlp` target's
/// (OTLP/JSON) seeds; `UPDATE_FUZZ_SEEDS=1` writes them.
#[test]
fn protobuf_fuzz_seeds_encode_the_json_seeds() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let update = std::env::var_os("UPDATE_FUZZ_SEEDS").is_some();
    let mut names: Vec<_> = std::fs::read_dir(seeds.join("otlp"))
        .expect("seeds/otlp")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    assert!(names.len() >= 4);
    for json_seed in names {
        let text = std::fs::read_to_string(&json_seed).expect("seed");
        let request = read::request(&serde_json::from_str(&text).expect("JSON seed"))
            .unwrap_or_else(|e| panic!("{}: {e}", json_seed.display()));
        let stem = json_seed.file_stem().expect("name").to_string_lossy();
        let path = seeds.join("otlp_protobuf").join(format!("{stem}.bin"));
        let bytes = request.encode_to_vec();
        if update {
            std::fs::write(&path, &bytes).expect("write seed");
        }
        let stored = std::fs::read(&path).unwrap_or_default();
        assert!(
            stored == bytes,
            "{} is not the encoding of {}: run with UPDATE_FUZZ_SEEDS=1",
            path.display(),
            json_seed.display()
        );
        // Each seed is also a batch the pipeline takes.
        let encoded = one_record_requests(&bytes, otlp());
        assert!(!encoded.is_empty());
    }
}
