//! Reading an event from JSON: typed fields by name, other OCSF attributes kept in place, and
//! everything else moved to `unmapped`.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::captions::is_ocsf_attribute;
use crate::error::ModelError;
use crate::event::Event;
use crate::objects::{
    Endpoint, HttpRequest, KeyVisitor, Metadata, ObjectKey, Service, Session, User,
};

/// Declares [`Partial`] with one optional slot per typed top-level field, the [`Key`] naming them,
/// and [`Partial::read_typed`], which reads the value of such a key into its slot.
macro_rules! typed_fields {
    ($($field:ident: $ty:ty,)*) => {
        /// An event as read, before required fields are checked.
        #[derive(Default)]
        pub(crate) struct Partial {
            $($field: Option<$ty>,)*
            time: Option<i64>,
            other: BTreeMap<String, Value>,
            unmapped: BTreeMap<String, Value>,
        }

        /// A top-level key: a typed field, `time`, `unmapped`, or any other key.
        #[allow(non_camel_case_types)]
        enum Key {
            $($field,)*
            time,
            unmapped,
            Other(String),
        }

        impl ObjectKey for Key {
            const EXPECTING: &'static str = "a string key";

            fn known(name: &str) -> Option<Key> {
                match name {
                    $(stringify!($field) => Some(Key::$field),)*
                    "time" => Some(Key::time),
                    "unmapped" => Some(Key::unmapped),
                    _ => None,
                }
            }

            fn other(name: String) -> Key {
                Key::Other(name)
            }
        }

        impl Partial {
            /// Read the value of a typed field's key into its slot; `false` for the other keys.
            fn read_typed<'de, A: MapAccess<'de>>(
                &mut self,
                key: &Key,
                map: &mut A,
            ) -> Result<bool, A::Error> {
                match key {
                    $(Key::$field => read(map, &mut self.$field, stringify!($field))?,)*
                    Key::time | Key::unmapped | Key::Other(_) => return Ok(false),
                }
                Ok(true)
            }
        }
    };
}

typed_fields! {
    class_uid: u32,
    class_name: String,
    category_uid: u32,
    category_name: String,
    activity_id: i32,
    activity_name: String,
    type_uid: i64,
    type_name: String,
    severity_id: i32,
    severity: String,
    status_id: i32,
    status: String,
    status_code: String,
    status_detail: String,
    message: String,
    metadata: Metadata,
    user: User,
    actor: Value,
    src_endpoint: Endpoint,
    dst_endpoint: Endpoint,
    service: Service,
    session: Session,
    auth_protocol_id: i32,
    auth_protocol: String,
    logon_type_id: i32,
    logon_type: String,
    is_mfa: bool,
    http_request: HttpRequest,
}

impl Partial {
    /// Check that the fields every stored event carries are present and build the event.
    pub(crate) fn into_event(self) -> Result<Event, ModelError> {
        Ok(Event {
            class_uid: self
                .class_uid
                .ok_or(ModelError::MissingField("class_uid"))?,
            class_name: self.class_name,
            category_uid: self.category_uid,
            category_name: self.category_name,
            activity_id: self
                .activity_id
                .ok_or(ModelError::MissingField("activity_id"))?,
            activity_name: self.activity_name,
            type_uid: self.type_uid,
            type_name: self.type_name,
            time: self.time.ok_or(ModelError::MissingField("time"))?,
            severity_id: self
                .severity_id
                .ok_or(ModelError::MissingField("severity_id"))?,
            severity: self.severity,
            status_id: self.status_id.unwrap_or(0),
            status: self.status,
            status_code: self.status_code,
            status_detail: self.status_detail,
            message: self.message,
            metadata: self.metadata.ok_or(ModelError::MissingField("metadata"))?,
            user: self.user,
            actor: self.actor,
            src_endpoint: self.src_endpoint,
            dst_endpoint: self.dst_endpoint,
            service: self.service,
            session: self.session,
            auth_protocol_id: self.auth_protocol_id,
            auth_protocol: self.auth_protocol,
            logon_type_id: self.logon_type_id,
            logon_type: self.logon_type,
            is_mfa: self.is_mfa,
            http_request: self.http_request,
            other: self.other,
            unmapped: self.unmapped,
        })
    }
}

impl<'de> Deserialize<'de> for Partial {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(PartialVisitor)
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Partial::deserialize(d)?
            .into_event()
            .map_err(de::Error::custom)
    }
}

/// Reads an event object into a [`Partial`].
struct PartialVisitor;

/// Read the next value into an optional slot, naming the field in any error.
fn read<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &str,
) -> Result<(), A::Error> {
    let value: Option<T> = map
        .next_value()
        .map_err(|e| de::Error::custom(format!("field {name}: {e}")))?;
    if value.is_some() && slot.is_some() {
        return Err(de::Error::custom(format!("duplicate field {name}")));
    }
    if value.is_some() {
        *slot = value;
    }
    Ok(())
}

/// `time` may be epoch milliseconds (OCSF) or an RFC 3339 timestamp string.
fn read_time<'de, A: MapAccess<'de>>(map: &mut A, slot: &mut Option<i64>) -> Result<(), A::Error> {
    let value: Value = map.next_value()?;
    let ms = match &value {
        Value::Number(n) => n.as_i64().ok_or_else(|| {
            de::Error::custom("field time: must be whole milliseconds since the epoch")
        })?,
        Value::String(s) => s
            .parse::<jiff::Timestamp>()
            .map_err(|e| {
                de::Error::custom(format!(
                    "field time: {s:?} is not an RFC 3339 timestamp: {e}"
                ))
            })?
            .as_millisecond(),
        Value::Null => return Ok(()),
        _ => {
            return Err(de::Error::custom(
                "field time: expected milliseconds or an RFC 3339 string",
            ))
        }
    };
    if slot.replace(ms).is_some() {
        return Err(de::Error::custom("duplicate field time"));
    }
    Ok(())
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor::new())
    }
}

/// Insert a key that must not be there yet; `prefix` goes before the key in the error.
fn insert_new<E: de::Error>(
    map: &mut BTreeMap<String, Value>,
    key: String,
    value: Value,
    prefix: &str,
) -> Result<(), E> {
    match map.entry(key) {
        Entry::Vacant(slot) => {
            slot.insert(value);
            Ok(())
        }
        Entry::Occupied(slot) => Err(de::Error::custom(format!(
            "duplicate field {prefix}{}",
            slot.key()
        ))),
    }
}

impl<'de> Visitor<'de> for PartialVisitor {
    type Value = Partial;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an OCSF event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Partial, A::Error> {
        let mut p = Partial::default();
        while let Some(key) = map.next_key::<Key>()? {
            if p.read_typed(&key, &mut map)? {
                continue;
            }
            match key {
                Key::time => read_time(&mut map, &mut p.time)?,
                Key::unmapped => {
                    // Read as a `Value`, as before, so that its own repeated keys (the last one
                    // wins) and serde_json's special keys behave as they did.
                    let value: Value = map.next_value()?;
                    match value {
                        Value::Object(fields) => {
                            for (key, value) in fields {
                                insert_new(&mut p.unmapped, key, value, "unmapped.")?;
                            }
                        }
                        Value::Null => {}
                        _ => return Err(de::Error::custom("field unmapped: expected an object")),
                    }
                }
                Key::Other(key) => {
                    let value: Value = map.next_value()?;
                    let slot = if is_ocsf_attribute(&key) {
                        &mut p.other
                    } else {
                        &mut p.unmapped
                    };
                    insert_new(slot, key, value, "")?;
                }
                // Typed fields were read above.
                _ => {}
            }
        }
        Ok(p)
    }
}
