//! The delivery thread: sends due deliveries oldest first, records each outcome, backs off.
//!
//! Each round takes, per output whose gate is open, up to [`BATCH_MAX`] due deliveries (for at
//! most [`BATCH_TIME`]), sends them in order, stops that output at its first failure, and
//! records the outcomes in one transaction. A failed delivery is due again after
//! [`backoff`]`(its attempts)`; the failing output is also gated for [`backoff`]`(its
//! consecutive failures)`, so a dead receiver gets one attempt per gate however long its queue,
//! while the other outputs go on. A success ends the output's run of failures. Between rounds
//! the thread sleeps until the next due time, an enqueue, or a stop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use redb::Database;
use reqwest::blocking::Client;

use super::config::{Kind, Output};
use super::defaults::{BATCH_MAX, BATCH_TIME, DELIVERED_KEEP, PRUNE_EVERY, RETRY_CAP, STORE_RETRY};
use super::error::{OutputError, SendError};
use super::payload::{Delivery, Stored};
use super::queue::{self, Outcome};
use super::stdout::Lines;
use super::syslog::{self, Syslog};
use super::webhook::Webhook;

/// The delay before attempt `failures + 1` after `failures` failures in a row: `base`, then
/// doubling, at most [`RETRY_CAP`].
pub(crate) fn backoff(base: Duration, failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(31);
    base.checked_mul(1u32 << doublings)
        .map_or(RETRY_CAP, |d| d.min(RETRY_CAP))
}

/// Now, ms since the epoch.
pub(crate) fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The handoff between the outbox (enqueue, stop) and the delivery thread.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    state: Mutex<SignalState>,
    wakeup: Condvar,
    running: AtomicBool,
}

#[derive(Debug, Default)]
struct SignalState {
    /// Enqueues so far (the thread sleeps only while this is unchanged).
    wakes: u64,
    /// Set to end the thread.
    stop: bool,
}

impl Signal {
    fn state(&self) -> std::sync::MutexGuard<'_, SignalState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes the thread: new deliveries are queued.
    pub fn wake(&self) {
        self.state().wakes += 1;
        self.wakeup.notify_all();
    }

    fn stop(&self) {
        self.state().stop = true;
        self.wakeup.notify_all();
    }

    /// The enqueue count, or None when stopping.
    fn wakes(&self) -> Option<u64> {
        let s = self.state();
        (!s.stop).then_some(s.wakes)
    }

    fn stopping(&self) -> bool {
        self.state().stop
    }

    /// Sleeps until an enqueue after `seen`, a stop, or `timeout`.
    fn wait(&self, seen: u64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut s = self.state();
        while s.wakes == seen && !s.stop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            s = self
                .wakeup
                .wait_timeout(s, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// Clears the running flag when the thread ends, however it ends.
struct Running(Arc<Signal>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.store(false, Ordering::SeqCst);
    }
}

/// The running delivery thread; [`stop`](Dispatcher::stop) or drop ends it.
#[derive(Debug)]
pub struct Dispatcher {
    signal: Arc<Signal>,
    thread: Option<JoinHandle<()>>,
}

impl Dispatcher {
    /// Starts the thread over `outputs` (see [`Outbox::start_dispatcher`](super::Outbox::start_dispatcher)).
    pub(crate) fn start(
        db: Arc<Database>,
        outputs: Arc<[Output]>,
        signal: Arc<Signal>,
        retry_base: Duration,
    ) -> Result<Dispatcher, OutputError> {
        if signal
            .running
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return Err(OutputError::AlreadyRunning);
        }
        signal.state().stop = false;
        let running = Running(Arc::clone(&signal));
        let thread_signal = Arc::clone(&signal);
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        let spawned = thread::Builder::new()
            .name("authtrail-alerts".into())
            .spawn(move || {
                let _running = running;
                match Worker::new(db, &outputs, thread_signal, retry_base) {
                    Ok(worker) => {
                        let _ = ready_tx.send(Ok(()));
                        worker.run();
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        let thread = match spawned {
            Ok(t) => t,
            Err(e) => {
                // The closure, and the running flag's guard in it, were dropped.
                return Err(OutputError::Start(e.to_string()));
            }
        };
        let started = ready_rx.recv();
        match started {
            Ok(Ok(())) => Ok(Dispatcher {
                signal,
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(OutputError::Start(
                    "the delivery thread ended while starting".into(),
                ))
            }
        }
    }

    /// Stops the thread after the delivery in flight, and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.signal.stop();
            if thread.join().is_err() {
                tracing::error!("alerts dispatcher thread panicked");
            }
        }
    }
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Where one output's deliveries go.
enum Sink {
    Webhook(Webhook),
    Syslog(Syslog),
    Stdout(Lines<std::io::Stdout>),
}

impl Sink {
    fn send(&mut self, d: &Delivery) -> Result<(), SendError> {
        match self {
            Sink::Webhook(w) => w.send(d),
            Sink::Syslog(s) => s.send(d),
            Sink::Stdout(l) => l.send(d),
        }
    }
}

/// One output's sink and its run of failures.
struct Lane {
    name: String,
    sink: Sink,
    /// Failures in a row.
    failures: u32,
    /// No attempt before this (ms since the epoch).
    gate_ms: i64,
}

/// When the next round is due.
enum Next {
    /// Some output has more due deliveries.
    Now,
    /// At this time (ms since the epoch), or never if None.
    At(Option<i64>),
}

/// The delivery thread's state.
struct Worker {
    db: Arc<Database>,
    lanes: Vec<Lane>,
    signal: Arc<Signal>,
    retry_base: Duration,
    last_prune: Option<Instant>,
}

impl Worker {
    /// The outputs' sinks (one HTTP client shared by all webhooks).
    fn new(
        db: Arc<Database>,
        outputs: &[Output],
        signal: Arc<Signal>,
        retry_base: Duration,
    ) -> Result<Worker, OutputError> {
        let mut client = None;
        let hostname = syslog::hostname();
        let mut lanes = Vec::with_capacity(outputs.len());
        for output in outputs {
            let sink = match &output.kind {
                Kind::Webhook {
                    url,
                    secret,
                    format,
                    timeout,
                } => {
                    let client = match &client {
                        Some(c) => Client::clone(c),
                        None => client.insert(http_client()?).clone(),
                    };
                    Sink::Webhook(Webhook::new(
                        client,
                        url.clone(),
                        secret.clone(),
                        *format,
                        *timeout,
                    ))
                }
                Kind::Syslog {
                    address,
                    transport,
                    facility,
                    app_name,
                } => Sink::Syslog(Syslog::new(
                    address.clone(),
                    *transport,
                    *facility,
                    app_name.clone(),
                    hostname.clone(),
                )),
                Kind::Stdout => Sink::Stdout(Lines::new(std::io::stdout())),
            };
            lanes.push(Lane {
                name: output.name.clone(),
                sink,
                failures: 0,
                gate_ms: i64::MIN,
            });
        }
        Ok(Worker {
            db,
            lanes,
            signal,
            retry_base,
            last_prune: None,
        })
    }

    /// Rounds until stopped.
    fn run(mut self) {
        while let Some(seen) = self.signal.wakes() {
            self.prune_if_due();
            let wait = match self.round() {
                Ok(Next::Now) => continue,
                Ok(Next::At(at)) => {
                    let until_prune = PRUNE_EVERY
                        .saturating_sub(self.last_prune.map_or(Duration::ZERO, |t| t.elapsed()));
                    at.map_or(until_prune, |at| {
                        let ms = u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0);
                        Duration::from_millis(ms).min(until_prune)
                    })
                }
                Err(e) => {
                    tracing::warn!(error = %e, "alerts dispatcher: outbox unreadable, trying again");
                    STORE_RETRY
                }
            };
            self.signal.wait(seen, wait);
        }
    }

    /// One batch per output whose gate is open.
    fn round(&mut self) -> Result<Next, OutputError> {
        let mut more = false;
        let mut next: Option<i64> = None;
        let earliest = |next: &mut Option<i64>, at: i64| {
            *next = Some(next.map_or(at, |n: i64| n.min(at)));
        };
        for i in 0..self.lanes.len() {
            if self.signal.stopping() {
                return Ok(Next::At(None));
            }
            let now = now_ms();
            let lane = &self.lanes[i];
            if lane.gate_ms > now {
                earliest(&mut next, lane.gate_ms);
                continue;
            }
            let due = queue::due(&self.db, &lane.name, now, BATCH_MAX)?;
            if let Some(at) = due.next_ms {
                earliest(&mut next, at);
            }
            if due.items.is_empty() {
                continue;
            }
            let full = due.items.len() == BATCH_MAX;
            match self.send_batch(i, due.items)? {
                Batch::Done => more |= full,
                Batch::Cut => more = true,
                Batch::Failed => earliest(&mut next, self.lanes[i].gate_ms),
            }
        }
        Ok(if more { Next::Now } else { Next::At(next) })
    }

    /// Sends lane `i`'s due deliveries until one fails, the batch's time is up, or a stop;
    /// records the outcomes.
    fn send_batch(&mut self, i: usize, items: Vec<queue::Queued>) -> Result<Batch, OutputError> {
        let started = Instant::now();
        let mut outcomes = Vec::with_capacity(items.len());
        let mut result = Batch::Done;
        let count = items.len();
        let lane = &mut self.lanes[i];
        for (n, item) in items.into_iter().enumerate() {
            if n > 0 && (started.elapsed() >= BATCH_TIME || self.signal.stopping()) {
                result = Batch::Cut;
                break;
            }
            let sent = serde_json::from_slice::<Stored>(&item.stored)
                .map_err(SendError::Unreadable)
                .and_then(|stored| {
                    lane.sink.send(&Delivery {
                        seq: item.seq,
                        stored,
                    })
                });
            match sent {
                Ok(()) => {
                    lane.failures = 0;
                    outcomes.push((item.uid, Outcome::Delivered));
                }
                Err(e) => {
                    let attempts = item.attempts.saturating_add(1);
                    let now = now_ms();
                    let retry_in = backoff(self.retry_base, attempts);
                    tracing::warn!(
                        output = %lane.name,
                        uid = %item.uid,
                        seq = item.seq,
                        attempt = attempts,
                        retry_in_ms = retry_in.as_millis() as u64,
                        error = %e,
                        "alert delivery failed"
                    );
                    // A delivery that cannot be read back is its own fault, not the receiver's.
                    if !matches!(e, SendError::Unreadable(_)) {
                        lane.failures = lane.failures.saturating_add(1);
                        let gate = backoff(self.retry_base, lane.failures);
                        lane.gate_ms = now.saturating_add(gate.as_millis() as i64);
                    }
                    outcomes.push((
                        item.uid,
                        Outcome::Failed {
                            attempts,
                            next_ms: now.saturating_add(retry_in.as_millis() as i64),
                        },
                    ));
                    result = Batch::Failed;
                    break;
                }
            }
        }
        tracing::trace!(output = %lane.name, due = count, sent = outcomes.len(), "alerts batch");
        let delivered = outcomes
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Delivered))
            .count() as u64;
        crate::telemetry::record_deliveries(
            &lane.name,
            delivered,
            outcomes.len() as u64 - delivered,
        );
        queue::record(&self.db, &lane.name, &outcomes, now_ms())?;
        Ok(result)
    }

    /// Forgets deliveries older than [`DELIVERED_KEEP`], at start and every [`PRUNE_EVERY`].
    fn prune_if_due(&mut self) {
        if self.last_prune.is_some_and(|t| t.elapsed() < PRUNE_EVERY) {
            return;
        }
        self.last_prune = Some(Instant::now());
        let cutoff = now_ms().saturating_sub(DELIVERED_KEEP.as_millis() as i64);
        match queue::prune_delivered(&self.db, cutoff) {
            Ok(0) => {}
            Ok(n) => tracing::debug!(pruned = n, "alerts outbox: forgot old deliveries"),
            Err(e) => tracing::warn!(error = %e, "alerts outbox: pruning old deliveries failed"),
        }
    }
}

/// How a batch ended.
enum Batch {
    /// All sent.
    Done,
    /// Time was up (or a stop came) before the end.
    Cut,
    /// A delivery failed.
    Failed,
}

/// The HTTP client of the webhooks: no redirects (a redirected POST is not a delivery).
fn http_client() -> Result<Client, OutputError> {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("authtrail/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| OutputError::Start(format!("HTTP client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_to_the_cap() {
        let s = Duration::from_secs;
        let schedule: Vec<Duration> = (1..=10).map(|n| backoff(s(1), n)).collect();
        assert_eq!(
            schedule,
            [
                s(1),
                s(2),
                s(4),
                s(8),
                s(16),
                s(32),
                s(64),
                s(128),
                s(256),
                s(300)
            ]
        );
        assert_eq!(backoff(s(1), 0), s(1));
        assert_eq!(backoff(s(1), 40), s(300));
        assert_eq!(backoff(s(1), u32::MAX), s(300));
        assert_eq!(
            backoff(Duration::from_millis(10), 3),
            Duration::from_millis(40)
        );
    }

    #[test]
    fn a_wake_before_the_wait_is_not_lost() {
        let signal = Signal::default();
        let seen = signal.wakes().unwrap();
        signal.wake();
        // Returns at once: the enqueue came after `seen` was read.
        signal.wait(seen, Duration::from_secs(3600));
        signal.stop();
        assert_eq!(signal.wakes(), None);
    }
}
