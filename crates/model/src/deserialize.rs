//! Reading an event from JSON: typed fields by name, other OCSF attributes kept in place, and
//! everything else moved to `unmapped`.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::captions::is_ocsf_attribute;
use crate::error::ModelError;
use crate::event::Event;
use crate::objects::{Endpoint, HttpRequest, Metadata, Service, Session, User};

/// An event as read, before required fields are checked.
#[derive(Default)]
pub(crate) struct Partial {
    class_uid: Option<u32>,
    class_name: Option<String>,
    category_uid: Option<u32>,
    category_name: Option<String>,
    activity_id: Option<i32>,
    activity_name: Option<String>,
    type_uid: Option<i64>,
    type_name: Option<String>,
    time: Option<i64>,
    severity_id: Option<i32>,
    severity: Option<String>,
    status_id: Option<i32>,
    status: Option<String>,
    status_code: Option<String>,
    status_detail: Option<String>,
    message: Option<String>,
    metadata: Option<Metadata>,
    user: Option<User>,
    actor: Option<Value>,
    src_endpoint: Option<Endpoint>,
    dst_endpoint: Option<Endpoint>,
    service: Option<Service>,
    session: Option<Session>,
    auth_protocol_id: Option<i32>,
    auth_protocol: Option<String>,
    logon_type_id: Option<i32>,
    logon_type: Option<String>,
    is_mfa: Option<bool>,
    http_request: Option<HttpRequest>,
    other: BTreeMap<String, Value>,
    unmapped: BTreeMap<String, Value>,
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

impl<'de> Visitor<'de> for PartialVisitor {
    type Value = Partial;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an OCSF event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Partial, A::Error> {
        let mut p = Partial::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "class_uid" => read(&mut map, &mut p.class_uid, &key)?,
                "class_name" => read(&mut map, &mut p.class_name, &key)?,
                "category_uid" => read(&mut map, &mut p.category_uid, &key)?,
                "category_name" => read(&mut map, &mut p.category_name, &key)?,
                "activity_id" => read(&mut map, &mut p.activity_id, &key)?,
                "activity_name" => read(&mut map, &mut p.activity_name, &key)?,
                "type_uid" => read(&mut map, &mut p.type_uid, &key)?,
                "type_name" => read(&mut map, &mut p.type_name, &key)?,
                "time" => read_time(&mut map, &mut p.time)?,
                "severity_id" => read(&mut map, &mut p.severity_id, &key)?,
                "severity" => read(&mut map, &mut p.severity, &key)?,
                "status_id" => read(&mut map, &mut p.status_id, &key)?,
                "status" => read(&mut map, &mut p.status, &key)?,
                "status_code" => read(&mut map, &mut p.status_code, &key)?,
                "status_detail" => read(&mut map, &mut p.status_detail, &key)?,
                "message" => read(&mut map, &mut p.message, &key)?,
                "metadata" => read(&mut map, &mut p.metadata, &key)?,
                "user" => read(&mut map, &mut p.user, &key)?,
                "actor" => read(&mut map, &mut p.actor, &key)?,
                "src_endpoint" => read(&mut map, &mut p.src_endpoint, &key)?,
                "dst_endpoint" => read(&mut map, &mut p.dst_endpoint, &key)?,
                "service" => read(&mut map, &mut p.service, &key)?,
                "session" => read(&mut map, &mut p.session, &key)?,
                "auth_protocol_id" => read(&mut map, &mut p.auth_protocol_id, &key)?,
                "auth_protocol" => read(&mut map, &mut p.auth_protocol, &key)?,
                "logon_type_id" => read(&mut map, &mut p.logon_type_id, &key)?,
                "logon_type" => read(&mut map, &mut p.logon_type, &key)?,
                "is_mfa" => read(&mut map, &mut p.is_mfa, &key)?,
                "http_request" => read(&mut map, &mut p.http_request, &key)?,
                "unmapped" => {
                    let value: Value = map.next_value()?;
                    match value {
                        Value::Object(fields) => {
                            for (k, v) in fields {
                                if p.unmapped.insert(k.clone(), v).is_some() {
                                    return Err(de::Error::custom(format!(
                                        "duplicate field unmapped.{k}"
                                    )));
                                }
                            }
                        }
                        Value::Null => {}
                        _ => return Err(de::Error::custom("field unmapped: expected an object")),
                    }
                }
                _ => {
                    let value: Value = map.next_value()?;
                    let slot = if is_ocsf_attribute(&key) {
                        &mut p.other
                    } else {
                        &mut p.unmapped
                    };
                    if slot.insert(key.clone(), value).is_some() {
                        return Err(de::Error::custom(format!("duplicate field {key}")));
                    }
                }
            }
        }
        Ok(p)
    }
}
