//! `POST /v1/logs?source=S`: OpenTelemetry logs over OTLP/HTTP, each log record an entry.
//!
//! As the OTLP/HTTP specification has it: the body is an `ExportLogsServiceRequest`, binary
//! protobuf (`Content-Type: application/x-protobuf`) or OTLP/JSON (`application/json`);
//! parameters such as `; charset=utf-8` are allowed, any other type is 415. `Content-Encoding:
//! gzip` is decompressed up to the body limit (more is 413, a corrupt stream 400); any other
//! coding but `identity` is 415. Success is 200 with an `ExportLogsServiceResponse` (no
//! `partialSuccess`: every record is stored, those that are not authtrail events as unparsed)
//! in the request's encoding, sent once the batch is fsynced, with the entries' seqs and the
//! unparsed count in `x-authtrail-first-seq`, `x-authtrail-last-seq` and
//! `x-authtrail-unparsed`. An empty request (exporters send them) is 200 and writes nothing.
//! Every failure is a `google.rpc.Status` in the request's encoding (JSON when the encoding is
//! what is wrong) rather than the API's `{"error": …}`, as OTLP clients expect; a rejected batch
//! writes nothing.

use std::io::Read;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use flate2::read::MultiGzDecoder;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use prost::Message;
use serde::Deserialize;
use serde_json::json;

use authtrail_ingest::decode::otlp::Encoding;
use authtrail_ingest::received::now_ns;
use authtrail_ingest::{IngestError, InputFormat, Normalizer, PreparedBatch};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::ingest::read_body;
use crate::tls::{ensure_client_may_write, ClientIdentity};
use crate::AppState;

/// Header naming the first entry's seq.
pub const FIRST_SEQ: &str = "x-authtrail-first-seq";
/// Header naming the last entry's seq.
pub const LAST_SEQ: &str = "x-authtrail-last-seq";
/// Header counting the records stored unparsed.
pub const UNPARSED: &str = "x-authtrail-unparsed";

/// Source name of entries when the request names none.
const DEFAULT_SOURCE: &str = "otlp";

/// Query parameters of `POST /v1/logs`.
#[derive(Debug, Deserialize)]
pub struct OtlpParams {
    /// Source name recorded in each entry header (default `otlp`).
    pub source: Option<String>,
}

/// `google.rpc.Status`: what OTLP/HTTP failures carry.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Status {
    /// A `google.rpc.Code`.
    #[prost(int32, tag = "1")]
    pub code: i32,
    /// What went wrong, for a developer.
    #[prost(string, tag = "2")]
    pub message: String,
    /// Details (authtrail sends none).
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<Any>,
}

/// `google.protobuf.Any`, as `Status.details` holds it.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Any {
    /// The type of the message in `value`.
    #[prost(string, tag = "1")]
    pub type_url: String,
    /// The message.
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

/// `google.rpc.Code` INVALID_ARGUMENT.
const INVALID_ARGUMENT: i32 = 3;
/// `google.rpc.Code` PERMISSION_DENIED.
const PERMISSION_DENIED: i32 = 7;
/// `google.rpc.Code` RESOURCE_EXHAUSTED.
const RESOURCE_EXHAUSTED: i32 = 8;
/// `google.rpc.Code` INTERNAL.
const INTERNAL: i32 = 13;
/// `google.rpc.Code` UNAVAILABLE.
const UNAVAILABLE: i32 = 14;

/// A failed OTLP request: its HTTP status and a `Status` in the request's encoding.
#[derive(Debug)]
pub struct OtlpError {
    status: StatusCode,
    message: String,
    encoding: Encoding,
    /// Headers sent with it (`Retry-After`).
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl OtlpError {
    fn new(status: StatusCode, message: impl Into<String>, encoding: Encoding) -> Self {
        OtlpError {
            status,
            message: message.into(),
            encoding,
            headers: Vec::new(),
        }
    }

    /// The API's error for the same failure, in OTLP's shape (a refusal counted as the API's
    /// are, docs/METRICS.md).
    fn from_api(e: ApiError, encoding: Encoding) -> Self {
        crate::telemetry::count_refusal(e.status, e.code);
        OtlpError {
            headers: e.headers,
            ..OtlpError::new(e.status, e.message, encoding)
        }
    }

    fn too_large(limit: usize, encoding: Encoding) -> Self {
        OtlpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body over the {limit}-byte limit; send smaller batches"),
            encoding,
        )
    }

    fn code(&self) -> i32 {
        match self.status {
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::TOO_MANY_REQUESTS => RESOURCE_EXHAUSTED,
            StatusCode::FORBIDDEN => PERMISSION_DENIED,
            StatusCode::SERVICE_UNAVAILABLE => UNAVAILABLE,
            s if s.is_server_error() => INTERNAL,
            _ => INVALID_ARGUMENT,
        }
    }
}

impl IntoResponse for OtlpError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(message = %self.message, "OTLP request failed");
        }
        let code = self.code();
        let mut response = match self.encoding {
            Encoding::Protobuf => {
                let status = Status {
                    code,
                    message: self.message,
                    details: Vec::new(),
                };
                (self.status, protobuf_body(status.encode_to_vec())).into_response()
            }
            Encoding::Json => (
                self.status,
                Json(json!({"code": code, "message": self.message})),
            )
                .into_response(),
        };
        response.headers_mut().extend(self.headers);
        response
    }
}

/// A protobuf body with its content type.
fn protobuf_body(bytes: Vec<u8>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-protobuf"),
        )],
        bytes,
    )
}

/// `POST /v1/logs?source=S`.
pub async fn post_logs(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<OtlpParams>, QueryRejection>,
    identity: Option<Extension<ClientIdentity>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, OtlpError> {
    let encoding = content_type(&headers)?;
    let gzipped = content_encoding(&headers, encoding)?;
    let Query(params) =
        query.map_err(|e| OtlpError::new(StatusCode::BAD_REQUEST, e.body_text(), encoding))?;
    let source = params.source.unwrap_or_else(|| DEFAULT_SOURCE.to_string());
    ensure_client_may_write(identity.as_deref(), &source)
        .and_then(|()| caller.may_ingest_as(&source))
        .map_err(|e| OtlpError::from_api(e, encoding))?;
    let limit = state.limits.max_body_bytes;
    let bytes = read_body(&headers, body, limit)
        .await
        .ok_or_else(|| OtlpError::too_large(limit, encoding))?;
    let limits = state.limits;
    let source_label = source.clone();
    let batch = {
        let _permit = state.parsing.acquire().await.map_err(|_| {
            OtlpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "server is shutting down",
                encoding,
            )
        })?;
        let mut normalizer = Normalizer::new(InputFormat::Otlp, state.parse_config.clone())
            .with_otlp_encoding(encoding)
            .refusing_oversized();
        run_blocking(encoding, move || {
            let body = if gzipped {
                gunzip(&bytes, limit, encoding)?
            } else {
                bytes.to_vec()
            };
            match normalizer.prepare(&body, &source, now_ns(), &limits) {
                Ok(batch) => Ok(Some(batch)),
                Err(IngestError::Empty) => Ok(None),
                Err(e) => Err(OtlpError::from_api(e.into(), encoding)),
            }
        })
        .await?
    };
    let Some(batch) = batch else {
        return Ok(success(encoding, None, 0));
    };
    let PreparedBatch { entries, summary } = batch;
    state
        .throttle
        .admit_ingest(&caller, entries.len())
        .map_err(|e| OtlpError::from_api(e, encoding))?;
    let log = state.log.clone();
    let range = run_blocking(encoding, move || {
        log.append(entries)
            .map_err(|e| OtlpError::from_api(e.into(), encoding))
    })
    .await?;
    authtrail_ingest::telemetry::record_appended(&source_label, &summary);
    Ok(success(
        encoding,
        Some((range.start, range.end.saturating_sub(1))),
        summary.unparsed,
    ))
}

/// The 200 answer: an `ExportLogsServiceResponse` with no partial success, and the headers.
fn success(encoding: Encoding, seqs: Option<(u64, u64)>, unparsed: usize) -> Response {
    let mut response = match encoding {
        Encoding::Protobuf => {
            protobuf_body(ExportLogsServiceResponse::default().encode_to_vec()).into_response()
        }
        Encoding::Json => Json(json!({})).into_response(),
    };
    let headers = response.headers_mut();
    if let Some((first, last)) = seqs {
        headers.insert(FIRST_SEQ, HeaderValue::from(first));
        headers.insert(LAST_SEQ, HeaderValue::from(last));
    }
    headers.insert(UNPARSED, HeaderValue::from(unparsed));
    response
}

/// The body's encoding, from `Content-Type` (its parameters ignored).
fn content_type(headers: &HeaderMap) -> Result<Encoding, OtlpError> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = value.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case("application/x-protobuf") {
        Ok(Encoding::Protobuf)
    } else if media.eq_ignore_ascii_case("application/json") {
        Ok(Encoding::Json)
    } else {
        Err(OtlpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Content-Type {value:?} is not OTLP's: send application/x-protobuf or \
                 application/json"
            ),
            Encoding::Json,
        ))
    }
}

/// Whether the body is gzipped; another content coding is refused.
fn content_encoding(headers: &HeaderMap, encoding: Encoding) -> Result<bool, OtlpError> {
    let Some(value) = headers.get(header::CONTENT_ENCODING) else {
        return Ok(false);
    };
    let coding = value.to_str().unwrap_or("?").trim();
    if coding.is_empty() || coding.eq_ignore_ascii_case("identity") {
        Ok(false)
    } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
        Ok(true)
    } else {
        Err(OtlpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content-Encoding {coding:?} is not supported: send gzip or no coding"),
            encoding,
        ))
    }
}

/// A gzipped body, decompressed up to `limit` bytes.
fn gunzip(bytes: &[u8], limit: usize, encoding: Encoding) -> Result<Vec<u8>, OtlpError> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    MultiGzDecoder::new(bytes)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| {
            OtlpError::new(
                StatusCode::BAD_REQUEST,
                format!("the body is not valid gzip: {e}"),
                encoding,
            )
        })?;
    if out.len() > limit {
        return Err(OtlpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body decompresses to more than the {limit}-byte limit"),
            encoding,
        ));
    }
    Ok(out)
}

/// Run blocking work on the blocking pool; a panic there is a 500.
async fn run_blocking<T: Send + 'static>(
    encoding: Encoding,
    f: impl FnOnce() -> Result<T, OtlpError> + Send + 'static,
) -> Result<T, OtlpError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        OtlpError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("worker failed: {e}"),
            encoding,
        )
    })?
}
