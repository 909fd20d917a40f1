//! `GET /v1/log`: the log's state for the dashboard: entries appended, entries whose hashes are
//! stored, and the latest signed checkpoint with when it was written and its age.

use std::time::UNIX_EPOCH;

use axum::extract::State;
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};

use super::clock::now_ms;
use crate::AppState;

/// `GET /v1/log`.
pub async fn log_state(State(state): State<AppState>) -> Json<Value> {
    let cp = state.log.checkpoint();
    let path = state.log.layout().checkpoint();
    // The checkpoint body has no time; the file is rewritten each time one is signed.
    let written_ms = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_millis()).ok());
    let now = now_ms();
    Json(json!({
        "size": state.log.size(),
        "integrated_size": state.log.integrated_size(),
        "checkpoint": {
            "origin": cp.checkpoint.origin,
            "size": cp.checkpoint.size,
            "root": B64.encode(cp.checkpoint.root),
            "note": cp.note,
            "written_at": written_ms,
            "age_ms": written_ms.map(|w| (now - w).max(0)),
        },
        "verifier_key": state.log.verifier().to_string(),
        "now": now,
    }))
}
