//! `POST /v1/events` (a JSON object, array or NDJSON) and `POST /v1/raw` (text lines: syslog,
//! audit and access logs): ingest through the pipeline, answer after fsync.

use authtrail_ingest::received::now_ns;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Extension;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use authtrail_ingest::{InputFormat, Normalizer};

use crate::auth::Caller;
use crate::error::{blocking, ApiError};
use crate::tls::{ensure_client_may_write, ClientIdentity};
use crate::AppState;

/// Query parameters of an ingest request.
#[derive(Debug, Deserialize)]
pub struct IngestParams {
    /// Input format (default `json` for `/v1/events`, `auto` for `/v1/raw`).
    pub format: Option<String>,
    /// Source name recorded in each entry header (default `http`).
    pub source: Option<String>,
}

fn too_large(limit: usize) -> ApiError {
    ApiError {
        details: json!({"limit": limit}),
        ..ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("request body over the {limit}-byte limit; split the batch"),
        )
    }
}

/// The request body, or `None` when it is over `limit` bytes: refused at once when the declared
/// `Content-Length` says so, else when the bytes read pass the limit.
pub async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Option<Bytes> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return None;
    }
    to_bytes(body, limit).await.ok()
}

/// `POST /v1/events?format=F&source=S`.
pub async fn post_events(
    state: State<AppState>,
    caller: Caller,
    query: Result<Query<IngestParams>, QueryRejection>,
    identity: Option<Extension<ClientIdentity>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    ingest(state, caller, query, identity, headers, body, "json").await
}

/// `POST /v1/raw?format=F&source=S`.
pub async fn post_raw(
    state: State<AppState>,
    caller: Caller,
    query: Result<Query<IngestParams>, QueryRejection>,
    identity: Option<Extension<ClientIdentity>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    ingest(state, caller, query, identity, headers, body, "auto").await
}

async fn ingest(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<IngestParams>, QueryRejection>,
    identity: Option<Extension<ClientIdentity>>,
    headers: HeaderMap,
    body: Body,
    default_format: &str,
) -> Result<Json<Value>, ApiError> {
    let Query(params) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let source = params.source.unwrap_or_else(|| "http".to_string());
    ensure_client_may_write(identity.as_deref(), &source)?;
    caller.may_ingest_as(&source)?;
    let limit = state.limits.max_body_bytes;
    let bytes = read_body(&headers, body, limit)
        .await
        .ok_or_else(|| too_large(limit))?;
    let format = InputFormat::parse(params.format.as_deref().unwrap_or(default_format))?;
    let limits = state.limits;
    let source_label = source.clone();
    let batch = {
        let _permit = state.parsing.acquire().await.map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "server is shutting down",
            )
        })?;
        let mut normalizer =
            Normalizer::new(format, state.parse_config.clone()).refusing_oversized();
        blocking(move || Ok(normalizer.prepare(&bytes, &source, now_ns(), &limits)?)).await?
    };
    state.throttle.admit_ingest(&caller, batch.entries.len())?;
    let log = state.log.clone();
    let summary = batch.summary;
    let count = batch.entries.len();
    let entries = batch.entries;
    let range = blocking(move || Ok(log.append(entries)?)).await?;
    authtrail_ingest::telemetry::record_appended(&source_label, &summary);
    Ok(Json(json!({
        "accepted": count,
        "first_seq": range.start,
        "last_seq": range.end - 1,
        "unparsed": summary.unparsed,
        "truncated": summary.truncated,
        "by_class": summary.by_class,
        "by_kind": summary.by_kind,
        "by_parser": summary.by_parser,
        "unparsed_reasons": summary.unparsed_reasons
            .iter()
            .map(|(line, reason)| json!({"line": line, "reason": reason}))
            .collect::<Vec<_>>(),
    })))
}
