//! An event's indexed values read while it is still a typed value: its `Serialize` drives a
//! serializer that follows only the indexed paths and writes nothing, so the caller that
//! encodes an event can hand its keys to the index and the indexer need not parse the JSON
//! back. It answers what [`extract`](super::keys::extract) answers on the JSON the same
//! `Serialize` writes (serde_json's rules: `None` and non-finite floats are `null`, a unit
//! variant is its name, a newtype variant is `{variant: value}`, arrays are not descended).

use std::borrow::Cow;
use std::fmt;

use serde::ser::{self, Serialize};

use super::keys::{trie, Extracted, Trie};

/// The indexed values and time of `event`, as [`extract`](super::keys::extract) reads them from
/// its JSON, without the source (path 0), which the entry adds.
pub fn capture<T: Serialize + ?Sized>(event: &T) -> Extracted<'static> {
    let mut out = Extracted::default();
    if event
        .serialize(Capture {
            node: trie(),
            out: &mut out,
        })
        .is_err()
    {
        // Serializing plain data does not fail; if it did, the JSON would not be written either.
        out = Extracted::default();
    }
    out
}

/// The error type the serializer trait asks for (only a failing `Serialize` impl raises one).
#[derive(Debug)]
pub struct CaptureError(String);

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CaptureError {}

impl ser::Error for CaptureError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CaptureError(msg.to_string())
    }
}

/// The serializer at one node of the tree of indexed paths.
struct Capture<'t, 'o> {
    node: &'t Trie,
    out: &'o mut Extracted<'static>,
}

impl<'t, 'o> Capture<'t, 'o> {
    fn text(self, text: impl FnOnce() -> String) {
        if let Some(id) = self.node.leaf {
            self.out.values.push((id, Cow::Owned(text())));
        }
    }

    fn signed(self, v: i64) {
        if self.node.time {
            self.out.time = Some(v);
        }
        self.text(|| v.to_string());
    }

    fn unsigned(self, v: u64) {
        if self.node.time {
            self.out.time = i64::try_from(v).ok();
        }
        self.text(|| v.to_string());
    }

    /// A float as JSON reads it back: non-finite ones are written as `null`.
    fn float(self, v: f64) {
        if let Some(n) = serde_json::Number::from_f64(v) {
            self.text(|| n.to_string());
        }
    }

    fn object(self) -> Object<'t, 'o> {
        Object {
            node: self.node,
            out: self.out,
            key: None,
        }
    }

    /// `{variant: …}`: the node below the variant's name, if it is on an indexed path.
    fn variant(self, variant: &str) -> Option<Capture<'t, 'o>> {
        let node = self.node.child(variant)?;
        Some(Capture {
            node,
            out: self.out,
        })
    }
}

type Result<T> = std::result::Result<T, CaptureError>;

/// `Serializer` methods for the integer kinds that i128 holds: each is read as that i128.
macro_rules! integers_as_i128 {
    ($($method:ident: $kind:ty),*) => {$(
        fn $method(self, v: $kind) -> Result<()> {
            self.serialize_i128(v.into())
        }
    )*};
}

impl<'t, 'o> ser::Serializer for Capture<'t, 'o> {
    type Ok = ();
    type Error = CaptureError;
    type SerializeSeq = Skip;
    type SerializeTuple = Skip;
    type SerializeTupleStruct = Skip;
    type SerializeTupleVariant = Skip;
    type SerializeMap = Object<'t, 'o>;
    type SerializeStruct = Object<'t, 'o>;
    type SerializeStructVariant = Object<'t, 'o>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.text(|| v.to_string());
        Ok(())
    }
    integers_as_i128!(
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64
    );
    fn serialize_i128(self, v: i128) -> Result<()> {
        // JSON reads an integer back as i64 or u64 where it fits, else as a float.
        match (i64::try_from(v), u64::try_from(v)) {
            (Ok(v), _) => self.signed(v),
            (_, Ok(v)) => self.unsigned(v),
            _ => self.float(v as f64),
        }
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        match i128::try_from(v) {
            Ok(v) => self.serialize_i128(v),
            Err(_) => {
                self.float(v as f64);
                Ok(())
            }
        }
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        // JSON writes an f32 in its shortest form, which reads back as that decimal's f64.
        if v.is_finite() {
            let written = serde_json::to_string(&v).map_err(ser::Error::custom)?;
            if let Ok(read) = written.parse::<f64>() {
                self.float(read);
            }
        }
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        self.float(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<()> {
        self.text(|| v.to_string());
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        if self.node.leaf.is_some() {
            self.text(|| v.to_string());
        }
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<()> {
        Ok(()) // An array in JSON.
    }
    fn serialize_none(self) -> Result<()> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        match self.variant(variant) {
            Some(inner) => value.serialize(inner),
            None => Ok(()),
        }
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Skip> {
        Ok(Skip)
    }
    fn serialize_tuple(self, _: usize) -> Result<Skip> {
        Ok(Skip)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Skip> {
        Ok(Skip)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Skip> {
        Ok(Skip)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Object<'t, 'o>> {
        Ok(self.object())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Object<'t, 'o>> {
        Ok(self.object())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Object<'t, 'o>> {
        let out = &mut *self.out;
        match self.node.child(variant) {
            Some(node) => Ok(Object {
                node,
                out,
                key: None,
            }),
            // Fields of a variant off the indexed paths: an object with no indexed children.
            None => Ok(Object {
                node: Trie::empty(),
                out,
                key: None,
            }),
        }
    }
}

/// An object's members: each value on an indexed path is descended into, the rest skipped.
struct Object<'t, 'o> {
    node: &'t Trie,
    out: &'o mut Extracted<'static>,
    /// The node of the key given last (`serialize_key`), if on an indexed path.
    key: Option<&'t Trie>,
}

impl Object<'_, '_> {
    fn member<T: Serialize + ?Sized>(&mut self, node: Option<&Trie>, value: &T) -> Result<()> {
        match node {
            Some(node) => value.serialize(Capture {
                node,
                out: &mut *self.out,
            }),
            None => Ok(()),
        }
    }
}

impl ser::SerializeStruct for Object<'_, '_> {
    type Ok = ();
    type Error = CaptureError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        let node = self.node.child(key);
        self.member(node, value)
    }
    fn end(self) -> Result<()> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Object<'_, '_> {
    type Ok = ();
    type Error = CaptureError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<()> {
        Ok(())
    }
}

impl ser::SerializeMap for Object<'_, '_> {
    type Ok = ();
    type Error = CaptureError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.key = key.serialize(KeyNode { node: self.node }).ok().flatten();
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let node = self.key.take();
        self.member(node, value)
    }
    fn end(self) -> Result<()> {
        Ok(())
    }
}

/// The members of an array: not descended, as [`extract`](super::keys::extract) does not.
struct Skip;

macro_rules! skip_elements {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Skip {
            type Ok = ();
            type Error = CaptureError;
            fn $method<T: Serialize + ?Sized>(&mut self, _: &T) -> Result<()> {
                Ok(())
            }
            fn end(self) -> Result<()> {
                Ok(())
            }
        }
    )*};
}

skip_elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// `Serializer` methods for scalar keys that JSON writes as their decimal or `true`/`false` text.
macro_rules! key_as_text {
    ($($method:ident: $kind:ty),*) => {$(
        fn $method(self, v: $kind) -> Result<Key<'t>> {
            Ok(self.node.child(&v.to_string()))
        }
    )*};
}

/// The trie node below a map's member, if any, found by the text JSON writes for its key.
type Key<'t> = Option<&'t Trie>;

/// A map key looked up at an object's node by the text JSON writes for it (strings, chars,
/// integers, booleans), with no copy of a string key; any other kind of key is refused, and
/// its value skipped.
struct KeyNode<'t> {
    node: &'t Trie,
}

impl<'t> ser::Serializer for KeyNode<'t> {
    type Ok = Key<'t>;
    type Error = CaptureError;
    type SerializeSeq = ser::Impossible<Key<'t>, CaptureError>;
    type SerializeTuple = ser::Impossible<Key<'t>, CaptureError>;
    type SerializeTupleStruct = ser::Impossible<Key<'t>, CaptureError>;
    type SerializeTupleVariant = ser::Impossible<Key<'t>, CaptureError>;
    type SerializeMap = ser::Impossible<Key<'t>, CaptureError>;
    type SerializeStruct = ser::Impossible<Key<'t>, CaptureError>;
    type SerializeStructVariant = ser::Impossible<Key<'t>, CaptureError>;

    fn serialize_str(self, v: &str) -> Result<Key<'t>> {
        Ok(self.node.child(v))
    }
    fn serialize_char(self, v: char) -> Result<Key<'t>> {
        Ok(self.node.child(v.encode_utf8(&mut [0; 4])))
    }
    key_as_text!(
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128
    );
    fn serialize_unit_variant(self, _: &'static str, _: u32, v: &'static str) -> Result<Key<'t>> {
        Ok(self.node.child(v))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Key<'t>> {
        value.serialize(self)
    }
    fn serialize_f32(self, _: f32) -> Result<Key<'t>> {
        Err(ser::Error::custom("float key"))
    }
    fn serialize_f64(self, _: f64) -> Result<Key<'t>> {
        Err(ser::Error::custom("float key"))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Key<'t>> {
        Err(ser::Error::custom("bytes key"))
    }
    fn serialize_none(self) -> Result<Key<'t>> {
        Err(ser::Error::custom("null key"))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Key<'t>> {
        Err(ser::Error::custom("optional key"))
    }
    fn serialize_unit(self) -> Result<Key<'t>> {
        Err(ser::Error::custom("unit key"))
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Key<'t>> {
        Err(ser::Error::custom("unit key"))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Key<'t>> {
        Err(ser::Error::custom("variant key"))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(ser::Error::custom("array key"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(ser::Error::custom("array key"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(ser::Error::custom("array key"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(ser::Error::custom("array key"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(ser::Error::custom("object key"))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(ser::Error::custom("object key"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(ser::Error::custom("object key"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;
    use serde_json::{json, Value};

    use super::capture;
    use crate::index::keys::extract;

    /// What `extract` reads from the JSON of `event`, less the source.
    fn from_json<T: Serialize>(event: &T) -> super::Extracted<'static> {
        let bytes = serde_json::to_vec(event).unwrap_or_default();
        let mut x = extract("s", &bytes);
        x.values.retain(|(id, _)| *id != 0);
        super::Extracted {
            values: x
                .values
                .into_iter()
                .map(|(id, v)| (id, std::borrow::Cow::Owned(v.into_owned())))
                .collect(),
            time: x.time,
        }
    }

    #[derive(Serialize)]
    enum Kind {
        Plain,
        Wrapped(String),
        Fielded { uid: String },
    }

    #[derive(Serialize)]
    struct User {
        name: Option<String>,
        uid: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        email_addr: Option<String>,
        groups: Vec<String>,
    }

    #[derive(Serialize)]
    struct Event {
        time: u64,
        status: Kind,
        severity_id: f32,
        actor: BTreeMap<&'static str, User>,
        src_endpoint: Value,
        session: Kind,
        metadata: Kind,
        #[serde(flatten)]
        extra: BTreeMap<String, Value>,
    }

    #[test]
    fn agrees_with_extract_on_every_serde_shape() {
        let mut extra = BTreeMap::new();
        extra.insert("trace".to_string(), json!({"uid": "abc", "x": [1, 2]}));
        extra.insert("class_uid".to_string(), json!(3002));
        extra.insert("status_id".to_string(), json!(1.5));
        let event = Event {
            time: 1_700_000_000_123,
            status: Kind::Plain,
            severity_id: 0.1,
            actor: BTreeMap::from([(
                "user",
                User {
                    name: Some("Ann \"quoted\"".into()),
                    uid: 7,
                    email_addr: None,
                    groups: vec!["g".into()],
                },
            )]),
            src_endpoint: json!({"ip": "10.0.0.1", "port": 22, "geo": null}),
            session: Kind::Fielded { uid: "s1".into() },
            metadata: Kind::Wrapped("w".into()),
            extra,
        };
        let got = capture(&event);
        assert_eq!(got, from_json(&event));
        assert_eq!(got.time, Some(1_700_000_000_123));
        assert!(got.values.len() >= 4, "{got:?}");
    }

    /// A map key given as a unit variant (JSON writes its name).
    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    #[allow(non_camel_case_types)]
    enum Member {
        user,
        other,
    }

    #[test]
    fn agrees_on_keys_that_are_not_strings() {
        let by_variant = json!({"name": "ann"});
        let event = BTreeMap::from([(
            "actor",
            BTreeMap::from([(Member::user, &by_variant), (Member::other, &by_variant)]),
        )]);
        let got = capture(&event);
        assert_eq!(got, from_json(&event));
        assert_eq!(got.values.len(), 1, "{got:?}");
        // Keys JSON writes as text that no indexed path names: skipped by both.
        let user = json!({"name": "bob"});
        let numbered = BTreeMap::from([("actor", BTreeMap::from([(7u32, &user)]))]);
        assert_eq!(capture(&numbered), from_json(&numbered));
        let lettered = BTreeMap::from([("actor", BTreeMap::from([('u', &user)]))]);
        assert_eq!(capture(&lettered), from_json(&lettered));
        let flagged = BTreeMap::from([("actor", BTreeMap::from([(true, &user)]))]);
        assert_eq!(capture(&flagged), from_json(&flagged));
    }

    #[test]
    fn agrees_on_values_of_other_types_at_indexed_paths() {
        for value in [
            json!(null),
            json!(true),
            json!(-3),
            json!(u64::MAX),
            json!(2.5),
            json!(["a"]),
            json!({"name": "x"}),
            json!("é\u{1}"),
        ] {
            let event = json!({"actor": {"user": {"name": value.clone()}}, "time": value});
            assert_eq!(capture(&event), from_json(&event), "{value}");
        }
    }
}
