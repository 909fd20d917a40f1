//! The detector on its own thread: it wakes when the log grows, observes, appends alerts,
//! hands them on, stores its state every few seconds, takes new rules, and on `finish`
//! observes everything committed before it stops.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::{Appended, Detector, FollowError, StateDb};
use crate::rule::Rules;
use crate::state::FrozenState;

/// How often the detector stores its state while entries arrive, at most. After a crash, the
/// traffic since the last store is observed again (its alerts are not appended twice).
pub const SAVE_EVERY: Duration = Duration::from_secs(2);

/// Taking a snapshot stalls the detector (it takes a reference to every group: see
/// [`Engine::freeze`](crate::Engine::freeze)); stores are spaced so that this takes at most
/// 1/`SNAPSHOT_SHARE` of its time: a large state is stored less often.
const SNAPSHOT_SHARE: u32 = 100;

/// Likewise, stores are spaced so that making and writing one (on the saving thread, which
/// shares the machine with ingest and detection) takes at most 1/`STORE_SHARE` of the time.
const STORE_SHARE: u32 = 10;

/// Stores snapshots of the detector's state on its own thread, so the detector goes on while a
/// large state is encoded and committed; a snapshot is only taken when the last one is stored.
struct Saver {
    /// The time between stores: [`SAVE_EVERY`], or longer after a slow snapshot.
    every: Duration,
    idle: Arc<AtomicBool>,
    /// How long the last store took, ms.
    store_ms: Arc<AtomicU64>,
    snapshots: Option<mpsc::SyncSender<(u64, FrozenState)>>,
    thread: Option<JoinHandle<()>>,
}

impl Saver {
    fn start(db: Arc<StateDb>) -> std::io::Result<Saver> {
        let idle = Arc::new(AtomicBool::new(true));
        let (tx, rx) = mpsc::sync_channel::<(u64, FrozenState)>(1);
        let flag = idle.clone();
        let store_ms = Arc::new(AtomicU64::new(0));
        let last_store = store_ms.clone();
        let thread = std::thread::Builder::new()
            .name("authtrail-detect-save".into())
            .spawn(move || {
                lower_priority();
                for (next, frozen) in rx {
                    let started = std::time::Instant::now();
                    let state = frozen.into_state();
                    let made = started.elapsed();
                    if let Err(e) = db.store(next, state) {
                        tracing::error!(error = %e, "storing the detection state; will retry");
                    }
                    let took = started.elapsed();
                    tracing::debug!(
                        ms = took.as_secs_f64() * 1e3,
                        made_ms = made.as_secs_f64() * 1e3,
                        next,
                        "detection state stored"
                    );
                    last_store.store(
                        took.as_millis().try_into().unwrap_or(u64::MAX),
                        Ordering::Release,
                    );
                    flag.store(true, Ordering::Release);
                }
            })?;
        Ok(Saver {
            every: SAVE_EVERY,
            idle,
            store_ms,
            snapshots: Some(tx),
            thread: Some(thread),
        })
    }

    /// Hands the detector's snapshot over if one is due and the last one is stored; whether it
    /// did.
    fn offer(&mut self, detector: &mut Detector) -> bool {
        if !detector.save_due(self.every) || !self.idle.load(Ordering::Acquire) {
            return false;
        }
        let Some(tx) = &self.snapshots else {
            return false;
        };
        let started = std::time::Instant::now();
        let (next, state) = detector.frozen_snapshot();
        let took = started.elapsed();
        let stored = Duration::from_millis(self.store_ms.load(Ordering::Acquire));
        self.every = SAVE_EVERY
            .max(took * SNAPSHOT_SHARE)
            .max(stored * STORE_SHARE);
        tracing::debug!(
            ms = took.as_secs_f64() * 1e3,
            next,
            every_s = self.every.as_secs_f64(),
            "detection state snapshot taken"
        );
        self.idle.store(false, Ordering::Release);
        if tx.send((next, state)).is_err() {
            return false;
        }
        detector.saved(next);
        true
    }

    /// Waits for the snapshots handed over to be stored.
    fn finish(&mut self) {
        self.snapshots.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Makes the calling thread yield the CPU to ingest and detection (nice 10): a store may be late,
/// an alert should not be.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(None, SAVER_NICE) {
        tracing::debug!(error = %e, "could not lower the saving thread's priority");
    }
}

/// The saving thread's nice value (Linux: per thread).
#[cfg(target_os = "linux")]
const SAVER_NICE: i32 = 10;

impl Drop for Saver {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Longest the detector sleeps without looking at the stop flag.
const WAIT: Duration = Duration::from_millis(100);

/// Pause after a failed step before going back to the stored state and on.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// What a detector did while it ran.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Alerts handed on (appended, or found appended by an earlier run), by rule id.
    pub alerts_by_rule: BTreeMap<String, u64>,
    /// The first entry not observed when it stopped.
    pub position: u64,
}

impl Summary {
    /// Alerts handed on, all rules.
    pub fn alerts(&self) -> u64 {
        self.alerts_by_rule.values().sum()
    }
}

/// Called with each group of alerts as they are appended; an error keeps the detector from
/// storing a position past them, so a restart hands them on again.
pub type OnAlerts = Box<dyn FnMut(&[Appended]) -> Result<(), String> + Send>;

/// Replaces a running detector's rules.
#[derive(Clone, Debug)]
pub struct Reloader(Sender<Rules>);

impl Reloader {
    /// Runs `rules` from the next entry on (windows of rules whose meaning is unchanged are
    /// kept); false when the detector has stopped.
    pub fn reload(&self, rules: Rules) -> bool {
        self.0.send(rules).is_ok()
    }
}

/// A detector running on its thread.
pub struct Running {
    stop: Arc<AtomicBool>,
    rules: Sender<Rules>,
    thread: Option<JoinHandle<Result<Summary, FollowError>>>,
}

impl Running {
    /// Starts `detector` on a thread named `authtrail-detect`.
    pub fn start(detector: Detector, on_alerts: OnAlerts) -> std::io::Result<Running> {
        let stop = Arc::new(AtomicBool::new(false));
        let (rules, updates) = mpsc::channel();
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("authtrail-detect".into())
            .spawn(move || run(detector, on_alerts, &flag, &updates))?;
        Ok(Running {
            stop,
            rules,
            thread: Some(thread),
        })
    }

    /// A handle that replaces the rules from another thread (a signal handler).
    pub fn reloader(&self) -> Reloader {
        Reloader(self.rules.clone())
    }

    /// Observes every entry committed so far (and the alerts they raise), stores the state and
    /// stops; answers what it did.
    pub fn finish(mut self) -> Result<Summary, FollowError> {
        self.stop.store(true, Ordering::Release);
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(FollowError::Thread("the detector panicked".into())),
            None => Ok(Summary::default()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(
    mut detector: Detector,
    mut on_alerts: OnAlerts,
    stop: &AtomicBool,
    updates: &Receiver<Rules>,
) -> Result<Summary, FollowError> {
    let mut summary = Summary::default();
    // A failed hand-on: the position must not be stored past alerts not handed on.
    let mut hold_saves = false;
    let mut saver = Saver::start(detector.state_db())
        .map_err(|e| FollowError::Thread(format!("starting the state saver: {e}")))?;
    loop {
        let stopping = stop.load(Ordering::Acquire);
        while let Ok(rules) = updates.try_recv() {
            tracing::info!(rules = rules.len(), "detection rules replaced");
            detector.set_rules(rules);
        }
        match step_all(&mut detector, &mut on_alerts, &mut summary) {
            Ok(handed) => hold_saves |= !handed,
            Err(e) if stopping => return Err(e),
            Err(e) => {
                tracing::error!(error = %e, "detection step failed; going back to the stored state");
                std::thread::sleep(RETRY_AFTER);
                if let Err(e) = detector.resume() {
                    tracing::error!(error = %e, "detection cannot resume");
                }
                continue;
            }
        }
        if stopping {
            saver.finish();
            if !hold_saves {
                detector.save()?;
            }
            summary.position = detector.position();
            return Ok(summary);
        }
        if !hold_saves {
            saver.offer(&mut detector);
        }
        let position = detector.position();
        detector.log().wait_for_growth(position, WAIT);
    }
}

/// Observes everything committed; answers whether every alert was handed on.
fn step_all(
    detector: &mut Detector,
    on_alerts: &mut OnAlerts,
    summary: &mut Summary,
) -> Result<bool, FollowError> {
    let mut handed = true;
    while detector.position() < detector.log().size() {
        let alerts = detector.step()?;
        if alerts.is_empty() {
            continue;
        }
        for a in &alerts {
            *summary
                .alerts_by_rule
                .entry(a.alert.rule_id.clone())
                .or_default() += 1;
        }
        if let Err(e) = on_alerts(&alerts) {
            tracing::error!(error = %e, "handing alerts on failed; a restart hands them on again");
            handed = false;
        }
    }
    Ok(handed)
}
