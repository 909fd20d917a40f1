//! From the `[tls]` settings to a rustls server configuration (ring provider), refusing files
//! that cannot work and warning about certificates out of their validity period.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use x509_cert::der::Decode;
use x509_cert::Certificate;

use super::error::TlsError;
use super::handshake::HANDSHAKE_TIMEOUT;
use super::identity::ClientSources;
use super::reload::SharedConfig;

/// The `[tls]` table: where the certificate and key are, and how clients are checked.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// PEM file with the server certificate, then any intermediates.
    pub cert: PathBuf,
    /// PEM file with the server's private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// PEM file with the CA certificates that client certificates must chain to; when set,
    /// client certificates are asked for and verified.
    pub client_ca: Option<PathBuf>,
    /// Refuse clients without a valid certificate (needs `client_ca`; default false).
    #[serde(default)]
    pub require_client_cert: bool,
    /// A client certificate's subject CN or SAN DNS name → the sources it may write.
    #[serde(default)]
    pub client_sources: BTreeMap<String, Vec<String>>,
}

impl TlsSettings {
    /// Settings for a certificate and key with no client certificates.
    pub fn new(cert: PathBuf, key: PathBuf) -> Self {
        TlsSettings {
            cert,
            key,
            client_ca: None,
            require_client_cert: false,
            client_sources: BTreeMap::new(),
        }
    }

    /// Each file path taken relative to `dir` (absolute paths stay as they are).
    pub fn relative_to(&mut self, dir: &Path) {
        for p in [&mut self.cert, &mut self.key] {
            *p = dir.join(&*p);
        }
        if let Some(p) = self.client_ca.as_mut() {
            *p = dir.join(&*p);
        }
    }
}

/// Loaded TLS settings, ready to accept connections.
#[derive(Clone, Debug)]
pub struct TlsSetup {
    /// The settings the files were read from.
    pub settings: TlsSettings,
    /// Server configuration for HTTP (ALPN `http/1.1`).
    pub http: Arc<SharedConfig>,
    /// Server configuration for syslog (RFC 5425, no ALPN).
    pub syslog: Arc<SharedConfig>,
    /// Which client certificate may write which sources.
    pub clients: Arc<ClientSources>,
    /// Whether client certificates are asked for and verified.
    pub verifies_clients: bool,
    /// Whether a client without a valid certificate is refused.
    pub requires_clients: bool,
    /// Longest a client may take to finish its handshake.
    pub handshake_timeout: Duration,
    /// Things worth telling the operator that do not stop the start (an expired certificate).
    pub warnings: Vec<String>,
}

/// The rustls configurations made from the files, and what is worth telling about them.
struct Configs {
    http: Arc<ServerConfig>,
    syslog: Arc<ServerConfig>,
    clients: ClientSources,
    warnings: Vec<String>,
}

impl TlsSetup {
    /// Read and check the files named by `settings`.
    pub fn load(settings: &TlsSettings) -> Result<Self, TlsError> {
        let configs = Configs::load(settings)?;
        Ok(TlsSetup {
            settings: settings.clone(),
            http: Arc::new(SharedConfig::new(configs.http)),
            syslog: Arc::new(SharedConfig::new(configs.syslog)),
            clients: Arc::new(configs.clients),
            verifies_clients: settings.client_ca.is_some(),
            requires_clients: settings.require_client_cert,
            handshake_timeout: HANDSHAKE_TIMEOUT,
            warnings: configs.warnings,
        })
    }

    /// Read the certificate, key and client-CA files again; when they are good, new
    /// connections (HTTP and syslog) use them from now on, and the warnings about them are
    /// returned. When one is not, the files in force stay, and the error names it.
    pub fn reload(&self) -> Result<Vec<String>, TlsError> {
        let configs = Configs::load(&self.settings)?;
        self.http.replace(configs.http);
        self.syslog.replace(configs.syslog);
        Ok(configs.warnings)
    }
}

impl Configs {
    fn load(settings: &TlsSettings) -> Result<Self, TlsError> {
        if settings.require_client_cert && settings.client_ca.is_none() {
            return Err(TlsError::Settings(
                "require_client_cert needs client_ca (the CA that client certificates chain to)"
                    .into(),
            ));
        }
        if !settings.client_sources.is_empty() && settings.client_ca.is_none() {
            return Err(TlsError::Settings(
                "client_sources needs client_ca (client certificates are only read when verified)"
                    .into(),
            ));
        }
        let clients = ClientSources::new(settings.client_sources.clone())?;
        let mut warnings = Vec::new();
        let now = SystemTime::now();
        let certs = read_certs(&settings.cert)?;
        if let Some(w) = validity_warning(&settings.cert, &certs[0], now) {
            warnings.push(w);
        }
        let key = read_key(&settings.key)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Settings(e.to_string()))?;
        let builder = match &settings.client_ca {
            None => builder.with_no_client_auth(),
            Some(path) => {
                let bad = |reason: String| TlsError::BadClientCa {
                    path: path.clone(),
                    reason,
                };
                let mut roots = RootCertStore::empty();
                for cert in read_certs(path)? {
                    if let Some(w) = validity_warning(path, &cert, now) {
                        warnings.push(w);
                    }
                    roots.add(cert).map_err(|e| bad(e.to_string()))?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
                let verifier = if settings.require_client_cert {
                    verifier
                } else {
                    verifier.allow_unauthenticated()
                };
                builder.with_client_cert_verifier(verifier.build().map_err(|e| bad(e.to_string()))?)
            }
        };
        let syslog = builder.with_single_cert(certs, key).map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => TlsError::KeyMismatch {
                key: settings.key.clone(),
                cert: settings.cert.clone(),
            },
            other => TlsError::BadKey {
                path: settings.key.clone(),
                reason: other.to_string(),
            },
        })?;
        let mut http = syslog.clone();
        http.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Configs {
            http: Arc::new(http),
            syslog: Arc::new(syslog),
            clients,
            warnings,
        })
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn not_pem(path: &Path, e: pem::Error) -> TlsError {
    TlsError::NotPem {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// The certificates of a PEM file, at least one, each a valid X.509 certificate.
fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read_file(path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| not_pem(path, e))?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    for (i, cert) in certs.iter().enumerate() {
        Certificate::from_der(cert).map_err(|e| TlsError::BadCertificate {
            path: path.to_path_buf(),
            index: i + 1,
            reason: e.to_string(),
        })?;
    }
    Ok(certs)
}

/// The first private key of a PEM file.
fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read_file(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => TlsError::NoKey {
            path: path.to_path_buf(),
        },
        other => not_pem(path, other),
    })
}

/// A warning when `cert` (already decoded once) is expired or not yet valid at `now`.
fn validity_warning(path: &Path, cert: &CertificateDer<'_>, now: SystemTime) -> Option<String> {
    let cert = Certificate::from_der(cert).ok()?;
    let validity = cert.tbs_certificate.validity;
    let subject = cert.tbs_certificate.subject;
    if validity.not_after.to_system_time() < now {
        return Some(format!(
            "{}: certificate {subject} expired on {}; clients will refuse it",
            path.display(),
            validity.not_after
        ));
    }
    if validity.not_before.to_system_time() > now {
        return Some(format!(
            "{}: certificate {subject} is not valid before {}; clients will refuse it until then",
            path.display(),
            validity.not_before
        ));
    }
    None
}
