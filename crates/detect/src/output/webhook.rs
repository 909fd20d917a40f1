//! Webhook output: an HTTP POST per alert, signed with HMAC-SHA256 when a secret is set.

use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::blocking::Client;
use reqwest::header::CONTENT_TYPE;
use reqwest::Url;
use sha2::Sha256;

use super::config::Format;
use super::error::SendError;
use super::payload::Delivery;
use super::slack;

/// The alert's uid.
pub(crate) const ALERT_ID_HEADER: &str = "X-Authtrail-Alert-Id";
/// The send time, unix seconds, covered by the signature.
pub(crate) const TIMESTAMP_HEADER: &str = "X-Authtrail-Timestamp";
/// `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub(crate) const SIGNATURE_HEADER: &str = "X-Authtrail-Signature";

/// One webhook receiver.
pub(crate) struct Webhook {
    client: Client,
    url: Url,
    secret: Option<Vec<u8>>,
    format: Format,
    timeout: Duration,
}

impl Webhook {
    /// A webhook sending through `client`.
    pub fn new(
        client: Client,
        url: Url,
        secret: Option<Vec<u8>>,
        format: Format,
        timeout: Duration,
    ) -> Webhook {
        Webhook {
            client,
            url,
            secret,
            format,
            timeout,
        }
    }

    /// POSTs one alert; Ok on a 2xx answer.
    pub fn send(&self, d: &Delivery) -> Result<(), SendError> {
        let body = match self.format {
            Format::Json => d.json_body(),
            Format::Slack => slack::body(d),
        }
        .map_err(SendError::Unreadable)?;
        let timestamp = jiff::Timestamp::now().as_second();
        let mut request = self
            .client
            .post(self.url.clone())
            .timeout(self.timeout)
            .header(CONTENT_TYPE, "application/json")
            .header(ALERT_ID_HEADER, d.stored.uid.as_str())
            .header(TIMESTAMP_HEADER, timestamp.to_string());
        if let Some(secret) = &self.secret {
            let signature = signature(secret, timestamp, &body)?;
            request = request.header(SIGNATURE_HEADER, format!("sha256={signature}"));
        }
        let response = request.body(body).send()?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(SendError::Status(status.as_u16()))
        }
    }
}

/// Lowercase hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`.
pub(crate) fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> Result<String, SendError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently: python3 -c 'import hmac,hashlib;
        //   print(hmac.new(b"s3cret", b"1795737661.{\"seq\":1}", hashlib.sha256).hexdigest())'
        let sig = signature(b"s3cret", 1_795_737_661, br#"{"seq":1}"#).unwrap();
        assert_eq!(sig, EXPECTED);
    }

    #[test]
    fn signature_depends_on_every_part() {
        let base = signature(b"k", 1, b"body").unwrap();
        assert_ne!(base, signature(b"K", 1, b"body").unwrap());
        assert_ne!(base, signature(b"k", 2, b"body").unwrap());
        assert_ne!(base, signature(b"k", 1, b"bodY").unwrap());
        assert_eq!(base.len(), 64);
        assert!(base
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }

    const EXPECTED: &str = "405a464422b3945fa39c0914f66cf4ec7fa65a0883aac70bd3d9acb178ffeb08";
}
