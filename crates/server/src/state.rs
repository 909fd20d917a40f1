//! What every handler shares.

use std::sync::Arc;

use authtrail_ingest::Limits;
use authtrail_store::EmbeddedLog;

/// Shared state of the HTTP API.
#[derive(Clone)]
pub struct AppState {
    /// The log.
    pub log: Arc<EmbeddedLog>,
    /// Input limits.
    pub limits: Limits,
}
