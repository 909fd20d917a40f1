//! Golden tests of the Okta System Log parser over the shared datasets: a snapshot of what each
//! Panther rule-test event becomes, and auto-detection against the explicit format.

mod support;

use authtrail_ingest::parse::okta;
use authtrail_ingest::InputFormat;
use serde_json::Value;

/// Panther's Okta rule tests: one JSON object per line, the Okta event under `log`.
const PANTHER_FILE: &str = "okta/panther-analysis/rule-tests.jsonl";

/// Each line's `log` object, as NDJSON.
fn panther_events() -> Option<Vec<u8>> {
    let body = support::dataset(PANTHER_FILE)?;
    let text = String::from_utf8(body).expect("utf-8");
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("L{}: {e}", i + 1));
        let log = value
            .get("log")
            .unwrap_or_else(|| panic!("L{}: no log", i + 1));
        out.push_str(&serde_json::to_string(log).expect("json"));
        out.push('\n');
    }
    Some(out.into_bytes())
}

#[test]
fn panther_rule_tests() {
    let Some(body) = panther_events() else {
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
    let Some(body) = panther_events() else {
        return;
    };
    let text = String::from_utf8(body.clone()).expect("utf-8");
    let explicit = support::normalize(&body, InputFormat::Okta);
    let auto = support::normalize(&body, InputFormat::Auto);
    assert_eq!(explicit.len(), auto.len());
    let mut mapped = 0;
    for (((line, a), (_, b)), raw) in explicit.iter().zip(&auto).zip(text.lines()) {
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
        assert_eq!(
            b.parser.map(|p| p.name()),
            Some("okta"),
            "L{line}: auto chose otherwise ({})",
            b.unparsed_reason.as_deref().unwrap_or("")
        );
        assert_eq!(a.event, b.event, "L{line}");
    }
    assert!(mapped >= 10, "only {mapped} events mapped");
}
