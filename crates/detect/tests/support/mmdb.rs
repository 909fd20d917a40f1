//! A minimal MaxMind DB writer for tests (IPv4 tree, 24-bit records), written from the MaxMind
//! DB format specification: a binary search tree over the address bits, 16 zero bytes, the data
//! section, then `\xAB\xCD\xEFMaxMind.com` and the metadata map.

use std::net::Ipv4Addr;
use std::path::Path;

/// A value in the data section.
#[derive(Clone, Debug)]
pub enum Val {
    /// UTF-8 string (type 2).
    Str(String),
    /// Double (type 3).
    F64(f64),
    /// uint16 (type 5).
    U16(u16),
    /// uint32 (type 6).
    U32(u32),
    /// uint64 (type 9, extended).
    U64(u64),
    /// Map (type 7) with string keys.
    Map(Vec<(String, Val)>),
    /// Array (type 11, extended).
    Arr(Vec<Val>),
}

/// A string value.
pub fn s(text: &str) -> Val {
    Val::Str(text.to_string())
}

/// A map value.
pub fn map(pairs: Vec<(&str, Val)>) -> Val {
    Val::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// Writes a control byte (and the extended type byte and size bytes) for `kind` and `size`.
fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
    let (first, extra): (u8, Vec<u8>) = if size < 29 {
        (size as u8, vec![])
    } else if size < 285 {
        (29, vec![(size - 29) as u8])
    } else if size < 65_821 {
        (30, ((size - 285) as u16).to_be_bytes().to_vec())
    } else {
        (31, ((size - 65_821) as u32).to_be_bytes()[1..].to_vec())
    };
    if kind <= 7 {
        out.push((kind << 5) | first);
    } else {
        out.push(first);
        out.push(kind - 7);
    }
    out.extend(extra);
}

/// An unsigned integer in as few big-endian bytes as it needs.
fn uint(out: &mut Vec<u8>, kind: u8, be: &[u8]) {
    let start = be.iter().position(|b| *b != 0).unwrap_or(be.len());
    control(out, kind, be.len() - start);
    out.extend(&be[start..]);
}

/// Encodes `v` at the end of `out`.
pub fn encode(out: &mut Vec<u8>, v: &Val) {
    match v {
        Val::Str(t) => {
            control(out, 2, t.len());
            out.extend(t.as_bytes());
        }
        Val::F64(x) => {
            control(out, 3, 8);
            out.extend(x.to_be_bytes());
        }
        Val::U16(n) => uint(out, 5, &n.to_be_bytes()),
        Val::U32(n) => uint(out, 6, &n.to_be_bytes()),
        Val::U64(n) => uint(out, 9, &n.to_be_bytes()),
        Val::Map(pairs) => {
            control(out, 7, pairs.len());
            for (k, v) in pairs {
                encode(out, &Val::Str(k.clone()));
                encode(out, v);
            }
        }
        Val::Arr(items) => {
            control(out, 11, items.len());
            for v in items {
                encode(out, v);
            }
        }
    }
}

/// A record of the search tree.
#[derive(Clone, Copy)]
enum Rec {
    Empty,
    Node(usize),
    Data(usize),
}

/// An IPv4 database of `kind` (`GeoLite2-City`, `GeoLite2-ASN`) mapping each network
/// (`"192.0.2.0/24"`, not overlapping) to its record.
pub fn build(kind: &str, networks: &[(&str, Val)]) -> Vec<u8> {
    let mut data = Vec::new();
    let mut nodes: Vec<[Rec; 2]> = vec![[Rec::Empty, Rec::Empty]];
    for (net, value) in networks {
        let (addr, len) = net.split_once('/').expect("a CIDR");
        let bits = u32::from(addr.parse::<Ipv4Addr>().expect("an IPv4 address"));
        let len: u32 = len.parse().expect("a prefix length");
        assert!((1..=32).contains(&len));
        let offset = data.len();
        encode(&mut data, value);
        let mut node = 0;
        for depth in 0..len {
            let bit = ((bits >> (31 - depth)) & 1) as usize;
            if depth == len - 1 {
                nodes[node][bit] = Rec::Data(offset);
            } else {
                node = match nodes[node][bit] {
                    Rec::Node(n) => n,
                    _ => {
                        nodes.push([Rec::Empty, Rec::Empty]);
                        let n = nodes.len() - 1;
                        nodes[node][bit] = Rec::Node(n);
                        n
                    }
                };
            }
        }
    }
    let count = nodes.len();
    let mut out = Vec::new();
    for node in &nodes {
        for rec in node {
            let v = match *rec {
                Rec::Empty => count,
                Rec::Node(n) => n,
                Rec::Data(off) => count + 16 + off,
            };
            out.extend(&(v as u32).to_be_bytes()[1..]);
        }
    }
    out.extend([0u8; 16]);
    out.extend(&data);
    out.extend(b"\xab\xcd\xefMaxMind.com");
    let meta = map(vec![
        ("binary_format_major_version", Val::U16(2)),
        ("binary_format_minor_version", Val::U16(0)),
        ("build_epoch", Val::U64(1_795_737_600)),
        ("database_type", s(kind)),
        (
            "description",
            map(vec![("en", s("authtrail test database"))]),
        ),
        ("ip_version", Val::U16(4)),
        ("languages", Val::Arr(vec![s("en")])),
        ("node_count", Val::U32(count as u32)),
        ("record_size", Val::U16(24)),
    ]);
    encode(&mut out, &meta);
    out
}

/// Writes `build(kind, networks)` to `path`.
pub fn write(path: &Path, kind: &str, networks: &[(&str, Val)]) {
    std::fs::write(path, build(kind, networks)).expect("writing the test database");
}
