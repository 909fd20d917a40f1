//! `GET /v1/evidence/{seq}`: the evidence bundle of one entry (what `authtrail prove` writes),
//! proven against the latest signed checkpoint, as a JSON file download.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use authtrail_ledger::evidence::Evidence;

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
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                format!("entry {seq} is not covered by the latest checkpoint (size {size})"),
            ));
        }
        let entry = log.entry(seq)?;
        let (proof, _root) = log.inclusion_proof(seq, size)?;
        let evidence = Evidence {
            seq,
            header: entry.header_bytes,
            salt: Some(entry.body.salt),
            event: Some(entry.body.event),
            raw: Some(entry.body.raw),
            tree_size: size,
            inclusion_proof: proof,
            checkpoint: cp.note.clone(),
        };
        Ok(evidence.to_json())
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
