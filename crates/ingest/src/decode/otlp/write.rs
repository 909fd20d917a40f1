//! Our writer of OTLP/JSON: the protobuf message types as the OTLP/JSON encoding has them.
//!
//! Keys are the fields' lowerCamelCase names; fields at their default (zero, empty) are left
//! out, as proto3 JSON does, except the one value an `AnyValue` holds; `traceId` and `spanId`
//! are lowercase hex; enums are integers; 64-bit integers (`timeUnixNano`,
//! `observedTimeUnixNano`, `intValue`) are decimal strings; doubles are JSON numbers, and the
//! strings `"NaN"`, `"Infinity"`, `"-Infinity"` when not finite; bytes are padded standard
//! base64. [`read`](super::read) reads all of it back to the same messages.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, EntityRef, InstrumentationScope, KeyValue,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use serde_json::{Map, Number, Value};

/// An `ExportLogsServiceRequest` as OTLP/JSON.
pub fn request(r: &ExportLogsServiceRequest) -> Value {
    let mut o = Object::default();
    o.array("resourceLogs", r.resource_logs.iter().map(resource_logs));
    o.into()
}

fn resource_logs(r: &ResourceLogs) -> Value {
    let mut o = Object::default();
    o.message("resource", r.resource.as_ref().map(resource));
    o.array("scopeLogs", r.scope_logs.iter().map(scope_logs));
    o.string("schemaUrl", &r.schema_url);
    o.into()
}

/// A `Resource` as OTLP/JSON.
pub fn resource(r: &Resource) -> Value {
    let mut o = Object::default();
    o.array("attributes", r.attributes.iter().map(key_value));
    o.uint32("droppedAttributesCount", r.dropped_attributes_count);
    o.array("entityRefs", r.entity_refs.iter().map(entity_ref));
    o.into()
}

/// An `EntityRef` as OTLP/JSON.
pub fn entity_ref(r: &EntityRef) -> Value {
    let mut o = Object::default();
    o.string("schemaUrl", &r.schema_url);
    o.string("type", &r.r#type);
    o.array("idKeys", r.id_keys.iter().map(|k| Value::from(k.as_str())));
    o.array(
        "descriptionKeys",
        r.description_keys.iter().map(|k| Value::from(k.as_str())),
    );
    o.into()
}

fn scope_logs(s: &ScopeLogs) -> Value {
    let mut o = Object::default();
    o.message("scope", s.scope.as_ref().map(scope));
    o.array("logRecords", s.log_records.iter().map(log_record));
    o.string("schemaUrl", &s.schema_url);
    o.into()
}

fn scope(s: &InstrumentationScope) -> Value {
    let mut o = Object::default();
    o.string("name", &s.name);
    o.string("version", &s.version);
    o.array("attributes", s.attributes.iter().map(key_value));
    o.uint32("droppedAttributesCount", s.dropped_attributes_count);
    o.into()
}

fn log_record(r: &LogRecord) -> Value {
    let mut o = Object::default();
    o.uint64("timeUnixNano", r.time_unix_nano);
    o.uint64("observedTimeUnixNano", r.observed_time_unix_nano);
    if r.severity_number != 0 {
        o.0.insert("severityNumber".into(), Value::from(r.severity_number));
    }
    o.string("severityText", &r.severity_text);
    o.message("body", r.body.as_ref().map(any_value));
    o.array("attributes", r.attributes.iter().map(key_value));
    o.uint32("droppedAttributesCount", r.dropped_attributes_count);
    o.uint32("flags", r.flags);
    o.hex("traceId", &r.trace_id);
    o.hex("spanId", &r.span_id);
    o.string("eventName", &r.event_name);
    o.into()
}

fn key_value(kv: &KeyValue) -> Value {
    let mut o = Object::default();
    o.string("key", &kv.key);
    o.message("value", kv.value.as_ref().map(any_value));
    if kv.key_strindex != 0 {
        o.0.insert("keyStrindex".into(), Value::from(kv.key_strindex));
    }
    o.into()
}

/// An `AnyValue` as OTLP/JSON: `{}` when it holds nothing.
pub fn any_value(v: &AnyValue) -> Value {
    use any_value::Value as V;
    let (key, value) = match &v.value {
        None => return Value::Object(Map::new()),
        Some(V::StringValue(s)) => ("stringValue", Value::from(s.as_str())),
        Some(V::BoolValue(b)) => ("boolValue", Value::Bool(*b)),
        Some(V::IntValue(i)) => ("intValue", Value::String(i.to_string())),
        Some(V::DoubleValue(d)) => ("doubleValue", double(*d)),
        Some(V::ArrayValue(a)) => {
            let mut o = Object::default();
            o.array("values", a.values.iter().map(any_value));
            ("arrayValue", o.into())
        }
        Some(V::KvlistValue(l)) => {
            let mut o = Object::default();
            o.array("values", l.values.iter().map(key_value));
            ("kvlistValue", o.into())
        }
        Some(V::BytesValue(b)) => ("bytesValue", Value::String(STANDARD.encode(b))),
        Some(V::StringValueStrindex(i)) => ("stringValueStrindex", Value::from(*i)),
    };
    let mut map = Map::new();
    map.insert(key.into(), value);
    Value::Object(map)
}

/// A double as a JSON number, or the proto3 JSON string of a value that is not finite.
pub fn double(d: f64) -> Value {
    match Number::from_f64(d) {
        Some(n) => Value::Number(n),
        None if d.is_nan() => Value::from("NaN"),
        None if d > 0.0 => Value::from("Infinity"),
        None => Value::from("-Infinity"),
    }
}

/// An object under construction that leaves out fields at their default.
#[derive(Default)]
struct Object(Map<String, Value>);

impl Object {
    fn string(&mut self, key: &str, s: &str) {
        if !s.is_empty() {
            self.0.insert(key.into(), Value::from(s));
        }
    }

    fn uint32(&mut self, key: &str, n: u32) {
        if n != 0 {
            self.0.insert(key.into(), Value::from(n));
        }
    }

    fn uint64(&mut self, key: &str, n: u64) {
        if n != 0 {
            self.0.insert(key.into(), Value::String(n.to_string()));
        }
    }

    fn hex(&mut self, key: &str, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.0.insert(key.into(), Value::String(hex::encode(bytes)));
        }
    }

    fn message(&mut self, key: &str, value: Option<Value>) {
        if let Some(v) = value {
            self.0.insert(key.into(), v);
        }
    }

    fn array(&mut self, key: &str, items: impl Iterator<Item = Value>) {
        let items: Vec<Value> = items.collect();
        if !items.is_empty() {
            self.0.insert(key.into(), Value::Array(items));
        }
    }
}

impl From<Object> for Value {
    fn from(o: Object) -> Value {
        Value::Object(o.0)
    }
}
