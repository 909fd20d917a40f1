//! The OCSF event as authtrail stores it.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::error::ModelError;
use crate::objects::{Endpoint, HttpRequest, Metadata, Product, Service, Session, User};

/// OCSF Authentication.
pub const AUTHENTICATION_CLASS_UID: u32 = 3002;
/// authtrail's class for input no parser understood (OCSF's Base Event class).
pub const UNPARSED_CLASS_UID: u32 = 0;

/// One OCSF event. Field order here is the order of the canonical encoding.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Event {
    /// OCSF class (3002 Authentication; 0 for unparsed input).
    pub class_uid: u32,
    /// Caption of the class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    /// OCSF category (3 for Identity & Access Management).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_uid: Option<u32>,
    /// Caption of the category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_name: Option<String>,
    /// Activity within the class (1 Logon, 2 Logoff, ...).
    pub activity_id: i32,
    /// Caption of the activity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_name: Option<String>,
    /// class_uid × 100 + activity_id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_uid: Option<i64>,
    /// Caption of the type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    /// When the event happened, milliseconds since the Unix epoch.
    pub time: i64,
    /// Severity (0 Unknown .. 6 Fatal, 99 Other).
    pub severity_id: i32,
    /// Caption of the severity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// Outcome (0 Unknown, 1 Success, 2 Failure, 99 Other).
    pub status_id: i32,
    /// Caption of the outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The source's own status or error code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
    /// Why the outcome was what it was (e.g. the failure reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_detail: Option<String>,
    /// Human-readable description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Event metadata (product, version, uid).
    pub metadata: Metadata,
    /// The user who authenticated (or tried to).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// Who performed the action, when not the user (OCSF `actor`, kept untyped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<Value>,
    /// Where the attempt came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_endpoint: Option<Endpoint>,
    /// What was authenticated to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst_endpoint: Option<Endpoint>,
    /// The service authenticated to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<Service>,
    /// The session created or ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<Session>,
    /// Authentication protocol (OCSF enum).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_protocol_id: Option<i32>,
    /// Caption of the protocol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_protocol: Option<String>,
    /// Logon type (OCSF enum).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logon_type_id: Option<i32>,
    /// Caption of the logon type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logon_type: Option<String>,
    /// Whether MFA was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_mfa: Option<bool>,
    /// HTTP request details (user agent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_request: Option<HttpRequest>,
    /// Other OCSF attributes of the class, untyped, at their own names.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
    /// Source fields that OCSF has no slot for.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unmapped: BTreeMap<String, Value>,
}

impl Event {
    /// Parse one JSON object, fill derived fields and validate it.
    pub fn from_json(bytes: &[u8]) -> Result<Event, ModelError> {
        // Checking the UTF-8 of the whole record at once is cheaper than string by string, as
        // `from_slice` does; invalid UTF-8 goes through `from_slice` for its error and position.
        let partial: crate::deserialize::Partial = match std::str::from_utf8(bytes) {
            Ok(text) => serde_json::from_str(text)?,
            Err(_) => serde_json::from_slice(bytes)?,
        };
        let mut event = partial.into_event()?;
        event.normalize()?;
        Ok(event)
    }

    /// Parse an already-decoded JSON value, fill derived fields and validate it.
    pub fn from_value(value: Value) -> Result<Event, ModelError> {
        if !value.is_object() {
            return Err(ModelError::NotAnObject(json_kind(&value)));
        }
        let partial: crate::deserialize::Partial = serde_json::from_value(value)?;
        let mut event = partial.into_event()?;
        event.normalize()?;
        Ok(event)
    }

    /// The bytes the log stores and hashes: compact JSON, fields in declaration order, maps sorted.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        // Most events take 1-2 KB: starting there spares the reallocations of growing from
        // serde_json's 128 bytes, which cost more than the encoding's own string handling.
        let mut out = Vec::with_capacity(2048);
        match serde_json::to_writer(&mut out, self) {
            Ok(()) => out,
            // Serializing plain data cannot fail; fall back to an empty object if it ever did.
            Err(_) => b"{}".to_vec(),
        }
    }

    /// An event recording input that no parser understood, and why.
    pub fn unparsed(reason: &str, format: &str, time_ms: i64) -> Event {
        let mut unmapped = BTreeMap::new();
        unmapped.insert("format".to_string(), Value::String(format.to_string()));
        Event {
            class_uid: UNPARSED_CLASS_UID,
            class_name: Some("Unparsed".into()),
            category_uid: Some(0),
            category_name: Some("Uncategorized".into()),
            activity_id: 0,
            activity_name: Some("Unknown".into()),
            type_uid: Some(0),
            type_name: Some("Unparsed: Unknown".into()),
            time: time_ms,
            severity_id: 0,
            severity: Some("Unknown".into()),
            status_id: 0,
            status: Some("Unknown".into()),
            status_detail: Some(reason.to_string()),
            message: Some(format!("unparsed input: {reason}")),
            metadata: Metadata {
                product: Some(Product {
                    name: Some("authtrail".into()),
                    vendor_name: Some("authtrail".into()),
                    version: Some(env!("CARGO_PKG_VERSION").into()),
                    ..Product::default()
                }),
                version: Some(crate::captions::OCSF_VERSION.into()),
                ..Metadata::default()
            },
            unmapped,
            ..Event::default()
        }
    }

    /// Whether this event records unparsed input.
    pub fn is_unparsed(&self) -> bool {
        self.class_uid == UNPARSED_CLASS_UID
    }
}

/// Name of a JSON value's kind (`a string`, `null`), for error messages.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
