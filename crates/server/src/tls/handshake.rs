//! Accepting TCP connections and running each TLS handshake in its own task, with a time limit.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use super::identity::{ClientIdentity, ClientSources};
use super::reload::SharedConfig;

/// Longest a client may take to finish its TLS handshake (the default of [`super::TlsSetup`]).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accept connections on `listener` until the returned task is aborted; each connection's
/// handshake runs in a task of its own, with the configuration in force when it was accepted,
/// and each completed one is handed to `on_stream`.
pub(crate) fn spawn_accept_loop<F, Fut>(
    listener: TcpListener,
    config: Arc<SharedConfig>,
    timeout: Duration,
    what: &'static str,
    on_stream: F,
) -> JoinHandle<()>
where
    F: Fn(TlsStream<TcpStream>, SocketAddr) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((tcp, peer)) => {
                    let acceptor = TlsAcceptor::from(config.current());
                    let on_stream = on_stream.clone();
                    tokio::spawn(async move {
                        if let Some(stream) = handshake(&acceptor, tcp, peer, timeout, what).await {
                            on_stream(stream, peer).await;
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "{what} TLS accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    })
}

/// The TLS stream once the handshake is done; `None` (logged) when it fails or takes too long.
async fn handshake(
    acceptor: &TlsAcceptor,
    tcp: TcpStream,
    peer: SocketAddr,
    timeout: Duration,
    what: &str,
) -> Option<TlsStream<TcpStream>> {
    match tokio::time::timeout(timeout, acceptor.accept(tcp)).await {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(e)) => {
            tracing::warn!(%peer, error = %e, "{what} TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::warn!(%peer, "{what} TLS handshake not finished in {timeout:?}");
            None
        }
    }
}

/// The mapped identity of the connection's verified client certificate, if any.
pub(crate) fn peer_identity(
    stream: &TlsStream<TcpStream>,
    clients: &ClientSources,
) -> Option<ClientIdentity> {
    let (_, connection) = stream.get_ref();
    let cert = connection.peer_certificates()?.first()?;
    clients.identify(cert)
}
