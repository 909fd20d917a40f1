//! The field table: every name a query may use, its aliases, and how it reads a record.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value as Json;

use super::Record;

/// How a field's values are read and compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text (or number/boolean as text) at one or more OCSF paths.
    Text,
    /// An IP address at an OCSF path: `=`/`!=` take an address or a CIDR.
    Ip,
    /// The event `time` (ms since the epoch), read as RFC 3339 text and as the number.
    Time,
    /// The entry's source name (from the record, not the event).
    Source,
    /// The entry's sequence number (from the record, not the event).
    Seq,
}

/// One row of the field table.
#[derive(Debug)]
pub struct FieldSpec {
    /// The canonical name, printed by `Display`.
    pub name: &'static str,
    /// Other accepted names.
    pub aliases: &'static [&'static str],
    /// OCSF paths read, in order (the first present one is the value used by pipes).
    pub paths: &'static [&'static str],
    /// How the field is read and compared.
    pub kind: Kind,
}

const fn f(
    name: &'static str,
    aliases: &'static [&'static str],
    paths: &'static [&'static str],
    kind: Kind,
) -> FieldSpec {
    FieldSpec {
        name,
        aliases,
        paths,
        kind,
    }
}

use Kind::{Ip, Seq, Source, Text, Time};

/// The fixed field table (documented in docs/QUERY.md).
pub static FIELDS: &[FieldSpec] = &[
    f("time", &[], &["time"], Time),
    f("user", &[], &["user.name", "actor.user.name"], Text),
    f("user.name", &[], &["user.name"], Text),
    f("user.uid", &[], &["user.uid"], Text),
    f("user.email_addr", &[], &["user.email_addr"], Text),
    f("actor.user.name", &[], &["actor.user.name"], Text),
    f("ip", &["src_endpoint.ip"], &["src_endpoint.ip"], Ip),
    f(
        "src_endpoint.hostname",
        &[],
        &["src_endpoint.hostname"],
        Text,
    ),
    f(
        "country",
        &["src_endpoint.location.country"],
        &["src_endpoint.location.country"],
        Text,
    ),
    // The source's autonomous system number (Entra and Okta carry it; GeoIP fills it in for
    // the detection rules that ask, docs/RULES.md).
    f(
        "asn",
        &["src_endpoint.autonomous_system.number"],
        &["src_endpoint.autonomous_system.number"],
        Text,
    ),
    f("dst_endpoint.ip", &[], &["dst_endpoint.ip"], Ip),
    f(
        "dst_endpoint.hostname",
        &[],
        &["dst_endpoint.hostname"],
        Text,
    ),
    f("status", &[], &["status", "status_id"], Text),
    f("status_detail", &[], &["status_detail"], Text),
    f("class", &[], &["class_name", "class_uid"], Text),
    f("activity", &[], &["activity_name", "activity_id"], Text),
    f("session", &[], &["session.uid", "actor.session.uid"], Text),
    f("session.uid", &[], &["session.uid"], Text),
    f(
        "token",
        &["session.credential_uid"],
        &["session.credential_uid"],
        Text,
    ),
    f(
        "product",
        &["metadata.product.name"],
        &["metadata.product.name"],
        Text,
    ),
    // OTLP and Entra put their trace or correlation id in `metadata.correlation_uid`; gateways
    // put a W3C traceparent's trace id in `trace.uid`: one field finds a request in both.
    f(
        "trace",
        &["metadata.correlation_uid", "trace.uid"],
        &["metadata.correlation_uid", "trace.uid"],
        Text,
    ),
    f("service.name", &[], &["service.name"], Text),
    f(
        "auth_protocol",
        &[],
        &["auth_protocol", "auth_protocol_id"],
        Text,
    ),
    f("logon_type", &[], &["logon_type", "logon_type_id"], Text),
    f("is_mfa", &[], &["is_mfa"], Text),
    f(
        "http_request.user_agent",
        &[],
        &["http_request.user_agent"],
        Text,
    ),
    f("message", &[], &["message"], Text),
    // A Detection Finding's rule (an alert's `finding_info.analytic.uid`).
    f(
        "rule",
        &["finding_info.analytic.uid"],
        &["finding_info.analytic.uid"],
        Text,
    ),
    f("source", &[], &[], Source),
    f("seq", &[], &[], Seq),
];

/// A field of the table (compared by its canonical name).
#[derive(Clone, Copy)]
pub struct Field(&'static FieldSpec);

impl Field {
    /// Looks a name or alias up (ASCII case-insensitive).
    pub fn lookup(name: &str) -> Option<Field> {
        FIELDS
            .iter()
            .find(|s| {
                s.name.eq_ignore_ascii_case(name)
                    || s.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
            })
            .map(Field)
    }

    /// Every field of the table.
    pub fn all() -> impl Iterator<Item = Field> {
        FIELDS.iter().map(Field)
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// The field's position in [`FIELDS`].
    pub fn index(self) -> usize {
        // A `Field` is only ever made from a row of `FIELDS`, so its address is in the table.
        (self.0 as *const FieldSpec as usize - FIELDS.as_ptr() as usize)
            / std::mem::size_of::<FieldSpec>()
    }

    /// The table row.
    pub fn spec(self) -> &'static FieldSpec {
        self.0
    }

    /// How the field is compared.
    pub fn kind(self) -> Kind {
        self.0.kind
    }

    /// The field's values in a record, as text, in table order (empty when absent).
    pub fn read<'a>(self, record: &Record<'a>) -> Vec<Cow<'a, str>> {
        match self.0.kind {
            Source => vec![Cow::Borrowed(record.source)],
            Seq => vec![Cow::Owned(record.seq.to_string())],
            Time => match lookup_path(record.event, "time").and_then(Json::as_i64) {
                Some(ms) => {
                    let mut out = Vec::with_capacity(2);
                    if let Ok(ts) = jiff::Timestamp::from_millisecond(ms) {
                        out.push(Cow::Owned(ts.to_string()));
                    }
                    out.push(Cow::Owned(ms.to_string()));
                    out
                }
                None => Vec::new(),
            },
            Text | Ip => self
                .0
                .paths
                .iter()
                .filter_map(|p| lookup_path(record.event, p).and_then(text_form))
                .collect(),
        }
    }
}

impl PartialEq for Field {
    fn eq(&self, other: &Self) -> bool {
        self.0.name == other.0.name
    }
}

impl Eq for Field {}

impl fmt::Debug for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

/// Walks a dotted path through JSON objects.
pub(crate) fn lookup_path<'a>(event: &'a Json, path: &str) -> Option<&'a Json> {
    path.split('.').try_fold(event, |v, key| v.get(key))
}

/// The text form of a scalar: strings as is, numbers in decimal, booleans as `true`/`false`.
pub fn text_form(v: &Json) -> Option<Cow<'_, str>> {
    match v {
        Json::String(s) => Some(Cow::Borrowed(s.as_str())),
        Json::Number(n) => Some(Cow::Owned(n.to_string())),
        Json::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}

/// Names close to an unknown one (edit distance at most 2, or a shared prefix), for hints.
pub fn suggestions(name: &str) -> Vec<&'static str> {
    let lower = name.to_ascii_lowercase();
    let mut out = Vec::new();
    for s in FIELDS {
        for cand in std::iter::once(&s.name).chain(s.aliases.iter()) {
            let close = distance(&lower, cand) <= 2
                || (lower.len() >= 3 && cand.starts_with(lower.as_str()));
            if close && !out.contains(cand) {
                out.push(*cand);
            }
        }
    }
    out.truncate(5);
    out
}

/// Levenshtein distance over chars.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(event: &Json) -> Record<'_> {
        Record {
            seq: 7,
            source: "okta",
            event,
        }
    }

    #[test]
    fn a_fields_index_is_its_row_in_the_table() {
        for (i, field) in Field::all().enumerate() {
            assert_eq!(field.index(), i, "{}", field.name());
        }
    }

    #[test]
    fn aliases_resolve_to_canonical_names() {
        assert_eq!(
            Field::lookup("src_endpoint.ip").map(Field::name),
            Some("ip")
        );
        assert_eq!(Field::lookup("IP").map(Field::name), Some("ip"));
        assert_eq!(
            Field::lookup("metadata.product.name").map(Field::name),
            Some("product")
        );
        assert_eq!(
            Field::lookup("metadata.correlation_uid").map(Field::name),
            Some("trace")
        );
        assert_eq!(Field::lookup("trace.uid").map(Field::name), Some("trace"));
        assert_eq!(
            Field::lookup("src_endpoint.location.country").map(Field::name),
            Some("country")
        );
        assert!(Field::lookup("foo").is_none());
    }

    #[test]
    fn reads_paths_numbers_booleans_and_record_fields() {
        let ev = json!({"status": "Failure", "status_id": 2, "is_mfa": true,
                        "actor": {"user": {"name": "bob"}}, "time": 0});
        let r = rec(&ev);
        let read = |n: &str| -> Vec<String> {
            Field::lookup(n)
                .map(|f| f.read(&r).into_iter().map(String::from).collect())
                .unwrap()
        };
        assert_eq!(read("status"), ["Failure", "2"]);
        assert_eq!(read("is_mfa"), ["true"]);
        assert_eq!(read("user"), ["bob"]);
        assert!(read("user.name").is_empty());
        assert_eq!(read("source"), ["okta"]);
        assert_eq!(read("seq"), ["7"]);
        assert_eq!(read("time"), ["1970-01-01T00:00:00Z", "0"]);
        // A gateway's traceparent and an application's trace id are one field.
        let ev = json!({"metadata": {"correlation_uid": "t1"}, "trace": {"uid": "t2"}});
        let trace = Field::lookup("trace").unwrap().read(&rec(&ev));
        assert_eq!(trace, ["t1", "t2"]);
    }

    #[test]
    fn suggests_close_names() {
        assert!(suggestions("usr").contains(&"user"));
        assert!(suggestions("stats").contains(&"status"));
        assert!(suggestions("zzzzzzzz").is_empty());
    }
}
