//! Alert outputs: webhooks (JSON or Slack), syslog (RFC 5424 over UDP or TCP) and stdout, fed
//! through a durable outbox (docs/ALERTS.md).
//!
//! The model: [`Outbox::enqueue`] records, in one redb transaction, one delivery per (output,
//! alert uid) not queued or delivered before; a [`Dispatcher`] thread sends due deliveries
//! oldest first, moves each one sent to the delivered table, and backs off on failure (1 s,
//! doubling, at most 5 min), per delivery and per output. So an alert queued while a receiver is
//! down goes out when it is back, after a restart too, and once per output. The one exception:
//! a crash after a receiver took a delivery and before its batch was recorded sends that batch
//! again after the restart (receivers deduplicate by the alert id header or field).

mod config;
mod defaults;
mod dispatch;
mod error;
mod outbox;
mod payload;
mod queue;
mod slack;
mod stdout;
mod syslog;
mod webhook;

use crate::alert::Alert;

pub use config::{OutputsConfig, SyslogConfig, WebhookConfig};
pub use dispatch::Dispatcher;
pub use error::OutputError;
pub use outbox::Outbox;

/// One alert handed to the outputs: its log seq and the alert.
#[derive(Clone, Copy, Debug)]
pub struct Outgoing<'a> {
    /// The alert's log seq.
    pub seq: u64,
    /// The alert.
    pub alert: &'a Alert,
}
