//! Syslog listeners: UDP (one message per datagram) and TCP (RFC 6587 framing); any other
//! accepted byte stream (syslog over TLS, RFC 5425) is read by [`serve_stream`].
//!
//! What is acknowledged: nothing, by protocol. A message is safe once the batch holding it is
//! appended (fsynced). A crash loses, on UDP, whatever was in flight or in the socket buffer
//! (and UDP drops under load by design); on TCP, what the connection had delivered to us but we
//! had not yet appended: at most the batch being parsed plus the socket's receive buffer.
//! TCP readers append each batch before reading more, so a slow disk pushes back on senders.

use crate::received::now_ns;
use std::net::SocketAddr;
use std::sync::Arc;

use authtrail_store::EmbeddedLog;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, UdpSocket};

use crate::limits::Limits;
use crate::parse::ParseConfig;
use crate::pipeline::{InputFormat, Message, Normalizer};

/// Most messages appended as one batch.
const MAX_BATCH: usize = 2048;

/// Where a listener's messages go and how they are read.
#[derive(Clone)]
pub struct SyslogSink {
    /// The log.
    pub log: Arc<EmbeddedLog>,
    /// Parser settings.
    pub config: Arc<ParseConfig>,
    /// Input format (normally [`InputFormat::Syslog`]).
    pub format: InputFormat,
    /// Source name on the entries.
    pub source: String,
    /// Limits (the line limit bounds each message).
    pub limits: Limits,
}

impl SyslogSink {
    /// Parse and append one batch of messages on the blocking pool; errors are logged.
    async fn append(&self, normalizer: Normalizer, messages: Vec<Message>) -> Normalizer {
        let sink = self.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut normalizer = normalizer;
            let outcome = normalizer
                .prepare_messages(&messages, &sink.source, now_ns(), &sink.limits)
                .map_err(|e| e.to_string())
                .and_then(|batch| {
                    let summary = batch.summary;
                    sink.log
                        .append(batch.entries)
                        .map(|range| {
                            crate::telemetry::record_appended(&sink.source, &summary);
                            (range, summary)
                        })
                        .map_err(|e| e.to_string())
                });
            (normalizer, outcome, messages.len())
        })
        .await;
        match result {
            Ok((normalizer, Ok((range, summary)), _)) => {
                tracing::debug!(
                    source = %self.source,
                    first = range.start,
                    events = summary.events,
                    unparsed = summary.unparsed,
                    "syslog batch appended"
                );
                normalizer
            }
            Ok((normalizer, Err(e), n)) => {
                tracing::error!(source = %self.source, messages = n, error = %e, "syslog batch lost");
                normalizer
            }
            Err(e) => {
                tracing::error!(source = %self.source, error = %e, "syslog batch task failed");
                Normalizer::new(self.format, self.config.clone())
            }
        }
    }
}

/// Receive datagrams until the task is dropped: each wakeup drains what the socket holds (up to
/// [`MAX_BATCH`]) into one batch.
pub async fn run_udp(socket: UdpSocket, sink: SyslogSink) {
    let mut normalizer = Normalizer::new(sink.format, sink.config.clone());
    let mut buf = vec![0u8; 65_536];
    loop {
        let mut messages = Vec::new();
        match socket.recv_from(&mut buf).await {
            Ok((n, _)) => messages.push(datagram(&buf[..n], sink.limits.max_line_bytes)),
            Err(e) => {
                tracing::warn!(error = %e, "syslog UDP receive failed");
                continue;
            }
        }
        while messages.len() < MAX_BATCH {
            match socket.try_recv_from(&mut buf) {
                Ok((n, _)) => messages.push(datagram(&buf[..n], sink.limits.max_line_bytes)),
                Err(_) => break,
            }
        }
        messages.retain(|m| !m.bytes.is_empty());
        if !messages.is_empty() {
            normalizer = sink.append(normalizer, messages).await;
        }
    }
}

/// One datagram as a message: trailing newlines and NULs dropped, cut to the line limit.
fn datagram(bytes: &[u8], max_len: usize) -> Message {
    let mut end = bytes.len();
    while end > 0 && matches!(bytes[end - 1], b'\n' | b'\r' | 0) {
        end -= 1;
    }
    let bytes = &bytes[..end];
    Message {
        bytes: bytes[..bytes.len().min(max_len)].to_vec(),
        original_len: bytes.len(),
    }
}

/// Accept connections until the task is dropped; each connection is its own stream.
pub async fn run_tcp(listener: TcpListener, sink: SyslogSink) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                tokio::spawn(serve_stream(stream, peer, sink.clone()));
            }
            Err(e) => {
                tracing::warn!(error = %e, "syslog TCP accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

/// Read one connection's messages (octet-counted or newline framing, per message) until it
/// ends, appending batch by batch; `peer` names it in the logs.
pub async fn serve_stream<S: AsyncRead + Unpin>(mut stream: S, peer: SocketAddr, sink: SyslogSink) {
    let mut normalizer = Normalizer::new(sink.format, sink.config.clone());
    let mut framer = crate::sources::framing::Framer::new(sink.limits.max_line_bytes);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let mut messages = Vec::new();
        let n = match stream.read(&mut buf).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(%peer, error = %e, "syslog stream read failed");
                0
            }
        };
        if n == 0 {
            framer.finish(&mut messages);
        } else {
            framer.push(&buf[..n], &mut messages);
        }
        if !messages.is_empty() {
            normalizer = sink.append(normalizer, messages).await;
        }
        if n == 0 {
            tracing::debug!(%peer, "syslog stream closed");
            return;
        }
    }
}
