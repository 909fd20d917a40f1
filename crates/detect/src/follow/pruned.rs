//! An event's JSON parsed for the engine: only the members on a path the engine can read.
//!
//! The engine reads an event through the query fields its rules name
//! (`authtrail_store::query::Field`, a fixed table: a rule can name no other), its `time` and,
//! for velocity and change rules, the source's address, place, network and client (a Sigma rule
//! may read any path: the detector then parses events whole). One pass over the bytes gives
//! both: each text field's values, read off the paths as [`Field::read`] reads them from the
//! whole event, and a small JSON value holding only what the engine reads itself. No object of
//! the event is built but those few: parsing, freeing and looking through whole events was the
//! largest part of detection. Bytes that are not JSON are refused as `serde_json::from_slice`
//! refuses them.

use std::borrow::Cow;
use std::fmt;

use authtrail_store::query::{text_form, Field, FieldValues, Kind, Record};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

/// What the engine reads itself (not through a field): `time`, and where velocity and change
/// rules find an event's address, place, network and client.
const ENGINE_PATHS: [&str; 5] = [
    "time",
    "src_endpoint.ip",
    "src_endpoint.location",
    "src_endpoint.autonomous_system",
    "http_request.user_agent",
];

/// What the detector reads of each event for its rules: the paths as a tree, and where each
/// text field's values go.
#[derive(Debug, Default)]
pub(super) struct Paths {
    /// The member names on the paths read.
    tree: Node,
    /// Each text field read, and the slots of its paths in order.
    fields: Vec<(Field, Vec<usize>)>,
    /// How many slots there are.
    slots: usize,
}

/// A member on a path read, and the members read below it.
#[derive(Debug, Default)]
struct Node {
    /// An engine path ends here: the whole value is kept in the small value.
    whole: bool,
    /// Whether this node or one below it is kept in the small value.
    kept: bool,
    /// A field path ends here: its text goes to this slot.
    slot: Option<usize>,
    /// Members read below this one (a few: a list looked through by length first is quicker
    /// than a map's string comparisons).
    members: Vec<(&'static str, Node)>,
}

impl Paths {
    /// What the engine reads of an event for rules reading `fields`: the text fields' paths
    /// (to slots) and the engine's own paths (to the small value).
    pub(super) fn for_fields(fields: impl IntoIterator<Item = Field>) -> Paths {
        let mut paths = Paths::default();
        for path in ENGINE_PATHS {
            paths.tree.node(path).whole = true;
        }
        for field in fields {
            if !matches!(field.kind(), Kind::Text | Kind::Ip)
                || paths.fields.iter().any(|(f, _)| *f == field)
            {
                // `time`, `source` and `seq` are read from the small value and the record.
                continue;
            }
            let mut slots = Vec::new();
            for path in field.spec().paths {
                let node = paths.tree.node(path);
                let slot = *node.slot.get_or_insert(paths.slots);
                if slot == paths.slots {
                    paths.slots += 1;
                }
                slots.push(slot);
            }
            paths.fields.push((field, slots));
        }
        paths.tree.mark_kept();
        paths
    }

    /// Sets the field values `texts` (a parsed event's slots) hold in `values`: each field
    /// read as it would be from the whole event.
    fn set_fields<'a>(&self, texts: &'a [Option<String>], values: &mut FieldValues<'a>) {
        for (field, slots) in &self.fields {
            let read = slots
                .iter()
                .filter_map(|s| texts.get(*s)?.as_deref())
                .map(Cow::Borrowed)
                .collect();
            values.set(*field, read);
        }
    }
}

impl Node {
    /// The node at a dotted path, made if absent.
    fn node(&mut self, path: &'static str) -> &mut Node {
        path.split('.').fold(self, |node, name| node.member(name))
    }

    /// The member `name`, added if absent.
    fn member(&mut self, name: &'static str) -> &mut Node {
        match self.members.iter().position(|(n, _)| *n == name) {
            Some(i) => &mut self.members[i].1,
            None => {
                self.members.push((name, Node::default()));
                let last = self.members.len() - 1;
                &mut self.members[last].1
            }
        }
    }

    /// Sets `kept` where an engine path ends at or below a node.
    fn mark_kept(&mut self) -> bool {
        let mut kept = self.whole;
        for (_, member) in &mut self.members {
            kept |= member.mark_kept();
        }
        self.kept = kept;
        kept
    }

    /// The node of member `name`, if any path goes through it.
    fn get(&self, name: &str) -> Option<&Node> {
        self.members
            .iter()
            .find(|(n, _)| n.len() == name.len() && *n == name)
            .map(|(_, p)| p)
    }

    /// Fills the slots at and below this node from `value` (absent: `None`), as reading the
    /// paths from it would.
    fn fill(&self, value: Option<&Value>, texts: &mut [Option<String>]) {
        if let Some(slot) = self.slot.and_then(|s| texts.get_mut(s)) {
            *slot = value.and_then(text_form).map(Cow::into_owned);
        }
        for (name, member) in &self.members {
            member.fill(value.and_then(|v| v.get(name)), texts);
        }
    }
}

/// An event as the engine reads it: its JSON (whole, or only what the engine reads itself)
/// and, when pruned, its text fields' values by slot.
#[derive(Debug)]
pub(super) struct Parsed {
    /// The event, whole or small.
    pub event: Value,
    /// Each slot's text, when its path holds a string, number or boolean (none when whole).
    pub texts: Vec<Option<String>>,
}

impl Parsed {
    /// The event as the engine reads it, as the entry `seq` of `source` (`paths`: what it was
    /// parsed for).
    pub(super) fn values<'a>(
        &'a self,
        seq: u64,
        source: &'a str,
        paths: Option<&Paths>,
    ) -> FieldValues<'a> {
        let mut values = FieldValues::new(Record {
            seq,
            source,
            event: &self.event,
        });
        if let Some(paths) = paths {
            paths.set_fields(&self.texts, &mut values);
        }
        values
    }
}

/// Parses `bytes` for the engine: whole without `paths`, else keeping only what is on them.
pub(super) fn parse(bytes: &[u8], paths: Option<&Paths>) -> serde_json::Result<Parsed> {
    let Some(paths) = paths else {
        return serde_json::from_slice(bytes).map(|event| Parsed {
            event,
            texts: Vec::new(),
        });
    };
    // Skipped strings are not checked for UTF-8 by the parser: the whole input is, first.
    let text =
        std::str::from_utf8(bytes).map_err(<serde_json::Error as serde::de::Error>::custom)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let mut texts = vec![None; paths.slots];
    let event = Pruned {
        node: &paths.tree,
        texts: &mut texts,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(Parsed { event, texts })
}

/// The value at a node of the paths; slots below it are filled on the way.
struct Pruned<'p, 't> {
    node: &'p Node,
    texts: &'t mut [Option<String>],
}

impl<'de> DeserializeSeed<'de> for Pruned<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Value, D::Error> {
        if self.node.whole || self.node.slot.is_some() {
            let value = Value::deserialize(de)?;
            self.node.fill(Some(&value), &mut *self.texts);
            Ok(if self.node.whole { value } else { Value::Null })
        } else {
            // Whatever this value is, the slots below it now read from it alone.
            self.node.fill(None, &mut *self.texts);
            de.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for Pruned<'_, '_> {
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
            match self.node.get(key.as_ref()) {
                // Every node of the tree is on an engine path or a field path.
                Some(node) => {
                    let value = map.next_value_seed(Pruned {
                        node,
                        texts: &mut *self.texts,
                    })?;
                    if node.kept {
                        out.insert(key.into_owned(), value);
                    }
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
    use proptest::prelude::*;

    /// Every field reads the same from the parsed event as from the whole one, and so does
    /// every engine path.
    fn same_reads(json: &str) {
        let whole: Value = serde_json::from_str(json).unwrap();
        let paths = Paths::for_fields(Field::all());
        let parsed = parse(json.as_bytes(), Some(&paths)).unwrap();
        let w = Record {
            seq: 7,
            source: "s",
            event: &whole,
        };
        let mut values = parsed.values(7, "s", Some(&paths));
        for field in Field::all() {
            assert_eq!(
                values.get(field),
                field.read(&w).as_slice(),
                "{} of {json}",
                field.name()
            );
        }
        for path in ENGINE_PATHS {
            let at = |v: &Value| path.split('.').try_fold(v, |v, k| v.get(k)).cloned();
            assert_eq!(at(&parsed.event), at(&whole), "{path} of {json}");
        }
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
        let parsed = parse(json.as_bytes(), Some(&Paths::for_fields(Field::all()))).unwrap();
        let event = &parsed.event;
        assert!(event.get("unmapped").is_none());
        assert!(event.get("metadata").is_none(), "fields go to slots");
        assert!(event["src_endpoint"].get("port").is_none());
        assert_eq!(event["src_endpoint"]["location"]["country"], "FR");
        assert_eq!(event["time"], 1_781_133_053_000_i64);
        for json in [
            "[]",
            "3",
            "null",
            r#"{"user":"bob","time":"x"}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"user":{"name":"a"},"user":"x"}"#,
            r#"{"user":{"name":"a"},"user":{"uid":"u"}}"#,
            r#"{"src_endpoint":{"ip":"192.0.2.1"},"src_endpoint":{"location":{"country":"FR"}}}"#,
            r#"{"status":"Failure","status":{"x":1},"status_id":2.5,"is_mfa":true}"#,
        ] {
            same_reads(json);
        }
    }

    /// A JSON value built from a few names, scalars and nestings, so that the paths read are
    /// often present, absent, repeated or not objects.
    fn json() -> impl Strategy<Value = String> {
        let name = prop::sample::select(vec![
            "user",
            "name",
            "uid",
            "src_endpoint",
            "ip",
            "location",
            "country",
            "status",
            "status_id",
            "time",
            "session",
            "metadata",
            "product",
            "class_uid",
            "is_mfa",
            "http_request",
            "user_agent",
            "x",
        ]);
        let leaf = prop_oneof![
            Just("null".to_string()),
            any::<bool>().prop_map(|b| b.to_string()),
            (-3i64..1_000_000).prop_map(|n| n.to_string()),
            Just("2.5".to_string()),
            "[a-z\\\\\"]{0,4}".prop_map(|s| format!("{:?}", s)),
        ];
        leaf.prop_recursive(4, 40, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec((name.clone(), inner), 0..6).prop_map(|members| {
                    let body: Vec<String> =
                        members.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
                    format!("{{{}}}", body.join(","))
                }),
            ]
        })
    }

    proptest! {
        /// Whatever the shape (duplicate members, scalars where objects are read, arrays), the
        /// parsed event reads as the whole one.
        #[test]
        fn any_json_reads_the_same_parsed_as_whole(text in json()) {
            if serde_json::from_str::<Value>(&text).is_ok() {
                same_reads(&text);
            }
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
                parse(bad, Some(&paths)).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
            assert!(serde_json::from_slice::<Value>(bad).is_err());
        }
    }
}
