//! Detection as `serve` and `ingest` run it: the rules (built-ins and the configured file), the
//! detector following the log from its stored state, and rule reloads.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use authtrail_detect::follow::{Appended, Reloader, StateDb, Summary, STATE_FILE};
use authtrail_detect::output::{Dispatcher, Outbox, Outgoing, OutputsConfig};
use authtrail_detect::{Detector, GeoIp, Rules, Running, DEFAULT_LATENESS_MS};
use authtrail_store::EmbeddedLog;

use crate::config::DetectSettings;

/// The rules and GeoIP databases detection starts with.
pub struct Loaded {
    /// The rules: built-ins, the rule file, the Sigma rules.
    pub rules: Rules,
    /// The GeoIP databases, when configured.
    pub geo: Option<Arc<GeoIp>>,
}

/// What detection runs with.
#[derive(Clone, Debug)]
pub struct DetectOptions {
    /// The user's rule file, if any.
    pub rules: Option<PathBuf>,
    /// Lateness, ms.
    pub lateness_ms: i64,
    /// The MaxMind City (or Country) database, if any.
    pub geoip_city: Option<PathBuf>,
    /// The MaxMind ASN database, if any.
    pub geoip_asn: Option<PathBuf>,
    /// Sigma rule files or directories.
    pub sigma: Vec<PathBuf>,
}

impl DetectOptions {
    /// The options of a `[detect]` table; `None` when detection is turned off.
    pub fn from_settings(settings: &DetectSettings) -> Option<DetectOptions> {
        if settings.enabled == Some(false) {
            return None;
        }
        Some(DetectOptions {
            rules: settings.rules.clone(),
            geoip_city: settings.geoip_city.clone(),
            geoip_asn: settings.geoip_asn.clone(),
            sigma: settings.sigma.clone(),
            lateness_ms: settings.lateness_ms.map_or(DEFAULT_LATENESS_MS, |ms| {
                i64::try_from(ms).unwrap_or(i64::MAX)
            }),
        })
    }

    /// The built-in rules overridden by the rule file; an error names file, line, rule and key.
    /// Then the Sigma rules, compiled; an error names file, line, rule and the construct.
    pub fn load_rules(&self) -> Result<Rules> {
        let rules = match &self.rules {
            Some(path) => Rules::load_file(path)?,
            None => Rules::builtin()?,
        };
        if self.sigma.is_empty() {
            return Ok(rules);
        }
        let sigma = authtrail_detect::sigma::load_paths(&self.sigma)?;
        Ok(rules.with_sigma(sigma)?)
    }

    /// The configured GeoIP databases, opened (`None` when none is configured); an error names
    /// the file and the reason.
    pub fn load_geo(&self) -> Result<Option<Arc<GeoIp>>> {
        if self.geoip_city.is_none() && self.geoip_asn.is_none() {
            return Ok(None);
        }
        let geo = GeoIp::open(self.geoip_city.as_deref(), self.geoip_asn.as_deref())?;
        Ok(Some(Arc::new(geo)))
    }

    /// The rules and GeoIP databases, loaded once: a bad file refuses the start before
    /// anything is opened or written.
    pub fn load(&self) -> Result<Loaded> {
        Ok(Loaded {
            rules: self.load_rules()?,
            geo: self.load_geo()?,
        })
    }

    /// Starts the detector with `loaded` on `log` (its state in `data`), queueing its alerts for
    /// `outputs`; `deliver` also starts sending them (`serve`; `ingest` leaves them queued).
    pub fn start(
        &self,
        loaded: Loaded,
        log: &Arc<EmbeddedLog>,
        data: &Path,
        outputs: &OutputsConfig,
        deliver: bool,
    ) -> Result<Detection> {
        let Loaded { rules, geo } = loaded;
        let path = data.join(STATE_FILE);
        let state = StateDb::open(&path)?;
        let outbox =
            Arc::new(Outbox::open(state.database(), outputs).context("alert outputs ([alerts])")?);
        let dispatcher = if deliver {
            Some(
                outbox
                    .start_dispatcher()
                    .context("starting alert delivery")?,
            )
        } else {
            None
        };
        let mut detector = Detector::open(log.clone(), state, rules, self.lateness_ms)
            .context("resuming detection")?;
        detector.set_geo(geo);
        let queue = Arc::clone(&outbox);
        let running = Running::start(
            detector,
            Box::new(move |alerts| {
                if deliver {
                    log_alerts(alerts);
                }
                let outgoing: Vec<Outgoing<'_>> = alerts
                    .iter()
                    .map(|a| Outgoing {
                        seq: a.seq,
                        alert: &a.alert,
                    })
                    .collect();
                queue
                    .enqueue(&outgoing)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }),
        )
        .context("starting the detection thread")?;
        Ok(Detection {
            running,
            dispatcher,
            outbox,
        })
    }
}

/// Detection running: the detector and (in `serve`) the alert delivery thread.
pub struct Detection {
    running: Running,
    dispatcher: Option<Dispatcher>,
    outbox: Arc<Outbox>,
}

impl Detection {
    /// The alerts' outbox (its queue depth is a metric).
    pub fn outbox(&self) -> Arc<Outbox> {
        self.outbox.clone()
    }

    /// A handle that replaces the rules.
    pub fn reloader(&self) -> Reloader {
        self.running.reloader()
    }

    /// Observes everything committed so far, stores the state and stops; deliveries not yet
    /// made stay queued for the next start.
    pub fn finish(self) -> Result<Summary> {
        let summary = self.running.finish().context("detection")?;
        if let Some(d) = self.dispatcher {
            d.stop();
        }
        Ok(summary)
    }
}

/// Logs each alert (for `serve`'s console).
pub fn log_alerts(alerts: &[Appended]) {
    for a in alerts {
        tracing::warn!(
            rule = %a.alert.rule_id,
            group = %a.alert.group_text(),
            count = a.alert.count,
            seq = a.seq,
            "alert: {}",
            a.alert.title
        );
    }
}

/// Prints what detection raised (for `ingest`'s summary).
pub fn print_summary(summary: &Summary) {
    println!("alerts: {}", summary.alerts());
    for (rule, n) in &summary.alerts_by_rule {
        println!("  {rule}: {n}");
    }
}
