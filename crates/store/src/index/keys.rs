//! What the index stores about an event: a key per value of every indexed path, the event time,
//! and for pipes each path's first value as written.
//!
//! Keys are `[path id] ++ payload`, so one path's keys sort together. Text payloads are the
//! value with ASCII letters lowercased (the query language compares ASCII case-insensitively);
//! IP payloads are `4 ++ octets` or `6 ++ octets`, so a CIDR block is one key range.

use std::net::IpAddr;
use std::sync::OnceLock;

use ipnet::IpNet;
use std::borrow::Cow;

use crate::query::{Field, Kind, FIELDS};

/// Longest text payload stored whole; a longer value is cut and its path marked inexact.
pub const MAX_TEXT_KEY: usize = 240;

/// Fields left unindexed: free text, which `~` on a full scan serves as well.
const UNINDEXED: &[&str] = &["message"];

/// An indexed path: the OCSF path (or the entry's source) and how its values are keyed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexedPath {
    /// The dotted OCSF path; empty for the entry's source name.
    pub path: &'static str,
    /// Whether values are IP addresses.
    pub ip: bool,
}

/// The indexed paths in id order (the id is the position), derived from the query field table.
pub fn paths() -> &'static [IndexedPath] {
    static PATHS: OnceLock<Vec<IndexedPath>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let mut out = vec![IndexedPath {
            path: "",
            ip: false,
        }];
        for spec in FIELDS {
            if UNINDEXED.contains(&spec.name) || !matches!(spec.kind, Kind::Text | Kind::Ip) {
                continue;
            }
            for p in spec.paths {
                if !out.iter().any(|x| x.path == *p) {
                    out.push(IndexedPath {
                        path: p,
                        ip: spec.kind == Kind::Ip,
                    });
                }
            }
        }
        out
    })
}

/// A fingerprint of the path table: an index built with another table must be rebuilt.
pub fn schema_tag() -> String {
    let names: Vec<&str> = paths()
        .iter()
        .map(|p| if p.ip { "ip:" } else { "" })
        .zip(paths().iter().map(|p| p.path))
        .flat_map(|(a, b)| [a, b, ","])
        .collect();
    names.concat()
}

/// The path ids a field reads, in the field's order; `None` if the field is not indexed.
pub fn field_paths(field: Field) -> Option<Vec<u8>> {
    let spec = field.spec();
    match spec.kind {
        Kind::Source => Some(vec![0]),
        Kind::Text | Kind::Ip if !UNINDEXED.contains(&spec.name) => spec
            .paths
            .iter()
            .map(|p| path_id(p))
            .collect::<Option<Vec<u8>>>(),
        _ => None,
    }
}

fn path_id(path: &str) -> Option<u8> {
    paths()
        .iter()
        .position(|p| p.path == path)
        .and_then(|i| u8::try_from(i).ok())
}

/// The key of a text value of path `id`, and whether it was cut to [`MAX_TEXT_KEY`].
pub fn text_key(id: u8, value: &str) -> (Vec<u8>, bool) {
    let bytes = value.as_bytes();
    let cut = bytes.len() > MAX_TEXT_KEY;
    let bytes = &bytes[..bytes.len().min(MAX_TEXT_KEY)];
    let mut key = Vec::with_capacity(1 + bytes.len());
    key.push(id);
    key.extend(bytes.iter().map(u8::to_ascii_lowercase));
    (key, cut)
}

/// The key of an address of path `id`.
pub fn ip_key(id: u8, ip: IpAddr) -> Vec<u8> {
    let mut key = vec![id];
    match ip {
        IpAddr::V4(v4) => {
            key.push(4);
            key.extend_from_slice(&v4.octets());
        }
        IpAddr::V6(v6) => {
            key.push(6);
            key.extend_from_slice(&v6.octets());
        }
    }
    key
}

/// The inclusive key range of a network's addresses on path `id`.
pub fn cidr_range(id: u8, net: &IpNet) -> (Vec<u8>, Vec<u8>) {
    (ip_key(id, net.network()), ip_key(id, net.broadcast()))
}

/// What one event contributes to the index: each indexed path's value (the entry's source is
/// path 0) and the event time. Values borrow from the event bytes where they can.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extracted<'a> {
    /// `(path id, value as text)`, at most one per path.
    pub values: Vec<(u8, Cow<'a, str>)>,
    /// The event time (ms), if it has one.
    pub time: Option<i64>,
}

/// Reads an event's indexed values and time from its JSON bytes, without building the JSON:
/// a walk that descends only into the objects on an indexed path and skips the rest. It reads
/// what `Field::read` reads (strings as they are, numbers in decimal, booleans); bytes that are
/// not JSON contribute only the source.
pub fn extract<'a>(source: &'a str, event: &'a [u8]) -> Extracted<'a> {
    let mut out = Extracted::default();
    let mut de = serde_json::Deserializer::from_slice(event);
    let walked = serde::de::DeserializeSeed::deserialize(
        Walk {
            node: trie(),
            out: &mut out,
        },
        &mut de,
    )
    .and_then(|()| de.end());
    if walked.is_err() {
        out = Extracted::default();
    }
    out.values.push((0, Cow::Borrowed(source)));
    out
}

/// The index key of each value, and the paths whose value was cut to [`MAX_TEXT_KEY`].
pub fn keys_of(x: &Extracted<'_>, mut each: impl FnMut(&[u8])) -> u64 {
    let mut cut = 0u64;
    let mut buf = Vec::with_capacity(64);
    for (id, value) in &x.values {
        let Some(p) = paths().get(usize::from(*id)) else {
            continue;
        };
        buf.clear();
        if p.ip {
            // Not an address: `=` with an address or network never matches it.
            let Ok(ip) = value.parse::<IpAddr>() else {
                continue;
            };
            buf.extend_from_slice(&ip_key(*id, ip));
        } else {
            let bytes = value.as_bytes();
            if bytes.len() > MAX_TEXT_KEY {
                cut |= 1 << id;
            }
            buf.push(*id);
            buf.extend(
                bytes[..bytes.len().min(MAX_TEXT_KEY)]
                    .iter()
                    .map(u8::to_ascii_lowercase),
            );
        }
        each(&buf);
    }
    cut
}

/// A node of the tree of indexed paths.
#[derive(Debug, Default)]
pub(super) struct Trie {
    children: Vec<(&'static str, Trie)>,
    /// The path id of the value at this node.
    pub(super) leaf: Option<u8>,
    /// This node is the event's `time`.
    pub(super) time: bool,
}

/// The root of the tree of indexed paths.
pub(super) fn trie() -> &'static Trie {
    static TRIE: OnceLock<Trie> = OnceLock::new();
    TRIE.get_or_init(|| {
        let mut root = Trie::default();
        let all = paths()
            .iter()
            .enumerate()
            .skip(1)
            .map(|(id, p)| (p.path, u8::try_from(id).ok()));
        for (path, id) in all.chain(std::iter::once(("time", None))) {
            let mut node = &mut root;
            for part in path.split('.') {
                let at = match node.children.iter().position(|(k, _)| *k == part) {
                    Some(i) => i,
                    None => {
                        node.children.push((part, Trie::default()));
                        node.children.len() - 1
                    }
                };
                node = &mut node.children[at].1;
            }
            match id {
                Some(id) => node.leaf = Some(id),
                None => node.time = true,
            }
        }
        root
    })
}

impl Trie {
    /// A node with nothing indexed below it.
    pub(super) fn empty() -> &'static Trie {
        static EMPTY: Trie = Trie {
            children: Vec::new(),
            leaf: None,
            time: false,
        };
        &EMPTY
    }

    /// The node below this one for member `key`, if that is on an indexed path.
    pub(super) fn child(&self, key: &str) -> Option<&Trie> {
        self.children
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, t)| t)
    }
}

/// A walk of one JSON value at a trie node.
struct Walk<'t, 'o, 'a> {
    node: &'t Trie,
    out: &'o mut Extracted<'a>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Walk<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'a> Walk<'_, '_, 'a> {
    fn text(self, text: Cow<'a, str>) {
        if let Some(id) = self.node.leaf {
            self.out.values.push((id, text));
        }
    }
}

impl<'de> serde::de::Visitor<'de> for Walk<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an OCSF event")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        self.text(Cow::Borrowed(v));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.text(Cow::Owned(v.to_string()));
        Ok(())
    }
    fn visit_string<E>(self, v: String) -> Result<(), E> {
        self.text(Cow::Owned(v));
        Ok(())
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.text(Cow::Borrowed(if v { "true" } else { "false" }));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        if self.node.time {
            self.out.time = Some(v);
        }
        self.text(Cow::Owned(v.to_string()));
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        if self.node.time {
            self.out.time = i64::try_from(v).ok();
        }
        self.text(Cow::Owned(v.to_string()));
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        if let Some(n) = serde_json::Number::from_f64(v) {
            self.text(Cow::Owned(n.to_string()));
        }
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match self.node.child(&key.0) {
                Some(node) => map.next_value_seed(Walk {
                    node,
                    out: &mut *self.out,
                })?,
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// An object key, borrowed unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_cover_the_query_fields_once() {
        let ps = paths();
        assert_eq!(ps[0].path, "");
        assert!(ps.len() < 64, "the cut mask is a u64");
        let user = field_paths(Field::lookup("user").unwrap()).unwrap();
        let name = field_paths(Field::lookup("user.name").unwrap()).unwrap();
        assert_eq!(user[0], name[0]);
        assert!(ps[usize::from(field_paths(Field::lookup("ip").unwrap()).unwrap()[0])].ip);
        assert!(field_paths(Field::lookup("message").unwrap()).is_none());
        assert!(field_paths(Field::lookup("time").unwrap()).is_none());
    }

    fn keys(x: &Extracted<'_>) -> (Vec<Vec<u8>>, u64) {
        let mut out = Vec::new();
        let cut = keys_of(x, |k| out.push(k.to_vec()));
        (out, cut)
    }

    #[test]
    fn extracts_what_field_read_reads() {
        let ev = json!({"time": 5, "user": {"name": "Alice", "uid": 7},
                        "src_endpoint": {"ip": "10.1.2.3", "port": 22},
                        "status": "Failure", "status_id": 2, "is_mfa": true,
                        "session": {"uid": 1.5, "credential_uid": null},
                        "actor": {"user": {"name": ["not", "text"]}},
                        "message": "skipped", "unmapped": {"user": {"name": "x"}}});
        let bytes = serde_json::to_vec(&ev).unwrap();
        let x = extract("Okta", &bytes);
        assert_eq!(x.time, Some(5));
        let record = crate::query::Record {
            seq: 0,
            source: "Okta",
            event: &ev,
        };
        for field in Field::all() {
            let Some(ids) = field_paths(field) else {
                continue;
            };
            let want: Vec<String> = field.read(&record).into_iter().map(String::from).collect();
            let got: Vec<String> = ids
                .iter()
                .filter_map(|id| x.values.iter().find(|(i, _)| i == id))
                .map(|(_, v)| v.to_string())
                .collect();
            assert_eq!(got, want, "{field}");
        }
        let (keys, cut) = keys(&x);
        let uid = field_paths(Field::lookup("user.name").unwrap()).unwrap()[0];
        assert!(keys.contains(&text_key(uid, "alice").0));
        assert!(keys.contains(&text_key(0, "okta").0));
        let ipid = field_paths(Field::lookup("ip").unwrap()).unwrap()[0];
        let k = ip_key(ipid, "10.1.2.3".parse().unwrap());
        assert!(keys.contains(&k));
        let (lo, hi) = cidr_range(ipid, &"10.0.0.0/8".parse().unwrap());
        assert!(lo <= k && k <= hi);
        assert_eq!(cut, 0);
    }

    #[test]
    fn escaped_keys_and_values_and_bad_json() {
        let x = extract("s", br#"{"us\u0065r": {"name": "A\u0042"}, "time": 1}"#);
        let uid = field_paths(Field::lookup("user.name").unwrap()).unwrap()[0];
        assert!(x.values.contains(&(uid, Cow::Owned("AB".into()))));
        let bad = extract("s", br#"{"user": {"name": "a"}"#);
        assert_eq!(bad.values, vec![(0, Cow::Borrowed("s"))]);
        assert_eq!(bad.time, None);
    }

    #[test]
    fn long_values_are_cut_and_marked() {
        let long = "x".repeat(MAX_TEXT_KEY + 1);
        let bytes = serde_json::to_vec(&json!({"user": {"name": long}})).unwrap();
        let x = extract("s", &bytes);
        let uid = field_paths(Field::lookup("user.name").unwrap()).unwrap()[0];
        assert_ne!(keys(&x).1 & (1 << uid), 0);
    }
}
