//! One module per command.

mod alerts;
mod checkpoint;
mod demo;
mod export;
mod ingest;
mod init;
mod keyarg;
mod prove;
mod query;
mod reindex;
mod results;
mod serve;
mod token;
mod trace;
mod verify;
mod verify_evidence;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::config::{parse_config, ServeConfig};
use crate::detection::DetectOptions;

/// Run the command the user asked for.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let data = cli.data;
    match cli.command {
        Command::Init { origin } => init::run(&data, origin.as_deref()),
        Command::Serve {
            listen,
            config,
            syslog_udp,
            syslog_tcp,
            tail,
            tls,
        } => serve::run(
            &data,
            serve::ServeArgs {
                listen,
                config: config.as_deref(),
                syslog_udp,
                syslog_tcp,
                tail,
                tls,
            },
        ),
        Command::Ingest {
            format,
            source,
            config,
            timezone,
            rules,
            no_detect,
            geoip_city,
            geoip_asn,
            sigma,
            files,
        } => {
            let mut settings = config
                .as_deref()
                .map(ServeConfig::load)
                .transpose()?
                .unwrap_or_default();
            let zone = timezone.or(settings.timezone.clone());
            if rules.is_some() {
                settings.detect.rules = rules;
            }
            if geoip_city.is_some() {
                settings.detect.geoip_city = geoip_city;
            }
            if geoip_asn.is_some() {
                settings.detect.geoip_asn = geoip_asn;
            }
            if !sigma.is_empty() {
                settings.detect.sigma = sigma;
            }
            if no_detect {
                settings.detect.enabled = Some(false);
            }
            ingest::run(ingest::IngestArgs {
                data: &data,
                format: &format,
                source: &source,
                files: &files,
                parse_config: parse_config(zone.as_deref(), &settings.gateway)?,
                max_line_bytes: settings.max_line_bytes,
                detect: DetectOptions::from_settings(&settings.detect),
                outputs: settings.alerts.clone(),
            })
        }
        Command::Checkpoint => checkpoint::run(&data),
        Command::Verify {
            key,
            trusted,
            url,
            format,
        } => verify::run(
            &data,
            key.as_deref(),
            trusted.as_deref(),
            url.as_deref(),
            format,
        ),
        Command::Query {
            query,
            format,
            limit,
        } => query::run(&data, &query, format, limit),
        Command::Alerts {
            since,
            format,
            limit,
        } => alerts::run(&data, since.as_deref(), format, limit),
        Command::Reindex => reindex::run(&data),
        Command::Export {
            query,
            format,
            out,
            evidence,
        } => export::run(export::ExportArgs {
            data: &data,
            query: &query,
            format,
            out: out.as_deref(),
            evidence: evidence.as_deref(),
        }),
        Command::Trace(args) => trace::run(&data, args),
        Command::Prove { seq, out } => prove::run(&data, seq, out.as_deref()),
        Command::VerifyEvidence { key, file } => verify_evidence::run(&key, &file),
        Command::Token { command } => token::run(&data, command),
        Command::Demo { dir, listen } => demo::run(dir, listen),
    }
}
