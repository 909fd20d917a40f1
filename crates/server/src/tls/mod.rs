//! TLS for the HTTP API and for syslog (RFC 5425), with optional client certificates (mTLS).
//!
//! The model: [`TlsSettings`] names the certificate, key and client-CA files; [`TlsSetup::load`]
//! turns them into a rustls server configuration (ring provider) or a [`TlsError`] naming the
//! file. Connections are accepted by [`TlsListener`] (HTTP, for `axum::serve`) or
//! [`syslog::run_tls`] (syslog); each handshake runs in its own task with a time limit, so a
//! slow or broken client never holds up another. A verified client certificate is mapped to the
//! sources it may write ([`ClientSources`]) and reaches handlers as a [`ClientIdentity`].
//! [`TlsSetup::reload`] reads the files again (on SIGHUP) and, when they are good, replaces the
//! configuration new connections are accepted with ([`SharedConfig`]).

mod error;
mod handshake;
mod identity;
mod listener;
mod reload;
mod setup;
pub mod syslog;

pub use error::TlsError;
pub use handshake::HANDSHAKE_TIMEOUT;
pub use identity::{ensure_client_may_write, ClientIdentity, ClientSources};
pub use listener::{attach_identity, TlsListener, TlsPeer};
pub use reload::SharedConfig;
pub use setup::{TlsSettings, TlsSetup};
