//! `GET /v1/evidence/{seq}`: the evidence bundle of one entry (what `authtrail prove` writes),
//! proven against the latest signed checkpoint, as a JSON file download.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::entries::parse_seq;
use crate::error::{blocking, ApiError};
use crate::AppState;

/// `GET /v1/evidence/{seq}`.
pub async fn evidence(
    State(state): State<AppState>,
    Path(seq): Path<String>,
) -> Result<Response, ApiError> {
    let seq = parse_seq(&seq)?;
    let log = state.log.clone();
    let json = blocking(move || {
        let cp = log.checkpoint();
        let size = cp.checkpoint.size;
        if seq >= size {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("entry {seq} is not covered by the latest checkpoint (size {size})"),
            ));
        }
        let entry = log.entry(seq)?;
        let (proof, _root) = log.inclusion_proof(seq, size)?;
        Ok(entry.into_evidence(&cp, proof).to_json())
    })
    .await?;
    let disposition = format!("attachment; filename=\"authtrail-evidence-{seq}.json\"");
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        json,
    )
        .into_response())
}
