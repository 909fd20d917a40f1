//! The index never changes an answer: on random events and random queries, searching with the
//! index gives exactly the pages and pipe rows of a full scan, whatever the segment length, how
//! far the index has caught up, whether appenders hand the entries' keys over or the indexer
//! reads them back, and after the log is closed and opened again (by the writer,
//! and by a reader).

mod common;

use authtrail_store::query::Query;
use authtrail_store::search::{Entries, Scan, Search};
use authtrail_store::{EmbeddedLog, LogOptions, LogReader, PreparedEntry};
use proptest::prelude::*;
use serde_json::{json, Value as Json};

const USERS: &[&str] = &["alice", "ALICE", "bob", "carol", "dave"];
const IPS: &[&str] = &[
    "10.0.0.1",
    "10.2.3.4",
    "192.168.1.1",
    "2001:db8::1",
    "8.8.8.8",
    "not-an-ip",
];
const STATUSES: &[(&str, u8)] = &[("Success", 1), ("Failure", 2), ("Unknown", 0)];
const SOURCES: &[&str] = &["okta", "sshd", "Okta"];
const SESSIONS: &[&str] = &["s1", "s2", "S1", "s3"];

#[derive(Debug, Clone)]
struct Ev {
    user: Option<(String, bool)>,
    ip: Option<&'static str>,
    status: Option<(&'static str, u8)>,
    session: Option<&'static str>,
    source: &'static str,
    time: Option<i64>,
    message: Option<&'static str>,
}

impl Ev {
    fn json(&self) -> Json {
        let mut ev = json!({"class_uid": 3002});
        if let Some((name, actor)) = &self.user {
            let key = if *actor { "actor" } else { "user" };
            ev[key] = if *actor {
                json!({"user": {"name": name}})
            } else {
                json!({"name": name})
            };
        }
        if let Some(ip) = self.ip {
            ev["src_endpoint"] = json!({"ip": ip});
        }
        if let Some((caption, id)) = self.status {
            ev["status"] = json!(caption);
            ev["status_id"] = json!(id);
        }
        if let Some(s) = self.session {
            ev["session"] = json!({"uid": s});
        }
        if let Some(t) = self.time {
            ev["time"] = json!(t);
        }
        if let Some(m) = self.message {
            ev["message"] = json!(m);
        }
        ev
    }
}

fn user() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(USERS).prop_map(str::to_string),
        // Longer than the index keeps whole: the index must stay right about it.
        1 => (0usize..3).prop_map(|n| format!("{}{}", "x".repeat(240), "y".repeat(n))),
    ]
}

fn ev() -> impl Strategy<Value = Ev> {
    (
        prop::option::of((user(), any::<bool>())),
        prop::option::of(prop::sample::select(IPS)),
        prop::option::of(prop::sample::select(STATUSES)),
        prop::option::of(prop::sample::select(SESSIONS)),
        prop::sample::select(SOURCES),
        prop::option::of(0i64..100),
        prop::option::of(prop::sample::select(vec!["login ok", "bad password"])),
    )
        .prop_map(|(user, ip, status, session, source, time, message)| Ev {
            user,
            ip,
            status,
            session,
            source,
            time,
            message,
        })
}

fn term() -> impl Strategy<Value = String> {
    let long = format!("{}y", "x".repeat(240));
    let texts = prop::sample::select(vec![
        "alice".to_string(),
        "Bob".into(),
        "ali".into(),
        "failure".into(),
        "2".into(),
        "okta".into(),
        "s1".into(),
        "".into(),
        "ok".into(),
        "x".repeat(240),
        long,
    ]);
    let nets = prop::sample::select(vec![
        "10.0.0.0/8",
        "192.168.0.0/16",
        "2001:db8::/32",
        "10.0.0.1",
        "0.0.0.0/0",
    ]);
    let fields = prop::sample::select(vec![
        "user",
        "user.name",
        "ip",
        "status",
        "source",
        "session",
        "message",
        "seq",
        "time",
    ]);
    let ops = prop::sample::select(vec!["=", "!=", "~"]);
    (fields, ops, texts, nets).prop_map(|(f, op, text, net)| {
        let value = if f == "ip" && op != "~" {
            net.to_string()
        } else {
            format!("{text:?}")
        };
        format!("{f}{op}{value}")
    })
}

fn query() -> impl Strategy<Value = String> {
    let expr = term().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| format!("({})", v.join(" "))),
            prop::collection::vec(inner, 2..4).prop_map(|v| format!("({})", v.join(" OR "))),
        ]
    });
    let pipe = prop::option::of(prop::sample::select(vec![
        "| count by user",
        "| count by ip",
        "| top 2 status",
        "| count by source",
        "| count by message",
        "| count by session",
        "| count by time",
    ]));
    (
        prop::option::of(expr),
        prop::option::of(0i64..100),
        prop::option::of(0i64..100),
        pipe,
    )
        .prop_map(|(e, since, until, pipe)| {
            let mut parts = Vec::new();
            parts.extend(e);
            parts.extend(since.map(|s| format!("since={}", ms(s))));
            parts.extend(until.map(|u| format!("until={}", ms(u))));
            parts.extend(pipe.map(str::to_string));
            parts.join(" ")
        })
}

fn ms(v: i64) -> String {
    jiff::Timestamp::from_millisecond(v).unwrap().to_string()
}

/// Every page of `q` from `from` with page size `limit`, as (seqs, next) pairs.
fn pages(s: &dyn Search, q: &Query, from: u64, limit: usize) -> Vec<(Vec<u64>, Option<u64>)> {
    let mut out = Vec::new();
    let mut at = from;
    loop {
        let page = s.find(q, at, limit).unwrap();
        out.push((page.hits.iter().map(|h| h.seq).collect(), page.next));
        match page.next {
            Some(n) => at = n,
            None => return out,
        }
    }
}

fn agree(indexed: &dyn Search, scan: &dyn Search, q: &Query, from: u64, limit: usize) {
    let text = q.to_string();
    if q.pipe.is_some() {
        assert_eq!(indexed.tally(q).unwrap(), scan.tally(q).unwrap(), "{text}");
    } else {
        assert_eq!(
            pages(indexed, q, from, limit),
            pages(scan, q, from, limit),
            "{text} from {from} limit {limit}"
        );
    }
}

fn append(log: &EmbeddedLog, events: &[Ev]) {
    append_feeding(log, events, 0);
}

/// Appends `events`; event `i` hands its index keys over with the entry when bit `i % 64` of
/// `feed` is set (the others the indexer reads back).
fn append_feeding(log: &EmbeddedLog, events: &[Ev], feed: u64) {
    let entries = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let json = e.json();
            let event = serde_json::to_vec(&json).unwrap();
            let entry = PreparedEntry::new(e.source, 0, 3002, event, b"raw".to_vec()).unwrap();
            if feed >> (i % 64) & 1 == 1 {
                entry.with_index_keys_of(&json)
            } else {
                entry
            }
        })
        .collect();
    log.append(entries).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn indexed_search_equals_a_scan(
        events in prop::collection::vec(ev(), 1..40),
        more in prop::collection::vec(ev(), 0..10),
        queries in prop::collection::vec(query(), 1..6),
        seg_len in 1u64..9,
        from in 0u64..10,
        limit in 1usize..6,
        catch_up in any::<bool>(),
        feed in any::<u64>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        common::init(dir.path());
        let options = LogOptions { index_segment_len: seg_len, ..LogOptions::default() };
        let parsed: Vec<Query> = queries.iter().map(|t| Query::parse_at(t, 0).unwrap()).collect();
        {
            let log = EmbeddedLog::open(dir.path(), options.clone()).unwrap();
            append_feeding(&log, &events, feed);
            if catch_up {
                log.index_now().unwrap();
            }
            publish_all(&log);
            for q in &parsed {
                agree(log.search().as_ref(), &Scan::new(&log), q, from, limit);
            }
            log.close().unwrap();
        }
        // A reader, from the files the writer left (frozen segments and the saved tail).
        let reader = LogReader::open(dir.path()).unwrap();
        prop_assert!(reader.index().is_some());
        for q in &parsed {
            agree(reader.search().as_ref(), &Scan::new(&reader), q, from, limit);
        }
        // The writer again, going on from them.
        let log = EmbeddedLog::open(dir.path(), options).unwrap();
        prop_assert_eq!(log.index().map(|i| i.indexed()), Some(Entries::size(&log)));
        append_feeding(&log, &more, feed.rotate_left(7));
        log.index_now().unwrap();
        publish_all(&log);
        for q in &parsed {
            agree(log.search().as_ref(), &Scan::new(&log), q, from, limit);
        }
    }
}

#[test]
fn reindex_rebuilds_the_same_answers_and_a_foreign_index_is_discarded() {
    let dir = tempfile::tempdir().unwrap();
    common::init(dir.path());
    let options = LogOptions {
        index_segment_len: 4,
        ..LogOptions::default()
    };
    let events: Vec<Ev> = (0..23)
        .map(|i| Ev {
            user: Some((USERS[i % USERS.len()].to_string(), i % 3 == 0)),
            ip: Some(IPS[i % IPS.len()]),
            status: Some(STATUSES[i % 3]),
            session: Some(SESSIONS[i % SESSIONS.len()]),
            source: SOURCES[i % SOURCES.len()],
            time: Some(i as i64),
            message: None,
        })
        .collect();
    let q = Query::parse_at("ip=10.0.0.0/8 status=failure | count by user", 0).unwrap();
    let log = EmbeddedLog::open(dir.path(), options.clone()).unwrap();
    append(&log, &events);
    log.index_now().unwrap();
    log.publish_now().unwrap();
    let before = log.search().tally(&q).unwrap();
    assert_eq!(before, Scan::new(&log).tally(&q).unwrap());
    assert_eq!(log.reindex().unwrap(), 23);
    assert_eq!(log.search().tally(&q).unwrap(), before);
    log.close().unwrap();
    drop(log);

    // The index of another log (same seqs, other entries) is not trusted.
    let other = tempfile::tempdir().unwrap();
    common::init(other.path());
    let log2 = EmbeddedLog::open(other.path(), options.clone()).unwrap();
    append(&log2, &events[..9]);
    log2.close().unwrap();
    drop(log2);
    let index_dir = other.path().join("index");
    std::fs::remove_dir_all(&index_dir).unwrap();
    copy_dir(&dir.path().join("index"), &index_dir);
    let log2 = EmbeddedLog::open(other.path(), options).unwrap();
    log2.index_now().unwrap();
    log2.publish_now().unwrap();
    assert_eq!(
        log2.search().tally(&q).unwrap(),
        Scan::new(&log2).tally(&q).unwrap()
    );
    assert_eq!(log2.index().map(|i| i.indexed()), Some(9));
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn values_at_and_past_the_kept_key_length_are_answered_exactly() {
    let dir = tempfile::tempdir().unwrap();
    common::init(dir.path());
    let log = EmbeddedLog::open(dir.path(), LogOptions::default()).unwrap();
    let name = |n: usize| format!("{}{}", "x".repeat(240), "y".repeat(n));
    let events: Vec<Ev> = [0, 1, 2]
        .iter()
        .map(|&n| Ev {
            user: Some((name(n), false)),
            ip: None,
            status: None,
            session: None,
            source: "s",
            time: None,
            message: None,
        })
        .collect();
    append(&log, &events[..1]);
    log.index_now().unwrap();
    publish_all(&log);
    assert_eq!(log.index().map(|i| i.indexed()), Some(1), "indexed");
    // Only a 240-byte value stored: a 241-byte query value shares its key but not its value.
    for text in [
        format!("user!={} | count by user", name(1)),
        format!("user={}", name(1)),
        format!("user={}", name(0)),
    ] {
        let q = Query::parse_at(&text, 0).unwrap();
        agree(log.search().as_ref(), &Scan::new(&log), &q, 0, 5);
    }
    append(&log, &events[1..]);
    log.index_now().unwrap();
    publish_all(&log);
    for text in [
        format!("user!={} | count by user", name(0)),
        format!("user={}", name(2)),
        format!("user!={}", name(1)),
    ] {
        let q = Query::parse_at(&text, 0).unwrap();
        agree(log.search().as_ref(), &Scan::new(&log), &q, 0, 5);
    }
}

/// Publishes a checkpoint covering every appended entry (waiting for them to be integrated).
fn publish_all(log: &EmbeddedLog) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while log.publish_now().unwrap().checkpoint.size < log.size() {
        assert!(std::time::Instant::now() < deadline, "no checkpoint");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}
