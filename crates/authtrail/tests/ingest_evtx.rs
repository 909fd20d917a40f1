//! `authtrail ingest --format windows FILE.evtx`: a binary EVTX file is read whole, each record
//! transcoded to its JSON rendering (what is stored as the raw input) and normalized; records of
//! events that are not authentication events are kept as unparsed and counted. `--format auto`
//! reads it the same way.

mod common;

use std::path::PathBuf;

use authtrail_store::{EmbeddedLog, LogOptions};
use common::{expect_code, run_in};
use serde_json::Value;

/// A file of the EVTX-ATTACK-SAMPLES dataset, or `None` (after a notice) when the shared
/// datasets are absent outside CI.
fn sample(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/datasets/windows-security/evtx-attack-samples");
    if !dir.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} not found",
            dir.display()
        );
        println!("skipping: {} not found", dir.display());
        return None;
    }
    Some(dir.join(name))
}

/// The stored events and raw bytes of a data directory.
fn events(dir: &std::path::Path) -> Vec<(Value, Vec<u8>)> {
    let log = EmbeddedLog::open(dir, LogOptions::default()).expect("open");
    let out = (0..log.size())
        .map(|seq| {
            let e = log.entry(seq).expect("entry");
            let event = serde_json::from_slice(&e.body.event).expect("event");
            (event, e.body.raw)
        })
        .collect();
    log.close().expect("close");
    out
}

#[test]
fn an_evtx_file_appends_one_event_per_record() {
    // 3 x 4648, 1 x 4688, 1 x 1102 (README of the dataset).
    let Some(file) = sample("LM_WMIC_4648_rpcss.evtx") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    let out = run_in(
        &dir,
        &[
            "ingest",
            "--format",
            "windows",
            "--source",
            "pc01",
            file.to_str().unwrap(),
        ],
    );
    let (stdout, _) = expect_code(&out, 0, "ingest");
    assert!(stdout.contains("5 events"), "{stdout}");
    assert!(stdout.contains("2 unparsed"), "{stdout}");
    assert!(
        stdout.contains("Authentication: Logon (Success): 3"),
        "{stdout}"
    );

    let stored = events(&dir);
    assert_eq!(stored.len(), 5);
    let logons: Vec<&Value> = stored
        .iter()
        .map(|(e, _)| e)
        .filter(|e| e["class_uid"] == 3002)
        .collect();
    assert_eq!(logons.len(), 3);
    for e in &logons {
        assert_eq!(e["user"]["name"], "administrator");
        assert_eq!(e["actor"]["user"]["name"], "user01");
        assert_eq!(e["metadata"]["event_code"], "4648");
        assert_eq!(e["metadata"]["log_provider"], "EVTX");
    }
    // The raw input of each event is its record's JSON rendering.
    for (event, raw) in &stored {
        let rendering: Value = serde_json::from_slice(raw).expect("raw is JSON");
        let id = rendering["Event"]["System"]["EventID"]
            .as_u64()
            .expect("EventID");
        if event["class_uid"] == 0 {
            assert!([4688, 1102].contains(&id), "{id}");
            let reason = event["status_detail"].as_str().unwrap();
            assert!(
                reason.contains(&format!(
                    "Windows event {id} is not an authentication event"
                )),
                "{reason}"
            );
        } else {
            assert_eq!(id, 4648);
        }
    }

    // Auto-detection reads it the same way.
    let dir = tmp.path().join("auto");
    let out = run_in(
        &dir,
        &[
            "ingest",
            "--format",
            "auto",
            "--source",
            "pc01",
            file.to_str().unwrap(),
        ],
    );
    let (stdout, _) = expect_code(&out, 0, "ingest auto");
    assert!(stdout.contains("5 events"), "{stdout}");
    assert!(
        stdout.contains("Authentication: Logon (Success): 3"),
        "{stdout}"
    );
}

#[test]
fn a_damaged_evtx_file_keeps_what_it_cannot_read_as_unparsed() {
    let Some(file) = sample("CA_4624_4625_LogonType2_LogonProc_chrome.evtx") else {
        return;
    };
    let mut body = std::fs::read(&file).expect("read");
    // Damage the second record's binary XML (the chunk's records start at 4096 + 512); the
    // record header numbers it 2 in this exported file.
    let records = 4096 + 512;
    let first_size =
        u32::from_le_bytes(body[records + 4..records + 8].try_into().unwrap()) as usize;
    let second = records + first_size;
    body[second + 24] = 0x99;
    let tmp = tempfile::tempdir().expect("tempdir");
    let damaged = tmp.path().join("damaged.evtx");
    std::fs::write(&damaged, &body).unwrap();
    let dir = tmp.path().join("data");
    let out = run_in(
        &dir,
        &["ingest", "--format", "windows", damaged.to_str().unwrap()],
    );
    let (stdout, _) = expect_code(&out, 0, "ingest");
    assert!(stdout.contains("4 events"), "{stdout}");
    assert!(stdout.contains("1 unparsed"), "{stdout}");
    let stored = events(&dir);
    let unparsed: Vec<&Value> = stored
        .iter()
        .map(|(e, _)| e)
        .filter(|e| e["class_uid"] == 0)
        .collect();
    assert_eq!(unparsed.len(), 1);
    let reason = unparsed[0]["status_detail"].as_str().unwrap();
    assert!(
        reason.contains("EVTX record 2 could not be read: unexpected token 0x99"),
        "{reason}"
    );
}
