//! Golden tests of the Okta System Log parser over the shared datasets: a snapshot of what each
//! Panther rule-test event becomes, and auto-detection against the explicit format.

mod support;

use authtrail_ingest::parse::okta;
use authtrail_ingest::InputFormat;

/// Panther's Okta rule tests: one JSON object per line, the Okta event under `log`.
const PANTHER_FILE: &str = "okta/panther-analysis/rule-tests.jsonl";

#[test]
fn panther_rule_tests() {
    let Some(body) = support::panther_dataset(PANTHER_FILE) else {
        return;
    };
    let records = support::normalize(&body, InputFormat::Okta);
    assert_eq!(records.len(), 57);
    insta::assert_snapshot!(
        "okta_panther_rule_tests",
        support::render_with_events(&records)
    );
}

#[test]
fn auto_picks_okta_for_every_okta_event() {
    let Some(body) = support::panther_dataset(PANTHER_FILE) else {
        return;
    };
    let text = String::from_utf8(body.clone()).expect("utf-8");
    let records = support::explicit_and_auto(PANTHER_FILE, &body, InputFormat::Okta);
    let mut mapped = 0;
    for ((line, a, b), raw) in records.iter().zip(text.lines()) {
        let lower = raw.to_ascii_lowercase();
        // Every record with an event type looks like Okta's; the rest are Panther aggregates.
        assert_eq!(
            okta::looks_like(raw),
            lower.contains("\"eventtype\""),
            "L{line}"
        );
        if a.event.is_unparsed() {
            continue;
        }
        mapped += 1;
        assert_eq!(b.parser.map(|p| p.name()), Some("okta"), "L{line}");
        support::assert_auto_agrees(PANTHER_FILE, *line, a, b);
    }
    assert!(mapped >= 10, "only {mapped} events mapped");
}
