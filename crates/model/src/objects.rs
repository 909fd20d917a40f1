//! The OCSF objects an event's typed fields hold.
//!
//! Each object types the attributes authtrail uses and keeps every other key in `extra`, in place,
//! so a round trip through the model loses nothing.
//!
//! The serde impls are written out by `ocsf_object!` rather than derived: a derived impl with
//! `#[serde(flatten)] extra` buffers the whole object into serde's internal `Content` tree, with an
//! allocation per key and string, and then deserializes it a second time. The impls here read each
//! key once, match the typed ones without allocating, and behave exactly as the derived ones did
//! (`tests/serde_equivalence.rs` checks it against them): typed fields written in declaration
//! order (absent ones skipped), then `extra` sorted by key; a repeated typed key is rejected (even
//! after a `null`), a repeated other key keeps its last value.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Keys of an object that the model does not type, kept as they came.
pub type Extra = BTreeMap<String, Value>;

/// A map key type that names some keys and carries any other as its string.
pub(crate) trait ObjectKey: Sized {
    /// What a key is, for the error on a key that is not a string.
    const EXPECTING: &'static str;
    /// The key called `name`, if it is one this type names.
    fn known(name: &str) -> Option<Self>;
    /// Any other key.
    fn other(name: String) -> Self;
}

/// Reads an [`ObjectKey`], allocating only for keys it does not name.
pub(crate) struct KeyVisitor<K>(PhantomData<K>);

impl<K> KeyVisitor<K> {
    pub(crate) fn new() -> Self {
        KeyVisitor(PhantomData)
    }
}

impl<K: ObjectKey> Visitor<'_> for KeyVisitor<K> {
    type Value = K;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(K::EXPECTING)
    }

    // Borrowed keys (`visit_borrowed_str`) come here too.
    fn visit_str<E: de::Error>(self, v: &str) -> Result<K, E> {
        Ok(K::known(v).unwrap_or_else(|| K::other(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<K, E> {
        Ok(K::known(&v).unwrap_or_else(|| K::other(v)))
    }
}

/// Declares an OCSF object: a struct of optional typed fields plus `extra`, and its serde impls.
macro_rules! ocsf_object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                pub $field:ident: Option<$ty:ty>,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            $(
                $(#[$field_meta])*
                pub $field: Option<$ty>,
            )*
            /// Other attributes, untyped.
            pub extra: Extra,
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                // A map of unknown length, as the derived impl with a flattened field wrote it.
                let mut map = serializer.serialize_map(None)?;
                $(
                    if let Some(value) = &self.$field {
                        map.serialize_entry(stringify!($field), value)?;
                    }
                )*
                for (key, value) in &self.extra {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                /// A key of the object: one of the typed fields, or any other key.
                #[allow(non_camel_case_types)]
                enum Key {
                    $($field,)*
                    Other(String),
                }

                impl ObjectKey for Key {
                    const EXPECTING: &'static str = "field identifier";

                    fn known(name: &str) -> Option<Key> {
                        match name {
                            $(stringify!($field) => Some(Key::$field),)*
                            _ => None,
                        }
                    }

                    fn other(name: String) -> Key {
                        Key::Other(name)
                    }
                }

                impl<'de> Deserialize<'de> for Key {
                    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                        d.deserialize_identifier(KeyVisitor::new())
                    }
                }

                struct ObjectVisitor;

                impl<'de> Visitor<'de> for ObjectVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str(concat!("struct ", stringify!($name)))
                    }

                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                        // Outer `Some` once the key was seen, even with a `null` value.
                        $(let mut $field: Option<Option<$ty>> = None;)*
                        let mut extra = Extra::new();
                        while let Some(key) = map.next_key::<Key>()? {
                            match key {
                                $(
                                    Key::$field => {
                                        if $field.is_some() {
                                            return Err(de::Error::duplicate_field(
                                                stringify!($field),
                                            ));
                                        }
                                        $field = Some(map.next_value()?);
                                    }
                                )*
                                Key::Other(key) => {
                                    let value: Value = map.next_value()?;
                                    extra.insert(key, value);
                                }
                            }
                        }
                        Ok($name {
                            $($field: $field.flatten(),)*
                            extra,
                        })
                    }
                }

                deserializer.deserialize_map(ObjectVisitor)
            }
        }
    };
}

ocsf_object! {
    /// OCSF `product`: what produced the event.
    pub struct Product {
        /// Product name.
        pub name: Option<String>,
        /// Vendor name.
        pub vendor_name: Option<String>,
        /// Product version.
        pub version: Option<String>,
    }
}

ocsf_object! {
    /// OCSF `metadata`.
    pub struct Metadata {
        /// The product that reported the event (required).
        pub product: Option<Product>,
        /// OCSF schema version of the event.
        pub version: Option<String>,
        /// The source's own id of the event.
        pub uid: Option<String>,
    }
}

ocsf_object! {
    /// OCSF `user`.
    pub struct User {
        /// User name.
        pub name: Option<String>,
        /// Unique id.
        pub uid: Option<String>,
        /// Email address.
        pub email_addr: Option<String>,
    }
}

ocsf_object! {
    /// OCSF `location` (geolocation of an endpoint).
    pub struct Location {
        /// ISO 3166-1 alpha-2 country code.
        pub country: Option<String>,
        /// City name.
        pub city: Option<String>,
        /// Latitude in degrees.
        pub lat: Option<f64>,
        /// Longitude in degrees.
        pub long: Option<f64>,
    }
}

ocsf_object! {
    /// OCSF `network_endpoint` (`src_endpoint`, `dst_endpoint`).
    pub struct Endpoint {
        /// IP address, v4 or v6.
        pub ip: Option<String>,
        /// Port number.
        pub port: Option<u16>,
        /// Host name.
        pub hostname: Option<String>,
        /// Geolocation.
        pub location: Option<Location>,
    }
}

ocsf_object! {
    /// OCSF `service`: the service being authenticated to.
    pub struct Service {
        /// Service name.
        pub name: Option<String>,
        /// Service id.
        pub uid: Option<String>,
    }
}

ocsf_object! {
    /// OCSF `session`.
    pub struct Session {
        /// Session id: the main correlation key.
        pub uid: Option<String>,
        /// Who issued the session.
        pub issuer: Option<String>,
        /// Whether the session was established with MFA.
        pub is_mfa: Option<bool>,
    }
}

ocsf_object! {
    /// OCSF `http_request`.
    pub struct HttpRequest {
        /// User agent string.
        pub user_agent: Option<String>,
    }
}
