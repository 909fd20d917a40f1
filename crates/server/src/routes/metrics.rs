//! `GET /metrics`: every metric in the Prometheus text format (docs/METRICS.md).

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::{blocking, ApiError};
use crate::AppState;

/// The exposition format's media type (text format 0.0.4).
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`: sets the log's gauges and the probes' (outbox depth), then renders.
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let Some(metrics) = state.metrics.clone() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "metrics are not enabled on this server",
        ));
    };
    let log = state.log.clone();
    // Probes may read the disk (the outbox's queue).
    let body = blocking(move || {
        authtrail_store::telemetry::record_gauges(&log);
        Ok(metrics.render())
    })
    .await?;
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
        body,
    )
        .into_response())
}
