//! Every default and limit of the alert outputs, each with the reason for its value.

use std::time::Duration;

/// A webhook request's whole time (connect to response): long enough for a slow receiver on
/// another continent, short enough that one dead receiver holds the single delivery thread
/// back at most this long per attempt.
pub const WEBHOOK_TIMEOUT_MS: u64 = 5_000;

/// Syslog facility: alerts are about authentication, which is what `authpriv` is for (and it is
/// kept out of world-readable files on common syslog setups).
pub const SYSLOG_FACILITY: &str = "authpriv";

/// Syslog APP-NAME: the program's name, as receivers filter on it.
pub const SYSLOG_APP_NAME: &str = "authtrail";

/// Connect and write timeout of a syslog TCP connection: as for webhooks.
pub const SYSLOG_TCP_TIMEOUT: Duration = Duration::from_millis(WEBHOOK_TIMEOUT_MS);

/// The first retry's delay; each further failure doubles it. One second rides out a receiver's
/// restart without hammering it.
pub const RETRY_BASE: Duration = Duration::from_secs(1);

/// The longest delay between two attempts: a receiver back from a long outage gets its backlog
/// within five minutes.
pub const RETRY_CAP: Duration = Duration::from_secs(300);

/// Deliveries sent to one output before the dispatcher records them and turns to the next
/// output: bounds what a crash can send twice, and keeps outputs taking turns.
pub const BATCH_MAX: usize = 64;

/// Time spent on one output's batch before turning to the next output.
pub const BATCH_TIME: Duration = Duration::from_secs(1);

/// How long a delivered (output, alert) pair is remembered, so that an alert handed again (a
/// detector restarting from its last checkpoint) is not sent twice. Thirty days is far longer
/// than any checkpoint interval and keeps the table small.
pub const DELIVERED_KEEP: Duration = Duration::from_secs(30 * 24 * 3600);

/// How often the dispatcher forgets delivered pairs older than [`DELIVERED_KEEP`].
pub const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// How long the dispatcher waits before trying again after its own database failed.
pub const STORE_RETRY: Duration = Duration::from_secs(1);
