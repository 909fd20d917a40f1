//! What every handler shares.

use std::sync::Arc;

use authtrail_ingest::{Limits, ParseConfig};
use authtrail_store::EmbeddedLog;
use tokio::sync::Semaphore;

use crate::auth::Access;
use crate::limits::{ServerLimits, Throttle};

/// Shared state of the HTTP API.
#[derive(Clone)]
pub struct AppState {
    /// The log.
    pub log: Arc<EmbeddedLog>,
    /// Input limits.
    pub limits: Limits,
    /// How text input is parsed (zone, gateway settings).
    pub parse_config: Arc<ParseConfig>,
    /// Batches being parsed at once: one per core, so parsing never starves the log's writer.
    pub parsing: Arc<Semaphore>,
    /// Who may call what.
    pub access: Access,
    /// Requests in progress and each token's ingest rate.
    pub throttle: Arc<Throttle>,
}

impl AppState {
    /// State over `log` with `limits` and parser settings, parsing as many batches at once as there are cores.
    ///
    /// Access is [`Access::Open`] (no tokens) and the server limits are the defaults; `serve`
    /// sets both with [`AppState::with_access`] and [`AppState::with_server_limits`].
    pub fn new(log: Arc<EmbeddedLog>, limits: Limits, parse_config: Arc<ParseConfig>) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        AppState {
            log,
            limits,
            parse_config,
            parsing: Arc::new(Semaphore::new(cores)),
            access: Access::Open,
            throttle: Arc::new(Throttle::new(ServerLimits::default())),
        }
    }

    /// The same state with callers checked by `access`.
    pub fn with_access(mut self, access: Access) -> Self {
        self.access = access;
        self
    }

    /// The same state with the request limits `limits`.
    pub fn with_server_limits(mut self, limits: ServerLimits) -> Self {
        self.throttle = Arc::new(Throttle::new(limits));
        self
    }
}
