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
mod pruned;
mod running;
mod saved;

use std::collections::HashMap;
use std::ops::Range;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use authtrail_model::Event;
use authtrail_store::{EmbeddedLog, PreparedEntry};

pub use error::FollowError;
pub use running::{OnAlerts, Reloader, Running, Summary, SAVE_EVERY};
pub use saved::{Saved, StateDb, WINDOWS_FILE};

use crate::engine::Engine;
use crate::rule::Rules;
use crate::state::{EngineState, FrozenState};
use crate::Alert;

/// The source name of the entries the detector appends.
pub const DETECT_SOURCE: &str = "authtrail-detect";

/// The state database's file name in the data directory.
pub const STATE_FILE: &str = "detect.redb";

/// OCSF class of the alert entries.
const DETECTION_FINDING: u32 = 2004;

/// Entries observed between appends of the alerts they raised.
const BATCH: u64 = 16_384;

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
    /// What events are parsed for: the engine's rules (see [`reading`]).
    paths: Option<pruned::Paths>,
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
        let engine = Engine::with_lateness(rules.into_vec(), lateness_ms);
        let mut detector = Detector {
            paths: reading(engine.rules()),
            engine,
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
        self.paths = reading(self.engine.rules());
    }

    /// Looks event sources up in `geo` from now on (velocity and change rules); kept across
    /// rule reloads and resumes.
    pub fn set_geo(&mut self, geo: Option<Arc<crate::geo::GeoIp>>) {
        self.engine.set_geo(geo);
    }

    /// Observes up to one batch of committed entries not yet observed and appends the alerts
    /// they raise; answers those alerts with their seqs (empty when there was nothing new).
    ///
    /// A long batch is read back and parsed on a second thread, a chunk ahead of the engine
    /// (reading and parsing take about a third of the detector's time).
    pub fn step(&mut self) -> Result<Vec<Appended>, FollowError> {
        let start = self.next;
        let end = self.log.size().min(start + BATCH);
        let mut raised = Vec::new();
        let paths = self.paths.as_ref();
        let engine = &mut self.engine;
        let mut observe = |batch: Vec<ReadBack>| {
            for entry in &batch {
                let values = entry.event.values(entry.seq, &entry.source, paths);
                raised.extend(engine.observe_values(values));
            }
            batch
        };
        if end - start < PIPELINE_MIN {
            observe(read_back(&self.log, start..end, paths)?);
        } else {
            let log = &self.log;
            std::thread::scope(|scope| -> Result<(), FollowError> {
                let (batches, parsed) = mpsc::sync_channel(2);
                // The engine hands observed chunks back, to be freed off its thread.
                let (spent, to_free) = mpsc::channel::<Vec<ReadBack>>();
                let reader = std::thread::Builder::new()
                    .name("authtrail-detect-read".into())
                    .spawn_scoped(scope, move || {
                        let mut at = start;
                        while at < end {
                            let to = end.min(at + READ_CHUNK);
                            let batch = read_back(log, at..to, paths);
                            let failed = batch.is_err();
                            if batches.send(batch).is_err() || failed {
                                break;
                            }
                            while let Ok(done) = to_free.try_recv() {
                                drop(done);
                            }
                            at = to;
                        }
                    })
                    .map_err(|e| FollowError::Thread(format!("starting the reader: {e}")))?;
                let observed = parsed.into_iter().try_for_each(|batch| {
                    let _ = spent.send(observe(batch?));
                    Ok(())
                });
                reader
                    .join()
                    .map_err(|_| FollowError::Thread("the reader panicked".into()))?;
                observed
            })?;
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
        crate::telemetry::record_alerts(&fresh);
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

    /// Like [`snapshot`](Detector::snapshot), frozen ([`Engine::freeze`]): the detector's stall
    /// is a reference per group, and whoever stores it makes the state on its own thread
    /// ([`FrozenState::into_state`]).
    pub fn frozen_snapshot(&self) -> (u64, FrozenState) {
        (self.next, self.engine.freeze())
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

/// Entries read back and parsed per hand-over from the reading thread to the engine.
const READ_CHUNK: u64 = 512;

/// Batches shorter than this are read on the detector's own thread (a thread is not worth
/// starting for a few entries, as when following a live log).
const PIPELINE_MIN: u64 = 2 * READ_CHUNK;

/// An entry to observe: its seq, its source and its event as parsed for the engine.
struct ReadBack {
    seq: u64,
    source: String,
    event: pruned::Parsed,
}

/// How the detector parses events for its rules: whole when some rule reads beyond the query
/// fields (a Sigma detection reads any OCSF path), else pruned to what the rules read.
fn reading(rules: &[crate::Rule]) -> Option<pruned::Paths> {
    let mut fields = Vec::new();
    for rule in rules {
        fields.extend(rule.fields_read()?);
    }
    Some(pruned::Paths::for_fields(fields))
}

/// The entries of `range` to observe, read back and parsed (whole without `paths`, else
/// pruned to them): the detector's own alerts are skipped, and so is an event that is not JSON
/// (with a warning).
fn read_back(
    log: &EmbeddedLog,
    range: Range<u64>,
    paths: Option<&pruned::Paths>,
) -> Result<Vec<ReadBack>, FollowError> {
    let mut out = Vec::with_capacity((range.end - range.start) as usize);
    for entry in log.entries(range)? {
        let seq = entry.header.seq;
        if entry.header.source == DETECT_SOURCE {
            continue;
        }
        match pruned::parse(&entry.body.event, paths) {
            Ok(event) => out.push(ReadBack {
                seq,
                source: entry.header.source,
                event,
            }),
            Err(e) => tracing::warn!(seq, error = %e, "entry's event is not JSON; not observed"),
        }
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    /// An event of any class, activity and outcome, with or without each attribute a
    /// built-in rule reads, from a few users, addresses, sessions and places.
    fn event() -> impl Strategy<Value = Value> {
        (
            (0usize..3, 0usize..4, 0usize..3, 0usize..4, 0usize..5),
            (0usize..3, 0usize..3, any::<bool>(), 0usize..4, 0usize..4),
            0i64..20,
        )
            .prop_map(
                |((class, activity, status, user, ip), (session, token, mfa, place, ua), dt)| {
                    let class_uid = [3002, 3003, 6003][class];
                    let class_name = ["Authentication", "Authorize Session", "API Activity"][class];
                    let activity_id = [1, 2, 5, 99][activity];
                    let activity_name =
                        ["Logon", "Logoff", "Service Ticket Renew", "Other"][activity];
                    let status = ["Failure", "Success", "Unknown"][status];
                    let mut e = json!({
                        "class_uid": class_uid,
                        "class_name": class_name,
                        "activity_id": activity_id,
                        "activity_name": activity_name,
                        "status": status,
                        "time": 1_781_049_630_000_i64 + dt * 20_000,
                        "message": "long text no rule reads",
                        "metadata": {"product": {"name": "OpenSSH"}, "version": "1.6.0"},
                    });
                    if let Some(name) = ["alice", "bob", "carol"].get(user) {
                        e["user"] = json!({ "name": name });
                    }
                    let ips = ["192.0.2.1", "192.0.2.2", "198.51.100.7", "2001:db8::1"];
                    if let Some(ip) = ips.get(ip) {
                        e["src_endpoint"] = json!({"ip": ip, "port": 22});
                    }
                    if let Some(uid) = ["s-1", "s-2"].get(session) {
                        e["session"] = json!({ "uid": uid });
                        if let Some(token) = ["t-1", "t-2"].get(token) {
                            e["session"]["credential_uid"] = json!(token);
                        }
                    }
                    if mfa {
                        e["is_mfa"] = json!(true);
                    }
                    let places = [
                        ("FR", 48.85, 2.35, 3215),
                        ("US", 40.71, -74.0, 7018),
                        ("JP", 35.68, 139.69, 2516),
                    ];
                    if let (Some((country, lat, long, asn)), true) =
                        (places.get(place), e.get("src_endpoint").is_some())
                    {
                        e["src_endpoint"]["location"] =
                            json!({"country": country, "lat": lat, "long": long});
                        e["src_endpoint"]["autonomous_system"] =
                            json!({"number": asn, "name": "AS"});
                    }
                    let agents = [
                        "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
                        "curl/8.4.0",
                        "python-requests/2.31",
                    ];
                    if let Some(agent) = agents.get(ua) {
                        e["http_request"] = json!({ "user_agent": agent });
                    }
                    e
                },
            )
    }

    /// The alerts of the built-in rules over `events`, parsed as the detector parses them:
    /// whole without `paths`, else pruned to them.
    fn alerts(events: &[Value], paths: Option<&pruned::Paths>) -> Vec<(String, String, Vec<u64>)> {
        let mut engine = Engine::with_lateness(Rules::builtin().unwrap().into_vec(), 60_000);
        let mut out = Vec::new();
        for (seq, e) in events.iter().enumerate() {
            let parsed = pruned::parse(&serde_json::to_vec(e).unwrap(), paths).unwrap();
            for a in engine.observe_values(parsed.values(seq as u64, "src", paths)) {
                out.push((a.uid, a.rule_id, a.evidence));
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Events pruned to what the built-in rules read raise exactly the alerts whole ones do.
        #[test]
        fn pruned_events_raise_what_whole_ones_raise(events in prop::collection::vec(event(), 1..300)) {
            let rules = Rules::builtin().unwrap().into_vec();
            let paths = reading(&rules).expect("the built-in rules read only query fields");
            let whole = alerts(&events, None);
            prop_assert!(!whole.is_empty() || events.len() < 50, "no alert from {} events", events.len());
            let pruned = alerts(&events, Some(&paths));
            prop_assert_eq!(pruned, whole);
        }
    }

    #[test]
    fn pruning_for_the_built_in_rules_drops_what_none_reads() {
        let rules = Rules::builtin().unwrap().into_vec();
        let paths = reading(&rules).unwrap();
        let json = br#"{"message":"m","user":{"name":"a"},"time":5}"#;
        let parsed = pruned::parse(json, Some(&paths)).unwrap();
        assert!(
            parsed.event.get("message").is_none(),
            "no built-in rule reads message"
        );
        assert!(
            parsed.event.get("user").is_none(),
            "user is read through its field"
        );
        assert_eq!(parsed.event["time"], 5);
        assert!(parsed.texts.iter().flatten().any(|t| t == "a"));
        assert!(!parsed.texts.iter().flatten().any(|t| t == "m"));
    }
}
