//! A record's field values, each read at most once: detection tests one event against many
//! filters, group keys and counted fields, and they read the same few fields again and again.

use std::borrow::Cow;

use super::fields::{Field, FIELDS};
use super::Record;

/// The values of a record's fields as [`Field::read`] gives them, read on first use and kept.
#[derive(Debug)]
pub struct FieldValues<'a> {
    record: Record<'a>,
    /// By field index: the values read, once read.
    read: Vec<Option<Vec<Cow<'a, str>>>>,
}

impl<'a> FieldValues<'a> {
    /// Nothing read yet of `record`.
    pub fn new(record: Record<'a>) -> FieldValues<'a> {
        FieldValues {
            record,
            read: std::iter::repeat_with(|| None).take(FIELDS.len()).collect(),
        }
    }

    /// The record read.
    pub fn record(&self) -> &Record<'a> {
        &self.record
    }

    /// `field`'s values in the record (as [`Field::read`]), read once.
    pub fn get(&mut self, field: Field) -> &[Cow<'a, str>] {
        let record = self.record;
        match self.read.get_mut(field.index()) {
            Some(slot) => slot.get_or_insert_with(|| field.read(&record)),
            // Every field is a row of the table, so this is not reached.
            None => &[],
        }
    }

    /// Sets `field`'s values, read beforehand (as [`Field::read`] would read them).
    pub fn set(&mut self, field: Field, values: Vec<Cow<'a, str>>) {
        if let Some(slot) = self.read.get_mut(field.index()) {
            *slot = Some(values);
        }
    }

    /// `field`'s first value (the one pipes and group keys use), if any.
    pub fn first(&mut self, field: Field) -> Option<&str> {
        self.get(field).first().map(|v| &**v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_field_reads_as_field_read_does() {
        let event = json!({"time": 1_781_133_053_000_i64, "status": "Failure", "status_id": 2,
            "user": {"name": "alice"}, "actor": {"user": {"name": "bob"}},
            "src_endpoint": {"ip": "192.0.2.1"}, "is_mfa": true});
        let record = Record {
            seq: 9,
            source: "web",
            event: &event,
        };
        let mut values = FieldValues::new(record);
        for field in Field::all() {
            let want = field.read(&record);
            assert_eq!(values.get(field), want.as_slice(), "{}", field.name());
            // A second read answers the same.
            assert_eq!(values.get(field), want.as_slice(), "{}", field.name());
            assert_eq!(values.first(field), want.first().map(|v| &**v));
        }
    }
}
