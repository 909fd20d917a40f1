//! What `serve` does on signals, and its periodic upkeep.

use std::sync::Arc;

use authtrail_server::telemetry::{Metrics, UPKEEP_EVERY};
use authtrail_server::tls::TlsSetup;

use crate::detection::DetectOptions;

/// On each SIGHUP, loads the rule file and the TLS files again; a file with an error keeps
/// what is in force.
pub(super) async fn reload_on_hangup(
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
pub(super) async fn upkeep(metrics: Arc<Metrics>) {
    let mut every = tokio::time::interval(UPKEEP_EVERY);
    loop {
        every.tick().await;
        metrics.run_upkeep();
    }
}

/// Resolves on SIGINT or SIGTERM.
pub(super) async fn shutdown_signal() {
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
