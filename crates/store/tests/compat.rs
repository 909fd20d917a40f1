//! Every version opens, reads and verifies the data directories older versions wrote.

use std::path::{Path, PathBuf};

use authtrail_store::verify::{verify_dir, VerifyOptions};
use authtrail_store::{keys, EmbeddedLog, Layout, LogOptions, PreparedEntry};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/datadir-v1")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_v1_data_directory_verifies_reads_and_accepts_appends() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    copy_dir(&fixture(), &dir);
    let key = keys::load_verifier(&Layout::new(&dir)).unwrap();
    assert_eq!(
        key.to_string(),
        "fixture.authtrail.test/log+de953f9b+AbsC7wMw9nnlVrbt8Ln+p5Tzs9jykOsjfoGVxoDVtW1m"
    );
    let report = verify_dir(
        &dir,
        &VerifyOptions {
            key: key.clone(),
            trusted: None,
        },
    )
    .unwrap()
    .unwrap();
    assert_eq!((report.entries, report.checkpoint.size), (4, 4));

    let input = std::fs::read_to_string(fixture().with_extension("input.ndjson")).unwrap();
    let log = EmbeddedLog::open(&dir, LogOptions::default()).unwrap();
    assert_eq!(log.size(), 4);
    for (seq, line) in input.lines().enumerate() {
        let entry = log.entry(seq as u64).unwrap();
        assert_eq!(entry.body.raw, line.as_bytes(), "raw of entry {seq}");
        assert_eq!(entry.header.source, "fixture");
        assert_eq!(entry.header.class_uid, if seq == 2 { 0 } else { 3002 });
    }
    let range = log
        .append(vec![PreparedEntry::new(
            "compat",
            0,
            3002,
            b"{}".to_vec(),
            b"{}".to_vec(),
        )
        .unwrap()])
        .unwrap();
    assert_eq!(range, 4..5);
    let cp = log.close().unwrap();
    drop(log);
    assert_eq!(cp.checkpoint.size, 5);
    let report = verify_dir(
        &dir,
        &VerifyOptions {
            key,
            trusted: Some(report.checkpoint),
        },
    )
    .unwrap()
    .unwrap();
    assert_eq!(report.entries, 5);
}
