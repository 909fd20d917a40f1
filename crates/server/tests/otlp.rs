//! `POST /v1/logs` in-process: OTLP/HTTP with protobuf and JSON bodies, gzip, and the failures
//! OTLP clients must be able to read (a `google.rpc.Status` in the request's encoding).

use std::io::Write;

use authtrail_ingest::decode::otlp::{read, write};
use authtrail_ingest::Limits;
use authtrail_server::routes::otlp::Status;
use flate2::write::GzEncoder;
use flate2::Compression;
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};

mod common;
use common::TestServer;

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

async fn start(limits: Limits) -> TestServer {
    common::start(limits, "example.com/otlp-test").await
}

/// An answer: status, headers, body.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn seqs(&self) -> (Option<u64>, Option<u64>, Option<u64>) {
        let n = |name| self.header(name).and_then(|v| v.parse().ok());
        (
            n("x-authtrail-first-seq"),
            n("x-authtrail-last-seq"),
            n("x-authtrail-unparsed"),
        )
    }

    /// The `Status` of a failure, decoded from the answer's own content type.
    fn status_message(&self) -> Status {
        match self.header("content-type") {
            Some(PROTOBUF) => Status::decode(self.body.as_slice()).expect("protobuf Status"),
            Some(JSON) => {
                let v: Value = serde_json::from_slice(&self.body).expect("JSON Status");
                Status {
                    code: v["code"].as_i64().expect("code") as i32,
                    message: v["message"].as_str().expect("message").to_string(),
                    details: Vec::new(),
                }
            }
            other => panic!("content type {other:?}: {:?}", self.body),
        }
    }
}

impl TestServer {
    async fn post(&self, query: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
        let mut request = self
            .http
            .post(format!("{}/v1/logs{query}", self.base))
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let resp = request.send().await.expect("POST /v1/logs");
        Answer {
            status: resp.status(),
            headers: resp.headers().clone(),
            body: resp.bytes().await.expect("body").to_vec(),
        }
    }

    async fn entry(&self, seq: u64) -> Value {
        let resp = self
            .http
            .get(format!("{}/v1/entries/{seq}", self.base))
            .send()
            .await
            .expect("GET entry");
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.expect("JSON entry")
    }
}

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        key_strindex: 0,
    }
}

/// A request from `login-api`: a login, and an ordinary application log.
fn request() -> ExportLogsServiceRequest {
    let record = |name: &str, attributes| LogRecord {
        time_unix_nano: 1_764_230_400_000_000_000,
        event_name: name.into(),
        attributes,
        trace_id: vec![0x4b; 16],
        span_id: vec![0x0f; 8],
        ..LogRecord::default()
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![kv("service.name", "login-api")],
                ..Resource::default()
            }),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: "auth".into(),
                    ..InstrumentationScope::default()
                }),
                log_records: vec![
                    record(
                        "authtrail.login",
                        vec![
                            kv("user.name", "alice"),
                            kv("client.address", "203.0.113.5"),
                            kv("authtrail.outcome", "success"),
                        ],
                    ),
                    record("", vec![kv("http.route", "/healthz")]),
                ],
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_and_json_requests_are_stored_record_by_record() {
    let s = start(Limits::default()).await;
    let a = s
        .post("", &[("content-type", PROTOBUF)], request().encode_to_vec())
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.header("content-type"), Some(PROTOBUF));
    assert_eq!(
        ExportLogsServiceResponse::decode(a.body.as_slice()).expect("response"),
        ExportLogsServiceResponse::default()
    );
    assert_eq!(a.seqs(), (Some(0), Some(1), Some(1)));
    assert_eq!(s.log.size(), 2, "answered after the append");

    let login = s.entry(0).await;
    assert_eq!(login["header"]["source"], "otlp");
    assert_eq!(login["event"]["class_uid"], 3002);
    assert_eq!(login["event"]["user"]["name"], "alice");
    assert_eq!(
        login["event"]["metadata"]["correlation_uid"],
        "4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b"
    );
    // The raw input is the record's own one-record request, in OTLP/JSON.
    let raw: Value = serde_json::from_str(login["raw"].as_str().expect("raw")).expect("JSON raw");
    let one = read::request(&raw).expect("an OTLP request");
    let mut want = request();
    want.resource_logs[0].scope_logs[0].log_records.truncate(1);
    assert_eq!(one, want);
    let other = s.entry(1).await;
    assert_eq!(other["event"]["class_uid"], 0, "kept unparsed");

    // The same request as OTLP/JSON, with a charset parameter and a source.
    let json_body = write::request(&request()).to_string();
    let a = s
        .post(
            "?source=login-api",
            &[("content-type", "application/json; charset=utf-8")],
            json_body.into_bytes(),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.header("content-type"), Some(JSON));
    assert_eq!(serde_json::from_slice::<Value>(&a.body).unwrap(), json!({}));
    assert_eq!(a.seqs(), (Some(2), Some(3), Some(1)));
    let again = s.entry(2).await;
    assert_eq!(again["header"]["source"], "login-api");
    assert_eq!(
        again["raw"], login["raw"],
        "the same record, the same raw input"
    );
    assert_eq!(again["event"], login["event"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_bodies_are_decompressed_within_the_limit() {
    let limits = Limits {
        max_body_bytes: 4096,
        ..Limits::default()
    };
    let s = start(limits).await;
    let a = s
        .post(
            "",
            &[("content-type", PROTOBUF), ("content-encoding", "gzip")],
            gzip(&request().encode_to_vec()),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.seqs(), (Some(0), Some(1), Some(1)));

    // A small body that decompresses past the limit.
    let bomb = gzip(&vec![b' '; 1024 * 1024]);
    assert!(bomb.len() < 4096);
    for content_type in [PROTOBUF, JSON] {
        let a = s
            .post(
                "",
                &[("content-type", content_type), ("content-encoding", "gzip")],
                bomb.clone(),
            )
            .await;
        assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(a.header("content-type"), Some(content_type));
        let status = a.status_message();
        assert_eq!(status.code, 8);
        assert!(status.message.contains("4096"), "{}", status.message);
    }
    // A body over the limit before decompression.
    let a = s
        .post("", &[("content-type", PROTOBUF)], vec![0x0a; 5000])
        .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Corrupt gzip.
    let a = s
        .post(
            "",
            &[("content-type", PROTOBUF), ("content-encoding", "gzip")],
            b"\x1f\x8b\x08\x00garbage".to_vec(),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.status_message().message.contains("gzip"));
    assert_eq!(s.log.size(), 2, "nothing of the failures written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_content_types_and_codings_are_415() {
    let s = start(Limits::default()).await;
    let body = write::request(&request()).to_string().into_bytes();
    for headers in [
        vec![("content-type", "text/plain")],
        vec![("content-type", "application/x-ndjson")],
        vec![],
        vec![("content-type", JSON), ("content-encoding", "br")],
    ] {
        let a = s.post("", &headers, body.clone()).await;
        assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{headers:?}");
        let status = a.status_message();
        assert_eq!(status.code, 3);
        assert!(!status.message.is_empty());
    }
    assert_eq!(s.log.size(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_are_400_with_a_status_and_write_nothing() {
    let s = start(Limits::default()).await;
    let a = s
        .post("", &[("content-type", PROTOBUF)], request().encode_to_vec())
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let size = s.log.size();

    let a = s
        .post("", &[("content-type", PROTOBUF)], b"\x0a\xff\xff".to_vec())
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.header("content-type"), Some(PROTOBUF));
    let status = a.status_message();
    assert_eq!(status.code, 3);
    assert!(status.message.contains("protobuf"), "{}", status.message);

    // A JSON request of the wrong shape names the path.
    let mut bad = write::request(&request());
    bad["resourceLogs"][0]["scopeLogs"][0]["logRecords"][1]["traceId"] = json!("abc");
    let a = s
        .post("", &[("content-type", JSON)], bad.to_string().into_bytes())
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.header("content-type"), Some(JSON));
    let message = a.status_message().message;
    assert!(
        message.contains("resourceLogs[0].scopeLogs[0].logRecords[1].traceId"),
        "{message}"
    );
    // Bad JSON, a bad source.
    let a = s
        .post(
            "",
            &[("content-type", JSON)],
            b"{\"resourceLogs\":".to_vec(),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = s
        .post(
            "?source=bad%20source",
            &[("content-type", PROTOBUF)],
            request().encode_to_vec(),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(s.log.size(), size, "the tree size is unchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_requests_succeed_and_write_nothing() {
    let s = start(Limits::default()).await;
    let empty = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs::default()],
    };
    for (content_type, body) in [
        (PROTOBUF, Vec::new()),
        (PROTOBUF, empty.encode_to_vec()),
        (JSON, b"{}".to_vec()),
        (JSON, b"{\"resourceLogs\":[{\"scopeLogs\":[]}]}".to_vec()),
    ] {
        let a = s.post("", &[("content-type", content_type)], body).await;
        assert_eq!(a.status, StatusCode::OK, "{content_type}");
        assert_eq!(a.header("content-type"), Some(content_type));
        assert_eq!(a.seqs(), (None, None, Some(0)));
    }
    assert_eq!(s.log.size(), 0);
}
