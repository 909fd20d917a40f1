//! The detector: the engine following a live log. It observes every committed entry in seq
//! order, appends the alerts they raise as Detection Finding entries (source
//! [`DETECT_SOURCE`]), and keeps its place and windows in a redb database beside the log.
//!
//! Crash safety: the stored state names the first entry not yet observed, and is only written
//! when every alert raised before it has been appended. After a crash the detector goes on from
//! there; the entries since are observed again, which raises the same alerts (same events, same
//! order, same uids), and an alert already in the log past that point is not appended again but
//! handed on with its seq (so outputs that missed it still get it). Nothing is lost and nothing
//! is appended twice.
//!
//! The detector does not observe its own alerts: entries from [`DETECT_SOURCE`] are skipped.

mod error;
mod running;
mod saved;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use authtrail_model::Event;
use authtrail_store::query::Record;
use authtrail_store::{EmbeddedLog, PreparedEntry};

pub use error::FollowError;
pub use running::{OnAlerts, Reloader, Running, Summary, SAVE_EVERY};
pub use saved::{Saved, StateDb};

use crate::engine::Engine;
use crate::rule::Rules;
use crate::state::EngineState;
use crate::Alert;

/// The source name of the entries the detector appends.
pub const DETECT_SOURCE: &str = "authtrail-detect";

/// The state database's file name in the data directory.
pub const STATE_FILE: &str = "detect.redb";

/// OCSF class of the alert entries.
const DETECTION_FINDING: u32 = 2004;

/// Entries observed between appends of the alerts they raised.
const BATCH: u64 = 4096;

/// An alert in the log: its seq and the alert.
#[derive(Clone, Debug)]
pub struct Appended {
    /// The alert entry's seq.
    pub seq: u64,
    /// The alert.
    pub alert: Alert,
}

/// The engine following one log, with its durable state.
pub struct Detector {
    log: Arc<EmbeddedLog>,
    state: Arc<StateDb>,
    engine: Engine,
    lateness_ms: i64,
    /// The first entry not yet observed.
    next: u64,
    /// Alerts already in the log at or past the stored position, by uid, with their seqs.
    replayed: HashMap<String, u64>,
    /// The log's size when opened: past it, no alert can have been appended before.
    replay_end: u64,
    saved_at: Instant,
    /// The position last stored.
    saved_next: u64,
}

impl Detector {
    /// Goes on from the stored state in `state` (or from the start of the log) with `rules`.
    pub fn open(
        log: Arc<EmbeddedLog>,
        state: StateDb,
        rules: Rules,
        lateness_ms: i64,
    ) -> Result<Detector, FollowError> {
        let mut detector = Detector {
            engine: Engine::with_lateness(rules.into_vec(), lateness_ms),
            log,
            state: Arc::new(state),
            lateness_ms,
            next: 0,
            replayed: HashMap::new(),
            replay_end: 0,
            saved_at: Instant::now(),
            saved_next: 0,
        };
        detector.resume()?;
        Ok(detector)
    }

    /// Goes back to the stored state, as after a crash: the engine's windows and position as
    /// stored, and the alerts already in the log past it noted so they are not appended again.
    /// After a failed step this is how the detector goes on without counting an event twice.
    pub fn resume(&mut self) -> Result<(), FollowError> {
        let saved = self.state.load()?.unwrap_or_default();
        let size = self.log.size();
        let next = saved.next_seq.min(size);
        let rules = self.engine.rules().to_vec();
        let geo = self.engine.geo().cloned();
        self.engine = Engine::restore(rules, self.lateness_ms, &saved.engine).with_geo(geo);
        self.replayed.clear();
        for seq in next..size {
            let entry = self.log.entry(seq)?;
            if entry.header.source != DETECT_SOURCE {
                continue;
            }
            if let Some(uid) = finding_uid(&entry.body.event) {
                self.replayed.insert(uid, seq);
            }
        }
        if next < size {
            tracing::info!(
                from = next,
                to = size,
                alerts = self.replayed.len(),
                "detection goes on from its stored position"
            );
        }
        self.next = next;
        self.replay_end = size;
        self.saved_next = next;
        self.saved_at = Instant::now();
        Ok(())
    }

    /// The first entry not yet observed.
    pub fn position(&self) -> u64 {
        self.next
    }

    /// The log followed.
    pub fn log(&self) -> &Arc<EmbeddedLog> {
        &self.log
    }

    /// The engine (its rules, groups and watermark).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Runs `rules` from now on; windows of rules whose meaning did not change are kept.
    pub fn set_rules(&mut self, rules: Rules) {
        let state = self.engine.state();
        let geo = self.engine.geo().cloned();
        self.engine = Engine::restore(rules.into_vec(), self.lateness_ms, &state).with_geo(geo);
    }

    /// Looks event sources up in `geo` from now on (velocity and change rules); kept across
    /// rule reloads and resumes.
    pub fn set_geo(&mut self, geo: Option<Arc<crate::geo::GeoIp>>) {
        self.engine.set_geo(geo);
    }

    /// Observes up to one batch of committed entries not yet observed and appends the alerts
    /// they raise; answers those alerts with their seqs (empty when there was nothing new).
    pub fn step(&mut self) -> Result<Vec<Appended>, FollowError> {
        let end = self.log.size().min(self.next + BATCH);
        let mut raised = Vec::new();
        for seq in self.next..end {
            let entry = self.log.entry(seq)?;
            if entry.header.source == DETECT_SOURCE {
                continue;
            }
            let event: serde_json::Value = match serde_json::from_slice(&entry.body.event) {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(seq, error = %e, "entry's event is not JSON; not observed");
                    continue;
                }
            };
            let record = Record {
                seq,
                source: &entry.header.source,
                event: &event,
            };
            raised.extend(self.engine.observe(&record));
        }
        let mut out = Vec::with_capacity(raised.len());
        let mut fresh = Vec::new();
        let mut prepared = Vec::new();
        for alert in raised {
            match self.replayed.remove(&alert.uid) {
                Some(seq) => out.push(Appended { seq, alert }),
                None => {
                    prepared.push(alert_entry(&alert)?);
                    fresh.push(alert);
                }
            }
        }
        let seqs = self.log.append(prepared)?;
        out.extend(seqs.zip(fresh).map(|(seq, alert)| Appended { seq, alert }));
        self.next = end;
        if self.next >= self.replay_end {
            self.replayed.clear();
        }
        Ok(out)
    }

    /// Observes every committed entry not yet observed (its own alerts' entries included, which
    /// it skips), appending alerts as it goes; answers them.
    pub fn catch_up(&mut self) -> Result<Vec<Appended>, FollowError> {
        let mut out = Vec::new();
        while self.next < self.log.size() {
            out.extend(self.step()?);
        }
        Ok(out)
    }

    /// Stores the position and windows now.
    pub fn save(&mut self) -> Result<(), FollowError> {
        let (next, state) = self.snapshot();
        self.state.store(next, state)?;
        self.saved(next);
        Ok(())
    }

    /// The position and windows as they are now, to store (every alert raised before the
    /// position has been appended, so the pair may be stored at any later time).
    pub fn snapshot(&self) -> (u64, EngineState) {
        (self.next, self.engine.state())
    }

    /// Notes that the snapshot at `next` is being stored.
    pub fn saved(&mut self, next: u64) {
        self.saved_at = Instant::now();
        self.saved_next = next;
    }

    /// Whether `every` has passed since the last store and the position moved since.
    pub fn save_due(&self, every: Duration) -> bool {
        self.next != self.saved_next && self.saved_at.elapsed() >= every
    }

    /// The state database (shared with whoever stores snapshots).
    pub fn state_db(&self) -> Arc<StateDb> {
        self.state.clone()
    }
}

/// The uid of a Detection Finding entry's event.
fn finding_uid(event: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(event).ok()?;
    value
        .pointer("/finding_info/uid")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
}

/// The log entry of an alert: its Detection Finding, validated as any event is.
fn alert_entry(alert: &Alert) -> Result<PreparedEntry, FollowError> {
    let bad = |message: String| FollowError::Alert {
        uid: alert.uid.clone(),
        message,
    };
    let event = Event::from_value(alert.to_ocsf()).map_err(|e| bad(e.to_string()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
    // An alert has no raw input: the finding is all there is.
    Ok(PreparedEntry::new(
        DETECT_SOURCE,
        now,
        DETECTION_FINDING,
        event.canonical_bytes(),
        Vec::new(),
    )?
    .with_index_keys_of(&event))
}
