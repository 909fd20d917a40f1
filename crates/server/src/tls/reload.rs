//! A server configuration replaced while the listeners run: each new connection is accepted
//! with the one in force, so a renewed certificate applies to new connections without a
//! restart; connections already open keep theirs.

use std::sync::{Arc, PoisonError, RwLock};

use rustls::ServerConfig;

/// The rustls configuration new connections are accepted with, replaceable at any time.
#[derive(Debug)]
pub struct SharedConfig(RwLock<Arc<ServerConfig>>);

impl SharedConfig {
    /// Starting with `config`.
    pub fn new(config: Arc<ServerConfig>) -> Self {
        SharedConfig(RwLock::new(config))
    }

    /// The configuration in force.
    pub fn current(&self) -> Arc<ServerConfig> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// New connections from now on use `config`.
    pub fn replace(&self, config: Arc<ServerConfig>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = config;
    }
}
