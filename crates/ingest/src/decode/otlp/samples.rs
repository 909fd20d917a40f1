//! Requests the OTLP tests build with the protobuf message types.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;

use super::write;

/// When the sample records happened: 2025-11-27T08:00:00.123456789Z.
pub const TIME_NS: u64 = 1_764_230_400_123_456_789;
/// Their trace id.
pub const TRACE: [u8; 16] = [
    0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c,
];
/// Their span id.
pub const SPAN: [u8; 8] = [0xeb, 0xa2, 0x1c, 0x09, 0x3f, 0x6e, 0x4a, 0x01];

fn value(v: any_value::Value) -> AnyValue {
    AnyValue { value: Some(v) }
}

/// A string value.
pub fn s(v: &str) -> AnyValue {
    value(any_value::Value::StringValue(v.into()))
}

/// An integer value.
pub fn int(v: i64) -> AnyValue {
    value(any_value::Value::IntValue(v))
}

/// A boolean value.
pub fn boolean(v: bool) -> AnyValue {
    value(any_value::Value::BoolValue(v))
}

/// A double value.
pub fn double(v: f64) -> AnyValue {
    value(any_value::Value::DoubleValue(v))
}

/// A bytes value.
pub fn bytes(v: &[u8]) -> AnyValue {
    value(any_value::Value::BytesValue(v.to_vec()))
}

/// An array value.
pub fn array(values: Vec<AnyValue>) -> AnyValue {
    value(any_value::Value::ArrayValue(ArrayValue { values }))
}

/// A key-value list value.
pub fn kvlist(values: Vec<KeyValue>) -> AnyValue {
    value(any_value::Value::KvlistValue(KeyValueList { values }))
}

/// An attribute.
pub fn kv(key: &str, value: AnyValue) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(value),
        key_strindex: 0,
    }
}

/// A record of event `name` (in the `eventName` field) with `attributes`, a body, ids and times.
pub fn record(name: &str, attributes: Vec<KeyValue>) -> LogRecord {
    LogRecord {
        time_unix_nano: TIME_NS,
        observed_time_unix_nano: TIME_NS + 5_000_000,
        severity_number: 9,
        severity_text: "INFO".into(),
        body: Some(s("user signed in")),
        attributes,
        trace_id: TRACE.to_vec(),
        span_id: SPAN.to_vec(),
        event_name: name.into(),
        ..LogRecord::default()
    }
}

/// The login service's resource.
pub fn resource() -> Resource {
    Resource {
        attributes: vec![
            kv("service.name", s("login-api")),
            kv("service.namespace", s("acme")),
            kv("service.version", s("2.4.1")),
            kv("host.name", s("login-1.acme.internal")),
            kv("deployment.environment.name", s("prod")),
        ],
        ..Resource::default()
    }
}

/// The login service's instrumentation scope.
pub fn scope() -> InstrumentationScope {
    InstrumentationScope {
        name: "com.acme.auth".into(),
        version: "1.0.0".into(),
        attributes: vec![kv("acme.module", s("sessions"))],
        dropped_attributes_count: 0,
    }
}

/// A request of `records` under the sample resource and scope.
pub fn request_of(records: Vec<LogRecord>) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(resource()),
            scope_logs: vec![ScopeLogs {
                scope: Some(scope()),
                log_records: records,
                schema_url: "https://opentelemetry.io/schemas/1.37.0".into(),
            }],
            schema_url: "https://opentelemetry.io/schemas/1.37.0".into(),
        }],
    }
}

/// A request as OTLP/JSON text.
pub fn json_text(request: &ExportLogsServiceRequest) -> String {
    write::request(request).to_string()
}
