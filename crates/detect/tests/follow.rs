//! The detector on a real embedded log: alerts appended as Detection Finding entries that point
//! at the evidence seqs, the state kept across a restart (no window lost, no alert raised
//! twice), and a crash at any point between appending alerts and storing the state costing
//! neither an alert nor a duplicate.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use authtrail_detect::follow::{Appended, StateDb, STATE_FILE};
use authtrail_detect::{Detector, Rules, DETECT_SOURCE};
use authtrail_model::Event;
use authtrail_store::keys::init;
use authtrail_store::{EmbeddedLog, Layout, LogOptions, PreparedEntry};
use support::*;

fn open_log(dir: &Path) -> Arc<EmbeddedLog> {
    init(&Layout::new(dir), "follow.test").unwrap();
    Arc::new(EmbeddedLog::open(dir, LogOptions::default()).unwrap())
}

fn detector(log: &Arc<EmbeddedLog>, dir: &Path) -> Detector {
    let state = StateDb::open(&dir.join(STATE_FILE)).unwrap();
    Detector::open(log.clone(), state, Rules::builtin().unwrap(), 60_000).unwrap()
}

fn append(log: &EmbeddedLog, events: &[Ev]) {
    let entries = events
        .iter()
        .map(|e| {
            let event = Event::from_value(e.event.clone()).unwrap();
            PreparedEntry::new("sshd", 0, 3002, event.canonical_bytes(), b"raw".to_vec()).unwrap()
        })
        .collect();
    log.append(entries).unwrap();
}

/// Every alert entry in the log: uid -> (seq, rule id, evidence seqs).
fn alert_entries(log: &EmbeddedLog) -> BTreeMap<String, (u64, String, Vec<u64>)> {
    let mut out = BTreeMap::new();
    for seq in 0..log.size() {
        let entry = log.entry(seq).unwrap();
        if entry.header.source != DETECT_SOURCE {
            continue;
        }
        assert_eq!(entry.header.class_uid, 2004);
        let v: serde_json::Value = serde_json::from_slice(&entry.body.event).unwrap();
        let uid = v["finding_info"]["uid"]
            .as_str()
            .unwrap_or_else(|| panic!("{v}"))
            .to_string();
        let rule = v["finding_info"]["analytic"]["uid"]
            .as_str()
            .unwrap()
            .to_string();
        let evidence = v["finding_info"]["related_events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["uid"].as_str().unwrap().parse().unwrap())
            .collect();
        let before = out.insert(uid.clone(), (seq, rule, evidence));
        assert!(before.is_none(), "alert {uid} appended twice");
    }
    out
}

/// Ten failures from one address in 10 s: one brute-force-ip alert (seqs from 0).
fn burst(ip: &str, t: i64) -> Vec<Ev> {
    (0..10).map(|i| fail(0, t + i * S, "root", ip)).collect()
}

#[test]
fn alerts_are_appended_as_findings_pointing_at_their_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path());
    append(&log, &burst("203.0.113.9", T0));
    let mut d = detector(&log, dir.path());
    let raised = d.catch_up().unwrap();
    let ids: Vec<&str> = raised.iter().map(|a| a.alert.rule_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "brute-force-ip",
            "brute-force-ip-slow-1h",
            "brute-force-user"
        ]
    );
    let found = alert_entries(&log);
    assert_eq!(found.len(), 3);
    for (i, a) in raised.iter().enumerate() {
        let (seq, rule, evidence) = &found[&a.alert.uid];
        assert_eq!((*seq, rule), (10 + i as u64, &a.alert.rule_id));
        assert_eq!(a.seq, *seq);
        assert_eq!(evidence, &(0..10).collect::<Vec<u64>>());
    }
    assert_eq!(d.position(), 13, "its own alert entries are passed over");
    // Nothing new: nothing raised, nothing appended.
    assert!(d.catch_up().unwrap().is_empty());
    assert_eq!(log.size(), 13);
}

/// A batch long enough to be read on a second thread, with alert entries of the detector's own
/// amid it, raises exactly what the engine raises observing the same events one by one.
#[test]
fn a_long_batch_read_ahead_raises_what_the_engine_raises() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path());
    let mut d = detector(&log, dir.path());
    let mut events = Vec::new();
    for i in 0..400 {
        let burst = burst(&format!("198.51.{}.{}", i / 200, i % 200), T0 + i * 7 * S);
        append(&log, &burst);
        events.extend(burst);
        if i == 150 {
            // Alerts appended mid-log: the detector passes over its own entries.
            d.catch_up().unwrap();
        }
    }
    d.catch_up().unwrap();
    let mut engine =
        authtrail_detect::Engine::with_lateness(Rules::builtin().unwrap().into_vec(), 60_000);
    let mut want = BTreeMap::new();
    let mut seq = 0;
    for e in &events {
        while log.entry(seq).unwrap().header.source == DETECT_SOURCE {
            seq += 1;
        }
        let event = Event::from_value(e.event.clone()).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&event.canonical_bytes()).unwrap();
        let record = authtrail_store::query::Record {
            seq,
            source: "sshd",
            event: &value,
        };
        for a in engine.observe(&record) {
            want.insert(a.uid.clone(), a.rule_id.clone());
        }
        seq += 1;
    }
    let got: BTreeMap<String, String> = alert_entries(&log)
        .into_iter()
        .map(|(uid, (_, rule, _))| (uid, rule))
        .collect();
    assert!(want.len() > 400, "{} alerts", want.len());
    assert_eq!(got, want);
}

#[test]
fn a_restart_keeps_the_windows_and_raises_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path());
    // Six failures, stored; after the restart four more complete the ten.
    let events = burst("198.51.100.7", T0);
    append(&log, &events[..6]);
    let mut d = detector(&log, dir.path());
    assert!(d.catch_up().unwrap().is_empty());
    d.save().unwrap();
    drop(d);
    append(&log, &events[6..]);
    let mut d = detector(&log, dir.path());
    let raised = d.catch_up().unwrap();
    assert_eq!(raised.len(), 3, "the windows kept their six events");
    d.save().unwrap();
    drop(d);
    // A third run over the same log raises nothing.
    let mut d = detector(&log, dir.path());
    assert!(d.catch_up().unwrap().is_empty());
    assert_eq!(alert_entries(&log).len(), 3);
}

#[test]
fn a_crash_before_the_state_is_stored_neither_loses_nor_repeats_an_alert() {
    // The reference: one run that never stops.
    let stream = mixed_stream(3000, 7);
    let reference = {
        let dir = tempfile::tempdir().unwrap();
        let log = open_log(dir.path());
        append(&log, &stream);
        let mut d = detector(&log, dir.path());
        d.catch_up().unwrap();
        let mut rules: Vec<(String, Vec<u64>)> = alert_entries(&log)
            .into_values()
            .map(|(_, rule, ev)| (rule, ev))
            .collect();
        rules.sort();
        rules
    };
    assert!(reference.len() > 5, "the stream raises alerts");
    // Crash points: the state stored after `saved` events, the detector then observing up to
    // `crashed` (appending what it raised) and dying without storing again.
    for (saved, crashed) in [(0, 1500), (700, 700), (1000, 2999), (2500, 3000), (0, 3000)] {
        let dir = tempfile::tempdir().unwrap();
        let log = open_log(dir.path());
        append(&log, &stream[..saved]);
        let mut d = detector(&log, dir.path());
        d.catch_up().unwrap();
        d.save().unwrap();
        append(&log, &stream[saved..crashed]);
        let before: Vec<Appended> = d.catch_up().unwrap();
        drop(d); // The crash: nothing stored since `saved`.
        append(&log, &stream[crashed..]);
        let mut d = detector(&log, dir.path());
        let after = d.catch_up().unwrap();
        // Alerts found already appended are handed on again with their seqs.
        for a in &after {
            if let Some(b) = before.iter().find(|b| b.alert.uid == a.alert.uid) {
                assert_eq!(a.seq, b.seq, "replayed alert keeps its seq");
            }
        }
        let mut got: Vec<(String, Vec<u64>)> = alert_entries(&log)
            .into_values()
            .map(|(_, rule, ev)| (rule, ev))
            .collect();
        got.sort();
        // Evidence seqs differ from the reference's where alert entries sit between events, so
        // compare the evidence as positions in the stream.
        let mut position = Vec::new();
        let mut events = 0u64;
        for seq in 0..log.size() {
            position.push(events);
            if log.entry(seq).unwrap().header.source != DETECT_SOURCE {
                events += 1;
            }
        }
        let mut got: Vec<(String, Vec<u64>)> = got
            .into_iter()
            .map(|(r, ev)| (r, ev.iter().map(|s| position[*s as usize]).collect()))
            .collect();
        got.sort();
        assert_eq!(got, reference, "saved at {saved}, crashed at {crashed}");
    }
}
