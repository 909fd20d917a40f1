//! authtrail's HTTP API (DESIGN.md §5): ingest, entries, proofs and the public C2SP tlog-tiles
//! read path (`/checkpoint`, `/tile/...`), OTLP/HTTP logs (`/v1/logs`), and the web UI (`/`, [`ui`]).
//!
//! The model: [`AppState`] holds the log, the limits and who may call what; [`router`] maps each
//! route to a handler in [`routes`], behind the authorization layer ([`auth`], whose
//! [`auth::policy::ROUTES`] table says which scope each route needs) and the request limits
//! ([`limits`]); errors are one JSON shape ([`error::ApiError`]). Handlers do blocking work
//! (parsing, hashing, waiting for the fsync) on tokio's blocking pool, so the async workers only
//! move bytes. [`telemetry`] counts requests and renders `/metrics` (docs/METRICS.md).
#![forbid(unsafe_code)]

pub mod auth;
pub mod error;
pub mod limits;
pub mod routes;
pub mod state;
pub mod telemetry;
pub mod tls;
pub mod ui;

pub use state::AppState;

use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;

/// The whole HTTP API over one state.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/v1/events",
            get(routes::search::search).post(routes::ingest::post_events),
        )
        .route("/v1/trace", get(routes::trace::trace))
        .route("/v1/alerts", get(routes::alerts::alerts))
        .route("/v1/blocklist", get(routes::alerts::blocklist))
        .route("/v1/raw", post(routes::ingest::post_raw))
        .route("/v1/logs", post(routes::otlp::post_logs))
        .route("/v1/entries/{seq}", get(routes::entries::get_entry))
        .route("/v1/proof/inclusion", get(routes::proofs::inclusion))
        .route("/v1/proof/consistency", get(routes::proofs::consistency))
        .route("/checkpoint", get(routes::tlog::checkpoint))
        .route("/tile/{*path}", get(routes::tlog::tile))
        .route("/healthz", get(routes::health::healthz))
        .route("/metrics", get(routes::metrics::metrics))
        .route("/v1/stats", get(routes::stats::stats))
        .route("/v1/log", get(routes::log_state::log_state))
        .route("/v1/verify", post(routes::verify::verify))
        .route("/v1/evidence/{seq}", get(routes::evidence::evidence))
        .route("/", get(ui::index))
        .route("/ui/{*path}", get(ui::asset))
        .fallback(routes::not_found)
        // Limits inside, authorization outside: a refused token never takes a request slot.
        .layer(from_fn_with_state(
            state.throttle.clone(),
            limits::concurrency::limit_concurrency,
        ))
        .layer(from_fn_with_state(
            state.access.clone(),
            auth::middleware::authorize,
        ))
        // Outermost, so every answer is counted: refusals (401, 403, 429) and 404s too.
        .layer(axum::middleware::from_fn(telemetry::track_http))
        .with_state(state)
}
