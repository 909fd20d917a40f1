//! The HTTP side: a listener `axum::serve` takes, yielding TLS streams whose handshake is done,
//! and the middleware that puts the client's identity on each request.

use std::io;
use std::net::SocketAddr;

use axum::extract::connect_info::{ConnectInfo, Connected, IntoMakeServiceWithConnectInfo};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use axum::Router;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::server::TlsStream;

use super::handshake::{peer_identity, spawn_accept_loop};
use super::identity::ClientIdentity;
use super::setup::TlsSetup;

/// Handshakes done but not yet taken by the server.
const READY_QUEUE: usize = 64;

/// Who is at the other end of a TLS connection.
#[derive(Clone, Debug)]
pub struct TlsPeer {
    /// The peer's address.
    pub addr: SocketAddr,
    /// Its mapped client certificate, if it sent one and certificates are mapped.
    pub identity: Option<ClientIdentity>,
}

/// A TLS listener for `axum::serve`: handshakes run concurrently in their own tasks.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, TlsPeer)>,
    local: SocketAddr,
    accepting: JoinHandle<()>,
}

impl TlsListener {
    /// Serve TLS on `listener` with the HTTP configuration of `setup`.
    pub fn new(listener: TcpListener, setup: &TlsSetup) -> io::Result<Self> {
        let local = listener.local_addr()?;
        let (tx, ready) = mpsc::channel(READY_QUEUE);
        let clients = setup.clients.clone();
        let accepting = spawn_accept_loop(
            listener,
            setup.http.clone(),
            setup.handshake_timeout,
            "HTTP",
            move |stream, addr| {
                let tx = tx.clone();
                let identity = peer_identity(&stream, &clients);
                async move {
                    // The server has stopped taking connections when this fails: drop the stream.
                    let _ = tx.send((stream, TlsPeer { addr, identity })).await;
                }
            },
        );
        Ok(TlsListener {
            ready,
            local,
            accepting,
        })
    }

    /// The router as a service that records each connection's [`TlsPeer`] and puts its
    /// [`ClientIdentity`] on each request.
    pub fn app(router: Router) -> IntoMakeServiceWithConnectInfo<Router, TlsPeer> {
        router
            .layer(axum::middleware::from_fn(attach_identity))
            .into_make_service_with_connect_info::<TlsPeer>()
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = TlsPeer;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(ready) => ready,
            // The accept task is gone (aborted): nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(TlsPeer {
            addr: self.local,
            identity: None,
        })
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for TlsPeer {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// Middleware: the connection's [`ClientIdentity`], if any, as a request extension.
pub async fn attach_identity(mut request: Request, next: Next) -> Response {
    let identity = request
        .extensions()
        .get::<ConnectInfo<TlsPeer>>()
        .and_then(|ConnectInfo(peer)| peer.identity.clone());
    if let Some(identity) = identity {
        request.extensions_mut().insert(identity);
    }
    next.run(request).await
}
