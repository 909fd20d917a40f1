//! `authtrail serve`: the HTTP API on the embedded store.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use authtrail_ingest::Limits;
use authtrail_server::{router, AppState};
use authtrail_store::{EmbeddedLog, LogOptions};

use crate::config::ServeConfig;
use crate::data_dir::ensure_initialized;

/// Default listen address: loopback only, so a fresh install exposes nothing.
const DEFAULT_LISTEN: &str = "127.0.0.1:7800";

/// Open (creating if needed) the data directory and serve until SIGINT or SIGTERM.
pub fn run(data: &Path, listen: Option<String>, config: Option<&Path>) -> Result<ExitCode> {
    let config = config
        .map(ServeConfig::load)
        .transpose()?
        .unwrap_or_default();
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
    };
    let mut options = LogOptions::default();
    if let Some(ms) = config.checkpoint_interval_ms {
        if ms == 0 || ms > 1000 {
            bail!("checkpoint_interval_ms must be 1..=1000 (a checkpoint at least every second)");
        }
        options.checkpoint_interval = Duration::from_millis(ms);
    }
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
    let state = AppState::new(log.clone(), limits);
    let size = log.size();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        println!("authtrail listening on http://{addr}");
        println!("data directory: {}", data.display());
        println!("log size: {size}");
        println!(
            "verifier key: {}",
            authtrail_ledger::note::Ed25519Signer::verifier(&signer)
        );
        axum::serve(listener, router(state))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving HTTP")
    })?;
    let cp = log.close()?;
    eprintln!(
        "shut down cleanly; final checkpoint at size {}",
        cp.checkpoint.size
    );
    Ok(ExitCode::SUCCESS)
}

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
