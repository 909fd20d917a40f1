//! One module per group of routes.

pub mod alerts;
pub mod entries;
pub mod health;
pub mod ingest;
pub mod metrics;
pub mod otlp;
pub mod proofs;
pub mod search;
pub mod tlog;
pub mod trace;

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
