//! TLS in-process: files loaded or refused, client certificates mapped to identities, the
//! ingest check, and a stalled handshake that does not hold up other clients.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use authtrail_ingest::{Limits, ParseConfig};
use authtrail_server::tls::{
    ensure_client_may_write, ClientIdentity, ClientSources, TlsError, TlsListener, TlsSettings,
    TlsSetup,
};
use authtrail_server::{router, AppState};
use authtrail_store::{keys, EmbeddedLog, Layout, LogOptions};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
};
use rustls_pki_types::CertificateDer;

/// A CA, and a server certificate for localhost and 127.0.0.1 written to `dir`.
fn write_pki(dir: &Path) -> (String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let ca = params.self_signed(&key).unwrap();
    let issuer = Issuer::new(params, key);
    let server = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_cert = server.signed_by(&server_key, &issuer).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("server.pem"), server_cert.pem()).unwrap();
    std::fs::write(dir.join("server.key"), server_key.serialize_pem()).unwrap();
    (ca.pem(), issuer)
}

/// A certificate with subject CN `cn` (when given) and SAN DNS names `sans`.
fn client_cert(
    issuer: &Issuer<'static, KeyPair>,
    cn: Option<&str>,
    sans: &[&str],
) -> CertificateDer<'static> {
    let mut params =
        CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name = DistinguishedName::new();
    if let Some(cn) = cn {
        params.distinguished_name.push(DnType::CommonName, cn);
    }
    let key = KeyPair::generate().unwrap();
    params.signed_by(&key, issuer).unwrap().der().clone()
}

fn mapping(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
        .collect()
}

#[test]
fn certificates_are_identified_by_cn_or_san_dns_name() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, issuer) = write_pki(tmp.path());
    let clients = ClientSources::new(mapping(&[
        ("okta-forwarder", &["okta"]),
        ("fw.example.com", &["firewall", "vpn"]),
    ]))
    .unwrap();

    let by_cn = client_cert(&issuer, Some("okta-forwarder"), &[]);
    assert_eq!(
        clients.identify(&by_cn),
        Some(ClientIdentity {
            name: "okta-forwarder".into(),
            sources: vec!["okta".into()],
        })
    );
    let by_san = client_cert(
        &issuer,
        Some("unmapped"),
        &["other.example.com", "fw.example.com"],
    );
    let identity = clients.identify(&by_san).unwrap();
    assert_eq!(identity.name, "fw.example.com");
    assert!(identity.may_write("vpn") && !identity.may_write("okta"));

    // A verified but unmapped certificate has a name and no sources.
    let stranger = client_cert(&issuer, Some("stranger"), &[]);
    assert_eq!(
        clients.identify(&stranger),
        Some(ClientIdentity {
            name: "stranger".into(),
            sources: vec![],
        })
    );
    // With nothing mapped, certificates restrict nothing.
    assert_eq!(ClientSources::default().identify(&by_cn), None);
}

#[test]
fn ingest_is_refused_for_a_source_the_certificate_is_not_mapped_to() {
    let okta = ClientIdentity {
        name: "okta-forwarder".into(),
        sources: vec!["okta".into()],
    };
    assert!(ensure_client_may_write(None, "sshd").is_ok());
    assert!(ensure_client_may_write(Some(&okta), "okta").is_ok());
    let err = ensure_client_may_write(Some(&okta), "sshd").unwrap_err();
    assert_eq!(err.status.as_u16(), 403);
    assert_eq!(err.code, "source_not_allowed");
    assert!(
        err.message.contains("okta-forwarder") && err.message.contains("\"sshd\""),
        "{}",
        err.message
    );
    let unmapped = ClientIdentity {
        name: "stranger".into(),
        sources: vec![],
    };
    let err = ensure_client_may_write(Some(&unmapped), "okta").unwrap_err();
    assert!(
        err.message.contains("mapped to no source"),
        "{}",
        err.message
    );
}

#[test]
fn settings_that_cannot_work_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    write_pki(tmp.path());
    let mut settings = TlsSettings::new("server.pem".into(), "server.key".into());
    settings.relative_to(tmp.path());
    let setup = TlsSetup::load(&settings).unwrap();
    assert!(setup.warnings.is_empty(), "{:?}", setup.warnings);
    assert_eq!(
        setup.http.current().alpn_protocols,
        vec![b"http/1.1".to_vec()]
    );
    assert!(!setup.verifies_clients);

    let mut mapped_without_ca = settings.clone();
    mapped_without_ca.client_sources = mapping(&[("x", &["okta"])]);
    let err = TlsSetup::load(&mapped_without_ca).unwrap_err();
    assert!(
        err.to_string().contains("client_sources needs client_ca"),
        "{err}"
    );

    let mut bad_source = settings.clone();
    bad_source.client_ca = Some(tmp.path().join("ca.pem"));
    bad_source.client_sources = mapping(&[("x", &["has space"])]);
    let err = TlsSetup::load(&bad_source).unwrap_err();
    assert!(matches!(err, TlsError::Settings(_)), "{err}");
    assert!(err.to_string().contains("client_sources.\"x\""), "{err}");

    let mut ca_not_pem = settings.clone();
    std::fs::write(tmp.path().join("junk"), "junk").unwrap();
    ca_not_pem.client_ca = Some(tmp.path().join("junk"));
    let err = TlsSetup::load(&ca_not_pem).unwrap_err();
    assert!(matches!(err, TlsError::NoCertificate { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_handshake_does_not_hold_up_other_clients() {
    let tmp = tempfile::tempdir().unwrap();
    let (ca_pem, _) = write_pki(tmp.path());
    let mut settings = TlsSettings::new("server.pem".into(), "server.key".into());
    settings.relative_to(tmp.path());
    let mut setup = TlsSetup::load(&settings).unwrap();
    // Were handshakes run one after another, a stalled one would hold up the next for this long
    // and the request below would time out.
    setup.handshake_timeout = Duration::from_secs(3600);
    let data = tmp.path().join("data");
    keys::init(&Layout::new(&data), "example.com/tls-test").unwrap();
    let log = Arc::new(EmbeddedLog::open(&data, LogOptions::default()).unwrap());
    let app = router(AppState::new(
        log,
        Limits::default(),
        Arc::new(ParseConfig::default()),
    ));
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let listener = TlsListener::new(tcp, &setup).unwrap();
    tokio::spawn(async move { axum::serve(listener, TlsListener::app(app)).await });

    // Connections that never start their handshake.
    let mut stalled = Vec::new();
    for _ in 0..3 {
        stalled.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let resp = client
        .get(format!("https://localhost:{}/healthz", addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    drop(stalled);
}
