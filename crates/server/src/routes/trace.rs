//! `GET /v1/trace?session=ID|user=NAME|ip=ADDR&since=T&until=T`: the timeline of a session, a
//! user or a source address across sources, following the correlation keys (docs/TRACE.md).
//!
//! The answer is `{start, since, until, steps, bounds_hit, unfollowed, scanned_to}`; each step
//! is `{seq, time, source, class, activity, status, user, src_ip, linked_by, event}`. A trace
//! that finds nothing is a 200 with no steps. Exactly one of `session`, `user`, `ip` must be
//! given, else 400; a bad address or time, or `since` not before `until`, is 400 too.

use std::net::IpAddr;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query as QueryParams, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use authtrail_store::query::parse_time;
use authtrail_store::trace::{trace as run_trace, Bounds, Start};

use super::clock::now_ms;
use crate::error::{blocking, ApiError};
use crate::AppState;

/// Query parameters of `GET /v1/trace`.
#[derive(Debug, Deserialize)]
pub struct TraceParams {
    /// Start from a session id.
    pub session: Option<String>,
    /// Start from a user name.
    pub user: Option<String>,
    /// Start from a source address.
    pub ip: Option<String>,
    /// Only events at or after this time (`24h`, RFC 3339, a date).
    pub since: Option<String>,
    /// Only events before this time.
    pub until: Option<String>,
}

/// `GET /v1/trace`.
pub async fn trace(
    State(state): State<AppState>,
    params: Result<QueryParams<TraceParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let QueryParams(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let now = now_ms();
    let start = start(&params)?;
    let bounds = Bounds {
        since_ms: time_param("since", params.since.as_deref(), now)?,
        until_ms: time_param("until", params.until.as_deref(), now)?,
        ..Bounds::new(now)
    };
    if let (Some(since), Some(until)) = (bounds.since_ms, bounds.until_ms) {
        if since >= until {
            return Err(ApiError {
                details: json!({"since": params.since, "until": params.until}),
                ..ApiError::bad_request("since must be before until")
            });
        }
    }
    let log = state.log.clone();
    blocking(move || {
        let search = log.search();
        let timeline = run_trace(&search, &start, &bounds)?;
        Ok(Json(timeline.to_json()))
    })
    .await
}

/// The start named by exactly one of `session`, `user`, `ip`.
fn start(params: &TraceParams) -> Result<Start, ApiError> {
    let given: Vec<&str> = [
        ("session", &params.session),
        ("user", &params.user),
        ("ip", &params.ip),
    ]
    .iter()
    .filter(|(_, v)| v.is_some())
    .map(|(name, _)| *name)
    .collect();
    let bad = |message: String| ApiError {
        details: json!({"given": given}),
        ..ApiError::bad_request(message)
    };
    let start = match (&params.session, &params.user, &params.ip) {
        (Some(id), None, None) => Start::Session(id.clone()),
        (None, Some(name), None) => Start::User(name.clone()),
        (None, None, Some(ip)) => Start::Ip(ip.parse::<IpAddr>().map_err(|_| ApiError {
            details: json!({"param": "ip", "value": ip}),
            ..ApiError::bad_request(format!("ip {ip:?} is not an IP address"))
        })?),
        _ => {
            return Err(bad(format!(
                "give exactly one of session, user, ip (given: {})",
                if given.is_empty() {
                    "none".to_string()
                } else {
                    given.join(", ")
                }
            )))
        }
    };
    let key = start.key();
    if key.value.trim().is_empty() {
        return Err(bad(format!("{} is empty", key.kind.name())));
    }
    Ok(start)
}

/// A `since`/`until` parameter as ms since the epoch.
fn time_param(name: &str, text: Option<&str>, now: i64) -> Result<Option<i64>, ApiError> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    parse_time(text, now).map(Some).ok_or_else(|| ApiError {
        details: json!({"param": name, "value": text}),
        ..ApiError::bad_request(format!(
            "{name} {text:?} is not a time: give a duration back from now (24h), an RFC 3339 \
             time or a date"
        ))
    })
}
