//! Golden tests of the Microsoft Entra ID parser over the shared datasets: a snapshot of what
//! each Panther rule-test record (and the Azure records of Panther's cross-source tests)
//! becomes, auto-detection against the explicit format, and the splitting of Graph pages and
//! diagnostic-settings files into their records.

mod support;

use authtrail_ingest::parse::entra;
use authtrail_ingest::InputFormat;
use serde_json::Value;

/// Panther's Azure sign-in and audit rule tests: one JSON object per line, the record under `log`.
const PANTHER_FILE: &str = "azure-signin/panther-analysis/rule-tests.jsonl";
/// Panther's tests of rules over many log types; the `Azure.Audit` ones are Entra records.
const CROSS_SOURCE_FILE: &str = "cross-source/panther-analysis/rule-tests.jsonl";

/// The `Azure.Audit` records of the cross-source tests, as NDJSON, or `None` to skip.
fn cross_source_records() -> Option<Vec<u8>> {
    let all = support::panther_dataset(CROSS_SOURCE_FILE)?;
    let text = String::from_utf8(all).expect("utf-8");
    let mut out = String::new();
    for line in text.lines() {
        let log: Value = serde_json::from_str(line).expect("JSON");
        if log["p_log_type"] == "Azure.Audit" {
            out.push_str(line);
            out.push('\n');
        }
    }
    Some(out.into_bytes())
}

#[test]
fn panther_rule_tests() {
    let Some(body) = support::panther_dataset(PANTHER_FILE) else {
        return;
    };
    let records = support::normalize(&body, InputFormat::Entra);
    assert_eq!(records.len(), 25);
    let mapped = records
        .iter()
        .filter(|(_, n)| !n.event.is_unparsed())
        .count();
    assert_eq!(mapped, 13, "{}", support::render(&records));
    // Every record left unparsed is so for a reason naming what it is.
    for (line, n) in &records {
        if let Some(reason) = &n.unparsed_reason {
            assert!(
                reason.starts_with("entra: Entra ")
                    && reason.ends_with("is not an authentication event"),
                "L{line}: {reason}"
            );
        }
    }
    insta::assert_snapshot!(
        "entra_panther_rule_tests",
        support::render_with_events(&records)
    );
}

#[test]
fn cross_source_azure_records() {
    let Some(body) = cross_source_records() else {
        return;
    };
    let records = support::normalize(&body, InputFormat::Entra);
    assert_eq!(records.len(), 1);
    insta::assert_snapshot!(
        "entra_cross_source_records",
        support::render_with_events(&records)
    );
}

#[test]
fn auto_picks_entra_for_every_entra_record() {
    let (Some(panther), Some(cross)) = (
        support::panther_dataset(PANTHER_FILE),
        cross_source_records(),
    ) else {
        return;
    };
    let mut mapped = 0;
    for (path, body) in [(PANTHER_FILE, panther), (CROSS_SOURCE_FILE, cross)] {
        let text = String::from_utf8(body.clone()).expect("utf-8");
        let records = support::explicit_and_auto(path, &body, InputFormat::Entra);
        for ((line, a, b), raw) in records.iter().zip(text.lines()) {
            // Every record, mapped or not, is an Entra record and is read as one.
            assert!(entra::looks_like(raw), "{path} L{line}");
            assert_eq!(b.parser.map(|p| p.name()), Some("entra"), "{path} L{line}");
            if a.event.is_unparsed() {
                assert_eq!(a.unparsed_reason, b.unparsed_reason, "{path} L{line}");
                continue;
            }
            mapped += 1;
            support::assert_auto_agrees(path, *line, a, b);
        }
    }
    assert_eq!(mapped, 14);
}

/// A Graph `signIn` of `user` with error `code`.
fn graph_sign_in(user: &str, code: u32) -> String {
    format!(
        r#"{{"id": "id-{user}", "createdDateTime": "2024-05-01T10:00:00Z", "userPrincipalName": "{user}@contoso.example", "userId": "uid-{user}", "appDisplayName": "Azure Portal", "ipAddress": "203.0.113.7", "conditionalAccessStatus": "notApplied", "status": {{"errorCode": {code}}}}}"#
    )
}

/// A diagnostic-settings sign-in record of `user` with result `code`.
fn diagnostic_sign_in(user: &str, code: u32) -> String {
    format!(
        r#"{{"time": "2024-05-01T10:00:01Z", "category": "SignInLogs", "operationName": "Sign-in activity", "resultType": "{code}", "tenantId": "t-1", "properties": {}}}"#,
        graph_sign_in(user, code)
    )
}

#[test]
fn graph_pages_and_diagnostic_files_split_into_their_records() {
    let page = format!(
        "{{\"@odata.context\": \"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns\", \"value\": [\n{},\n{}\n], \"@odata.nextLink\": \"https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=x\"}}",
        graph_sign_in("alice", 0),
        graph_sign_in("bob", 50126)
    );
    let file = format!(
        "{{\"records\": [\n{},\n{},\n{}\n]}}",
        diagnostic_sign_in("alice", 0),
        diagnostic_sign_in("bob", 50126),
        diagnostic_sign_in("carol", 50074)
    );
    let expected = [
        ("alice@contoso.example", "Success"),
        ("bob@contoso.example", "Failure"),
        ("carol@contoso.example", "Other"),
    ];
    for (body, count, first_line) in [(page, 2, 2), (file, 3, 2)] {
        let records = support::normalize(body.as_bytes(), InputFormat::Entra);
        assert_eq!(records.len(), count, "{body}");
        for (i, ((line, n), (user, status))) in records.iter().zip(expected).enumerate() {
            assert_eq!(*line, first_line + i, "{body}");
            assert!(n.unparsed_reason.is_none(), "{:?}", n.unparsed_reason);
            let e = &n.event;
            assert_eq!(e.class_uid, 3002);
            assert_eq!(e.user.as_ref().and_then(|u| u.name.as_deref()), Some(user));
            assert_eq!(e.status.as_deref(), Some(status));
            assert_eq!(
                e.metadata.extra.get("log_format"),
                Some(&Value::from("entra"))
            );
        }
    }
}
