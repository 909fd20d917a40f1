//! The durable outbox: alerts queued per output in the shared redb database.

use std::sync::Arc;
use std::time::Duration;

use redb::Database;

use super::config::{Output, OutputsConfig};
use super::defaults::RETRY_BASE;
use super::dispatch::{now_ms, Dispatcher, Signal};
use super::error::OutputError;
use super::payload::Stored;
use super::queue::{self, NewItem};
use super::Outgoing;

/// Durable queue of deliveries in a redb database shared with the detector (tables prefixed
/// `output_`).
#[derive(Debug)]
pub struct Outbox {
    db: Arc<Database>,
    outputs: Arc<[Output]>,
    signal: Arc<Signal>,
    retry_base: Duration,
}

impl Outbox {
    /// Validates the config and creates the outbox's tables in `db`.
    pub fn open(db: Arc<Database>, config: &OutputsConfig) -> Result<Outbox, OutputError> {
        let outputs: Arc<[Output]> = config.validate()?.into();
        queue::create_tables(&db)?;
        for (name, waiting) in queue::depth_by_output(&db)? {
            if !outputs.iter().any(|o| o.name == name) {
                tracing::warn!(
                    output = %name,
                    waiting,
                    "alerts outbox: deliveries are queued for an output no longer configured; \
                     they are kept, and go out if it is configured again"
                );
            }
        }
        Ok(Outbox {
            db,
            outputs,
            signal: Arc::default(),
            retry_base: RETRY_BASE,
        })
    }

    /// The same outbox with the first retry after `base` instead of 1 s (for tests and
    /// operations; at least 1 ms).
    pub fn with_retry_base(mut self, base: Duration) -> Self {
        self.retry_base = base.max(Duration::from_millis(1));
        self
    }

    /// Queues each alert for every configured output unless already queued or delivered there;
    /// how many deliveries were queued. Durable when it returns.
    pub fn enqueue(&self, alerts: &[Outgoing<'_>]) -> Result<usize, OutputError> {
        if self.outputs.is_empty() || alerts.is_empty() {
            return Ok(0);
        }
        let now = now_ms();
        let mut stored = Vec::with_capacity(alerts.len());
        for a in alerts {
            let encode = |source| OutputError::Encode {
                uid: a.alert.uid.clone(),
                source,
            };
            let s = Stored::new(a.alert, now).map_err(encode)?;
            stored.push(serde_json::to_vec(&s).map_err(encode)?);
        }
        let items: Vec<NewItem<'_>> = alerts
            .iter()
            .zip(&stored)
            .map(|(a, s)| NewItem {
                seq: a.seq,
                uid: &a.alert.uid,
                stored: s,
            })
            .collect();
        let names: Vec<&str> = self.outputs.iter().map(|o| o.name.as_str()).collect();
        let queued = queue::enqueue(&self.db, &names, &items, now)?;
        if queued > 0 {
            self.signal.wake();
        }
        Ok(queued)
    }

    /// Deliveries waiting (all configured outputs), for metrics.
    pub fn depth(&self) -> Result<u64, OutputError> {
        Ok(self.depth_by_output()?.iter().map(|(_, n)| n).sum())
    }

    /// Deliveries waiting per configured output (zero included), in configuration order.
    pub fn depth_by_output(&self) -> Result<Vec<(String, u64)>, OutputError> {
        let depth = queue::depth_by_output(&self.db)?;
        Ok(self
            .outputs
            .iter()
            .map(|o| (o.name.clone(), depth.get(&o.name).copied().unwrap_or(0)))
            .collect())
    }

    /// Sets the queue depth gauge of each configured output (at scrape time).
    pub fn record_depth(&self) -> Result<(), OutputError> {
        for (name, depth) in self.depth_by_output()? {
            crate::telemetry::record_depth(&name, depth);
        }
        Ok(())
    }

    /// Starts the delivery thread; it runs until the handle's [`Dispatcher::stop`] or drop.
    pub fn start_dispatcher(&self) -> Result<Dispatcher, OutputError> {
        Dispatcher::start(
            Arc::clone(&self.db),
            Arc::clone(&self.outputs),
            Arc::clone(&self.signal),
            self.retry_base,
        )
    }
}
