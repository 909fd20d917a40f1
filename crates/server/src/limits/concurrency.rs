//! Requests in progress at once: past `max_concurrent_requests`, a 429 at once, not a queue.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Throttle;
use crate::error::ApiError;

/// Seconds a client is told to wait when the server is full: requests are short, a second
/// frees most permits.
const RETRY_AFTER_SECONDS: u64 = 1;

/// Run the request if a permit is free; else answer 429 with `Retry-After`.
pub async fn limit_concurrency(
    State(throttle): State<Arc<Throttle>>,
    req: Request,
    next: Next,
) -> Response {
    let Ok(_permit) = throttle.in_flight.clone().try_acquire_owned() else {
        let limit = throttle.limits.max_concurrent_requests;
        return ApiError {
            details: json!({"limit": limit, "retry_after_seconds": RETRY_AFTER_SECONDS}),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!(
                    "the server is handling its limit of {limit} requests at once; retry after \
                     {RETRY_AFTER_SECONDS} s"
                ),
            )
        }
        .with_header(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS))
        .into_response();
    };
    next.run(req).await
}
