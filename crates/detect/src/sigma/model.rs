//! The Sigma YAML as written: documents with spans, and a generic node tree for `detection`.

use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

/// One YAML document of a Sigma file: a detection rule or a correlation rule.
#[derive(Deserialize)]
pub(super) struct RawDoc {
    pub title: Option<String>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub level: Option<Spanned<String>>,
    pub description: Option<String>,
    pub logsource: Option<Spanned<RawLogsource>>,
    pub detection: Option<Spanned<Node>>,
    pub correlation: Option<Spanned<RawCorrelation>>,
    pub generate: Option<bool>,
    /// Sigma filter (meta) rules: refused.
    pub filter: Option<Spanned<IgnoredAny>>,
    /// Legacy aggregation window: refused.
    pub timeframe: Option<Spanned<IgnoredAny>>,
}

/// `logsource:` as written.
#[derive(Deserialize)]
pub(super) struct RawLogsource {
    pub product: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
}

/// `correlation:` as written (Sigma v2).
#[derive(Deserialize)]
pub(super) struct RawCorrelation {
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    pub rules: Vec<Spanned<String>>,
    #[serde(rename = "group-by", default)]
    pub group_by: Vec<Spanned<String>>,
    pub timespan: Option<Spanned<String>>,
    pub condition: Option<Spanned<RawCountCondition>>,
    pub aliases: Option<Spanned<IgnoredAny>>,
}

/// A correlation's `condition:` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCountCondition {
    pub field: Option<Spanned<String>>,
    pub gte: Option<u64>,
    pub gt: Option<u64>,
    pub lt: Option<u64>,
    pub lte: Option<u64>,
    pub eq: Option<u64>,
}

/// Any YAML value, with the spans of the values inside.
#[derive(Clone, Debug)]
pub(super) enum Node {
    /// `null` or `~` or an empty value.
    Null,
    /// A string.
    Str(String),
    /// A number, as written in decimal.
    Num(String),
    /// A boolean.
    Bool(bool),
    /// A list.
    Seq(Vec<Spanned<Node>>),
    /// A mapping, keys in order.
    Map(Vec<(Spanned<String>, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                Node::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Num(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Num(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Num(v.to_string()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Node, E> {
                Ok(Node::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut out = Vec::new();
                while let Some(n) = seq.next_element::<Spanned<Node>>()? {
                    out.push(n);
                }
                Ok(Node::Seq(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<Spanned<String>>()? {
                    let v = map.next_value::<Spanned<Node>>()?;
                    out.push((k, v));
                }
                Ok(Node::Map(out))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl Node {
    /// What kind of value this is, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Str(_) => "a string",
            Node::Num(_) => "a number",
            Node::Bool(_) => "a boolean",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a mapping",
        }
    }
}
