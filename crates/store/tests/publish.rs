//! Checkpoint publication: the publisher thread signs new checkpoints on its own, and an explicit
//! `publish_now` racing it never fails and never moves the checkpoint backwards.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use authtrail_ledger::checkpoint::open_checkpoint;
use authtrail_store::{read_checkpoint, EmbeddedLog, LogOptions};
use common::*;
use tempfile::TempDir;

const TAG: &str = "publish";

fn open_with_interval(dir: &std::path::Path, interval: Duration) -> EmbeddedLog {
    EmbeddedLog::open(
        dir,
        LogOptions {
            checkpoint_interval: interval,
            ..LogOptions::default()
        },
    )
    .unwrap()
}

#[test]
fn the_publisher_signs_new_entries_within_the_interval() {
    let tmp = TempDir::new().unwrap();
    let key = init(tmp.path());
    let log = open_with_interval(tmp.path(), Duration::from_millis(100));
    assert_eq!(
        log.checkpoint().checkpoint.size,
        0,
        "a new log publishes the empty tree"
    );
    for round in 1..=3u64 {
        append_n(&log, TAG, 10, 10);
        let deadline = Instant::now() + Duration::from_secs(5);
        while log.checkpoint().checkpoint.size < 10 * round {
            assert!(
                Instant::now() < deadline,
                "no checkpoint covering {} entries after 5 s",
                10 * round
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let cp = log.checkpoint();
        assert_eq!(cp.checkpoint.size, 10 * round);
        assert_eq!(cp.checkpoint.root, log.root(10 * round).unwrap());
        let on_disk = read_checkpoint(&layout(tmp.path()), &key).unwrap().unwrap();
        assert_eq!(on_disk, *cp, "the file holds the published checkpoint");
    }
}

#[test]
fn publish_now_racing_the_publisher_never_fails_or_goes_back() {
    let tmp = TempDir::new().unwrap();
    let key = init(tmp.path());
    let log = open_with_interval(tmp.path(), Duration::from_millis(1));
    let stop = AtomicBool::new(false);
    let mut errors = Vec::new();
    let mut regressions = Vec::new();
    let mut publishes = 0u64;
    std::thread::scope(|s| {
        let appender = s.spawn(|| {
            let mut n = 0u64;
            while !stop.load(Ordering::Acquire) {
                let k = 1 + n % 4;
                let got = log.append(batch(TAG, n..n + k)).unwrap();
                assert_eq!(got, n..n + k);
                n += k;
            }
            n
        });
        let deadline = Instant::now() + Duration::from_millis(1500);
        let mut last = 0u64;
        while Instant::now() < deadline {
            match log.publish_now() {
                Ok(cp) => {
                    if cp.checkpoint.size < last {
                        regressions.push((last, cp.checkpoint.size));
                    }
                    last = last.max(cp.checkpoint.size);
                    publishes += 1;
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        stop.store(true, Ordering::Release);
        appender.join().unwrap();
    });
    assert!(publishes > 0);
    assert!(
        errors.is_empty() && regressions.is_empty(),
        "{} of {publishes} publish_now calls failed (first: {:?}); the checkpoint went back {} times (first: {:?})",
        errors.len(),
        errors.first(),
        regressions.len(),
        regressions.first()
    );
    let size = log.size();
    let cp = log.close().unwrap();
    assert_eq!(cp.checkpoint.size, size);
    drop(log);
    let note = std::fs::read(layout(tmp.path()).checkpoint()).unwrap();
    assert_eq!(open_checkpoint(&note, &key).unwrap(), cp.checkpoint);
    verify_ok(tmp.path(), &key, size);
}
