//! Running a query over a log: the events it matches, a page at a time in log order, or the rows
//! of its pipe. [`Search`] is what the CLI, the HTTP API, trace and export call; [`Scan`] answers
//! by reading every entry (the reference every faster answer must agree with).

use serde_json::Value;

use crate::error::Result;
use crate::query::{Query, Record, Tally};
use crate::read::{LogReader, StoredEntry};
use crate::EmbeddedLog;

/// One entry a query matched.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// The entry's sequence number.
    pub seq: u64,
    /// The entry's source name.
    pub source: String,
    /// The OCSF event as stored (`null` if the stored body is not JSON).
    pub event: Value,
}

/// A page of hits and where the next one starts.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Page {
    /// Matching entries, in seq order.
    pub hits: Vec<Hit>,
    /// The seq to resume at for the next page, if the page was cut by its limit.
    pub next: Option<u64>,
    /// The log size the search covered (entries `0..scanned_to`).
    pub scanned_to: u64,
}

/// The rows of a query's pipe and the log size they cover.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Tallied {
    /// `(value, count)` rows, highest count first (`None` when the query has no pipe).
    pub rows: Option<Vec<(String, u64)>>,
    /// The log size the search covered (entries `0..scanned_to`).
    pub scanned_to: u64,
}

/// A log's committed entries, read by seq.
pub trait Entries: Send + Sync {
    /// How many entries a search covers (the signed checkpoint's size).
    fn size(&self) -> u64;
    /// Entry `seq` (below [`Entries::size`]) with its bodies.
    fn entry(&self, seq: u64) -> Result<StoredEntry>;
}

impl Entries for LogReader {
    fn size(&self) -> u64 {
        self.checkpoint().checkpoint.size
    }
    fn entry(&self, seq: u64) -> Result<StoredEntry> {
        LogReader::entry(self, seq)
    }
}

impl Entries for EmbeddedLog {
    fn size(&self) -> u64 {
        self.checkpoint().checkpoint.size
    }
    fn entry(&self, seq: u64) -> Result<StoredEntry> {
        EmbeddedLog::entry(self, seq)
    }
}

/// Answers queries over a log.
pub trait Search: Send + Sync {
    /// Up to `limit` events matching `query` with seq ≥ `from`, in seq order; a query's pipe is
    /// ignored here.
    fn find(&self, query: &Query, from: u64, limit: usize) -> Result<Page>;

    /// The rows of the query's pipe over every matching event.
    fn tally(&self, query: &Query) -> Result<Tallied>;
}

/// Answers by reading every entry from the start bound and testing it.
pub struct Scan<'a, E: Entries + ?Sized> {
    entries: &'a E,
}

impl<'a, E: Entries + ?Sized> Scan<'a, E> {
    /// A scanning search over `entries`.
    pub fn new(entries: &'a E) -> Self {
        Scan { entries }
    }
}

/// Reads entry `seq` as a hit (its event parsed).
pub(crate) fn read_hit(entries: &(impl Entries + ?Sized), seq: u64) -> Result<Hit> {
    let entry = entries.entry(seq)?;
    let event = serde_json::from_slice(&entry.body.event).unwrap_or(Value::Null);
    Ok(Hit {
        seq,
        source: entry.header.source,
        event,
    })
}

/// Reads the entries `seqs` (ascending) and adds those matching `query` to `page` until it
/// holds `limit`; then sets `page.next` to the next match and returns false.
pub(crate) fn fill_page(
    entries: &(impl Entries + ?Sized),
    query: &Query,
    seqs: impl IntoIterator<Item = u64>,
    limit: usize,
    page: &mut Page,
) -> Result<bool> {
    for seq in seqs {
        let hit = read_hit(entries, seq)?;
        let matched = query.matches(&Record {
            seq,
            source: &hit.source,
            event: &hit.event,
        });
        if !matched {
            continue;
        }
        if page.hits.len() == limit {
            page.next = Some(seq);
            return Ok(false);
        }
        page.hits.push(hit);
    }
    Ok(true)
}

/// Reads the entries `seqs` and counts those matching `query` into `tally`.
pub(crate) fn tally_seqs(
    entries: &(impl Entries + ?Sized),
    query: &Query,
    seqs: impl IntoIterator<Item = u64>,
    tally: &mut Tally,
) -> Result<()> {
    for seq in seqs {
        let hit = read_hit(entries, seq)?;
        let record = Record {
            seq,
            source: &hit.source,
            event: &hit.event,
        };
        if query.matches(&record) {
            tally.add(&record);
        }
    }
    Ok(())
}

impl<E: Entries + ?Sized> Search for Scan<'_, E> {
    fn find(&self, query: &Query, from: u64, limit: usize) -> Result<Page> {
        let size = self.entries.size();
        let mut page = Page {
            scanned_to: size,
            ..Page::default()
        };
        fill_page(self.entries, query, from..size, limit, &mut page)?;
        Ok(page)
    }

    fn tally(&self, query: &Query) -> Result<Tallied> {
        let size = self.entries.size();
        let Some(mut tally) = query.tally() else {
            return Ok(Tallied {
                rows: None,
                scanned_to: size,
            });
        };
        tally_seqs(self.entries, query, 0..size, &mut tally)?;
        Ok(Tallied {
            rows: Some(tally.rows()),
            scanned_to: size,
        })
    }
}

impl<S: Search + ?Sized> Search for Box<S> {
    fn find(&self, query: &Query, from: u64, limit: usize) -> Result<Page> {
        (**self).find(query, from, limit)
    }
    fn tally(&self, query: &Query) -> Result<Tallied> {
        (**self).tally(query)
    }
}
