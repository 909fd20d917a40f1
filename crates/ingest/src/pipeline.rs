//! The one path every input takes: decode → normalize → prepare entries for the log.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use authtrail_model::field_size::LongField;
use authtrail_model::Event;
use authtrail_store::PreparedEntry;
use serde_json::Value;

use crate::decode::otlp::{self as otlp_input, Encoding};
use crate::decode::{evtx, json, lines, windows as windows_input, Record};
use crate::error::IngestError;
use crate::limits::Limits;
use crate::parse::auto;
pub use crate::parse::format::{InputFormat, FORMAT_NAMES};
use crate::parse::text::escape_invalid_utf8;
use crate::parse::{
    auditd, auth0, authelia, authentik, cloudtrail, entra, envoy, keycloak, kubernetes, nginx,
    okta, otlp, syslog, windows, ParseConfig, ParseContext, ParseResult, Parser, Unrecognized,
};
use crate::telemetry::Outcome;

/// Counts of what a batch (or a whole input) held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchSummary {
    /// Records in the batch (all of them are appended).
    pub events: usize,
    /// Of which unparsed.
    pub unparsed: usize,
    /// Of which cut to the line limit (stored truncated, and unparsed).
    pub truncated: usize,
    /// Records per OCSF class name ("Unparsed" included).
    pub by_class: BTreeMap<String, usize>,
    /// Records per kind: type and outcome, e.g. "Authentication: Logon (Failure)".
    pub by_kind: BTreeMap<String, usize>,
    /// Records per parser that handled them ("none" when no parser took the record).
    pub by_parser: BTreeMap<String, usize>,
    /// The first few reasons records were unparsed, with their lines.
    pub unparsed_reasons: Vec<(usize, String)>,
    /// Records per (parser, outcome) ("none" when no parser took the record), for metrics.
    pub by_outcome: BTreeMap<(&'static str, Outcome), usize>,
}

impl BatchSummary {
    /// Add another batch's counts (line numbers of its reasons are kept as they are).
    pub fn merge(&mut self, other: &BatchSummary) {
        self.events += other.events;
        self.unparsed += other.unparsed;
        self.truncated += other.truncated;
        for (mine, theirs) in [
            (&mut self.by_class, &other.by_class),
            (&mut self.by_kind, &other.by_kind),
            (&mut self.by_parser, &other.by_parser),
        ] {
            for (k, v) in theirs {
                *mine.entry(k.clone()).or_default() += v;
            }
        }
        for (k, v) in &other.by_outcome {
            *self.by_outcome.entry(*k).or_default() += v;
        }
        for reason in &other.unparsed_reasons {
            if self.unparsed_reasons.len() < MAX_REASONS {
                self.unparsed_reasons.push(reason.clone());
            }
        }
    }

    fn count(&mut self, event: &Event, parser: Option<Parser>, outcome: Outcome) {
        self.events += 1;
        let class = event
            .class_name
            .clone()
            .unwrap_or_else(|| event.class_uid.to_string());
        *self.by_class.entry(class).or_default() += 1;
        let kind = if event.is_unparsed() {
            "Unparsed".to_string()
        } else {
            format!(
                "{} ({})",
                event.type_name.as_deref().unwrap_or("?"),
                event.status.as_deref().unwrap_or("?")
            )
        };
        *self.by_kind.entry(kind).or_default() += 1;
        let parser = parser.map_or("none", Parser::name);
        *self.by_parser.entry(parser.to_string()).or_default() += 1;
        *self.by_outcome.entry((parser, outcome)).or_default() += 1;
    }

    fn note_unparsed(&mut self, line: usize, reason: &str) {
        self.unparsed += 1;
        if self.unparsed_reasons.len() < MAX_REASONS {
            self.unparsed_reasons.push((line, reason.to_string()));
        }
    }
}

/// One message from a framed source (a syslog datagram or frame).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// Its bytes (at most the line limit; the rest was not kept).
    pub bytes: Vec<u8>,
    /// Its length as sent, when larger than `bytes` (cut to the line limit).
    pub original_len: usize,
}

/// A batch ready to append, with its summary.
pub struct PreparedBatch {
    /// The entries, in input order.
    pub entries: Vec<PreparedEntry>,
    /// What they are.
    pub summary: BatchSummary,
}

/// How many unparsed reasons a summary keeps.
const MAX_REASONS: usize = 10;

/// Normalizes one input stream (a file, a connection, a request body) batch by batch, keeping
/// what parsing carries from line to line (the inferred year of year-less timestamps).
#[derive(Clone, Debug)]
pub struct Normalizer {
    format: InputFormat,
    ctx: ParseContext,
    /// How OTLP bodies are encoded, when the caller knows (HTTP's `Content-Type`).
    otlp_encoding: Option<Encoding>,
    /// Hand each entry's index keys over with it (see `PreparedEntry::with_index_keys_of`).
    index_keys: bool,
    /// Reject the batch for a line or a field over its limit, rather than keep the record cut
    /// or unparsed (see [`Normalizer::refusing_oversized`]).
    refuse_oversized: bool,
}

/// One record normalized: the event, the parser that made it, and why it is unparsed if it is.
#[derive(Clone, Debug)]
pub struct Normalized {
    /// The event (valid, or an unparsed event).
    pub event: Event,
    /// The parser that handled the record, if any did.
    pub parser: Option<Parser>,
    /// The reason, when the event is unparsed.
    pub unparsed_reason: Option<String>,
}

impl Normalizer {
    /// A new stream of `format` input.
    pub fn new(format: InputFormat, config: Arc<ParseConfig>) -> Self {
        Normalizer {
            format,
            ctx: ParseContext::new(config, 0),
            otlp_encoding: None,
            index_keys: true,
            refuse_oversized: false,
        }
    }

    /// Reject the whole batch when a line is over `max_line_bytes` or a string of an event over
    /// `max_field_bytes` ([`IngestError::LineTooLong`], [`IngestError::FieldTooLong`]): for
    /// callers that can be answered (HTTP). Without it, for sources that cannot (syslog, files),
    /// such a line is stored cut and flagged, and such an event is stored unparsed with the
    /// reason.
    pub fn refusing_oversized(mut self) -> Self {
        self.refuse_oversized = true;
        self
    }

    /// Prepare entries without their index keys, for a log kept without a search index.
    pub fn without_index_keys(mut self) -> Self {
        self.index_keys = false;
        self
    }

    /// Read OTLP bodies as `encoding` rather than telling it from each body.
    pub fn with_otlp_encoding(mut self, encoding: Encoding) -> Self {
        self.otlp_encoding = Some(encoding);
        self
    }

    /// Set the time of receipt used for unparsed records and year inference (ms since the epoch).
    pub fn set_received_ms(&mut self, ms: i64) {
        self.ctx.received_ms = ms;
    }

    /// The stream's format.
    pub fn format(&self) -> InputFormat {
        self.format
    }

    /// Whether a body starting with `start` is decoded as JSON documents (one object, an array,
    /// NDJSON, a `{"Records": [...]}` file) rather than line by line. Callers that read in
    /// chunks must pass such a body whole.
    pub fn reads_as_document(&self, start: &[u8]) -> bool {
        let first = start.iter().find(|b| !b.is_ascii_whitespace());
        match self.format {
            InputFormat::Json
            | InputFormat::Okta
            | InputFormat::Auth0
            | InputFormat::Entra
            | InputFormat::Kubernetes => true,
            // `{"Records": [...]}` files and pretty-printed records are whole documents.
            InputFormat::CloudTrail => true,
            // Event XML and Splunk events span lines; EVTX files are binary.
            InputFormat::Windows => true,
            // OTLP requests: JSON documents, or protobuf.
            InputFormat::Otlp => true,
            // A JSON array (or a pretty-printed document) cannot be read line by line.
            InputFormat::Auto => {
                first == Some(&b'[') || starts_with_records_wrapper(start) || evtx::is_evtx(start)
            }
            InputFormat::Keycloak => first == Some(&b'['),
            _ => false,
        }
    }

    /// Split a body into records as this stream's format does. A body that [`transcode`]
    /// changes must be transcoded first (OTLP requests, EVTX files); [`prepare`] does it.
    ///
    /// [`transcode`]: Normalizer::transcode
    /// [`prepare`]: Normalizer::prepare
    pub fn records<'a>(
        &self,
        body: &'a [u8],
        limits: &Limits,
    ) -> Result<Vec<Record<'a>>, IngestError> {
        let json_body = self.reads_as_document(body);
        let records = if self.format == InputFormat::Windows {
            windows_input::split(body, limits.max_line_bytes)?
        } else if json_body {
            let records = json::decode(body)?;
            match self.format {
                InputFormat::CloudTrail | InputFormat::Auto => {
                    json::split_wrappers(body, records, &["Records"])?
                }
                InputFormat::Entra => json::split_wrappers(body, records, &["records", "value"])?,
                InputFormat::Kubernetes => json::split_wrappers(body, records, &["items"])?,
                _ => records,
            }
        } else {
            let records = lines::split(body, limits.max_line_bytes);
            match self.format {
                InputFormat::Auditd | InputFormat::Auto => lines::group_audit_events(body, records),
                _ => records,
            }
        };
        if records.is_empty() {
            return Err(IngestError::Empty);
        }
        if records.len() > limits.max_events_per_batch {
            return Err(IngestError::TooManyEvents {
                limit: limits.max_events_per_batch,
            });
        }
        Ok(records)
    }

    /// The body as [`records`](Normalizer::records) reads it: a binary EVTX body (format
    /// `windows` or `auto`) as NDJSON, one line per record; OTLP requests (format `otlp`) as
    /// NDJSON of one-record OTLP/JSON requests, one line per log record (so an OTLP record's
    /// "line" is its number in the batch); any other body as it is. What this makes is what
    /// is stored as the events' raw input.
    pub fn transcode<'a>(
        &self,
        body: &'a [u8],
        limits: &Limits,
    ) -> Result<Cow<'a, [u8]>, IngestError> {
        Ok(match self.format {
            InputFormat::Windows | InputFormat::Auto if evtx::is_evtx(body) => {
                Cow::Owned(evtx::to_ndjson(body))
            }
            InputFormat::Otlp => Cow::Owned(otlp_input::split(body, self.otlp_encoding, limits)?),
            _ => Cow::Borrowed(body),
        })
    }

    /// Decode, normalize and prepare one batch; any error rejects the whole batch. The body is
    /// [transcoded](Normalizer::transcode) first.
    pub fn prepare(
        &mut self,
        body: &[u8],
        source: &str,
        received_at_ns: i64,
        limits: &Limits,
    ) -> Result<PreparedBatch, IngestError> {
        check_source(source)?;
        let body = self.transcode(body, limits)?;
        let records = self.records(&body, limits)?;
        self.prepare_records(records, source, received_at_ns, limits)
    }

    /// Normalize and prepare whole messages (syslog datagrams or frames), one record each.
    pub fn prepare_messages(
        &mut self,
        messages: &[Message],
        source: &str,
        received_at_ns: i64,
        limits: &Limits,
    ) -> Result<PreparedBatch, IngestError> {
        check_source(source)?;
        let records = messages
            .iter()
            .enumerate()
            .map(|(i, m)| Record {
                raw: &m.bytes[..m.bytes.len().min(limits.max_line_bytes)],
                line: i + 1,
                original_len: m.original_len.max(m.bytes.len()),
            })
            .collect();
        self.prepare_records(records, source, received_at_ns, limits)
    }

    fn prepare_records(
        &mut self,
        records: Vec<Record<'_>>,
        source: &str,
        received_at_ns: i64,
        limits: &Limits,
    ) -> Result<PreparedBatch, IngestError> {
        for record in &records {
            if self.refuse_oversized && record.is_truncated() {
                return Err(IngestError::LineTooLong {
                    line: record.line,
                    size: record.original_len,
                    limit: limits.max_line_bytes,
                });
            }
            if record.raw.len() > limits.max_event_bytes {
                return Err(IngestError::EventTooLarge {
                    line: record.line,
                    size: record.raw.len(),
                    limit: limits.max_event_bytes,
                });
            }
        }
        self.ctx.received_ms = received_at_ns.div_euclid(1_000_000);
        let mut summary = BatchSummary::default();
        let salts = authtrail_store::prepare::random_salts(records.len())
            .map_err(|e| IngestError::InvalidRequest(e.to_string()))?;
        // Parsing carries state from record to record, so it runs in order; encoding and
        // hashing each event does not, so large batches spread it over the cores.
        let mut work = Vec::with_capacity(records.len());
        for (record, salt) in records.into_iter().zip(salts) {
            let mut normalized = self.normalize(&record);
            let mut outcome = Outcome::Accepted;
            if let Some(long) = long_field(&record, &normalized, limits.max_field_bytes) {
                if self.refuse_oversized {
                    return Err(IngestError::FieldTooLong {
                        line: record.line,
                        field: long.field,
                        size: long.bytes,
                        limit: limits.max_field_bytes,
                    });
                }
                let reason = format!(
                    "field {} is {} bytes, over the {}-byte field limit",
                    long.field, long.bytes, limits.max_field_bytes
                );
                let format = normalized.parser.map_or(self.format.name(), Parser::name);
                normalized.event = Event::unparsed(&reason, format, self.ctx.received_ms);
                normalized.unparsed_reason = Some(reason);
                outcome = Outcome::FieldTooLong;
            }
            if let Some(reason) = &normalized.unparsed_reason {
                summary.note_unparsed(record.line, reason);
                if outcome == Outcome::Accepted {
                    outcome = Outcome::Unparsed;
                }
            }
            if record.is_truncated() {
                summary.truncated += 1;
                outcome = Outcome::Truncated;
            }
            summary.count(&normalized.event, normalized.parser, outcome);
            work.push((record, normalized.event, salt));
        }
        let entries = encode_all(&work, source, received_at_ns, self.index_keys)?;
        Ok(PreparedBatch { entries, summary })
    }

    /// The record as an OCSF event, or an unparsed event saying why it is not one.
    pub fn normalize(&mut self, record: &Record<'_>) -> Normalized {
        let received_ms = self.ctx.received_ms;
        if record.is_truncated() {
            let reason = format!(
                "line of {} bytes is over the {}-byte line limit; stored cut to the limit",
                record.original_len,
                record.raw.len()
            );
            let mut event = Event::unparsed(&reason, self.format.name(), received_ms);
            event
                .metadata
                .extra
                .insert("is_truncated".into(), Value::Bool(true));
            event
                .metadata
                .extra
                .insert("untruncated_size".into(), Value::from(record.original_len));
            return Normalized {
                event,
                parser: None,
                unparsed_reason: Some(reason),
            };
        }
        let (parser, result) = match self.format {
            InputFormat::Json => (Some(Parser::Ocsf), ocsf(record.raw)),
            _ => {
                let text = escape_invalid_utf8(record.raw);
                self.parse_text(&text)
            }
        };
        let result = result.and_then(|mut event| {
            if parser != Some(Parser::Ocsf) {
                if let Some(p) = parser {
                    event
                        .metadata
                        .extra
                        .insert("log_format".into(), Value::from(p.name()));
                }
                event.fill_required();
                event
                    .normalize()
                    .map_err(|e| Unrecognized::because(format!("invalid event: {e}")))?;
            }
            Ok(event)
        });
        match result {
            Ok(event) => Normalized {
                event,
                parser,
                unparsed_reason: None,
            },
            Err(why) => {
                let reason = match parser {
                    Some(p) => format!("{}: {why}", p.name()),
                    None => why.to_string(),
                };
                let format = parser.map_or(self.format.name(), Parser::name);
                Normalized {
                    event: Event::unparsed(&reason, format, received_ms),
                    parser,
                    unparsed_reason: Some(reason),
                }
            }
        }
    }

    fn parse_text(&mut self, text: &str) -> (Option<Parser>, ParseResult) {
        parse_as(self.format, text, &mut self.ctx)
    }
}

/// How many times longer than its record an event's string may be: a parser escapes each
/// invalid UTF-8 byte as `\xNN` (4 bytes), JSON escapes a control character as `\u00NN` (6).
const FIELD_GROWTH: usize = 6;

/// Room for what parsers write into a field of their own (captions, fixed phrases), in bytes.
const FIELD_OWN_TEXT: usize = 1024;

/// The first string of a parsed record's event over `limit` bytes. An unparsed event holds no
/// field of the input; a record too short to make a string that long is not looked at, which
/// spares the look for nearly every authentication event.
fn long_field(record: &Record<'_>, normalized: &Normalized, limit: usize) -> Option<LongField> {
    let most = record
        .raw
        .len()
        .saturating_mul(FIELD_GROWTH)
        .saturating_add(FIELD_OWN_TEXT);
    if normalized.unparsed_reason.is_some() || most <= limit {
        return None;
    }
    normalized.event.long_field(limit)
}

/// Parse a text record as `format`, detecting the format first when it is `auto`.
fn parse_as(
    format: InputFormat,
    text: &str,
    ctx: &mut ParseContext,
) -> (Option<Parser>, ParseResult) {
    match format {
        InputFormat::Auto => match auto::detect(text) {
            // Detection never answers `auto`, so this recurses once.
            Some(found) => parse_as(found, text, ctx),
            None => (
                None,
                Err(Unrecognized::new(
                    "the line matches no format authtrail reads",
                )),
            ),
        },
        InputFormat::Json => (Some(Parser::Ocsf), ocsf(text.as_bytes())),
        InputFormat::Syslog => syslog::dispatch(text, ctx),
        InputFormat::Auditd => (Some(Parser::Auditd), auditd::parse(text, ctx)),
        InputFormat::Nginx => (Some(Parser::Nginx), nginx::parse(text, ctx)),
        InputFormat::Envoy => (Some(Parser::Envoy), envoy::parse(text, ctx)),
        InputFormat::Authelia => (Some(Parser::Authelia), authelia::parse(text, ctx)),
        InputFormat::Authentik => (Some(Parser::Authentik), authentik::parse(text, ctx)),
        InputFormat::Okta => (Some(Parser::Okta), okta::parse(text, ctx)),
        InputFormat::Auth0 => (Some(Parser::Auth0), auth0::parse(text, ctx)),
        InputFormat::Keycloak => (Some(Parser::Keycloak), keycloak::parse(text, ctx)),
        InputFormat::CloudTrail => (Some(Parser::CloudTrail), cloudtrail::parse(text, ctx)),
        InputFormat::Entra => (Some(Parser::Entra), entra::parse(text, ctx)),
        InputFormat::Windows => (Some(Parser::Windows), windows::parse(text, ctx)),
        InputFormat::Kubernetes => (Some(Parser::Kubernetes), kubernetes::parse(text, ctx)),
        InputFormat::Otlp => (Some(Parser::Otlp), otlp::parse(text, ctx)),
    }
}

/// Whether a body opens as a `{"Records": [...]}` document (an AWS CloudTrail file).
fn starts_with_records_wrapper(body: &[u8]) -> bool {
    let mut rest = body.iter().skip_while(|b| b.is_ascii_whitespace());
    if rest.next() != Some(&b'{') {
        return false;
    }
    let after: Vec<u8> = rest
        .skip_while(|b| b.is_ascii_whitespace())
        .take(9)
        .copied()
        .collect();
    after == b"\"Records\""
}

/// A source name must be one the entry header can carry.
fn check_source(source: &str) -> Result<(), IngestError> {
    authtrail_store::prepare::validate_source_name(source)
        .map_err(|e| IngestError::InvalidRequest(e.to_string()))
}

/// Batches smaller than this are encoded on the calling thread.
const PARALLEL_ENCODE_MIN: usize = 4096;

/// Encode and hash every event into an entry, in order, on up to four threads.
fn encode_all(
    work: &[(Record<'_>, Event, authtrail_ledger::entry::Salt)],
    source: &str,
    received_at_ns: i64,
    index_keys: bool,
) -> Result<Vec<PreparedEntry>, IngestError> {
    let encode = |items: &[(Record<'_>, Event, authtrail_ledger::entry::Salt)]| {
        items
            .iter()
            .map(|(record, event, salt)| {
                PreparedEntry::with_salt(
                    source,
                    received_at_ns,
                    event.class_uid,
                    *salt,
                    &event.canonical_bytes(),
                    record.raw,
                )
                .map(|entry| match index_keys {
                    true => entry.with_index_keys_of(event),
                    false => entry,
                })
                .map_err(|e| IngestError::InvalidRequest(format!("line {}: {e}", record.line)))
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    if work.len() < PARALLEL_ENCODE_MIN || threads < 2 {
        return encode(work);
    }
    let per_thread = work.len().div_ceil(threads);
    let parts: Vec<Result<Vec<PreparedEntry>, IngestError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = work
            .chunks(per_thread)
            .map(|part| scope.spawn(move || encode(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(IngestError::InvalidRequest(
                        "an encoding thread panicked".into(),
                    ))
                })
            })
            .collect()
    });
    let mut entries = Vec::with_capacity(work.len());
    for part in parts {
        entries.extend(part?);
    }
    Ok(entries)
}

/// An OCSF JSON record, parsed and validated.
fn ocsf(raw: &[u8]) -> ParseResult {
    Event::from_json(raw).map_err(|e| Unrecognized::because(e.to_string()))
}

/// Decode, normalize and prepare one self-contained batch (a stream of its own).
pub fn prepare_batch(
    body: &[u8],
    format: InputFormat,
    source: &str,
    received_at_ns: i64,
    limits: &Limits,
) -> Result<PreparedBatch, IngestError> {
    Normalizer::new(format, Arc::new(ParseConfig::default())).prepare(
        body,
        source,
        received_at_ns,
        limits,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"class_uid":3002,"activity_id":1,"time":1764230400000,"severity_id":1,"status_id":1,"metadata":{"product":{"name":"test"}},"user":{"name":"alice"}}"#;

    #[test]
    fn valid_and_invalid_records_are_all_kept_and_counted() {
        let body = format!("{GOOD}\n{{\"class_uid\":3002}}\n42\n{GOOD}\n");
        let batch = prepare_batch(
            body.as_bytes(),
            InputFormat::Json,
            "test",
            1_764_230_400_000_000_000,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(batch.entries.len(), 4);
        assert_eq!(batch.summary.unparsed, 2);
        assert_eq!(batch.summary.by_class["Authentication"], 2);
        assert_eq!(batch.summary.by_class["Unparsed"], 2);
        assert_eq!(batch.summary.by_outcome[&("ocsf", Outcome::Accepted)], 2);
        assert_eq!(batch.summary.by_outcome[&("ocsf", Outcome::Unparsed)], 2);
        assert_eq!(batch.summary.unparsed_reasons[0].0, 2);
        assert!(
            batch.summary.unparsed_reasons[0].1.contains("activity_id"),
            "{:?}",
            batch.summary.unparsed_reasons
        );
        assert_eq!(batch.entries[2].raw(), b"42");
        assert_eq!(batch.entries[0].raw(), GOOD.as_bytes());
    }

    #[test]
    fn limits_reject_the_batch_naming_the_line() {
        let limits = Limits {
            max_event_bytes: 200,
            ..Limits::default()
        };
        let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(300));
        let body = format!("{GOOD}\n{big}\n");
        match prepare_batch(body.as_bytes(), InputFormat::Json, "test", 0, &limits) {
            Err(IngestError::EventTooLarge { line: 2, .. }) => {}
            other => panic!("{:?}", other.err()),
        }
        let limits = Limits {
            max_events_per_batch: 1,
            ..Limits::default()
        };
        let body = format!("{GOOD}\n{GOOD}\n");
        assert!(matches!(
            prepare_batch(body.as_bytes(), InputFormat::Json, "test", 0, &limits),
            Err(IngestError::TooManyEvents { limit: 1 })
        ));
        assert!(matches!(
            prepare_batch(
                GOOD.as_bytes(),
                InputFormat::Json,
                "bad source",
                0,
                &Limits::default()
            ),
            Err(IngestError::InvalidRequest(_))
        ));
        assert!(InputFormat::parse("syslog").is_ok());
        assert!(InputFormat::parse("gelf").is_err());
        for name in ["authelia", "authentik"] {
            assert_eq!(InputFormat::parse(name).map(|f| f.name()).ok(), Some(name));
        }
    }

    #[test]
    fn oversized_lines_and_fields_reject_a_refusing_batch_and_are_kept_otherwise() {
        let limits = Limits {
            max_line_bytes: 200,
            max_field_bytes: 100,
            ..Limits::default()
        };
        let long_name = GOOD.replace("alice", &"a".repeat(101));
        let sshd = "Dec 10 06:55:46 h sshd[1]: Invalid user bob from 192.0.2.1 port 22";
        let long_line = format!("Dec 10 06:55:46 h sshd[2]: {}", "x".repeat(300));

        // A source that cannot be answered keeps both, counted.
        let kept = prepare_batch(long_name.as_bytes(), InputFormat::Json, "t", 0, &limits).unwrap();
        assert_eq!(kept.entries[0].raw(), long_name.as_bytes(), "raw kept");
        assert_eq!(kept.summary.unparsed, 1);
        assert_eq!(kept.summary.by_class["Unparsed"], 1);
        assert_eq!(kept.summary.by_outcome[&("ocsf", Outcome::FieldTooLong)], 1);
        assert_eq!(
            kept.summary.unparsed_reasons,
            vec![(
                1,
                "field user.name is 101 bytes, over the 100-byte field limit".to_string()
            )]
        );
        let body = format!("{sshd}\n{long_line}\n");
        let kept = prepare_batch(body.as_bytes(), InputFormat::Syslog, "t", 0, &limits).unwrap();
        assert_eq!((kept.summary.events, kept.summary.truncated), (2, 1));
        assert_eq!(kept.summary.by_outcome[&("none", Outcome::Truncated)], 1);

        // A caller that is answered gets the batch refused, naming the line and the field.
        let refusing = |body: String, format| {
            Normalizer::new(format, Arc::new(ParseConfig::default()))
                .refusing_oversized()
                .prepare(body.as_bytes(), "t", 0, &limits)
                .err()
        };
        match refusing(format!("{GOOD}\n{long_name}\n"), InputFormat::Json) {
            Some(IngestError::FieldTooLong {
                line: 2,
                field,
                size: 101,
                limit: 100,
            }) if field == "user.name" => {}
            other => panic!("{other:?}"),
        }
        match refusing(body, InputFormat::Syslog) {
            Some(IngestError::LineTooLong {
                line: 2,
                size,
                limit: 200,
            }) if size == long_line.len() => {}
            other => panic!("{other:?}"),
        }
        // At the limits, both pass.
        let at_limit = GOOD.replace("alice", &"a".repeat(100));
        assert_eq!(
            refusing(at_limit, InputFormat::Json).map(|e| e.to_string()),
            None
        );
        assert_eq!(
            refusing("x".repeat(200), InputFormat::Syslog).map(|e| e.to_string()),
            None
        );
    }

    #[test]
    fn records_wrappers_open_json_decoding_in_auto_mode() {
        assert!(starts_with_records_wrapper(b" {\n \"Records\": [{}]}"));
        assert!(!starts_with_records_wrapper(b"{\"class_uid\": 3002}"));
        assert!(!starts_with_records_wrapper(b"Records"));
        let normalizer = Normalizer::new(InputFormat::Auto, Arc::new(ParseConfig::default()));
        let body = b"{\"Records\": [\n{\"a\": 1},\n{\"b\": 2}]}";
        let records = normalizer.records(body, &Limits::default()).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].raw, b"{\"b\": 2}");
    }

    #[test]
    fn large_batches_are_encoded_in_parallel_in_input_order() {
        let n = PARALLEL_ENCODE_MIN * 3 + 17;
        let body: String = (0..n)
            .map(|i| {
                format!(
                    "Dec 10 06:55:46 h sshd[{i}]: Invalid user u{i} from 10.0.{}.{}\n",
                    i / 250,
                    i % 250
                )
            })
            .collect();
        let batch = prepare_batch(
            body.as_bytes(),
            InputFormat::Syslog,
            "test",
            1_795_737_600_000_000_000,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(batch.entries.len(), n);
        assert_eq!(batch.summary.unparsed, 0);
        for (i, (entry, line)) in batch.entries.iter().zip(body.lines()).enumerate() {
            assert_eq!(entry.raw(), line.as_bytes(), "entry {i}");
        }
    }
}
