//! The one path every input takes: decode → normalize → prepare entries for the log.

use std::collections::BTreeMap;

use authtrail_model::Event;
use authtrail_store::PreparedEntry;

use crate::decode::{json, Record};
use crate::error::IngestError;
use crate::limits::Limits;

/// Input formats the pipeline reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// OCSF JSON: one object, an array, or NDJSON.
    Json,
}

impl InputFormat {
    /// Parse a format name as given on the command line or in `?format=`.
    pub fn parse(name: &str) -> Result<Self, IngestError> {
        match name {
            "json" | "ocsf" | "ndjson" | "auto" => Ok(InputFormat::Json),
            other => Err(IngestError::UnknownFormat(other.to_string())),
        }
    }

    /// The name recorded on unparsed events.
    pub fn name(&self) -> &'static str {
        match self {
            InputFormat::Json => "json",
        }
    }
}

/// Counts of what a batch held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchSummary {
    /// Records in the batch (all of them are appended).
    pub events: usize,
    /// Of which unparsed.
    pub unparsed: usize,
    /// Records per OCSF class name ("Unparsed" included).
    pub by_class: BTreeMap<String, usize>,
    /// The first few reasons records were unparsed, with their lines.
    pub unparsed_reasons: Vec<(usize, String)>,
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

/// Decode, normalize and prepare one batch; any error rejects the whole batch.
pub fn prepare_batch(
    body: &[u8],
    format: InputFormat,
    source: &str,
    received_at_ns: i64,
    limits: &Limits,
) -> Result<PreparedBatch, IngestError> {
    authtrail_store::prepare::validate_source_name(source)
        .map_err(|e| IngestError::InvalidRequest(e.to_string()))?;
    let records = match format {
        InputFormat::Json => json::decode(body)?,
    };
    if records.len() > limits.max_events_per_batch {
        return Err(IngestError::TooManyEvents {
            limit: limits.max_events_per_batch,
        });
    }
    let mut summary = BatchSummary::default();
    let mut entries = Vec::with_capacity(records.len());
    let salts = authtrail_store::prepare::random_salts(records.len())
        .map_err(|e| IngestError::InvalidRequest(e.to_string()))?;
    let received_ms = received_at_ns.div_euclid(1_000_000);
    for (record, salt) in records.into_iter().zip(salts) {
        check_size(&record, limits)?;
        let event = normalize(&record, format, received_ms, &mut summary);
        let class = event
            .class_name
            .clone()
            .unwrap_or_else(|| event.class_uid.to_string());
        *summary.by_class.entry(class).or_default() += 1;
        summary.events += 1;
        let entry = PreparedEntry::with_salt(
            source,
            received_at_ns,
            event.class_uid,
            salt,
            &event.canonical_bytes(),
            record.raw,
        )
        .map_err(|e| IngestError::InvalidRequest(format!("line {}: {e}", record.line)))?;
        entries.push(entry);
    }
    Ok(PreparedBatch { entries, summary })
}

fn check_size(record: &Record<'_>, limits: &Limits) -> Result<(), IngestError> {
    if record.raw.len() > limits.max_event_bytes {
        return Err(IngestError::EventTooLarge {
            line: record.line,
            size: record.raw.len(),
            limit: limits.max_event_bytes,
        });
    }
    Ok(())
}

/// The record as an OCSF event, or an unparsed event saying why it is not one.
fn normalize(
    record: &Record<'_>,
    format: InputFormat,
    received_ms: i64,
    summary: &mut BatchSummary,
) -> Event {
    match Event::from_json(record.raw) {
        Ok(event) => event,
        Err(e) => {
            let reason = e.to_string();
            summary.unparsed += 1;
            if summary.unparsed_reasons.len() < MAX_REASONS {
                summary.unparsed_reasons.push((record.line, reason.clone()));
            }
            Event::unparsed(&reason, format.name(), received_ms)
        }
    }
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
        assert!(InputFormat::parse("syslog").is_err());
    }
}
