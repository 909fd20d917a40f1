//! Syslog over TLS (RFC 5425): octet-counted messages over a TLS stream, read by the ingest
//! crate's stream reader; a mapped client certificate decides the source name.

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use authtrail_ingest::sources::syslog::{serve_stream, SyslogSink};

use super::handshake::{peer_identity, spawn_accept_loop};
use super::identity::ClientIdentity;
use super::setup::TlsSetup;

/// Default source name of syslog entries.
const DEFAULT_SOURCE: &str = "syslog";

/// Accept syslog-over-TLS connections until the returned task is aborted. `source` is the
/// listener's configured source name, if one was set.
pub fn run_tls(
    listener: TcpListener,
    setup: &TlsSetup,
    sink: SyslogSink,
    source: Option<String>,
) -> JoinHandle<()> {
    let clients = setup.clients.clone();
    spawn_accept_loop(
        listener,
        setup.syslog.clone(),
        setup.handshake_timeout,
        "syslog",
        move |stream, peer| {
            let identity = peer_identity(&stream, &clients);
            let chosen = source_for(identity.as_ref(), source.as_deref());
            let mut sink = sink.clone();
            async move {
                match chosen {
                    Ok(source) => {
                        sink.source = source;
                        serve_stream(stream, peer, sink).await;
                    }
                    Err(why) => tracing::warn!(%peer, "syslog TLS connection refused: {why}"),
                }
            }
        },
    )
}

/// The source name of a connection's entries: the listener's own (which a mapped certificate
/// must allow), else the certificate's first source, else `syslog`.
pub fn source_for(
    identity: Option<&ClientIdentity>,
    listener_source: Option<&str>,
) -> Result<String, String> {
    match (identity, listener_source) {
        (None, source) => Ok(source.unwrap_or(DEFAULT_SOURCE).to_string()),
        (Some(id), Some(source)) if id.may_write(source) => Ok(source.to_string()),
        (Some(id), Some(source)) => Err(format!(
            "client certificate {:?} may not write source {source:?}",
            id.name
        )),
        (Some(id), None) => id
            .sources
            .first()
            .cloned()
            .ok_or_else(|| format!("client certificate {:?} is mapped to no source", id.name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn okta() -> ClientIdentity {
        ClientIdentity {
            name: "okta-forwarder".into(),
            sources: vec!["okta".into(), "okta-audit".into()],
        }
    }

    #[test]
    fn the_source_comes_from_the_listener_or_the_certificate() {
        assert_eq!(source_for(None, None).unwrap(), "syslog");
        assert_eq!(source_for(None, Some("fw")).unwrap(), "fw");
        assert_eq!(source_for(Some(&okta()), None).unwrap(), "okta");
        assert_eq!(
            source_for(Some(&okta()), Some("okta-audit")).unwrap(),
            "okta-audit"
        );
        let err = source_for(Some(&okta()), Some("sshd")).unwrap_err();
        assert!(
            err.contains("okta-forwarder") && err.contains("sshd"),
            "{err}"
        );
        let unmapped = ClientIdentity {
            name: "stranger".into(),
            sources: vec![],
        };
        let err = source_for(Some(&unmapped), None).unwrap_err();
        assert!(
            err.contains("stranger") && err.contains("no source"),
            "{err}"
        );
    }
}
