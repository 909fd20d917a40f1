//! The public C2SP tlog-tiles read path: `/checkpoint` and `/tile/...` (hashes and entry
//! headers only; no personal data).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use authtrail_ledger::tile::TileId;

use crate::error::{blocking, ApiError};
use crate::AppState;

/// `GET /checkpoint`: the latest signed checkpoint.
pub async fn checkpoint(State(state): State<AppState>) -> Response {
    let note = state.log.checkpoint().note.clone();
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        note,
    )
        .into_response()
}

/// `GET /tile/<L>/<N>[.p/<W>]` and `GET /tile/entries/<N>[.p/<W>]`.
pub async fn tile(
    State(state): State<AppState>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    let id = TileId::parse(&format!("tile/{path}"))
        .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string()))?;
    let log = state.log.clone();
    let bytes = blocking(move || Ok(log.tile(id)?)).await?;
    // Full tiles never change; partial ones are replaced by wider ones as the log grows.
    let cache = if id.is_full() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response())
}
