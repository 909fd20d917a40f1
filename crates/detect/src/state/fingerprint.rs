//! What a rule's stored state means, so that an edited rule starts empty.

use crate::rule::{Condition, Rule};

/// What a rule's stored state means: its type, filters, group fields and distinct fields.
pub fn fingerprint(rule: &Rule) -> String {
    let base = fingerprint_query(rule);
    let mut sigma: Vec<String> = rule.sigma.iter().map(|m| m.fingerprint()).collect();
    if let Some(sq) = rule.sequence() {
        sigma.extend(
            sq.steps
                .iter()
                .flat_map(|s| s.sigma.iter().map(|m| m.fingerprint())),
        );
    }
    if sigma.is_empty() {
        base
    } else {
        format!("{base} | sigma {}", sigma.join(","))
    }
}

/// The fingerprint of a rule's query-language parts.
fn fingerprint_query(rule: &Rule) -> String {
    let group: Vec<&str> = rule.group_by.iter().map(|f| f.name()).collect();
    match &rule.condition {
        Condition::Threshold(th) => {
            let distinct: Vec<String> = th.distinct.iter().map(|d| d.of.fingerprint()).collect();
            format!(
                "filter {} | group {} | distinct {}",
                rule.filter,
                group.join(","),
                distinct.join(",")
            )
        }
        Condition::Sequence(sq) => {
            let steps: Vec<String> = sq
                .steps
                .iter()
                .map(|s| format!("{} x{}", s.filter, s.count))
                .collect();
            let cancel = sq.cancel_on.as_ref().map(ToString::to_string);
            format!(
                "sequence | filter {} | group {} | steps {} | cancel {}",
                rule.filter,
                group.join(","),
                steps.join(" ; "),
                cancel.unwrap_or_default()
            )
        }
        Condition::FirstSeen(fs) => format!(
            "first_seen | filter {} | group {} | field {}",
            rule.filter,
            group.join(","),
            fs.field.name()
        ),
        Condition::Dormant(_) => format!(
            "dormant | filter {} | group {}",
            rule.filter,
            group.join(",")
        ),
        Condition::Velocity(_) => {
            format!(
                "velocity | filter {} | group {}",
                rule.filter,
                group.join(",")
            )
        }
        Condition::Change(_) => {
            format!(
                "change | filter {} | group {}",
                rule.filter,
                group.join(",")
            )
        }
    }
}
