//! The API's one error shape: `{"error": {"code", "message", "details"}}` with a 4xx/5xx status.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use authtrail_ingest::IngestError;
use authtrail_store::StoreError;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// What went wrong, for a person.
    pub message: String,
    /// Structured details (line, column, limits...).
    pub details: Value,
    /// Headers sent with the error (`WWW-Authenticate`, `Retry-After`); a list, not a
    /// `HeaderMap`, to keep the error small.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    /// An error with no details.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: Value::Null,
            headers: Vec::new(),
        }
    }

    /// The same error with header `name` set to `value`.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// A 400 for a bad query parameter.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, "request failed");
        }
        crate::telemetry::count_refusal(self.status, self.code);
        let body =
            json!({"error": {"code": self.code, "message": self.message, "details": self.details}});
        let mut response = (self.status, Json(body)).into_response();
        response.headers_mut().extend(self.headers);
        response
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        let message = e.to_string();
        match e {
            IngestError::InvalidJson { line, column, .. } => ApiError {
                details: json!({"line": line, "column": column}),
                ..ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", message)
            },
            IngestError::EventTooLarge { line, size, limit } => ApiError {
                details: json!({"line": line, "size": size, "limit": limit}),
                ..ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "event_too_large", message)
            },
            IngestError::LineTooLong { line, size, limit } => ApiError {
                details: json!({"line": line, "size": size, "limit": limit}),
                ..ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "line_too_long", message)
            },
            IngestError::FieldTooLong {
                line,
                ref field,
                size,
                limit,
            } => ApiError {
                details: json!({"line": line, "field": field, "size": size, "limit": limit}),
                ..ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "field_too_long", message)
            },
            IngestError::TooManyEvents { limit } => ApiError {
                details: json!({"limit": limit}),
                ..ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_many_events", message)
            },
            IngestError::Empty => ApiError::new(StatusCode::BAD_REQUEST, "empty", message),
            IngestError::UnknownFormat(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "unknown_format", message)
            }
            IngestError::InvalidOtlp { line, path, .. } => ApiError {
                details: json!({"line": line, "path": path}),
                ..ApiError::new(StatusCode::BAD_REQUEST, "invalid_otlp", message)
            },
            IngestError::InvalidProtobuf(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_protobuf", message)
            }
            IngestError::ExpandedTooLarge { limit } => ApiError {
                details: json!({"limit": limit}),
                ..ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "expanded_too_large", message)
            },
            _ => ApiError::bad_request(message),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let message = e.to_string();
        match e {
            StoreError::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "not_found", message),
            StoreError::InvalidRequest(_) => ApiError::bad_request(message),
            StoreError::Pruned(_) => ApiError::new(StatusCode::GONE, "pruned", message),
            StoreError::Closed => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", message)
            }
            StoreError::Poisoned(_) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "read_only", message)
            }
            _ => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message),
        }
    }
}

/// Run blocking work on the blocking pool; a panic there becomes a 500.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("worker failed: {e}"),
        )
    })?
}
