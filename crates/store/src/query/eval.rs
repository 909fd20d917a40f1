//! Evaluation: matching a record against a query, and the pipe aggregations.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;

use super::ast::{Expr, Op, Pipe, Term, Value};
use super::fields::Field;
use super::values::FieldValues;
use super::{Query, Record};

/// The key under which `count by`/`top` count records without the field.
pub const NONE_KEY: &str = "(none)";

/// Where a term's values come from: the record itself, or its values read once.
trait Reads {
    /// The record read.
    fn record(&self) -> &Record<'_>;
    /// Whether `test` holds of `field`'s values.
    fn test(&mut self, field: Field, test: &mut dyn FnMut(&[Cow<'_, str>]) -> bool) -> bool;
}

impl Reads for Record<'_> {
    fn record(&self) -> &Record<'_> {
        self
    }

    fn test(&mut self, field: Field, test: &mut dyn FnMut(&[Cow<'_, str>]) -> bool) -> bool {
        test(&field.read(self))
    }
}

impl Reads for FieldValues<'_> {
    fn record(&self) -> &Record<'_> {
        FieldValues::record(self)
    }

    fn test(&mut self, field: Field, test: &mut dyn FnMut(&[Cow<'_, str>]) -> bool) -> bool {
        test(self.get(field))
    }
}

/// Whether a record passes the time bounds and the filter.
pub fn matches(q: &Query, rec: &Record<'_>) -> bool {
    let mut rec = *rec;
    matches_in(q, &mut rec)
}

/// Whether a record passes the time bounds and the filter, its fields read through `values`.
pub fn matches_values(q: &Query, values: &mut FieldValues<'_>) -> bool {
    matches_in(q, values)
}

fn matches_in(q: &Query, reads: &mut impl Reads) -> bool {
    if q.since_ms.is_some() || q.until_ms.is_some() {
        let time = reads.record().event.get("time");
        let Some(t) = time.and_then(serde_json::Value::as_i64) else {
            return false;
        };
        if q.since_ms.is_some_and(|s| t < s) || q.until_ms.is_some_and(|u| t >= u) {
            return false;
        }
    }
    q.filter.as_ref().is_none_or(|e| eval(e, reads))
}

fn eval(e: &Expr, reads: &mut impl Reads) -> bool {
    match e {
        Expr::Term(t) => term(t, reads),
        Expr::And(items) => items.iter().all(|e| eval(e, reads)),
        Expr::Or(items) => items.iter().any(|e| eval(e, reads)),
    }
}

fn term(t: &Term, reads: &mut impl Reads) -> bool {
    match t.op {
        Op::Eq => reads.test(t.field, &mut |values| {
            values.iter().any(|v| equals(&t.value, v))
        }),
        Op::Ne => !reads.test(t.field, &mut |values| {
            values.iter().any(|v| equals(&t.value, v))
        }),
        Op::Contains => {
            let needle = match &t.value {
                Value::Text(s) => s.to_ascii_lowercase(),
                other => other.to_string().to_ascii_lowercase(),
            };
            reads.test(t.field, &mut |values| {
                values
                    .iter()
                    .any(|v| v.to_ascii_lowercase().contains(&needle))
            })
        }
    }
}

fn equals(value: &Value, text: &str) -> bool {
    match value {
        Value::Text(s) => s.eq_ignore_ascii_case(text),
        Value::Ip(ip) => text.parse::<IpAddr>().is_ok_and(|a| a == *ip),
        Value::Cidr(net) => text.parse::<IpAddr>().is_ok_and(|a| net.contains(&a)),
    }
}

/// Runs the pipe over the matching records, `None` without a pipe.
pub fn aggregate<'a>(
    q: &Query,
    records: impl IntoIterator<Item = Record<'a>>,
) -> Option<Vec<(String, u64)>> {
    let mut tally = Tally::new(q)?;
    for rec in records.into_iter().filter(|r| matches(q, r)) {
        tally.add(&rec);
    }
    Some(tally.rows())
}

/// A pipe's counts, fed one matching record at a time (so a scan need not keep the records).
#[derive(Clone, Debug)]
pub struct Tally {
    field: Field,
    limit: Option<u32>,
    counts: HashMap<String, u64>,
}

impl Tally {
    /// The counts of `q`'s pipe, `None` without a pipe.
    pub fn new(q: &Query) -> Option<Tally> {
        let (field, limit) = match q.pipe? {
            Pipe::CountBy(f) => (f, None),
            Pipe::Top(n, f) => (f, Some(n)),
        };
        Some(Tally {
            field,
            limit,
            counts: HashMap::new(),
        })
    }

    /// Count a record the query matched.
    pub fn add(&mut self, rec: &Record<'_>) {
        let key = self
            .field
            .read(rec)
            .into_iter()
            .next()
            .map_or_else(|| NONE_KEY.to_string(), |v| v.into_owned());
        *self.counts.entry(key).or_insert(0) += 1;
    }

    /// Count a matching record by its value of the pipe's field (`None`: it has none).
    pub fn add_value(&mut self, value: Option<&str>) {
        let key = value.unwrap_or(NONE_KEY);
        match self.counts.get_mut(key) {
            Some(n) => *n += 1,
            None => {
                self.counts.insert(key.to_string(), 1);
            }
        }
    }

    /// `(value, count)` rows: highest count first, ties by value; `top N` keeps N.
    pub fn rows(self) -> Vec<(String, u64)> {
        let mut rows: Vec<(String, u64)> = self.counts.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        if let Some(n) = self.limit {
            rows.truncate(usize::try_from(n).unwrap_or(usize::MAX));
        }
        rows
    }
}

/// Calls `f` on every term of an expression.
pub fn walk_terms<'e>(e: &'e Expr, f: &mut impl FnMut(&'e Term)) {
    match e {
        Expr::Term(t) => f(t),
        Expr::And(items) | Expr::Or(items) => items.iter().for_each(|e| walk_terms(e, f)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn top_breaks_ties_by_value_and_counts_only_matches() {
        let events: Vec<_> = ["b", "a", "c", "a", "b", "z"]
            .iter()
            .map(|u| json!({"user": {"name": u}, "status": if *u == "z" { "Success" } else { "Failure" }}))
            .collect();
        let recs = events.iter().map(|event| Record {
            seq: 0,
            source: "s",
            event,
        });
        let q = super::super::Query::parse_at("status=failure | top 2 user", 0).unwrap();
        assert_eq!(
            aggregate(&q, recs),
            Some(vec![("a".into(), 2), ("b".into(), 2)])
        );
    }

    #[test]
    fn contains_and_equality_are_ascii_case_insensitive() {
        assert!(equals(&Value::Text("ALICE".into()), "alice"));
        assert!(!equals(&Value::Text("alice".into()), "alicex"));
        assert!(equals(
            &Value::Cidr("10.0.0.0/8".parse().unwrap()),
            "10.255.0.1"
        ));
        assert!(!equals(
            &Value::Ip("10.0.0.1".parse().unwrap()),
            "not an ip"
        ));
    }
}
