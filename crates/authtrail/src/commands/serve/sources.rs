//! The sources `serve` runs beside the HTTP API: followed files (a thread each) and syslog
//! listeners (tasks on the runtime).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use authtrail_ingest::sources::syslog::{run_tcp, run_udp, SyslogSink};
use authtrail_ingest::sources::tail::{Tail, TailConfig, TailSink};
use authtrail_ingest::{InputFormat, Limits};
use authtrail_server::tls::TlsSetup;
use authtrail_store::EmbeddedLog;

use crate::config::{SyslogSettings, TailSettings};

/// The followed files, each on its thread.
pub(super) struct Tails {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Tails {
    /// Start following each of `tails` into `log`.
    pub fn start(
        tails: &[TailSettings],
        data: &Path,
        log: &Arc<EmbeddedLog>,
        parse: &Arc<authtrail_ingest::ParseConfig>,
        limits: Limits,
    ) -> Result<Tails> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for settings in tails {
            let tail = build_tail(settings, data, log, parse, limits)?;
            let stop = stop.clone();
            threads.push(
                std::thread::Builder::new()
                    .name("tail".into())
                    .spawn(move || tail.run(stop))
                    .context("starting a tail thread")?,
            );
        }
        Ok(Tails { stop, threads })
    }

    /// Stop every tail after its current batch, and wait for them.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            let _ = t.join();
        }
    }
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
pub(super) async fn start_syslog(
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
