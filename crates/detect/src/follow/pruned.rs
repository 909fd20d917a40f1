//! An event's JSON parsed for the engine: only the members on a path the engine can read.
//!
//! The engine reads an event through the query fields its rules name
//! (`authtrail_store::query::Field`, a fixed table: a rule can name no other), its `time` and,
//! for velocity and change rules, the source's address, place, network and client (a Sigma rule
//! may read any path: the detector then parses events whole). Parsing only the members on those
//! paths (and validating the rest without building it) gives a value on which every such read
//! answers exactly as on the whole event, at a fraction of the cost: parsing, and freeing,
//! events was the largest part of detection. Bytes that are not JSON are refused as
//! `serde_json::from_slice` refuses them.

use std::borrow::Cow;
use std::fmt;

use authtrail_store::query::Field;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The member names on the paths read, as a tree.
#[derive(Debug, Default)]
pub(super) struct Paths {
    /// A path ends here: the whole value is kept.
    whole: bool,
    /// Members read below this one (a few: a list looked through by length first is quicker
    /// than a map's string comparisons).
    members: Vec<(&'static str, Paths)>,
}

impl Paths {
    /// What the engine reads of an event for rules reading `fields`: their paths, `time` (read
    /// by the engine itself), and where velocity and change rules find an event's address,
    /// place, network and client (`src_endpoint.ip`, `.location`, `.autonomous_system`,
    /// `http_request.user_agent`).
    pub(super) fn for_fields(fields: impl IntoIterator<Item = Field>) -> Paths {
        let mut paths = Paths::default();
        for path in [
            "time",
            "src_endpoint.ip",
            "src_endpoint.location",
            "src_endpoint.autonomous_system",
            "http_request.user_agent",
        ] {
            paths.add(path);
        }
        for field in fields {
            for path in field.spec().paths {
                paths.add(path);
            }
        }
        paths
    }

    /// The member `name`, added if absent.
    fn member(&mut self, name: &'static str) -> &mut Paths {
        match self.members.iter().position(|(n, _)| *n == name) {
            Some(i) => &mut self.members[i].1,
            None => {
                self.members.push((name, Paths::default()));
                let last = self.members.len() - 1;
                &mut self.members[last].1
            }
        }
    }

    /// The paths below member `name`, if any is read.
    fn get(&self, name: &str) -> Option<&Paths> {
        self.members
            .iter()
            .find(|(n, _)| n.len() == name.len() && *n == name)
            .map(|(_, p)| p)
    }

    fn add(&mut self, path: &'static str) {
        let node = path.split('.').fold(self, |node, name| node.member(name));
        node.whole = true;
    }
}

/// Parses `bytes` keeping only what is on `paths`.
pub(super) fn parse(bytes: &[u8], paths: &Paths) -> serde_json::Result<Value> {
    // Skipped strings are not checked for UTF-8 by the parser: the whole input is, first.
    let text =
        std::str::from_utf8(bytes).map_err(<serde_json::Error as serde::de::Error>::custom)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Pruned(paths).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// The value at a node of the paths.
struct Pruned<'p>(&'p Paths);

impl<'de> DeserializeSeed<'de> for Pruned<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Value, D::Error> {
        if self.0.whole {
            Value::deserialize(de)
        } else {
            de.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for Pruned<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    // Below a path's end only objects are looked into: anything else reads as absent, so it is
    // validated and dropped.
    fn visit_bool<E>(self, _: bool) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_str<E>(self, _: &str) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Null)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key_seed(Key)? {
            match self.0.get(key.as_ref()) {
                Some(paths) => {
                    let value = map.next_value_seed(Pruned(paths))?;
                    out.insert(key.into_owned(), value);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(out))
    }
}

/// A member name, borrowed from the input when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_string()))
    }

    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use authtrail_store::query::Record;

    /// Every field reads the same on the pruned value as on the whole one.
    fn same_reads(json: &str) {
        let whole: Value = serde_json::from_str(json).unwrap();
        let pruned = parse(json.as_bytes(), &Paths::for_fields(Field::all())).unwrap();
        let (w, p) = (
            Record {
                seq: 7,
                source: "s",
                event: &whole,
            },
            Record {
                seq: 7,
                source: "s",
                event: &pruned,
            },
        );
        for field in Field::all() {
            assert_eq!(field.read(&w), field.read(&p), "{} of {json}", field.name());
        }
        assert_eq!(whole.get("time"), pruned.get("time"));
    }

    #[test]
    fn fields_read_the_same_and_the_rest_is_dropped() {
        let json = r#"{"class_uid":3002,"class_name":"Authentication","time":1781133053000,
            "status":"Failure","status_id":2,"message":"Failed password for root",
            "metadata":{"product":{"name":"OpenSSH","vendor_name":"OpenBSD"},"version":"1.6.0",
            "correlation_uid":"abc"},"user":{"name":"r\u00f6\"ot","uid":[1,2]},
            "src_endpoint":{"ip":"192.0.2.1","port":22,"location":{"country":"FR","city":"X"}},
            "session":{"uid":"s-1","credential_uid":"t-1"},"unmapped":{"x":[{"y":1}]},
            "is_mfa":false,"trace":{"uid":null},"auth_protocol_id":99,"http_request":[1]}"#;
        same_reads(json);
        let pruned = parse(json.as_bytes(), &Paths::for_fields(Field::all())).unwrap();
        assert!(pruned.get("unmapped").is_none());
        assert!(pruned["metadata"].get("version").is_none());
        assert!(pruned["src_endpoint"].get("port").is_none());
        assert_eq!(pruned["src_endpoint"]["location"]["country"], "FR");
        for json in [
            "[]",
            "3",
            "null",
            r#"{"user":"bob","time":"x"}"#,
            r#"{"a":1,"a":2}"#,
        ] {
            same_reads(json);
        }
    }

    #[test]
    fn what_is_not_json_is_refused_as_before() {
        for bad in [
            &b"{\"a\":}"[..],
            b"{\"unmapped\":[1,}",
            b"{} x",
            b"",
            b"{\"k\":\"\xff\"}",
        ] {
            let paths = Paths::for_fields(Field::all());
            assert!(
                parse(bad, &paths).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
            assert!(serde_json::from_slice::<Value>(bad).is_err());
        }
    }
}
