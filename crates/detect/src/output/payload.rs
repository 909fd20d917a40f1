//! What the outbox keeps of an alert, and the JSON body the webhook and stdout outputs send.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::alert::Alert;

/// An alert as stored with each of its queued deliveries: every output renders from this, so
/// a delivery survives a restart without the detector's help.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Stored {
    /// The alert's uid.
    pub uid: String,
    /// The rule's id.
    pub rule_id: String,
    /// The rule's title.
    pub title: String,
    /// The severity's caption (`High`).
    pub severity: String,
    /// The OCSF `severity_id` (1 Informational to 5 Critical).
    pub severity_id: i32,
    /// The group as `field=value` pairs (`ip=203.0.113.9`), or `all`.
    pub group: String,
    /// Matching events in the window.
    pub count: u64,
    /// When the alert was queued, ms since the epoch.
    pub raised_ms: i64,
    /// The OCSF Detection Finding, as compact JSON.
    pub finding: Box<RawValue>,
}

impl Stored {
    /// What is kept of `alert`, queued at `raised_ms`.
    pub fn new(alert: &Alert, raised_ms: i64) -> Result<Stored, serde_json::Error> {
        Ok(Stored {
            uid: alert.uid.clone(),
            rule_id: alert.rule_id.clone(),
            title: alert.title.clone(),
            severity: alert.severity.caption().to_string(),
            severity_id: alert.severity.id(),
            group: alert.group_text(),
            count: alert.count,
            raised_ms,
            finding: serde_json::value::to_raw_value(&alert.to_ocsf())?,
        })
    }

    /// The finding's one-line message: `Title: group (N events)`.
    pub fn message(&self) -> String {
        format!("{}: {} ({} events)", self.title, self.group, self.count)
    }
}

/// One delivery to make: the alert's log seq and what was stored of it.
#[derive(Debug)]
pub(crate) struct Delivery {
    /// The alert's log seq.
    pub seq: u64,
    /// The alert.
    pub stored: Stored,
}

/// The webhook (json) and stdout body.
#[derive(Serialize)]
struct Body<'a> {
    seq: u64,
    alert: &'a RawValue,
}

impl Delivery {
    /// `{"seq": N, "alert": <finding>}`, compact.
    pub fn json_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&Body {
            seq: self.seq,
            alert: &self.stored.finding,
        })
    }
}

/// `s` with each control character (a line break, say, in a user name taken from a log line)
/// replaced by U+FFFD, so that one alert stays one line.
pub(crate) fn one_line(s: &str) -> Cow<'_, str> {
    if s.chars().any(char::is_control) {
        Cow::Owned(
            s.chars()
                .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::rule::Severity;

    /// An alert to render in the outputs' tests.
    pub(crate) fn delivery(group: &[(&str, &str)]) -> Delivery {
        let group: Vec<(String, String)> = group
            .iter()
            .map(|(f, v)| (f.to_string(), v.to_string()))
            .collect();
        let alert = Alert {
            uid: Alert::make_uid("brute-force-ip", &group, 1_795_737_600_000),
            rule_id: "brute-force-ip".into(),
            title: "Brute force from one source address".into(),
            description: "Many failed logons from one address.".into(),
            severity: Severity::High,
            group,
            window_start_ms: 1_795_737_600_000,
            window_end_ms: 1_795_737_660_000,
            count: 12,
            distinct: vec![],
            evidence: vec![1, 2, 3],
            evidence_total: 12,
            related_alerts: Vec::new(),
            details: serde_json::Map::new(),
        };
        Delivery {
            seq: 42,
            stored: Stored::new(&alert, 1_795_737_661_234).unwrap(),
        }
    }

    #[test]
    fn body_is_seq_and_finding() {
        let d = delivery(&[("ip", "203.0.113.9")]);
        let body: serde_json::Value = serde_json::from_slice(&d.json_body().unwrap()).unwrap();
        assert_eq!(body["seq"], 42);
        assert_eq!(body["alert"]["class_uid"], 2004);
        assert_eq!(body["alert"]["finding_info"]["uid"], d.stored.uid.as_str());
        let text = String::from_utf8(d.json_body().unwrap()).unwrap();
        assert!(text.starts_with(r#"{"seq":42,"alert":{"#), "{text}");
        assert!(!text.contains('\n'));
    }

    #[test]
    fn stored_round_trips() {
        let d = delivery(&[("ip", "203.0.113.9")]);
        let bytes = serde_json::to_vec(&d.stored).unwrap();
        let back: Stored = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back.finding.get(), d.stored.finding.get());
        assert_eq!(back.group, "ip=203.0.113.9");
        assert_eq!(
            back.message(),
            "Brute force from one source address: ip=203.0.113.9 (12 events)"
        );
    }

    #[test]
    fn one_line_replaces_control_characters() {
        assert_eq!(one_line("a\nb\tc"), "a\u{FFFD}b\u{FFFD}c");
        assert!(matches!(one_line("plain"), Cow::Borrowed(_)));
    }
}
