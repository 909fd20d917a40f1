//! Golden tests of the Auth0 parser over the shared datasets: snapshots of what each event
//! becomes, and auto-detection against the explicit format.
//!
//! The datasets wrap the Auth0 records (Panther's rule tests under `log`, Elastic's pipeline test
//! under `events[].json`); the tests take those wrappers off and feed the records as NDJSON, one
//! `{"log_id", "data"}` record a line, as a log stream delivers them.

mod support;

use authtrail_ingest::InputFormat;
use serde_json::Value;

/// Panther's Auth0 rule tests: one test a line, the record under `log`.
const PANTHER_FILE: &str = "auth0/panther-analysis/rule-tests.jsonl";

/// Elastic's Auth0 pipeline test: `{"events": [{"json": record}, …]}`.
const ELASTIC_FILE: &str = "auth0/elastic-integrations/test-login-failure.json";

/// The Elastic records, as NDJSON.
fn elastic_records(body: &[u8]) -> Vec<u8> {
    let doc: Value = serde_json::from_slice(body).expect("JSON");
    let mut out = String::new();
    for event in doc["events"].as_array().expect("events") {
        out.push_str(&serde_json::to_string(&event["json"]).expect("JSON"));
        out.push('\n');
    }
    out.into_bytes()
}

/// Each dataset's NDJSON, or `None` to skip.
fn datasets() -> Option<[(&'static str, Vec<u8>); 2]> {
    Some([
        (PANTHER_FILE, support::panther_dataset(PANTHER_FILE)?),
        (
            ELASTIC_FILE,
            elastic_records(&support::dataset(ELASTIC_FILE)?),
        ),
    ])
}

#[test]
fn panther_rule_tests() {
    let Some([(_, body), _]) = datasets() else {
        return;
    };
    let records = support::normalize(&body, InputFormat::Auth0);
    assert_eq!(records.len(), 30);
    insta::assert_snapshot!(
        "auth0_panther_rule_tests",
        support::render_with_events(&records)
    );
}

#[test]
fn elastic_login_failures() {
    let Some([_, (_, body)]) = datasets() else {
        return;
    };
    let records = support::normalize(&body, InputFormat::Auth0);
    assert_eq!(records.len(), 5);
    for (line, n) in &records {
        let e = &n.event;
        assert!(!e.is_unparsed(), "L{line}: {:?}", n.unparsed_reason);
        assert_eq!(
            (e.class_uid, e.activity_id, e.status_id),
            (3002, 1, 2),
            "L{line}"
        );
    }
    insta::assert_snapshot!(
        "auth0_elastic_login_failures",
        support::render_with_events(&records)
    );
}

#[test]
fn auto_picks_the_same_parser() {
    let Some(files) = datasets() else {
        return;
    };
    for (path, body) in files {
        for (line, a, b) in support::explicit_and_auto(path, &body, InputFormat::Auth0) {
            assert!(a.parser.is_some(), "{path} L{line}");
            support::assert_auto_agrees(path, line, &a, &b);
        }
    }
}
