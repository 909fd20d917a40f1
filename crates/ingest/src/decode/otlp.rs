//! OpenTelemetry logs (OTLP): split `ExportLogsServiceRequest`s into one-record requests.
//!
//! A request carries many log records, grouped by resource and instrumentation scope. authtrail
//! stores each record as an entry of its own, so [`split`] makes each record a complete
//! request again: one `resourceLogs` holding its resource (attributes, `schemaUrl`), one
//! `scopeLogs` holding its scope, and the one `logRecord`. Those one-record requests, in
//! OTLP/JSON, one per line, are what the pipeline parses and stores as each event's raw input.
//!
//! Input is OTLP/JSON (one request, NDJSON of requests as the Collector's file exporter writes,
//! or an array of them) or a protobuf-encoded request. A JSON request is re-serialized record by
//! record, keeping every field it had (fields authtrail does not know included); a protobuf
//! request is first transcoded to OTLP/JSON by [`write`]. Every request is checked by our
//! reader ([`read`]) before anything is split: a request of the wrong shape rejects the batch,
//! naming the JSON path of what is wrong.

pub mod read;
#[cfg(test)]
pub(crate) mod samples;
pub mod write;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use prost::Message;
use serde_json::{Map, Value};

use crate::decode::json;
use crate::error::IngestError;
use crate::limits::Limits;

/// How an OTLP request body is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// OTLP/JSON (`application/json`).
    Json,
    /// Binary protobuf (`application/x-protobuf`).
    Protobuf,
}

/// How many times the body limit a request's one-record requests may take together: each
/// carries its resource and scope again, and a large resource over many small records must not
/// grow without bound.
pub const MAX_EXPANSION: usize = 8;

/// Split `body` into NDJSON of one-record OTLP/JSON requests, in input order.
///
/// `encoding` is the body's declared encoding; `None` tells it from the body: a body whose
/// first non-whitespace byte is `{` or `[` is OTLP/JSON (and if it is not valid JSON but is a
/// valid protobuf request, protobuf), anything else protobuf. A request holding no log record
/// is [`IngestError::Empty`]; more records than `limits.max_events_per_batch`, or one-record
/// requests over [`MAX_EXPANSION`] times `limits.max_body_bytes` together, reject the batch.
pub fn split(
    body: &[u8],
    encoding: Option<Encoding>,
    limits: &Limits,
) -> Result<Vec<u8>, IngestError> {
    let mut out = Splitter::new(limits);
    match encoding {
        Some(Encoding::Json) => split_json(body, &mut out)?,
        Some(Encoding::Protobuf) => split_protobuf(body, &mut out)?,
        None if looks_like_json(body) => match split_json(body, &mut out) {
            Err(json_error @ IngestError::InvalidJson { .. }) => {
                // A protobuf request can start with bytes that look like JSON's.
                out = Splitter::new(limits);
                if split_protobuf(body, &mut out).is_err() {
                    return Err(json_error);
                }
            }
            other => other?,
        },
        None => split_protobuf(body, &mut out).map_err(|e| match e {
            IngestError::InvalidProtobuf(why) => IngestError::InvalidProtobuf(format!(
                "the body is neither OTLP/JSON (it does not start with '{{' or '[') nor a \
                 protobuf ExportLogsServiceRequest: {why}"
            )),
            other => other,
        })?,
    }
    if out.count == 0 {
        return Err(IngestError::Empty);
    }
    Ok(out.ndjson)
}

/// Whether a body opens as JSON: `{` or `[` after any whitespace.
pub fn looks_like_json(body: &[u8]) -> bool {
    matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

/// Every OTLP/JSON request in `body` (one, NDJSON, or an array), checked and split.
fn split_json(body: &[u8], out: &mut Splitter) -> Result<(), IngestError> {
    let documents = match json::decode(body) {
        Err(IngestError::Empty) => return Ok(()),
        other => other?,
    };
    for document in documents {
        let value: Value =
            serde_json::from_slice(document.raw).map_err(|e| IngestError::InvalidJson {
                line: document.line,
                column: 1,
                message: e.to_string(),
            })?;
        read::request(&value).map_err(|e| IngestError::InvalidOtlp {
            line: document.line,
            path: e.path,
            message: e.message,
        })?;
        split_request(&value, out)?;
    }
    Ok(())
}

/// A protobuf request, transcoded to OTLP/JSON, checked and split.
fn split_protobuf(body: &[u8], out: &mut Splitter) -> Result<(), IngestError> {
    let request = ExportLogsServiceRequest::decode(body)
        .map_err(|e| IngestError::InvalidProtobuf(e.to_string()))?;
    if request.resource_logs.is_empty() && !body.is_empty() {
        return Err(IngestError::InvalidProtobuf(format!(
            "{} bytes that hold no field of an ExportLogsServiceRequest",
            body.len()
        )));
    }
    let value = write::request(&request);
    read::request(&value).map_err(|e| IngestError::InvalidProtobuf(e.to_string()))?;
    split_request(&value, out)
}

/// One request (already checked) as one-record requests: each keeps the fields of its request,
/// its `resourceLogs` and its `scopeLogs`, with the one record in place of their lists.
fn split_request(request: &Value, out: &mut Splitter) -> Result<(), IngestError> {
    let Some(top) = request.as_object() else {
        return Ok(());
    };
    let top_rest = without(top, "resourceLogs");
    for resource_logs in elements(top, "resourceLogs") {
        let Some(resource_logs) = resource_logs.as_object() else {
            continue;
        };
        let resource_rest = without(resource_logs, "scopeLogs");
        for scope_logs in elements(resource_logs, "scopeLogs") {
            let Some(scope_logs) = scope_logs.as_object() else {
                continue;
            };
            let scope_rest = without(scope_logs, "logRecords");
            for record in elements(scope_logs, "logRecords") {
                let scope_one = with(&scope_rest, "logRecords", record.clone());
                let resource_one = with(&resource_rest, "scopeLogs", scope_one);
                out.push(&with(&top_rest, "resourceLogs", resource_one))?;
            }
        }
    }
    Ok(())
}

/// The elements of an array field (none when it is absent or not an array).
fn elements<'v>(map: &'v Map<String, Value>, key: &str) -> &'v [Value] {
    map.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// An object's fields but one.
fn without(map: &Map<String, Value>, key: &str) -> Map<String, Value> {
    map.iter()
        .filter(|(k, _)| k.as_str() != key)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `rest` with `key` set to an array of the one `item`.
fn with(rest: &Map<String, Value>, key: &str, item: Value) -> Value {
    let mut map = rest.clone();
    map.insert(key.to_string(), Value::Array(vec![item]));
    Value::Object(map)
}

/// Collects one-record requests as NDJSON, within the batch's limits.
struct Splitter {
    ndjson: Vec<u8>,
    count: usize,
    max_events: usize,
    max_bytes: usize,
}

impl Splitter {
    fn new(limits: &Limits) -> Self {
        Splitter {
            ndjson: Vec::new(),
            count: 0,
            max_events: limits.max_events_per_batch,
            max_bytes: limits.max_body_bytes.saturating_mul(MAX_EXPANSION),
        }
    }

    fn push(&mut self, request: &Value) -> Result<(), IngestError> {
        self.count += 1;
        if self.count > self.max_events {
            return Err(IngestError::TooManyEvents {
                limit: self.max_events,
            });
        }
        serde_json::to_writer(&mut self.ndjson, request)
            .map_err(|e| IngestError::InvalidRequest(format!("encoding a record: {e}")))?;
        self.ndjson.push(b'\n');
        if self.ndjson.len() > self.max_bytes {
            return Err(IngestError::ExpandedTooLarge {
                limit: self.max_bytes,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
