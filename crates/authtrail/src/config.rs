//! The `serve` configuration file (TOML); flags override it.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

/// Settings of `authtrail serve`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Address to listen on.
    pub listen: Option<String>,
    /// Largest request body, in bytes.
    pub max_body_bytes: Option<usize>,
    /// Largest single event, in bytes.
    pub max_event_bytes: Option<usize>,
    /// Most events per request.
    pub max_events_per_batch: Option<usize>,
    /// Longest time between an append and a checkpoint covering it, in milliseconds (≤ 1000).
    pub checkpoint_interval_ms: Option<u64>,
    /// Log name used when the data directory is created.
    pub origin: Option<String>,
}

impl ServeConfig {
    /// Read and parse a configuration file.
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }
}
