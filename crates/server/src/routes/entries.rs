//! `GET /v1/entries/{seq}`: an entry with its header, bodies and leaf hash.

use axum::extract::{Path, State};
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};

use authtrail_ingest::parse::text::escape_invalid_utf8;
use authtrail_ledger::hash::leaf_hash;

use crate::error::{blocking, ApiError};
use crate::AppState;

/// `GET /v1/entries/{seq}`.
pub async fn get_entry(
    State(state): State<AppState>,
    Path(seq): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let seq = parse_seq(&seq)?;
    let log = state.log.clone();
    blocking(move || {
        let e = log.entry(seq)?;
        let h = &e.header;
        let event: Value = serde_json::from_slice(&e.body.event).unwrap_or(Value::Null);
        Ok(Json(json!({
            "seq": h.seq,
            "header": {
                "version": e.header_bytes.first().copied().unwrap_or(0),
                "seq": h.seq,
                "received_at_ns": h.received_at_ns,
                "source": h.source,
                "class_uid": h.class_uid,
                "event_digest": hex(&h.event_digest),
                "raw_digest": hex(&h.raw_digest),
            },
            "header_b64": B64.encode(&e.header_bytes),
            "leaf_hash": B64.encode(leaf_hash(&e.header_bytes)),
            "salt": B64.encode(e.body.salt),
            "event": event,
            // As text; bytes that are not UTF-8 shown as \xNN (raw_b64 has them exactly).
            "raw": escape_invalid_utf8(&e.body.raw),
            "raw_is_utf8": std::str::from_utf8(&e.body.raw).is_ok(),
            "raw_b64": B64.encode(&e.body.raw),
        })))
    })
    .await
}

/// A `{seq}` path segment as an entry number, or a 400 naming it.
pub(crate) fn parse_seq(seq: &str) -> Result<u64, ApiError> {
    seq.parse()
        .map_err(|_| ApiError::bad_request(format!("seq {seq:?} is not a non-negative integer")))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
