//! `GET /v1/events?q=QUERY&limit=N&cursor=C`: the events that match a query (docs/QUERY.md), in
//! log order, a page at a time; or, for a query with a pipe, its rows.
//!
//! Pages follow the log's order (seq ascending) up to the signed checkpoint the request starts
//! from, and the cursor is the seq to resume at, so a page boundary never skips or repeats an
//! event while new ones arrive: they only ever come after it. For now every page is a scan from
//! the cursor; the indexes that answer without one are still to come.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query as QueryParams, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use authtrail_store::query::Query;
use authtrail_store::search::{Hit, Page};

use crate::error::{blocking, ApiError};
use crate::AppState;

/// Events per page when the request names no limit.
pub const DEFAULT_LIMIT: usize = 100;
/// The most events a page holds; a larger `limit` is capped to it, and the answer says so.
pub const MAX_LIMIT: usize = 1000;

/// Query parameters of `GET /v1/events`.
#[derive(Debug, Deserialize)]
pub struct SearchParams {
    /// The query (empty: every event).
    pub q: Option<String>,
    /// Events per page (default 100, at most 1000).
    pub limit: Option<usize>,
    /// Where the previous page ended (its `next_cursor`).
    pub cursor: Option<String>,
}

/// The limit asked for (default [`DEFAULT_LIMIT`]) and the one used (at most [`MAX_LIMIT`]).
pub(crate) fn page_limit(asked: Option<usize>) -> (usize, usize) {
    let asked = asked.unwrap_or(DEFAULT_LIMIT).max(1);
    (asked, asked.min(MAX_LIMIT))
}

/// The seq a page starts at: 0 without a cursor, else the `next_cursor` a page gave.
pub(crate) fn parse_cursor(cursor: Option<&str>) -> Result<u64, ApiError> {
    match cursor {
        None | Some("") => Ok(0),
        Some(c) => c
            .parse()
            .map_err(|_| ApiError::bad_request(format!("cursor {c:?} is not one this API gave"))),
    }
}

/// `GET /v1/events`.
pub async fn search(
    State(state): State<AppState>,
    params: Result<QueryParams<SearchParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let QueryParams(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let text = params.q.unwrap_or_default();
    let query = Query::parse(&text).map_err(|e| ApiError {
        details: json!({"column": e.column, "query": text}),
        ..ApiError::bad_request(format!("bad query at {e}"))
    })?;
    let (asked, limit) = page_limit(params.limit);
    let start = parse_cursor(params.cursor.as_deref())?;
    let log = state.log.clone();
    blocking(move || {
        let search = log.search();
        if query.pipe.is_some() {
            let tallied = search.tally(&query)?;
            let rows: Vec<Value> = tallied
                .rows
                .unwrap_or_default()
                .iter()
                .map(|(value, count)| json!({"value": value, "count": count}))
                .collect();
            return Ok(Json(
                json!({"rows": rows, "scanned_to": tallied.scanned_to}),
            ));
        }
        let page = search.find(&query, start, limit)?;
        Ok(Json(page_body(
            "events",
            &page,
            (asked, limit),
            |h| json!({"seq": h.seq, "source": h.source, "event": h.event}),
        )))
    })
    .await
}

/// A page's answer: its hits under `key` as `item` shows each, the cursor of the next page,
/// the limit used (and whether the one asked was capped) and how far the search looked.
pub(crate) fn page_body(
    key: &str,
    page: &Page,
    (asked, limit): (usize, usize),
    item: impl Fn(&Hit) -> Value,
) -> Value {
    let items: Vec<Value> = page.hits.iter().map(item).collect();
    json!({
        key: items,
        "next_cursor": page.next.map(|n| n.to_string()),
        "limit": limit,
        "limit_capped": asked > limit,
        "scanned_to": page.scanned_to,
    })
}
