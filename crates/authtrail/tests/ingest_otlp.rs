//! `authtrail ingest --format otlp` on NDJSON of OTLP/JSON requests (as the OpenTelemetry
//! Collector's file exporter writes them): each log record an entry, stored as its own
//! one-record request; a file that is no OTLP at all is refused whole.

mod common;

use std::path::Path;

use authtrail_store::{EmbeddedLog, LogOptions};
use common::{expect_code, run_in};
use serde_json::Value;

/// The ingest crate's OTLP fixture: two requests, nine log records, two of them ordinary logs.
fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ingest/tests/fixtures/otlp/collector-file-exporter.jsonl")
}

/// Each entry's event and raw input.
fn entries(dir: &Path) -> Vec<(Value, Value)> {
    let log = EmbeddedLog::open(dir, LogOptions::default()).expect("open");
    let out = (0..log.size())
        .map(|seq| {
            let e = log.entry(seq).expect("entry");
            (
                serde_json::from_slice(&e.body.event).expect("event"),
                serde_json::from_slice(&e.body.raw).expect("raw is JSON"),
            )
        })
        .collect();
    log.close().expect("close");
    out
}

#[test]
fn an_ndjson_file_of_requests_is_ingested_record_by_record() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for format in ["otlp", "opentelemetry"] {
        let dir = tmp.path().join(format);
        let fixture = fixture();
        let out = run_in(
            &dir,
            &[
                "ingest",
                "--format",
                format,
                "--source",
                "login-api",
                fixture.to_str().unwrap(),
            ],
        );
        let (stdout, _) = expect_code(&out, 0, format);
        assert!(stdout.contains("9 events"), "{stdout}");
        assert!(stdout.contains("2 unparsed"), "{stdout}");
        assert!(stdout.contains("otlp: 9"), "{stdout}");
        for kind in [
            "Authentication: Logon (Failure): 1",
            "Authentication: Logon (Success): 1",
            "Authentication: Authentication Ticket (Success): 1",
            "Authentication: Service Ticket Renew (Success): 1",
            "Authentication: Logoff (Success): 1",
            "Account Change: Password Reset (Success): 1",
            "Authorize Session: Assign Privileges (Success): 1",
            "Unparsed: 2",
        ] {
            assert!(stdout.contains(kind), "{kind}: {stdout}");
        }
        assert!(
            stdout.contains("unparsed at line 7: otlp: no event name"),
            "{stdout}"
        );
        let entries = entries(&dir);
        assert_eq!(entries.len(), 9);
        for (event, raw) in &entries {
            // Each raw input is a request of exactly one record, with its resource.
            let resource_logs = raw["resourceLogs"].as_array().expect("resourceLogs");
            assert_eq!(resource_logs.len(), 1, "{raw}");
            let scope_logs = resource_logs[0]["scopeLogs"].as_array().expect("scopeLogs");
            assert_eq!(scope_logs.len(), 1, "{raw}");
            assert_eq!(
                scope_logs[0]["logRecords"].as_array().map(Vec::len),
                Some(1)
            );
            assert!(
                resource_logs[0]["resource"]["attributes"].is_array(),
                "{raw}"
            );
            assert!(event["class_uid"].is_u64());
        }
        assert_eq!(entries[1].0["is_mfa"], true);
        assert_eq!(entries[7].0["privileges"][0], "billing:admin");
    }
}

#[test]
fn a_file_that_is_no_otlp_is_refused_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    let file = tmp.path().join("auth.log");
    std::fs::write(
        &file,
        "Nov 27 10:00:00 web1 sshd[1]: Accepted password for alice from 203.0.113.9 port 5000 ssh2\n",
    )
    .unwrap();
    let out = run_in(
        &dir,
        &["ingest", "--format", "otlp", file.to_str().unwrap()],
    );
    let (_, stderr) = expect_code(&out, 2, "not OTLP");
    assert!(stderr.contains("neither OTLP/JSON"), "{stderr}");
    let bad = tmp.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"resourceLogs\": {\"scopeLogs\": []}}\n").unwrap();
    let out = run_in(&dir, &["ingest", "--format", "otlp", bad.to_str().unwrap()]);
    let (_, stderr) = expect_code(&out, 2, "bad shape");
    assert!(
        stderr.contains("line 1: resourceLogs: expected an array, found an object"),
        "{stderr}"
    );
    if dir.exists() {
        assert!(entries(&dir).is_empty());
    }
}
