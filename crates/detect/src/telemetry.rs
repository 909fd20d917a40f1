//! Detection's metrics (docs/METRICS.md), recorded through the `metrics` facade: a no-op until
//! the server installs a recorder. The detector records once per step (alerts are few); the
//! outbox's depth is read when the metrics are scraped.

use metrics::{counter, describe_counter, describe_gauge, gauge, Unit};

use crate::Alert;

/// Counter: alerts appended to the log, by `rule`.
pub const ALERTS: &str = "authtrail_alerts_total";
/// Gauge: deliveries waiting in the outbox, by `output`.
pub const QUEUE_DEPTH: &str = "authtrail_alert_queue_depth";
/// Counter: delivery attempts, by `output` and `outcome` (`delivered`, `failed`).
pub const DELIVERIES: &str = "authtrail_alert_deliveries_total";

/// Registers the help text of detection's metrics.
pub fn describe() {
    describe_counter!(
        ALERTS,
        Unit::Count,
        "Alerts appended to the log, by rule id"
    );
    describe_gauge!(
        QUEUE_DEPTH,
        Unit::Count,
        "Alert deliveries waiting in the outbox, by output (webhook, syslog, stdout)"
    );
    describe_counter!(
        DELIVERIES,
        Unit::Count,
        "Alert delivery attempts, by output and outcome (delivered, failed)"
    );
}

/// Counts the alerts of one step, appended to the log.
pub(crate) fn record_alerts<'a>(alerts: impl IntoIterator<Item = &'a Alert>) {
    let mut by_rule: Vec<(&str, u64)> = Vec::new();
    for alert in alerts {
        match by_rule.iter_mut().find(|(r, _)| *r == alert.rule_id) {
            Some((_, n)) => *n += 1,
            None => by_rule.push((&alert.rule_id, 1)),
        }
    }
    for (rule, n) in by_rule {
        counter!(ALERTS, "rule" => rule.to_string()).increment(n);
    }
}

/// Sets one output's queue depth.
pub(crate) fn record_depth(output: &str, depth: u64) {
    gauge!(QUEUE_DEPTH, "output" => output.to_string()).set(depth as f64);
}

/// Counts one round of an output's delivery attempts.
pub(crate) fn record_deliveries(output: &str, delivered: u64, failed: u64) {
    for (outcome, n) in [("delivered", delivered), ("failed", failed)] {
        if n > 0 {
            counter!(DELIVERIES, "output" => output.to_string(), "outcome" => outcome).increment(n);
        }
    }
}
