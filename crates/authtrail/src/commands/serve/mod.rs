//! `authtrail serve`: the HTTP API and the syslog listeners on the embedded store.
//!
//! [`run`] goes through the steps in order: the settings ([`settings::Plan`]); every check
//! that can refuse the start, before anything is opened or written (access, log options, TLS
//! files, rules: [`Checked`]); the log opened; the sources and detection started
//! ([`sources`]); the API served until a signal ([`http`]), with SIGHUP reloading rules and TLS
//! files ([`signals`]); then the shutdown, in the order docs/CONFIG.md gives.

mod http;
mod settings;
mod signals;
mod sources;

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use authtrail_detect::follow::Reloader;
use authtrail_ledger::note::Ed25519Signer;
use authtrail_server::telemetry::Metrics;
use authtrail_server::tls::TlsSetup;
use authtrail_server::AppState;
use authtrail_store::{EmbeddedLog, LogOptions};

use crate::access::ServeAccess;
use crate::cli::TlsArgs;
use crate::data_dir::ensure_initialized;
use crate::detection::{DetectOptions, Detection, Loaded};
use settings::Plan;
use sources::Tails;

/// After SIGTERM, how long requests in flight (and then the syslog batches being appended) may
/// take to finish before their connections are closed: a request cut there was never answered,
/// so nothing acknowledged is lost. Below systemd's default stop timeout (90 s).
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// What `serve` was asked to do on its command line.
pub struct ServeArgs<'a> {
    /// HTTP listen address.
    pub listen: Option<String>,
    /// Configuration file.
    pub config: Option<&'a Path>,
    /// Syslog UDP listen addresses (beside the config file's).
    pub syslog_udp: Vec<String>,
    /// Syslog TCP listen addresses (beside the config file's).
    pub syslog_tcp: Vec<String>,
    /// Files or globs to follow (beside the config file's).
    pub tail: Vec<String>,
    /// TLS files and syslog-over-TLS addresses (beside the config file's).
    pub tls: TlsArgs,
}

/// Open (creating if needed) the data directory and serve until SIGINT or SIGTERM.
pub fn run(data: &Path, args: ServeArgs<'_>) -> Result<ExitCode> {
    let plan = Plan::new(args)?;
    let mut checked = Checked::new(data, &plan)?;
    let (signer, log) = open_log(data, &plan, checked.options.clone())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // Before any source starts, so their first batches are counted.
    let metrics = Metrics::install().context("installing the metrics recorder")?;
    let tails = Tails::start(&plan.tails, data, &log, &plan.parse, plan.limits)?;
    let loaded = checked.loaded.take();
    let detection = start_detection(data, &plan, checked.detect.as_ref(), loaded, &log, &metrics)?;
    let state = AppState::new(log.clone(), plan.limits, plan.parse.clone())
        .with_access(checked.access.access.clone())
        .with_server_limits(plan.server_limits)
        .with_metrics(metrics.clone());
    let rules = match (&checked.detect, &detection) {
        (Some(d), Some(running)) => Some((d.clone(), running.reloader())),
        _ => None,
    };
    let started = Started {
        data,
        size: log.size(),
        plan: &plan,
        checked: &checked,
        signer: &signer,
        log: &log,
        rules,
        metrics,
    };
    runtime.block_on(started.serve(state))?;
    // Stops the syslog listeners and their connections, and waits for the batches they are
    // appending: every append that began is done before detection's last look and the close.
    runtime.shutdown_timeout(DRAIN_TIMEOUT);
    tails.stop();
    if let Some(detection) = detection {
        // Observe everything acknowledged (and append its alerts) before the log closes.
        match detection.finish() {
            Ok(s) => eprintln!("detection stopped at seq {}", s.position),
            Err(e) => eprintln!("detection: {e:#}"),
        }
    }
    let cp = log.close()?;
    eprintln!(
        "shut down cleanly; final checkpoint at size {}",
        cp.checkpoint.size
    );
    Ok(ExitCode::SUCCESS)
}

/// What is checked before anything is opened or written; each can refuse the start.
struct Checked {
    /// Who may call the API (and whether to make the first token).
    access: ServeAccess,
    /// The log's options.
    options: LogOptions,
    /// The TLS files, loaded.
    tls: Option<TlsSetup>,
    /// Detection, when on, and its rules and databases, loaded (taken when it starts).
    detect: Option<DetectOptions>,
    loaded: Option<Loaded>,
    /// How many rules were loaded.
    rule_count: usize,
}

impl Checked {
    fn new(data: &Path, plan: &Plan) -> Result<Checked> {
        let access = plan.access(data)?;
        let options = plan.log_options()?;
        // Bad certificate or key files refuse the start.
        let tls = crate::tls::load(plan.tls.as_ref(), &plan.listeners)?;
        let detect = DetectOptions::from_settings(&plan.config.detect);
        // A bad rule file or GeoIP database refuses the start.
        let loaded = detect.as_ref().map(DetectOptions::load).transpose()?;
        Ok(Checked {
            access,
            options,
            tls,
            detect,
            rule_count: loaded.as_ref().map_or(0, |l| l.rules.len()),
            loaded,
        })
    }
}

/// The data directory, created if absent, and its log opened: the signer and the log.
fn open_log(
    data: &Path,
    plan: &Plan,
    options: LogOptions,
) -> Result<(Ed25519Signer, Arc<EmbeddedLog>)> {
    let signer = ensure_initialized(data, plan.origin())?;
    let log = Arc::new(
        EmbeddedLog::open(data, options).with_context(|| format!("opening {}", data.display()))?,
    );
    if log.recovered_cut > 0 {
        eprintln!(
            "recovery: cut {} incomplete entries from the log's tail (never acknowledged)",
            log.recovered_cut
        );
    }
    Ok((signer, log))
}

/// Detection over the log, when on, with its outbox's depth read at each scrape.
fn start_detection(
    data: &Path,
    plan: &Plan,
    detect: Option<&DetectOptions>,
    loaded: Option<Loaded>,
    log: &Arc<EmbeddedLog>,
    metrics: &Metrics,
) -> Result<Option<Detection>> {
    let (Some(detect), Some(loaded)) = (detect, loaded) else {
        return Ok(None);
    };
    let detection = detect.start(loaded, log, data, &plan.config.alerts, true)?;
    let outbox = detection.outbox();
    metrics.add_probe(Box::new(move || {
        if let Err(e) = outbox.record_depth() {
            tracing::warn!(error = %e, "reading the alerts outbox's depth for /metrics");
        }
    }));
    Ok(Some(detection))
}

/// What runs on the async runtime once the log is open.
struct Started<'a> {
    data: &'a Path,
    /// The log's size once the sources started.
    size: u64,
    plan: &'a Plan,
    checked: &'a Checked,
    signer: &'a Ed25519Signer,
    log: &'a Arc<EmbeddedLog>,
    /// The rules to reload on SIGHUP, when detection runs.
    rules: Option<(DetectOptions, Reloader)>,
    metrics: Arc<Metrics>,
}

impl Started<'_> {
    /// Bind the address, say what runs (the first lines of stdout, which scripts read), start
    /// the syslog listeners and the signal handlers, and serve until the signal.
    async fn serve(self, state: AppState) -> Result<()> {
        let Started {
            data,
            size,
            plan,
            checked,
            signer,
            log,
            rules,
            metrics,
        } = self;
        let listen = &plan.listen;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let tls = checked.tls.as_ref();
        let scheme = if tls.is_some() { "https" } else { "http" };
        println!("authtrail listening on {scheme}://{addr}");
        if let Some(tls) = tls {
            println!("{}", crate::tls::describe(tls));
        }
        println!("data directory: {}", data.display());
        println!("log size: {size}");
        checked.access.announce_first_token(data)?;
        println!("verifier key: {}", Ed25519Signer::verifier(signer));
        for settings in &plan.tails {
            println!("following {}", settings.path);
        }
        for settings in &plan.listeners {
            sources::start_syslog(settings, log, &plan.parse, plan.limits, tls).await?;
        }
        match &rules {
            Some((d, _)) => println!(
                "detection: {} rules{}",
                checked.rule_count,
                d.rules
                    .as_ref()
                    .map(|p| format!(" (built-ins and {}; SIGHUP reloads)", p.display()))
                    .unwrap_or_default()
            ),
            None => println!("detection: off"),
        }
        tokio::spawn(signals::reload_on_hangup(rules, tls.cloned()));
        tokio::spawn(signals::upkeep(metrics));
        println!("ready");
        http::serve_until_signal(listener, tls, state).await
    }
}
