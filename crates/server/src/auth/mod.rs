//! Authentication of callers (DESIGN.md §5, docs/ACCESS.md).
//!
//! The model: a caller sends `Authorization: Bearer at_<id>_<secret>`. The token file
//! ([`store`]) keeps, per token, its scopes ([`scope`]: `ingest`, `read`, `admin`), the sources
//! an ingest token may write as, and the SHA-256 of its secret ([`token`]). The server reads
//! that file again whenever it changes ([`live`]), so the CLI can create and revoke tokens while
//! `serve` runs. The authorization layer ([`middleware`]) looks up what the matched route needs
//! in one table ([`policy::ROUTES`]) and answers 401 (no token, or a malformed, unknown or
//! revoked one) or 403 (the scope is missing) before the handler runs; ingest handlers then
//! check the source through the request's [`Caller`].

pub mod caller;
pub mod configured;
pub mod live;
pub mod middleware;
pub mod policy;
pub mod scope;
pub mod store;
pub mod token;

use std::sync::Arc;

pub use caller::Caller;
pub use configured::ConfiguredToken;
pub use live::LiveTokens;
pub use scope::Scope;
pub use store::{TokenRecord, TokenSpec, TokenStore, TokenStoreError};

/// How the API decides who may call what.
#[derive(Clone, Debug)]
pub enum Access {
    /// No tokens: every caller may do everything. For in-process tests and embedding; `authtrail
    /// serve` always uses [`Access::Tokens`].
    Open,
    /// Callers authenticate with a token from the token file.
    Tokens(Arc<TokenAccess>),
}

/// Token-checked access.
#[derive(Debug)]
pub struct TokenAccess {
    /// The tokens.
    pub tokens: LiveTokens,
    /// Whether `/checkpoint` and `/tile/...` are open to anyone (else they need `read`).
    pub public_tlog: bool,
}

impl Access {
    /// Access checked against the token file of `store`.
    pub fn tokens(store: TokenStore, public_tlog: bool) -> Result<Self, TokenStoreError> {
        Access::tokens_with(store, Vec::new(), public_tlog)
    }

    /// Access checked against the token file of `store` and the `configured` tokens.
    pub fn tokens_with(
        store: TokenStore,
        configured: Vec<ConfiguredToken>,
        public_tlog: bool,
    ) -> Result<Self, TokenStoreError> {
        Ok(Access::Tokens(Arc::new(TokenAccess {
            tokens: LiveTokens::open_with(store, configured)?,
            public_tlog,
        })))
    }
}
