//! Compiling documents: detection rules to single-event rules, Sigma v2 correlations to
//! threshold (event_count, value_count, temporal) and sequence (temporal_ordered) rules.

use std::sync::Arc;

use authtrail_store::query::{Field, Query};

use serde_saphyr::Spanned;

use super::error::At;
use super::mapping::Source;
use super::model::RawCountCondition;
use super::{detection, rule_id, severity, Compiled, Doc, Matcher, Shared};
use crate::rule::duration;
use crate::rule::{Condition, Counted, Distinct, RuleError, Sequence, Step, Threshold};
use crate::Rule;

/// What a document compiles to before rules are made.
enum Part {
    Detection(&'static Source, Shared),
    Correlation,
}

/// Compiles every document.
pub(super) fn compile(docs: &[Doc]) -> Result<Vec<Compiled>, RuleError> {
    let mut parts = Vec::new();
    for d in docs {
        if let Some(f) = &d.raw.filter {
            return Err(d.at.err_at(
                f,
                "filter",
                "unsupported: Sigma filter (meta) rules are not supported",
            ));
        }
        parts.push(match &d.raw.correlation {
            Some(_) => Part::Correlation,
            None => {
                let src = detection::source(d)?;
                Part::Detection(src, Arc::new(detection::compile(d, src)?))
            }
        });
    }
    // Which detections a correlation references, and whether one asks them to generate.
    let mut referenced = vec![false; docs.len()];
    let mut generate = vec![false; docs.len()];
    let mut out = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        let Some(c) = &d.raw.correlation else {
            continue;
        };
        for r in &c.value.rules {
            let j = resolve(docs, d, r)?;
            referenced[j] = true;
            generate[j] |= d.raw.generate == Some(true);
        }
        out.push((i, correlation(docs, &parts, d)?));
    }
    let mut compiled = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        if let Part::Detection(_, m) = &parts[i] {
            if referenced[i] && !generate[i] {
                continue;
            }
            compiled.push(Compiled {
                rule: single(d, m.clone())?,
                file: d.at.file.clone(),
                line: d.at.line,
            });
        }
        if let Some(pos) = out.iter().position(|(j, _)| *j == i) {
            let (_, rule) = out.remove(pos);
            compiled.push(Compiled {
                rule,
                file: d.at.file.clone(),
                line: d.at.line,
            });
        }
    }
    Ok(compiled)
}

/// A detection rule alone: an alert on each matching event. Each event is its own group (by
/// its seq): a one-millisecond window alone would hold every match of that millisecond, and
/// two matches at one time would raise two alerts with one uid.
fn single(d: &Doc, m: Shared) -> Result<Rule, RuleError> {
    let seq = Field::lookup("seq").ok_or_else(|| d.at.err(None, "no query field seq"))?;
    Ok(Rule {
        id: rule_id(d),
        title: d.at.title.clone(),
        severity: severity(d)?,
        description: d.raw.description.clone().unwrap_or_default(),
        filter: Query::default(),
        group_by: vec![seq],
        suppress_ms: 0,
        condition: Condition::Threshold(Threshold {
            window_ms: 1,
            min_count: 1,
            distinct: Vec::new(),
            distinct_needed: None,
        }),
        sigma: Some(m),
    })
}

/// The document a correlation's `rules:` entry names (by `name` or `id`).
fn resolve(docs: &[Doc], d: &Doc, r: &serde_saphyr::Spanned<String>) -> Result<usize, RuleError> {
    docs.iter()
        .position(|o| {
            o.raw.name.as_deref() == Some(r.value.as_str())
                || o.raw.id.as_deref() == Some(r.value.as_str())
        })
        .ok_or_else(|| {
            d.at.err_at(
                r,
                "correlation.rules",
                format!(
                    "unknown rule {:?} (give the name or id of a rule loaded with it)",
                    r.value
                ),
            )
        })
}

/// The log sources under a document (a correlation's, through its rules), `depth` bounding cycles.
fn sources(
    docs: &[Doc],
    parts: &[Part],
    i: usize,
    depth: usize,
) -> Result<Vec<&'static Source>, RuleError> {
    let d = &docs[i];
    match (&parts[i], &d.raw.correlation) {
        (Part::Detection(s, _), _) => Ok(vec![*s]),
        (Part::Correlation, Some(c)) => {
            if depth > 8 {
                return Err(d.at.err(
                    Some("correlation.rules"),
                    "correlations reference each other in a cycle",
                ));
            }
            let mut out = Vec::new();
            for r in &c.value.rules {
                for s in sources(docs, parts, resolve(docs, d, r)?, depth + 1)? {
                    if !out.iter().any(|o: &&Source| std::ptr::eq(*o, s)) {
                        out.push(s);
                    }
                }
            }
            Ok(out)
        }
        (Part::Correlation, None) => Ok(Vec::new()),
    }
}

/// A Sigma field as a query field, the same under every source, for grouping or counting.
fn query_field(
    d: &Doc,
    srcs: &[&'static Source],
    name: &serde_saphyr::Spanned<String>,
    key: &str,
) -> Result<Field, RuleError> {
    let mut found: Option<&str> = None;
    for s in srcs {
        let Some(m) = s.field(&name.value) else {
            return Err(d.at.err_at(
                name,
                key,
                format!(
                    "field {:?} is not mapped for logsource {}; mapped fields: {}",
                    name.value,
                    s.name,
                    s.field_names()
                ),
            ));
        };
        let Some(q) = m.query else {
            return Err(d.at.err_at(
                name,
                key,
                format!("field {:?} of logsource {} cannot be grouped or counted (no query field for it)", name.value, s.name),
            ));
        };
        if found.is_some_and(|f| f != q) {
            return Err(d.at.err_at(
                name,
                key,
                format!(
                    "field {:?} means different things in the rules' logsources",
                    name.value
                ),
            ));
        }
        found = Some(q);
    }
    found.and_then(Field::lookup).ok_or_else(|| {
        d.at.err_at(
            name,
            key,
            format!("field {:?}: no logsource to map it", name.value),
        )
    })
}

/// One correlation document as a rule.
fn correlation(docs: &[Doc], parts: &[Part], d: &Doc) -> Result<Rule, RuleError> {
    let at = &d.at;
    let Some(c) = &d.raw.correlation else {
        return Err(at.err(Some("correlation"), "missing"));
    };
    let c = &c.value;
    if let Some(a) = &c.aliases {
        return Err(at.err_at(
            a,
            "correlation.aliases",
            "unsupported: field name aliases are not supported",
        ));
    }
    let i = docs.iter().position(|o| std::ptr::eq(o, d)).unwrap_or(0);
    let srcs = sources(docs, parts, i, 0)?;
    let group_by = c
        .group_by
        .iter()
        .map(|g| query_field(d, &srcs, g, "correlation.group-by"))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(ts) = &c.timespan else {
        return Err(at.err(Some("correlation.timespan"), "missing"));
    };
    let span = duration::parse(&ts.value).ok_or_else(|| {
        at.err_at(
            ts,
            "correlation.timespan",
            format!(
                "invalid timespan {:?} (a whole number and s, m, h or d)",
                ts.value
            ),
        )
    })?;
    let refs = c
        .rules
        .iter()
        .map(|r| resolve(docs, d, r))
        .collect::<Result<Vec<_>, _>>()?;
    let kind = c.kind.value.as_str();
    // The count the condition asks for (see `at_least`), and the field value_count counts.
    let min = |field_wanted: bool| -> Result<(u64, Option<Field>), RuleError> {
        let Some(cond) = &c.condition else {
            return Err(at.err(Some("correlation.condition"), "missing"));
        };
        let v = &cond.value;
        let n = at_least(at, cond)?;
        let field = match (&v.field, field_wanted) {
            (Some(f), true) => Some(query_field(d, &srcs, f, "correlation.condition.field")?),
            (None, true) => {
                return Err(at.err_at(
                    cond,
                    "correlation.condition.field",
                    "missing (value_count counts a field's values)",
                ))
            }
            (Some(f), false) => {
                return Err(at.err_at(
                    f,
                    "correlation.condition.field",
                    format!("only value_count takes a field ({kind} counts events)"),
                ))
            }
            (None, false) => None,
        };
        Ok((n.max(1), field))
    };
    let base_matchers = || -> Result<Shared, RuleError> {
        let mut ms = Vec::new();
        for (r, j) in c.rules.iter().zip(&refs) {
            match &parts[*j] {
                Part::Detection(_, m) => ms.push(m.clone()),
                Part::Correlation => {
                    return Err(at.err_at(r, "correlation.rules", format!("unsupported: {kind} over another correlation's alerts ({:?}); reference detection rules", r.value)))
                }
            }
        }
        Ok(Arc::new(Matcher::any(ms)))
    };
    let (condition, sigma) = match kind {
        "event_count" => {
            let (n, _) = min(false)?;
            let th = Threshold {
                window_ms: span,
                min_count: n,
                distinct: Vec::new(),
                distinct_needed: None,
            };
            (Condition::Threshold(th), Some(base_matchers()?))
        }
        "value_count" => {
            let (n, field) = min(true)?;
            let distinct = field
                .map(|f| Distinct {
                    of: Counted::Field(f),
                    min: u32::try_from(n).unwrap_or(u32::MAX),
                    max_per_value: None,
                })
                .into_iter()
                .collect();
            let th = Threshold {
                window_ms: span,
                min_count: 0,
                distinct,
                distinct_needed: None,
            };
            (Condition::Threshold(th), Some(base_matchers()?))
        }
        "temporal_ordered" => {
            if refs.len() < 2 {
                return Err(at.err(
                    Some("correlation.rules"),
                    "temporal_ordered needs at least two rules",
                ));
            }
            if let Some(cond) = &c.condition {
                let v = &cond.value;
                let all = v.gte == Some(refs.len() as u64)
                    && v.gt.is_none()
                    && v.lt.is_none()
                    && v.lte.is_none()
                    && v.eq.is_none()
                    && v.field.is_none();
                if !all {
                    return Err(at.err_at(cond, "correlation.condition", "unsupported: temporal_ordered requires every rule in order (no condition, or gte: the number of rules)"));
                }
            }
            let mut steps = Vec::new();
            for (r, j) in c.rules.iter().zip(&refs) {
                steps.push(match &parts[*j] {
                    Part::Detection(_, m) => Step {
                        filter: Query::default(),
                        count: 1,
                        sigma: Some(m.clone()),
                    },
                    Part::Correlation => {
                        let id = rule_id(&docs[*j]);
                        let filter = Query::parse(&format!("rule={:?}", id)).map_err(|e| {
                            at.err_at(
                                r,
                                "correlation.rules",
                                format!("cannot follow the alerts of {id:?}: {e}"),
                            )
                        })?;
                        Step {
                            filter,
                            count: 1,
                            sigma: None,
                        }
                    }
                });
            }
            (
                Condition::Sequence(Sequence {
                    steps,
                    maxspan_ms: span,
                    cancel_on: None,
                }),
                None,
            )
        }
        "temporal" => {
            let th = temporal(docs, parts, d, &refs, span)?;
            (Condition::Threshold(th), Some(base_matchers()?))
        }
        other => {
            return Err(at.err_at(&c.kind, "correlation.type", format!("unknown correlation type {other:?}; supported: event_count, value_count, temporal, temporal_ordered")));
        }
    };
    Ok(Rule {
        id: rule_id(d),
        title: at.title.clone(),
        severity: severity(d)?,
        description: d.raw.description.clone().unwrap_or_default(),
        filter: Query::default(),
        group_by,
        suppress_ms: span,
        condition,
        sigma,
    })
}

/// A `temporal` correlation (any order) as a threshold: one distinct condition per referenced
/// rule, whose one value is the rule's id when an event matches it, so the window holds the
/// rule once it has one of its events; the correlation fires when all of them (or `gte` /
/// `gt` of them) hold in one window of the group. An event matching several rules counts for
/// each.
fn temporal(
    docs: &[Doc],
    parts: &[Part],
    d: &Doc,
    refs: &[usize],
    span: i64,
) -> Result<Threshold, RuleError> {
    let at = &d.at;
    let Some(c) = &d.raw.correlation else {
        return Err(at.err(Some("correlation"), "missing"));
    };
    let c = &c.value;
    if refs.len() < 2 {
        let message = "temporal needs at least two rules";
        return Err(match c.rules.first() {
            Some(r) => at.err_at(r, "correlation.rules", message),
            None => at.err(Some("correlation.rules"), message),
        });
    }
    let mut distinct: Vec<Distinct> = Vec::new();
    for (r, j) in c.rules.iter().zip(refs) {
        let Part::Detection(_, matcher) = &parts[*j] else {
            return Err(at.err_at(r, "correlation.rules", format!("unsupported: temporal over another correlation's alerts ({:?}); reference detection rules, or use temporal_ordered", r.value)));
        };
        if refs.iter().filter(|k| *k == j).count() > 1 {
            return Err(at.err_at(
                r,
                "correlation.rules",
                format!("rule {:?} is referenced twice", r.value),
            ));
        }
        distinct.push(Distinct {
            of: Counted::Sigma {
                id: rule_id(&docs[*j]).into(),
                matcher: matcher.clone(),
            },
            min: 1,
            max_per_value: None,
        });
    }
    let rules = distinct.len() as u64;
    // How many of the rules: all, unless the condition asks for at least N (gte N, gt N - 1).
    let needed = match &c.condition {
        None => rules,
        Some(cond) => {
            let v = &cond.value;
            if let Some(f) = &v.field {
                return Err(at.err_at(
                    f,
                    "correlation.condition.field",
                    "only value_count takes a field (temporal counts the rules matched)",
                ));
            }
            at_least(at, cond)?
        }
    };
    if needed == 0 || needed > rules {
        let cond = c.condition.as_ref();
        let message = format!("asks for {needed} of the {rules} rules: give between 1 and {rules}");
        return Err(match cond {
            Some(cond) => at.err_at(cond, "correlation.condition", message),
            None => at.err(Some("correlation.condition"), message),
        });
    }
    Ok(Threshold {
        window_ms: span,
        min_count: 0,
        distinct,
        distinct_needed: (needed < rules).then_some(needed as usize),
    })
}

/// The count a correlation condition asks for: gte N, or gt N (N + 1); other comparisons are
/// refused.
fn at_least(at: &At, cond: &Spanned<RawCountCondition>) -> Result<u64, RuleError> {
    let v = &cond.value;
    if v.lt.is_some() || v.lte.is_some() || v.eq.is_some() {
        return Err(at.err_at(cond, "correlation.condition", "unsupported condition: only gte and gt (at least) are supported, not lt, lte, eq or a range"));
    }
    match (v.gte, v.gt) {
        (Some(n), None) => Ok(n),
        (None, Some(n)) => Ok(n.saturating_add(1)),
        _ => Err(at.err_at(
            cond,
            "correlation.condition",
            "give exactly one of gte or gt",
        )),
    }
}
