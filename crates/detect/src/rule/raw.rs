//! The rule file as written: serde structs with source spans, before validation.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{value::MapAccessDeserializer, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::Severity;

/// A whole rule file: `rules:` and a list of rules.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    /// The rules, each with the location of its mapping.
    #[serde(default)]
    pub rules: Vec<Spanned<RawRule>>,
}

/// One rule as written; every key but `id` may be left out (a user file overriding a built-in
/// gives only what it changes).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub id: Spanned<String>,
    pub enabled: Option<bool>,
    pub title: Option<String>,
    pub severity: Option<Severity>,
    pub description: Option<String>,
    pub filter: Option<Spanned<String>>,
    pub group_by: Option<Vec<Spanned<String>>>,
    pub window: Option<Spanned<String>>,
    pub count: Option<u64>,
    pub distinct: Option<OneOrMany<RawDistinct>>,
    pub suppress: Option<Spanned<String>>,
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    pub steps: Option<Vec<Spanned<RawStep>>>,
    pub maxspan: Option<Spanned<String>>,
    pub cancel_on: Option<Spanned<String>>,
    pub field: Option<Spanned<String>>,
    pub history: Option<Spanned<String>>,
    pub learning: Option<Spanned<RawLearning>>,
    pub gap: Option<Spanned<String>>,
    pub min_distance_km: Option<f64>,
    pub max_speed_kmh: Option<f64>,
    pub allow_asns: Option<Vec<u32>>,
    pub allow_networks: Option<Vec<Spanned<String>>>,
    pub watch: Option<Vec<Spanned<String>>>,
    pub expire: Option<Spanned<String>>,
}

/// A first_seen rule's learning gate as written.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLearning {
    pub min_age: Option<Spanned<String>>,
    pub min_events: Option<u64>,
}

/// One sequence step as written.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStep {
    pub filter: Spanned<String>,
    pub count: Option<u64>,
}

/// One `distinct:` condition as written.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDistinct {
    pub field: Spanned<String>,
    pub min: u32,
    pub max_per_value: Option<u32>,
    pub min_count: Option<u64>,
}

/// A rule file read only for its rule ids and where each rule starts (to name the rule of an
/// error the strict reading reports).
#[derive(Deserialize)]
pub(super) struct IdsFile {
    #[serde(default)]
    pub rules: Vec<Spanned<IdOnly>>,
}

/// A rule read only for its id.
#[derive(Deserialize)]
pub(super) struct IdOnly {
    #[serde(default)]
    pub id: Option<String>,
}

/// A mapping or a list of mappings (`distinct: {...}` or `distinct: [{...}, {...}]`).
#[derive(Clone)]
pub(super) struct OneOrMany<T>(pub Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping or a list of mappings")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                // The values inside still go through the YAML deserializer, so spans survive.
                T::deserialize(MapAccessDeserializer::new(map)).map(|t| OneOrMany(vec![t]))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(t) = seq.next_element()? {
                    out.push(t);
                }
                Ok(OneOrMany(out))
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}
