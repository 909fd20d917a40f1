//! The `serve` configuration file (TOML); flags override it.

use std::path::Path;

use std::net::IpAddr;

use anyhow::{Context, Result};
use authtrail_ingest::parse::gateway::GatewayConfig;
use authtrail_ingest::ParseConfig;
use ipnet::IpNet;
use jiff::tz::TimeZone;
use serde::Deserialize;

/// Settings of `authtrail serve`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Address to listen on.
    pub listen: Option<String>,
    /// Largest request body, in bytes.
    pub max_body_bytes: Option<usize>,
    /// Largest single event, in bytes.
    pub max_event_bytes: Option<usize>,
    /// Most events per request.
    pub max_events_per_batch: Option<usize>,
    /// Longest time between an append and a checkpoint covering it, in milliseconds (≤ 1000).
    pub checkpoint_interval_ms: Option<u64>,
    /// Log name used when the data directory is created.
    pub origin: Option<String>,
    /// Longest text line kept whole, in bytes; longer lines are stored cut and flagged.
    pub max_line_bytes: Option<usize>,
    /// Requests handled at once; more are answered 429.
    pub max_concurrent_requests: Option<usize>,
    /// Events per second one token may ingest on average (0: no limit).
    pub ingest_events_per_second: Option<u64>,
    /// Events one token may ingest at once above its rate.
    pub ingest_burst_events: Option<u64>,
    /// Who may call the HTTP API (docs/ACCESS.md).
    #[serde(default)]
    pub auth: AuthSettings,
    /// Zone of log timestamps that carry none (classic syslog, nginx error log): an IANA name.
    pub timezone: Option<String>,
    /// How gateway access logs are read.
    #[serde(default)]
    pub gateway: GatewaySettings,
    /// Syslog listeners.
    #[serde(default)]
    pub syslog: Vec<SyslogSettings>,
    /// Files to follow.
    #[serde(default)]
    pub tail: Vec<TailSettings>,
    /// Detection.
    #[serde(default)]
    pub detect: DetectSettings,
    /// Where alerts go (docs/ALERTS.md).
    #[serde(default)]
    pub alerts: authtrail_detect::output::OutputsConfig,
    /// TLS for HTTP and syslog (docs/TLS.md); files relative to the configuration file.
    pub tls: Option<authtrail_server::tls::TlsSettings>,
}

/// The `[auth]` table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Whether `/checkpoint` and `/tile/...` are open to anyone (default true); false makes
    /// them need a `read` token.
    pub public_tlog: Option<bool>,
}

/// The `[detect]` table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectSettings {
    /// Run detection (default true).
    pub enabled: Option<bool>,
    /// A rule file overriding and adding to the built-ins (docs/RULES.md); relative to the
    /// configuration file's directory.
    pub rules: Option<std::path::PathBuf>,
    /// How late (event time) an event may be and still count at its own time, ms (default 60000).
    pub lateness_ms: Option<u64>,
    /// A MaxMind City (or Country) database for the velocity and change rules; relative to the
    /// configuration file's directory.
    pub geoip_city: Option<std::path::PathBuf>,
    /// A MaxMind ASN database for the velocity and change rules; relative to the configuration
    /// file's directory.
    pub geoip_asn: Option<std::path::PathBuf>,
    /// Sigma rule files or directories (docs/SIGMA.md), added after the rules; relative to the
    /// configuration file's directory.
    #[serde(default)]
    pub sigma: Vec<std::path::PathBuf>,
}

/// One `[[tail]]` entry.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TailSettings {
    /// A file path or glob pattern.
    pub path: String,
    /// Input format (default `auto`).
    pub format: Option<String>,
    /// Source name recorded on the entries (default `file`).
    pub source: Option<String>,
    /// Where to start in a file seen for the first time: `beginning` (default) or `end`.
    pub start_at: Option<String>,
    /// Poll interval in milliseconds (default 250).
    pub poll_interval_ms: Option<u64>,
}

/// The `[gateway]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySettings {
    /// Networks of proxies whose `X-Forwarded-For` is believed (CIDR or single addresses).
    pub trusted_proxies: Option<Vec<String>>,
    /// Request paths that are authentication endpoints (exact, or prefix ending in `*`).
    pub auth_paths: Option<Vec<String>>,
    /// Cookie names that carry a session.
    pub session_cookies: Option<Vec<String>>,
}

/// One `[[syslog]]` listener.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogSettings {
    /// Address to listen on, e.g. `0.0.0.0:514`.
    pub listen: String,
    /// `udp`, `tcp` (newline or octet-counted framing, detected per message) or `tls` (RFC 5425,
    /// with the `[tls]` settings).
    pub transport: String,
    /// Input format (default `syslog`).
    pub format: Option<String>,
    /// Source name recorded on the entries (default `syslog`).
    pub source: Option<String>,
}

impl GatewaySettings {
    /// The gateway settings, defaults where unset.
    pub fn build(&self) -> Result<GatewayConfig> {
        let mut g = GatewayConfig::default();
        if let Some(proxies) = &self.trusted_proxies {
            g.trusted_proxies = proxies
                .iter()
                .map(|p| parse_network(p))
                .collect::<Result<_>>()?;
        }
        if let Some(paths) = &self.auth_paths {
            g.auth_paths = paths.clone();
        }
        if let Some(cookies) = &self.session_cookies {
            g.session_cookies = cookies.clone();
        }
        Ok(g)
    }
}

/// A CIDR network, or a single address as a one-address network.
fn parse_network(text: &str) -> Result<IpNet> {
    if let Ok(net) = text.parse::<IpNet>() {
        return Ok(net);
    }
    let ip: IpAddr = text.parse().with_context(|| {
        format!("gateway.trusted_proxies: {text:?} is not a network (CIDR) or an address")
    })?;
    Ok(IpNet::from(ip))
}

/// Parser settings from the zone name and the gateway table.
pub fn parse_config(timezone: Option<&str>, gateway: &GatewaySettings) -> Result<ParseConfig> {
    let zone = match timezone {
        None => TimeZone::UTC,
        Some(name) => TimeZone::get(name)
            .with_context(|| format!("timezone: {name:?} is not a known IANA time zone"))?,
    };
    Ok(ParseConfig {
        zone,
        gateway: gateway.build()?,
    })
}

impl ServeConfig {
    /// Read and parse a configuration file.
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut config: ServeConfig =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        if let Some(dir) = path.parent() {
            let detect = &mut config.detect;
            for file in [
                &mut detect.rules,
                &mut detect.geoip_city,
                &mut detect.geoip_asn,
            ] {
                if let Some(p) = file.as_mut() {
                    *p = dir.join(&*p);
                }
            }
            for p in &mut detect.sigma {
                *p = dir.join(&*p);
            }
            if let Some(tls) = config.tls.as_mut() {
                tls.relative_to(dir);
            }
        }
        Ok(config)
    }
}
