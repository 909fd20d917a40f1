//! Who a client certificate is, and which sources it may write.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use rustls_pki_types::CertificateDer;
use serde_json::json;
use x509_cert::der::asn1::{Ia5StringRef, PrintableStringRef, Utf8StringRef};
use x509_cert::der::oid::db::rfc4519::CN;
use x509_cert::der::Decode;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::Certificate;

use super::error::TlsError;
use crate::error::ApiError;

/// The verified client certificate of a connection, as a request extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientIdentity {
    /// The certificate's name that was looked up (its subject CN or a SAN DNS name).
    pub name: String,
    /// The sources it may write (empty when the name is not mapped).
    pub sources: Vec<String>,
}

impl ClientIdentity {
    /// Whether entries with `source` may be written over this connection.
    pub fn may_write(&self, source: &str) -> bool {
        self.sources.iter().any(|s| s == source)
    }
}

/// The `[tls.client_sources]` table: certificate name → sources.
#[derive(Clone, Debug, Default)]
pub struct ClientSources {
    map: BTreeMap<String, Vec<String>>,
}

impl ClientSources {
    /// The mapping, every source name checked.
    pub fn new(map: BTreeMap<String, Vec<String>>) -> Result<Self, TlsError> {
        for (name, sources) in &map {
            for source in sources {
                authtrail_store::prepare::validate_source_name(source)
                    .map_err(|e| TlsError::Settings(format!("client_sources.{name:?}: {e}")))?;
            }
        }
        Ok(ClientSources { map })
    }

    /// Whether no certificate is mapped (client certificates then restrict nothing).
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// How many certificate names are mapped.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// The identity of a verified certificate: the first of its subject CN and SAN DNS names
    /// that is mapped, else its first name with no sources. `None` when nothing is mapped.
    pub fn identify(&self, cert: &CertificateDer<'_>) -> Option<ClientIdentity> {
        if self.map.is_empty() {
            return None;
        }
        let names = certificate_names(cert);
        let mapped = names
            .iter()
            .find_map(|n| self.map.get(n).map(|sources| (n, sources)));
        Some(match mapped {
            Some((name, sources)) => ClientIdentity {
                name: name.clone(),
                sources: sources.clone(),
            },
            None => ClientIdentity {
                name: names
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| "(unnamed)".into()),
                sources: Vec::new(),
            },
        })
    }
}

/// A certificate's subject CN (first) and SAN DNS names; empty when it cannot be decoded.
pub fn certificate_names(cert: &CertificateDer<'_>) -> Vec<String> {
    let Ok(cert) = Certificate::from_der(cert) else {
        return Vec::new();
    };
    let tbs = &cert.tbs_certificate;
    let mut names: Vec<String> = tbs
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|atv| atv.oid == CN)
        .filter_map(|atv| {
            atv.value
                .decode_as::<Utf8StringRef<'_>>()
                .map(|s| s.to_string())
                .or_else(|_| {
                    atv.value
                        .decode_as::<PrintableStringRef<'_>>()
                        .map(|s| s.to_string())
                })
                .or_else(|_| {
                    atv.value
                        .decode_as::<Ia5StringRef<'_>>()
                        .map(|s| s.to_string())
                })
                .ok()
        })
        .collect();
    if let Ok(Some((_, SubjectAltName(general)))) = tbs.get::<SubjectAltName>() {
        names.extend(general.into_iter().filter_map(|g| match g {
            GeneralName::DnsName(dns) => Some(dns.to_string()),
            _ => None,
        }));
    }
    names
}

/// Refuse (403) an ingest of `source` by a client certificate not mapped to it; callers with
/// no mapped client certificate pass (other authentication decides for them).
pub fn ensure_client_may_write(
    identity: Option<&ClientIdentity>,
    source: &str,
) -> Result<(), ApiError> {
    let Some(identity) = identity else {
        return Ok(());
    };
    if identity.may_write(source) {
        return Ok(());
    }
    let allowed = if identity.sources.is_empty() {
        "it is mapped to no source".to_string()
    } else {
        format!("it may write {}", identity.sources.join(", "))
    };
    Err(ApiError {
        details: json!({
            "client": identity.name,
            "source": source,
            "allowed": identity.sources,
        }),
        ..ApiError::new(
            StatusCode::FORBIDDEN,
            "source_not_allowed",
            format!(
                "client certificate {:?} may not write source {source:?} ({allowed})",
                identity.name
            ),
        )
    })
}
