//! Golden tests of the Keycloak parser over the shared datasets: snapshots of what each line
//! becomes, auto-detection against the explicit format, and checks against what CrowdSec's
//! `parser.assert` and `scenario.assert` say of the lines.

mod support;

use std::collections::BTreeMap;

use authtrail_ingest::pipeline::Normalized;
use authtrail_ingest::InputFormat;

/// The CrowdSec keycloak-logs parser test (7 LOGIN_ERROR lines).
const LOGS_FILE: &str = "keycloak/crowdsec-hub/keycloak-logs/keycloak-logs.log";

/// The CrowdSec keycloak-bf scenario test (10 LOGIN_ERROR lines from one address).
const BF_FILE: &str = "keycloak/crowdsec-hub/keycloak-bf/keycloak-logs.log";

#[test]
fn keycloak_crowdsec_logs() {
    let Some(records) = support::normalized(LOGS_FILE, InputFormat::Keycloak) else {
        return;
    };
    assert_eq!(records.len(), 7);
    insta::assert_snapshot!("keycloak_logs", support::render_with_events(&records));
}

#[test]
fn keycloak_crowdsec_bf() {
    let Some(records) = support::normalized(BF_FILE, InputFormat::Keycloak) else {
        return;
    };
    assert_eq!(records.len(), 10);
    insta::assert_snapshot!("keycloak_bf", support::render(&records));
    // scenario.assert: the first six events of the alert, from 192.168.1.2 at
    // 2023-05-25T22:24:19.357Z, with these users.
    let users = [
        "user-a", "user-a1", "user-a2", "user-a5", "user-a6", "user-a7",
    ];
    for ((line, n), want) in records.iter().zip(users) {
        let e = &n.event;
        assert_eq!(e.status.as_deref(), Some("Failure"), "L{line}");
        assert_eq!(e.user.as_ref().and_then(|u| u.name.as_deref()), Some(want));
        assert_eq!(
            e.src_endpoint.as_ref().and_then(|s| s.ip.as_deref()),
            Some("192.168.1.2")
        );
        assert_eq!(e.time, 1_685_053_459_357, "L{line}");
    }
}

#[test]
fn auto_picks_the_same_parser() {
    for path in [LOGS_FILE, BF_FILE] {
        let Some(body) = support::dataset(path) else {
            return;
        };
        for (line, a, b) in support::explicit_and_auto(path, &body, InputFormat::Keycloak) {
            assert!(!a.event.is_unparsed(), "{path} L{line}");
            assert!(a.parser.is_some(), "{path} L{line}");
            support::assert_auto_agrees(path, line, &a, &b);
        }
    }
}

/// Disagreements with CrowdSec that are on purpose: none, every asserted value agrees.
const EXPLAINED: &[support::Explained] = &[];

#[test]
fn crowdsec_parser_asserts_agree() {
    let mut cmp = support::CrowdsecComparison::new(EXPLAINED);
    let Some((body, asserts)) = support::crowdsec_test(LOGS_FILE) else {
        return;
    };
    let expectations = support::crowdsec_meta(&asserts);
    let records = support::normalize(&body, InputFormat::Keycloak);
    assert_eq!(expectations.len(), records.len(), "one entry per line");
    let by_line: BTreeMap<usize, &Normalized> = records.iter().map(|(l, n)| (*l, n)).collect();
    for (line, meta) in &expectations {
        let e = &by_line.get(line).expect("a record for every line").event;
        // CrowdSec's log_type is the Keycloak type: `…_ERROR` is a failure.
        let theirs_status = meta.get("log_type").map(|t| {
            if t.ends_with("_ERROR") {
                "Failure".to_string()
            } else {
                "Success".to_string()
            }
        });
        let checks = [
            (
                "ip",
                meta.get("source_ip").cloned(),
                e.src_endpoint.as_ref().and_then(|s| s.ip.clone()),
            ),
            (
                "user",
                meta.get("username").cloned(),
                e.user.as_ref().and_then(|u| u.name.clone()),
            ),
            ("status", theirs_status, e.status.clone()),
            ("error", meta.get("error").cloned(), e.status_detail.clone()),
            (
                "type",
                meta.get("log_type").cloned(),
                e.unmapped
                    .get("keycloak.type")
                    .and_then(|t| t.as_str())
                    .map(String::from),
            ),
        ];
        for (field, theirs, ours) in checks {
            if let Some(theirs) = theirs {
                cmp.compare(LOGS_FILE, *line, field, &theirs, ours);
            }
        }
    }
    cmp.finish(35);
    insta::assert_snapshot!("crowdsec_parser_asserts", cmp.table);
}
