//! Reading alerts back from the log: the query that finds them, one alert's summary (and the
//! whole alert, [`Alert::from_ocsf`]) from its stored Detection Finding, and the blocklist of
//! the addresses they name.

use std::collections::BTreeSet;
use std::net::IpAddr;

use authtrail_store::query::{Query, QueryError};
use serde_json::Value;

use crate::alert::Alert;
use crate::finding::group_of;
use crate::follow::DETECT_SOURCE;

/// The query for the alerts authtrail raised, at or after `since` (query-language time: `24h`,
/// `2026-11-27`, RFC 3339) when given; an error names the column within `since`.
pub fn alerts_query(since: Option<&str>) -> Result<Query, QueryError> {
    let base = format!("class=2004 source={DETECT_SOURCE}");
    let Some(since) = since else {
        return Query::parse(&base);
    };
    let prefix = base.len() + " since=".len();
    Query::parse(&format!("{base} since={since}")).map_err(|e| QueryError {
        column: e.column.saturating_sub(prefix).max(1),
        message: e.message,
    })
}

/// One alert as a table row shows it, read from its stored finding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlertSummary {
    /// The alert's uid.
    pub uid: String,
    /// The rule's id.
    pub rule: String,
    /// The severity caption.
    pub severity: String,
    /// The severity id (1 informational .. 5 critical).
    pub severity_id: i64,
    /// The window's end (event time), ms.
    pub time_ms: i64,
    /// The group as `field=value` pairs, in the rule's `group_by` order.
    pub group: Vec<(String, String)>,
    /// Matching events in the window.
    pub count: u64,
    /// The whole alert rebuilt from the finding (window, distinct counts, details, evidence), as
    /// it was raised; `None` when the finding is not one authtrail wrote.
    pub alert: Option<Alert>,
}

impl AlertSummary {
    /// The summary of a stored Detection Finding (missing parts are empty).
    pub fn of(finding: &Value) -> AlertSummary {
        let text = |p: &str| {
            finding
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let group = group_of(finding);
        AlertSummary {
            uid: text("/finding_info/uid"),
            rule: text("/finding_info/analytic/uid"),
            severity: text("/severity"),
            severity_id: finding["severity_id"].as_i64().unwrap_or(0),
            time_ms: finding["time"].as_i64().unwrap_or(0),
            group,
            count: finding["count"].as_u64().unwrap_or(0),
            alert: Alert::from_ocsf(finding),
        }
    }

    /// The group as `field=value` pairs joined by spaces, or `all`.
    pub fn group_text(&self) -> String {
        if self.group.is_empty() {
            return "all".into();
        }
        let parts: Vec<String> = self.group.iter().map(|(f, v)| format!("{f}={v}")).collect();
        parts.join(" ")
    }

    /// The source address the alert is grouped by, if it is grouped by one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.group
            .iter()
            .find(|(f, _)| f == "ip" || f == "src_endpoint.ip")
            .and_then(|(_, v)| v.parse().ok())
    }
}

/// The distinct source addresses of `alerts` of at least `min_severity_id`, sorted: one per line
/// as fail2ban and nftables sets take them.
pub fn blocklist<'a>(
    alerts: impl IntoIterator<Item = &'a AlertSummary>,
    min_severity_id: i64,
) -> String {
    let ips: BTreeSet<IpAddr> = alerts
        .into_iter()
        .filter(|a| a.severity_id >= min_severity_id)
        .filter_map(AlertSummary::ip)
        .collect();
    let mut out = String::new();
    for ip in ips {
        out.push_str(&ip.to_string());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::Severity;

    fn alert(group: &[(&str, &str)], severity: Severity) -> Alert {
        Alert {
            uid: "u1".into(),
            rule_id: "r".into(),
            title: "T".into(),
            description: String::new(),
            severity,
            group: group
                .iter()
                .map(|(f, v)| (f.to_string(), v.to_string()))
                .collect(),
            window_start_ms: 1,
            window_end_ms: 2,
            count: 3,
            distinct: Vec::new(),
            evidence: vec![7],
            evidence_total: 1,
            related_alerts: Vec::new(),
            details: serde_json::Map::new(),
        }
    }

    #[test]
    fn a_finding_reads_back_as_its_alert() {
        let a = alert(&[("ip", "203.0.113.9")], Severity::High);
        let s = AlertSummary::of(&a.to_ocsf());
        assert_eq!(
            (
                s.uid.as_str(),
                s.rule.as_str(),
                s.severity.as_str(),
                s.severity_id
            ),
            ("u1", "r", "High", 4)
        );
        assert_eq!((s.time_ms, s.count), (2, 3));
        assert_eq!(s.group_text(), "ip=203.0.113.9");
        assert_eq!(s.ip(), "203.0.113.9".parse().ok());
    }

    #[test]
    fn the_blocklist_holds_each_address_once_above_the_severity() {
        let alerts: Vec<AlertSummary> = [
            alert(&[("ip", "203.0.113.9")], Severity::High),
            alert(&[("ip", "203.0.113.9")], Severity::Medium),
            alert(&[("ip", "2001:db8::1")], Severity::Medium),
            alert(&[("ip", "198.51.100.1")], Severity::Low),
            alert(&[("user", "root")], Severity::Critical),
        ]
        .iter()
        .map(|a| AlertSummary::of(&a.to_ocsf()))
        .collect();
        assert_eq!(blocklist(&alerts, 3), "203.0.113.9\n2001:db8::1\n");
        assert_eq!(
            blocklist(&alerts, 1),
            "198.51.100.1\n203.0.113.9\n2001:db8::1\n"
        );
    }

    #[test]
    fn since_errors_point_into_since() {
        assert!(alerts_query(Some("24h")).is_ok());
        let e = alerts_query(Some("yesterday")).unwrap_err();
        assert_eq!(e.column, 1, "{e:?}");
    }
}
