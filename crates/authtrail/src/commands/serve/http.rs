//! Serving the HTTP API (or HTTPS) until SIGINT or SIGTERM, then draining it.

use std::sync::Arc;

use anyhow::{Context, Result};
use authtrail_server::tls::{TlsListener, TlsSetup};
use authtrail_server::{router, AppState};
use tokio::net::TcpListener;

use super::signals::shutdown_signal;
use super::DRAIN_TIMEOUT;

/// Serve `state` on `listener` until the signal. Then the listener closes (new connections are
/// refused), requests in flight finish and get their answers, idle connections close; requests
/// still open [`DRAIN_TIMEOUT`] after the signal are closed unanswered.
pub(super) async fn serve_until_signal(
    listener: TcpListener,
    tls: Option<&TlsSetup>,
    state: AppState,
) -> Result<()> {
    let stopping = Arc::new(tokio::sync::Notify::new());
    let signalled = stopping.clone();
    let signal = async move {
        shutdown_signal().await;
        signalled.notify_one();
    };
    let served = async {
        match tls {
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
}
