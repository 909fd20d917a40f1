//! What parsers need beyond the record: configuration and the stream's state.

use std::sync::Arc;

use jiff::tz::TimeZone;

use crate::parse::clock::{civil_to_ms, date_in, YearTracker};
use crate::parse::gateway::GatewayConfig;

/// Parser settings from the command line or the config file.
#[derive(Clone, Debug)]
pub struct ParseConfig {
    /// Zone of timestamps that carry none (classic syslog); default UTC.
    pub zone: TimeZone,
    /// How gateway access logs are read (trusted proxies, auth endpoints, cookie names).
    pub gateway: GatewayConfig,
}

impl Default for ParseConfig {
    fn default() -> Self {
        ParseConfig {
            zone: TimeZone::UTC,
            gateway: GatewayConfig::default(),
        }
    }
}

/// The state of one input stream (a file, a connection, a request body) while it is parsed.
#[derive(Clone, Debug)]
pub struct ParseContext {
    /// The settings.
    pub config: Arc<ParseConfig>,
    /// When the current batch was received, ms since the epoch.
    pub received_ms: i64,
    years: YearTracker,
}

impl ParseContext {
    /// A fresh stream.
    pub fn new(config: Arc<ParseConfig>, received_ms: i64) -> Self {
        ParseContext {
            config,
            received_ms,
            years: YearTracker::default(),
        }
    }

    /// Epoch ms of a year-less local time (`Mmm dd hh:mm:ss`), the year inferred for the stream.
    pub fn yearless_to_ms(
        &mut self,
        month: i8,
        day: i8,
        hms: (i8, i8, i8),
        nanos: i32,
    ) -> Option<i64> {
        let zone = &self.config.zone;
        let year = self.years.year_for(month, date_in(zone, self.received_ms));
        civil_to_ms(zone, year, month, day, hms, nanos)
    }

    /// Epoch ms of a local time with its year but no zone, in the configured zone.
    pub fn local_to_ms(
        &self,
        year: i16,
        month: i8,
        day: i8,
        hms: (i8, i8, i8),
        nanos: i32,
    ) -> Option<i64> {
        civil_to_ms(&self.config.zone, year, month, day, hms, nanos)
    }
}
