//! One module per group of routes.

pub mod alerts;
pub mod clock;
pub mod entries;
pub mod evidence;
pub mod health;
pub mod ingest;
pub mod log_state;
pub mod metrics;
pub mod otlp;
pub mod proofs;
pub mod search;
pub mod stats;
pub mod tlog;
pub mod trace;
pub mod verify;

use axum::http::{StatusCode, Uri};

use crate::error::ApiError;

/// Any path the API does not serve.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {}", uri.path()),
    )
}
