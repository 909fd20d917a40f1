//! What `serve` will run: the configuration file with the command line over it, defaults
//! filled in, values checked.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Result};
use authtrail_ingest::{Limits, ParseConfig};
use authtrail_server::limits::ServerLimits;
use authtrail_server::tls::TlsSettings;
use authtrail_store::LogOptions;

use super::ServeArgs;
use crate::config::{parse_config, ServeConfig, SyslogSettings, TailSettings};

/// Default listen address: loopback only, so a fresh install exposes nothing.
const DEFAULT_LISTEN: &str = "127.0.0.1:7800";

/// The settings `serve` runs with.
pub(super) struct Plan {
    /// The configuration file (empty without one).
    pub config: ServeConfig,
    /// How text input is parsed.
    pub parse: Arc<ParseConfig>,
    /// The HTTP listen address.
    pub listen: String,
    /// Input limits.
    pub limits: Limits,
    /// Request limits.
    pub server_limits: ServerLimits,
    /// Files to follow.
    pub tails: Vec<TailSettings>,
    /// Syslog listeners.
    pub listeners: Vec<SyslogSettings>,
    /// TLS files, when TLS is on.
    pub tls: Option<TlsSettings>,
}

impl Plan {
    /// The configuration file of `args` (if any) with its flags over it.
    pub fn new(args: ServeArgs<'_>) -> Result<Plan> {
        let ServeArgs {
            listen,
            config,
            syslog_udp,
            syslog_tcp,
            tail,
            tls,
        } = args;
        let config = config
            .map(ServeConfig::load)
            .transpose()?
            .unwrap_or_default();
        let parse = Arc::new(parse_config(config.timezone.as_deref(), &config.gateway)?);
        let mut tails = config.tail.clone();
        tails.extend(tail.into_iter().map(|path| TailSettings {
            path,
            format: None,
            source: None,
            start_at: None,
            poll_interval_ms: None,
        }));
        let mut listeners = config.syslog.clone();
        let tls_settings = crate::tls::settings(config.tls.clone(), &tls);
        for (transport, addrs) in [
            ("udp", syslog_udp),
            ("tcp", syslog_tcp),
            ("tls", tls.syslog_tls),
        ] {
            listeners.extend(addrs.into_iter().map(|listen| SyslogSettings {
                listen,
                transport: transport.into(),
                format: None,
                source: None,
            }));
        }
        let listen = listen
            .or(config.listen.clone())
            .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        Ok(Plan {
            limits: input_limits(&config),
            server_limits: server_limits(&config)?,
            config,
            parse,
            listen,
            tails,
            listeners,
            tls: tls_settings,
        })
    }

    /// The log's options: the configuration's checkpoint interval, checked.
    pub fn log_options(&self) -> Result<LogOptions> {
        let mut options = LogOptions::default();
        if let Some(ms) = self.config.checkpoint_interval_ms {
            if ms == 0 || ms > 1000 {
                bail!(
                    "checkpoint_interval_ms must be 1..=1000 (a checkpoint at least every second)"
                );
            }
            options.checkpoint_interval = Duration::from_millis(ms);
        }
        Ok(options)
    }

    /// The name the log gets if `serve` creates the data directory.
    pub fn origin(&self) -> Option<&str> {
        self.config.origin.as_deref()
    }

    /// Who may call the API of data directory `data`, its token file checked against the
    /// listen address (`crate::access::prepare`).
    pub fn access(&self, data: &Path) -> Result<crate::access::ServeAccess> {
        crate::access::prepare(data, &self.listen, &self.config.auth)
    }
}

/// The input limits: the configuration's, defaults where unset.
fn input_limits(config: &ServeConfig) -> Limits {
    let defaults = Limits::default();
    Limits {
        max_body_bytes: config.max_body_bytes.unwrap_or(defaults.max_body_bytes),
        max_event_bytes: config.max_event_bytes.unwrap_or(defaults.max_event_bytes),
        max_events_per_batch: config
            .max_events_per_batch
            .unwrap_or(defaults.max_events_per_batch),
        max_line_bytes: config.max_line_bytes.unwrap_or(defaults.max_line_bytes),
        max_field_bytes: config.max_field_bytes.unwrap_or(defaults.max_field_bytes),
    }
}

/// The request limits: the configuration's, defaults where unset.
fn server_limits(config: &ServeConfig) -> Result<ServerLimits> {
    let defaults = ServerLimits::default();
    let limits = ServerLimits {
        max_concurrent_requests: config
            .max_concurrent_requests
            .unwrap_or(defaults.max_concurrent_requests),
        ingest_events_per_second: config
            .ingest_events_per_second
            .unwrap_or(defaults.ingest_events_per_second),
        ingest_burst_events: config
            .ingest_burst_events
            .unwrap_or(defaults.ingest_burst_events),
    };
    if limits.max_concurrent_requests == 0 {
        bail!("max_concurrent_requests must be at least 1");
    }
    if limits.ingest_burst_events == 0 {
        bail!("ingest_burst_events must be at least 1 (ingest_events_per_second = 0 turns the rate limit off)");
    }
    Ok(limits)
}
