//! Many appenders at once: ranges are disjoint and cover the log, every appender's entries carry
//! its own bodies, readers never see a half-written entry, and the result verifies.

mod common;

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use authtrail_store::PreparedEntry;
use common::*;
use tempfile::TempDir;

const THREADS: u64 = 8;
const BATCHES: u64 = 200;

/// Deterministic batch sizes 1..=50 per thread (xorshift).
fn sizes(thread: u64) -> Vec<u64> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (thread + 1).wrapping_mul(0xD1B5_4A32_D192_ED03);
    (0..BATCHES)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            1 + x % 50
        })
        .collect()
}

fn tag(thread: u64) -> String {
    format!("thread-{thread}")
}

/// Entry `k` of batch `b` of `thread`: bodies name all three.
fn entry(thread: u64, b: u64, k: u64) -> PreparedEntry {
    let i = b * 1000 + k;
    prepared(&tag(thread), i)
}

#[test]
fn concurrent_appends_are_disjoint_complete_and_read_back() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let key = init(dir);
    let log = open(dir);
    let done = AtomicBool::new(false);

    let results: Vec<Vec<(u64, Range<u64>)>> = std::thread::scope(|s| {
        // A reader racing the writers: every entry below `size()` must be whole.
        let reader = s.spawn(|| {
            let mut reads = 0u64;
            while !done.load(Ordering::Acquire) {
                let n = log.size();
                if n > 0 {
                    for seq in [n - 1, n / 2, 0] {
                        let e = log
                            .entry(seq)
                            .unwrap_or_else(|e| panic!("reading {seq} below size {n}: {e}"));
                        assert_eq!((e.header.seq, e.body.seq), (seq, seq));
                        assert!(e
                            .header
                            .check_bodies(&e.body.salt, &e.body.event, &e.body.raw)
                            .ok());
                        reads += 1;
                    }
                }
                std::thread::yield_now();
            }
            reads
        });
        let writers: Vec<_> = (0..THREADS)
            .map(|t| {
                let log = &log;
                s.spawn(move || {
                    sizes(t)
                        .into_iter()
                        .enumerate()
                        .map(|(b, n)| {
                            let b = b as u64;
                            let entries = (0..n).map(|k| entry(t, b, k)).collect();
                            let r = log
                                .append(entries)
                                .unwrap_or_else(|e| panic!("thread {t} batch {b}: {e}"));
                            assert_eq!(
                                r.end - r.start,
                                n,
                                "thread {t} batch {b}: range {r:?} for {n} entries"
                            );
                            (b, r)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let results = writers.into_iter().map(|w| w.join().unwrap()).collect();
        done.store(true, Ordering::Release);
        assert!(reader.join().unwrap() > 0, "the reader read something");
        results
    });

    let total: u64 = (0..THREADS).map(|t| sizes(t).iter().sum::<u64>()).sum();
    assert_eq!(log.size(), total);

    // Each thread's ranges come in the order it appended them.
    for (t, ranges) in results.iter().enumerate() {
        for w in ranges.windows(2) {
            assert!(
                w[0].1.end <= w[1].1.start,
                "thread {t}: {:?} then {:?}",
                w[0].1,
                w[1].1
            );
        }
    }
    // All ranges together tile 0..total exactly.
    let mut all: Vec<Range<u64>> = results.iter().flatten().map(|(_, r)| r.clone()).collect();
    all.sort_by_key(|r| r.start);
    let mut next = 0;
    for r in &all {
        assert_eq!(r.start, next, "gap or overlap at {next}: {r:?}");
        next = r.end;
    }
    assert_eq!(next, total);

    // Every entry carries its own appender's bodies.
    for (t, ranges) in results.iter().enumerate() {
        let t = t as u64;
        for (b, r) in ranges {
            for (k, seq) in r.clone().enumerate() {
                let i = b * 1000 + k as u64;
                check_entry(&log.entry(seq).unwrap(), seq, &tag(t), i);
            }
        }
    }

    wait_integrated(&log);
    let tree = tree_from_headers(dir);
    assert_eq!(log.root(total).unwrap(), tree.root());
    let cp = log.close().unwrap();
    assert_eq!(cp.checkpoint.size, total);
    drop(log);
    let report = verify_ok(dir, &key, total);
    assert_eq!(report.root, tree.root());
}
