//! `POST /v1/verify`: verify the log's files now, as `authtrail verify` does on the data
//! directory, against the log's own key. The answer is a result, not an error: `{ok: true,
//! size, entries, beyond_checkpoint, root, seconds}` or `{ok: false, damage: {kind, seq,
//! detail}, message}`. One verification runs at a time; another asked meanwhile is a 409.

use std::sync::{Mutex, TryLockError};

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};

use authtrail_store::verify::{verify_dir, VerifyOptions};

use crate::error::{blocking, ApiError};
use crate::AppState;

/// Held while a verification runs: it reads every file of the log, so one at a time.
static RUNNING: Mutex<()> = Mutex::new(());

/// `POST /v1/verify`.
pub async fn verify(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let log = state.log.clone();
    blocking(move || {
        let _running = match RUNNING.try_lock() {
            Ok(guard) => guard,
            // A verification that panicked left nothing half done: the lock only orders runs.
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "verify_running",
                    "a verification is already running; try again when it ends",
                ))
            }
        };
        let options = VerifyOptions {
            key: log.verifier(),
            trusted: None,
        };
        let outcome = verify_dir(log.layout().root(), &options)?;
        Ok(Json(match outcome {
            Ok(report) => json!({
                "ok": true,
                "size": report.checkpoint.size,
                "entries": report.entries,
                "beyond_checkpoint": report.beyond_checkpoint,
                "root": B64.encode(report.root),
                "seconds": report.elapsed.as_secs_f64(),
                "key": options.key.to_string(),
            }),
            Err(damage) => json!({
                "ok": false,
                "message": damage.to_string(),
                "damage": {
                    "kind": damage.kind.to_string(),
                    "seq": damage.seq,
                    "detail": damage.detail,
                },
                "key": options.key.to_string(),
            }),
        }))
    })
    .await
}
