//! Golden tests of the SSO portal parsers (Authelia, authentik) over the shared datasets:
//! snapshots of what each line becomes, auto-detection against the explicit format, and checks
//! against what CrowdSec's `parser.assert` says of each line.

mod support;

use std::collections::BTreeMap;

use authtrail_ingest::pipeline::Normalized;
use authtrail_ingest::InputFormat;

/// The CrowdSec Authelia test log (15 logfmt lines, then 15 JSON ones).
const AUTHELIA_FILE: &str = "other-auth-portals/crowdsec-hub/authelia-logs/authelia-logs.log";

/// The CrowdSec authentik test log.
const AUTHENTIK_FILE: &str = "other-auth-portals/crowdsec-hub/authentik-logs/authentik-logs.log";

const FILES: [(&str, InputFormat); 2] = [
    (AUTHELIA_FILE, InputFormat::Authelia),
    (AUTHENTIK_FILE, InputFormat::Authentik),
];

#[test]
fn authelia_crowdsec_log() {
    let Some(records) = support::normalized(AUTHELIA_FILE, InputFormat::Authelia) else {
        return;
    };
    assert_eq!(records.len(), 30);
    insta::assert_snapshot!(
        "authelia_authelia_logs",
        support::render_with_events(&records)
    );
}

#[test]
fn authentik_crowdsec_log() {
    let Some(records) = support::normalized(AUTHENTIK_FILE, InputFormat::Authentik) else {
        return;
    };
    assert_eq!(records.len(), 3);
    insta::assert_snapshot!(
        "authentik_authentik_logs",
        support::render_with_events(&records)
    );
}

#[test]
fn auto_picks_the_same_parser() {
    for (path, format) in FILES {
        let Some(body) = support::dataset(path) else {
            return;
        };
        for (line, a, b) in support::explicit_and_auto(path, &body, format) {
            assert!(a.parser.is_some(), "{path} L{line}");
            support::assert_auto_agrees(path, line, &a, &b);
        }
    }
}

/// What CrowdSec's s01 parser says of one line.
#[derive(Debug, Default)]
struct Expectation {
    /// Whether the parser took the line at all.
    success: Option<bool>,
    /// `Evt.Meta[...]` values.
    meta: BTreeMap<String, String>,
}

/// From the `results["s01-parse"]["<parser>"][N]…` lines: line number (N + 1) → expectation.
fn crowdsec_expectations(assert_file: &str) -> BTreeMap<usize, Expectation> {
    let mut out: BTreeMap<usize, Expectation> = BTreeMap::new();
    for (line, rest) in support::crowdsec_s01_entries(assert_file) {
        let entry = out.entry(line).or_default();
        if let Some(success) = rest.strip_prefix("Success == ") {
            entry.success = Some(success.trim() == "true");
        } else if let Some(("Meta", key, value)) = support::crowdsec_evt_value(rest) {
            entry.meta.insert(key.to_string(), value);
        }
    }
    out
}

/// Disagreements with CrowdSec that are on purpose: none so far, every asserted value agrees.
const EXPLAINED: &[support::Explained] = &[];

#[test]
fn crowdsec_parser_asserts_agree() {
    let mut cmp = support::CrowdsecComparison::new(EXPLAINED);
    for (path, format) in FILES {
        let Some((body, asserts)) = support::crowdsec_test(path) else {
            return;
        };
        let expectations = crowdsec_expectations(&asserts);
        let records = support::normalize(&body, format);
        assert_eq!(
            expectations.len(),
            records.len(),
            "{path}: one entry per line"
        );
        let by_line: BTreeMap<usize, &Normalized> = records.iter().map(|(l, n)| (*l, n)).collect();
        cmp.table.push_str(&format!("== {path}\n"));
        for (line, expect) in &expectations {
            let n = by_line.get(line).expect("a record for every line");
            let e = &n.event;
            if e.is_unparsed() {
                let reason = n.unparsed_reason.as_deref().unwrap_or("");
                cmp.table
                    .push_str(&format!("L{line} unparsed: {reason} DISAGREES\n"));
                cmp.unexplained
                    .push(format!("{path} L{line}: unparsed: {reason}"));
                continue;
            }
            let ours_outcome = format!(
                "{} {}",
                e.activity_name.as_deref().unwrap_or("?"),
                e.status.as_deref().unwrap_or("?")
            );
            if expect.success != Some(true) {
                // CrowdSec's parser keeps only failures; what it skips we still map.
                cmp.table.push_str(&format!(
                    "L{line} crowdsec skips the line; ours: {ours_outcome}\n"
                ));
                continue;
            }
            let ours_ip = e.src_endpoint.as_ref().and_then(|s| s.ip.clone());
            let ours_user = e.user.as_ref().and_then(|u| u.name.clone());
            // CrowdSec's log_type: auth_failed / authentik_failed_auth / … vs our status.
            let theirs_failed = expect.meta.get("log_type").map(|t| {
                if t.contains("fail") || t.contains("invalid") {
                    "Failure".to_string()
                } else {
                    "Success".to_string()
                }
            });
            let checks = [
                ("ip", expect.meta.get("source_ip").cloned(), ours_ip),
                (
                    "user",
                    expect
                        .meta
                        .get("user")
                        .or(expect.meta.get("username"))
                        .cloned(),
                    ours_user,
                ),
                ("status", theirs_failed, e.status.clone()),
            ];
            for (field, theirs, ours) in checks {
                if let Some(theirs) = theirs {
                    cmp.compare(path, *line, field, &theirs, ours);
                }
            }
        }
    }
    cmp.finish(90);
    insta::assert_snapshot!("crowdsec_parser_asserts", cmp.table);
}

/// What the Authelia lines are, by their messages: 1FA and second-factor failures and successes.
#[test]
fn authelia_factors_and_outcomes() {
    let Some(body) = support::dataset(AUTHELIA_FILE) else {
        return;
    };
    let text = String::from_utf8(body.clone()).expect("utf-8");
    let records = support::normalize(&body, InputFormat::Authelia);
    for ((line, n), raw) in records.iter().zip(text.lines()) {
        let e = &n.event;
        assert_eq!(e.class_uid, 3002, "L{line}: {:?}", n.unparsed_reason);
        let success = raw.contains("\"Successful ") || raw.contains("msg=\"Successful ");
        assert_eq!(e.status_id, if success { 1 } else { 2 }, "L{line}");
        let second = raw.contains("/api/secondfactor/");
        assert_eq!(e.is_mfa, Some(second), "L{line}");
    }
}
