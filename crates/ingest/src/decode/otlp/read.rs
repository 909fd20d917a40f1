//! Our reader of OTLP/JSON: the proto3 JSON mapping with OTLP's deviations, over a
//! `serde_json::Value`, into the protobuf message types.
//!
//! What it accepts, as receivers must: 64-bit integers as JSON numbers or decimal strings;
//! doubles as numbers, decimal strings, `"NaN"`, `"Infinity"` or `"-Infinity"`; `traceId` and
//! `spanId` as case-insensitive hex (an empty string is no id); `bytesValue` as base64 in
//! either alphabet, padded or not; `null` for any field as its default; unknown fields ignored.
//! What it refuses, naming the JSON path: a value of the wrong JSON type, an enum given by name
//! (OTLP/JSON encodes enums as integers), an id of the wrong length, an `AnyValue` holding two
//! kinds, and the string-table indexes (`keyStrindex`, `stringValueStrindex`) that only
//! profiles use.

use std::fmt;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use serde_json::{Map, Value};

use authtrail_model::event::json_kind;

/// Why a request is not OTLP/JSON, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ReadError {
    /// The JSON path of the offending value (`resourceLogs[0].scopeLogs[1].logRecords[3].traceId`;
    /// `request` for the document itself).
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

/// Where a value sits in a request: built as the reader descends, rendered only on error.
#[derive(Clone, Copy, Debug)]
enum Path<'a> {
    /// The request document.
    Root,
    /// A field of an object.
    Key(&'a Path<'a>, &'a str),
    /// An element of an array.
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    fn index(&'a self, i: usize) -> Path<'a> {
        Path::Index(self, i)
    }

    fn error(&self, message: impl Into<String>) -> ReadError {
        let path = match self {
            Path::Root => "request".to_string(),
            _ => self.to_string(),
        };
        ReadError {
            path,
            message: message.into(),
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(parent, key) => {
                parent.fmt(f)?;
                if !matches!(parent, Path::Root) {
                    f.write_str(".")?;
                }
                f.write_str(key)
            }
            Path::Index(parent, i) => {
                parent.fmt(f)?;
                write!(f, "[{i}]")
            }
        }
    }
}

type Result<T> = std::result::Result<T, ReadError>;

/// Read an `ExportLogsServiceRequest` from its OTLP/JSON form.
pub fn request(value: &Value) -> Result<ExportLogsServiceRequest> {
    let root = Path::Root;
    let map = object(value, root)?;
    Ok(ExportLogsServiceRequest {
        resource_logs: array(map, "resourceLogs", root, resource_logs)?,
    })
}

fn resource_logs(value: &Value, path: Path<'_>) -> Result<ResourceLogs> {
    let map = object(value, path)?;
    Ok(ResourceLogs {
        resource: optional(map, "resource", path, resource)?,
        scope_logs: array(map, "scopeLogs", path, scope_logs)?,
        schema_url: string(map, "schemaUrl", path)?,
    })
}

/// Read a `Resource`.
fn resource(value: &Value, path: Path<'_>) -> Result<Resource> {
    let map = object(value, path)?;
    Ok(Resource {
        attributes: array(map, "attributes", path, key_value)?,
        dropped_attributes_count: uint32(map, "droppedAttributesCount", path)?,
        entity_refs: array(map, "entityRefs", path, entity_ref)?,
    })
}

fn entity_ref(value: &Value, path: Path<'_>) -> Result<EntityRef> {
    let map = object(value, path)?;
    let strings = |v: &Value, p: Path<'_>| -> Result<String> {
        match v {
            Value::String(s) => Ok(s.clone()),
            other => Err(p.error(expected("a string", other))),
        }
    };
    Ok(EntityRef {
        schema_url: string(map, "schemaUrl", path)?,
        r#type: string(map, "type", path)?,
        id_keys: array(map, "idKeys", path, strings)?,
        description_keys: array(map, "descriptionKeys", path, strings)?,
    })
}

fn scope_logs(value: &Value, path: Path<'_>) -> Result<ScopeLogs> {
    let map = object(value, path)?;
    Ok(ScopeLogs {
        scope: optional(map, "scope", path, scope)?,
        log_records: array(map, "logRecords", path, log_record)?,
        schema_url: string(map, "schemaUrl", path)?,
    })
}

fn scope(value: &Value, path: Path<'_>) -> Result<InstrumentationScope> {
    let map = object(value, path)?;
    Ok(InstrumentationScope {
        name: string(map, "name", path)?,
        version: string(map, "version", path)?,
        attributes: array(map, "attributes", path, key_value)?,
        dropped_attributes_count: uint32(map, "droppedAttributesCount", path)?,
    })
}

fn log_record(value: &Value, path: Path<'_>) -> Result<LogRecord> {
    let map = object(value, path)?;
    Ok(LogRecord {
        time_unix_nano: uint64(map, "timeUnixNano", path)?,
        observed_time_unix_nano: uint64(map, "observedTimeUnixNano", path)?,
        severity_number: enumeration(map, "severityNumber", path)?,
        severity_text: string(map, "severityText", path)?,
        body: optional(map, "body", path, any_value)?,
        attributes: array(map, "attributes", path, key_value)?,
        dropped_attributes_count: uint32(map, "droppedAttributesCount", path)?,
        flags: uint32(map, "flags", path)?,
        trace_id: hex_id(map, "traceId", 16, path)?,
        span_id: hex_id(map, "spanId", 8, path)?,
        event_name: string(map, "eventName", path)?,
    })
}

fn key_value(value: &Value, path: Path<'_>) -> Result<KeyValue> {
    let map = object(value, path)?;
    if let Some(v) = field(map, "keyStrindex") {
        let index = int64_of(v, path.key("keyStrindex"))?;
        if index != 0 {
            return Err(path
                .key("keyStrindex")
                .error("string-table indexes are for profiles; log attributes carry their key"));
        }
    }
    Ok(KeyValue {
        key: string(map, "key", path)?,
        value: optional(map, "value", path, any_value)?,
        key_strindex: 0,
    })
}

/// The `AnyValue` kinds, by their OTLP/JSON keys.
const KINDS: [&str; 8] = [
    "stringValue",
    "boolValue",
    "intValue",
    "doubleValue",
    "arrayValue",
    "kvlistValue",
    "bytesValue",
    "stringValueStrindex",
];

fn any_value(value: &Value, path: Path<'_>) -> Result<AnyValue> {
    let map = object(value, path)?;
    let mut present = KINDS.iter().filter(|k| field(map, k).is_some());
    let Some(&kind) = present.next() else {
        return Ok(AnyValue { value: None });
    };
    if let Some(other) = present.next() {
        return Err(path.error(format!(
            "holds both {kind} and {other}; an AnyValue has one"
        )));
    }
    let at = path.key(kind);
    let v = field(map, kind).unwrap_or(&Value::Null);
    let inner = match kind {
        "stringValue" => any_value::Value::StringValue(string_of(v, at)?),
        "boolValue" => match v {
            Value::Bool(b) => any_value::Value::BoolValue(*b),
            other => return Err(at.error(expected("a boolean", other))),
        },
        "intValue" => any_value::Value::IntValue(int64_of(v, at)?),
        "doubleValue" => any_value::Value::DoubleValue(double_of(v, at)?),
        "arrayValue" => {
            let inner = object(v, at)?;
            any_value::Value::ArrayValue(ArrayValue {
                values: array(inner, "values", at, any_value)?,
            })
        }
        "kvlistValue" => {
            let inner = object(v, at)?;
            any_value::Value::KvlistValue(KeyValueList {
                values: array(inner, "values", at, key_value)?,
            })
        }
        "bytesValue" => any_value::Value::BytesValue(bytes_of(v, at)?),
        _ => {
            return Err(
                at.error("string-table indexes are for profiles; log values carry their string")
            )
        }
    };
    Ok(AnyValue { value: Some(inner) })
}

/// A field's value; `null` counts as absent, as proto3 JSON has it.
fn field<'v>(map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    map.get(key).filter(|v| !v.is_null())
}

/// "expected X, found Y".
fn expected(what: &str, found: &Value) -> String {
    format!("expected {what}, found {}", json_kind(found))
}

fn object<'v>(value: &'v Value, path: Path<'_>) -> Result<&'v Map<String, Value>> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(path.error(expected("an object", other))),
    }
}

/// A repeated field: each element read by `each`.
fn array<T>(
    map: &Map<String, Value>,
    key: &str,
    path: Path<'_>,
    each: impl Fn(&Value, Path<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let at = path.key(key);
    match field(map, key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| each(item, at.index(i)))
            .collect(),
        Some(other) => Err(at.error(expected("an array", other))),
    }
}

/// A message field, `None` when absent.
fn optional<T>(
    map: &Map<String, Value>,
    key: &str,
    path: Path<'_>,
    read: impl Fn(&Value, Path<'_>) -> Result<T>,
) -> Result<Option<T>> {
    field(map, key).map(|v| read(v, path.key(key))).transpose()
}

fn string(map: &Map<String, Value>, key: &str, path: Path<'_>) -> Result<String> {
    field(map, key).map_or(Ok(String::new()), |v| string_of(v, path.key(key)))
}

fn string_of(value: &Value, path: Path<'_>) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        other => Err(path.error(expected("a string", other))),
    }
}

fn uint64(map: &Map<String, Value>, key: &str, path: Path<'_>) -> Result<u64> {
    let at = path.key(key);
    match field(map, key) {
        None => Ok(0),
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| at.error(format!("{n} is not an unsigned 64-bit integer"))),
        Some(Value::String(s)) => s
            .parse()
            .map_err(|_| at.error(format!("{s:?} is not an unsigned 64-bit integer"))),
        Some(other) => Err(at.error(expected("an integer (a number or a decimal string)", other))),
    }
}

fn uint32(map: &Map<String, Value>, key: &str, path: Path<'_>) -> Result<u32> {
    let at = path.key(key);
    let wide = uint64(map, key, path)?;
    u32::try_from(wide).map_err(|_| at.error(format!("{wide} is over the 32-bit range")))
}

fn int64_of(value: &Value, path: Path<'_>) -> Result<i64> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| path.error(format!("{n} is not a 64-bit integer"))),
        Value::String(s) => s
            .parse()
            .map_err(|_| path.error(format!("{s:?} is not a 64-bit integer"))),
        other => Err(path.error(expected("an integer (a number or a decimal string)", other))),
    }
}

/// An enum field: an integer, never a name.
fn enumeration(map: &Map<String, Value>, key: &str, path: Path<'_>) -> Result<i32> {
    let at = path.key(key);
    match field(map, key) {
        None => Ok(0),
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|v| i32::try_from(v).ok())
            .ok_or_else(|| at.error(format!("{n} is not a 32-bit integer"))),
        Some(other) => Err(at.error(expected(
            "an integer (OTLP/JSON encodes enums as integers, not names)",
            other,
        ))),
    }
}

fn double_of(value: &Value, path: Path<'_>) -> Result<f64> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| path.error(format!("{n} is not a double"))),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            // proto3 JSON takes doubles as strings too; `inf` and `nan` spellings are not its.
            text if text
                .bytes()
                .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) =>
            {
                text.parse()
                    .map_err(|_| path.error(format!("{s:?} is not a double")))
            }
            _ => Err(path.error(format!("{s:?} is not a double"))),
        },
        other => Err(path.error(expected("a number", other))),
    }
}

/// A trace or span id of `len` bytes as hex; an empty string (or none) is no id.
fn hex_id(map: &Map<String, Value>, key: &str, len: usize, path: Path<'_>) -> Result<Vec<u8>> {
    let at = path.key(key);
    match field(map, key) {
        None => Ok(Vec::new()),
        Some(Value::String(s)) if s.is_empty() => Ok(Vec::new()),
        Some(Value::String(s)) => {
            let digits = 2 * len;
            if s.len() != digits {
                return Err(at.error(format!(
                    "expected {digits} hex digits, found {} characters",
                    s.chars().count()
                )));
            }
            hex::decode(s).map_err(|_| at.error(format!("{s:?} is not hexadecimal")))
        }
        Some(other) => Err(at.error(expected("a hex string", other))),
    }
}

/// Base64 in the standard alphabet, padded or not.
const STANDARD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Base64 in the URL-safe alphabet, padded or not.
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn bytes_of(value: &Value, path: Path<'_>) -> Result<Vec<u8>> {
    match value {
        Value::String(s) => STANDARD
            .decode(s)
            .or_else(|_| URL_SAFE.decode(s))
            .map_err(|_| path.error(format!("{s:?} is not base64"))),
        other => Err(path.error(expected("a base64 string", other))),
    }
}
