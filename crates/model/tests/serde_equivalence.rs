//! The model's hand-written serde code against what it replaced:
//!
//! - each OCSF object's `Deserialize`/`Serialize` against the derived impls with
//!   `#[serde(flatten)] extra` that the model used before (kept below as `derived`), on random
//!   objects: same value or same error (message and position), same serialized bytes;
//! - `Event::canonical_bytes` against `serde_json::to_vec` of the same event, on random events with
//!   arbitrary strings, JSON values and floats (a guard for any faster encoder to come).

use std::collections::BTreeMap;

use authtrail_model::{
    Endpoint, Event, HttpRequest, Location, Metadata, Product, Service, Session, User,
};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// The OCSF objects as the model declared them before (derived serde, flattened `extra`).
mod derived {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};
    use serde_json::Value;

    /// Declares each struct as the model did: every typed field optional, skipped when `None`, and
    /// the other attributes, untyped, flattened into `extra`.
    macro_rules! objects {
        ($($(#[$doc:meta])* $name:ident { $($field:ident: $ty:ty),* $(,)? })*) => {$(
            $(#[$doc])*
            #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
            pub struct $name {
                $(
                    #[serde(default, skip_serializing_if = "Option::is_none")]
                    pub $field: Option<$ty>,
                )*
                #[serde(flatten)]
                pub extra: BTreeMap<String, Value>,
            }
        )*};
    }

    objects! {
        /// OCSF `product`: what produced the event.
        Product { name: String, vendor_name: String, version: String }
        /// OCSF `metadata`.
        Metadata { product: Product, version: String, uid: String }
        /// OCSF `user`.
        User { name: String, uid: String, email_addr: String }
        /// OCSF `location` (geolocation of an endpoint).
        Location { country: String, city: String, lat: f64, long: f64 }
        /// OCSF `network_endpoint` (`src_endpoint`, `dst_endpoint`).
        Endpoint { ip: String, port: u16, hostname: String, location: Location }
        /// OCSF `service`: the service being authenticated to.
        Service { name: String, uid: String }
        /// OCSF `session`.
        Session { uid: String, issuer: String, is_mfa: bool }
        /// OCSF `http_request`.
        HttpRequest { user_agent: String }
    }
}

/// Members that objects are made of: the typed keys of every object (also escaped and in another
/// case), keys no object types, and values of every JSON kind, some of them valid nested objects.
const KEYS: &[&str] = &[
    "name",
    "vendor_name",
    "version",
    "product",
    "uid",
    "email_addr",
    "country",
    "city",
    "lat",
    "long",
    "ip",
    "port",
    "hostname",
    "location",
    "issuer",
    "is_mfa",
    "user_agent",
    "na\\u006de",
    "\\u0075id",
    "Name",
    "extra",
    "x",
    "",
    "\\u00e9",
    "type_id",
];
const VALUES: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "1",
    "-1",
    "70000",
    "1.5",
    "-0.0",
    "1e3",
    "18446744073709551616",
    "\"s\"",
    "\"\"",
    "\"\\u00e9\\n\"",
    "\"2001:db8::1\"",
    "[]",
    "[1,\"a\",null]",
    "{}",
    "{\"name\":\"p\",\"k\":[1]}",
    "{\"lat\":47,\"long\":-122.5,\"z\":null}",
    "{\"city\":5}",
    "{\"name\":\"a\",\"name\":\"b\"}",
    "{\"x\":1,\"x\":2}",
];

/// A JSON object of the given members, as text (so that keys may repeat), with some whitespace.
fn object_text(members: &[(usize, usize)], spaced: bool) -> String {
    let sep = if spaced { " ,\n " } else { "," };
    let body: Vec<String> = members
        .iter()
        .map(|&(k, v)| format!("\"{}\":{}", KEYS[k], VALUES[v]))
        .collect();
    format!("{{{}}}", body.join(sep))
}

/// Parse `text` as `New` and as `Old`; both must agree on the outcome, and on the bytes written.
fn same_as_derived<New, Old>(text: &str) -> Result<(), TestCaseError>
where
    New: DeserializeOwned + Serialize,
    Old: DeserializeOwned + Serialize,
{
    let new = serde_json::from_str::<New>(text);
    let old = serde_json::from_str::<Old>(text);
    match (new, old) {
        (Ok(new), Ok(old)) => {
            let new_bytes = serde_json::to_vec(&new).unwrap();
            prop_assert_eq!(&new_bytes, &serde_json::to_vec(&old).unwrap(), "{}", text);
            // And the new value reads back to the same bytes.
            let again: New = serde_json::from_slice(&new_bytes).unwrap();
            prop_assert_eq!(serde_json::to_vec(&again).unwrap(), new_bytes, "{}", text);
        }
        (Err(new), Err(old)) => prop_assert_eq!(new.to_string(), old.to_string(), "{}", text),
        (new, old) => prop_assert!(
            false,
            "{}: new {:?}, derived {:?}",
            text,
            new.map(|_| ()),
            old.map(|_| ())
        ),
    }
    // From a `Value` too (as `Event::from_value` reads), when the text is one.
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        let new =
            serde_json::from_value::<New>(value.clone()).map(|v| serde_json::to_vec(&v).unwrap());
        let old = serde_json::from_value::<Old>(value).map(|v| serde_json::to_vec(&v).unwrap());
        prop_assert_eq!(
            new.map_err(|e| e.to_string()),
            old.map_err(|e| e.to_string()),
            "{}",
            text
        );
    }
    Ok(())
}

fn members() -> impl Strategy<Value = (Vec<(usize, usize)>, bool)> {
    (
        prop::collection::vec((0..KEYS.len(), 0..VALUES.len()), 0..7),
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn objects_read_and_write_as_the_derived_impls_did((m, spaced) in members()) {
        let text = object_text(&m, spaced);
        same_as_derived::<Product, derived::Product>(&text)?;
        same_as_derived::<Metadata, derived::Metadata>(&text)?;
        same_as_derived::<User, derived::User>(&text)?;
        same_as_derived::<Location, derived::Location>(&text)?;
        same_as_derived::<Endpoint, derived::Endpoint>(&text)?;
        same_as_derived::<Service, derived::Service>(&text)?;
        same_as_derived::<Session, derived::Session>(&text)?;
        same_as_derived::<HttpRequest, derived::HttpRequest>(&text)?;
    }

    #[test]
    fn non_objects_are_rejected_as_the_derived_impls_did(v in 0..VALUES.len()) {
        let text = VALUES[v];
        same_as_derived::<Metadata, derived::Metadata>(text)?;
        same_as_derived::<Endpoint, derived::Endpoint>(text)?;
        same_as_derived::<HttpRequest, derived::HttpRequest>(text)?;
    }
}

/// Any string: mostly plain, with every character JSON escapes, and non-ASCII text.
fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ._:/@-]{0,40}",
        "[\u{0}-\u{7f}]{0,40}",
        ".{0,20}",
        prop::collection::vec(
            prop_oneof![
                Just('"'),
                Just('\\'),
                Just('/'),
                Just('\u{0}'),
                Just('\u{1f}'),
                Just('\u{7f}'),
                Just('\u{8}'),
                Just('\t'),
                Just('\n'),
                Just('\u{c}'),
                Just('\r'),
                Just('é'),
                Just('\u{2028}'),
                Just('😀'),
                Just('a'),
            ],
            0..24
        )
        .prop_map(|cs| cs.into_iter().collect()),
    ]
}

fn arb_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(-0.0),
        Just(1e-7),
        Just(47.0),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        arb_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(arb_string(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_extra() -> impl Strategy<Value = BTreeMap<String, Value>> {
    prop::collection::btree_map(arb_string(), arb_json(), 0..3)
}

fn arb_opt_string() -> impl Strategy<Value = Option<String>> {
    prop::option::of(arb_string())
}

fn arb_endpoint() -> impl Strategy<Value = Endpoint> {
    (
        arb_opt_string(),
        any::<Option<u16>>(),
        arb_opt_string(),
        prop::option::of((
            arb_opt_string(),
            arb_opt_string(),
            prop::option::of(arb_f64()),
            prop::option::of(arb_f64()),
            arb_extra(),
        )),
        arb_extra(),
    )
        .prop_map(|(ip, port, hostname, location, extra)| Endpoint {
            ip,
            port,
            hostname,
            location: location.map(|(country, city, lat, long, extra)| Location {
                country,
                city,
                lat,
                long,
                extra,
            }),
            extra,
        })
}

/// Any event: every field set or not, with arbitrary strings, values and numbers.
fn arb_event() -> impl Strategy<Value = Event> {
    let head = (
        any::<u32>(),
        arb_opt_string(),
        any::<Option<u32>>(),
        arb_opt_string(),
        any::<i32>(),
        arb_opt_string(),
        any::<Option<i64>>(),
        arb_opt_string(),
        any::<i64>(),
        any::<i32>(),
        arb_opt_string(),
        any::<i32>(),
    );
    let middle = (
        arb_opt_string(),
        arb_opt_string(),
        arb_opt_string(),
        prop::option::of((
            arb_opt_string(),
            arb_opt_string(),
            arb_opt_string(),
            arb_extra(),
        )),
        (arb_opt_string(), arb_opt_string(), arb_extra()),
        prop::option::of((
            arb_opt_string(),
            arb_opt_string(),
            arb_opt_string(),
            arb_extra(),
        )),
        prop::option::of(arb_json()),
        prop::option::of(arb_endpoint()),
        prop::option::of(arb_endpoint()),
    );
    let tail = (
        prop::option::of((arb_opt_string(), arb_opt_string(), arb_extra())),
        prop::option::of((
            arb_opt_string(),
            arb_opt_string(),
            any::<Option<bool>>(),
            arb_extra(),
        )),
        any::<Option<i32>>(),
        arb_opt_string(),
        any::<Option<i32>>(),
        arb_opt_string(),
        any::<Option<bool>>(),
        prop::option::of((arb_opt_string(), arb_extra())),
        arb_extra(),
        arb_extra(),
    );
    (head, middle, tail).prop_map(|(head, middle, tail)| {
        let (
            class_uid,
            class_name,
            category_uid,
            category_name,
            activity_id,
            activity_name,
            type_uid,
            type_name,
            time,
            severity_id,
            severity,
            status_id,
        ) = head;
        let (status_code, status_detail, message, product, metadata, user, actor, src, dst) =
            middle;
        let (
            service,
            session,
            auth_protocol_id,
            auth_protocol,
            logon_type_id,
            logon_type,
            is_mfa,
            http_request,
            other,
            unmapped,
        ) = tail;
        // Every field, without `..`: a field added to `Event` must be added here too.
        Event {
            class_uid,
            class_name,
            category_uid,
            category_name,
            activity_id,
            activity_name,
            type_uid,
            type_name,
            time,
            severity_id,
            severity,
            status_id,
            status: None,
            status_code,
            status_detail,
            message,
            metadata: Metadata {
                product: product.map(|(name, vendor_name, version, extra)| Product {
                    name,
                    vendor_name,
                    version,
                    extra,
                }),
                version: metadata.0,
                uid: metadata.1,
                extra: metadata.2,
            },
            user: user.map(|(name, uid, email_addr, extra)| User {
                name,
                uid,
                email_addr,
                extra,
            }),
            actor,
            src_endpoint: src,
            dst_endpoint: dst,
            service: service.map(|(name, uid, extra)| Service { name, uid, extra }),
            session: session.map(|(uid, issuer, is_mfa, extra)| Session {
                uid,
                issuer,
                is_mfa,
                extra,
            }),
            auth_protocol_id,
            auth_protocol,
            logon_type_id,
            logon_type,
            is_mfa,
            http_request: http_request.map(|(user_agent, extra)| HttpRequest { user_agent, extra }),
            other,
            unmapped,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn canonical_bytes_are_what_serde_json_writes(event in arb_event()) {
        let want = serde_json::to_vec(&event).unwrap();
        prop_assert_eq!(event.canonical_bytes(), want);
    }

    #[test]
    fn json_values_are_written_as_serde_json_writes_them(value in arb_json(), s in arb_string()) {
        let event = Event {
            actor: Some(value.clone()),
            message: Some(s.clone()),
            unmapped: [(s, value)].into_iter().collect(),
            ..Event::default()
        };
        prop_assert_eq!(event.canonical_bytes(), serde_json::to_vec(&event).unwrap());
    }
}

#[test]
fn every_byte_is_escaped_as_serde_json_escapes_it() {
    // Each ASCII character alone, at every offset within an eight-byte word, and long strings.
    for c in 0u8..=0x7f {
        for pad in 0..17 {
            let s = format!("{}{}{}", "a".repeat(pad), c as char, "b".repeat(16 - pad));
            let event = Event {
                message: Some(s.clone()),
                unmapped: [(s, Value::Null)].into_iter().collect(),
                ..Event::default()
            };
            assert_eq!(
                event.canonical_bytes(),
                serde_json::to_vec(&event).unwrap(),
                "byte {c:#x} after {pad}"
            );
        }
    }
}
