//! A [`Search`] over events held in memory, for the trace tests only: it answers by testing every
//! event, as [`crate::search::Scan`] does over a log.

use serde_json::Value;

use crate::error::Result;
use crate::query::{Query, Record};
use crate::search::{Hit, Page, Search, Tallied};

/// Events by seq (their index), each with its source name.
pub struct Memory {
    /// `(source, event)` in seq order.
    pub entries: Vec<(String, Value)>,
}

impl Memory {
    fn record(&self, seq: usize) -> Record<'_> {
        let (source, event) = &self.entries[seq];
        Record {
            seq: seq as u64,
            source,
            event,
        }
    }
}

impl Search for Memory {
    fn find(&self, query: &Query, from: u64, limit: usize) -> Result<Page> {
        let mut page = Page {
            scanned_to: self.entries.len() as u64,
            ..Page::default()
        };
        let start = usize::try_from(from).unwrap_or(usize::MAX);
        for seq in start..self.entries.len() {
            if !query.matches(&self.record(seq)) {
                continue;
            }
            if page.hits.len() == limit {
                page.next = Some(seq as u64);
                break;
            }
            let (source, event) = &self.entries[seq];
            page.hits.push(Hit {
                seq: seq as u64,
                source: source.clone(),
                event: event.clone(),
            });
        }
        Ok(page)
    }

    fn tally(&self, query: &Query) -> Result<Tallied> {
        let records = (0..self.entries.len()).map(|seq| self.record(seq));
        Ok(Tallied {
            rows: query.aggregate(records),
            scanned_to: self.entries.len() as u64,
        })
    }
}
