//! Liveness.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::AppState;

/// `GET /healthz`: the process is up and the log is writable.
pub async fn healthz(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "size": state.log.size(),
        "checkpoint_size": state.log.checkpoint().checkpoint.size,
    }))
}
