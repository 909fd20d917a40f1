//! The trace rules on hand-built events. Every scenario runs over two searches: [`Memory`] and
//! [`Scan`] over a real log, so the rules are checked against the `Search` contract rather than
//! one implementation (the indexed search can join the list).

mod events;
mod memory;
mod props;

use serde_json::Value;

use super::{trace, Bound, Bounds, Rule, Start, Timeline};
use crate::search::{Scan, Search};
use crate::{keys, EmbeddedLog, Layout, LogOptions, LogReader, PreparedEntry};
use events::{at, ev};
use memory::Memory;

/// Runs `check` over `entries` with each search.
fn each_search(entries: &[(String, Value)], check: impl Fn(&dyn Search)) {
    check(&Memory {
        entries: entries.to_vec(),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    keys::init(&Layout::new(dir.path()), "example.com/trace-test").expect("init");
    let log = EmbeddedLog::open(dir.path(), LogOptions::default()).expect("open");
    let batch = entries
        .iter()
        .map(|(source, event)| {
            let body = serde_json::to_vec(event).expect("JSON");
            PreparedEntry::new(source, 0, 3002, body, b"raw".to_vec()).expect("entry")
        })
        .collect();
    log.append(batch).expect("append");
    log.close().expect("close");
    let reader = LogReader::open(dir.path()).expect("reader");
    check(&Scan::new(&reader));
}

/// The scenario: alice's session s1 through an IdP, an application and a gateway, with noise.
fn scenario() -> Vec<(String, Value)> {
    let a = "203.0.113.24";
    [
        // 0: the IdP login that opens s1 (trace t1).
        (
            "okta",
            ev("Okta", 0)
                .user("alice@example.com")
                .session("s1")
                .correlation("t1")
                .ip(a),
        ),
        // 1: bob's request from the same address: shares only the address.
        ("gw", ev("nginx", 1).user("bob").token("kb").ip(a)),
        // 2: the application issues token k1 in s1 (trace t1).
        (
            "app",
            ev("login-api", 1)
                .user("alice@example.com")
                .session("s1")
                .token("k1")
                .correlation("t1"),
        ),
        // 3: the first API call of the login trace carries the bearer g.
        ("gw", ev("nginx", 2).token("g").trace("t1").ip(a)),
        // 4: a later call with g, in its own trace t2.
        ("gw", ev("nginx", 5).token("g").trace("t2").ip(a)),
        // 5: the application's event of trace t2.
        ("app", ev("orders", 6).correlation("t2")),
        // 6: alice's sudo on a host during the session.
        (
            "web1",
            ev("sudo", 10).user("alice").activity("Assign Privileges"),
        ),
        // 7: alice's sudo hours later: outside the session's window.
        ("web1", ev("sudo", 200).user("alice")),
        // 8: the logoff of s1.
        (
            "okta",
            ev("Okta", 20)
                .user("alice@example.com")
                .session("s1")
                .activity("Logoff"),
        ),
        // 9: bob's sudo during alice's session: another user.
        ("web1", ev("sudo", 21).user("bob")),
        // 10: carol's session from the same address.
        (
            "okta",
            ev("Okta", 15).user("carol@example.com").session("s2").ip(a),
        ),
        // 11: the bearer g two days later: beyond the horizon.
        ("gw", ev("nginx", 3000).token("g").ip(a)),
        // 12: alice's su inside the slack after the logoff.
        ("web1", ev("su", 24).user("root").actor("alice")),
        // 13, 14: alice's ssh connection: opened during the session, closed after its window.
        (
            "web1",
            ev("OpenSSH", 14).user("alice").session("web1/sshd[4100]"),
        ),
        (
            "web1",
            ev("OpenSSH", 40)
                .user("alice")
                .session("web1/sshd[4100]")
                .activity("Logoff"),
        ),
    ]
    .into_iter()
    .map(|(s, e)| (s.to_string(), e.0))
    .collect()
}

fn bounds() -> Bounds {
    Bounds {
        since_ms: Some(at(-60)),
        ..Bounds::new(at(0))
    }
}

/// `(seq, rule, key, from)` of each step, in timeline order.
fn shape(t: &Timeline) -> Vec<(u64, &'static str, String, Option<u64>)> {
    t.steps
        .iter()
        .map(|s| {
            (
                s.seq,
                s.linked_by.rule.name(),
                s.linked_by.key.to_string(),
                s.linked_by.from,
            )
        })
        .collect()
}

fn step(
    seq: u64,
    rule: &'static str,
    key: &str,
    from: Option<u64>,
) -> (u64, &'static str, String, Option<u64>) {
    (seq, rule, key.to_string(), from)
}

#[test]
fn trace_of_a_session_follows_its_keys_and_attaches_its_users_host_events() {
    each_search(&scenario(), |search| {
        let start = Start::Session("s1".into());
        let t = trace(search, &start, &Bounds::new(at(0))).expect("trace");
        assert_eq!(
            shape(&t),
            [
                step(0, "seed", "session=s1", None),
                step(2, "seed", "session=s1", None),
                step(3, "key", "trace=t1", Some(0)),
                step(4, "key", "token=g", Some(3)),
                step(5, "key", "trace=t2", Some(4)),
                step(6, "window", "user=alice", Some(2)),
                step(13, "window", "user=alice", Some(2)),
                step(8, "seed", "session=s1", None),
                step(12, "window", "user=alice", Some(8)),
                step(14, "key", "session=web1/sshd[4100]", Some(13)),
            ]
        );
        assert!(t.bounds_hit.is_empty(), "{:?}", t.bounds_hit);
        assert_eq!(t.scanned_to, 15);
        let first = &t.steps[0];
        assert_eq!(first.user.as_deref(), Some("alice@example.com"));
        assert_eq!(first.src_ip.as_deref(), Some("203.0.113.24"));
        assert_eq!(first.kind(), "Authentication: Logon");
        assert_eq!(
            first.time_text().as_deref(),
            Some("2025-11-27T10:00:00.000Z")
        );
        let json = t.to_json();
        assert_eq!(json["steps"][2]["linked_by"]["key"], "trace");
        assert_eq!(json["steps"][2]["linked_by"]["from"], 0);
        assert_eq!(json["steps"][0]["linked_by"]["rule"], "seed");
        assert_eq!(json["steps"][0]["event"]["session"]["uid"], "s1");
        assert_eq!(json["start"]["key"], "session");
    });
}

#[test]
fn trace_of_a_user_adds_the_sessions_of_their_events() {
    each_search(&scenario(), |search| {
        let t = trace(search, &Start::User("alice@example.com".into()), &bounds()).expect("trace");
        assert_eq!(
            shape(&t),
            [
                step(0, "seed", "user=alice@example.com", None),
                step(2, "seed", "user=alice@example.com", None),
                step(3, "key", "trace=t1", Some(0)),
                step(4, "key", "token=g", Some(3)),
                step(5, "key", "trace=t2", Some(4)),
                step(6, "window", "user=alice", Some(2)),
                step(13, "window", "user=alice", Some(2)),
                step(8, "seed", "user=alice@example.com", None),
                step(12, "window", "user=alice", Some(8)),
                step(14, "key", "session=web1/sshd[4100]", Some(13)),
            ]
        );
        // The host account: its own events are seeds; the IdP session is reached through none
        // of their keys (host events carry no IdP key).
        let t = trace(search, &Start::User("alice".into()), &bounds()).expect("trace");
        assert_eq!(
            shape(&t),
            [
                step(6, "seed", "user=alice", None),
                step(13, "seed", "user=alice", None),
                step(12, "seed", "user=alice", None),
                step(14, "seed", "user=alice", None),
                step(7, "seed", "user=alice", None),
            ]
        );
    });
}

#[test]
fn trace_of_an_address_expands_the_sessions_started_from_it() {
    each_search(&scenario(), |search| {
        let start = Start::Ip("203.0.113.24".parse().expect("ip"));
        let t = trace(search, &start, &bounds()).expect("trace");
        assert_eq!(
            shape(&t),
            [
                step(0, "seed", "ip=203.0.113.24", None),
                step(1, "seed", "ip=203.0.113.24", None),
                step(2, "key", "session=s1", Some(0)),
                step(3, "seed", "ip=203.0.113.24", None),
                step(4, "seed", "ip=203.0.113.24", None),
                step(5, "key", "trace=t2", Some(4)),
                step(6, "window", "user=alice", Some(2)),
                step(13, "window", "user=alice", Some(2)),
                step(10, "seed", "ip=203.0.113.24", None),
                step(8, "key", "session=s1", Some(0)),
                step(12, "window", "user=alice", Some(8)),
                step(14, "window", "user=alice", Some(8)),
                // The bearer g is used again from the address two days later (a seed here), so
                // the thread of s1 spans those two days and alice's later host events (14, 7)
                // fall inside its window. Bob's request (1) is a thread of its own: his sudo (9)
                // is not near it.
                step(7, "window", "user=alice", Some(8)),
                step(11, "seed", "ip=203.0.113.24", None),
            ]
        );
    });
}

#[test]
fn trace_bounds_stop_it_and_say_so() {
    each_search(&scenario(), |search| {
        let start = Start::Session("s1".into());
        let one_hop = Bounds {
            max_depth: 1,
            ..Bounds::new(at(0))
        };
        let t = trace(search, &start, &one_hop).expect("trace");
        let seqs: Vec<u64> = t.steps.iter().map(|s| s.seq).collect();
        assert_eq!(seqs, [0, 2, 3, 6, 13, 8, 12, 14]);
        assert_eq!(t.bounds_hit.len(), 1);
        assert_eq!(t.bounds_hit[0].bound, Bound::MaxDepth);
        assert_eq!(t.bounds_hit[0].limit, 1);
        let left: Vec<String> = t.unfollowed.iter().map(|k| k.to_string()).collect();
        assert_eq!(left, ["token=g"]);
        let json = t.to_json();
        assert_eq!(
            json["bounds_hit"],
            serde_json::json!([{"bound": "max_depth", "limit": 1}])
        );
        assert_eq!(
            json["unfollowed"],
            serde_json::json!([{"key": "token", "value": "g"}])
        );

        let two_steps = Bounds {
            max_steps: 2,
            ..Bounds::new(at(0))
        };
        let t = trace(search, &start, &two_steps).expect("trace");
        assert_eq!(t.steps.len(), 2);
        assert_eq!(t.bounds_hit[0].bound, Bound::MaxSteps);

        let one_key = Bounds {
            max_keys: 1,
            ..Bounds::new(at(0))
        };
        let t = trace(search, &start, &one_key).expect("trace");
        let seqs: Vec<u64> = t.steps.iter().map(|s| s.seq).collect();
        // t1 is followed; k1 and g are not, nor the host-window users.
        assert_eq!(seqs, [0, 2, 3, 8]);
        assert_eq!(t.bounds_hit[0].bound, Bound::MaxKeys);
        let left: Vec<String> = t.unfollowed.iter().map(|k| k.to_string()).collect();
        assert_eq!(
            left,
            [
                "token=k1",
                "token=g",
                "user=alice",
                "user=alice@example.com"
            ]
        );
    });
}

#[test]
fn trace_time_bounds_cut_seeds_and_links() {
    each_search(&scenario(), |search| {
        let start = Start::Session("s1".into());
        let b = Bounds {
            since_ms: Some(at(1)),
            until_ms: Some(at(20)),
            ..Bounds::new(at(0))
        };
        let t = trace(search, &start, &b).expect("trace");
        let seqs: Vec<u64> = t.steps.iter().map(|s| s.seq).collect();
        // The login (minute 0) and the logoff (minute 20) are outside; the window is the span
        // of the rest, with the slack, inside the bounds.
        assert_eq!(seqs, [2, 3, 4, 5, 6]);
        assert_eq!(t.since_ms, Some(at(1)));
        assert_eq!(t.until_ms, Some(at(20)));
    });
}

#[test]
fn trace_of_nothing_is_empty_and_bad_starts_are_refused() {
    each_search(&scenario(), |search| {
        let t = trace(search, &Start::Session("nope".into()), &bounds()).expect("trace");
        assert!(t.steps.is_empty());
        assert!(trace(search, &Start::User(String::new()), &bounds()).is_err());
        // A user seed without `since` looks back a week from now: the scenario is long gone.
        let later = Bounds::new(at(60 * 24 * 30));
        let t = trace(search, &Start::User("alice".into()), &later).expect("trace");
        assert!(t.steps.is_empty());
    });
}

#[test]
fn trace_alternative_session_ids_and_shared_logon_ids() {
    let entries: Vec<(String, Value)> = [
        // A split admin token: two logons naming each other; both carry SYSTEM as the subject.
        ev("Microsoft Windows", 0)
            .user("alice")
            .session("ws1/0x1a")
            .session_alt("ws1/0x1b"),
        ev("Microsoft Windows", 0)
            .user("alice")
            .session("ws1/0x1b")
            .session_alt("ws1/0x1a"),
        ev("Microsoft Windows", 1).user("bob").session("ws1/0x2c"),
    ]
    .into_iter()
    .map(|e| {
        let mut e = e.0;
        e["actor"] = serde_json::json!({"session": {"uid": "ws1/0x3e7"}});
        ("win".to_string(), e)
    })
    .collect();
    each_search(&entries, |search| {
        let t = trace(search, &Start::Session("ws1/0x1a".into()), &bounds()).expect("trace");
        assert_eq!(
            shape(&t),
            [
                step(0, "seed", "session=ws1/0x1a", None),
                step(1, "key", "session=ws1/0x1b", Some(0)),
            ]
        );
        assert!(t.steps.iter().all(|s| s.linked_by.rule != Rule::Window));
    });
}

#[test]
fn trace_sees_one_log_prefix_while_entries_arrive() {
    /// A search whose log grows by one entry after its first answer.
    struct Growing(Memory, std::sync::atomic::AtomicBool);
    impl Search for Growing {
        fn find(
            &self,
            q: &crate::query::Query,
            from: u64,
            limit: usize,
        ) -> crate::Result<crate::search::Page> {
            let mut page = self.0.find(q, from, limit)?;
            if !self.1.swap(true, std::sync::atomic::Ordering::SeqCst) {
                let first = self.0.entries.len() as u64 - 1;
                page.hits.retain(|h| h.seq < first);
                page.scanned_to = first;
            }
            Ok(page)
        }
        fn tally(&self, q: &crate::query::Query) -> crate::Result<crate::search::Tallied> {
            self.0.tally(q)
        }
    }
    let mut entries = scenario();
    // Arrives after the trace began: carries t1, but is past the first answer's log size.
    entries.push(("gw".into(), ev("nginx", 3).trace("t1").0));
    let search = Growing(Memory { entries }, false.into());
    let t = trace(&search, &Start::Session("s1".into()), &bounds()).expect("trace");
    assert_eq!(t.scanned_to, 15);
    assert!(t.steps.iter().all(|s| s.seq < 15));
    assert!(t.steps.iter().any(|s| s.seq == 3));
}
