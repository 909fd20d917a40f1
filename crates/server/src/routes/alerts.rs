//! `GET /v1/alerts`: the alerts the detector raised (Detection Finding entries), in log order,
//! a page at a time; `GET /v1/blocklist`: the source addresses they name, as plain text.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query as QueryParams, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use authtrail_detect::listing::{alerts_query, blocklist as addresses, AlertSummary};
use authtrail_detect::Severity;
use authtrail_store::query::Query;

use super::search::{page_body, page_limit, parse_cursor};
use crate::error::{blocking, ApiError};
use crate::AppState;

/// Query parameters of `GET /v1/alerts`.
#[derive(Debug, Deserialize)]
pub struct AlertParams {
    /// Only alerts whose window ended at or after this (`24h`, `2026-11-27`, RFC 3339).
    pub since: Option<String>,
    /// Alerts per page (default 100, at most 1000).
    pub limit: Option<usize>,
    /// Where the previous page ended (its `next_cursor`).
    pub cursor: Option<String>,
}

/// The alerts query for `since`, or a 400 naming the column within it.
fn query_for(since: Option<&str>) -> Result<Query, ApiError> {
    alerts_query(since).map_err(|e| ApiError {
        details: json!({"column": e.column, "since": since}),
        ..ApiError::bad_request(format!("bad since at {e}"))
    })
}

/// `GET /v1/alerts`.
pub async fn alerts(
    State(state): State<AppState>,
    params: Result<QueryParams<AlertParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let QueryParams(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let query = query_for(params.since.as_deref())?;
    let (asked, limit) = page_limit(params.limit);
    let start = parse_cursor(params.cursor.as_deref())?;
    let log = state.log.clone();
    blocking(move || {
        let page = log.search().find(&query, start, limit)?;
        Ok(Json(page_body("alerts", &page, (asked, limit), |h| {
            let s = AlertSummary::of(&h.event);
            let group: serde_json::Map<String, Value> = s
                .group
                .iter()
                .map(|(f, v)| (f.clone(), Value::from(v.as_str())))
                .collect();
            let mut row = json!({
                "seq": h.seq, "uid": s.uid, "rule": s.rule, "severity": s.severity,
                "time": s.time_ms, "group": group, "count": s.count, "alert": h.event,
            });
            // What the alert was raised with, rebuilt from the finding.
            if let Some(a) = &s.alert {
                let distinct: serde_json::Map<String, Value> = a
                    .distinct
                    .iter()
                    .map(|(f, n)| (f.clone(), Value::from(*n)))
                    .collect();
                row["title"] = Value::from(a.title.as_str());
                row["start"] = Value::from(a.window_start_ms);
                row["distinct"] = Value::Object(distinct);
                row["details"] = Value::Object(a.details.clone());
            }
            row
        })))
    })
    .await
}

/// Query parameters of `GET /v1/blocklist`.
#[derive(Debug, Deserialize)]
pub struct BlocklistParams {
    /// Only alerts whose window ended at or after this (default `24h`).
    pub since: Option<String>,
    /// Only alerts of at least this severity (`informational` .. `critical`, default `low`).
    pub min_severity: Option<String>,
}

/// `GET /v1/blocklist`: one address per line, each once, sorted (`text/plain`).
pub async fn blocklist(
    State(state): State<AppState>,
    params: Result<QueryParams<BlocklistParams>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let QueryParams(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let query = query_for(Some(params.since.as_deref().unwrap_or("24h")))?;
    let min = match params.min_severity.as_deref() {
        None => Severity::Low,
        Some(name) => Severity::parse(name).ok_or_else(|| {
            ApiError::bad_request(format!(
                "min_severity {name:?} is not informational, low, medium, high or critical"
            ))
        })?,
    };
    let log = state.log.clone();
    let text = blocking(move || {
        let search = log.search();
        let mut found = Vec::new();
        let mut from = 0;
        loop {
            let page = search.find(&query, from, 1000)?;
            found.extend(page.hits.iter().map(|h| AlertSummary::of(&h.event)));
            match page.next {
                Some(next) => from = next,
                None => break,
            }
        }
        Ok(addresses(&found, i64::from(min.id())))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text))
}
