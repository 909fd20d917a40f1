//! Golden tests of the Kubernetes audit parser over the shared datasets: a snapshot of what each
//! Panther rule-test event (bare, AKS- and GKE-wrapped) and CrowdSec's pod-exec event become,
//! agreement with CrowdSec's expected alert, auto-detection against the explicit format, and an
//! `EventList` split into its items.

mod support;

use authtrail_ingest::parse::kubernetes;
use authtrail_ingest::InputFormat;
use serde_json::{json, Value};

/// Panther's Kubernetes rule tests: one JSON object per line, the audit record under `log`.
const PANTHER_FILE: &str = "kubernetes-audit/panther-analysis/rule-tests.jsonl";
/// CrowdSec's pod-exec test log: one audit.k8s.io/v1 Event.
const CROWDSEC_FILE: &str =
    "kubernetes-audit/crowdsec-hub/k8s-audit-pod-exec-file/k8s-audit-pod-exec-file.log";

#[test]
fn panther_rule_tests() {
    let Some(body) = support::panther_dataset(PANTHER_FILE) else {
        return;
    };
    let records = support::normalize(&body, InputFormat::Kubernetes);
    assert_eq!(records.len(), 46);
    let unparsed: Vec<&str> = records
        .iter()
        .filter_map(|(_, n)| n.unparsed_reason.as_deref())
        .collect();
    // Only the events of stages that do not carry the outcome are not events.
    assert_eq!(unparsed.len(), 3, "{unparsed:#?}");
    assert!(
        unparsed.iter().all(|r| r.contains("stage ResponseStarted")),
        "{unparsed:#?}"
    );
    insta::assert_snapshot!(
        "kubernetes_panther_rule_tests",
        support::render_with_events(&records)
    );
}

#[test]
fn crowdsec_pod_exec() {
    let Some(records) = support::normalized(CROWDSEC_FILE, InputFormat::Kubernetes) else {
        return;
    };
    assert_eq!(records.len(), 1);
    let e = &records[0].1.event;
    // What CrowdSec's scenario.assert expects of the alert: source, user, namespace, pod, time
    // (CrowdSec stamps the request's receipt; ours is the response's, receipt as start_time).
    assert_eq!(
        e.src_endpoint.as_ref().and_then(|s| s.ip.as_deref()),
        Some("192.168.49.1")
    );
    assert_eq!(
        e.actor
            .as_ref()
            .and_then(|a| a.pointer("/user/name"))
            .and_then(serde_json::Value::as_str),
        Some("minikube-user")
    );
    let resource = &e.other["resources"][0];
    assert_eq!(resource["namespace"], "foo");
    assert_eq!(resource["name"], "test-pod-1");
    assert_eq!(resource["type"], "pods/exec");
    let start = jiff::Timestamp::from_millisecond(e.other["start_time"].as_i64().unwrap());
    assert_eq!(start.unwrap().to_string(), "2023-05-17T15:08:22.763Z");
    insta::assert_snapshot!(
        "kubernetes_crowdsec_pod_exec",
        support::render_with_events(&records)
    );
}

#[test]
fn auto_picks_kubernetes_for_every_audit_event() {
    let (Some(panther), Some(crowdsec)) = (
        support::panther_dataset(PANTHER_FILE),
        support::dataset(CROWDSEC_FILE),
    ) else {
        return;
    };
    let mut mapped = 0;
    for (path, body) in [(PANTHER_FILE, panther), (CROWDSEC_FILE, crowdsec)] {
        let text = String::from_utf8(body.clone()).expect("utf-8");
        let records = support::explicit_and_auto(path, &body, InputFormat::Kubernetes);
        for ((line, a, b), raw) in records.iter().zip(text.lines()) {
            assert!(kubernetes::looks_like(raw), "{path} L{line}");
            // The unparsed ones (ResponseStarted) are the parser's too.
            assert_eq!(b.parser.map(|p| p.name()), Some("kubernetes"), "L{line}");
            if a.event.is_unparsed() {
                continue;
            }
            mapped += 1;
            support::assert_auto_agrees(path, *line, a, b);
        }
    }
    assert!(mapped >= 40, "only {mapped} events mapped");
}

/// An audit event of ours: `verb` by `user` from `ip`, answered `code`.
fn audit_event(id: &str, verb: &str, user: &str, ip: &str, code: u16) -> Value {
    json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": id,
        "stage": "ResponseComplete", "requestURI": "/api/v1/namespaces/dev/secrets", "verb": verb,
        "user": {"username": user, "groups": ["system:authenticated"]}, "sourceIPs": [ip],
        "objectRef": {"resource": "secrets", "namespace": "dev", "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": code},
        "requestReceivedTimestamp": "2024-05-01T10:00:00.000001Z",
        "stageTimestamp": "2024-05-01T10:00:00.002001Z"
    })
}

#[test]
fn event_lists_are_split_into_their_items() {
    let list = json!({
        "kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {},
        "items": [
            audit_event("a-1", "list", "alice", "203.0.113.1", 200),
            audit_event("a-2", "get", "system:anonymous", "203.0.113.2", 403),
            // A stage without the outcome stays in the log, unparsed.
            json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": "a-3", "stage": "RequestReceived", "verb": "get"}),
        ]
    });
    // Pretty-printed, as `kubectl get --raw` writes it.
    let body = serde_json::to_vec_pretty(&list).expect("JSON");
    let records = support::normalize(&body, InputFormat::Kubernetes);
    assert_eq!(records.len(), 3);
    let out = support::render(&records);
    assert_eq!(
        out,
        "L4 API Activity | Read | Success | 2024-05-01T10:00:00.002Z | user=alice | src=203.0.113.1 | session=-\n\
         L33 Authentication | Logon | Failure | 2024-05-01T10:00:00.002Z | user=system:anonymous | src=203.0.113.2 | session=-\n\
         L62 UNPARSED [kubernetes] kubernetes: stage RequestReceived: the request's outcome is in its ResponseComplete event\n",
        "{out}"
    );
    let uids: Vec<Option<&str>> = records
        .iter()
        .map(|(_, n)| n.event.metadata.uid.as_deref())
        .collect();
    assert_eq!(uids, [Some("a-1"), Some("a-2"), None]);

    // A list of core Events (`kubectl get events -o json`) is not audit: each item says so.
    let core = json!({"kind": "EventList", "apiVersion": "v1", "items": [
        {"kind": "Event", "apiVersion": "v1", "reason": "Scheduled", "involvedObject": {"kind": "Pod", "name": "web-1"}}
    ]});
    let records = support::normalize(core.to_string().as_bytes(), InputFormat::Kubernetes);
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].1.unparsed_reason.as_deref(),
        Some("kubernetes: apiVersion \"v1\" is not audit.k8s.io: not an audit event")
    );
}
