//! The `serve` configuration file (TOML); flags override it. Every key is in docs/CONFIG.md (a
//! test below keeps that page and these structs in step).

use std::path::Path;

use std::net::IpAddr;

use anyhow::{anyhow, Context, Result};
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
    /// Longest text line, in bytes: longer is 413 over HTTP, stored cut and flagged from syslog
    /// and files.
    pub max_line_bytes: Option<usize>,
    /// Longest string in an event, in bytes: longer is 413 over HTTP, stored unparsed with the
    /// reason from syslog and files.
    pub max_field_bytes: Option<usize>,
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
    /// Tokens whose text comes from the environment, beside those of the token file.
    #[serde(default)]
    pub tokens: Vec<TokenSettings>,
}

/// One `[[auth.tokens]]` entry: a token whose text is in an environment variable, never in
/// the file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    /// A note saying whose or what it is (in messages).
    pub name: Option<String>,
    /// Its scopes: `ingest`, `read`, `admin`.
    pub scopes: Vec<String>,
    /// Sources an `ingest` token may write as; empty means any.
    #[serde(default)]
    pub sources: Vec<String>,
    /// The environment variable holding the whole token, `at_<id>_<secret>`.
    pub token_env: String,
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
    /// Parse configuration text; an error names the table (`alerts.webhook[0]`) and the key.
    pub fn parse(text: &str) -> Result<Self> {
        serde_path_to_error::deserialize(toml::Deserializer::new(text)).map_err(|e| {
            // The path ends with the key at fault: `alerts.webhook[0].secret_enf`.
            let place = match e.path().to_string() {
                p if p == "." => "at the top level".to_string(),
                p => match p.rsplit_once('.') {
                    Some((table, key)) => format!("in table [{table}], key {key}"),
                    None => format!("at the top level, key {p}"),
                },
            };
            anyhow!("{place}: {}", e.into_inner().to_string().trim_end())
        })
    }

    /// Read and parse a configuration file.
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut config =
            ServeConfig::parse(&text).with_context(|| format!("parsing {}", path.display()))?;
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_reflection::{ContainerFormat, Format, Registry, Tracer, TracerConfig};

    use super::*;

    /// The configuration reference.
    const CONFIG_MD: &str =
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/CONFIG.md"));

    /// Every key the config structs accept, as (table, key): `("", "listen")`,
    /// `("alerts.webhook", "url")`. Read from the types themselves, so no list to keep.
    fn accepted_keys() -> BTreeSet<(String, String)> {
        let mut tracer = Tracer::new(TracerConfig::default());
        tracer
            .trace_simple_type::<ServeConfig>()
            .expect("the config types can be traced");
        let registry = tracer.registry().expect("a complete registry");
        let mut keys = BTreeSet::new();
        walk(&registry, "ServeConfig", "", &mut keys);
        keys
    }

    fn walk(registry: &Registry, name: &str, table: &str, keys: &mut BTreeSet<(String, String)>) {
        let Some(ContainerFormat::Struct(fields)) = registry.get(name) else {
            panic!("{name} is not a struct in the registry");
        };
        for field in fields {
            match nested_struct(&field.value) {
                Some(inner) => {
                    let path = match table {
                        "" => field.name.clone(),
                        t => format!("{t}.{}", field.name),
                    };
                    walk(registry, inner, &path, keys);
                }
                None => {
                    keys.insert((table.to_string(), field.name.clone()));
                }
            }
        }
    }

    /// The struct a field holds (through options and arrays): a table or an array of tables.
    fn nested_struct(format: &Format) -> Option<&str> {
        match format {
            Format::TypeName(name) => Some(name),
            Format::Option(inner) | Format::Seq(inner) => nested_struct(inner),
            _ => None,
        }
    }

    /// The keys CONFIG.md documents, as (table, key): the first code span of each table row
    /// under a heading naming a table (`` `[alerts]` ``, `` `[[alerts.webhook]]` ``), or the
    /// "Top-level keys" heading.
    fn documented_keys() -> BTreeSet<(String, String)> {
        let mut keys = BTreeSet::new();
        let mut table: Option<String> = None;
        for line in CONFIG_MD.lines() {
            if line.starts_with('#') {
                table = if line.to_lowercase().contains("top-level keys") {
                    Some(String::new())
                } else {
                    code_span(line)
                        .filter(|c| c.starts_with('['))
                        .map(|c| c.trim_matches(|ch| ch == '[' || ch == ']').to_string())
                };
            } else if let (Some(t), Some(rest)) = (&table, line.strip_prefix("| ")) {
                if let Some(key) = code_span(rest).filter(|_| rest.starts_with('`')) {
                    keys.insert((t.clone(), key.to_string()));
                }
            }
        }
        keys
    }

    fn code_span(text: &str) -> Option<&str> {
        let start = text.find('`')? + 1;
        let len = text[start..].find('`')?;
        Some(&text[start..start + len])
    }

    fn example_blocks() -> Vec<&'static str> {
        CONFIG_MD
            .split("```toml\n")
            .skip(1)
            .map(|rest| rest.split("```").next().unwrap_or(""))
            .collect()
    }

    #[test]
    fn config_md_documents_every_key_and_no_other() {
        let accepted = accepted_keys();
        let documented = documented_keys();
        let show = |keys: Vec<&(String, String)>| {
            keys.iter()
                .map(|(t, k)| {
                    if t.is_empty() {
                        k.clone()
                    } else {
                        format!("[{t}] {k}")
                    }
                })
                .collect::<Vec<_>>()
        };
        let undocumented: Vec<_> = accepted.difference(&documented).collect();
        assert!(
            undocumented.is_empty(),
            "keys the config accepts that docs/CONFIG.md does not document: {:?}",
            show(undocumented)
        );
        let unknown: Vec<_> = documented.difference(&accepted).collect();
        assert!(
            unknown.is_empty(),
            "keys docs/CONFIG.md documents that the config does not accept: {:?}",
            show(unknown)
        );
        assert!(accepted.contains(&("alerts.webhook".into(), "secret_env".into())));
        assert!(accepted.len() > 30, "{accepted:?}");
    }

    #[test]
    fn config_md_examples_parse() {
        let blocks = example_blocks();
        assert!(blocks.len() >= 2, "CONFIG.md has its example blocks");
        for block in blocks {
            if let Err(e) = ServeConfig::parse(block) {
                panic!("a CONFIG.md example does not parse: {e:#}\n{block}");
            }
        }
    }

    #[test]
    fn the_full_example_sets_every_key() {
        // The first example is the complete file: every key in it, so it shows them all.
        let full = example_blocks()[0];
        let value: toml::Table = toml::from_str(full).expect("TOML");
        let mut set = BTreeSet::new();
        collect(&value, "", &mut set);
        let missing: Vec<_> = accepted_keys().difference(&set).cloned().collect();
        assert!(missing.is_empty(), "the full example lacks {missing:?}");
    }

    /// The (table, key) pairs a TOML document sets, arrays of tables merged.
    /// (A key holding a table counts as set too: a map-typed key like `[tls.client_sources]`.)
    fn collect(table: &toml::Table, path: &str, out: &mut BTreeSet<(String, String)>) {
        for (key, value) in table {
            out.insert((path.to_string(), key.clone()));
            let inner = match path {
                "" => key.clone(),
                p => format!("{p}.{key}"),
            };
            match value {
                toml::Value::Table(t) => collect(t, &inner, out),
                toml::Value::Array(items)
                    if items.iter().all(toml::Value::is_table) && !items.is_empty() =>
                {
                    for item in items {
                        if let toml::Value::Table(t) = item {
                            collect(t, &inner, out);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    #[test]
    fn an_unknown_top_level_key_is_refused_by_name() {
        let err = ServeConfig::parse("listen = \"127.0.0.1:7800\"\nlisten_adress = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `listen_adress`"), "{err}");
        assert!(err.contains("at the top level, key listen_adress"), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn an_unknown_nested_key_is_refused_with_its_table() {
        let text = "[detect]\nenabled = true\n\n[[alerts.webhook]]\nurl = \"https://example.com/\"\nsecret_enf = \"X\"\n";
        let err = ServeConfig::parse(text).unwrap_err().to_string();
        assert!(err.contains("unknown field `secret_enf`"), "{err}");
        assert!(
            err.contains("in table [alerts.webhook[0]], key secret_enf"),
            "{err}"
        );
        assert!(err.contains("line 6"), "{err}");
        let err = ServeConfig::parse("[gateway]\ntrusted_proxy = []\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `trusted_proxy`"), "{err}");
        assert!(
            err.contains("in table [gateway], key trusted_proxy"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err =
            ServeConfig::parse("[[tail]]\npath = \"/var/log/x\"\npoll_interval_ms = \"fast\"\n")
                .unwrap_err()
                .to_string();
        assert!(
            err.contains("in table [tail[0]], key poll_interval_ms"),
            "{err}"
        );
    }
}
