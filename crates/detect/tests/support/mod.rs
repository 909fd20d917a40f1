//! Shared by the engine tests: events shaped as the parsers write them, engines over built-ins.

#![allow(dead_code)]

pub mod mmdb;

use authtrail_detect::{Alert, Engine, Rules};
use authtrail_store::query::Record;
use serde_json::{json, Value};

/// 2026-11-27T00:00:00Z, ms.
pub const T0: i64 = 1_795_737_600_000;
/// One second, ms.
pub const S: i64 = 1_000;
/// One minute, ms.
pub const M: i64 = 60_000;

/// An event to feed: its seq and OCSF JSON.
#[derive(Clone, Debug)]
pub struct Ev {
    pub seq: u64,
    pub event: Value,
}

/// An sshd-style Authentication Logon with `status_id` 2 (Failure) or 1 (Success), as in the
/// ingest snapshots (`user` None gives the model's unknown-user placeholder).
pub fn logon(seq: u64, t: i64, user: Option<&str>, ip: &str, ok: bool) -> Ev {
    let (status_id, status) = if ok { (1, "Success") } else { (2, "Failure") };
    let user = match user {
        Some(name) => json!({"name": name}),
        None => json!({"name": "(unknown)", "type": "Unknown", "type_id": 0}),
    };
    Ev {
        seq,
        event: json!({
            "class_uid": 3002, "class_name": "Authentication", "category_uid": 3,
            "category_name": "Identity & Access Management", "activity_id": 1,
            "activity_name": "Logon", "type_uid": 300201, "type_name": "Authentication: Logon",
            "time": t, "severity_id": 2, "severity": "Low", "status_id": status_id,
            "status": status,
            "metadata": {"product": {"name": "OpenSSH", "vendor_name": "OpenBSD"},
                         "version": "1.6.0"},
            "user": user, "src_endpoint": {"ip": ip, "port": 53502},
            "service": {"name": "sshd"},
        }),
    }
}

/// A failed logon.
pub fn fail(seq: u64, t: i64, user: &str, ip: &str) -> Ev {
    logon(seq, t, Some(user), ip, false)
}

/// An engine running only the built-in rule `id`.
pub fn engine_for(id: &str) -> Engine {
    let rule = Rules::builtin()
        .unwrap()
        .get(id)
        .unwrap_or_else(|| panic!("no built-in {id}"))
        .clone();
    Engine::new([rule])
}

/// Feeds `events` in order; every alert raised.
pub fn run(engine: &mut Engine, events: &[Ev]) -> Vec<Alert> {
    let mut out = Vec::new();
    for e in events {
        out.extend(engine.observe(&Record {
            seq: e.seq,
            source: "sshd",
            event: &e.event,
        }));
    }
    out
}

/// Runs the built-in `id` alone over `events`.
pub fn alerts(id: &str, events: &[Ev]) -> Vec<Alert> {
    run(&mut engine_for(id), events)
}

/// Events built from `(t, user, ip)` triples, seqs from 1.
pub fn failures(spec: impl IntoIterator<Item = (i64, String, String)>) -> Vec<Ev> {
    spec.into_iter()
        .enumerate()
        .map(|(i, (t, user, ip))| fail(i as u64 + 1, t, &user, &ip))
        .collect()
}

/// The next number of a xorshift64 sequence (the test streams' deterministic randomness).
pub fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// A deterministic mixed stream from `seed` (some events up to 30 s late): spraying, brute force
/// and noise from a few addresses, one event in five a success.
pub fn mixed_stream(n: u64, seed: u64) -> Vec<Ev> {
    let mut x = seed | 1;
    (0..n)
        .map(|seq| {
            x = xorshift(x);
            let ip = format!("203.0.113.{}", x % 7);
            let user = format!("user{}", (x >> 8) % 40);
            let t = T0 + seq as i64 * 700 - ((x >> 20) % 30_000) as i64;
            logon(seq, t, Some(&user), &ip, (x >> 30).is_multiple_of(5))
        })
        .collect()
}

/// An Okta-style MFA challenge for `user`: denied (`ok` false) or approved.
pub fn mfa(seq: u64, t: i64, user: &str, ok: bool) -> Ev {
    let mut e = logon(seq, t, Some(user), "198.51.100.7", ok);
    e.event["is_mfa"] = json!(true);
    e.event["metadata"]["product"] = json!({"name": "Okta", "vendor_name": "Okta"});
    if !ok {
        e.event["status_detail"] = json!("push denied");
    }
    e
}

/// An Authorize Session (3003) event granting privileges to `user`.
pub fn grant(seq: u64, t: i64, user: &str) -> Ev {
    Ev {
        seq,
        event: json!({
            "class_uid": 3003, "class_name": "Authorize Session", "category_uid": 3,
            "activity_id": 1, "activity_name": "Assign Privileges", "type_uid": 300301,
            "time": t, "severity_id": 1, "status_id": 1, "status": "Success",
            "metadata": {"product": {"name": "Entra ID", "vendor_name": "Microsoft"},
                         "version": "1.6.0"},
            "user": {"name": user}, "privileges": ["Global Administrator"],
        }),
    }
}

/// An engine running every built-in rule.
pub fn all_builtins() -> Engine {
    Engine::new(Rules::builtin().unwrap().into_vec())
}

/// The rule ids of `alerts`, in order.
pub fn ids(alerts: &[Alert]) -> Vec<&str> {
    alerts.iter().map(|a| a.rule_id.as_str()).collect()
}
