//! Prometheus metrics (docs/METRICS.md): the process's recorder behind the `metrics` facade,
//! the HTTP request counter, and the text exposition that `GET /metrics` answers.
//!
//! The lower crates record through the facade's macros; [`Metrics::install`] installs
//! `metrics-exporter-prometheus`'s recorder (no listener of its own) once per process. Gauges
//! that describe a state rather than count events (tree size, checkpoint age, outbox depth) are
//! set at scrape time by the route and by the [`Probe`]s `serve` adds.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use metrics::{counter, describe_counter, describe_histogram, histogram, Unit};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

/// Counter: HTTP requests answered, by `route`, `method` and `status`.
pub const HTTP_REQUESTS: &str = "authtrail_http_requests_total";
/// Histogram: time to answer an HTTP request, by `route`, seconds.
pub const HTTP_SECONDS: &str = "authtrail_http_request_duration_seconds";
/// Counter: requests refused a caller (401, 403), by `reason` (the error code).
pub const AUTH_REFUSED: &str = "authtrail_auth_refused_total";
/// Counter: requests refused past a request limit (429), by `limit` (`concurrency`, `rate`).
pub const LIMITED: &str = "authtrail_limited_total";

/// Bucket bounds of [`HTTP_SECONDS`]: from a cached tile to a large batch's fsync.
const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How often histogram samples are folded into their buckets between scrapes, so memory stays
/// bounded whether or not anyone scrapes.
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Work run before each scrape to set gauges from the state they describe.
pub type Probe = Box<dyn Fn() + Send + Sync>;

/// The recorder installed for this process (a recorder is global: installed once).
static INSTALLED: Mutex<Option<PrometheusHandle>> = Mutex::new(None);

/// The metrics of this process and what renders them.
pub struct Metrics {
    handle: PrometheusHandle,
    probes: Mutex<Vec<Probe>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Installs the Prometheus recorder as the process's `metrics` recorder (or shares the one
    /// installed before) and describes every authtrail metric.
    pub fn install() -> Result<Arc<Metrics>, BuildError> {
        let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
        let handle = match &*installed {
            Some(handle) => handle.clone(),
            None => {
                let handle = builder()?.install_recorder()?;
                describe();
                installed.insert(handle).clone()
            }
        };
        Ok(Arc::new(Metrics {
            handle,
            probes: Mutex::new(Vec::new()),
        }))
    }

    /// Adds work to run before each scrape (e.g. reading a queue's depth into a gauge).
    pub fn add_probe(&self, probe: Probe) {
        self.probes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(probe);
    }

    /// Runs the probes, then renders every metric in the Prometheus text format.
    pub fn render(&self) -> String {
        for probe in self
            .probes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            probe();
        }
        self.handle.render()
    }

    /// Folds recorded histogram samples into their buckets (run every [`UPKEEP_EVERY`]).
    pub fn run_upkeep(&self) {
        self.handle.run_upkeep();
    }
}

/// The recorder's settings: true histograms (with buckets) for every histogram we record.
fn builder() -> Result<PrometheusBuilder, BuildError> {
    use authtrail_store::telemetry as store;
    let mut b = PrometheusBuilder::new();
    for (name, buckets) in [
        (store::APPEND_BATCH_ENTRIES, store::APPEND_BATCH_BUCKETS),
        (store::FSYNC_SECONDS, store::FSYNC_BUCKETS),
        (HTTP_SECONDS, HTTP_BUCKETS),
    ] {
        b = b.set_buckets_for_metric(Matcher::Full(name.to_string()), buckets)?;
    }
    Ok(b)
}

/// Registers the help text of every authtrail metric.
fn describe() {
    authtrail_store::telemetry::describe();
    authtrail_ingest::telemetry::describe();
    authtrail_detect::telemetry::describe();
    describe_counter!(
        HTTP_REQUESTS,
        Unit::Count,
        "HTTP requests answered, by route (the route's pattern), method and status"
    );
    describe_histogram!(
        HTTP_SECONDS,
        Unit::Seconds,
        "Time to answer an HTTP request, by route"
    );
    describe_counter!(
        AUTH_REFUSED,
        Unit::Count,
        "Requests answered 401 or 403, by reason (unauthenticated, invalid_token, \
         insufficient_scope, source_forbidden, source_not_allowed)"
    );
    describe_counter!(
        LIMITED,
        Unit::Count,
        "Requests answered 429, by the limit reached (concurrency, rate)"
    );
}

/// Counts an answer that refuses its caller: a 401 or 403 by `code` (the error's code), a 429
/// by the limit its code names. Other answers are not counted here.
pub fn count_refusal(status: StatusCode, code: &'static str) {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            counter!(AUTH_REFUSED, "reason" => code).increment(1);
        }
        StatusCode::TOO_MANY_REQUESTS => {
            let limit = match code {
                crate::limits::RATE_LIMITED => "rate",
                _ => "concurrency",
            };
            counter!(LIMITED, "limit" => limit).increment(1);
        }
        _ => {}
    }
}

/// Middleware around everything else: counts every request by its route's pattern (never its
/// path: seqs and tile names would make a series each; `unmatched` when no route serves it),
/// method and status, refusals included, and times it.
pub async fn track_http(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = match *request.method() {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        _ => "other",
    };
    let started = Instant::now();
    let response = next.run(request).await;
    histogram!(HTTP_SECONDS, "route" => route.clone()).record(started.elapsed().as_secs_f64());
    counter!(
        HTTP_REQUESTS,
        "route" => route,
        "method" => method,
        "status" => response.status().as_u16().to_string()
    )
    .increment(1);
    response
}
