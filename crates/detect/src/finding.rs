//! An alert as an OCSF Detection Finding (class 2004, activity Create).
//!
//! Where things go: the rule is `finding_info.analytic` (uid = rule id, type Rule); the alert's
//! uid is `finding_info.uid` (and `metadata.uid`); the window is `start_time`/`end_time` and
//! `finding_info.first_seen_time`/`last_seen_time`, with `time` its end; the matching event
//! count is `count`; the evidence seqs are `finding_info.related_events[].uid` (decimal) with
//! `related_events_count` the total; `evidences[0]` names the group (`src_endpoint.ip`,
//! `user.name` when grouped by them) and carries in `data` the group, counts and distinct
//! counts (with their orders, `group_by` and `distinct_by`), whether the seqs were cut to the
//! cap, for a chained rule the uids of the alerts it followed (`alerts`), and the alert's
//! details. [`Alert::from_ocsf`] reads it back.
//!
//! The group's user is also the finding's `actor.user.name` (the OCSF `host` profile, named in
//! `metadata.profiles`) and its address `src_endpoint.ip`, where the query fields `user` and
//! `ip` and the trace read every stored event's: OCSF 2004 has no top-level `src_endpoint`, the
//! one attribute a strict schema check flags (DESIGN.md §3 asks every stored event to carry it).

use authtrail_model::captions::OCSF_VERSION;
use serde_json::{json, Map, Value};

use crate::alert::Alert;
use crate::rule::Severity;

/// OCSF Detection Finding.
const CLASS_UID: i64 = 2004;
/// Activity Create.
const ACTIVITY_ID: i64 = 1;

/// The keys of `evidences[0].data` every alert has; the others are its details.
const COMMON_DATA: &[&str] = &[
    "rule_id",
    "group",
    "group_by",
    "count",
    "distinct",
    "distinct_by",
    "evidence_total",
    "evidence_truncated",
    "alerts",
];

impl Alert {
    /// The alert as an OCSF Detection Finding (class_uid 2004) event.
    pub fn to_ocsf(&self) -> Value {
        let related: Vec<Value> = self
            .evidence
            .iter()
            .map(|seq| json!({ "uid": seq.to_string() }))
            .collect();
        let group: Map<String, Value> = self
            .group
            .iter()
            .map(|(f, v)| (f.clone(), Value::from(v.as_str())))
            .collect();
        let distinct: Map<String, Value> = self
            .distinct
            .iter()
            .map(|(f, n)| (f.clone(), Value::from(*n)))
            .collect();
        // JSON objects keep no order: the group's and the distinct conditions' are kept beside.
        let group_by: Vec<&str> = self.group.iter().map(|(f, _)| f.as_str()).collect();
        let distinct_by: Vec<&str> = self.distinct.iter().map(|(f, _)| f.as_str()).collect();
        let mut evidence = json!({
            "name": "matching events",
            "data": {
                "rule_id": self.rule_id,
                "group": group,
                "group_by": group_by,
                "count": self.count,
                "distinct": distinct,
                "distinct_by": distinct_by,
                "evidence_total": self.evidence_total,
                "evidence_truncated": (self.evidence.len() as u64) < self.evidence_total,
            },
        });
        for (key, value) in &self.details {
            // The common keys stay as they are.
            if !COMMON_DATA.contains(&key.as_str()) {
                evidence["data"][key] = value.clone();
            }
        }
        if !self.related_alerts.is_empty() {
            evidence["data"]["alerts"] = json!(self.related_alerts);
        }
        // The group's address and user, in the evidence and at the top level, where queries
        // (`ip=`, `user=`) and traces find every stored event's.
        let (mut ip, mut user) = (None, None);
        for (field, value) in &self.group {
            match field.as_str() {
                "ip" => {
                    evidence["src_endpoint"] = json!({ "ip": value });
                    ip = Some(value);
                }
                "user" | "user.name" => {
                    evidence["user"] = json!({ "name": value });
                    user = Some(value);
                }
                _ => {}
            }
        }
        let mut finding = json!({
            "class_uid": CLASS_UID,
            "class_name": "Detection Finding",
            "category_uid": 2,
            "category_name": "Findings",
            "activity_id": ACTIVITY_ID,
            "activity_name": "Create",
            "type_uid": CLASS_UID * 100 + ACTIVITY_ID,
            "type_name": "Detection Finding: Create",
            "time": self.window_end_ms,
            "start_time": self.window_start_ms,
            "end_time": self.window_end_ms,
            "count": self.count,
            "severity_id": self.severity.id(),
            "severity": self.severity.caption(),
            "status_id": 1,
            "status": "New",
            "is_alert": true,
            "message": format!("{}: {} ({} events)", self.title, self.group_text(), self.count),
            "metadata": {
                "product": {
                    "name": "authtrail",
                    "vendor_name": "authtrail",
                    "version": env!("CARGO_PKG_VERSION"),
                },
                "version": OCSF_VERSION,
                "uid": self.uid,
            },
            "finding_info": {
                "uid": self.uid,
                "title": self.title,
                "desc": self.description,
                "analytic": {
                    "uid": self.rule_id,
                    "name": self.title,
                    "type_id": 1,
                    "type": "Rule",
                },
                "first_seen_time": self.window_start_ms,
                "last_seen_time": self.window_end_ms,
                "related_events": related,
                "related_events_count": self.evidence_total,
            },
            "evidences": [evidence],
        });
        if let Some(name) = user {
            finding["actor"] = json!({ "user": { "name": name } });
            finding["metadata"]["profiles"] = json!(["host"]);
        }
        if let Some(ip) = ip {
            finding["src_endpoint"] = json!({ "ip": ip });
        }
        finding
    }
}

impl Alert {
    /// The alert a stored Detection Finding describes ([`Alert::to_ocsf`] read back), or `None`
    /// when it is not one of ours (no uid, rule or known severity). The group keeps its order
    /// when the finding names it (`group_by`), else comes in name order.
    pub fn from_ocsf(finding: &Value) -> Option<Alert> {
        let text = |p: &str| finding.pointer(p).and_then(Value::as_str);
        let int = |p: &str| finding.pointer(p).and_then(Value::as_i64);
        let data = finding
            .pointer("/evidences/0/data")
            .and_then(Value::as_object);
        let field = |k: &str| data.and_then(|d| d.get(k));
        let severity = int("/severity_id").and_then(Severity::from_id)?;
        let group = group_of(finding);
        let distinct = ordered(field("distinct"), field("distinct_by"))
            .into_iter()
            .map(|(n, v)| (n, v.and_then(Value::as_u64).unwrap_or_default()))
            .collect();
        let evidence = finding
            .pointer("/finding_info/related_events")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("uid")?.as_str()?.parse().ok())
            .collect();
        let related_alerts = field("alerts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str().map(String::from))
            .collect();
        let details = data
            .into_iter()
            .flatten()
            .filter(|(k, _)| !COMMON_DATA.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Some(Alert {
            uid: text("/finding_info/uid")?.to_string(),
            rule_id: text("/finding_info/analytic/uid")?.to_string(),
            title: text("/finding_info/title").unwrap_or_default().to_string(),
            description: text("/finding_info/desc").unwrap_or_default().to_string(),
            severity,
            group,
            window_start_ms: int("/start_time").unwrap_or_default(),
            window_end_ms: int("/end_time").unwrap_or_default(),
            count: finding["count"].as_u64().unwrap_or_default(),
            distinct,
            evidence,
            evidence_total: int("/finding_info/related_events_count")
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or_default(),
            related_alerts,
            details,
        })
    }
}

/// The group a stored finding names (`evidences[0].data.group`), in its order.
pub(crate) fn group_of(finding: &Value) -> Vec<(String, String)> {
    let data = finding.pointer("/evidences/0/data");
    let field = |k: &str| data.and_then(|d| d.get(k));
    ordered(field("group"), field("group_by"))
        .into_iter()
        .map(|(n, v)| (n, v.and_then(Value::as_str).unwrap_or_default().to_string()))
        .collect()
}

/// The entries of a JSON object in the order `names` gives (the finding's `group_by`,
/// `distinct_by`), else in name order.
fn ordered<'a>(
    object: Option<&'a Value>,
    names: Option<&'a Value>,
) -> Vec<(String, Option<&'a Value>)> {
    let map = object.and_then(Value::as_object);
    match names.and_then(Value::as_array) {
        Some(names) => names
            .iter()
            .filter_map(Value::as_str)
            .map(|n| (n.to_string(), map.and_then(|m| m.get(n))))
            .collect(),
        None => map
            .into_iter()
            .flatten()
            .map(|(n, v)| (n.clone(), Some(v)))
            .collect(),
    }
}
