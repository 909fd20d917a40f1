//! `authtrail serve`: the HTTP API and the syslog listeners on the embedded store.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use authtrail_ingest::sources::syslog::{run_tcp, run_udp, SyslogSink};
use authtrail_ingest::sources::tail::{Tail, TailConfig, TailSink};
use authtrail_ingest::{InputFormat, Limits};
use authtrail_server::limits::ServerLimits;
use authtrail_server::telemetry::{Metrics, UPKEEP_EVERY};
use authtrail_server::tls::{TlsListener, TlsSetup};
use authtrail_server::{router, AppState};
use authtrail_store::{EmbeddedLog, LogOptions};

use crate::cli::TlsArgs;
use crate::config::{parse_config, ServeConfig, SyslogSettings, TailSettings};
use crate::data_dir::ensure_initialized;
use crate::detection::DetectOptions;

/// Default listen address: loopback only, so a fresh install exposes nothing.
const DEFAULT_LISTEN: &str = "127.0.0.1:7800";

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
    let ServeArgs {
        listen,
        config,
        syslog_udp,
        syslog_tcp,
        tail,
        tls,
    } = args;
    let config = config
        .map(ServeConfig::load)
        .transpose()?
        .unwrap_or_default();
    let parse = Arc::new(parse_config(config.timezone.as_deref(), &config.gateway)?);
    let mut tails = config.tail.clone();
    tails.extend(tail.into_iter().map(|path| TailSettings {
        path,
        format: None,
        source: None,
        start_at: None,
        poll_interval_ms: None,
    }));
    let mut listeners = config.syslog.clone();
    let tls_settings = crate::tls::settings(config.tls.clone(), &tls);
    for (transport, addrs) in [
        ("udp", syslog_udp),
        ("tcp", syslog_tcp),
        ("tls", tls.syslog_tls),
    ] {
        listeners.extend(addrs.into_iter().map(|listen| SyslogSettings {
            listen,
            transport: transport.into(),
            format: None,
            source: None,
        }));
    }
    let listen = listen
        .or(config.listen.clone())
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    let defaults = Limits::default();
    let limits = Limits {
        max_body_bytes: config.max_body_bytes.unwrap_or(defaults.max_body_bytes),
        max_event_bytes: config.max_event_bytes.unwrap_or(defaults.max_event_bytes),
        max_events_per_batch: config
            .max_events_per_batch
            .unwrap_or(defaults.max_events_per_batch),
        max_line_bytes: config.max_line_bytes.unwrap_or(defaults.max_line_bytes),
        max_field_bytes: config.max_field_bytes.unwrap_or(defaults.max_field_bytes),
    };
    let server_limits = server_limits(&config)?;
    let access = crate::access::prepare(data, &listen, &config.auth)?;
    let mut options = LogOptions::default();
    if let Some(ms) = config.checkpoint_interval_ms {
        if ms == 0 || ms > 1000 {
            bail!("checkpoint_interval_ms must be 1..=1000 (a checkpoint at least every second)");
        }
        options.checkpoint_interval = Duration::from_millis(ms);
    }
    // Bad certificate or key files refuse the start, before anything is opened or written.
    let tls = crate::tls::load(tls_settings.as_ref(), &listeners)?;
    let detect = DetectOptions::from_settings(&config.detect);
    // A bad rule file or GeoIP database refuses the start, before anything is opened or written.
    let loaded = detect.as_ref().map(DetectOptions::load).transpose()?;
    let rule_count = loaded.as_ref().map_or(0, |l| l.rules.len());
    let signer = ensure_initialized(data, config.origin.as_deref())?;
    let log = Arc::new(
        EmbeddedLog::open(data, options).with_context(|| format!("opening {}", data.display()))?,
    );
    if log.recovered_cut > 0 {
        eprintln!(
            "recovery: cut {} incomplete entries from the log's tail (never acknowledged)",
            log.recovered_cut
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // Before any source starts, so their first batches are counted.
    let metrics = Metrics::install().context("installing the metrics recorder")?;
    let stop_tails = Arc::new(AtomicBool::new(false));
    let mut tail_threads = Vec::new();
    for settings in &tails {
        let tail = build_tail(settings, data, &log, &parse, limits)?;
        let stop = stop_tails.clone();
        tail_threads.push(
            std::thread::Builder::new()
                .name("tail".into())
                .spawn(move || tail.run(stop))
                .context("starting a tail thread")?,
        );
    }
    let detection = match (&detect, loaded) {
        (Some(d), Some(loaded)) => Some(d.start(loaded, &log, data, &config.alerts, true)?),
        _ => None,
    };
    let reloader = detection.as_ref().map(|r| r.reloader());
    if let Some(outbox) = detection.as_ref().map(|d| d.outbox()) {
        metrics.add_probe(Box::new(move || {
            if let Err(e) = outbox.record_depth() {
                tracing::warn!(error = %e, "reading the alerts outbox's depth for /metrics");
            }
        }));
    }
    let state = AppState::new(log.clone(), limits, parse.clone())
        .with_access(access.access.clone())
        .with_server_limits(server_limits)
        .with_metrics(metrics.clone());
    let size = log.size();
    let syslog_log = log.clone();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        println!("authtrail listening on {scheme}://{addr}");
        if let Some(tls) = &tls {
            println!("{}", crate::tls::describe(tls));
        }
        println!("data directory: {}", data.display());
        println!("log size: {size}");
        access.announce_first_token(data)?;
        println!(
            "verifier key: {}",
            authtrail_ledger::note::Ed25519Signer::verifier(&signer)
        );
        for settings in &tails {
            println!("following {}", settings.path);
        }
        for settings in &listeners {
            start_syslog(settings, &syslog_log, &parse, limits, tls.as_ref()).await?;
        }
        let rules = match (&detect, reloader) {
            (Some(d), Some(reloader)) => {
                println!(
                    "detection: {} rules{}",
                    rule_count,
                    d.rules
                        .as_ref()
                        .map(|p| format!(" (built-ins and {}; SIGHUP reloads)", p.display()))
                        .unwrap_or_default()
                );
                Some((d.clone(), reloader))
            }
            _ => {
                println!("detection: off");
                None
            }
        };
        tokio::spawn(reload_on_hangup(rules, tls.clone()));
        tokio::spawn(upkeep(metrics));
        println!("ready");
        let stopping = Arc::new(tokio::sync::Notify::new());
        let signalled = stopping.clone();
        // On the signal: the listener closes (new connections are refused), requests in flight
        // finish and get their answers, idle connections close.
        let signal = async move {
            shutdown_signal().await;
            signalled.notify_one();
        };
        let served = async {
            match &tls {
                Some(tls) => {
                    let listener = TlsListener::new(listener, tls).context("serving HTTPS")?;
                    axum::serve(listener, TlsListener::app(router(state)))
                        .with_graceful_shutdown(signal)
                        .await
                        .context("serving HTTPS")
                }
                None => axum::serve(listener, router(state))
                    .with_graceful_shutdown(signal)
                    .await
                    .context("serving HTTP"),
            }
        };
        tokio::select! {
            served = served => served,
            () = async {
                stopping.notified().await;
                tokio::time::sleep(DRAIN_TIMEOUT).await;
            } => {
                eprintln!(
                    "requests still open {} s after the signal: closing them unanswered",
                    DRAIN_TIMEOUT.as_secs()
                );
                Ok(())
            }
        }
    })?;
    // Stops the syslog listeners and their connections, and waits for the batches they are
    // appending: every append that began is done before detection's last look and the close.
    runtime.shutdown_timeout(DRAIN_TIMEOUT);
    stop_tails.store(true, Ordering::Relaxed);
    for t in tail_threads {
        let _ = t.join();
    }
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

/// The request limits: the configuration's, defaults where unset.
fn server_limits(config: &ServeConfig) -> Result<ServerLimits> {
    let defaults = ServerLimits::default();
    let limits = ServerLimits {
        max_concurrent_requests: config
            .max_concurrent_requests
            .unwrap_or(defaults.max_concurrent_requests),
        ingest_events_per_second: config
            .ingest_events_per_second
            .unwrap_or(defaults.ingest_events_per_second),
        ingest_burst_events: config
            .ingest_burst_events
            .unwrap_or(defaults.ingest_burst_events),
    };
    if limits.max_concurrent_requests == 0 {
        bail!("max_concurrent_requests must be at least 1");
    }
    if limits.ingest_burst_events == 0 {
        bail!("ingest_burst_events must be at least 1 (ingest_events_per_second = 0 turns the rate limit off)");
    }
    Ok(limits)
}

/// A tail for one `[[tail]]` entry; its state lives in `DATA/sources/tail`.
fn build_tail(
    settings: &TailSettings,
    data: &Path,
    log: &Arc<EmbeddedLog>,
    parse: &Arc<authtrail_ingest::ParseConfig>,
    limits: Limits,
) -> Result<Tail> {
    let what = || format!("tail {}", settings.path);
    let format =
        InputFormat::parse(settings.format.as_deref().unwrap_or("auto")).with_context(what)?;
    let source = settings.source.clone().unwrap_or_else(|| "file".into());
    authtrail_store::prepare::validate_source_name(&source).with_context(what)?;
    let start_at_end = match settings.start_at.as_deref() {
        None | Some("beginning") => false,
        Some("end") => true,
        Some(other) => bail!(
            "tail {}: start_at {other:?} is not beginning or end",
            settings.path
        ),
    };
    let config = TailConfig {
        pattern: settings.path.clone(),
        format,
        source,
        start_at_end,
        poll_interval: Duration::from_millis(settings.poll_interval_ms.unwrap_or(250).max(10)),
    };
    let sink = TailSink {
        log: log.clone(),
        parse: parse.clone(),
        limits,
        state_dir: data.join("sources").join("tail"),
    };
    Tail::new(config, sink).with_context(what)
}

/// Bind one syslog listener and run it on the runtime until shutdown.
async fn start_syslog(
    settings: &SyslogSettings,
    log: &Arc<EmbeddedLog>,
    parse: &Arc<authtrail_ingest::ParseConfig>,
    limits: Limits,
    tls: Option<&TlsSetup>,
) -> Result<()> {
    let format = InputFormat::parse(settings.format.as_deref().unwrap_or("syslog"))
        .with_context(|| format!("syslog listener {}", settings.listen))?;
    let sink = SyslogSink {
        log: log.clone(),
        config: parse.clone(),
        format,
        source: settings.source.clone().unwrap_or_else(|| "syslog".into()),
        limits,
    };
    authtrail_store::prepare::validate_source_name(&sink.source)
        .with_context(|| format!("syslog listener {}", settings.listen))?;
    let addr = &settings.listen;
    match settings.transport.as_str() {
        "udp" => {
            let socket = tokio::net::UdpSocket::bind(addr)
                .await
                .with_context(|| format!("binding syslog UDP {addr}"))?;
            let local = socket.local_addr().context("reading the bound address")?;
            println!("syslog udp listening on {local}");
            tokio::spawn(run_udp(socket, sink));
        }
        "tcp" => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding syslog TCP {addr}"))?;
            let local = listener.local_addr().context("reading the bound address")?;
            println!("syslog tcp listening on {local}");
            tokio::spawn(run_tcp(listener, sink));
        }
        "tls" => {
            // `crate::tls::load` refused the start if TLS is off.
            let tls = tls.with_context(|| format!("syslog listener {addr}: TLS is off"))?;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding syslog TLS {addr}"))?;
            let local = listener.local_addr().context("reading the bound address")?;
            println!("syslog tls listening on {local}");
            authtrail_server::tls::syslog::run_tls(listener, tls, sink, settings.source.clone());
        }
        other => bail!("syslog listener {addr}: transport {other:?} is not udp, tcp or tls"),
    }
    Ok(())
}

/// On each SIGHUP, loads the rule file and the TLS files again; a file with an error keeps
/// what is in force.
async fn reload_on_hangup(
    rules: Option<(DetectOptions, authtrail_detect::follow::Reloader)>,
    tls: Option<TlsSetup>,
) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hangups) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP: rules and TLS files are not reloadable");
        return;
    };
    while hangups.recv().await.is_some() {
        if let Some((detect, reloader)) = &rules {
            match detect.load_rules() {
                Ok(rules) => {
                    let n = rules.len();
                    if reloader.reload(rules) {
                        println!("detection rules reloaded: {n} rules");
                    }
                }
                Err(e) => {
                    tracing::error!("rules not reloaded, the previous ones stay in force: {e:#}")
                }
            }
        }
        if let Some(tls) = &tls {
            crate::tls::reload(tls);
        }
    }
}

/// Folds histogram samples into their buckets every [`UPKEEP_EVERY`], until the runtime stops.
async fn upkeep(metrics: Arc<Metrics>) {
    let mut every = tokio::time::interval(UPKEEP_EVERY);
    loop {
        every.tick().await;
        metrics.run_upkeep();
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
