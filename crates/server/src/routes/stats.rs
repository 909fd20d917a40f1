//! `GET /v1/stats?since=1h&until=T`: events over time by outcome (success, failure, other), in
//! equal buckets of whole minutes, for the dashboard's chart. Alerts (the detector's findings)
//! are not counted; they have their own page.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query as QueryParams, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use authtrail_detect::DETECT_SOURCE;
use authtrail_store::query::{parse_time, Query};

use super::clock::now_ms;
use crate::error::{blocking, ApiError};
use crate::AppState;

/// The most buckets an answer has; longer spans get wider buckets.
pub const MAX_BUCKETS: i64 = 120;
/// The narrowest bucket: one minute.
pub const MINUTE_MS: i64 = 60_000;
/// The most events counted for one answer; past it the answer says `complete: false`.
pub const MAX_COUNTED: u64 = 200_000;
/// Events read per page of the underlying search.
const PAGE: usize = 1000;

/// Query parameters of `GET /v1/stats`.
#[derive(Debug, Deserialize)]
pub struct StatsParams {
    /// Start of the span (`1h`, RFC 3339, a date; default `1h`).
    pub since: Option<String>,
    /// End of the span (default now).
    pub until: Option<String>,
}

/// Counts of one bucket by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Outcomes {
    success: u64,
    failure: u64,
    other: u64,
}

impl Outcomes {
    /// Count an event by its `status_id` (1 success, 2 failure, anything else other).
    fn add(&mut self, event: &Value) {
        match event.get("status_id").and_then(Value::as_i64) {
            Some(1) => self.success += 1,
            Some(2) => self.failure += 1,
            _ => self.other += 1,
        }
    }

    fn to_json(self) -> Value {
        json!({"success": self.success, "failure": self.failure, "other": self.other})
    }
}

/// The width of a bucket for a span: whole minutes, at most [`MAX_BUCKETS`] buckets.
pub fn bucket_ms(span_ms: i64) -> i64 {
    let per_bucket = (span_ms.max(1) + MAX_BUCKETS - 1) / MAX_BUCKETS;
    let minutes = (per_bucket + MINUTE_MS - 1) / MINUTE_MS;
    minutes.max(1) * MINUTE_MS
}

/// `GET /v1/stats`.
pub async fn stats(
    State(state): State<AppState>,
    params: Result<QueryParams<StatsParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let QueryParams(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let now = now_ms();
    let since = time_param("since", params.since.as_deref().unwrap_or("1h"), now)?;
    let until = match params.until.as_deref() {
        Some(text) => time_param("until", text, now)?,
        None => now,
    };
    if since >= until {
        return Err(ApiError {
            details: json!({"since": params.since, "until": params.until}),
            ..ApiError::bad_request("since must be before until")
        });
    }
    let width = bucket_ms(until - since);
    let first = since.div_euclid(width) * width;
    let count = usize::try_from((until - first + width - 1) / width).unwrap_or(1);
    let mut query = Query::parse_at(&format!("source!={DETECT_SOURCE}"), now)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    query.since_ms = Some(since);
    query.until_ms = Some(until);
    let log = state.log.clone();
    blocking(move || {
        let search = log.search();
        let mut buckets = vec![Outcomes::default(); count];
        let mut totals = Outcomes::default();
        let (mut counted, mut from, mut complete, mut scanned_to) = (0u64, 0u64, true, 0u64);
        loop {
            let page = search.find(&query, from, PAGE)?;
            scanned_to = scanned_to.max(page.scanned_to);
            for hit in &page.hits {
                let Some(time) = hit.event.get("time").and_then(Value::as_i64) else {
                    continue;
                };
                let index = usize::try_from((time - first).div_euclid(width)).unwrap_or(0);
                if let Some(bucket) = buckets.get_mut(index) {
                    bucket.add(&hit.event);
                    totals.add(&hit.event);
                    counted += 1;
                }
            }
            match page.next {
                Some(_) if counted >= MAX_COUNTED => {
                    complete = false;
                    break;
                }
                Some(next) => from = next,
                None => break,
            }
        }
        let rows: Vec<Value> = buckets
            .iter()
            .zip(0i64..)
            .map(|(b, i)| {
                let mut row = b.to_json();
                row["start"] = json!(first + i * width);
                row
            })
            .collect();
        Ok(Json(json!({
            "since": since,
            "until": until,
            "bucket_ms": width,
            "buckets": rows,
            "totals": totals.to_json(),
            "events": counted,
            "complete": complete,
            "scanned_to": scanned_to,
        })))
    })
    .await
}

/// A time parameter as ms since the epoch, or a 400 naming it.
pub(crate) fn time_param(name: &str, text: &str, now: i64) -> Result<i64, ApiError> {
    parse_time(text, now).ok_or_else(|| ApiError {
        details: json!({"param": name, "value": text}),
        ..ApiError::bad_request(format!(
            "{name} {text:?} is not a time: give a duration back from now (1h), an RFC 3339 \
             time or a date"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hour_is_sixty_one_minute_buckets() {
        assert_eq!(bucket_ms(3_600_000), MINUTE_MS);
    }

    #[test]
    fn a_day_gets_twelve_minute_buckets() {
        assert_eq!(bucket_ms(86_400_000), 12 * MINUTE_MS);
    }

    #[test]
    fn a_short_span_still_gets_a_minute() {
        assert_eq!(bucket_ms(1), MINUTE_MS);
        assert_eq!(bucket_ms(0), MINUTE_MS);
    }

    #[test]
    fn outcomes_follow_status_id() {
        let mut o = Outcomes::default();
        o.add(&json!({"status_id": 1}));
        o.add(&json!({"status_id": 2}));
        o.add(&json!({"status_id": 2}));
        o.add(&json!({"status_id": 99}));
        o.add(&json!({}));
        assert_eq!(
            o,
            Outcomes {
                success: 1,
                failure: 2,
                other: 2
            }
        );
    }
}
