//! `GET /v1/proof/inclusion` and `GET /v1/proof/consistency`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{blocking, ApiError};
use crate::AppState;

/// Query of an inclusion proof.
#[derive(Debug, Deserialize)]
pub struct InclusionParams {
    /// The entry.
    pub seq: u64,
    /// Tree size to prove against (default: the latest checkpoint's).
    pub size: Option<u64>,
}

/// Query of a consistency proof.
#[derive(Debug, Deserialize)]
pub struct ConsistencyParams {
    /// Older tree size.
    pub from: u64,
    /// Newer tree size (default: the latest checkpoint's).
    pub to: Option<u64>,
}

fn b64_all(hashes: &[[u8; 32]]) -> Vec<String> {
    hashes.iter().map(|h| B64.encode(h)).collect()
}

/// `GET /v1/proof/inclusion?seq=N&size=M`.
pub async fn inclusion(
    State(state): State<AppState>,
    query: Result<Query<InclusionParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(p) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let log = state.log.clone();
    blocking(move || {
        let size = p.size.unwrap_or_else(|| log.checkpoint().checkpoint.size);
        let (proof, root) = log.inclusion_proof(p.seq, size)?;
        let leaf = log.entry(p.seq)?.header_bytes;
        Ok(Json(json!({
            "seq": p.seq,
            "tree_size": size,
            "leaf_hash": B64.encode(authtrail_ledger::hash::leaf_hash(&leaf)),
            "root": B64.encode(root),
            "proof": b64_all(&proof),
        })))
    })
    .await
}

/// `GET /v1/proof/consistency?from=N&to=M`.
pub async fn consistency(
    State(state): State<AppState>,
    query: Result<Query<ConsistencyParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(p) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let log = state.log.clone();
    blocking(move || {
        let to = p.to.unwrap_or_else(|| log.checkpoint().checkpoint.size);
        let proof = log.consistency_proof(p.from, to)?;
        Ok(Json(json!({
            "from": p.from,
            "to": to,
            "from_root": B64.encode(log.root(p.from)?),
            "to_root": B64.encode(log.root(to)?),
            "proof": b64_all(&proof),
        })))
    })
    .await
}
