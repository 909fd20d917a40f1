//! Golden tests of the AWS CloudTrail parser over the shared datasets: snapshots of what each
//! record becomes, auto-detection against the explicit format, checks against CrowdSec's
//! `parser.assert`, and agreement with the OCSF project's own mapping of a ConsoleLogin.

mod support;

use std::collections::BTreeMap;

use authtrail_ingest::pipeline::Normalized;
use authtrail_ingest::InputFormat;
use serde_json::Value;

/// CrowdSec's CloudTrail test log (a failed ConsoleLogin, a GetCallerIdentity).
const CROWDSEC_FILE: &str = "aws-cloudtrail/crowdsec-hub/aws-cloudtrail/aws-cloudtrail.log";
/// CrowdSec's off-hours ConsoleLogin.
const NWO_FILE: &str = "aws-cloudtrail/crowdsec-hub/aws-nwo-login/aws-nwo-login.log";
/// Panther's rule tests: one JSON object per line with the record under `log`.
const PANTHER_RULES: &str = "aws-cloudtrail/panther-analysis/rule-tests.jsonl";
/// Panther's enrichment scenario (JSON Lines).
const PANTHER_SCENARIO: [&str; 2] = [
    "aws-cloudtrail/panther-analysis/test-scenarios/enrichment-example/victim_cloudtrail.jsonl",
    "aws-cloudtrail/panther-analysis/test-scenarios/enrichment-example/attacker_cloudtrail.jsonl",
];
/// The OCSF project's ConsoleLogin sample and its mapping of it.
const OCSF_RAW: &str = "aws-cloudtrail/ocsf-examples/v1.1.0_console_login.raw.json";
const OCSF_MAPPED: &str = "aws-cloudtrail/ocsf-examples/v1.1.0_console_login.ocsf.json";

/// Every dataset body, by name (`None` when the datasets are absent).
fn bodies() -> Option<Vec<(&'static str, Vec<u8>)>> {
    let mut out = vec![
        (CROWDSEC_FILE, support::dataset(CROWDSEC_FILE)?),
        (NWO_FILE, support::dataset(NWO_FILE)?),
        (PANTHER_RULES, support::panther_dataset(PANTHER_RULES)?),
        (OCSF_RAW, support::dataset(OCSF_RAW)?),
    ];
    for path in PANTHER_SCENARIO {
        out.push((path, support::dataset(path)?));
    }
    Some(out)
}

#[test]
fn cloudtrail_datasets() {
    let Some(bodies) = bodies() else {
        return;
    };
    let mut out = String::new();
    for (path, body) in &bodies {
        let records = support::normalize(body, InputFormat::CloudTrail);
        out.push_str(&format!("== {path}\n"));
        out.push_str(&support::render(&records));
    }
    insta::assert_snapshot!("cloudtrail_datasets", out);
}

#[test]
fn cloudtrail_events() {
    let Some(records) = support::normalized(CROWDSEC_FILE, InputFormat::CloudTrail) else {
        return;
    };
    assert_eq!(records.len(), 2);
    insta::assert_snapshot!(
        "cloudtrail_crowdsec_events",
        support::render_with_events(&records)
    );
}

#[test]
fn auto_picks_the_same_parser() {
    let Some(bodies) = bodies() else {
        return;
    };
    let mut mapped = 0;
    for (path, body) in &bodies {
        if *path == OCSF_RAW {
            // Pretty-printed: `auto` reads lines, not whole documents (as for every format).
            continue;
        }
        for (line, a, b) in support::explicit_and_auto(path, body, InputFormat::CloudTrail) {
            if a.event.is_unparsed() {
                continue;
            }
            mapped += 1;
            support::assert_auto_agrees(path, line, &a, &b);
        }
    }
    assert!(mapped >= 20, "only {mapped} records mapped");
}

/// The OCSF project maps its ConsoleLogin sample as we must: class, activity, status, user,
/// source IP and time.
#[test]
fn agrees_with_the_ocsf_mapping() {
    let (Some(raw), Some(mapped)) = (support::dataset(OCSF_RAW), support::dataset(OCSF_MAPPED))
    else {
        return;
    };
    let theirs: Value = serde_json::from_slice(&mapped).expect("JSON");
    let records = support::normalize(&raw, InputFormat::CloudTrail);
    assert_eq!(records.len(), 1);
    let e = &records[0].1.event;
    assert_eq!(Value::from(e.class_uid), theirs["class_uid"]);
    assert_eq!(Value::from(e.activity_id), theirs["activity_id"]);
    assert_eq!(e.status.as_deref(), theirs["status"].as_str(), "status");
    assert_eq!(Value::from(e.time), theirs["time"]);
    let user = e.user.as_ref().expect("user");
    assert_eq!(user.uid.as_deref(), theirs["user"]["uid"].as_str());
    assert_eq!(
        user.name.as_deref(),
        theirs["actor"]["user"]["name"].as_str()
    );
    assert_eq!(
        e.src_endpoint.as_ref().and_then(|s| s.ip.as_deref()),
        theirs["src_endpoint"]["ip"].as_str()
    );
    assert_eq!(Some(e.is_mfa), Some(theirs["is_mfa"].as_bool()));
    assert_eq!(e.other["cloud"], theirs["cloud"]);
}

/// Disagreements with CrowdSec that are on purpose: none so far.
const EXPLAINED: &[support::Explained] = &[];

#[test]
fn crowdsec_parser_asserts_agree() {
    let Some((body, asserts)) = support::crowdsec_test(CROWDSEC_FILE) else {
        return;
    };
    let mut cmp = support::CrowdsecComparison::new(EXPLAINED);
    let expectations = support::crowdsec_meta(&asserts);
    let records = support::normalize(&body, InputFormat::CloudTrail);
    assert_eq!(expectations.len(), records.len(), "one entry per line");
    let by_line: BTreeMap<usize, &Normalized> = records.iter().map(|(l, n)| (*l, n)).collect();
    for (line, meta) in &expectations {
        let n = by_line.get(line).expect("a record for every line");
        let e = &n.event;
        if e.is_unparsed() {
            // CrowdSec parses every CloudTrail call; we map only authentication events.
            let reason = n.unparsed_reason.as_deref().unwrap_or("");
            assert!(
                reason.contains("is not an authentication event"),
                "{reason}"
            );
            cmp.table.push_str(&format!(
                "L{line} {} not an authentication event; ours unparsed: {reason}\n",
                meta.get("event_name").map_or("?", String::as_str)
            ));
            continue;
        }
        let ours_ip = e.src_endpoint.as_ref().and_then(|s| s.ip.clone());
        let ours_name = e
            .unmapped
            .get("cloudtrail.event_name")
            .and_then(Value::as_str)
            .map(String::from);
        let ours_source = e.service.as_ref().and_then(|s| s.name.clone());
        let ours_region = e.other["cloud"]["region"].as_str().map(String::from);
        let ours_type = e
            .unmapped
            .get("cloudtrail.identity_type")
            .and_then(Value::as_str)
            .map(String::from);
        let ours_account = e
            .unmapped
            .get("cloudtrail.account_id")
            .and_then(Value::as_str)
            .map(String::from);
        let checks = [
            ("ip", "source_ip", ours_ip),
            ("event", "event_name", ours_name),
            ("source", "event_source", ours_source),
            ("region", "region", ours_region),
            ("type", "user_type", ours_type),
            ("acct", "account_id", ours_account),
            ("evid", "event_id", e.metadata.uid.clone()),
        ];
        for (field, key, ours) in checks {
            if let Some(theirs) = meta.get(key) {
                cmp.compare(CROWDSEC_FILE, *line, field, theirs, ours);
            }
        }
    }
    cmp.finish(7);
    insta::assert_snapshot!("crowdsec_parser_asserts", cmp.table);
}
