//! Alerts become OCSF Detection Findings that pass the OCSF schema check.
//!
//! A missing `../shared` (a user's clone) skips the schema check with a printed notice; with
//! `CI` set it fails instead.

mod support;

use std::path::Path;

use authtrail_model::schema::Schema;
use support::*;

fn schema() -> Option<Schema> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets/ocsf-schema");
    if !dir.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} not found and CI is set",
            dir.display()
        );
        println!("skipping: ../shared/datasets/ocsf-schema not found");
        return None;
    }
    Some(Schema::load(&dir).unwrap_or_else(|e| panic!("OCSF schema: {e}")))
}

/// Thirty failures, 15 users x 2 tries over 5 addresses, 5 s apart.
fn spread_stuffing() -> Vec<Ev> {
    failures((0..30).map(|i| {
        (
            T0 + i * 5 * S,
            format!("user{}", i % 15),
            format!("192.0.2.{}", i % 5),
        )
    }))
}

#[test]
fn every_builtin_alert_is_a_valid_detection_finding() {
    // One stream that fires every built-in: 150 failures, 15 users x 2 tries over 5 addresses
    // per product, plus a burst on root.
    let mut ev = spread_stuffing();
    ev.extend(failures((0..30).map(|i| {
        (T0 + i * S, "root".into(), format!("198.51.100.{}", i % 6))
    })));
    ev.extend(failures(
        (0..30).map(|i| (T0 + i * S, format!("u{i}"), "203.0.113.9".into())),
    ));
    for (i, e) in ev.iter_mut().enumerate() {
        e.seq = i as u64;
    }
    ev.sort_by_key(|e| e.event["time"].as_i64());
    let mut engine =
        authtrail_detect::Engine::new(authtrail_detect::Rules::builtin().unwrap().into_vec());
    let alerts = run(&mut engine, &ev);
    let fired: std::collections::BTreeSet<&str> =
        alerts.iter().map(|a| a.rule_id.as_str()).collect();
    for id in [
        "brute-force-ip",
        "brute-force-user",
        "password-spraying",
        "credential-stuffing",
        "credential-stuffing-distributed",
        "distributed-brute-force",
    ] {
        assert!(fired.contains(id), "{id} did not fire: {fired:?}");
    }
    let a = &alerts[0];
    let f = a.to_ocsf();
    assert_eq!(f["class_uid"], 2004);
    assert_eq!(f["type_uid"], 200401);
    assert_eq!(f["finding_info"]["uid"], a.uid.as_str());
    assert_eq!(f["finding_info"]["analytic"]["uid"], a.rule_id.as_str());
    assert_eq!(f["finding_info"]["related_events_count"], a.evidence_total);
    assert_eq!(
        f["finding_info"]["related_events"]
            .as_array()
            .unwrap()
            .len(),
        a.evidence.len()
    );
    assert_eq!(f["time"], a.window_end_ms);
    let Some(schema) = schema() else {
        return;
    };
    for a in &alerts {
        let f = a.to_ocsf();
        // The one deliberate extension: the group's address at the top level (DESIGN.md §3),
        // which OCSF's Detection Finding does not define.
        let problems: Vec<_> = schema
            .check(&f)
            .into_iter()
            .filter(|v| !(v.path == "src_endpoint" && f["src_endpoint"]["ip"].is_string()))
            .collect();
        assert!(problems.is_empty(), "{}: {problems:#?}\n{f:#}", a.rule_id);
    }
}

#[test]
fn the_group_user_and_address_are_at_the_top_level() {
    let by_user = alerts(
        "brute-force-user",
        &failures((0..10).map(|i| (T0 + i * S, "alice".into(), format!("192.0.2.{i}")))),
    );
    let f = by_user[0].to_ocsf();
    assert_eq!(f["actor"]["user"]["name"], "alice");
    assert_eq!(f["metadata"]["profiles"], serde_json::json!(["host"]));
    assert!(f.get("src_endpoint").is_none(), "{f:#}");
    let by_ip = alerts(
        "brute-force-ip",
        &failures((0..10).map(|i| (T0 + i * S, format!("u{i}"), "203.0.113.9".into()))),
    );
    let f = by_ip[0].to_ocsf();
    assert_eq!(f["src_endpoint"]["ip"], "203.0.113.9");
    assert!(f.get("actor").is_none(), "{f:#}");
    assert!(f["metadata"].get("profiles").is_none(), "{f:#}");
}

#[test]
fn uid_is_stable_and_depends_on_rule_group_and_start() {
    let g = vec![("ip".to_string(), "203.0.113.9".to_string())];
    let uid = authtrail_detect::Alert::make_uid("brute-force-ip", &g, T0);
    assert_eq!(uid.len(), 32);
    assert_eq!(
        uid,
        authtrail_detect::Alert::make_uid("brute-force-ip", &g, T0)
    );
    assert_ne!(
        uid,
        authtrail_detect::Alert::make_uid("brute-force-ip", &g, T0 + 1)
    );
    assert_ne!(
        uid,
        authtrail_detect::Alert::make_uid("brute-force-user", &g, T0)
    );
    assert_ne!(
        uid,
        authtrail_detect::Alert::make_uid("brute-force-ip", &[], T0)
    );
}

#[test]
fn evidence_is_capped_with_the_total_kept() {
    let rule = authtrail_detect::Rules::from_sources(&[(
        "t.yaml",
        "rules:\n  - {id: many, title: t, severity: low, filter: status=failure, window: 1h, count: 150}\n",
    )])
    .unwrap()
    .into_vec();
    let mut engine = authtrail_detect::Engine::new(rule);
    let a = run(
        &mut engine,
        &failures((0..150).map(|i| (T0 + i * S, "u".into(), "203.0.113.9".into()))),
    );
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].evidence.len(), 100);
    assert_eq!(a[0].evidence_total, 150);
    assert_eq!(
        a[0].to_ocsf()["evidences"][0]["data"]["evidence_truncated"],
        true
    );
}

#[test]
fn every_alert_reads_back_from_the_log_as_it_was_raised() {
    // Threshold alerts with distinct values (two conditions: user then ip), a sequence grouped
    // by user then ip, and one that follows other alerts.
    let mut ev = spread_stuffing();
    ev.extend((0..10).map(|i| fail(100 + i, T0 + i as i64 * S, "erin", "203.0.113.9")));
    ev.push(logon(200, T0 + 20 * S, Some("erin"), "203.0.113.9", true));
    ev.push(grant(201, T0 + 30 * S, "erin"));
    ev.sort_by_key(|e| e.event["time"].as_i64());
    let alerts = run(&mut all_builtins(), &ev);
    let fired: std::collections::BTreeSet<&str> = ids(&alerts).into_iter().collect();
    for id in [
        "credential-stuffing-distributed",
        "success-after-failures",
        "privilege-grant-after-alert",
    ] {
        assert!(fired.contains(id), "{id} did not fire: {fired:?}");
    }
    for a in &alerts {
        // What the log stores: the finding as a validated event, in canonical bytes.
        let stored = authtrail_model::Event::from_value(a.to_ocsf()).unwrap();
        let back: serde_json::Value = serde_json::from_slice(&stored.canonical_bytes()).unwrap();
        assert_eq!(
            authtrail_detect::Alert::from_ocsf(&back).as_ref(),
            Some(a),
            "{back:#}"
        );
        let row = authtrail_detect::listing::AlertSummary::of(&back);
        assert_eq!(row.alert.as_ref(), Some(a));
        assert_eq!((row.count, row.time_ms), (a.count, a.window_end_ms));
        assert_eq!(row.group, a.group);
    }
}
