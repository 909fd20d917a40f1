//! What gateway access logs (nginx, Envoy) share: which requests are authentication, where the
//! client really is, and how secrets that identify a session become correlation keys.

use std::net::IpAddr;

use ipnet::IpNet;
use sha2::{Digest, Sha256};

/// How access logs are read.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// Proxies whose `X-Forwarded-For` is believed; the client address is the first hop, from
    /// the right, that is not one of them. Empty: `X-Forwarded-For` is ignored.
    pub trusted_proxies: Vec<IpNet>,
    /// Request paths (exact, or prefix when ending in `*`) whose requests are authentication
    /// attempts: login form POSTs, token endpoints.
    pub auth_paths: Vec<String>,
    /// Names of cookies that carry a session; their hashed value becomes `session.uid`.
    pub session_cookies: Vec<String>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            trusted_proxies: Vec::new(),
            auth_paths: [
                "/login",
                "/signin",
                "/sign_in",
                "/auth/login",
                "/user/login",
                "/users/sign_in",
                "/wp-login.php",
                "/oauth/token",
                "/oauth2/token",
                "/token",
                "/api/login",
                "/api/auth/login",
                "/session",
                "/sessions",
            ]
            .map(String::from)
            .to_vec(),
            session_cookies: [
                "session",
                "sessionid",
                "session_id",
                "sid",
                "PHPSESSID",
                "JSESSIONID",
                "connect.sid",
                "_session_id",
                "authelia_session",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

impl GatewayConfig {
    /// Whether requests to `path` (query string ignored) are authentication attempts.
    pub fn is_auth_path(&self, path: &str) -> bool {
        let path = path.split('?').next().unwrap_or(path);
        self.auth_paths.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => path == p,
        })
    }

    /// The client's address: `remote` itself unless it is a trusted proxy, in which case the
    /// `X-Forwarded-For` hops are walked from the right past trusted proxies.
    pub fn client_ip(&self, remote: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.is_trusted(remote) {
            return remote;
        }
        let Some(xff) = forwarded_for else {
            return remote;
        };
        let mut client = remote;
        for hop in xff.rsplit(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !self.is_trusted(ip) {
                        break;
                    }
                }
                // A hop that is not an address cannot be vouched for: stop at the last good one.
                Err(_) => break,
            }
        }
        client
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }

    /// The value of the first configured session cookie in a `Cookie` header.
    pub fn session_cookie<'a>(&self, cookie_header: &'a str) -> Option<&'a str> {
        cookie_header.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (self.session_cookies.iter().any(|c| c == name) && !value.is_empty()).then_some(value)
        })
    }
}

/// A correlation key for a secret (session cookie, bearer token): `sha256:` and the first 32 hex
/// digits of its SHA-256, so the log links requests without storing the secret.
pub fn secret_key(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    format!("sha256:{}", hex::encode(&digest[..16]))
}

/// The token of an `Authorization: Bearer …` header value, if it is one.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let mut config = GatewayConfig::default();
        // Nobody trusted: the peer address is the client, whatever the header says.
        assert_eq!(
            config.client_ip(ip("10.0.0.5"), Some("198.51.100.7")),
            ip("10.0.0.5")
        );
        config.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(
            config.client_ip(ip("10.0.0.5"), Some("198.51.100.7, 10.0.0.9")),
            ip("198.51.100.7")
        );
        // A client cannot prepend a forged hop: the first untrusted hop from the right wins.
        assert_eq!(
            config.client_ip(ip("10.0.0.5"), Some("1.2.3.4, 198.51.100.7")),
            ip("198.51.100.7")
        );
        // An untrusted peer's header is ignored.
        assert_eq!(
            config.client_ip(ip("203.0.113.1"), Some("1.2.3.4")),
            ip("203.0.113.1")
        );
        // Garbage in the header stops the walk.
        assert_eq!(
            config.client_ip(ip("10.0.0.5"), Some("nonsense, 10.0.0.7")),
            ip("10.0.0.7")
        );
    }

    #[test]
    fn auth_paths_cookies_and_tokens() {
        let config = GatewayConfig {
            auth_paths: vec!["/login".into(), "/oauth/*".into()],
            ..GatewayConfig::default()
        };
        assert!(config.is_auth_path("/login?next=/"));
        assert!(config.is_auth_path("/oauth/token"));
        assert!(!config.is_auth_path("/login/help"));
        let config = GatewayConfig::default();
        assert_eq!(
            config.session_cookie("theme=dark; sessionid=abc123; x=y"),
            Some("abc123")
        );
        assert_eq!(config.session_cookie("theme=dark"), None);
        assert_eq!(bearer_token("Bearer eyJ.abc"), Some("eyJ.abc"));
        assert_eq!(bearer_token("Basic dXNlcg=="), None);
        let key = secret_key("abc123");
        assert!(key.starts_with("sha256:") && key.len() == 7 + 32, "{key}");
        assert_ne!(secret_key("abc124"), key);
    }
}
