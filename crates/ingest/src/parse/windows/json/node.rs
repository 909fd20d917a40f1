//! A header field's JSON value as given (event id, times, computer, record id): whatever its
//! type, so that a field of the wrong type is refused, or read as text, as it always was. Its
//! strings borrow from the input when they hold no escapes; an object (never a header field in a
//! real record) is built only to be named in the reason it is refused.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::parse::lenient::Key;

/// A JSON value; its `Debug` form names a value of the wrong type in a refusal's reason.
#[derive(Debug)]
pub enum Node<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A negative integer.
    Int(i64),
    /// A non-negative integer.
    UInt(u64),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(Cow<'a, str>),
    /// An array (its elements skipped).
    Arr,
    /// An object's fields, in order (those [`is_skipped`] names left out).
    Obj(
        // Read only by `Debug`, for the reason.
        #[allow(dead_code)] Vec<(Cow<'a, str>, Node<'a>)>,
    ),
}

impl<'a> Node<'a> {
    /// A scalar's text (`None` for null, arrays and objects; empty strings are kept).
    pub fn into_text(self) -> Option<Cow<'a, str>> {
        match self {
            Node::Str(s) => Some(s),
            Node::UInt(n) => Some(Cow::Owned(n.to_string())),
            Node::Int(n) => Some(Cow::Owned(n.to_string())),
            Node::Float(n) => Some(Cow::Owned(n.to_string())),
            Node::Bool(b) => Some(Cow::Borrowed(if b { "true" } else { "false" })),
            Node::Null | Node::Arr | Node::Obj(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// Whether a key's value is left out of an object [`Node`] (and a `UserData` element is not
/// read): the rendered message and the collectors' and the event header's bookkeeping.
pub fn is_skipped(key: &str) -> bool {
    matches!(
        key,
        "Message"
            | "message"
            | "Keywords"
            | "ProviderGuid"
            | "Opcode"
            | "OpcodeValue"
            | "Task"
            | "ThreadID"
            | "ExecutionProcessID"
            | "SeverityValue"
            | "Severity"
            | "EventType"
            | "Version"
            | "@version"
            | "SourceModuleType"
            | "SourceModuleName"
            | "tags"
    )
}

/// Builds [`Node`]s.
pub struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node<'de>, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node<'de>, E> {
        Ok(Node::UInt(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node<'de>, E> {
        Ok(Node::Float(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Node::Arr)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut fields = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if is_skipped(&key) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            fields.push((key, map.next_value::<Node<'de>>()?));
        }
        Ok(Node::Obj(fields))
    }
}
