//! What the index stores about an event: a key per value of every indexed path, the event time,
//! and for pipes each path's first value as written.
//!
//! Keys are `[path id] ++ payload`, so one path's keys sort together. Text payloads are the
//! value with ASCII letters lowercased (the query language compares ASCII case-insensitively);
//! IP payloads are `4 ++ octets` or `6 ++ octets`, so a CIDR block is one key range.

use std::net::IpAddr;
use std::sync::OnceLock;

use ipnet::IpNet;
use serde_json::Value as Json;

use crate::query::fields::{lookup_path, text_form};
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

/// What one event contributes to the index.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Extracted {
    /// Every key, without repeats.
    pub keys: Vec<Vec<u8>>,
    /// Each path's first value as written (for pipes), by path id.
    pub first: Vec<Option<String>>,
    /// Paths with a value cut to [`MAX_TEXT_KEY`].
    pub cut: u64,
    /// The event time (ms), if it has one.
    pub time: Option<i64>,
}

/// Reads an event's index keys, first values and time.
pub fn extract(source: &str, event: &Json) -> Extracted {
    let mut out = Extracted {
        first: vec![None; paths().len()],
        time: event.get("time").and_then(Json::as_i64),
        ..Extracted::default()
    };
    for (id, p) in paths().iter().enumerate() {
        let Ok(id8) = u8::try_from(id) else { break };
        let value = if p.path.is_empty() {
            Some(std::borrow::Cow::Borrowed(source))
        } else {
            lookup_path(event, p.path).and_then(text_form)
        };
        let Some(value) = value else { continue };
        let key = if p.ip {
            match value.parse::<IpAddr>() {
                Ok(ip) => Some(ip_key(id8, ip)),
                // Not an address: `=` with an address or network never matches it.
                Err(_) => None,
            }
        } else {
            let (key, cut) = text_key(id8, &value);
            if cut {
                out.cut |= 1 << id;
            }
            Some(key)
        };
        if let Some(key) = key {
            if !out.keys.contains(&key) {
                out.keys.push(key);
            }
        }
        out.first[id] = Some(value.into_owned());
    }
    out
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

    #[test]
    fn extracts_lowercased_keys_first_values_and_ips() {
        let ev = json!({"time": 5, "user": {"name": "Alice"}, "src_endpoint": {"ip": "10.1.2.3"},
                        "status": "Failure", "status_id": 2});
        let x = extract("Okta", &ev);
        assert_eq!(x.time, Some(5));
        let uid = field_paths(Field::lookup("user.name").unwrap()).unwrap()[0];
        assert!(x.keys.contains(&text_key(uid, "alice").0));
        assert_eq!(x.first[usize::from(uid)].as_deref(), Some("Alice"));
        assert!(x.keys.contains(&text_key(0, "okta").0));
        let ipid = field_paths(Field::lookup("ip").unwrap()).unwrap()[0];
        assert!(x.keys.contains(&ip_key(ipid, "10.1.2.3".parse().unwrap())));
        let (lo, hi) = cidr_range(ipid, &"10.0.0.0/8".parse().unwrap());
        let k = ip_key(ipid, "10.1.2.3".parse().unwrap());
        assert!(lo <= k && k <= hi);
        assert_eq!(x.cut, 0);
    }

    #[test]
    fn long_values_are_cut_and_marked() {
        let long = "x".repeat(MAX_TEXT_KEY + 1);
        let ev = json!({"user": {"name": long}});
        let x = extract("s", &ev);
        let uid = field_paths(Field::lookup("user.name").unwrap()).unwrap()[0];
        assert_ne!(x.cut & (1 << uid), 0);
    }
}
