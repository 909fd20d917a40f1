//! `authtrail serve` over TLS (docs/TLS.md), end to end with a CA made at test time: HTTPS
//! ingest, no HTTP answer on the TLS port, client certificates mapped to sources, syslog over
//! TLS (RFC 5425), certificate files that refuse the start, and a renewed certificate taken on
//! SIGHUP (a bad one ignored).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{event, expect_code, init, json_lines, run_in, unique_marker, Server};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use reqwest::blocking::Client;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use serde_json::Value;

/// A certificate authority made for one test.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
    der: CertificateDer<'static>,
}

/// A certificate signed by a [`Ca`], with its key.
struct Leaf {
    cert_pem: String,
    key_pem: String,
    cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca {
            pem: cert.pem(),
            der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A certificate for `cn` with `sans`, for a server or a client.
    fn leaf(&self, cn: &str, sans: &[&str], server: bool) -> Leaf {
        let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(sans).unwrap();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![if server {
            ExtendedKeyUsagePurpose::ServerAuth
        } else {
            ExtendedKeyUsagePurpose::ClientAuth
        }];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().clone(),
            key_der: key.serialize_der(),
        }
    }
}

/// The test's certificates, written to files in a temporary directory.
struct Pki {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    ca: Ca,
    okta: Leaf,
    stranger: Leaf,
}

impl Pki {
    fn new() -> Pki {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let ca = Ca::new("authtrail test CA");
        let server = ca.leaf("authtrail", &["localhost", "127.0.0.1"], true);
        let okta = ca.leaf("okta-forwarder", &[], false);
        // Same name, but signed by a CA the server does not trust.
        let stranger = Ca::new("another CA").leaf("okta-forwarder", &[], false);
        std::fs::write(dir.join("ca.pem"), &ca.pem).unwrap();
        std::fs::write(dir.join("server.pem"), &server.cert_pem).unwrap();
        std::fs::write(dir.join("server.key"), &server.key_pem).unwrap();
        Pki {
            _tmp: tmp,
            dir,
            ca,
            okta,
            stranger,
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }

    /// An HTTPS client trusting the test CA, presenting `leaf` and sending the bearer `token`
    /// if given.
    fn client(&self, leaf: Option<&Leaf>, token: Option<&str>) -> Client {
        let mut builder = Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(self.ca.pem.as_bytes()).unwrap())
            .timeout(Duration::from_secs(20));
        if let Some(token) = token {
            let mut headers = reqwest::header::HeaderMap::new();
            let value = format!("Bearer {token}").parse().unwrap();
            headers.insert(reqwest::header::AUTHORIZATION, value);
            builder = builder.default_headers(headers);
        }
        if let Some(leaf) = leaf {
            let pem = format!("{}{}", leaf.cert_pem, leaf.key_pem);
            builder = builder.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
        }
        builder.build().unwrap()
    }

    /// `serve` on `dir` with [`Pki::mtls_config`].
    fn serve_mtls(&self, dir: &Path, extra: &str) -> Server {
        let config = self.mtls_config(extra);
        Server::start_with(dir, &["--config", config.to_str().unwrap()])
    }

    /// A configuration file requiring client certificates, `okta-forwarder` mapped to `okta`;
    /// `extra` comes first.
    fn mtls_config(&self, extra: &str) -> PathBuf {
        let config = self.dir.join("authtrail.toml");
        let text = format!(
            concat!(
                "{extra}\n",
                "[tls]\n",
                "cert = \"server.pem\"\n",
                "key = \"server.key\"\n",
                "client_ca = \"ca.pem\"\n",
                "require_client_cert = true\n",
                "\n",
                "[tls.client_sources]\n",
                "\"okta-forwarder\" = [\"okta\"]\n",
            ),
            extra = extra
        );
        std::fs::write(&config, text).unwrap();
        config
    }
}

/// `POST /v1/events?source=SOURCE` with one event; the response.
fn post_event(
    client: &Client,
    url: &str,
    source: &str,
    marker: &str,
) -> reqwest::Result<reqwest::blocking::Response> {
    client
        .post(format!("{url}/v1/events?source={source}"))
        .body(event(marker))
        .send()
}

/// A temporary directory with an initialized data directory in it.
fn fresh_data() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    init(&dir);
    (tmp, dir)
}

/// An event posted by `client` with `source` is accepted, and `reader` finds its entry in the
/// log under that source.
fn assert_ingested(client: &Client, reader: &Client, url: &str, source: &str) {
    let marker = unique_marker(source);
    let resp = post_event(client, url, source, &marker).unwrap();
    assert_eq!(resp.status(), 200);
    let seq = resp.json::<Value>().unwrap()["first_seq"].as_u64().unwrap();
    let entry: Value = reader
        .get(format!("{url}/v1/entries/{seq}"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(entry["header"]["source"], source);
    assert_eq!(entry["event"]["metadata"]["uid"], marker.as_str());
}

#[test]
fn https_ingest_works_and_plain_http_gets_no_answer() {
    let pki = Pki::new();
    let (_tmp, dir) = fresh_data();
    let (cert, key) = (pki.path("server.pem"), pki.path("server.key"));
    let server = Server::start_with(&dir, &["--tls-cert", &cert, "--tls-key", &key]);
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );

    let client = pki.client(None, Some(&server.token));
    assert_ingested(&client, &client, &server.url, "web");

    // Plain HTTP to the TLS port: the handshake fails and no HTTP answer comes back.
    let addr = server.url.trim_start_matches("https://");
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer);
    assert!(
        !answer.starts_with(b"HTTP/"),
        "plain HTTP got an HTTP answer: {:?}",
        String::from_utf8_lossy(&answer)
    );
    let plain = Client::new()
        .get(format!("http://{addr}/healthz"))
        .timeout(Duration::from_secs(20))
        .send();
    assert!(plain.is_err(), "plain HTTP answered: {plain:?}");

    // The server is still fine after the failed handshakes.
    let resp = client
        .get(format!("{}/healthz", server.url))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[test]
fn client_certificates_are_required_and_mapped_to_sources() {
    let pki = Pki::new();
    let (_tmp, dir) = fresh_data();
    let server = pki.serve_mtls(&dir, "");
    assert!(server.url.starts_with("https://"), "{}", server.url);

    // No client certificate: the handshake fails, no answer.
    let anonymous = post_event(
        &pki.client(None, Some(&server.token)),
        &server.url,
        "okta",
        &unique_marker("anon"),
    );
    assert!(
        anonymous.is_err(),
        "answered without a client certificate: {anonymous:?}"
    );

    // A certificate from another CA (with a mapped name) is refused too.
    let stranger = pki.client(Some(&pki.stranger), Some(&server.token));
    let refused = post_event(&stranger, &server.url, "okta", &unique_marker("stranger"));
    assert!(
        refused.is_err(),
        "answered a foreign certificate: {refused:?}"
    );

    // The mapped certificate is an ingest caller for its sources without a token, and writes
    // its own source...
    let okta = pki.client(Some(&pki.okta), None);
    let admin = pki.client(Some(&pki.okta), Some(&server.token));
    assert_ingested(&okta, &admin, &server.url, "okta");
    // ...but reads nothing without a token;
    let resp = okta
        .get(format!("{}/v1/entries/0", server.url))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 401);

    // ...and no other: 403 naming the certificate and the source, on every ingest route, even
    // with an admin token.
    for (route, client) in [
        ("/v1/events", &okta),
        ("/v1/raw", &okta),
        ("/v1/events", &admin),
    ] {
        let resp = client
            .post(format!("{}{route}?source=sshd", server.url))
            .body(event(&unique_marker("sshd")))
            .send()
            .unwrap();
        assert_eq!(resp.status(), 403, "{route}");
        let body: Value = resp.json().unwrap();
        assert_eq!(body["error"]["code"], "source_not_allowed", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("okta-forwarder") && message.contains("sshd"),
            "{message}"
        );
        assert_eq!(
            body["error"]["details"]["allowed"],
            serde_json::json!(["okta"])
        );
    }
    let resp = okta
        .post(format!("{}/v1/logs?source=sshd", server.url))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(resp.status(), 403, "/v1/logs");
    // Each refusal counted by its reason (docs/METRICS.md).
    let metrics = admin
        .get(format!("{}/metrics", server.url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    for line in [
        "authtrail_auth_refused_total{reason=\"source_not_allowed\"} 4",
        "authtrail_auth_refused_total{reason=\"unauthenticated\"} 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line}:\n{metrics}");
    }
}

/// A rustls client trusting `ca` and presenting `leaf`, connected to `addr`.
fn tls_client(
    ca: &CertificateDer<'static>,
    leaf: &Leaf,
    addr: &str,
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key_der.clone()));
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(vec![leaf.cert_der.clone()], key)
        .unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    rustls::StreamOwned::new(conn, TcpStream::connect(addr).unwrap())
}

#[test]
fn syslog_over_tls_reaches_the_log_under_the_certificates_source() {
    let pki = Pki::new();
    let (_tmp, dir) = fresh_data();
    // One listener taking its source from the certificate, one fixed to a source okta may not write.
    let syslog = concat!(
        "[[syslog]]\nlisten = \"127.0.0.1:0\"\ntransport = \"tls\"\n",
        "[[syslog]]\nlisten = \"127.0.0.1:0\"\ntransport = \"tls\"\nsource = \"sshd\"\n",
    );
    let mut server = pki.serve_mtls(&dir, syslog);
    let mut addrs = Vec::new();
    loop {
        let line = server.next_line();
        if let Some(a) = line.strip_prefix("syslog tls listening on ") {
            addrs.push(a.to_string());
        } else if line == "ready" || line.is_empty() {
            break;
        }
    }
    assert_eq!(addrs.len(), 2, "syslog tls addresses printed: {addrs:?}");

    // RFC 5425: each message as "LEN SP MSG".
    let mut stream = tls_client(&pki.ca.der, &pki.okta, &addrs[0]);
    for (i, user) in ["carol", "dave"].iter().enumerate() {
        let msg = format!(
            "<38>Dec 10 06:55:4{i} host sshd[{i}]: Failed password for {user} from 203.0.113.{i} port 22 ssh2"
        );
        stream
            .write_all(format!("{} {msg}", msg.len()).as_bytes())
            .unwrap();
    }
    stream.flush().unwrap();
    stream.conn.send_close_notify();
    stream.flush().unwrap();
    // Read until the server closes: closing with its session tickets unread would make the
    // kernel reset the connection, and a reset can drop what the server had not read yet.
    let _ = stream.read_to_end(&mut Vec::new());
    drop(stream);

    // The listener fixed to `sshd` closes okta's connection (the writes may or may not fail).
    let mut refused = tls_client(&pki.ca.der, &pki.okta, &addrs[1]);
    let _ = refused.write_all(b"5 hello");
    let _ = refused.flush();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server
        .stderr()
        .contains("client certificate \"okta-forwarder\" may not write source \"sshd\"")
    {
        assert!(Instant::now() < deadline, "stderr: {}", server.stderr());
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(refused);

    let okta = pki.client(Some(&pki.okta), Some(&server.token));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found = (0..2).all(|seq| {
            okta.get(format!("{}/v1/entries/{seq}", server.url))
                .send()
                .is_ok_and(|r| r.status().is_success())
        });
        if found {
            break;
        }
        assert!(Instant::now() < deadline, "stderr: {}", server.stderr());
        std::thread::sleep(Duration::from_millis(100));
    }
    // A clean stop, then the lines are in `authtrail query` under the certificate's source.
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let _ = server.child.wait();
    let (out, _) = expect_code(
        &run_in(&dir, &["query", "source=okta", "--format", "json"]),
        0,
        "query",
    );
    let mut users: Vec<String> = json_lines(&out)
        .iter()
        .map(|v| {
            v["event"]["user"]["name"]
                .as_str()
                .unwrap_or("-")
                .to_string()
        })
        .collect();
    users.sort();
    assert_eq!(users, ["carol", "dave"], "{out}");
}

/// `serve` with `cert` and `key` must be refused (exit 2) with an error holding `needles`.
fn assert_refused(dir: &Path, cert: &str, key: &str, needles: &[&str]) {
    let args = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        cert,
        "--tls-key",
        key,
    ];
    let (_, err) = expect_code(&run_in(dir, &args), 2, "serve with bad TLS files");
    assert!(needles.iter().all(|n| err.contains(n)), "{err}");
}

#[test]
fn bad_certificate_files_refuse_the_start() {
    let pki = Pki::new();
    let (_tmp, dir) = fresh_data();
    let before = files_in(&dir);
    let (cert, key) = (pki.path("server.pem"), pki.path("server.key"));
    let junk = pki.path("junk.pem");
    std::fs::write(&junk, "hello, not a certificate\n").unwrap();
    let broken = pki.path("broken.pem");
    std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\nnot base64!\n").unwrap();
    let other_key = pki.path("other.key");
    std::fs::write(&other_key, &pki.okta.key_pem).unwrap();
    let missing = pki.path("missing.pem");

    assert_refused(&dir, &junk, &key, &[&junk, "no certificate"]);
    assert_refused(&dir, &broken, &key, &[&broken, "not PEM"]);
    assert_refused(&dir, &missing, &key, &[&missing, "cannot read"]);
    assert_refused(&dir, &cert, &cert, &[&cert, "no private key"]);
    assert_refused(
        &dir,
        &cert,
        &other_key,
        &[&other_key, "does not match", &cert],
    );

    // Client certificates required without a CA to check them against.
    let config = pki.dir.join("no-ca.toml");
    std::fs::write(
        &config,
        "[tls]\ncert = \"server.pem\"\nkey = \"server.key\"\nrequire_client_cert = true\n",
    )
    .unwrap();
    let args = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--config",
        config.to_str().unwrap(),
    ];
    let (_, err) = expect_code(
        &run_in(&dir, &args),
        2,
        "require_client_cert without client_ca",
    );
    assert!(err.contains("client_ca"), "{err}");

    // Syslog over TLS with TLS off.
    let args = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--syslog-tls",
        "127.0.0.1:0",
    ];
    let (_, err) = expect_code(&run_in(&dir, &args), 2, "syslog tls without tls");
    assert!(err.contains("transport tls needs [tls]"), "{err}");

    // The refused starts opened nothing: the data directory is as `init` left it.
    assert_eq!(files_in(&dir), before);
}

/// The paths of the files under `dir`, sorted.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_in(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

#[test]
fn an_expired_certificate_is_a_warning() {
    let pki = Pki::new();
    let (_tmp, dir) = fresh_data();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2019, 1, 1);
    params.not_after = rcgen::date_time_ymd(2020, 1, 1);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &pki.ca.issuer).unwrap();
    let (cert_path, key_path) = (pki.path("old.pem"), pki.path("old.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let server = Server::start_with(&dir, &["--tls-cert", &cert_path, "--tls-key", &key_path]);
    let err = server.stderr();
    assert!(
        err.contains("warning:") && err.contains(&cert_path) && err.contains("expired"),
        "{err}"
    );
}

/// The certificate the server at `addr` presents to a new connection (no client certificate).
fn served_certificate(ca: &CertificateDer<'static>, addr: &str) -> CertificateDer<'static> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut tcp = TcpStream::connect(addr).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).unwrap();
    }
    conn.peer_certificates().unwrap()[0].clone().into_owned()
}

#[test]
fn sighup_reloads_the_certificate_for_new_connections_and_a_bad_file_keeps_the_one_in_force() {
    let pki = Pki::new();
    let (_tmp, dir) = fresh_data();
    let config = pki.dir.join("authtrail.toml");
    std::fs::write(
        &config,
        "[tls]\ncert = \"server.pem\"\nkey = \"server.key\"\n",
    )
    .unwrap();
    let mut server = Server::start_with(&dir, &["--config", config.to_str().unwrap()]);
    let addr = server.url.trim_start_matches("https://").to_string();
    let hup = |server: &Server| {
        let pid = server.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success());
    };
    let wait_line = |server: &mut Server, prefix: &str| loop {
        let line = server.next_line();
        if line.starts_with(prefix) {
            return line;
        }
    };

    // A renewed certificate (another key, another name) replaces the files; SIGHUP.
    let renewed = pki
        .ca
        .leaf("authtrail-renewed", &["localhost", "127.0.0.1"], true);
    assert_ne!(served_certificate(&pki.ca.der, &addr), renewed.cert_der);
    let kept_open = pki.client(None, Some(&server.token));
    let before = post_event(&kept_open, &server.url, "http", &unique_marker("before")).unwrap();
    assert_eq!(before.status(), 200);
    std::fs::write(pki.dir.join("server.pem"), &renewed.cert_pem).unwrap();
    std::fs::write(pki.dir.join("server.key"), &renewed.key_pem).unwrap();
    hup(&server);
    let line = wait_line(&mut server, "tls: reloaded");
    assert!(line.contains("server.pem"), "{line}");
    assert_eq!(served_certificate(&pki.ca.der, &addr), renewed.cert_der);
    // HTTPS works on new connections and on the one opened before.
    let after = post_event(&kept_open, &server.url, "http", &unique_marker("after")).unwrap();
    assert_eq!(after.status(), 200);
    let fresh = pki.client(None, Some(&server.token));
    let fresh = post_event(&fresh, &server.url, "http", &unique_marker("fresh")).unwrap();
    assert_eq!(fresh.status(), 200);

    // A bad file: logged naming it, and the renewed certificate stays in force.
    std::fs::write(pki.dir.join("server.pem"), "not a certificate\n").unwrap();
    hup(&server);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !server.stderr().contains("files not reloaded") {
        assert!(
            Instant::now() < deadline,
            "no error logged: {}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let stderr = server.stderr();
    assert!(stderr.contains(&pki.path("server.pem")), "{stderr}");
    assert_eq!(served_certificate(&pki.ca.der, &addr), renewed.cert_der);
    // The server is still up (SIGHUP never stops it).
    let health = pki
        .client(None, None)
        .get(format!("{}/healthz", server.url))
        .send()
        .unwrap();
    assert_eq!(health.status(), 200);
}
