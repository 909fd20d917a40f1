//! The `[alerts]` section of the serve config, and its validation into the outputs to run.

use std::fmt;
use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

use super::defaults;
use super::error::OutputError;

/// The [alerts] section of the serve config.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputsConfig {
    /// Webhooks (`[[alerts.webhook]]`).
    #[serde(default)]
    pub webhook: Vec<WebhookConfig>,
    /// Syslog receivers (`[[alerts.syslog]]`).
    #[serde(default)]
    pub syslog: Vec<SyslogConfig>,
    /// Whether alerts are also written to stdout as JSON lines (`alerts.stdout = true`).
    #[serde(default)]
    pub stdout: bool,
}

/// One webhook (`[[alerts.webhook]]`).
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// The output's name (default `webhook-N`, N its position from 1).
    pub name: Option<String>,
    /// The URL alerts are POSTed to (http or https); empty when `url_env` names it.
    #[serde(default)]
    pub url: String,
    /// The name of an environment variable holding the URL (a Slack webhook's URL is a
    /// credential).
    pub url_env: Option<String>,
    /// The HMAC-SHA256 signing secret.
    pub secret: Option<String>,
    /// The name of an environment variable holding the signing secret.
    pub secret_env: Option<String>,
    /// The body: `json` (default) or `slack`.
    pub format: Option<String>,
    /// The request's timeout in ms (default 5000).
    pub timeout_ms: Option<u64>,
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret, and the URL's path (a Slack URL's credential), stay out of logs.
        f.debug_struct("WebhookConfig")
            .field("name", &self.name)
            .field("url", &redacted_url(&self.url))
            .field("url_env", &self.url_env)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("secret_env", &self.secret_env)
            .field("format", &self.format)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// One syslog receiver (`[[alerts.syslog]]`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogConfig {
    /// The output's name (default `syslog-N`, N its position from 1).
    pub name: Option<String>,
    /// The receiver, `host:port` (`[v6]:port` for an IPv6 literal).
    pub address: String,
    /// `udp` or `tcp`.
    pub transport: String,
    /// The facility's name (default `authpriv`).
    pub facility: Option<String>,
    /// The APP-NAME field (default `authtrail`).
    pub app_name: Option<String>,
}

/// A validated output.
#[derive(Clone, Debug)]
pub(crate) struct Output {
    /// Its unique name, the key of its deliveries in the outbox.
    pub name: String,
    /// Where and how it delivers.
    pub kind: Kind,
}

/// A validated output's kind and settings.
#[derive(Clone)]
pub(crate) enum Kind {
    /// An HTTP POST per alert.
    Webhook {
        url: Url,
        secret: Option<Vec<u8>>,
        format: Format,
        timeout: Duration,
    },
    /// An RFC 5424 message per alert.
    Syslog {
        address: String,
        transport: Transport,
        facility: u8,
        app_name: String,
    },
    /// A JSON line per alert on stdout.
    Stdout,
}

impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Webhook { url, format, .. } => {
                write!(f, "Webhook({}, {format:?})", redacted_url(url.as_str()))
            }
            Kind::Syslog {
                address, transport, ..
            } => write!(f, "Syslog({address}, {transport:?})"),
            Kind::Stdout => f.write_str("Stdout"),
        }
    }
}

/// A webhook's body format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// `{"seq": N, "alert": <finding>}`.
    Json,
    /// `{"text": "..."}` for a Slack incoming webhook.
    Slack,
}

/// A syslog transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    /// One datagram per message.
    Udp,
    /// RFC 6587 octet counting.
    Tcp,
}

/// Syslog facility names and codes (RFC 5424 §6.2.1, with the usual names).
const FACILITIES: &[(&str, u8)] = &[
    ("kern", 0),
    ("user", 1),
    ("mail", 2),
    ("daemon", 3),
    ("auth", 4),
    ("syslog", 5),
    ("lpr", 6),
    ("news", 7),
    ("uucp", 8),
    ("cron", 9),
    ("authpriv", 10),
    ("ftp", 11),
    ("ntp", 12),
    ("audit", 13),
    ("alert", 14),
    ("clock", 15),
    ("local0", 16),
    ("local1", 17),
    ("local2", 18),
    ("local3", 19),
    ("local4", 20),
    ("local5", 21),
    ("local6", 22),
    ("local7", 23),
];

/// The name of the stdout output.
pub(crate) const STDOUT_NAME: &str = "stdout";

impl OutputsConfig {
    /// The outputs to run, or the first invalid key.
    pub(crate) fn validate(&self) -> Result<Vec<Output>, OutputError> {
        let mut outputs = Vec::new();
        for (i, w) in self.webhook.iter().enumerate() {
            let name = output_name(w.name.as_deref(), "webhook", i)?;
            outputs.push(Output {
                kind: webhook(&name, w)?,
                name,
            });
        }
        for (i, s) in self.syslog.iter().enumerate() {
            let name = output_name(s.name.as_deref(), "syslog", i)?;
            outputs.push(Output {
                kind: syslog(&name, s)?,
                name,
            });
        }
        if self.stdout {
            outputs.push(Output {
                name: STDOUT_NAME.to_string(),
                kind: Kind::Stdout,
            });
        }
        for (i, o) in outputs.iter().enumerate() {
            if outputs[..i].iter().any(|p| p.name == o.name) {
                return Err(OutputError::config(
                    &o.name,
                    "name",
                    "another output has the same name (names key the delivery queue)",
                ));
            }
        }
        Ok(outputs)
    }
}

/// The output's name, or `KIND-N` by its position.
fn output_name(name: Option<&str>, kind: &str, index: usize) -> Result<String, OutputError> {
    let Some(name) = name else {
        return Ok(format!("{kind}-{}", index + 1));
    };
    if name.is_empty() || name.chars().any(char::is_control) {
        let shown = format!("{kind}-{}", index + 1);
        return Err(OutputError::config(
            &shown,
            "name",
            format!("{name:?} is not a name (empty, or has control characters)"),
        ));
    }
    Ok(name.to_string())
}

/// A webhook's settings.
fn webhook(name: &str, w: &WebhookConfig) -> Result<Kind, OutputError> {
    let (text, key) = match (w.url.is_empty(), &w.url_env) {
        (false, Some(_)) => {
            return Err(OutputError::config(
                name,
                "url_env",
                "set either url or url_env, not both",
            ))
        }
        (false, None) => (w.url.clone(), "url"),
        (true, Some(var)) => (from_env(name, "url_env", var)?, "url_env"),
        (true, None) => {
            return Err(OutputError::config(
                name,
                "url",
                "is required (or url_env, naming an environment variable that holds it)",
            ))
        }
    };
    let url = Url::parse(&text).map_err(|e| {
        OutputError::config(
            name,
            key,
            format!("{:?} is not a URL: {e}", redacted_url(&text)),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(OutputError::config(
            name,
            key,
            format!(
                "{:?} is not an http:// or https:// URL with a host",
                redacted_url(&text)
            ),
        ));
    }
    let secret = match (&w.secret, &w.secret_env) {
        (Some(_), Some(_)) => {
            return Err(OutputError::config(
                name,
                "secret_env",
                "set either secret or secret_env, not both",
            ))
        }
        (Some(s), None) if s.is_empty() => {
            return Err(OutputError::config(name, "secret", "is empty"))
        }
        (Some(s), None) => Some(s.as_bytes().to_vec()),
        (None, Some(var)) => Some(from_env(name, "secret_env", var)?.into_bytes()),
        (None, None) => None,
    };
    let format = match w.format.as_deref() {
        None | Some("json") => Format::Json,
        Some("slack") => Format::Slack,
        Some(other) => {
            return Err(OutputError::config(
                name,
                "format",
                format!("unknown format {other:?} (expected \"json\" or \"slack\")"),
            ))
        }
    };
    let timeout_ms = w.timeout_ms.unwrap_or(defaults::WEBHOOK_TIMEOUT_MS);
    if timeout_ms == 0 {
        return Err(OutputError::config(
            name,
            "timeout_ms",
            "must be at least 1",
        ));
    }
    Ok(Kind::Webhook {
        url,
        secret,
        format,
        timeout: Duration::from_millis(timeout_ms),
    })
}

/// The value of environment variable `var`, which output `name`'s `key` names.
fn from_env(name: &str, key: &'static str, var: &str) -> Result<String, OutputError> {
    let why = match std::env::var(var) {
        Ok(s) if !s.is_empty() => return Ok(s),
        Ok(_) => "is empty",
        Err(std::env::VarError::NotPresent) => "is not set",
        Err(std::env::VarError::NotUnicode(_)) => "is not UTF-8",
    };
    Err(OutputError::config(
        name,
        key,
        format!("environment variable {var} {why}"),
    ))
}

/// A syslog receiver's settings.
fn syslog(name: &str, s: &SyslogConfig) -> Result<Kind, OutputError> {
    check_address(&s.address)
        .map_err(|why| OutputError::config(name, "address", format!("{:?} {why}", s.address)))?;
    let transport = match s.transport.as_str() {
        "udp" => Transport::Udp,
        "tcp" => Transport::Tcp,
        other => {
            return Err(OutputError::config(
                name,
                "transport",
                format!("unknown transport {other:?} (expected \"udp\" or \"tcp\")"),
            ))
        }
    };
    let facility_name = s.facility.as_deref().unwrap_or(defaults::SYSLOG_FACILITY);
    let Some(&(_, facility)) = FACILITIES.iter().find(|(n, _)| *n == facility_name) else {
        let known: Vec<&str> = FACILITIES.iter().map(|(n, _)| *n).collect();
        return Err(OutputError::config(
            name,
            "facility",
            format!(
                "unknown facility {facility_name:?} (expected one of {})",
                known.join(", ")
            ),
        ));
    };
    let app_name = s
        .app_name
        .clone()
        .unwrap_or_else(|| defaults::SYSLOG_APP_NAME.to_string());
    let printable = app_name.bytes().all(|b| (33..=126).contains(&b));
    if app_name.is_empty() || app_name.len() > 48 || !printable {
        return Err(OutputError::config(
            name,
            "app_name",
            format!("{app_name:?} is not 1 to 48 printable ASCII characters without spaces (RFC 5424 APP-NAME)"),
        ));
    }
    Ok(Kind::Syslog {
        address: s.address.clone(),
        transport,
        facility,
        app_name,
    })
}

/// Whether `address` is `host:port` (`[v6]:port` for an IPv6 literal); why not.
fn check_address(address: &str) -> Result<(), &'static str> {
    let Some((host, port)) = address.rsplit_once(':') else {
        return Err("is not host:port");
    };
    match port.parse::<u16>() {
        Ok(p) if p > 0 => {}
        _ => return Err("has no port from 1 to 65535"),
    }
    let bracketed = host.starts_with('[') && host.ends_with(']') && host.len() > 2;
    if host.is_empty() || (host.contains(':') && !bracketed) {
        return Err("is not host:port (write an IPv6 address as [addr]:port)");
    }
    Ok(())
}

/// A URL with only its scheme and host shown (the path and query may carry a credential).
fn redacted_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{}://{h}:{p}/…", u.scheme()),
            (Some(h), None) => format!("{}://{h}/…", u.scheme()),
            _ => "<redacted>".to_string(),
        },
        Err(_) => "<redacted>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(url: &str) -> WebhookConfig {
        WebhookConfig {
            url: url.into(),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_are_applied() {
        let config = OutputsConfig {
            webhook: vec![hook("https://example.com/hook")],
            syslog: vec![SyslogConfig {
                address: "127.0.0.1:514".into(),
                transport: "udp".into(),
                ..Default::default()
            }],
            stdout: true,
        };
        let outputs = config.validate().unwrap();
        let names: Vec<&str> = outputs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["webhook-1", "syslog-1", "stdout"]);
        match &outputs[0].kind {
            Kind::Webhook {
                format,
                timeout,
                secret,
                ..
            } => {
                assert_eq!(*format, Format::Json);
                assert_eq!(*timeout, Duration::from_millis(5000));
                assert!(secret.is_none());
            }
            other => panic!("{other:?}"),
        }
        match &outputs[1].kind {
            Kind::Syslog {
                facility, app_name, ..
            } => {
                assert_eq!(*facility, 10);
                assert_eq!(app_name, "authtrail");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn addresses() {
        assert!(check_address("logs.example.com:514").is_ok());
        assert!(check_address("[::1]:514").is_ok());
        assert!(check_address("::1:514").is_err());
        assert!(check_address("host").is_err());
        assert!(check_address("host:0").is_err());
        assert!(check_address(":514").is_err());
    }

    #[test]
    fn debug_hides_the_secret_and_the_path() {
        let mut w = hook("https://hooks.slack.com/services/T000/B000/XXXX");
        w.secret = Some("hunter2".into());
        let text = format!("{w:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("XXXX"), "{text}");
        assert!(text.contains("hooks.slack.com"), "{text}");
    }

    #[test]
    fn secret_and_secret_env_exclude_each_other() {
        let mut w = hook("https://example.com/");
        w.secret = Some("a".into());
        w.secret_env = Some("PATH".into());
        let err = OutputsConfig {
            webhook: vec![w],
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("secret_env"), "{err}");
    }

    #[test]
    fn url_env_is_read_and_excludes_url() {
        let refused = |w: WebhookConfig| {
            OutputsConfig {
                webhook: vec![w],
                ..Default::default()
            }
            .validate()
            .unwrap_err()
            .to_string()
        };
        // PATH is set wherever tests run, and is no URL.
        let w = WebhookConfig {
            url_env: Some("PATH".into()),
            ..Default::default()
        };
        let err = refused(w.clone());
        assert!(
            err.contains("url_env") && err.contains("not a URL"),
            "{err}"
        );
        let err = refused(WebhookConfig {
            url: "https://example.com/".into(),
            ..w
        });
        assert!(err.contains("not both"), "{err}");
        let err = refused(WebhookConfig {
            url_env: Some("AUTHTRAIL_TEST_SURELY_UNSET_VARIABLE".into()),
            ..Default::default()
        });
        assert!(
            err.contains("AUTHTRAIL_TEST_SURELY_UNSET_VARIABLE is not set"),
            "{err}"
        );
        let none = refused(WebhookConfig::default());
        assert!(none.contains("url") && none.contains("required"), "{none}");
    }

    #[test]
    fn secret_env_is_read() {
        // PATH is set wherever tests run.
        let mut w = hook("https://example.com/");
        w.secret_env = Some("PATH".into());
        let outputs = OutputsConfig {
            webhook: vec![w],
            ..Default::default()
        }
        .validate()
        .unwrap();
        match &outputs[0].kind {
            Kind::Webhook { secret, .. } => assert!(secret.is_some()),
            other => panic!("{other:?}"),
        }
    }
}
