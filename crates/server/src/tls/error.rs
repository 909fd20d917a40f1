//! Why a TLS setup was refused.

use std::path::PathBuf;

/// A certificate, key or client-CA file that cannot be used, or settings that do not fit.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file cannot be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid PEM.
    #[error("{path}: not PEM: {reason}")]
    NotPem {
        /// The file.
        path: PathBuf,
        /// What the PEM reader found wrong.
        reason: String,
    },
    /// The file holds no certificate.
    #[error("{path}: no certificate in it (want PEM \"BEGIN CERTIFICATE\" blocks)")]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// A certificate in the file cannot be decoded.
    #[error("{path}: certificate {index} is not a valid X.509 certificate: {reason}")]
    BadCertificate {
        /// The file.
        path: PathBuf,
        /// Its place in the file, from 1.
        index: usize,
        /// What the decoder found wrong.
        reason: String,
    },
    /// The file holds no private key.
    #[error("{path}: no private key in it (want a PEM PKCS#8, PKCS#1 or SEC1 key)")]
    NoKey {
        /// The file.
        path: PathBuf,
    },
    /// The private key is of a kind the TLS provider cannot use.
    #[error("{path}: unusable private key: {reason}")]
    BadKey {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The private key is not the key of the certificate.
    #[error("{key}: the private key does not match the certificate in {cert}")]
    KeyMismatch {
        /// The key file.
        key: PathBuf,
        /// The certificate file.
        cert: PathBuf,
    },
    /// The client CA file cannot be used to verify client certificates.
    #[error("{path}: cannot verify client certificates with it: {reason}")]
    BadClientCa {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Settings that contradict each other or name a bad source.
    #[error("{0}")]
    Settings(String),
}
