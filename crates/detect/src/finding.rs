//! An alert as an OCSF Detection Finding (class 2004, activity Create).
//!
//! Where things go: the rule is `finding_info.analytic` (uid = rule id, type Rule); the alert's
//! uid is `finding_info.uid` (and `metadata.uid`); the window is `start_time`/`end_time` and
//! `finding_info.first_seen_time`/`last_seen_time`, with `time` its end; the matching event
//! count is `count`; the evidence seqs are `finding_info.related_events[].uid` (decimal) with
//! `related_events_count` the total; `evidences[0]` names the group (`src_endpoint.ip`,
//! `user.name` when grouped by them) and carries in `data` the group, counts and distinct
//! counts, whether the seqs were cut to the cap, and for a chained rule the uids of the alerts
//! it followed (`alerts`).
//!
//! The group's user is also the finding's `actor.user.name` (the OCSF `host` profile, named in
//! `metadata.profiles`) and its address `src_endpoint.ip`, where the query fields `user` and
//! `ip` and the trace read every stored event's: OCSF 2004 has no top-level `src_endpoint`, the
//! one attribute a strict schema check flags (DESIGN.md §3 asks every stored event to carry it).

use authtrail_model::captions::OCSF_VERSION;
use serde_json::{json, Map, Value};

use crate::alert::Alert;

/// OCSF Detection Finding.
const CLASS_UID: i64 = 2004;
/// Activity Create.
const ACTIVITY_ID: i64 = 1;

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
        let mut evidence = json!({
            "name": "matching events",
            "data": {
                "rule_id": self.rule_id,
                "group": group,
                "count": self.count,
                "distinct": distinct,
                "evidence_total": self.evidence_total,
                "evidence_truncated": (self.evidence.len() as u64) < self.evidence_total,
            },
        });
        for (key, value) in &self.details {
            // The common keys stay as they are.
            if evidence["data"].get(key).is_none() {
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
